package localstack

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/matrixmind-cloud/aws-rds-operator/internal/serverproc"
)

// emulator is a cloud API emulator the stack runs: a binary in Config.BinDir that takes
// --listen and --data-dir and prints "<name> listening on <URL>" once it accepts requests.
type emulator struct {
	// name is the binary's name, as it prints it in its listening line.
	name string
	// dataDir and log name its data directory and its log file in Config.Dir.
	dataDir, log string
	// args are passed after the ones the stack sets.
	args []string
}

// The emulators' data directories inside Config.Dir.
const (
	rdsEmulatorDir      = "emulator"
	cloudSQLEmulatorDir = "cloudsql-emulator"
	azureEmulatorDir    = "azure-emulator"
)

// startEmulator starts e on a free local port and waits for its listening line. It returns
// the child and the emulator's base URL, without a trailing slash so that a path can be
// appended to it. When the wait fails it still returns the child, for the caller's shutdown
// to stop.
func (s *stack) startEmulator(ctx context.Context, e emulator) (*child, string, error) {
	port, err := serverproc.FreePort()
	if err != nil {
		return nil, "", err
	}
	args := append([]string{
		"--listen", fmt.Sprintf("127.0.0.1:%d", port),
		"--data-dir", s.path(e.dataDir),
	}, e.args...)
	s.log.logf("starting %s %v (log: %s)", e.name, args, s.path(e.log))
	c, err := startChild(e.name, s.path(e.log), os.Environ(), filepath.Join(s.cfg.BinDir, e.name), args...)
	if err != nil {
		return nil, "", err
	}
	var endpoint string
	err = s.waitFor(ctx, e.name+" listening line", c, emulatorStartTimeout, func() (bool, error) {
		out, err := os.ReadFile(c.logPath)
		if err != nil {
			return false, err
		}
		endpoint = listeningEndpoint(e.name, out)
		return endpoint != "", nil
	})
	if err != nil {
		return c, "", err
	}
	s.log.logf("%s listening on %s", e.name, endpoint)
	return c, endpoint, nil
}

// listeningEndpoint returns the URL of name's first complete listening line in out, without
// a trailing slash, or "" if there is none yet.
func listeningEndpoint(name string, out []byte) string {
	m := regexp.MustCompile(regexp.QuoteMeta(name) + ` listening on (http://\S+)\n`).FindSubmatch(out)
	if m == nil {
		return ""
	}
	return strings.TrimSuffix(string(m[1]), "/")
}
