package controlplane

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/matrixmind-cloud/aws-rds-operator/internal/controllermanager"
)

// ToolsDir returns the directory holding kube-apiserver, etcd and kube-controller-manager
// (and kubectl and helm, which hack/tools.sh builds beside them): KUBEBUILDER_ASSETS when
// set (make test sets it), else the cache hack/tools.sh builds into. It fails, saying to run
// make tools, when one of those three or of the tools named in also is missing there.
func ToolsDir(also ...string) (string, error) {
	dir := os.Getenv("KUBEBUILDER_ASSETS")
	if dir == "" {
		_, file, _, _ := runtime.Caller(0)
		out, err := exec.Command(filepath.Join(filepath.Dir(file), "..", "..", "hack", "tools.sh"), "--print").Output()
		if err != nil {
			return "", fmt.Errorf("find the tools directory: %w", err)
		}
		dir = strings.TrimSpace(string(out))
	}
	for _, name := range append([]string{"kube-apiserver", "etcd", controllermanager.Binary}, also...) {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			return "", fmt.Errorf("%s not built yet: run make tools (%w)", name, err)
		}
	}
	return dir, nil
}
