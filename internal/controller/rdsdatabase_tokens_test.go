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
		noCA        bool
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
		{name: "NoCA", reason: "A token goes as a cleartext password: without a CA to verify the server, none is made or sent, and the condition says what to give the operator.",
			noCA: true, wantReason: v1.ReasonLoginFailed, wantErr: true,
			wantLogins: map[string]string{"sysadmin": "master-pw", "reporting": "reporting-pw"}},
		{name: "PasswordRefused", reason: "A password user's refusal keeps its meaning: the passwords are set again from the Secrets at once.",
			verify: map[string]error{"reporting": pwRefused}, wantReason: v1.ReasonPasswordRefused, wantRequeue: true, wantTokens: 1,
			wantLogins: map[string]string{"sysadmin": "master-pw", "app": "token-for-app", "reporting": "reporting-pw"}},
	}
	bundle := cloudCABundle(t)
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
			r := &RDSDatabaseReconciler{Cloud: fake, Defaults: DefaultDefaults, EngineCA: bundle,
				Engines: engineFunc(func(_ context.Context, ep engine.Endpoint, _ string) error {
					logins[ep.User] = ep.Password
					if ep.Token != (ep.User == "app") {
						t.Errorf("%s\n%s logs in with Token %t: only a token may go as a cleartext password", tc.reason, ep.User, ep.Token)
					}
					return tc.verify[ep.User]
				})}
			db := sampleDB()
			db.Spec.Users = map[string]v1.UserRoles{"app": {v1.RoleIAM}, "reporting": {}}
			if tc.noCA {
				r.EngineCA = nil
			}
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

// TestFitLogin: a user who logs in with tokens now loses its password and the uris holding
// it from its Secret, which is marked; a marked Secret whose user logs in with a password
// again gets a new one first; an unmarked Secret without a password, the master's, or one
// made by someone else is never changed.
func TestFitLogin(t *testing.T) {
	db := sampleDB()
	ours := func(pw string) *corev1.Secret {
		s := credentialSecret(db, "app", "orders.rds.app", pw)
		if pw != "" {
			s.Data[keyURI], s.Data[keyJDBCURI], s.Data[keyPasswordPrevious] = []byte("postgresql://app:"+pw+"@h/orders"), []byte("jdbc:...&password="+pw), []byte("older")
		}
		return s
	}
	foreign := ours("")
	foreign.Annotations[v1.AnnotationOwner] = "elsewhere/other"
	unmarked := ours("")
	delete(unmarked.Annotations, v1.AnnotationLogin)
	withHowTo := ours("")
	withHowTo.Data[keyTokenHowTo] = []byte("aws rds generate-db-auth-token ...")
	master := credentialSecret(db, "sysadmin", "orders.rds.master", "")
	cases := []struct {
		name         string
		reason       string
		secret       *corev1.Secret
		user         string
		token        bool
		wantPassword bool
		wantUpdate   bool
	}{
		{name: "TokenUserWithPassword", reason: "The cloud takes tokens for a user with the role iam: the password and the uris holding it leave the Secret.",
			secret: ours("old-pw"), token: true, wantUpdate: true},
		{name: "TokenUser", reason: "A token user's marked Secret without a password is as it should be: no write.",
			secret: ours(""), token: true},
		{name: "BackToPassword", reason: "The role iam was taken away: a new password is written first, and the engine phase sets it.",
			secret: withHowTo, wantPassword: true, wantUpdate: true},
		{name: "PasswordUser", reason: "A password user's Secret is left alone.",
			secret: ours("pw"), wantPassword: true},
		{name: "PasswordDeleted", reason: "A Secret whose password was deleted by hand is not a token user's: no new password in silence (the caller refuses it).",
			secret: unmarked},
		{name: "Master", reason: "The master never logs in with tokens, and its Secret is never changed here.",
			secret: master, user: "sysadmin"},
		{name: "Foreign", reason: "A Secret made by someone else is never changed.",
			secret: foreign},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := fake.NewClientBuilder().WithScheme(scheme.Scheme).WithObjects(tc.secret.DeepCopy()).Build()
			r := &RDSDatabaseReconciler{Client: c, Defaults: DefaultDefaults}
			s := newScope(db)
			user := cmpOr(tc.user, "app")
			got, err := r.fitLogin(context.Background(), s, tc.secret.DeepCopy(), user, tc.token)
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
			if s.repair != tc.wantUpdate {
				t.Errorf("%s\nrepair %t, want %t (the engine phase must apply a change of login)", tc.reason, s.repair, tc.wantUpdate)
			}
			if !tc.wantUpdate {
				return
			}
			if tc.token {
				for _, k := range []string{keyURI, keyJDBCURI, keyPasswordPrevious} {
					if _, ok := stored.Data[k]; ok {
						t.Errorf("%s\n%s, which holds a password, stays in a token user's Secret", tc.reason, k)
					}
				}
				if stored.Annotations[v1.AnnotationLogin] != v1.LoginToken {
					t.Errorf("%s\nthe Secret is not marked as a token user's", tc.reason)
				}
			} else {
				if _, ok := stored.Data[keyTokenHowTo]; ok {
					t.Errorf("%s\nthe token how-to stays in a password user's Secret", tc.reason)
				}
				if _, ok := stored.Annotations[v1.AnnotationLogin]; ok {
					t.Errorf("%s\nthe Secret is still marked as a token user's", tc.reason)
				}
			}
		})
	}
}

func cmpOr(s, fallback string) string {
	if s != "" {
		return s
	}
	return fallback
}

// TestTokenLogin: a user logs in with tokens only with the role iam and once the cloud
// reports token logins on, so that it keeps its password while the change waits.
func TestTokenLogin(t *testing.T) {
	cases := []struct {
		reason string
		roles  v1.UserRoles
		user   string
		cloud  *v1.CloudStatus
		want   bool
	}{
		{"the role iam, and the cloud takes tokens", v1.UserRoles{v1.RoleIAM}, "app", &v1.CloudStatus{IAMAuthentication: true}, true},
		{"the cloud has not turned token logins on yet (maintenance window, or a cloud that refuses them)", v1.UserRoles{v1.RoleIAM}, "app", &v1.CloudStatus{}, false},
		{"no database observed yet", v1.UserRoles{v1.RoleIAM}, "app", nil, false},
		{"no role iam", v1.UserRoles{v1.RoleCreateDB}, "app", &v1.CloudStatus{IAMAuthentication: true}, false},
		{"the master never", v1.UserRoles{v1.RoleIAM}, "sysadmin", &v1.CloudStatus{IAMAuthentication: true}, false},
	}
	for _, tc := range cases {
		db := sampleDB()
		db.Spec.Users = map[string]v1.UserRoles{"app": tc.roles}
		db.Status.Cloud = tc.cloud
		if got := tokenLogin(db, tc.user); got != tc.want {
			t.Errorf("%s: tokenLogin(%s) = %t, want %t", tc.reason, tc.user, got, tc.want)
		}
	}
}
