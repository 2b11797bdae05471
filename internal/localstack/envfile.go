package localstack

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/matrixmind-cloud/aws-rds-operator/internal/cloud/azure"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/cloud/gcp"
)

// localProject is the Google Cloud project the env file names; cloudsql-emulator serves any.
const localProject = "local-project"

// AzureSubscription and AzureResourceGroup are the only Azure subscription and resource
// group azure-emulator serves; the env file names the subscription, and the azure sample's
// class (config/samples/azure/) and the benchmark's (package bench) both.
const (
	AzureSubscription  = "00000000-0000-0000-0000-00000000a2e0"
	AzureResourceGroup = "local"
)

// writeEnvAndReady writes the env file a user sources to reach the stack, then the ready
// file, in that order, so whoever sees ready can source env.
func (s *stack) writeEnvAndReady() error {
	vars := s.cloudEnv()
	// The project's own commands come after the pinned tools: kubectl finds the kubectl-rds
	// plugin there (kubectl rds logs).
	path := s.cfg.ToolsDir
	if bin, err := filepath.Abs(s.cfg.BinDir); err == nil {
		path += ":" + bin
	}
	if err := writeFileAtomic(s.path(EnvFile), []byte(envFileContent(vars, path))); err != nil {
		return fmt.Errorf("write env file: %w", err)
	}
	if err := writeFileAtomic(s.path(ReadyFile), []byte(s.rdsEndpoint+"\n")); err != nil {
		return fmt.Errorf("write ready file: %w", err)
	}
	return nil
}

// gcpEnv names cloudsql-emulator's base URL, the project to use with it (a gcp
// DatabaseClass names it) and an access token, which the emulator wants and does not check:
// the manager reaches Cloud SQL with them as it would with an endpoint override on a
// workstation.
func (s *stack) gcpEnv() []string {
	return []string{
		gcp.EnvEndpoint + "=" + s.cloudSQLEndpoint,
		gcp.EnvProject + "=" + localProject,
		gcp.EnvAccessToken + "=local",
	}
}

// azureEnv names azure-emulator's base URL, the subscription it serves and an access token,
// which it wants and does not check: the manager reaches Resource Manager with them as it
// would with an endpoint override on a workstation.
func (s *stack) azureEnv() []string {
	return []string{
		azure.EnvEndpoint + "=" + s.azureEndpoint,
		azure.EnvSubscription + "=" + AzureSubscription,
		azure.EnvAccessToken + "=local",
	}
}

// cloudEnv is what the env file exports and the manager runs with: the way to every cloud
// of the stack.
func (s *stack) cloudEnv() []string {
	return slices.Concat(s.awsEnv(), s.gcpEnv(), s.azureEnv())
}

// envFileContent renders vars (KEY=VALUE) as shell exports, then puts toolsDir (a directory,
// or several joined by ':') first on PATH so the project's pinned kubectl is used rather than
// whatever the system has.
func envFileContent(vars []string, toolsDir string) string {
	var b strings.Builder
	b.WriteString("# Written by local-stack; source it to reach the local stack.\n")
	for _, kv := range vars {
		k, v, _ := strings.Cut(kv, "=")
		fmt.Fprintf(&b, "export %s=%s\n", k, shellQuote(v))
	}
	fmt.Fprintf(&b, "export PATH=%s:\"$PATH\"\n", shellQuote(toolsDir))
	return b.String()
}

// shellQuote quotes s for a POSIX shell.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// writeFileAtomic writes data to a temporary file beside path and renames it into place, so a
// reader never sees a half-written file.
func writeFileAtomic(path string, data []byte) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
