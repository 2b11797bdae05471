package cnpgstandin

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"time"

	cnpgv1 "github.com/cloudnative-pg/api/pkg/api/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/matrixmind-cloud/aws-rds-operator/internal/pgserver"
)

// reconciler does for each Cluster what CloudNativePG's operator and instance manager do,
// with one local server in place of the pods.
type reconciler struct {
	client client.Client
	s      *StandIn
}

// scope carries what one phase of a Cluster's reconcile learned to the next, and to its
// status.
type scope struct {
	cluster *cnpgv1.Cluster
	// written is the Cluster as its status was last written.
	written *cnpgv1.Cluster
	inst    *instance
	// serving is true once the server runs PostgreSQL major.
	serving bool
	major   int
	// waiting says why the server does not serve yet (status.phaseReason).
	waiting string
	// appVersion is the resourceVersion of the application owner's Secret, roleVersions
	// those of the managed roles' Secrets, by Secret.
	appVersion   string
	roleVersions map[string]string
	// roles is the state of spec.managed.roles; nil when there are none.
	roles *cnpgv1.ManagedRoles
}

// conflictRequeue is how soon a reconcile that met a stale cache is tried again.
const conflictRequeue = 200 * time.Millisecond

// Reconcile implements reconcile.Reconciler.
func (r *reconciler) Reconcile(ctx context.Context, req ctrl.Request) (_ ctrl.Result, err error) {
	c := &cnpgv1.Cluster{}
	if err := r.client.Get(ctx, req.NamespacedName, c); apierrors.IsNotFound(err) {
		return ctrl.Result{}, r.s.removeInstance(req.NamespacedName)
	} else if err != nil {
		return ctrl.Result{}, err
	}
	if !c.DeletionTimestamp.IsZero() {
		// The pods go as soon as their Cluster is being deleted.
		return ctrl.Result{}, r.s.removeInstance(req.NamespacedName)
	}
	sc := &scope{cluster: c, written: c.DeepCopy()}
	defer func() {
		if werr := r.writeStatus(ctx, sc); werr != nil && !apierrors.IsNotFound(werr) {
			err = errors.Join(err, werr)
		}
	}()
	phases := []func(context.Context, *scope) error{
		r.reconcilePKI, r.reconcileServices, r.reconcilePrimary, r.reconcileRoles, r.reconcileOwner,
	}
	for _, phase := range phases {
		err := phase(ctx, sc)
		if apierrors.IsConflict(err) || apierrors.IsAlreadyExists(err) {
			return ctrl.Result{RequeueAfter: conflictRequeue}, nil // the cache had not seen a write yet
		}
		if err != nil {
			sc.waiting = err.Error()
			return ctrl.Result{}, err
		}
		if sc.waiting != "" {
			return ctrl.Result{}, nil // an event (a Secret created) brings the Cluster back
		}
	}
	return ctrl.Result{}, nil
}

// reconcilePKI makes the Cluster's instance and CA, and writes its Secrets.
func (r *reconciler) reconcilePKI(ctx context.Context, sc *scope) error {
	in, err := r.s.instanceOf(sc.cluster)
	if err != nil {
		return err
	}
	sc.inst = in
	c := sc.cluster
	for _, want := range []*corev1.Secret{
		caSecret(c, in.pki.ca.PEM, in.pki.caKey),
		tlsSecret(c, c.Name+suffixServer, in.pki.serverCert, in.pki.serverKey),
		tlsSecret(c, c.Name+suffixReplication, in.pki.replicationCert, in.pki.replicationKey),
	} {
		if err := r.applySecret(ctx, c, want); err != nil {
			return err
		}
	}
	return nil
}

// reconcileServices writes the Cluster's enabled default Services and deletes those since
// disabled.
func (r *reconciler) reconcileServices(ctx context.Context, sc *scope) error {
	c := sc.cluster
	for _, want := range desiredServices(c) {
		if err := r.applyService(ctx, c, want); err != nil {
			return err
		}
	}
	for _, svc := range services {
		if serviceEnabled(c, svc.selector) {
			continue
		}
		got := &corev1.Service{}
		err := r.client.Get(ctx, client.ObjectKey{Namespace: c.Namespace, Name: c.Name + svc.suffix}, got)
		if apierrors.IsNotFound(err) {
			continue
		}
		if err != nil {
			return err
		}
		if metav1.IsControlledBy(got, c) {
			if err := r.client.Delete(ctx, got); client.IgnoreNotFound(err) != nil {
				return err
			}
		}
	}
	return nil
}

