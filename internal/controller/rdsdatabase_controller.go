// Package controller reconciles RDSDatabase objects: Secrets first, then the cloud database,
// then users and databases inside the engine, then the completed Secrets and the Service, and
// status last, as the product contract (SPEC §3) reads.
package controller

import (
	"cmp"
	"context"
	"fmt"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/client-go/tools/events"
	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/controller-runtime/pkg/source"

	v1 "github.com/matrixmind-cloud/aws-rds-operator/api/v1"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/cloud"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/engine"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/metrics"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/naming"
)

// Defaults are the operator-wide settings applied where a spec leaves a field empty. They
// are the one place the operator reads them: the manager's flags fill them in.
type Defaults struct {
	// PostgresVersion is the engine version for type postgresql.
	PostgresVersion string
	// MySQLVersion is the engine version for type mysql.
	MySQLVersion string
	// MariaDBVersion is the engine version for type mariadb.
	MariaDBVersion string
	// InstanceClass is the instance class of engines whose cloud has no default of its
	// own (cloud.Provider.EngineDefaults); ClassInstanceClass, which a DatabaseClass sets,
	// is that of every engine.
	InstanceClass      string
	ClassInstanceClass string
	// StorageType is the storage type.
	StorageType string
	// StorageEncrypted encrypts new databases' storage when a spec does not say.
	StorageEncrypted bool
	// KMSKeyID is the KMS key of encrypted databases whose spec names none; empty means the
	// account's default key.
	KMSKeyID string
	// SubnetGroup is the DB subnet group of new databases whose spec names none; empty
	// leaves the cloud's default.
	SubnetGroup string
	// SecurityGroupIDs are the VPC security groups of databases whose spec names none;
	// empty leaves the cloud's default.
	SecurityGroupIDs []string
	// Tags are put on every cloud database, below the spec's own tags.
	Tags map[string]string
	// KeepsNoSnapshots says the placement's cloud keeps nothing of a database that
	// outlives it (SPEC §6; its provider's KeepsSnapshots, which the class wiring reads):
	// deletionPolicy Snapshot is refused there before anything is created, and an empty
	// deletionPolicy means Retain instead of Snapshot.
	KeepsNoSnapshots bool
	// ServerStorage says the placement's databases have no storage of their own (they are
	// made on an existing server, whose storage is its own): an empty spec.size asks for
	// none, where elsewhere it means DefaultSizeGiB.
	ServerStorage bool
	// PendingRequeue is how often an object is looked at again while its cloud database is
	// changing state.
	PendingRequeue time.Duration
	// Resync is how often a settled object is compared with its cloud database again, to
	// notice what changed behind the operator's back (a maintenance window applied, a
	// status such as storage-full).
	Resync time.Duration
	// Feed is how often the cloud's feed of changes (RDS's events) is read, for a cloud that
	// keeps one: a change behind the operator's back that it records (a class, storage or
	// password changed at the console, a deletion, a failover) is found within about Feed,
	// at one call per read whatever the number of databases. Zero reads no feed.
	Feed time.Duration
	// SafetyNet is how often every database is listed while the feed is read, for what the
	// feed does not carry (tags) or lost; without a feed they are listed every Resync.
	SafetyNet time.Duration
	// RecreateMissing creates the cloud database again when it disappeared (deleted outside
	// the operator); false only reports it.
	RecreateMissing bool
	// DeletionProtection turns the cloud's deletion protection on for every database whose
	// spec leaves spec.deletionProtection unset; false leaves it as the cloud has it.
	DeletionProtection bool
	// Allow is what a cluster admin lets namespaces ask for beyond the safe defaults.
	Allow Allowances
}

// DefaultSizeGiB is the storage asked for a database whose spec.size is empty.
const DefaultSizeGiB = 10

// DefaultDefaults are the defaults of the operator's flags.
var DefaultDefaults = Defaults{
	PostgresVersion:  "17",
	MySQLVersion:     "8.0",
	MariaDBVersion:   "10.11",
	InstanceClass:    "db.t4g.micro",
	StorageType:      "gp3",
	StorageEncrypted: true,
	PendingRequeue:   15 * time.Second,
	Resync:           10 * time.Minute,
	Feed:             time.Minute,
	SafetyNet:        30 * time.Minute,
}

// Version returns the general default engine version of e's engine family.
func (d Defaults) Version(e engineProfile) string {
	switch e.name {
	case mysqlProfile.name:
		return d.MySQLVersion
	case mariadbProfile.name:
		return d.MariaDBVersion
	}
	return d.PostgresVersion
}

// versionFor is the engine version of e where the spec names none: the cloud's own
// default for it, else the general one.
func (s *scope) versionFor(d Defaults, e engineProfile) string {
	v, _ := s.cloud.EngineDefaults(e.engine)
	return cmp.Or(v, d.Version(e))
}

