package bench

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-logr/logr"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/matrixmind-cloud/aws-rds-operator/internal/controlplane"
	"github.com/matrixmind-cloud/aws-rds-operator/test/harness"
)

// TestSmoke is `make bench` in small: 50 databases (10 of them Aurora clusters), short status
// delays and resyncs. It asserts no timing, only that the benchmark runs end to end and
// reports every figure, so the real run cannot rot between the times someone runs it.
func TestSmoke(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a control plane, the emulator and the manager")
	}
	tools, err := controlplane.ToolsDir()
	if err != nil {
		t.Fatal(err)
	}
	logf.SetLogger(logr.Discard())
	root := harness.Root()
	bin := t.TempDir()
	build := exec.Command("go", "build", "-o", bin+"/", "./cmd/manager", "./cmd/rds-emulator", "./cmd/cloudsql-emulator")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build the manager and the emulator: %v\n%s", err, out)
	}
	out := t.TempDir()
	cfg := Config{
		N: 50, Aurora: 10, Users: 1, Dir: filepath.Join(t.TempDir(), "state"), OutDir: out,
		BinDir: bin, ToolsDir: tools, CRDDir: filepath.Join(root, "config", "crd", "bases"),
		Create: 2 * time.Second, BackingUp: time.Second, Modify: time.Second, Delete: time.Second,
		Resync: 3 * time.Second, Resyncs: 3, PendingRequeue: time.Second,
		Profile: true, ProfileSeconds: 2, WaveTimeout: 3 * time.Minute, Out: testWriter{t},
	}
	res, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	table := res.Table()
	t.Log("\n" + table)

	var saved Result
	b, err := os.ReadFile(filepath.Join(out, "results.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &saved); err != nil {
		t.Fatalf("results.json: %v", err)
	}
	for _, f := range []string{"cpu-create.pprof", "heap-create.pprof"} {
		if st, err := os.Stat(filepath.Join(out, f)); err != nil || st.Size() == 0 {
			t.Errorf("profile %s missing or empty: %v", f, err)
		}
	}
	checks := []struct {
		reason string
		ok     bool
	}{
		{"every object's Secrets are timed", saved.Create.Secrets.Count == cfg.N},
		{"every object's provisioning is timed", saved.Create.Provisioned.Count == cfg.N},
		{"every object's deletion is timed", saved.Delete.Gone.Count == cfg.N},
		{"the create wave's AWS calls are counted by the emulator", saved.Create.AWSCalls["CreateDBInstance"]-saved.Create.AWSRetries["CreateDBInstance"] == cfg.N},
		{"the create wave's AWS calls are counted by the operator", saved.Create.OperatorAWSCalls > 0},
		{"the delete wave's AWS calls are counted", saved.Delete.AWSCalls["DeleteDBInstance"]-saved.Delete.AWSRetries["DeleteDBInstance"] == cfg.N},
		{"the steady state's calls are counted", saved.Steady.AWSCallsTotal > 0 && saved.Steady.Resyncs == 3},
		{"the mixed fleet's clusters are made and deleted", saved.Create.AWSCalls["CreateDBCluster"]-saved.Create.AWSRetries["CreateDBCluster"] == cfg.Aurora &&
			saved.Delete.AWSCalls["DeleteDBCluster"]-saved.Delete.AWSRetries["DeleteDBCluster"] == cfg.Aurora},
		{"the steady state lists the clusters in the shared view", saved.Steady.AWSCalls["DescribeDBClusters"] > 0 && saved.Steady.Budget == 3},
		{"the steady state's refreshes of the shared view are counted", saved.Steady.Refreshes > 0 && saved.Steady.CallsPerRefresh > 0},
		{"the peak call rate is measured", saved.Create.PeakCallsPerSecond > 0 && saved.Create.PeakCallsPerSecond10s > 0},
		{"the operator's CPU is read", saved.Create.OperatorCPUSeconds > 0},
		{"the operator's memory is read", saved.OperatorPeakRSSMiB > 0 && saved.OperatorPeakAnonMiB > 0 && saved.OperatorPeakFileMiB > 0 && saved.Create.OperatorRSSMiB > 0 && saved.Create.OperatorAnonMiB > 0 && saved.Create.OperatorFileMiB > 0},
		{"apiserver writes are counted by the apiserver", saved.Create.ApiserverWritesPerObject > 0 && saved.Create.ApiserverWrites["POST secrets"] > 0},
		{"apiserver writes are counted by the operator", saved.Create.OperatorClientWritesPerObject > 0},
		{"the reconciles are counted", saved.Create.Reconciles > 0},
		{"every target is evaluated", len(saved.Targets) == 10},
		{"the machine is named", saved.Machine != "" && saved.Date != ""},
	}
	for _, c := range checks {
		if !c.ok {
			t.Errorf("not reported: %s", c.reason)
		}
	}
	for _, label := range []string{"apply → all Secrets", "apply → Ready", "AWS calls per resync", "peak calls/s", "operator CPU", "operator RSS", "apiserver writes per object", "delete → gone"} {
		if !strings.Contains(table, label) {
			t.Errorf("the table has no row %q", label)
		}
	}
}

// testWriter sends the benchmark's progress lines to the test log.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}