// reconcilePrimary starts the Cluster's server once what its bootstrap needs exists, and
// routes the Cluster's Services (and its Backups) to it.
func (r *reconciler) reconcilePrimary(ctx context.Context, sc *scope) error {
	c, in := sc.cluster, sc.inst
	if in.srv == nil {
		if err := r.startPrimary(ctx, sc); err != nil || sc.waiting != "" {
			r.s.route(c, "", "the primary is not running yet")
			return err
		}
	}
	sc.serving, sc.major = true, in.srv.Build.Major
	r.s.route(c, in.srv.Addr(), "")
	r.s.setPrimary(c, in.srv)
	return nil
}

// startPrimary starts and bootstraps the server (initdb, or recovery from a Backup), its
// status "Setting up primary" meanwhile.
func (r *reconciler) startPrimary(ctx context.Context, sc *scope) error {
	c := sc.cluster
	b := c.Spec.Bootstrap
	if b != nil && b.PgBaseBackup != nil {
		sc.waiting = "the CloudNativePG stand-in serves only the initdb and recovery (from a Backup) bootstraps"
		return nil
	}
	bootstrapKind, source := "initdb", ""
	if b != nil && b.Recovery != nil {
		bootstrapKind = "recovery"
		var err error
		if source, sc.waiting, err = r.recoverySource(ctx, c); err != nil || sc.waiting != "" {
			return err
		}
	}
	name := applicationSecretName(c)
	err := r.client.Get(ctx, client.ObjectKey{Namespace: c.Namespace, Name: name}, &corev1.Secret{})
	if apierrors.IsNotFound(err) {
		sc.waiting = fmt.Sprintf("waiting for Secret %s of spec.bootstrap.%s", name, bootstrapKind)
		return nil
	}
	if err != nil {
		return err
	}
	// Starting takes seconds: the phase shows meanwhile, as the bootstrap job's would.
	if err := r.writeStatus(ctx, sc); err != nil {
		return err
	}
	owner, database := applicationOwner(c)
	if source != "" {
		err = sc.inst.restore(ctx, c, r.s.opts.Builds, source, owner, database)
	} else {
		err = sc.inst.start(ctx, c, r.s.opts.Builds, owner, database)
	}
	if errors.Is(err, pgserver.ErrNoBuild) {
		sc.waiting = err.Error() // as an image that cannot be pulled: nothing to retry
		return nil
	}
	return err
}

// recoverySource returns the copy the Cluster's recovery bootstrap starts from, or why it
// waits (waiting), as CloudNativePG's checkReadyForRecovery waits for its Backup to exist
// and complete. A change of the Backup brings the Cluster back.
func (r *reconciler) recoverySource(ctx context.Context, c *cnpgv1.Cluster) (path, waiting string, err error) {
	rec := c.Spec.Bootstrap.Recovery
	if rec.Backup == nil || rec.Backup.Name == "" {
		return "", "the CloudNativePG stand-in recovers only from a Backup (spec.bootstrap.recovery.backup), not from an external cluster or volume snapshots", nil
	}
	key := client.ObjectKey{Namespace: c.Namespace, Name: rec.Backup.Name}
	b := &cnpgv1.Backup{}
	if err := r.client.Get(ctx, key, b); apierrors.IsNotFound(err) {
		return "", fmt.Sprintf("Backup object %q is missing, can't continue full recovery", key), nil
	} else if err != nil {
		return "", "", err
	}
	if b.Status.Phase != cnpgv1.BackupPhaseCompleted {
		return "", fmt.Sprintf("the source backup %s is not completed (phase %q), can't continue full recovery", b.Name, b.Status.Phase), nil
	}
	path = r.s.backupPath(b)
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Sprintf("the stand-in holds no copy of Backup %s: it did not take it (another stand-in or CloudNativePG did)", b.Name), nil
	} else if err != nil {
		return "", "", err
	}
	return path, "", nil
}

