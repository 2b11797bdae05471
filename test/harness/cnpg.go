package harness

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
)

// cnpgAPIModule is the module of CloudNativePG's API types the operator builds with; the
// CRDs installed are those of the same version, so that they never drift apart.
const cnpgAPIModule = "github.com/cloudnative-pg/api"

// cnpgModule is CloudNativePG's main module, which holds its CRDs.
const cnpgModule = "github.com/cloudnative-pg/cloudnative-pg"

// CNPGCRDDir returns the directory of CloudNativePG's CustomResourceDefinitions
// (config/crd/bases of its module), of the version of the API types go.mod requires. The go
// command fetches the module through the module proxy into the module cache the first time
// (15 MB); it is looked up once per test binary.
func CNPGCRDDir() (string, error) { return cnpgCRDDir() }

var cnpgCRDDir = sync.OnceValues(func() (string, error) {
	version, err := goOutput(Root(), "list", "-m", "-f", "{{.Version}}", cnpgAPIModule)
	if err != nil {
		return "", fmt.Errorf("find the version of %s: %w", cnpgAPIModule, err)
	}
	// Outside the module, so that the download never touches its go.sum.
	out, err := goOutput(os.TempDir(), "mod", "download", "-json", cnpgModule+"@"+version)
	var mod struct{ Dir, Error string }
	if jerr := json.Unmarshal([]byte(out), &mod); jerr == nil && mod.Error != "" {
		err = errors.New(mod.Error)
	}
	if err != nil {
		return "", fmt.Errorf("download %s@%s for its CRDs: %w", cnpgModule, version, err)
	}
	dir := filepath.Join(mod.Dir, "config", "crd", "bases")
	if _, err := os.Stat(dir); err != nil {
		return "", fmt.Errorf("CloudNativePG's CRDs: %w", err)
	}
	return dir, nil
})

// goOutput runs the go command in dir and returns its standard output.
func goOutput(dir string, args ...string) (string, error) {
	cmd := exec.Command("go", args...)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return string(out), fmt.Errorf("go %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return strings.TrimSpace(string(out)), nil
}
