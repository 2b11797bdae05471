package controller

import (
	"context"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	v1 "github.com/matrixmind-cloud/aws-rds-operator/api/v1"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/cloud"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/cloud/cloudtest"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/engine"
)

// TestReconcileAccessWithTokens: a user who logs in with tokens (the role iam) is checked
// with a fresh token from the cloud, never with a password, and a refused token says so
// and is retried with backoff, not at once like a refused password.
func TestReconcileAccessWithTokens(t *testing.T) {
	refused := &engine.Error{Op: "login", Code: "28000", LoginRefused: true, Unreachable: true, Err: errors.New(`PAM authentication failed for user "app"`)}
	pwRefused := &engine.Error{Op: "login", Code: "28P01", PasswordRefused: true, LoginRefused: true, Unreachable: true, Err: errors.New("password authentication failed")}
	cases := []struct {
		name        string
		reason      string
		tokenErr    error
		verify      map[string]error // by user
		wantReason  string
		wantErr     bool
		wantLogins  map[string]string // user: the secret it logged in with
		wantTokens  int
		wantRequeue bool
	}{
		{name: "AllLogIn", reason: "The token user logs in with the token the cloud made for it; the others with their Secrets' passwords.",
			wantReason: v1.ReasonAllLogIn, wantTokens: 1,
			wantLogins: map[string]string{"sysadmin": "master-pw", "app": "token-for-app", "reporting": "reporting-pw"}},
		{name: "TokenRefused", reason: "A refused token (role revoked, token logins turned off, or no rds-db:connect) is its own reason, retried with backoff; the engine phase runs again to grant the role.",
			verify: map[string]error{"app": refused}, wantReason: v1.ReasonTokenRefused, wantErr: true, wantTokens: 1,
			wantLogins: map[string]string{"sysadmin": "master-pw", "app": "token-for-app", "reporting": "reporting-pw"}},
		{name: "NoToken", reason: "A token the cloud cannot make (no credentials) is a failed login, not a refused password: nothing is reset.",
			tokenErr: &cloud.Error{Op: "make token", Kind: cloud.ErrUnsupported, Message: "no credentials"}, wantReason: v1.ReasonLoginFailed, wantErr: true, wantTokens: 1,
			wantLogins: map[string]string{"sysadmin": "master-pw", "reporting": "reporting-pw"}},
		{name: "PasswordRefused", reason: "A password user's refusal keeps its meaning: the passwords are set again from the Secrets at once.",
			verify: map[string]error{"reporting": pwRefused}, wantReason: v1.ReasonPasswordRefused, wantRequeue: true, wantTokens: 1,
			wantLogins: map[string]string{"sysadmin": "master-pw", "app": "token-for-app", "reporting": "reporting-pw"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tokens := 0
			logins := map[string]string{}
			fake := &cloudtest.Provider{LoginTokenFn: func(_ context.Context, in cloud.Instance, user string) (string, error) {
				tokens++
				if in.Endpoint != "db.example" || in.Port != 5432 {
					t.Errorf("%s\ntoken made for %s:%d, want the database's endpoint", tc.reason, in.Endpoint, in.Port)
				}
				if tc.tokenErr != nil {
					return "", tc.tokenErr
				}
				return "token-for-" + user, nil
			}}
			r := &RDSDatabaseReconciler{Cloud: fake, Defaults: DefaultDefaults,
				Engines: engineFunc(func(_ context.Context, ep engine.Endpoint, _ string) error {
					logins[ep.User] = ep.Password
					return tc.verify[ep.User]
				})}
			db := sampleDB()
			db.Spec.Users = map[string]v1.UserRoles{"app": {v1.RoleIAM}, "reporting": {}}
			s := placed(r, db)
			s.instance = &cloud.Instance{Identifier: s.identifier, Phase: cloud.PhaseAvailable, Endpoint: "db.example", Port: 5432}
			s.credentials = map[string]credential{
				"sysadmin": {password: "master-pw"}, "app": {token: true}, "reporting": {password: "reporting-pw"},
			}
			res, err := r.reconcileAccess(context.Background(), s)
			if (err != nil) != tc.wantErr {
				t.Fatalf("%s\nerror %v, want error %t", tc.reason, err, tc.wantErr)
			}
			if (res.RequeueAfter > 0) != tc.wantRequeue {
				t.Errorf("%s\nrequeue after %s, want a quick requeue %t", tc.reason, res.RequeueAfter, tc.wantRequeue)
			}
			if tokens != tc.wantTokens {
				t.Errorf("%s\n%d tokens made, want %d", tc.reason, tokens, tc.wantTokens)
			}
			if diff := cmp.Diff(tc.wantLogins, logins); diff != "" {
				t.Errorf("%s\nlogins (user: secret): -want +got:\n%s", tc.reason, diff)
			}
			c := meta.FindStatusCondition(db.Status.Conditions, v1.ConditionAccessVerified)
			if c == nil || c.Reason != tc.wantReason {
				t.Fatalf("%s\nAccessVerified = %+v, want reason %s", tc.reason, c, tc.wantReason)
			}
			if tc.wantReason == v1.ReasonTokenRefused && needsEngine(s) == false {
				t.Errorf("%s\na refused token does not make the engine phase grant the role again", tc.reason)
			}
		})
	}
}

