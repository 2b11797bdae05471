package controller

import (
	"context"
	"errors"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"

	v1 "github.com/matrixmind-cloud/aws-rds-operator/api/v1"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/cloud"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/cloud/cloudtest"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/engine"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/serverproc"
)

// engineFunc is an engine.Connector whose Verify calls a function; Connect is not expected.
type engineFunc func(ctx context.Context, ep engine.Endpoint, database string) error

func (f engineFunc) Connect(context.Context, engine.Endpoint) (engine.Admin, error) {
	return nil, errors.New("unexpected Connect")
}

func (f engineFunc) Verify(ctx context.Context, ep engine.Endpoint, database string) error {
	return f(ctx, ep, database)
}

// TestReconcileMasterPassword: a master password written to the Secret and not verified yet
// is set through the cloud, once, and only when logging in with it does not already work.
func TestReconcileMasterPassword(t *testing.T) {
	refused := &engine.Error{Op: "login", PasswordRefused: true, Err: errors.New("password authentication failed")}
	cases := []struct {
		name       string
		reason     string
		pending    string
		phase      cloud.Phase
		verify     error
		resetAt    time.Time
		wantSet    int
		wantErr    bool
		wantReason string
	}{
		{name: "NothingPending", reason: "No rotation under way: neither the engine nor the cloud is asked anything.", phase: cloud.PhaseAvailable},
		{name: "AlreadyApplied", reason: "The cloud got the new password before a crash: logging in works, nothing is sent again.",
			pending: "1", phase: cloud.PhaseAvailable},
		{name: "Applied", reason: "The new password is refused: it is set through the cloud, once, and the users wait for it.",
			pending: "1", phase: cloud.PhaseAvailable, verify: refused, wantSet: 1, wantReason: v1.ReasonRotating},
		{name: "WaitsForTheBackup", reason: "A database backing up refuses changes: the password waits, no call.",
			pending: "1", phase: cloud.PhaseBackingUp, verify: refused},
		{name: "EngineDown", reason: "Another failure to log in is the engine's, not a reason to reset the password.",
			pending: "1", phase: cloud.PhaseAvailable, verify: &engine.Error{Op: "login", Unreachable: true, Err: errors.New("connection refused")},
			wantErr: true, wantReason: v1.ReasonEngineUnreachable},
		{name: "ImpostorServer", reason: "A server whose certificate does not verify got no password: that is no reason to reset it, and the condition says what to check.",
			pending: "1", phase: cloud.PhaseAvailable,
			verify:  &engine.Error{Op: "login", Unreachable: true, CertificateRefused: true, Err: errors.New("x509: certificate signed by unknown authority")},
			wantErr: true, wantReason: v1.ReasonEngineCertificateRefused},
		{name: "ResetAtTheConsole", reason: "The cloud's feed showed the master password set by someone else: the Secret's is set again, without a login first (none is needed, and none may be possible).",
			phase: cloud.PhaseAvailable, resetAt: time.Now(), verify: errors.New("no login expected"), wantSet: 1},
		{name: "ResetWhileBackingUp", reason: "A reset seen while the database backs up waits for it: the cloud refuses changes then.",
			phase: cloud.PhaseBackingUp, resetAt: time.Now()},
		{name: "ResetDuringARotation", reason: "A rotation under way sets the pending password anyway, after a login shows it is not applied.",
			pending: "1", phase: cloud.PhaseAvailable, resetAt: time.Now(), verify: refused, wantSet: 1, wantReason: v1.ReasonRotating},
	}
	bundle := cloudCABundle(t)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			set, verified := 0, 0
			fake := &cloudtest.Provider{UpdateFn: func(_ context.Context, _ string, c cloud.Changes, _ cloud.UpdateOptions) error {
				rest := c
				rest.MasterPassword = nil
				if c.MasterPassword == nil || *c.MasterPassword != "new-pw" || !rest.Empty() {
					t.Errorf("%s\nupdate %+v, want the master password alone", tc.reason, c)
				}
				set++
				return nil
			}}
			r := &RDSDatabaseReconciler{Cloud: fake, Defaults: DefaultDefaults, EngineCA: bundle,
				Engines: engineFunc(func(_ context.Context, ep engine.Endpoint, _ string) error {
					if ep.CA != bundle {
						t.Errorf("%s\nthe login does not verify the server against the operator's CA bundle", tc.reason)
					}
					verified++
					return tc.verify
				})}
			db := sampleDB()
			s := placed(r, db)
			s.instance = &cloud.Instance{Identifier: s.identifier, Phase: tc.phase, Endpoint: "db.example", Port: 5432, PasswordResetAt: tc.resetAt}
			s.credentials[db.Spec.MasterUser] = credential{secret: "orders.rds.master", password: "new-pw", pending: tc.pending}
			_, err := r.reconcileMasterPassword(context.Background(), s)
			if (err != nil) != tc.wantErr {
				t.Fatalf("%s\nerror %v, want error %t", tc.reason, err, tc.wantErr)
			}
			if set != tc.wantSet {
				t.Errorf("%s\nthe master password was sent %d times, want %d", tc.reason, set, tc.wantSet)
			}
			if tc.pending == "" && verified != 0 {
				t.Errorf("%s\nlogged in %d times with nothing to verify", tc.reason, verified)
			}
			c := meta.FindStatusCondition(db.Status.Conditions, v1.ConditionUsersReady)
			if tc.wantReason != "" && (c == nil || c.Reason != tc.wantReason) {
				t.Errorf("%s\nUsersReady = %+v, want reason %s", tc.reason, c, tc.wantReason)
			}
		})
	}
}

