package controller

import (
	"context"
	"fmt"
	"maps"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/matrixmind-cloud/aws-rds-operator/api/v1"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/cloud"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/engine"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/naming"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/password"
)

// keyPasswordPrevious keeps the last verified password while a new one is not yet verified.
const keyPasswordPrevious = "password-previous"

// A rotation goes in three steps, each safe to repeat after a crash:
//  1. once the database serves (so the password can be applied at once), startRotation
//     writes the new password to the Secret, keeping the previous one, and marks the
//     rotation pending (before anything is sent anywhere);
//  2. the password is applied: the master's through the cloud (reconcileMasterPassword),
//     a user's by the engine phase, which sets every user's password from its Secret;
//  3. reconcileRotations logs in with the new password and, once that works, drops the
//     previous one and records the rotation as done.

// rotationKey is the annotation suffix that rotates user's password.
func rotationKey(db *v1.RDSDatabase, user string) string {
	if user == db.Spec.MasterUser {
		return v1.RotateMaster
	}
	return user
}

// reconcileRotationStarts begins the rotations the object asks for. It runs after the cloud
// phase, so a new password is only written when the database can take it at once.
func (r *RDSDatabaseReconciler) reconcileRotationStarts(ctx context.Context, s *scope) (ctrl.Result, error) {
	for _, user := range sortedKeys(s.credentials) {
		cred := s.credentials[user]
		if cred.token {
			continue // no password to rotate: each token expires by itself
		}
		secret := &corev1.Secret{}
		if err := r.getSecret(ctx, client.ObjectKey{Namespace: s.db.Namespace, Name: cred.secret}, secret); err != nil {
			return ctrl.Result{}, errorf(s.db, "read secret "+cred.secret, err)
		}
		updated, err := r.startRotation(ctx, s, user, secret)
		if err != nil {
			return conflictRequeue(errorf(s.db, "rotate the password in secret "+cred.secret, err))
		}
		cred.password, cred.pending = string(updated.Data[keyPassword]), updated.Annotations[v1.AnnotationRotationPending]
		s.credentials[user] = cred
	}
	return ctrl.Result{}, nil
}

// startRotation begins a rotation when the object asks for one (a new value of its rotate
// annotation for user) that the Secret has neither carried out nor begun, and returns the
// Secret as it is then.
func (r *RDSDatabaseReconciler) startRotation(ctx context.Context, s *scope, user string, secret *corev1.Secret) (*corev1.Secret, error) {
	want := s.db.Annotations[v1.AnnotationRotatePrefix+rotationKey(s.db, user)]
	pending := secret.Annotations[v1.AnnotationRotationPending]
	if want == "" || want == secret.Annotations[v1.AnnotationRotated] || want == pending {
		return secret, nil
	}
	pw, err := password.Generate(user)
	if err != nil {
		return nil, err
	}
	updated := secret.DeepCopy()
	switch {
	case pending == "":
		updated.Data[keyPasswordPrevious] = secret.Data[keyPassword]
	case r.Engines.Verify(ctx, r.endpoint(s, user), defaultDatabase(s.db, user)) == nil:
		// A newer rotation arrived while one was pending, and the pending password already
		// works (it was applied): it, not the older one, is the one to keep.
		updated.Data[keyPasswordPrevious] = secret.Data[keyPassword]
	}
	updated.Data[keyPassword] = []byte(pw)
	if updated.Annotations == nil {
		updated.Annotations = map[string]string{}
	}
	updated.Annotations[v1.AnnotationRotationPending] = want
	if err := r.Client.Update(ctx, updated); err != nil {
		return nil, err
	}
	return updated, nil
}

// markMasterForReset marks the master Secret's password as one the cloud does not have yet.
func (r *RDSDatabaseReconciler) markMasterForReset(ctx context.Context, s *scope) error {
	master := s.db.Spec.MasterUser
	cred := s.credentials[master]
	if cred.pending != "" {
		return nil
	}
	secret := &corev1.Secret{}
	if err := r.getSecret(ctx, client.ObjectKey{Namespace: s.db.Namespace, Name: cred.secret}, secret); err != nil {
		return err
	}
	if secret.Annotations == nil {
		secret.Annotations = map[string]string{}
	}
	secret.Annotations[v1.AnnotationRotationPending] = v1.RotationRecreated
	if err := r.Client.Update(ctx, secret); err != nil {
		return err
	}
	cred.pending = v1.RotationRecreated
	s.credentials[master] = cred
	return nil
}

// reconcileMasterPassword sets a pending master password through the cloud, unless logging
// in with it already works (the cloud got it before a crash), and sets the Secret's again
// when the cloud's feed showed it set by someone else.
func (r *RDSDatabaseReconciler) reconcileMasterPassword(ctx context.Context, s *scope) (ctrl.Result, error) {
	master := s.db.Spec.MasterUser
	cred := s.credentials[master]
	if cred.pending == "" {
		if at := s.instance.PasswordResetAt; !at.IsZero() {
			return r.answerPasswordReset(ctx, s, at)
		}
		return ctrl.Result{}, nil
	}
	err := r.Engines.Verify(ctx, r.endpoint(s, master), engineOf(s.db).adminDatabase)
	if err == nil {
		return ctrl.Result{}, nil
	}
	if !engine.IsPasswordRefused(err) {
		return r.engineFailed(s, err)
	}
	if s.instance.Phase != cloud.PhaseAvailable {
		// The cloud refuses modifications while the database backs up or optimises storage.
		return ctrl.Result{RequeueAfter: r.Defaults.PendingRequeue}, nil
	}
	pw := cred.password
	// ApplyImmediately false: the cloud sets a master password at once anyway, and true would
	// also apply every modification waiting for the maintenance window.
	if err := r.setMasterPassword(ctx, s, pw); err != nil {
		return r.cloudFailed(s, err)
	}
	setCondition(s.db, v1.ConditionUsersReady, metav1.ConditionFalse, v1.ReasonRotating, "setting the new master password through the cloud")
	return ctrl.Result{RequeueAfter: r.Defaults.PendingRequeue}, nil
}

