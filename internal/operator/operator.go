// Package operator wires the operator's parts into a controller-runtime manager: the scheme,
// the cache, the RDS provider, the PostgreSQL engine admin and the reconciler. The manager
// binary and the integration tests build it the same way.
package operator

import (
	"context"
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/config"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	"sigs.k8s.io/controller-runtime/pkg/manager"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	v1 "github.com/matrixmind-cloud/aws-rds-operator/api/v1"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/cloud"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/cloud/observer"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/cloud/rds"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/controller"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/engine"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/engine/postgres"
)

// Options configures the operator.
type Options struct {
	// MetricsAddr is where Prometheus metrics are served; "0" disables them.
	MetricsAddr string
	// ProbeAddr is where /healthz and /readyz are served; "0" disables them.
	ProbeAddr string
	// LeaderElect makes replicas elect one leader to reconcile.
	LeaderElect bool
	// Defaults apply where a spec leaves a field empty.
	Defaults controller.Defaults
	// Cloud is the cloud provider; nil means RDS configured from the environment.
	Cloud cloud.Provider
	// Engines opens sessions on database engines; nil means PostgreSQL over pgx.
	Engines engine.Connector
	// Clock tells the time for backup schedules; nil is the real clock.
	Clock clock.PassiveClock
	// Restartable lets a process build the manager more than once (tests stop and start
	// the operator to prove crash safety); controller names must otherwise be unique.
	Restartable bool
}

// Scheme returns the scheme with the Kubernetes types and the operator's own.
func Scheme() (*runtime.Scheme, error) {
	scheme := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(scheme); err != nil {
		return nil, err
	}
	if err := v1.AddToScheme(scheme); err != nil {
		return nil, err
	}
	return scheme, nil
}

// Leader election (on when several replicas run) keeps its lease here.
// +kubebuilder:rbac:groups=coordination.k8s.io,resources=leases,verbs=get;list;watch;create;update;patch;delete

// New returns a manager running the RDSDatabase reconciler against the cluster at cfg.
func New(ctx context.Context, cfg *rest.Config, opts Options) (manager.Manager, error) {
	scheme, err := Scheme()
	if err != nil {
		return nil, err
	}
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{
		Scheme:                 scheme,
		Metrics:                metricsserver.Options{BindAddress: opts.MetricsAddr},
		HealthProbeBindAddress: opts.ProbeAddr,
		LeaderElection:         opts.LeaderElect,
		LeaderElectionID:       "aws-rds-operator.matrixmind.cloud",
		Cache:                  cacheOptions(),
		Controller:             config.Controller{SkipNameValidation: &opts.Restartable},
	})
	if err != nil {
		return nil, fmt.Errorf("create manager: %w", err)
	}
	provider := opts.Cloud
	if provider == nil {
		if provider, err = rds.NewFromEnvironment(ctx); err != nil {
			return nil, err
		}
	}
	engines := opts.Engines
	if engines == nil {
		engines = postgres.Connector{}
	}
	// One shared view of the cloud serves every object; a change seen in it wakes the
	// object it belongs to.
	changed := make(chan event.GenericEvent, 1024)
	shared := observer.New(provider, observer.Options{
		Interval: opts.Defaults.Resync,
		Busy:     opts.Defaults.PendingRequeue,
		OwnerTag: v1.TagOwner,
		Log:      ctrl.Log.WithName("cloud-observer"),
		Changed: func(owner string) {
			ns, name, ok := strings.Cut(owner, "/")
			if !ok {
				return
			}
			select {
			case changed <- event.GenericEvent{Object: &v1.RDSDatabase{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}}:
			default: // never block the view; the object's own resync catches up
			}
		},
	})
	if err := mgr.Add(shared); err != nil {
		return nil, err
	}
	if err := (&controller.RDSDatabaseReconciler{
		Client:      mgr.GetClient(),
		APIReader:   mgr.GetAPIReader(),
		CloudEvents: changed,
		Cloud:       shared,
		Engines:     engines,
		Clock:       opts.Clock,
		Recorder:    mgr.GetEventRecorder("aws-rds-operator"),
		Defaults:    opts.Defaults,
	}).SetupWithManager(mgr); err != nil {
		return nil, fmt.Errorf("set up the RDSDatabase controller: %w", err)
	}
	if err := mgr.AddHealthzCheck("healthz", healthz.Ping); err != nil {
		return nil, err
	}
	if err := mgr.AddReadyzCheck("readyz", healthz.Ping); err != nil {
		return nil, err
	}
	return mgr, nil
}

// cacheOptions keeps only the operator's own Secrets and Services in memory, not every Secret
// in the cluster.
func cacheOptions() cache.Options {
	own := labels.SelectorFromSet(labels.Set{v1.LabelManagedBy: v1.ManagedByValue})
	return cache.Options{ByObject: map[client.Object]cache.ByObject{
		&corev1.Secret{}:  {Label: own},
		&corev1.Service{}: {Label: own},
	}}
}
