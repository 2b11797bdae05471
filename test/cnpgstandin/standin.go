package cnpgstandin

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	cnpgv1 "github.com/cloudnative-pg/api/pkg/api/v1"
	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	"github.com/matrixmind-cloud/aws-rds-operator/internal/pgserver"
)

// Options configures Start.
type Options struct {
	// Dir holds the Clusters' servers and CAs, one directory per Cluster, and the copies the
	// Backups took (_backups); empty means a new temporary directory, which Stop removes.
	// When the stand-in runs as root its servers run as the postgres system user, which must
	// be able to reach it.
	Dir string
	// Builds are the PostgreSQL builds the servers run; nil means pgserver.DefaultBuilds.
	Builds *pgserver.Builds
	// Log receives the stand-in's log; the zero Logger discards it.
	Log logr.Logger
	// Namespace is where Dial resolves a bare Service name, as the resolver of a pod of
	// that namespace does; empty resolves none.
	Namespace string
}

// StandIn is a running stand-in for CloudNativePG's controller.
type StandIn struct {
	opts    Options
	tempDir bool
	cancel  context.CancelFunc
	// done is closed once the manager has stopped, runErr then holding why.
	done   chan struct{}
	runErr error

	mu sync.Mutex
	// instances are the Clusters' servers, by Cluster.
	instances map[types.NamespacedName]*instance
	// routes are where each Service of a Cluster leads, by Service.
	routes map[types.NamespacedName]route
	// primaries are the servers that serve, by Cluster, for its Backups.
	primaries map[types.NamespacedName]*primary
}

// primary is a Cluster's serving server, as the Backups of the Cluster reach it.
type primary struct {
	uid types.UID
	srv *pgserver.Server
	// backingUp is held while a Backup of the Cluster is taken: one at a time, as
	// CloudNativePG takes them.
	backingUp sync.Mutex
}

// Start starts the stand-in against the cluster at cfg, which must serve CloudNativePG's
// CRDs, and returns once it watches Clusters; ctx bounds the start only. It runs until Stop.
func Start(ctx context.Context, cfg *rest.Config, opts Options) (_ *StandIn, err error) {
	s := &StandIn{
		opts: opts, done: make(chan struct{}), instances: map[types.NamespacedName]*instance{},
		routes: map[types.NamespacedName]route{}, primaries: map[types.NamespacedName]*primary{},
	}
	if s.opts.Log.GetSink() == nil {
		s.opts.Log = logr.Discard() // not controller-runtime's global logger, which the manager would take
	}
	if s.opts.Builds == nil {
		if s.opts.Builds, err = pgserver.DefaultBuilds(); err != nil {
			return nil, err
		}
	}
	scheme := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(scheme); err != nil {
		return nil, err
	}
	if err := cnpgv1.AddToScheme(scheme); err != nil {
		return nil, err
	}
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{
		Scheme: scheme, Logger: s.opts.Log,
		Metrics: metricsserver.Options{BindAddress: "0"}, HealthProbeBindAddress: "0",
	})
	if err != nil {
		return nil, err
	}
	// Fail here, not in the background, when CloudNativePG's CRDs are not installed.
	if _, err := mgr.GetRESTMapper().RESTMapping(cnpgv1.SchemeGroupVersion.WithKind("Cluster").GroupKind()); err != nil {
		return nil, fmt.Errorf("CloudNativePG's Cluster CRD: %w", err)
	}
	if err := s.setUpControllers(mgr); err != nil {
		return nil, err
	}
	// The informers registered now are those the cache waits for below.
	for _, obj := range []client.Object{&cnpgv1.Cluster{}, &corev1.Service{}, &corev1.Secret{}, &cnpgv1.Backup{}, &cnpgv1.ScheduledBackup{}} {
		if _, err := mgr.GetCache().GetInformer(ctx, obj); err != nil {
			return nil, err
		}
	}
	if s.opts.Dir == "" {
		if s.opts.Dir, err = os.MkdirTemp("", "cnpg-standin-"); err != nil {
			return nil, err
		}
		s.tempDir = true
		// The servers' system user must reach their directories.
		if err := os.Chmod(s.opts.Dir, 0o755); err != nil {
			return nil, errors.Join(err, os.RemoveAll(s.opts.Dir))
		}
	}
	runCtx, cancel := context.WithCancel(context.Background())
	s.cancel = cancel
	go func() {
		defer close(s.done)
		s.runErr = mgr.Start(runCtx)
	}()
	if !mgr.GetCache().WaitForCacheSync(ctx) {
		return nil, errors.Join(fmt.Errorf("the stand-in's cache did not sync: %w", ctx.Err()), s.Stop())
	}
	return s, nil
}

