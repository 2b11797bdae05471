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

	v1 "github.com/matrixmind-cloud/aws-rds-operator/api/v1"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/controlplane"
	"github.com/matrixmind-cloud/aws-rds-operator/test/harness"
)

// TestSmoke is `make bench` in small: 50 databases (10 of them Aurora clusters), short status
// delays, resyncs and reads of the feed, 4 drifts. It asserts no timing, only that the
// benchmark runs end to end and reports every figure, so the real run cannot rot between
// the times someone runs it.
func TestSmoke(t *testing.T) {
	cfg := smokeConfig(t)
	cfg.N, cfg.Aurora, cfg.Profile, cfg.ProfileSeconds = 50, 10, true, 2
	cfg.Feed, cfg.FullList, cfg.Drifts = 2*time.Second, 4*time.Second, 4
	saved, table := smokeRun(t, cfg)
	out := cfg.OutDir
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
		// A delete the cloud refused for the database's state (InvalidDBInstanceState), or
		// sent again for an Aurora writer already gone while its cluster still listed it
		// (DBInstanceNotFound, which the provider takes as done), is a call, and not one of
		// the N.
		{"the delete wave's AWS calls are counted", deletes(saved.Delete) >= cfg.N &&
			deletes(saved.Delete)-saved.Delete.AWSErrors["InvalidDBInstanceState"]-saved.Delete.AWSErrors["DBInstanceNotFound"] <= cfg.N},
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
		{"the feed's reads and the lists are counted in the steady state", saved.Steady.FeedReads > 0 && saved.Steady.FullLists > 0 &&
			saved.Steady.CallsPerFeedRead > 0 && saved.Steady.CallsPerHour > 0 && saved.Steady.BudgetPerHour == 64}, // 60 + 2·(⌈50/100⌉ + ⌈10 Aurora/100⌉)
		{"every drift is timed", saved.Drift != nil && saved.Drift.Count == cfg.Drifts && saved.Drift.Class.Count+saved.Drift.Password.Count == saved.Drift.Repaired},
		{"every target is evaluated", len(saved.Targets) == 15},
		{"the machine is named", saved.Machine != "" && saved.Date != ""},
	}
	for _, c := range checks {
		if !c.ok {
			t.Errorf("not reported: %s", c.reason)
		}
	}
	for _, label := range []string{"apply → all Secrets", "apply → Ready", "AWS calls per resync", "AWS calls per hour", "drift → repaired", "peak calls/s", "operator CPU", "operator RSS", "apiserver writes per object", "delete → gone"} {
		if !strings.Contains(table, label) {
			t.Errorf("the table has no row %q", label)
		}
	}
}

// TestSmokeExports is `make bench BENCH_ARGS=--exports` in small: 5 databases, each
// exporting its automated backup and a scheduled snapshot to the emulator's S3 stand-in.
// It asserts that the create wave waits for every export and that the exports and their
// calls are reported.
func TestSmokeExports(t *testing.T) {
	cfg := smokeConfig(t)
	cfg.N, cfg.Exports, cfg.BackupEvery = 5, true, "7d"
	saved, table := smokeRun(t, cfg)
	snapshots := saved.Create.AWSCalls["CreateDBSnapshot"] - saved.Create.AWSRetries["CreateDBSnapshot"]
	checks := []struct {
		reason string
		ok     bool
	}{
		{"every object's scheduled snapshot export is timed", saved.Create.Exported != nil && saved.Create.Exported.Count == cfg.N},
		{"one snapshot per object is taken", snapshots == cfg.N},
		{"both exports of every object are in the bucket", saved.Steady.Exports != nil && saved.Steady.Exports.Completed == exportsPerObject*cfg.N &&
			saved.Steady.Exports.Bytes > 0 && saved.Steady.ExportTasks == exportsPerObject*cfg.N},
		{"the budget counts the list of exports", saved.Steady.Budget == budget(cfg.N, 0, exportsPerObject*cfg.N)},
		{"the exports' calls are counted", saved.Create.AWSCalls["StartExportTask"] >= exportsPerObject*cfg.N && saved.Create.AWSCalls["DescribeExportTasks"] > 0},
		{"the settings say so", saved.Settings.Exports && saved.Settings.BackupEvery == "7d"},
		{"every target is evaluated, the backups' among them", len(saved.Targets) == 12},
	}
	for _, c := range checks {
		if !c.ok {
			t.Errorf("not reported: %s", c.reason)
		}
	}
	for _, label := range []string{"apply → snapshot exported", "exports in the bucket", "StartExportTask"} {
		if !strings.Contains(table, label) {
			t.Errorf("the table has no row %q", label)
		}
	}
}

