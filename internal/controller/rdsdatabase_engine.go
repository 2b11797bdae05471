package controller

import (
	"context"
	"fmt"
	"slices"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/matrixmind-cloud/aws-rds-operator/api/v1"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/engine"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/naming"
)

// reconcileEngineUsers logs in as the master user and applies every user, database and grant
// of the spec, when something asks for it (needsEngine). Every step is idempotent, so it runs
// whole.
func (r *RDSDatabaseReconciler) reconcileEngineUsers(ctx context.Context, s *scope) (ctrl.Result, error) {
	db := s.db
	if !needsEngine(s) {
		return ctrl.Result{}, nil
	}
	master := db.Spec.MasterUser
	admin, err := r.Engines.Connect(ctx, r.endpoint(s, master))
	if engine.IsPasswordRefused(err) {
		// The master password was changed outside the operator (or the database was
		// adopted without its old Secret): the Secret is the truth, so it is set again
		// through the cloud, as a rotation would.
		if merr := r.markMasterForReset(ctx, s); merr != nil {
			return conflictRequeue(errorf(db, "mark the master password to be set again", merr))
		}
		s.announce(v1.ConditionUsersReady, metav1.ConditionFalse, v1.ReasonRotating,
			"the master password in the Secret is refused: setting it again through the cloud", corev1.EventTypeWarning, "")
		return ctrl.Result{RequeueAfter: r.Defaults.PendingRequeue}, nil
	}
	if err != nil {
		return r.engineFailed(s, err)
	}
	defer func() { _ = admin.Close(ctx) }()

	for _, u := range desiredUsers(db, s.credentials) {
		if err := admin.EnsureUser(ctx, u); err != nil {
			return r.engineFailed(s, err)
		}
	}
	for _, d := range desiredDatabases(db) {
		if err := admin.EnsureDatabase(ctx, d); err != nil {
			return r.engineFailed(s, err)
		}
	}
	if err := r.removeUsers(ctx, s, admin); err != nil {
		return r.engineFailed(s, err)
	}
	noteKeptDatabases(s)
	msg := fmt.Sprintf("%d users and %d databases are in place", len(db.Spec.Users), len(db.Spec.Databases))
	s.announce(v1.ConditionUsersReady, metav1.ConditionTrue, v1.ReasonUsersReady, msg, corev1.EventTypeNormal, v1.EventUsersReconciled)
	return ctrl.Result{}, nil
}

// removeUsers takes the login away from every user whose Secret this object made but who is
// no longer in the spec, then deletes that Secret. The Secret goes last: until the login is
// gone it is the record that the user exists. The user's objects and data are kept.
func (r *RDSDatabaseReconciler) removeUsers(ctx context.Context, s *scope, admin engine.Admin) error {
	db := s.db
	var secrets corev1.SecretList
	if err := r.Client.List(ctx, &secrets, client.InNamespace(db.Namespace), client.MatchingLabels{v1.LabelDatabase: db.Name}); err != nil {
		return errorf(db, "list secrets", err)
	}
	for i := range secrets.Items {
		secret := &secrets.Items[i]
		user := secret.Annotations[v1.AnnotationUser]
		if user == "" || user == db.Spec.MasterUser || secret.Annotations[v1.AnnotationOwner] != naming.Owner(db.Namespace, db.Name) {
			continue
		}
		if _, wanted := db.Spec.Users[user]; wanted {
			continue
		}
		if err := admin.DisableUser(ctx, user); err != nil {
			return err
		}
		if err := r.Client.Delete(ctx, secret); client.IgnoreNotFound(err) != nil {
			return errorf(db, "delete secret "+secret.Name, err)
		}
		r.eventAbout(db, corev1.EventTypeNormal, v1.EventUserRemoved, user,
			"User %s was removed from the spec: it can no longer log in (what it owns and its data are kept); Secret %s deleted", user, secret.Name)
	}
	return nil
}

// noteKeptDatabases records the databases the spec names and says, once, of each database
// removed from the spec that it is kept: the operator never drops one.
func noteKeptDatabases(s *scope) {
	db := s.db
	for _, name := range db.Status.Databases {
		if _, wanted := db.Spec.Databases[name]; !wanted {
			s.events = append(s.events, pendingEvent{eventType: corev1.EventTypeNormal, reason: v1.EventDatabaseKept, subject: name,
				note: fmt.Sprintf("Database %s was removed from the spec and is kept: the operator never drops a database; drop it yourself if it must go", name)})
		}
	}
	db.Status.Databases = sortedKeys(db.Spec.Databases)
}

// desiredUsers maps the spec's users and their roles to the engine's terms, in name order.
func desiredUsers(db *v1.RDSDatabase, creds map[string]credential) []engine.User {
	out := make([]engine.User, 0, len(db.Spec.Users))
	for _, name := range sortedKeys(db.Spec.Users) {
		roles := db.Spec.Users[name]
		out = append(out, engine.User{
			Name:       name,
			Password:   creds[name].password,
			TokenLogin: creds[name].token,
			Superuser:  slices.Contains(roles, v1.RoleSuperuser),
			CreateDB:   slices.Contains(roles, v1.RoleCreateDB),
			ReadOnly:   slices.Contains(roles, v1.RoleReadOnly),
		})
	}
	return out
}

// desiredDatabases maps the spec's databases to the engine's terms, in name order: the first
// user listed owns the database.
func desiredDatabases(db *v1.RDSDatabase) []engine.Database {
	out := make([]engine.Database, 0, len(db.Spec.Databases))
	for _, name := range sortedKeys(db.Spec.Databases) {
		users := db.Spec.Databases[name]
		d := engine.Database{Name: name, Users: slices.Clone(users)}
		if len(users) > 0 {
			d.Owner = users[0]
		}
		out = append(out, d)
	}
	return out
}

// engineFailed records an engine failure as a condition and an Event and returns the error so
// the work queue retries with backoff.
func (r *RDSDatabaseReconciler) engineFailed(s *scope, err error) (ctrl.Result, error) {
	reason, msg := v1.ReasonEngineError, err.Error()
	switch {
	case engine.IsCertificateRefused(err):
		reason = v1.ReasonEngineCertificateRefused
		msg = "the database server's TLS certificate does not verify against the operator's engine CA bundle, so no password was sent to it: " +
			"add the cloud's CA to the bundle, or find out what answers at the database's address (" + msg + ")"
	case engine.IsUnreachable(err):
		reason = v1.ReasonEngineUnreachable
	case engine.IsNotOwned(err), engine.IsUnsupported(err):
		// Asking again soon never helps: the spec must change (or the other object go).
		reason = v1.ReasonNameTaken
		if engine.IsUnsupported(err) {
			reason = v1.ReasonSpecInvalid
		}
		s.announce(v1.ConditionUsersReady, metav1.ConditionFalse, reason, msg, corev1.EventTypeWarning, "")
		return ctrl.Result{RequeueAfter: r.Defaults.Resync}, nil
	}
	s.announce(v1.ConditionUsersReady, metav1.ConditionFalse, reason, msg, corev1.EventTypeWarning, "")
	return ctrl.Result{}, errorf(s.db, "engine", err)
}