// TestServerCA: the server is verified against the CA its cloud publishes for it when there
// is one, else against the operator's bundle; never left unverified because a published CA
// does not parse.
func TestServerCA(t *testing.T) {
	ca, err := serverproc.NewCA("cloud CA")
	if err != nil {
		t.Fatal(err)
	}
	own, err := serverproc.NewCA("the database's own CA")
	if err != nil {
		t.Fatal(err)
	}
	bundle, err := engine.ParseCABundle(ca.PEM)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		reason   string
		operator *engine.CABundle
		instance *cloud.Instance
		wantPEM  string // "" wants no verification
	}{
		{"no bundle, no published CA: TLS without verification", nil, &cloud.Instance{}, ""},
		{"the operator's bundle for a cloud that publishes one CA for all", bundle, &cloud.Instance{}, string(ca.PEM)},
		{"before the database is observed, the operator's bundle", bundle, nil, string(ca.PEM)},
		{"a database's own CA wins over the bundle", bundle, &cloud.Instance{ServerCA: string(own.PEM)}, string(own.PEM)},
		{"a published CA that does not parse is still what is trusted: nothing", nil, &cloud.Instance{ServerCA: "garbage"}, "garbage"},
	}
	for _, c := range cases {
		s := &scope{engineCA: c.operator, instance: c.instance}
		got := serverCA(s)
		if c.wantPEM == "" {
			if got != nil {
				t.Errorf("%s: serverCA = %q, want none", c.reason, got.PEM)
			}
			continue
		}
		if got == nil || string(got.PEM) != c.wantPEM {
			t.Errorf("%s: serverCA = %v, want the PEM %.30q", c.reason, got, c.wantPEM)
		}
	}
}

// cloudCABundle is the operator's engine CA bundle holding a fresh CA, for logins that must
// verify the server.
func cloudCABundle(t *testing.T) *engine.CABundle {
	t.Helper()
	ca, err := serverproc.NewCA("cloud CA")
	if err != nil {
		t.Fatal(err)
	}
	bundle, err := engine.ParseCABundle(ca.PEM)
	if err != nil {
		t.Fatal(err)
	}
	return bundle
}