// answerPasswordReset sets the master password in its Secret again after the cloud's feed
// showed it set outside the operator, at (someone at the console): the Secret is the truth,
// and applications log in with it. No login is tried first, as none is needed: the feed
// says the cloud's password changed. The feed's own record of this set is not taken for
// someone else's again (package observer), so it is set once.
func (r *RDSDatabaseReconciler) answerPasswordReset(ctx context.Context, s *scope, at time.Time) (ctrl.Result, error) {
	if s.instance.Phase != cloud.PhaseAvailable {
		// The cloud refuses modifications while the database backs up or optimises storage
		// (for hours, maybe): the rest of the pass goes on meanwhile.
		s.soon = true
		return ctrl.Result{}, nil
	}
	master := s.db.Spec.MasterUser
	if err := r.setMasterPassword(ctx, s, s.credentials[master].password); err != nil {
		return r.cloudFailed(s, err)
	}
	r.eventAbout(s.db, corev1.EventTypeWarning, v1.EventMasterPasswordReset, master,
		"The master password was set in the cloud at %s, not by the operator; the one in Secret %s was set again",
		at.UTC().Format(time.RFC3339), s.credentials[master].secret)
	// The engine phases log in as the master: they wait for the cloud to apply it.
	return ctrl.Result{RequeueAfter: r.Defaults.PendingRequeue}, nil
}

// reconcileRotations verifies every pending password by logging in with it and then
// finishes the rotation: the previous password is dropped from the Secret.
func (r *RDSDatabaseReconciler) reconcileRotations(ctx context.Context, s *scope) (ctrl.Result, error) {
	db := s.db
	for _, user := range sortedKeys(s.credentials) {
		cred := s.credentials[user]
		if cred.pending == "" {
			continue
		}
		if err := r.Engines.Verify(ctx, r.endpoint(s, user), defaultDatabase(db, user)); err != nil {
			return r.engineFailed(s, fmt.Errorf("verify the new password of %s: %w", user, err))
		}
		secret := &corev1.Secret{}
		if err := r.getSecret(ctx, client.ObjectKey{Namespace: db.Namespace, Name: cred.secret}, secret); err != nil {
			return ctrl.Result{}, errorf(db, "read secret "+cred.secret, err)
		}
		// The connection keys change with the password, in the same write.
		maps.Copy(secret.Data, connectionData(engineOf(db), s.instance.Endpoint, s.instance.Port, user, cred.password, defaultDatabase(db, user)))
		delete(secret.Data, keyPasswordPrevious)
		delete(secret.Annotations, v1.AnnotationRotationPending)
		if cred.pending != v1.RotationRecreated {
			secret.Annotations[v1.AnnotationRotated] = cred.pending
		}
		if err := r.Client.Update(ctx, secret); err != nil {
			return conflictRequeue(errorf(db, "finish the rotation in secret "+cred.secret, err))
		}
		cred.pending = ""
		s.credentials[user] = cred
		r.eventAbout(db, corev1.EventTypeNormal, v1.EventPasswordRotated, user,
			"The password of %s was replaced, applied and verified by logging in; Secret %s holds it", user, cred.secret)
	}
	return ctrl.Result{}, nil
}

// setMasterPassword sets the master password through the cloud. ApplyImmediately false: the
// cloud sets a master password at once anyway, and true would also apply every modification
// waiting for the maintenance window.
func (r *RDSDatabaseReconciler) setMasterPassword(ctx context.Context, s *scope, pw string) error {
	return s.cloud.Update(ctx, s.identifier, cloud.Changes{MasterPassword: &pw}, cloud.UpdateOptions{})
}

// endpoint is how user logs in to the database with the password in its Secret.
func (r *RDSDatabaseReconciler) endpoint(s *scope, user string) engine.Endpoint {
	ep := engine.Endpoint{Engine: engineOf(s.db).engine, Host: s.instance.Endpoint, Port: s.instance.Port, User: user,
		Password: s.credentials[user].password, AdminRole: s.instance.AdminRole, CA: serverCA(s)}
	if s.instance.Shared {
		ep.Owner = naming.Owner(s.db.Namespace, s.db.Name)
	}
	// Who logs in with tokens is the operator's to keep only once the spec speaks of token
	// logins: before, a grant made outside it (the token role given to a user of a DBA's) is left alone.
	if s.db.Spec.IAMAuthentication != nil {
		ep.TokenRole = s.instance.TokenRole
	}
	return ep
}

// serverCA is what the database server's certificate is verified against: the CA the cloud
// publishes for this database (its chain only, see cloud.Instance.ServerCA), else the
// operator's bundle for the database's cloud; nil when there is neither. A published CA
// that does not parse trusts nothing: the login is refused, never made unverified.
func serverCA(s *scope) *engine.CABundle {
	if s.instance == nil || s.instance.ServerCA == "" {
		return s.engineCA
	}
	ca, err := engine.ParseCABundle([]byte(s.instance.ServerCA))
	if err != nil {
		ca = &engine.CABundle{PEM: []byte(s.instance.ServerCA)}
	}
	return ca.ChainOnly()
}
