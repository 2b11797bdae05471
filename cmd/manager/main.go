// Command manager runs the aws-rds-operator: it reconciles RDSDatabase objects against AWS
// RDS (or anything speaking its API at AWS_ENDPOINT_URL_RDS).
package main

import (
	"context"
	"flag"
	"os"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	v1 "github.com/matrixmind-cloud/aws-rds-operator/api/v1"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/cloud/rds"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/controller"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/engine/postgres"
)

func main() {
	var (
		metricsAddr, probeAddr string
		leaderElect            bool
		defaults               = controller.DefaultDefaults
	)
	flag.StringVar(&metricsAddr, "metrics-bind-address", ":8080", "Address the Prometheus metrics endpoint binds to; 0 disables it.")
	flag.StringVar(&probeAddr, "health-probe-bind-address", ":8081", "Address the /healthz and /readyz probes bind to.")
	flag.BoolVar(&leaderElect, "leader-elect", false, "Elect a leader so that only one replica reconciles at a time.")
	flag.StringVar(&defaults.PostgresVersion, "default-postgres-version", defaults.PostgresVersion, "Engine version for type postgresql when spec.version is empty.")
	flag.StringVar(&defaults.InstanceClass, "default-instance-class", defaults.InstanceClass, "RDS instance class when spec.instanceClass is empty.")
	flag.StringVar(&defaults.StorageType, "default-storage-type", defaults.StorageType, "RDS storage type when spec.storageType is empty.")
	flag.DurationVar(&defaults.PendingRequeue, "pending-requeue", defaults.PendingRequeue, "How often a database that is changing state in the cloud is looked at again.")
	opts := zap.Options{}
	opts.BindFlags(flag.CommandLine)
	flag.Parse()
	ctrl.SetLogger(zap.New(zap.UseFlagOptions(&opts)))
	setupLog := ctrl.Log.WithName("setup")

	if err := run(ctrl.SetupSignalHandler(), metricsAddr, probeAddr, leaderElect, defaults); err != nil {
		setupLog.Error(err, "manager stopped")
		os.Exit(1)
	}
}

func run(ctx context.Context, metricsAddr, probeAddr string, leaderElect bool, defaults controller.Defaults) error {
	scheme := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(scheme); err != nil {
		return err
	}
	if err := v1.AddToScheme(scheme); err != nil {
		return err
	}
	mgr, err := ctrl.NewManager(ctrl.GetConfigOrDie(), ctrl.Options{
		Scheme:                 scheme,
		Metrics:                metricsserver.Options{BindAddress: metricsAddr},
		HealthProbeBindAddress: probeAddr,
		LeaderElection:         leaderElect,
		LeaderElectionID:       "aws-rds-operator.matrixmind.cloud",
		Cache:                  CacheOptions(),
	})
	if err != nil {
		return err
	}
	provider, err := rds.NewFromEnvironment(ctx)
	if err != nil {
		return err
	}
	if err := (&controller.RDSDatabaseReconciler{
		Client:    mgr.GetClient(),
		APIReader: mgr.GetAPIReader(),
		Cloud:     provider,
		Engines:   postgres.Connector{},
		Recorder:  mgr.GetEventRecorder("aws-rds-operator"),
		Defaults:  defaults,
	}).SetupWithManager(mgr); err != nil {
		return err
	}
	if err := mgr.AddHealthzCheck("healthz", healthz.Ping); err != nil {
		return err
	}
	if err := mgr.AddReadyzCheck("readyz", healthz.Ping); err != nil {
		return err
	}
	return mgr.Start(ctx)
}

// CacheOptions keeps only the operator's own Secrets and Services in memory, not every Secret
// in the cluster.
func CacheOptions() cache.Options {
	own := labels.SelectorFromSet(labels.Set{v1.LabelManagedBy: v1.ManagedByValue})
	return cache.Options{ByObject: map[client.Object]cache.ByObject{
		&corev1.Secret{}:  {Label: own},
		&corev1.Service{}: {Label: own},
	}}
}
