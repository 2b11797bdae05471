package controller

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/events"
	clocktesting "k8s.io/utils/clock/testing"

	v1 "github.com/matrixmind-cloud/aws-rds-operator/api/v1"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/cloud"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/cloud/cloudtest"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/naming"
)

// TestReconcileExports: which backups are exported, each once, and what the object says of
// its exports; every case counts the calls the fake cloud got.
func TestReconcileExports(t *testing.T) {
	const scheduled = "orders-sched-1"
	id := naming.Identifier("shop", "orders")
	task := func(snapshot string) string { return naming.ExportIdentifier(id, snapshot) }
	day := time.Date(2026, 12, 2, 3, 0, 0, 0, time.UTC)
	cases := []struct {
		reason      string
		noExport    bool
		snapshot    cloud.Snapshot // the schedule's latest, "" for none
		automated   []cloud.Snapshot
		exports     []cloud.Export
		exportsErr  error
		startErr    error
		checkedAgo  time.Duration // since the automated backups were last looked at; 0: never
		roleRefused bool          // no cluster admin allowed the export role
		wantStarts  []string
		wantAutoLS  int
		wantReason  string
		wantEvent   string
		wantRequeue bool
		wantErr     bool
	}{
		{reason: "Without spec.backup.export nothing is asked of the cloud.", noExport: true},
		{reason: "The schedule's snapshot, complete, is exported; so is the newest automated backup.",
			snapshot:   cloud.Snapshot{Identifier: scheduled, Available: true},
			automated:  []cloud.Snapshot{{Identifier: "rds:auto-1", Available: true, CreatedAt: day}, {Identifier: "rds:auto-2", Available: true, CreatedAt: day.Add(24 * time.Hour)}},
			wantStarts: []string{task(scheduled), task("rds:auto-2")}, wantAutoLS: 1, wantEvent: v1.EventExportStarted},
		{reason: "A snapshot with an export (whatever its state) is not exported again.",
			snapshot:  cloud.Snapshot{Identifier: scheduled, Available: true},
			automated: []cloud.Snapshot{{Identifier: "rds:auto-1", Available: true, CreatedAt: day}},
			exports: []cloud.Export{{Identifier: task(scheduled), Snapshot: scheduled, Status: "IN_PROGRESS", Phase: cloud.ExportRunning},
				{Identifier: task("rds:auto-1"), Snapshot: "rds:auto-1", Status: "COMPLETE", Phase: cloud.ExportComplete}},
			wantAutoLS: 1},
		{reason: "A snapshot still being taken waits; a backup still being taken is no candidate.",
			snapshot: cloud.Snapshot{Identifier: scheduled}, automated: []cloud.Snapshot{{Identifier: "rds:auto-1", CreatedAt: day}}, wantAutoLS: 1},
		{reason: "Automated backups looked at less than 12 hours ago are not looked at again.",
			checkedAgo: time.Hour},
		{reason: "Half a day later they are.", checkedAgo: 13 * time.Hour, wantAutoLS: 1},
		{reason: "A failed export is said once, in a Warning Event with the cloud's cause.",
			exports:    []cloud.Export{{Identifier: task("rds:auto-1"), Snapshot: "rds:auto-1", Status: "FAILED", Phase: cloud.ExportFailed, FailureCause: "The S3 bucket x isn't valid."}},
			checkedAgo: time.Hour, wantEvent: v1.EventExportFailed},
		{reason: "Another database's exports are not this one's.", checkedAgo: time.Hour,
			exports: []cloud.Export{{Identifier: naming.ExportIdentifier(naming.Identifier("shop", "other"), "x"), Status: "FAILED", Phase: cloud.ExportFailed}}},
		{reason: "A cloud that exports nothing says so in the condition and is not retried sooner than the resync.",
			snapshot: cloud.Snapshot{Identifier: scheduled, Available: true}, checkedAgo: time.Hour,
			startErr:   &cloud.Error{Op: "start export", Kind: cloud.ErrUnsupported, Message: "Cloud SQL exports are not offered"},
			wantStarts: []string{task(scheduled)}, wantReason: v1.ReasonExportFailed},
		{reason: "A refusal is said and retried with backoff.",
			snapshot: cloud.Snapshot{Identifier: scheduled, Available: true}, checkedAgo: time.Hour,
			startErr:   &cloud.Error{Op: "start export", Code: "InvalidS3BucketFault", Message: "bad bucket", Field: cloud.FieldExportBucket},
			wantStarts: []string{task(scheduled)}, wantReason: v1.ReasonExportFailed, wantErr: true},
		{reason: "A role no cluster admin allowed in the namespace is refused before anything is asked: it decides which buckets the cloud writes to.",
			snapshot: cloud.Snapshot{Identifier: scheduled, Available: true}, checkedAgo: time.Hour, roleRefused: true, wantReason: v1.ReasonExportFailed},
		{reason: "While the shared view has not shown an export just started, nothing is asked: come back.",
			snapshot: cloud.Snapshot{Identifier: scheduled, Available: true}, exportsErr: &cloud.WaitError{Op: "exports", After: time.Second},
			wantRequeue: true},
	}
	for i, tc := range cases {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			var starts []string
			autoLS := 0
			fake := &cloudtest.Provider{
				ExportsFn: func(context.Context) ([]cloud.Export, error) { return tc.exports, tc.exportsErr },
				SnapshotFn: func(_ context.Context, name string) (cloud.Snapshot, bool, error) {
					return tc.snapshot, name == tc.snapshot.Identifier && name != "", nil
				},
				AutomatedBackupsFn: func(context.Context, string) ([]cloud.Snapshot, error) { autoLS++; return tc.automated, nil },
				StartExportFn: func(_ context.Context, r cloud.ExportRequest) error {
					if r.Bucket != "exports" || r.Role == "" || r.KMSKeyID != "alias/rds-export" || r.Tags[v1.TagOwner] != "shop/orders" {
						t.Errorf("%s\nexport request %+v does not carry spec.backup.export and the owner", tc.reason, r)
					}
					starts = append(starts, r.Identifier)
					return tc.startErr
				},
			}
			rec := events.NewFakeRecorder(10)
			defaults := DefaultDefaults
			if !tc.roleRefused {
				defaults.Allow.ExportRoles = Grants{{Namespace: "shop", Value: "arn:aws:iam::123456789012:role/x"}}
			}
			r := &RDSDatabaseReconciler{Cloud: fake, Defaults: defaults, Recorder: rec, Clock: clocktesting.NewFakePassiveClock(day)}
			db := sampleDB()
			if !tc.noExport {
				db.Spec.Backup.Export = &v1.BackupExport{Bucket: "exports", Prefix: "rds", IAMRoleARN: "arn:aws:iam::123456789012:role/x", KMSKeyID: "alias/rds-export"}
			}
			if tc.snapshot.Identifier != "" {
				db.Status.Backup = &v1.BackupStatus{Mode: backupModeSnapshots, LatestSnapshot: tc.snapshot.Identifier}
			}
			s := placed(r, db)
			if tc.checkedAgo != 0 {
				r.exportChecks.Store(types.NamespacedName{Namespace: db.Namespace, Name: db.Name}, exportCheck{at: day.Add(-tc.checkedAgo)})
			}
			res, err := r.reconcileExports(context.Background(), s)
			if (err != nil) != tc.wantErr || (res.RequeueAfter > 0) != tc.wantRequeue {
				t.Errorf("%s\nresult %+v, error %v; want error %t, requeue %t", tc.reason, res, err, tc.wantErr, tc.wantRequeue)
			}
			if strings.Join(starts, ",") != strings.Join(tc.wantStarts, ",") {
				t.Errorf("%s\nexports started %v, want %v", tc.reason, starts, tc.wantStarts)
			}
			if autoLS != tc.wantAutoLS {
				t.Errorf("%s\nautomated backups listed %d times, want %d", tc.reason, autoLS, tc.wantAutoLS)
			}
			c := meta.FindStatusCondition(db.Status.Conditions, v1.ConditionBackupsConfigured)
			if tc.wantReason != "" && (c == nil || c.Reason != tc.wantReason) {
				t.Errorf("%s\nBackupsConfigured = %+v, want reason %s", tc.reason, c, tc.wantReason)
			}
			gotEvent := ""
			select {
			case e := <-rec.Events:
				gotEvent = e
			default:
			}
			if tc.wantEvent != "" && !strings.Contains(gotEvent, tc.wantEvent) {
				t.Errorf("%s\nevent %q, want one with reason %s", tc.reason, gotEvent, tc.wantEvent)
			}
			if tc.exports != nil && len(exportsOf(tc.exports, id)) > 0 && (db.Status.Backup == nil || db.Status.Backup.LastExport == nil) {
				t.Errorf("%s\nstatus.backup.lastExport not set", tc.reason)
			}
		})
	}
}

