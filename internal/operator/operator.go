// Package operator wires the operator's parts into a controller-runtime manager: the scheme,
// the cache, the RDS provider, the PostgreSQL engine admin and the reconciler. The manager
// binary and the integration tests build it the same way.
package operator

import (
	"context"
	"crypto/tls"
	"fmt"
	cnpgv1 "github.com/cloudnative-pg/api/pkg/api/v1"
	"hash/fnv"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	eventsv1client "k8s.io/client-go/kubernetes/typed/events/v1"
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
	"github.com/matrixmind-cloud/aws-rds-operator/internal/cloud/cloudnativepg"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/cloud/existing"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/cloud/observer"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/cloud/rds"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/controller"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/engine"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/engine/mysql"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/engine/postgres"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/eventrec"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/logapi"
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
	// Engines opens sessions on database engines; nil means Engines().
	Engines engine.Connector
	// EngineCA is what the certificates of RDS database servers chain to (AWS's RDS CA
	// bundle): the operator verifies every session to them with it, and users' Secrets
	// carry it as ca.crt. Nil connects over TLS without verifying the server.
	EngineCA *engine.CABundle
	// Clock tells the time for backup schedules; nil is the real clock.
	Clock clock.PassiveClock
	// Restartable lets a process build the manager more than once (tests stop and start
	// the operator to prove crash safety); controller names must otherwise be unique.
	Restartable bool
	// RateLimit bounds the RDS API calls of the whole operator (every reconciler and the
	// shared view of the cloud), when Cloud is nil. Its zero value disables the limit; the
	// manager's flags default to rds.DefaultRateLimit.
	RateLimit rds.RateLimit
	// Aurora are the Aurora types' defaults of the RDS providers it makes, when Cloud is
	// nil; its empty fields are rds.DefaultAurora's.
	Aurora rds.AuroraDefaults
	// MaxConcurrentReconciles is how many objects are reconciled at once; 0 means
	// DefaultMaxConcurrentReconciles.
	MaxConcurrentReconciles int
	// WatchNamespaces restricts the operator, its cache included, to these namespaces; empty
	// means all. With it, namespace-scoped RBAC in those namespaces is enough.
	WatchNamespaces []string
	// ShardSelector restricts the operator to the RDSDatabase objects its labels select;
	// nil or empty means all. Each operator of a sharded fleet gets a disjoint selector.
	ShardSelector labels.Selector
	// PprofAddr is where net/http/pprof is served; "" or "0" disables it.
	PprofAddr string
	// LogAPI serves databases' logs to Kubernetes users (package logapi) when its Addr is
	// set and not "0".
	LogAPI LogAPIOptions
	// NewGCP builds the Cloud SQL provider of a gcp DatabaseClass's project and region; nil
	// refuses gcp classes.
	NewGCP func(ctx context.Context, project, region string) (cloud.Provider, error)
	// NewAzure builds the flexible-server provider of an azure DatabaseClass's
	// subscription, resource group and location; nil refuses azure classes.
	NewAzure func(ctx context.Context, subscription, resourceGroup, location string) (cloud.Provider, error)
	// AzureCA is what Azure flexible servers' certificates chain to (--azure-ca-bundle);
	// nil connects to them over TLS without verifying the server.
	AzureCA *engine.CABundle
	// NewExisting builds the provider of an existing DatabaseClass's server from its
	// configuration; nil is existing.New.
	NewExisting func(existing.Config) (cloud.Provider, error)
	// NewCloudNativePG builds the provider of a cloudnativepg DatabaseClass from its
	// configuration; nil is cloudnativepg.New.
	NewCloudNativePG func(cloudnativepg.Config) (cloud.Provider, error)
}

// LogAPIOptions configures the log API.
type LogAPIOptions struct {
	// Addr is where it is served; "" or "0" turns it off.
	Addr string
	// Certificate is its TLS certificate, which the APIService's caBundle verifies.
	Certificate tls.Certificate
	// Poll is how often a follower reads again; 0 means logapi.DefaultPoll.
	Poll time.Duration
}

// DefaultMaxConcurrentReconciles keeps a burst of new objects from queueing behind each
// other: a reconcile mostly waits on the apiserver, and never on the AWS rate limit, which
// gives a waiting database a later turn instead of holding its worker.
const DefaultMaxConcurrentReconciles = 32

// Scheme returns the scheme with the Kubernetes types and the operator's own.
func Scheme() (*runtime.Scheme, error) {
	scheme := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(scheme); err != nil {
		return nil, err
	}
	if err := v1.AddToScheme(scheme); err != nil {
		return nil, err
	}
	// CloudNativePG's Clusters, which cloudnativepg classes make (CloudNativePG need not be
	// installed for the others).
	if err := cnpgv1.AddToScheme(scheme); err != nil {
		return nil, err
	}
	return scheme, nil
}

