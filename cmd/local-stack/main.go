// Command local-stack runs the project on one machine, in the foreground: a local control
// plane, the RDS, Cloud SQL and Azure Resource Manager API emulators, a PostgreSQL server
// standing in for an on-premises one (db1, its administrator's login in the Secret
// platform/db1-admin) and the operator. It writes <dir>/env and <dir>/ready once all are up
// and stops them all on SIGTERM or SIGINT.
// hack/local-up.sh runs it in the background.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/matrixmind-cloud/aws-rds-operator/internal/localstack"
)

func main() {
	var cfg localstack.Config
	var emulatorArgs string
	flag.StringVar(&cfg.Dir, "dir", ".local", "directory for state, logs, kubeconfig and the env file")
	flag.StringVar(&cfg.BinDir, "bin", "bin", "directory holding manager, rds-emulator, cloudsql-emulator and azure-emulator")
	flag.StringVar(&cfg.ToolsDir, "tools", "", "directory holding kube-apiserver, kube-controller-manager, etcd and kubectl (default $KUBEBUILDER_ASSETS, else hack/tools.sh --print)")
	flag.StringVar(&cfg.CRDDir, "crds", "config/crd/bases", "directory of CRDs to install")
	flag.StringVar(&cfg.AdmissionDir, "admission", "config/admission", "directory of the API's admission policies to create (empty: none)")
	flag.StringVar(&emulatorArgs, "emulator-args", "", "extra arguments for rds-emulator, space-separated (e.g. \"--create-delay 2s\")")
	flag.Parse()
	cfg.EmulatorArgs = strings.Fields(emulatorArgs)
	cfg.Out = os.Stdout

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if err := localstack.Run(ctx, cfg); err != nil {
		fmt.Fprintf(os.Stderr, "local-stack: %v\n", err)
		os.Exit(1)
	}
}