// reconcileRoles applies spec.managed.roles as CloudNativePG's role synchronizer does,
// pass after pass (an update, then a comment, then memberships) while one changes
// something, and reports their state.
func (r *reconciler) reconcileRoles(ctx context.Context, sc *scope) error {
	c, in := sc.cluster, sc.inst
	if c.Spec.Managed == nil || len(c.Spec.Managed.Roles) == 0 {
		return nil
	}
	spec := c.Spec.Managed.Roles
	conn, err := superuserConn(ctx, in.srv, "postgres")
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	failed := map[string][]string{}
	var actions map[roleAction][]plannedRole
	var secrets roleSecrets
	for pass := 0; ; pass++ {
		secrets = readRoleSecrets(ctx, r.client, c.Namespace, spec)
		inDB, err := listRoles(ctx, conn)
		if err != nil {
			return err
		}
		actions = evaluateRoles(spec, inDB, in.passwords, secrets.versions)
		if pass == 3 || len(failed) > 0 || !pending(actions) {
			break
		}
		var applied map[string]cnpgv1.PasswordState
		applied, failed = applyRoles(ctx, conn, actions, secrets)
		maps.Copy(in.passwords, applied)
	}
	sc.roleVersions = map[string]string{}
	for _, role := range spec {
		if v, ok := secrets.versions[role.Name]; ok {
			sc.roleVersions[role.PasswordSecret.Name] = v
		}
	}
	sc.roles = &cnpgv1.ManagedRoles{ByStatus: rolesStatus(actions), PasswordStatus: maps.Clone(in.passwords)}
	if len(failed) > 0 {
		sc.roles.CannotReconcile = failed
	}
	return nil
}

// pending reports whether some role needs changing.
func pending(actions map[roleAction][]plannedRole) bool {
	for _, a := range []roleAction{roleCreate, roleUpdate, roleDelete, roleComment, roleMemberships} {
		if len(actions[a]) > 0 {
			return true
		}
	}
	return false
}

// reconcileOwner gives the application owner (initdb's or the recovery's) the password of
// its Secret whenever the Secret changes, as CloudNativePG's instance manager does.
func (r *reconciler) reconcileOwner(ctx context.Context, sc *scope) error {
	c, in := sc.cluster, sc.inst
	sec := &corev1.Secret{}
	if err := r.client.Get(ctx, client.ObjectKey{Namespace: c.Namespace, Name: applicationSecretName(c)}, sec); err != nil {
		return client.IgnoreNotFound(err)
	}
	sc.appVersion = sec.ResourceVersion
	if sec.ResourceVersion == in.ownerVersion {
		return nil
	}
	user, password, err := credentials(sec)
	if err != nil {
		return fmt.Errorf("Secret %s: %w", sec.Name, err)
	}
	owner, _ := applicationOwner(c)
	if user != owner {
		return fmt.Errorf("wrong username %q in Secret %s, expected %q", user, sec.Name, owner)
	}
	conn, err := superuserConn(ctx, in.srv, "postgres")
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if err := setPassword(ctx, conn, owner, password); err != nil {
		return err
	}
	in.ownerVersion = sec.ResourceVersion
	return nil
}

// writeStatus writes the Cluster's status as sc has it, when that changed it.
func (r *reconciler) writeStatus(ctx context.Context, sc *scope) error {
	c := sc.written.DeepCopy()
	setStatus(c, sc)
	if equalStatus(c.Status, sc.written.Status) {
		return nil
	}
	if err := r.client.Status().Patch(ctx, c, client.MergeFrom(sc.written)); err != nil {
		return err
	}
	sc.written = c
	return nil
}

// clustersOfSecret maps a Secret to the Clusters that read it (initdb's, the managed
// roles') or own it.
func (r *reconciler) clustersOfSecret(ctx context.Context, sec client.Object) []reconcile.Request {
	var list cnpgv1.ClusterList
	if err := r.client.List(ctx, &list, client.InNamespace(sec.GetNamespace())); err != nil {
		r.s.opts.Log.Error(err, "list the Clusters of a Secret", "secret", client.ObjectKeyFromObject(sec))
		return nil
	}
	var out []reconcile.Request
	for i := range list.Items {
		c := &list.Items[i]
		if usesSecret(c, sec.GetName()) || metav1.IsControlledBy(sec, c) {
			out = append(out, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(c)})
		}
	}
	return out
}

// clustersOfBackup maps a Backup to the Clusters of its namespace that recover from it.
func (r *reconciler) clustersOfBackup(ctx context.Context, b client.Object) []reconcile.Request {
	var list cnpgv1.ClusterList
	if err := r.client.List(ctx, &list, client.InNamespace(b.GetNamespace())); err != nil {
		r.s.opts.Log.Error(err, "list the Clusters of a Backup", "backup", client.ObjectKeyFromObject(b))
		return nil
	}
	var out []reconcile.Request
	for i := range list.Items {
		boot := list.Items[i].Spec.Bootstrap
		if boot != nil && boot.Recovery != nil && boot.Recovery.Backup != nil && boot.Recovery.Backup.Name == b.GetName() {
			out = append(out, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(&list.Items[i])})
		}
	}
	return out
}
