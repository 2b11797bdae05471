package controller

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"

	v1 "github.com/matrixmind-cloud/aws-rds-operator/api/v1"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/engine"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/metrics"
)

// reconcileAccess is the access checker: it logs in as the master and as every user with
// the password in their Secret, or, for a user who logs in with tokens (the role iam), with
// a token the cloud's identity service gives the operator, records each result in
// status.users and sums them up in AccessVerified. A failure is announced and repaired on
// the next pass, which sets the passwords from the Secrets again: the Secret is the truth.
func (r *RDSDatabaseReconciler) reconcileAccess(ctx context.Context, s *scope) (ctrl.Result, error) {
	db := s.db
	now := time.Now().Truncate(time.Second)
	users := append([]string{db.Spec.MasterUser}, sortedKeys(db.Spec.Users)...)
	results := make([]v1.UserAccess, 0, len(users))
	var refused, tokenRefused, failed []string
	var firstErr, tokenErr error
	for _, user := range users {
		res := v1.UserAccess{Name: user, LastChecked: metav1.NewTime(now), OK: true}
		token := s.credentials[user].token
		if err := r.verifyLogin(ctx, s, user); err != nil {
			res.OK, res.Reason = false, err.Error()
			failed = append(failed, user)
			switch {
			case token && engine.IsLoginRefused(err):
				tokenRefused = append(tokenRefused, user)
				tokenErr = cmp.Or(tokenErr, err)
			case !token && engine.IsPasswordRefused(err):
				refused = append(refused, user)
			default:
				firstErr = cmp.Or(firstErr, err)
			}
		}
		results = append(results, r.keepLastChecked(db, res, now))
	}
	db.Status.Users = results
	metrics.AccessCheckFailures.Add(float64(len(failed)))
	switch {
	case len(failed) == 0:
		s.announce(v1.ConditionAccessVerified, metav1.ConditionTrue, v1.ReasonAllLogIn,
			fmt.Sprintf("the master and %d users log in with their Secrets", len(db.Spec.Users)), corev1.EventTypeNormal, "")
		return ctrl.Result{}, nil
	case len(refused) > 0:
		// Passwords changed behind the operator's back: the next pass sets them again.
		s.announce(v1.ConditionAccessVerified, metav1.ConditionFalse, v1.ReasonPasswordRefused,
			fmt.Sprintf("the database refuses the password in the Secret of %s; setting it again from the Secret", strings.Join(refused, ", ")),
			corev1.EventTypeWarning, "")
		return ctrl.Result{RequeueAfter: r.Defaults.PendingRequeue}, nil
	case len(tokenRefused) > 0:
		// The role or the cloud's setting was taken away (the next pass gives them back), or
		// the operator may not log in as them: retry with backoff, not at once.
		s.announce(v1.ConditionAccessVerified, metav1.ConditionFalse, v1.ReasonTokenRefused,
			fmt.Sprintf("the database refuses the login token of %s; granting the role and turning token logins on again. If it persists, "+
				"the operator's cloud identity may lack the permission to log in as them: %v", strings.Join(tokenRefused, ", "), tokenErr),
			corev1.EventTypeWarning, "")
		return ctrl.Result{}, errorf(db, "access check", tokenErr)
	default:
		// Not a password problem (connection limit, network): resetting passwords would not
		// help; retry with backoff.
		s.announce(v1.ConditionAccessVerified, metav1.ConditionFalse, v1.ReasonLoginFailed,
			fmt.Sprintf("%s cannot log in: %v", strings.Join(failed, ", "), firstErr), corev1.EventTypeWarning, "")
		return ctrl.Result{}, errorf(db, "access check", firstErr)
	}
}

// verifyLogin logs in as user: with the password in its Secret, or with a fresh token for a
// user who logs in with tokens.
func (r *RDSDatabaseReconciler) verifyLogin(ctx context.Context, s *scope, user string) error {
	ep := r.endpoint(s, user)
	if s.credentials[user].token {
		if ep.CA == nil {
			// A token goes as a cleartext password: only to a server whose certificate the
			// operator can check, or whoever answers gets a working login.
			return errors.New("the operator sends a token only to a database server it can verify, and it has no CA for this one: " +
				"give it the cloud's CA bundle (--engine-ca-bundle, Helm engineCABundle)")
		}
		token, err := s.cloud.LoginToken(ctx, *s.instance, user)
		if err != nil {
			return err
		}
		ep.Password, ep.Token = token, true
	}
	return r.Engines.Verify(ctx, ep, defaultDatabase(s.db, user))
}

// keepLastChecked keeps the previous check time of a user whose result did not change and
// was checked less than half a resync ago, so that reconciles between resyncs do not
// rewrite the status for a newer timestamp alone.
func (r *RDSDatabaseReconciler) keepLastChecked(db *v1.RDSDatabase, res v1.UserAccess, now time.Time) v1.UserAccess {
	for _, prev := range db.Status.Users {
		if prev.Name == res.Name && prev.OK == res.OK && prev.Reason == res.Reason && now.Sub(prev.LastChecked.Time) < r.Defaults.Resync/2 {
			res.LastChecked = prev.LastChecked
		}
	}
	return res
}

// needsEngine tells whether the engine phase must log in as the master and apply users,
// databases and grants this pass: the spec changed since they were applied, a Secret was
// made or a password rotated, or the last access check failed. Otherwise the database is as
// the spec says and nothing is sent, so a resync does not rewrite every password.
func needsEngine(s *scope) bool {
	db := s.db
	users := meta.FindStatusCondition(db.Status.Conditions, v1.ConditionUsersReady)
	access := meta.FindStatusCondition(db.Status.Conditions, v1.ConditionAccessVerified)
	if s.repair || users == nil || users.Status != metav1.ConditionTrue || users.ObservedGeneration != db.Generation ||
		access == nil || access.Reason == v1.ReasonPasswordRefused || access.Reason == v1.ReasonTokenRefused {
		return true
	}
	for _, c := range s.credentials {
		if c.pending != "" {
			return true
		}
	}
	return false
}