// A cloudnativepg class's databases are CloudNativePG Clusters; the admin Secrets of
// existing classes are read past the cache, and their final snapshots are dump Jobs in the
// admin Secret's namespace.
// +kubebuilder:rbac:groups=batch,resources=jobs,verbs=get;create
// +kubebuilder:rbac:groups=postgresql.cnpg.io,resources=clusters;backups;scheduledbackups,verbs=get;list;watch;create;patch;delete

// Leader election (on when several replicas run) keeps its lease here.
// +kubebuilder:rbac:groups=coordination.k8s.io,resources=leases,verbs=get;list;watch;create;update;patch;delete

// New returns a manager running the RDSDatabase reconciler against the cluster at cfg.
func New(ctx context.Context, cfg *rest.Config, opts Options) (manager.Manager, error) {
	scheme, err := Scheme()
	if err != nil {
		return nil, err
	}
	workers := opts.MaxConcurrentReconciles
	if workers <= 0 {
		workers = DefaultMaxConcurrentReconciles
	}
	pprofAddr := opts.PprofAddr
	if pprofAddr == "0" {
		pprofAddr = ""
	}
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{
		Scheme:                 scheme,
		Metrics:                metricsserver.Options{BindAddress: opts.MetricsAddr},
		HealthProbeBindAddress: opts.ProbeAddr,
		PprofBindAddress:       pprofAddr,
		LeaderElection:         opts.LeaderElect,
		LeaderElectionID:       leaderElectionID(opts),
		Cache:                  cacheOptions(opts),
		Controller:             config.Controller{SkipNameValidation: &opts.Restartable, MaxConcurrentReconciles: workers},
	})
	if err != nil {
		return nil, fmt.Errorf("create manager: %w", err)
	}
	provider := opts.Cloud
	// One limiter for every RDS provider: AWS's limit is the account's.
	limiter := rds.NewLimiter(opts.RateLimit)
	if provider == nil {
		rdsProvider, err := rds.NewLimited(ctx, limiter)
		if err != nil {
			return nil, err
		}
		provider = rdsProvider.UseAurora(opts.Aurora)
	}
	engines := opts.Engines
	if engines == nil {
		engines = Engines()
	}
	// One shared view of the cloud serves every object; a change seen in it wakes the
	// object it belongs to.
	changed := make(chan event.GenericEvent, 1024)
	view := func(name string, p cloud.Provider) (cloud.Provider, error) {
		shared := newView(mgr, name, p, changed, opts)
		if err := mgr.Add(shared); err != nil {
			return nil, err
		}
		return shared, nil
	}
	builtin, err := view("aws", provider)
	if err != nil {
		return nil, err
	}
	clouds := &classClouds{
		builtin: builtin,
		view:    view,
		newAWS: func(ctx context.Context, region string) (cloud.Provider, error) {
			p, err := rds.NewInRegion(ctx, limiter, region)
			if err != nil {
				return nil, err
			}
			return p.UseAurora(opts.Aurora), nil
		},
		newGCP:      opts.NewGCP,
		newAzure:    opts.NewAzure,
		awsCA:       opts.EngineCA,
		azureCA:     opts.AzureCA,
		secrets:     mgr.GetAPIReader(),
		kube:        mgr.GetClient(),
		newExisting: opts.NewExisting,
		newCNPG:     opts.NewCloudNativePG,
	}
	recorder, err := newRecorder(mgr)
	if err != nil {
		return nil, err
	}
	reconciler := &controller.RDSDatabaseReconciler{
		Client:      mgr.GetClient(),
		APIReader:   mgr.GetAPIReader(),
		CloudEvents: changed,
		Cloud:       builtin,
		Clouds:      clouds,
		Engines:     engines,
		EngineCA:    opts.EngineCA,
		Clock:       opts.Clock,
		Recorder:    recorder,
		Defaults:    opts.Defaults,
	}
	if err := reconciler.SetupWithManager(mgr); err != nil {
		return nil, fmt.Errorf("set up the RDSDatabase controller: %w", err)
	}
	if a := opts.LogAPI; a.Addr != "" && a.Addr != "0" {
		server := logapi.New(logapi.Config{
			Addr: a.Addr, Certificate: a.Certificate, Poll: a.Poll,
			Reader: mgr.GetAPIReader(), Client: mgr.GetClient(), Locate: reconciler.CloudOf,
		})
		if err := mgr.Add(server); err != nil {
			return nil, err
		}
	}
	if err := mgr.AddHealthzCheck("healthz", healthz.Ping); err != nil {
		return nil, err
	}
	if err := mgr.AddReadyzCheck("readyz", healthz.Ping); err != nil {
		return nil, err
	}
	return mgr, nil
}