// TestFitLogin: giving a user the role iam takes the password out of its Secret, and taking
// the role away writes a new password into the Secret before anything else; Secrets the
// operator did not make are never changed.
func TestFitLogin(t *testing.T) {
	db := sampleDB()
	ours := func(pw string) *corev1.Secret { return credentialSecret(db, "app", "orders.rds.app", pw) }
	foreign := ours("")
	foreign.Annotations[v1.AnnotationOwner] = "elsewhere/other"
	withHowTo := ours("")
	withHowTo.Data[keyTokenHowTo] = []byte("aws rds generate-db-auth-token ...")
	cases := []struct {
		name         string
		reason       string
		secret       *corev1.Secret
		token        bool
		wantPassword bool
		wantRepair   bool
		wantUpdate   bool
	}{
		{name: "TokenUserWithPassword", reason: "The role iam was given: the password leaves the Secret.",
			secret: ours("old-pw"), token: true, wantUpdate: true},
		{name: "TokenUser", reason: "A token user's Secret without a password is as it should be: no write.",
			secret: ours(""), token: true},
		{name: "BackToPassword", reason: "The role iam was taken away: a new password is written first, and the engine phase sets it.",
			secret: withHowTo, wantPassword: true, wantRepair: true, wantUpdate: true},
		{name: "PasswordUser", reason: "A password user's Secret is left alone.",
			secret: ours("pw"), wantPassword: true},
		{name: "Foreign", reason: "A Secret made by someone else is never changed, even without a password.",
			secret: foreign},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := fake.NewClientBuilder().WithScheme(scheme.Scheme).WithObjects(tc.secret.DeepCopy()).Build()
			r := &RDSDatabaseReconciler{Client: c, Defaults: DefaultDefaults}
			s := newScope(db)
			got, err := r.fitLogin(context.Background(), s, tc.secret.DeepCopy(), tc.token)
			if err != nil {
				t.Fatal(err)
			}
			var stored corev1.Secret
			if err := c.Get(context.Background(), client.ObjectKeyFromObject(tc.secret), &stored); err != nil {
				t.Fatal(err)
			}
			_, has := stored.Data[keyPassword]
			if has != tc.wantPassword || (string(got.Data[keyPassword]) != string(stored.Data[keyPassword])) {
				t.Errorf("%s\nstored password present %t (returned %q), want %t", tc.reason, has, got.Data[keyPassword], tc.wantPassword)
			}
			if updated := stored.ResourceVersion != "999"; updated != tc.wantUpdate {
				t.Errorf("%s\nSecret written %t, want %t", tc.reason, updated, tc.wantUpdate)
			}
			if s.repair != tc.wantRepair {
				t.Errorf("%s\nrepair %t, want %t", tc.reason, s.repair, tc.wantRepair)
			}
			if tc.wantPassword && tc.wantUpdate {
				if _, ok := stored.Data[keyTokenHowTo]; ok {
					t.Errorf("%s\nthe token how-to stays in a password user's Secret", tc.reason)
				}
			}
		})
	}
}
