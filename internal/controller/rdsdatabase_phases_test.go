package controller

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	clocktesting "k8s.io/utils/clock/testing"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	v1 "github.com/matrixmind-cloud/aws-rds-operator/api/v1"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/cloud"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/cloud/cloudtest"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/engine"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/naming"
)

// connector is an engine.Connector whose methods call the matching function field.
type connector struct {
	ConnectFn func(ctx context.Context, ep engine.Endpoint) (engine.Admin, error)
	VerifyFn  func(ctx context.Context, ep engine.Endpoint, database string) error
}

func (c connector) Connect(ctx context.Context, ep engine.Endpoint) (engine.Admin, error) {
	return c.ConnectFn(ctx, ep)
}

func (c connector) Verify(ctx context.Context, ep engine.Endpoint, database string) error {
	return c.VerifyFn(ctx, ep, database)
}

// phaseOutcome is what one Reconcile did, as the table below compares it.
type phaseOutcome struct {
	Result ctrl.Result
	// Err is the kind of error returned: "engine", "cloud" or "" for none.
	Err string
	// Observed counts the cloud database's observations; Snapshots the snapshots taken;
	// Exports the export tasks started.
	Observed  int
	Snapshots int
	Exports   []string
	// Conditions are the reasons of the engine's and the backups' conditions in the
	// status written, "" for one not set.
	Conditions map[string]string
}

