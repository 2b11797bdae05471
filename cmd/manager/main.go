// Command manager runs the aws-rds-operator: it reconciles RDSDatabase objects against AWS
// RDS (or anything speaking its API at AWS_ENDPOINT_URL_RDS). It only wires flags to the
// operator package.
package main

import (
	"flag"
	"os"

	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	"github.com/matrixmind-cloud/aws-rds-operator/internal/controller"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/operator"
)

func main() {
	opts := operator.Options{Defaults: controller.DefaultDefaults}
	flag.StringVar(&opts.MetricsAddr, "metrics-bind-address", ":8080", "Address the Prometheus metrics endpoint binds to; 0 disables it.")
	flag.StringVar(&opts.ProbeAddr, "health-probe-bind-address", ":8081", "Address the /healthz and /readyz probes bind to.")
	flag.BoolVar(&opts.LeaderElect, "leader-elect", false, "Elect a leader so that only one replica reconciles at a time.")
	flag.StringVar(&opts.Defaults.PostgresVersion, "default-postgres-version", opts.Defaults.PostgresVersion, "Engine version for type postgresql when spec.version is empty.")
	flag.StringVar(&opts.Defaults.InstanceClass, "default-instance-class", opts.Defaults.InstanceClass, "RDS instance class when spec.instanceClass is empty.")
	flag.StringVar(&opts.Defaults.StorageType, "default-storage-type", opts.Defaults.StorageType, "RDS storage type when spec.storageType is empty.")
	flag.DurationVar(&opts.Defaults.Resync, "resync", opts.Defaults.Resync, "How often a settled database is compared with the cloud again.")
	flag.BoolVar(&opts.Defaults.RecreateMissing, "recreate-missing", false, "Create a cloud database again when it was deleted outside the operator (default: only report it).")
	flag.DurationVar(&opts.Defaults.PendingRequeue, "pending-requeue", opts.Defaults.PendingRequeue, "How often a database that is changing state in the cloud is looked at again.")
	zapOpts := zap.Options{}
	zapOpts.BindFlags(flag.CommandLine)
	flag.Parse()
	ctrl.SetLogger(zap.New(zap.UseFlagOptions(&zapOpts)))
	log := ctrl.Log.WithName("setup")

	ctx := ctrl.SetupSignalHandler()
	mgr, err := operator.New(ctx, ctrl.GetConfigOrDie(), opts)
	if err != nil {
		log.Error(err, "cannot start the operator")
		os.Exit(1)
	}
	log.Info("starting the operator", "defaults", opts.Defaults)
	if err := mgr.Start(ctx); err != nil {
		log.Error(err, "operator stopped")
		os.Exit(1)
	}
}