// instanceClassFor is the instance class of e where the spec names none: the class's,
// else the cloud's own default for it, else the general one.
func (s *scope) instanceClassFor(e engineProfile) string {
	_, class := s.cloud.EngineDefaults(e.engine)
	return cmp.Or(s.defaults.ClassInstanceClass, class, s.defaults.InstanceClass)
}

// afterNewObjects is the work queue priority of the rest of a new object's first pass: below
// the events of new objects (priority 0), above the initial list of a restart.
const afterNewObjects = -1

// ownerRecheck is how often an object whose identifier is taken by another owner's cloud
// database is looked at again: the situation needs a person, not a tight loop.
const ownerRecheck = 10 * time.Minute

// RDSDatabaseReconciler reconciles RDSDatabase objects.
type RDSDatabaseReconciler struct {
	// Client reads through the manager's cache, which holds only the operator's own
	// Secrets and Services.
	Client client.Client
	// APIReader reads the apiserver directly, to look at a Secret the cache does not hold.
	APIReader client.Reader
	// CloudEvents names objects whose cloud database changed, seen by the shared view of
	// the cloud; nil when there is none.
	CloudEvents <-chan event.GenericEvent
	// Cloud makes the databases of objects on no DatabaseClass, with Defaults.
	Cloud cloud.Provider
	// Clouds serves DatabaseClasses; nil refuses every object that lands on one.
	Clouds  Clouds
	Engines engine.Connector
	// EngineCA is what the certificates of the database servers on Cloud chain to (the
	// cloud's CA bundle): engine sessions verify the server with it, and each user's
	// Secret carries it as ca.crt. Nil connects over TLS without verifying the server.
	EngineCA *engine.CABundle
	Recorder events.EventRecorder
	// Clock tells the time for backup schedules; nil is the real clock.
	Clock    clock.PassiveClock
	Defaults Defaults

	// warned remembers the warnings given once per object and operator run.
	warned sync.Map
	// exportChecks remembers, per object, when its backups were last looked at for one to
	// export, and the backups found then whose export has not started yet (a start the
	// rate limit deferred is not looked up again).
	exportChecks sync.Map
	// pruneOwed holds, per object, the scheduled snapshot after which old ones are still to
	// be pruned: the prune failed or the rate limit deferred it.
	pruneOwed sync.Map
}

// scope carries what one phase learned to the next.
type scope struct {
	db *v1.RDSDatabase
	// before is db as read, to write only what changed.
	before     *v1.RDSDatabase
	identifier string
	// cloud makes the object's database, and defaults are the operator's defaults with its
	// class's parameters over them, once reconcilePlacement decided where it goes.
	cloud    cloud.Provider
	defaults Defaults
	// class is the DatabaseClass the object is placed on; nil on the operator's own
	// settings.
	class *v1.DatabaseClass
	// engineCA is what the database server's certificate chains to; nil: not verified.
	engineCA *engine.CABundle
	// credentials by user name; the master is under db.Spec.MasterUser.
	credentials map[string]credential
	// instance is the cloud database once observed.
	instance *cloud.Instance
	// desired is the cloud database the spec asks for, once the cloud phase built it.
	desired cloud.Desired
	// events are condition changes to announce once the status that holds them is written.
	events []pendingEvent
	// repair is set when a Secret was made this pass: its password must be applied.
	repair bool
	// reader is where the readers are reached (a reader's own endpoint, or the cloud's
	// reader endpoint), empty while there are none.
	reader endpointAddress
	// soon asks for the object to be looked at again after PendingRequeue rather than
	// Resync: something that does not hold up the rest (read replicas) is changing.
	soon bool
}

// credential is one user's Secret and password.
type credential struct {
	secret   string
	password string
	// token is true for a user who logs in with a token from the cloud (the role iam): its
	// Secret holds no password, and password is empty.
	token bool
	// pending is the rotation whose password is in the Secret but not yet verified.
	pending string
}

// newScope starts a reconcile of db, remembering its state as read.
func newScope(db *v1.RDSDatabase) *scope {
	return &scope{
		db: db, before: db.DeepCopy(),
		identifier: naming.Identifier(db.Namespace, db.Name), credentials: map[string]credential{},
	}
}

// phase is one named step of a reconcile. A non-zero result or an error ends its chain of
// phases there: later phases of the chain need what this one could not finish.
type phase func(ctx context.Context, s *scope) (ctrl.Result, error)