// TestReconcileBackupsWhateverTheEngine: a whole Reconcile over a fake apiserver, a fake
// cloud whose database is available with a scheduled snapshot due, and an engine that
// fails. The backups are the cloud's business: the snapshot is taken and the backups
// exported whatever the engine does, while the engine's failure is still what the
// conditions say and what the pass returns, unless the backups asked to come back at a
// set time.
func TestReconcileBackupsWhateverTheEngine(t *testing.T) {
	now := time.Date(2026, 12, 2, 12, 30, 0, 0, time.UTC)
	const role = "arn:aws:iam::123456789012:role/export"
	id := naming.Identifier("shop", "orders")
	automated := cloud.Snapshot{Identifier: "rds:" + id + "-2026-12-02-03-10", Available: true, CreatedAt: now.Add(-9 * time.Hour)}
	unreachable := &engine.Error{Op: "login", Unreachable: true, Err: errors.New("connection refused")}
	refused := &engine.Error{Op: "login", PasswordRefused: true, Err: errors.New("password authentication failed")}
	snapshotRefused := &cloud.Error{Op: "create snapshot", Code: "SnapshotQuotaExceeded", Message: "too many snapshots"}
	conditions := func(users, access, backups string) map[string]string {
		return map[string]string{v1.ConditionUsersReady: users, v1.ConditionAccessVerified: access, v1.ConditionBackupsConfigured: backups}
	}
	cases := []struct {
		name   string
		reason string
		// newObject is an object seen for the first time: no finalizer, no Secret yet.
		newObject bool
		// engineDone: users and logins were verified in an earlier pass, so the engine is
		// asked only to log in as each user.
		engineDone  bool
		engineErr   error
		snapshotErr error
		want        phaseOutcome
	}{
		{name: "EngineUnreachable", reason: "The engine cannot be reached: the due snapshot is still taken and the automated backup exported; UsersReady says the engine is unreachable and the pass returns the engine's error.",
			engineErr: unreachable,
			want: phaseOutcome{Err: "engine", Observed: 1, Snapshots: 1, Exports: []string{naming.ExportIdentifier(id, automated.Identifier)},
				Conditions: conditions(v1.ReasonEngineUnreachable, "", v1.ReasonScheduledSnapshots)}},
		{name: "EngineWaits", reason: "The engine refuses the passwords and asks for another look soon: the backups run all the same, and the engine's requeue is returned.",
			engineDone: true, engineErr: refused,
			want: phaseOutcome{Result: ctrl.Result{RequeueAfter: DefaultDefaults.PendingRequeue}, Observed: 1, Snapshots: 1,
				Exports:    []string{naming.ExportIdentifier(id, automated.Identifier)},
				Conditions: conditions(v1.ReasonUsersReady, v1.ReasonPasswordRefused, v1.ReasonScheduledSnapshots)}},
		{name: "SoonerRequeueWins", reason: "The snapshot waits two seconds for its turn under the rate limit, the engine fifteen: the pass comes back after two.",
			engineDone: true, engineErr: refused, snapshotErr: &cloud.WaitError{Op: "create snapshot", Why: "rate limit", After: 2 * time.Second},
			want: phaseOutcome{Result: ctrl.Result{RequeueAfter: 2 * time.Second}, Observed: 1, Snapshots: 1,
				Conditions: conditions(v1.ReasonUsersReady, v1.ReasonPasswordRefused, "")}},
		{name: "BothFail", reason: "The engine and the snapshot both fail: the engine's error is returned, and the snapshot's failure is in BackupsConfigured.",
			engineErr: unreachable, snapshotErr: snapshotRefused,
			want: phaseOutcome{Err: "engine", Observed: 1, Snapshots: 1,
				Conditions: conditions(v1.ReasonEngineUnreachable, "", v1.ReasonBackupFailed)}},
		{name: "SnapshotTurnKeptWhileEngineUnreachable", reason: "The rate limit gives the snapshot a turn in two seconds while the engine is down: the pass comes back then, not after the engine error's backoff, which would lose the turn; UsersReady still says the engine is unreachable.",
			engineErr: unreachable, snapshotErr: &cloud.WaitError{Op: "create snapshot", Why: "rate limit", After: 2 * time.Second},
			want: phaseOutcome{Result: ctrl.Result{RequeueAfter: 2 * time.Second}, Observed: 1, Snapshots: 1,
				Conditions: conditions(v1.ReasonEngineUnreachable, "", "")}},
		{name: "BackupFailsWhileEngineWaits", reason: "The snapshot fails while the engine waits fifteen seconds: the pass comes back then, and BackupsConfigured says the snapshot failed.",
			engineDone: true, engineErr: refused, snapshotErr: snapshotRefused,
			want: phaseOutcome{Result: ctrl.Result{RequeueAfter: DefaultDefaults.PendingRequeue}, Observed: 1, Snapshots: 1,
				Conditions: conditions(v1.ReasonUsersReady, v1.ReasonPasswordRefused, v1.ReasonBackupFailed)}},
		{name: "BackupFailsEngineDone", reason: "The snapshot fails and the engine has nothing to come back for: the backup's error is returned.",
			engineDone: true, snapshotErr: snapshotRefused,
			want: phaseOutcome{Err: "cloud", Observed: 1, Snapshots: 1,
				Conditions: conditions(v1.ReasonUsersReady, v1.ReasonAllLogIn, v1.ReasonBackupFailed)}},
		{name: "NewObjectSecretsFirst", reason: "A new object's first pass writes its Secrets and nothing else, backups included, and comes back after other new objects.",
			newObject: true, engineErr: unreachable,
			want: phaseOutcome{Result: ctrl.Result{RequeueAfter: time.Millisecond, Priority: new(afterNewObjects)}, Conditions: conditions("", "", "")}},
	}
	scheme := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	if err := v1.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := phaseOutcome{Conditions: map[string]string{}}
			fakeCloud := &cloudtest.Provider{
				CreateSnapshotFn: func(context.Context, string, string, map[string]string) error {
					got.Snapshots++
					return tc.snapshotErr
				},
				SnapshotsFn: func(context.Context, string) ([]cloud.Snapshot, error) { return nil, nil },
				// The snapshot just asked for is being taken.
				SnapshotFn: func(_ context.Context, name string) (cloud.Snapshot, bool, error) {
					return cloud.Snapshot{Identifier: name}, true, nil
				},
				AutomatedBackupsFn: func(context.Context, string) ([]cloud.Snapshot, error) { return []cloud.Snapshot{automated}, nil },
				StartExportFn: func(_ context.Context, r cloud.ExportRequest) error {
					got.Exports = append(got.Exports, r.Identifier)
					return nil
				},
			}
			defaults := DefaultDefaults
			defaults.Allow.ExportRoles = Grants{{Namespace: "shop", Value: role}}
			r := &RDSDatabaseReconciler{Cloud: fakeCloud, Defaults: defaults, Clock: clocktesting.NewFakePassiveClock(now),
				Engines: connector{
					ConnectFn: func(context.Context, engine.Endpoint) (engine.Admin, error) { return nil, tc.engineErr },
					VerifyFn:  func(context.Context, engine.Endpoint, string) error { return tc.engineErr },
				}}

			db := phaseDB()
			db.Spec.Backup = v1.Backup{Every: "6h", Retention: "7d", Export: &v1.BackupExport{Bucket: "exports", IAMRoleARN: role}}
			instance := phaseInstance(r, db, cloud.PhaseAvailable)
			fakeCloud.ObserveFn = func(context.Context, string) (cloud.Observation, error) {
				got.Observed++
				return cloud.Observation{Exists: true, Instance: instance}, nil
			}
			objects := []client.Object{db}
			if !tc.newObject {
				db.Finalizers = []string{v1.Finalizer}
				latest := metav1.NewTime(now.Add(-7 * time.Hour).Truncate(6 * time.Hour))
				db.Status.Backup = &v1.BackupStatus{Mode: backupModeSnapshots, LatestSnapshot: "orders-earlier", LatestSnapshotTime: &latest}
				master := db.Spec.MasterUser
				objects = append(objects, credentialSecret(db, master, secretName(db, master), "pw"))
			} else {
				db.Status = v1.RDSDatabaseStatus{}
			}
			if tc.engineDone {
				setCondition(db, v1.ConditionUsersReady, metav1.ConditionTrue, v1.ReasonUsersReady, "in place")
				setCondition(db, v1.ConditionAccessVerified, metav1.ConditionTrue, v1.ReasonAllLogIn, "all log in")
			}
			c := fake.NewClientBuilder().WithScheme(scheme).WithObjects(objects...).WithStatusSubresource(&v1.RDSDatabase{}).Build()
			r.Client, r.APIReader = c, c

			res, err := r.Reconcile(context.Background(), ctrl.Request{NamespacedName: client.ObjectKeyFromObject(db)})
			got.Result = res
			var engineErr *engine.Error
			var cloudErr *cloud.Error
			switch {
			case errors.As(err, &engineErr):
				got.Err = "engine"
			case errors.As(err, &cloudErr):
				got.Err = "cloud"
			case err != nil:
				t.Fatalf("%s\nReconcile: unexpected error %v", tc.reason, err)
			}
			written := &v1.RDSDatabase{}
			if err := c.Get(context.Background(), client.ObjectKeyFromObject(db), written); err != nil {
				t.Fatal(err)
			}
			for _, condType := range []string{v1.ConditionUsersReady, v1.ConditionAccessVerified, v1.ConditionBackupsConfigured} {
				got.Conditions[condType] = ""
				if c := meta.FindStatusCondition(written.Status.Conditions, condType); c != nil {
					got.Conditions[condType] = c.Reason
				}
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s\nReconcile: -want +got:\n%s", tc.reason, diff)
			}
		})
	}
}