// TestSmokeAzure is `bin/bench --cloud azure` in small: 10 PostgreSQL flexible servers of
// the DatabaseClass bench-azure on the Azure emulator. It asserts that the Azure emulator's
// calls are the ones counted, by SDK operation, and that the steady state's lists of every
// server are found in them.
func TestSmokeAzure(t *testing.T) {
	cfg := smokeConfig(t)
	cfg.N, cfg.Cloud = 10, v1.ProviderAzure
	saved, table := smokeRun(t, cfg)
	creates := saved.Create.AWSCalls["PostgreSQL Servers.Create"] - saved.Create.AWSRetries["PostgreSQL Servers.Create"]
	deletes := saved.Delete.AWSCalls["PostgreSQL Servers.Delete"] - saved.Delete.AWSRetries["PostgreSQL Servers.Delete"]
	checks := []struct {
		reason string
		ok     bool
	}{
		{"the settings name the cloud and the class", saved.Settings.Cloud == v1.ProviderAzure && saved.Settings.Class == AzureClass},
		{"every object's Secrets are timed", saved.Create.Secrets.Count == cfg.N},
		{"every object's provisioning is timed", saved.Create.Provisioned.Count == cfg.N},
		{"every object's deletion is timed", saved.Delete.Gone.Count == cfg.N},
		{"one server is created per object, counted by the Azure emulator", creates == cfg.N},
		{"every server is deleted, counted by the Azure emulator", deletes >= cfg.N},
		{"no RDS call is counted on Azure", saved.Create.AWSCalls["CreateDBInstance"] == 0 && saved.Create.OperatorAWSCalls == 0},
		{"the steady state lists every server of both resource providers", saved.Steady.AWSCalls[azurePostgreSQLList] > 0 && saved.Steady.AWSCalls[azureMySQLList] > 0},
		{"the steady state's refreshes of the shared view are counted", saved.Steady.Refreshes > 0 && saved.Steady.CallsPerRefresh > 0 && saved.Steady.FullLists > 0},
		{"the budget is one page of each resource provider and one", saved.Steady.Budget == 3},
		{"an hour is counted at the default resync", saved.Steady.ListsPerHour == 6 && saved.Steady.CallsPerHour > 0 && saved.Steady.BudgetPerHour == 0},
		{"the peak call rate is measured", saved.Create.PeakCallsPerSecond > 0},
		{"every target is evaluated, the AWS-only ones (feed, drifts) aside", len(saved.Targets) == 11},
	}
	for _, c := range checks {
		if !c.ok {
			t.Errorf("not reported: %s", c.reason)
		}
	}
	for _, label := range []string{"on Azure (DatabaseClass bench-azure)", "Azure calls per database", "PostgreSQL Servers.Create", "Azure calls per resync", "Azure calls per hour"} {
		if !strings.Contains(table, label) {
			t.Errorf("the table has no row %q", label)
		}
	}
}

// smokeConfig builds the manager and the emulators and returns a small run's settings:
// short status delays and resyncs, no profiles.
func smokeConfig(t *testing.T) Config {
	t.Helper()
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
	build := exec.Command("go", "build", "-o", bin+"/", "./cmd/manager", "./cmd/rds-emulator", "./cmd/cloudsql-emulator", "./cmd/azure-emulator")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build the manager and the emulators: %v\n%s", err, out)
	}
	return Config{
		Users: 1, Dir: filepath.Join(t.TempDir(), "state"), OutDir: t.TempDir(),
		BinDir: bin, ToolsDir: tools, CRDDir: filepath.Join(root, "config", "crd", "bases"),
		Create: 2 * time.Second, BackingUp: time.Second, Modify: time.Second, Delete: time.Second,
		Resync: 3 * time.Second, Resyncs: 3, PendingRequeue: time.Second,
		WaveTimeout: 3 * time.Minute, Out: testWriter{t},
	}
}

// smokeRun runs the benchmark and returns what it saved in results.json and its table.
func smokeRun(t *testing.T, cfg Config) (Result, string) {
	t.Helper()
	res, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	table := res.Table()
	t.Log("\n" + table)
	var saved Result
	b, err := os.ReadFile(filepath.Join(cfg.OutDir, "results.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &saved); err != nil {
		t.Fatalf("results.json: %v", err)
	}
	return saved, table
}

// testWriter sends the benchmark's progress lines to the test log.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// deletes is how many DeleteDBInstance calls a phase made, the SDK's own retries left out.
func deletes(p *Phase) int {
	return p.AWSCalls["DeleteDBInstance"] - p.AWSRetries["DeleteDBInstance"]
}