// newRecorder returns the operator's Event recorder, which keeps no copy of an Event once
// written (package eventrec says why), as a Runnable of mgr.
func newRecorder(mgr manager.Manager) (*eventrec.Recorder, error) {
	events, err := eventsv1client.NewForConfigAndClient(mgr.GetConfig(), mgr.GetHTTPClient())
	if err != nil {
		return nil, fmt.Errorf("an Events client: %w", err)
	}
	recorder := eventrec.New(func(ctx context.Context, ev *eventsv1.Event) error {
		_, err := events.Events(ev.Namespace).Create(ctx, ev, metav1.CreateOptions{})
		return err
	}, mgr.GetScheme(), "aws-rds-operator", mgr.GetLogger().WithName("events"))
	return recorder, mgr.Add(recorder)
}

// newView returns a shared view of the cloud behind p: one List serves every object on it,
// and a change seen in it wakes the object it belongs to through changed.
func newView(mgr manager.Manager, name string, p cloud.Provider, changed chan<- event.GenericEvent, opts Options) *observer.Observer {
	return observer.New(p, observer.Options{
		Name:      name,
		Interval:  opts.Defaults.Resync,
		Feed:      opts.Defaults.Feed,
		SafetyNet: opts.Defaults.SafetyNet,
		Busy:      opts.Defaults.PendingRequeue,
		OwnerTag:  v1.TagOwner,
		Owns:      owns(mgr.GetCache(), opts),
		Log:       ctrl.Log.WithName("cloud-observer"),
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
}

// Engines returns the connectors of every engine the operator serves, by RDS engine name.
func Engines() engine.ByEngine {
	return EnginesDialing(nil)
}

// EnginesDialing is Engines with PostgreSQL sessions opened through dial (nil: the
// network's own), for a test harness whose database servers answer at names no resolver
// knows (CloudNativePG's Services, without a cluster network).
func EnginesDialing(dial postgres.DialFunc) engine.ByEngine {
	pg := postgres.Connector{Dial: dial}
	return engine.ByEngine{
		"postgres": pg, "aurora-postgresql": pg,
		// RDS for MariaDB speaks MySQL's protocol and grants, so MySQL's connector serves it.
		"mysql": mysql.Connector{}, "mariadb": mysql.Connector{}, "aurora-mysql": mysql.Connector{},
	}
}

// cacheOptions keeps only the operator's own Secrets and Services in memory, not every Secret
// in the cluster, and only its shard: the watched namespaces and the RDSDatabase objects the
// shard selector selects. Every read of the reconciler goes through this cache, so an object
// outside the shard is never reconciled.
func cacheOptions(opts Options) cache.Options {
	own := labels.SelectorFromSet(labels.Set{v1.LabelManagedBy: v1.ManagedByValue})
	c := cache.Options{ByObject: map[client.Object]cache.ByObject{
		&corev1.Secret{}:  {Label: own},
		&corev1.Service{}: {Label: own},
	},
		// managedFields are most of a small object's size and the operator never reads
		// them; an update without them keeps the apiserver's.
		DefaultTransform: cache.TransformStripManagedFields(),
	}
	if sharded(opts.ShardSelector) {
		c.ByObject[&v1.RDSDatabase{}] = cache.ByObject{Label: opts.ShardSelector}
	}
	if len(opts.WatchNamespaces) > 0 {
		c.DefaultNamespaces = map[string]cache.Config{}
		for _, ns := range opts.WatchNamespaces {
			c.DefaultNamespaces[ns] = cache.Config{}
		}
	}
	return c
}

func sharded(sel labels.Selector) bool { return sel != nil && !sel.Empty() }

// leaderElectionID gives each shard its own lease: replicas of one shard elect a leader,
// shards run side by side.
func leaderElectionID(opts Options) string {
	id := "aws-rds-operator.matrixmind.cloud"
	if !sharded(opts.ShardSelector) && len(opts.WatchNamespaces) == 0 {
		return id
	}
	h := fnv.New32a()
	_, _ = h.Write([]byte(strings.Join(opts.WatchNamespaces, ",") + "|"))
	if sharded(opts.ShardSelector) {
		_, _ = h.Write([]byte(opts.ShardSelector.String()))
	}
	return fmt.Sprintf("%08x.%s", h.Sum32(), id)
}

// owns tells the shared view of the cloud which owner tags name objects of this shard: those
// in its cache. An unsharded operator owns every owner.
func owns(c cache.Cache, opts Options) func(owner string) bool {
	if !sharded(opts.ShardSelector) && len(opts.WatchNamespaces) == 0 {
		return nil
	}
	return func(owner string) bool {
		ns, name, ok := strings.Cut(owner, "/")
		if !ok || (len(opts.WatchNamespaces) > 0 && !slices.Contains(opts.WatchNamespaces, ns)) {
			return false
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		return c.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, &v1.RDSDatabase{}) == nil
	}
}