// TestJoinResults: how the outcomes of the engine's phases and the backups' make one.
func TestJoinResults(t *testing.T) {
	engineErr, backupErr := errors.New("engine"), errors.New("backup")
	in := func(d time.Duration) ctrl.Result { return ctrl.Result{RequeueAfter: d} }
	cases := []struct {
		reason     string
		a, b       ctrl.Result
		aErr, bErr error
		want       ctrl.Result
		wantErr    error
	}{
		{reason: "Both done: nothing to come back for.", want: ctrl.Result{}},
		{reason: "Only the backups wait: their requeue.", b: in(time.Second), want: in(time.Second)},
		{reason: "Only the engine waits: its requeue.", a: in(time.Minute), want: in(time.Minute)},
		{reason: "Both wait: the sooner.", a: in(time.Minute), b: in(time.Second), want: in(time.Second)},
		{reason: "Both wait, the engine sooner: the engine's.", a: in(time.Second), b: in(time.Minute), want: in(time.Second)},
		{reason: "The engine fails and the backups wait: come back when they asked, or their turn is lost.", aErr: engineErr, b: in(time.Second), want: in(time.Second)},
		{reason: "The backups fail and the engine waits: come back when it asked.", a: in(time.Minute), bErr: backupErr, want: in(time.Minute)},
		{reason: "Only the engine fails: its error.", aErr: engineErr, wantErr: engineErr},
		{reason: "Only the backups fail: their error.", bErr: backupErr, wantErr: backupErr},
		{reason: "Two errors: the engine's.", aErr: engineErr, bErr: backupErr, wantErr: engineErr},
	}
	for _, tc := range cases {
		got, err := joinResults(context.Background(), tc.a, tc.aErr, tc.b, tc.bErr)
		if diff := cmp.Diff(tc.want, got); diff != "" || !errors.Is(err, tc.wantErr) || (tc.wantErr == nil) != (err == nil) {
			t.Errorf("%s\njoinResults: error %v, want %v; result -want +got:\n%s", tc.reason, err, tc.wantErr, diff)
		}
	}
}