// TestReconcileExportsAfterADeferredStart: passes whose calls the rate limit defers one
// after another still export every backup: what a pass learned is not asked again, so each
// deferred call is the first of the next pass, at its turn.
func TestReconcileExportsAfterADeferredStart(t *testing.T) {
	const scheduled = "orders-sched-1"
	day := time.Date(2026, 12, 2, 3, 0, 0, 0, time.UTC)
	id := naming.Identifier("shop", "orders")
	automated := cloud.Snapshot{Identifier: "rds:auto-1", Available: true, CreatedAt: day}
	deferred := &cloud.WaitError{Op: "rate limit", Why: "a later turn", After: time.Second}
	// turn says, call by call, which calls the rate limit defers: every call that is not
	// the first of its pass, as under a busy limiter.
	var calls []string
	var started []cloud.Export
	first := true
	turn := func(call string) error {
		calls = append(calls, call)
		if !first {
			return deferred
		}
		first = false
		return nil
	}
	fake := &cloudtest.Provider{
		SnapshotFn: func(_ context.Context, name string) (cloud.Snapshot, bool, error) {
			return cloud.Snapshot{Identifier: name, Available: true}, true, turn("look up " + name)
		},
		AutomatedBackupsFn: func(context.Context, string) ([]cloud.Snapshot, error) {
			return []cloud.Snapshot{automated}, turn("list automated backups")
		},
		StartExportFn: func(_ context.Context, r cloud.ExportRequest) error {
			err := turn("start " + r.Identifier)
			if err == nil {
				started = append(started, cloud.Export{Identifier: r.Identifier, Phase: cloud.ExportRunning})
			}
			return err
		},
		ExportsFn: func(context.Context) ([]cloud.Export, error) { return started, nil },
	}
	defaults := DefaultDefaults
	defaults.Allow.ExportRoles = Grants{{Namespace: "shop", Value: "arn:aws:iam::123456789012:role/x"}}
	r := &RDSDatabaseReconciler{Cloud: fake, Defaults: defaults, Clock: clocktesting.NewFakePassiveClock(day)}
	db := sampleDB()
	db.Spec.Backup.Export = &v1.BackupExport{Bucket: "exports", IAMRoleARN: "arn:aws:iam::123456789012:role/x", KMSKeyID: "alias/rds-export"}
	db.Status.Backup = &v1.BackupStatus{Mode: backupModeSnapshots, LatestSnapshot: scheduled}
	for pass := 1; pass <= 4; pass++ {
		first = true
		res, err := r.reconcileExports(context.Background(), placed(r, db))
		if wantWait := pass < 4; err != nil || (res.RequeueAfter == deferred.After) != wantWait {
			t.Fatalf("pass %d: result %+v, error %v; want a requeue for the deferred call %t", pass, res, err, wantWait)
		}
	}
	want := []string{
		"look up " + scheduled, "list automated backups", // pass 1
		"list automated backups", "start " + naming.ExportIdentifier(id, scheduled), // pass 2
		"start " + naming.ExportIdentifier(id, scheduled), "start " + naming.ExportIdentifier(id, automated.Identifier), // pass 3
		"start " + naming.ExportIdentifier(id, automated.Identifier), // pass 4
	}
	if diff := cmp.Diff(want, calls); diff != "" {
		t.Errorf("calls over four passes, -want +got:\n%s", diff)
	}
}
