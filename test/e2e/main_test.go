// Package e2e holds the integration tests: a real kube-apiserver and etcd, the RDS emulator
// backed by real PostgreSQL servers, and the operator, all started by the harness.
package e2e

import (
	"fmt"
	"os"
	"testing"

	"github.com/matrixmind-cloud/aws-rds-operator/test/harness"
)

var stack *harness.Stack

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "rds-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	// PostgreSQL runs as the postgres user when the tests run as root: it must reach its dir.
	_ = os.Chmod(dir, 0o755)
	stack, err = harness.Start(dir)
	if err != nil {
		fmt.Fprintf(os.Stderr, "start the test stack: %v\n", err)
		os.Exit(1)
	}
	code := m.Run()
	stack.Stop()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}