// setUpControllers registers the controllers of Clusters, Backups and ScheduledBackups.
func (s *StandIn) setUpControllers(mgr ctrl.Manager) error {
	// Several stand-ins may run in one test binary, one after the other.
	opts := controller.Options{MaxConcurrentReconciles: 4, SkipNameValidation: ptr.To(true)}
	clusters := &reconciler{client: mgr.GetClient(), s: s}
	err := ctrl.NewControllerManagedBy(mgr).
		Named("cnpg-standin").
		For(&cnpgv1.Cluster{}).
		Owns(&corev1.Service{}).
		Watches(&corev1.Secret{}, handler.EnqueueRequestsFromMapFunc(clusters.clustersOfSecret)).
		Watches(&cnpgv1.Backup{}, handler.EnqueueRequestsFromMapFunc(clusters.clustersOfBackup)).
		WithOptions(opts).
		Complete(clusters)
	if err != nil {
		return err
	}
	backups := &backupReconciler{client: mgr.GetClient(), reader: mgr.GetAPIReader(), s: s}
	err = ctrl.NewControllerManagedBy(mgr).
		Named("cnpg-standin-backup").
		For(&cnpgv1.Backup{}).
		Watches(&cnpgv1.Cluster{}, handler.EnqueueRequestsFromMapFunc(backups.backupsOfCluster)).
		WithOptions(opts).
		Complete(backups)
	if err != nil {
		return err
	}
	scheduled := &scheduledBackupReconciler{client: mgr.GetClient(), reader: mgr.GetAPIReader(), log: s.opts.Log}
	return ctrl.NewControllerManagedBy(mgr).
		Named("cnpg-standin-scheduledbackup").
		For(&cnpgv1.ScheduledBackup{}).
		Watches(&cnpgv1.Backup{}, handler.EnqueueRequestsFromMapFunc(parentOfBackup)).
		Watches(&cnpgv1.Cluster{}, handler.EnqueueRequestsFromMapFunc(scheduled.scheduledBackupsOfCluster)).
		WithOptions(opts).
		Complete(scheduled)
}

// Stop stops watching, stops every server and removes its data and the copies of the
// Backups it took. Calling it again does nothing.
func (s *StandIn) Stop() error {
	s.cancel()
	<-s.done
	s.mu.Lock()
	instances := s.instances
	s.instances, s.routes = map[types.NamespacedName]*instance{}, map[types.NamespacedName]route{}
	s.primaries = map[types.NamespacedName]*primary{}
	s.mu.Unlock()
	errs := []error{s.runErr}
	for _, in := range instances {
		errs = append(errs, in.remove())
	}
	errs = append(errs, os.RemoveAll(filepath.Join(s.opts.Dir, backupsDir)))
	if s.tempDir {
		errs = append(errs, os.RemoveAll(s.opts.Dir))
		s.tempDir = false
	}
	s.runErr = nil
	return errors.Join(errs...)
}

// instanceOf returns the instance of Cluster c, making it when c has none yet and replacing
// that of an earlier Cluster of the same name.
func (s *StandIn) instanceOf(c *cnpgv1.Cluster) (*instance, error) {
	key := types.NamespacedName{Namespace: c.Namespace, Name: c.Name}
	s.mu.Lock()
	in := s.instances[key]
	s.mu.Unlock()
	if in != nil && in.uid == c.UID {
		return in, nil
	}
	if err := s.removeInstance(key); err != nil {
		return nil, err
	}
	in, err := newInstance(s.opts.Dir, c)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	s.instances[key] = in
	s.mu.Unlock()
	return in, nil
}

// removeInstance stops the server of a Cluster, removes its data and its routes.
func (s *StandIn) removeInstance(key types.NamespacedName) error {
	s.mu.Lock()
	in := s.instances[key]
	delete(s.instances, key)
	delete(s.primaries, key)
	s.unroute(key)
	s.mu.Unlock()
	if in == nil {
		return nil
	}
	return in.remove()
}

// setPrimary makes srv the server the Backups of Cluster c are taken of.
func (s *StandIn) setPrimary(c *cnpgv1.Cluster, srv *pgserver.Server) {
	key := types.NamespacedName{Namespace: c.Namespace, Name: c.Name}
	s.mu.Lock()
	defer s.mu.Unlock()
	if p := s.primaries[key]; p == nil || p.uid != c.UID || p.srv != srv {
		s.primaries[key] = &primary{uid: c.UID, srv: srv}
	}
}

// primaryOf returns the server of Cluster c; nil while it does not serve, or once it is
// being deleted.
func (s *StandIn) primaryOf(c *cnpgv1.Cluster) *primary {
	s.mu.Lock()
	defer s.mu.Unlock()
	if p := s.primaries[types.NamespacedName{Namespace: c.Namespace, Name: c.Name}]; p != nil && p.uid == c.UID {
		return p
	}
	return nil
}
