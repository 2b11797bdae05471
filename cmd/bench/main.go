// Command bench measures the operator against a fleet (package bench): it starts the local
// stack with the emulators in no-engine mode, applies N RDSDatabases at once (with --exports,
// each exporting its backups; with --cloud azure, each a flexible server of the
// DatabaseClass bench-azure), measures the create wave, the steady state and the delete
// wave, prints a table and writes <out>/results.json. `make bench` runs it.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/go-logr/logr"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	v1 "github.com/matrixmind-cloud/aws-rds-operator/api/v1"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/bench"
)

func main() {
	cfg := bench.Config{Out: os.Stderr}
	var managerArgs string
	flag.StringVar(&cfg.Cloud, "cloud", "aws", "where the databases are made: aws (the RDS emulator) or azure (PostgreSQL flexible servers on the Azure emulator, through the DatabaseClass "+bench.AzureClass+"; the calls counted are Azure's; --aurora, --exports, --parameters and --drifts are RDS's and refused)")
	flag.IntVar(&cfg.N, "n", 1000, "how many RDSDatabase objects to apply at once")
	flag.IntVar(&cfg.Users, "users", 1, "users per object, each with a Secret beside the master's")
	flag.IntVar(&cfg.Aurora, "aurora", 0, "how many of the objects are Aurora PostgreSQL clusters (a mixed fleet); the rest are PostgreSQL instances")
	flag.BoolVar(&cfg.Exports, "exports", false, "give every object spec.backup.export (a bucket of the emulator's S3 stand-in) and snapshots every --backup-every: the create wave also waits for each scheduled snapshot's export")
	flag.BoolVar(&cfg.Parameters, "parameters", false, "give every PostgreSQL instance spec.parameters (one static, one dynamic parameter): the operator keeps a DB parameter group per object")
	flag.StringVar(&cfg.BackupEvery, "backup-every", "7d", "spec.backup.every of the objects with --exports; the first snapshot is taken at once, the next on the interval's UTC grid (7d: Mondays 00:00)")
	flag.StringVar(&cfg.Dir, "dir", ".bench", "state directory of the local stack (wiped on start)")
	flag.StringVar(&cfg.OutDir, "out", "bench", "directory for results.json and the profiles")
	flag.StringVar(&cfg.BinDir, "bin", "bin", "directory holding manager, rds-emulator, cloudsql-emulator and azure-emulator")
	flag.StringVar(&cfg.ToolsDir, "tools", "", "directory holding kube-apiserver, kube-controller-manager and etcd (default $KUBEBUILDER_ASSETS, else hack/tools.sh --print)")
	flag.StringVar(&cfg.CRDDir, "crds", "config/crd/bases", "directory of CRDs to install")
	// AWS takes minutes for each; these keep the run under a quarter of an hour while every
	// database still spends many refreshes of the shared view in each state.
	flag.DurationVar(&cfg.Create, "create-delay", time.Minute, "how long the emulator keeps a new database creating")
	flag.DurationVar(&cfg.BackingUp, "backup-delay", 20*time.Second, "how long backing-up lasts")
	flag.DurationVar(&cfg.Modify, "modify-delay", 30*time.Second, "how long modifying lasts")
	flag.DurationVar(&cfg.Delete, "delete-delay", 30*time.Second, "how long deleting lasts")
	flag.DurationVar(&cfg.Resync, "resync", 30*time.Second, "the operator's --resync during the run")
	flag.IntVar(&cfg.Resyncs, "resyncs", 3, "resync intervals the steady state is measured over")
	flag.DurationVar(&cfg.Feed, "feed-interval", time.Minute, "the operator's --feed-interval (its default); 0 reads no feed and lists every database each --resync")
	flag.DurationVar(&cfg.FullList, "full-list-interval", 3*time.Minute, "the operator's --full-list-interval; the steady state lasts two of them, so the cost of a list is measured, and the drifts are made and repaired between two")
	flag.IntVar(&cfg.Drifts, "drifts", 20, "databases changed at the console after the steady state (half a class change, half a master password reset), each timed until repaired; 0 changes none (the default with --cloud azure)")
	flag.BoolVar(&cfg.SkipDelete, "skip-delete", false, "leave the delete wave out (a run at 10,000 objects)")
	flag.DurationVar(&cfg.PendingRequeue, "pending-requeue", 15*time.Second, "the operator's --pending-requeue (its default)")
	flag.StringVar(&managerArgs, "manager-args", "--memory-limit 80Mi", "more manager flags, space-separated (e.g. \"--aws-rate-limit 5\"); the default gives the Go heap the soft limit a 100Mi container would")
	flag.BoolVar(&cfg.Profile, "profile", true, "take a CPU profile of the create wave and a heap profile at its end")
	flag.IntVar(&cfg.ProfileSeconds, "profile-seconds", 60, "how much of the create wave the CPU profile covers")
	flag.DurationVar(&cfg.WaveTimeout, "wave-timeout", 30*time.Minute, "give up on a wave after this long")
	flag.Parse()
	if cfg.Cloud == v1.ProviderAzure && !isSet("drifts") {
		cfg.Drifts = 0 // RDS's; asked for on Azure, they are refused
	}
	cfg.ManagerArgs = strings.Fields(managerArgs)
	logf.SetLogger(logr.Discard()) // the benchmark's watch logs nothing worth reading

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	res, err := bench.Run(ctx, cfg)
	if res != nil {
		fmt.Println(res.Table())
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "bench: %v\n", err)
		os.Exit(1)
	}
	fmt.Printf("wrote %s/results.json\n", cfg.OutDir)
}

// isSet reports whether the flag name was given on the command line.
func isSet(name string) bool {
	set := false
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}
