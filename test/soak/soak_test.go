// Package soak runs the short fault soak in `make test`: ten databases (three with a real
// PostgreSQL, two whose identifier a foreign cloud database holds) through create, update,
// user changes, rotation and delete, and a few more objects restoring their final snapshots
// (from the same namespace, and from a second one, which must be refused), while the
// emulator throttles, fails and slows down, the apiserver answers with conflicts and the
// operator process is killed with SIGKILL. Only the invariants are asserted, never timings.
// SOAK_SEED=<n> replays a plan.
package soak

import (
	"context"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/matrixmind-cloud/aws-rds-operator/internal/controlplane"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/soak"
	"github.com/matrixmind-cloud/aws-rds-operator/test/harness"
)

func TestShortSoak(t *testing.T) {
	assets, err := controlplane.ToolsDir()
	if err != nil {
		t.Skipf("no kube-apiserver to run against: %v", err)
	}
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("SOAK_SEED"); s != "" {
		if seed, err = strconv.ParseUint(s, 10, 64); err != nil {
			t.Fatalf("SOAK_SEED: %v", err)
		}
	}
	t.Logf("seed %d (SOAK_SEED=%d replays this plan)", seed, seed)
	dir, err := os.MkdirTemp("", "rds-soak-")
	if err != nil {
		t.Fatal(err)
	}
	cfg := soak.Short(seed)
	cfg.Dir, cfg.Root, cfg.ToolsDir, cfg.Out = dir, harness.Root(), assets, testWriter{t}
	report, err := soak.Run(context.Background(), cfg)
	if err != nil {
		t.Fatalf("the soak could not run (state and logs in %s): %v", dir, err)
	}
	report.Print(testWriter{t})
	if err := report.Err(); err != nil {
		t.Fatalf("seed %d, state and logs in %s: %v", seed, dir, err)
	}
	_ = os.RemoveAll(dir)
}

// testWriter sends progress lines to the test log.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}