// +kubebuilder:rbac:groups=matrixmind.cloud,resources=rdsdatabases,verbs=get;list;watch;update;patch
// +kubebuilder:rbac:groups=matrixmind.cloud,resources=rdsdatabases/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=matrixmind.cloud,resources=rdsdatabases/finalizers,verbs=update
// +kubebuilder:rbac:groups=matrixmind.cloud,resources=databaseclasses,verbs=get;list;watch
// +kubebuilder:rbac:groups="",resources=secrets,verbs=get;list;watch;create;update;patch;delete
// +kubebuilder:rbac:groups="",resources=services,verbs=get;list;watch;create;update;patch;delete
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch

// Reconcile implements reconcile.Reconciler.
func (r *RDSDatabaseReconciler) Reconcile(ctx context.Context, req ctrl.Request) (result ctrl.Result, err error) {
	db := &v1.RDSDatabase{}
	if err := r.Client.Get(ctx, req.NamespacedName, db); err != nil {
		if apierrors.IsNotFound(err) {
			metrics.ForgetDatabase(req.String())
		}
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if !db.DeletionTimestamp.IsZero() {
		return r.reconcileDelete(ctx, db)
	}

	s := newScope(db)
	secretsOnly, backToNormal := false, false
	defer func() {
		if namespaceTerminating(err) {
			// Not a failure to retry: the object's own deletion comes next.
			result, err = ctrl.Result{}, nil
		}
		r.summarize(s)
		metrics.SetDatabase(req.String(), db.Status.Phase, engineOf(db).name)
		metrics.SetConditions(req.Namespace, req.Name, db.Status.Conditions)
		if secretsOnly {
			return // the status waits for the rest of the pass, a moment later
		}
		if perr := r.writeStatus(ctx, s); perr != nil && err == nil {
			result, err = conflictRequeue(perr)
		}
		if backToNormal && (!result.IsZero() || err != nil) {
			// The work queue keeps a request's priority on requeue: after the lowered
			// rest of its first pass, the object is an ordinary one again.
			result.Priority = new(0)
		}
	}()

	// The Secrets come first, before even the finalizer: they are what a team waits for,
	// and they need no finalizer, since they outlive the object anyway. Nothing reaches the
	// cloud before the finalizer is on.
	if result, err = r.reconcileSecrets(ctx, s); err != nil || !result.IsZero() {
		return result, err
	}
	if controllerutil.AddFinalizer(db, v1.Finalizer) {
		if s.repair {
			// A new object: its credentials are what its team waits for. The rest of its
			// first pass (the finalizer, the cloud) comes back after every other new
			// object's Secrets, so a burst of new objects all get theirs first. Its status
			// is written then too: the Secrets are the only writes of this pass.
			secretsOnly = true
			return ctrl.Result{RequeueAfter: time.Millisecond, Priority: new(afterNewObjects)}, nil
		}
		backToNormal = true
		if err := r.Client.Update(ctx, db); err != nil {
			return conflictRequeue(err)
		}
		// The status is written against the object as it is now.
		s.before.ResourceVersion, s.before.Finalizers = db.ResourceVersion, db.Finalizers
	}

	if result, err = runPhases(ctx, s, r.reconcilePlacement, r.reconcileCloudDatabase); err != nil || !result.IsZero() {
		return result, err
	}
	// From here on the cloud database is there and serving. Backups are the cloud's business
	// and keep their schedule whatever the engine does: they run even when a phase of the
	// engine's chain (unreachable, refusing a login, waiting) ended that chain.
	result, err = runPhases(ctx, s,
		r.reconcileRotationStarts,
		r.reconcileMasterPassword,
		r.reconcileEngineUsers,
		r.reconcileRotations,
		r.reconcileAccess,
		r.reconcileReplicas,
		r.reconcileConnectionSecrets,
		r.reconcileService,
	)
	// Parameters are the cloud's too: one the engine refuses to start with must still be
	// changeable, so they do not wait for the engine's chain, nor it for them.
	backups, backupErr := runPhases(ctx, s, r.reconcileBackups, r.reconcileManualSnapshot, r.reconcileExports)
	params, paramsErr := runPhases(ctx, s, r.reconcileParameters)
	backups, backupErr = joinResults(ctx, backups, backupErr, params, paramsErr)
	if result, err = joinResults(ctx, result, err, backups, backupErr); err != nil || !result.IsZero() {
		return result, err
	}
	if s.soon {
		return ctrl.Result{RequeueAfter: r.Defaults.PendingRequeue}, nil
	}
	return ctrl.Result{RequeueAfter: r.Defaults.Resync}, nil
}

// runPhases runs phases in order until one returns a non-zero result or an error, and
// returns that.
func runPhases(ctx context.Context, s *scope, phases ...phase) (ctrl.Result, error) {
	for _, p := range phases {
		if result, err := p(ctx, s); err != nil || !result.IsZero() {
			return result, err
		}
	}
	return ctrl.Result{}, nil
}

// joinResults joins the outcomes of two independent chains of phases, the engine's (a) and
// the backups' (b). A chain that asked to come back at a set time is come back to then (the
// sooner of two), even when the other chain failed: a call the operator's cloud rate limit
// deferred keeps its turn only if the pass comes back on time, and an error's backoff, which
// grows to minutes while an engine stays down, would lose the backups' turn every time and
// stall them. The failure is then logged rather than returned (and said in its phase's
// condition, where the phase sets one); the next pass meets it again. Otherwise an error is returned, the engine's over the
// backups': every failure of the backups' chain is in BackupsConfigured and its Event.
func joinResults(ctx context.Context, a ctrl.Result, aErr error, b ctrl.Result, bErr error) (ctrl.Result, error) {
	switch {
	case aErr != nil && bErr != nil:
		return a, aErr
	case aErr != nil && !b.IsZero():
		log.FromContext(ctx).Error(aErr, "Reconciler error; the pass comes back when the backups asked")
		return b, nil
	case bErr != nil && !a.IsZero():
		log.FromContext(ctx).Error(bErr, "Reconciler error; the pass comes back when the engine's phases asked")
		return a, nil
	case aErr != nil:
		return a, aErr
	case bErr != nil:
		return b, bErr
	case a.IsZero():
		return b, nil
	case b.IsZero() || a.RequeueAfter <= b.RequeueAfter:
		return a, nil
	}
	return b, nil
}

// conflictRequeue turns an apiserver conflict into a quick requeue without an error: another
// writer got there first, and the next reconcile reads its version. Other errors pass.
func conflictRequeue(err error) (ctrl.Result, error) {
	if apierrors.IsConflict(err) {
		return ctrl.Result{RequeueAfter: time.Second}, nil
	}
	return ctrl.Result{}, err
}

// SetupWithManager registers the reconciler with mgr. Reconciles are triggered by spec
// changes and deletion (not by its own status writes), by changes to the Secrets and Service
// it made, and by its own requeues while the cloud database changes state.
func (r *RDSDatabaseReconciler) SetupWithManager(mgr ctrl.Manager) error {
	toOwner := handler.EnqueueRequestsFromMapFunc(func(_ context.Context, o client.Object) []reconcile.Request {
		name, ok := o.GetLabels()[v1.LabelDatabase]
		if !ok {
			return nil
		}
		return []reconcile.Request{{NamespacedName: client.ObjectKey{Namespace: o.GetNamespace(), Name: name}}}
	})
	b := ctrl.NewControllerManagedBy(mgr).
		For(&v1.RDSDatabase{}, builder.WithPredicates(predicate.Or(
			predicate.GenerationChangedPredicate{},
			predicate.AnnotationChangedPredicate{},
			predicate.LabelChangedPredicate{},
		))).
		// The operator creates these itself: only a change or a deletion by someone else
		// needs a look (a deleted Secret is made again, a changed Service put back).
		Watches(&corev1.Secret{}, toOwner, builder.WithPredicates(notCreated)).
		Watches(&corev1.Service{}, toOwner, builder.WithPredicates(notCreated)).
		// A class appearing or changing concerns the objects on it and those waiting for
		// one.
		Watches(&v1.DatabaseClass{}, handler.EnqueueRequestsFromMapFunc(r.objectsOfClass)).
		Named("rdsdatabase")
	if r.CloudEvents != nil {
		b = b.WatchesRawSource(source.Channel(r.CloudEvents, &handler.EnqueueRequestForObject{}))
	}
	return b.Complete(r)
}

// notCreated lets every event through but creations.
var notCreated = predicate.Funcs{CreateFunc: func(event.CreateEvent) bool { return false }}

// event records an Event on db. note must never hold a password.
func (r *RDSDatabaseReconciler) event(db *v1.RDSDatabase, eventType, reason, format string, args ...any) {
	r.eventAbout(db, eventType, reason, "", format, args...)
}

// eventAbout records an Event on db about one subject (a user, a database). Events with the
// same reason are folded into one series that keeps the first note, so the subject goes
// into the Event's action: two users removed make two Events, not one.
func (r *RDSDatabaseReconciler) eventAbout(db *v1.RDSDatabase, eventType, reason, subject, format string, args ...any) {
	if r.Recorder == nil {
		return
	}
	action := reason
	if subject != "" {
		action = reason + " " + subject
	}
	r.Recorder.Eventf(db, nil, eventType, reason, action, format, args...)
}

// errorf wraps an error with the object's name for logs; it never includes a password.
func errorf(db *v1.RDSDatabase, format string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s/%s: "+format+": %w", db.Namespace, db.Name, err)
}
