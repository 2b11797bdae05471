package controller

import (
	"context"
	"fmt"
	"slices"
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
		wantQuiet   bool          // BackupsConfigured is not set
		manual      *v1.ManualSnapshotStatus
		startErrs   map[string]error // by export identifier, beside startErr
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
			startErr:   &cloud.Error{Op: "start export", Kind: cloud.ErrUnsupported, Message: "this cloud has no exports"},
			wantStarts: []string{task(scheduled)}, wantReason: v1.ReasonExportFailed},
		{reason: "A refusal is said and retried with backoff.",
			snapshot: cloud.Snapshot{Identifier: scheduled, Available: true}, checkedAgo: time.Hour,
			startErr:   &cloud.Error{Op: "start export", Code: "InvalidS3BucketFault", Message: "bad bucket", Field: cloud.FieldExportBucket},
			wantStarts: []string{task(scheduled)}, wantReason: v1.ReasonExportFailed, wantErr: true},
		{reason: "A role no cluster admin allowed in the namespace is refused before anything is asked: it decides which buckets the cloud writes to.",
			snapshot: cloud.Snapshot{Identifier: scheduled, Available: true}, checkedAgo: time.Hour, roleRefused: true, wantReason: v1.ReasonExportFailed},
		{reason: "A complete snapshot asked for on demand is exported too, once.", checkedAgo: time.Hour, manual: &v1.ManualSnapshotStatus{Request: "1", Snapshot: "orders-manual-1", Complete: true},
			wantStarts: []string{task("orders-manual-1")}, wantEvent: v1.EventExportStarted},
		{reason: "One not complete yet is not.", checkedAgo: time.Hour, manual: &v1.ManualSnapshotStatus{Request: "1", Snapshot: "orders-manual-1"}},
		{reason: "One exported already is not exported again.", checkedAgo: time.Hour, manual: &v1.ManualSnapshotStatus{Request: "1", Snapshot: "orders-manual-1", Complete: true},
			exports: []cloud.Export{{Identifier: task("orders-manual-1"), Status: "COMPLETE", Phase: cloud.ExportComplete}}},
		{reason: "An export the cloud made part of is asked for again, by its identifier, to go on.", checkedAgo: time.Hour,
			exports:    []cloud.Export{{Identifier: task(scheduled), Status: "PENDING", Phase: cloud.ExportPartial, Percent: 50, Bucket: "exports", Prefix: "rds/"}},
			wantStarts: []string{task(scheduled)}, wantQuiet: true},
		{reason: "A partial export into another bucket than the spec's now is left as it is.", checkedAgo: time.Hour,
			exports: []cloud.Export{{Identifier: task(scheduled), Status: "PENDING", Phase: cloud.ExportPartial, Bucket: "old-exports", Prefix: "rds"}}},
		{reason: "A partial export the cloud can take no further is said, and the other backups are exported all the same.", checkedAgo: time.Hour,
			snapshot:   cloud.Snapshot{Identifier: scheduled, Available: true},
			exports:    []cloud.Export{{Identifier: task("old"), Status: "PENDING", Phase: cloud.ExportPartial, Bucket: "exports", Prefix: "rds"}},
			startErrs:  map[string]error{task("old"): &cloud.Error{Op: "start export", Kind: cloud.ErrUnsupported, Message: "no database left"}},
			wantStarts: []string{task("old"), task(scheduled)}, wantEvent: v1.EventExportFailed},
		{reason: "A database too busy to export now (a backup just taken) is waited for quietly, not failed.",
			snapshot: cloud.Snapshot{Identifier: scheduled, Available: true}, checkedAgo: time.Hour,
			startErr:   &cloud.Error{Op: "start export", Code: "operationInProgress", Kind: cloud.ErrBusy},
			wantStarts: []string{task(scheduled)}, wantQuiet: true},
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
					if r.Bucket != "exports" || r.Role == "" || r.KMSKeyID != "alias/rds-export" || r.Tags[v1.TagOwner] != "shop/orders" || r.Database != id {
						t.Errorf("%s\nexport request %+v does not carry spec.backup.export and the owner", tc.reason, r)
					}
					starts = append(starts, r.Identifier)
					if err, ok := tc.startErrs[r.Identifier]; ok {
						return err
					}
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
			if tc.manual != nil {
				db.Status.Backup = &v1.BackupStatus{Mode: backupModeAutomated, LastManualSnapshot: tc.manual}
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
			if tc.wantQuiet && c != nil {
				t.Errorf("%s\nBackupsConfigured = %+v, want none", tc.reason, c)
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

// TestExportBeforeDelete: on a cloud that exports live data, a database whose spec asks for
// exports is exported once more before it is deleted with its final snapshot, and the delete
// waits for that export, but never for ever.
func TestExportBeforeDelete(t *testing.T) {
	cases := map[string]struct {
		reason     string
		notLive    bool
		phase      cloud.Phase
		export     *cloud.Export // the final export as the cloud lists it; nil for none
		startErr   error
		wantStarts int
		wantDelete bool
		wantEvent  string
		wantErr    bool
	}{
		"Starts": {reason: "No export yet: it starts, naming the database and the final snapshot; no delete yet.",
			wantStarts: 1, wantEvent: v1.EventExportStarted},
		"Runs": {reason: "The export runs: the delete waits, nothing is asked again.",
			export: &cloud.Export{Phase: cloud.ExportRunning, Status: "RUNNING"}},
		"Partial": {reason: "The cloud made part of it: it is asked to go on; no delete yet.",
			export: &cloud.Export{Phase: cloud.ExportPartial, Status: "PENDING"}, wantStarts: 1, wantEvent: v1.EventExportStarted},
		"Complete": {reason: "The export is complete: the delete goes on.",
			export: &cloud.Export{Phase: cloud.ExportComplete, Status: "DONE"}, wantDelete: true},
		"Failed": {reason: "The export failed (said by its own Event): the delete goes on, with the final snapshot.",
			export: &cloud.Export{Phase: cloud.ExportFailed, Status: "DONE", FailureCause: "no bucket"}, wantDelete: true},
		"Refused": {reason: "The cloud refuses the export: a Warning Event, and the delete goes on.",
			startErr: &cloud.Error{Op: "start export", Code: "InvalidParameterValue", Field: cloud.FieldExportRole}, wantStarts: 1,
			wantDelete: true, wantEvent: v1.EventExportFailed},
		"Busy": {reason: "The database is busy: wait quietly, no delete.",
			startErr: &cloud.Error{Op: "start export", Code: "operationInProgress", Kind: cloud.ErrBusy}, wantStarts: 1},
		"Throttled": {reason: "A throttled start is retried with backoff; no delete.",
			startErr: &cloud.Error{Op: "start export", Code: "HTTP429", Kind: cloud.ErrTransient}, wantStarts: 1, wantErr: true},
		"Stopped": {reason: "A stopped database cannot be exported: said, and the delete goes on.",
			phase: cloud.PhaseStopped, wantDelete: true, wantEvent: v1.EventExportFailed},
		"SnapshotClouds": {reason: "A cloud that exports snapshots exports the final one after the delete, not before.",
			notLive: true, wantDelete: true},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			rec := events.NewFakeRecorder(10)
			r := &RDSDatabaseReconciler{Defaults: DefaultDefaults, Recorder: rec}
			db := phaseDB()
			db.Spec.Backup.Export = &v1.BackupExport{Bucket: "cold", Prefix: "shop"}
			id := newScope(db).identifier
			final := naming.FinalSnapshotIdentifier(id, string(db.UID))
			task := naming.ExportIdentifier(id, final)
			obs := cloud.Observation{Exists: true, Instance: phaseInstance(r, db, cloud.PhaseAvailable)}
			if tc.phase != "" {
				obs.Instance.Phase = tc.phase
			}
			var c calls
			fake := fakeWith(&c, obs, nil, nil)
			fake.Live = !tc.notLive
			listed := 0
			fake.ExportsFn = func(context.Context) ([]cloud.Export, error) {
				listed++
				if tc.export == nil {
					return nil, nil
				}
				e := *tc.export
				e.Identifier = task
				return []cloud.Export{e}, nil
			}
			starts := 0
			fake.StartExportFn = func(_ context.Context, req cloud.ExportRequest) error {
				starts++
				if req.Identifier != task || req.Database != id || req.Snapshot != final || req.Bucket != "cold" || req.Prefix != "shop" || req.Role != "" {
					t.Errorf("%s\nexport request %+v, want %s of database %s, snapshot %s, into cold/shop, no role", tc.reason, req, task, id, final)
				}
				return tc.startErr
			}
			r.Cloud = fake
			gone, err := r.deleteCloudDatabase(context.Background(), placed(r, db))
			if gone || (err != nil) != tc.wantErr {
				t.Errorf("%s\ngone %t, error %v; want not gone yet, error %t", tc.reason, gone, err, tc.wantErr)
			}
			if starts != tc.wantStarts || (len(c.deletes) > 0) != tc.wantDelete {
				t.Errorf("%s\n%d export starts and %d deletes, want %d and a delete %t", tc.reason, starts, len(c.deletes), tc.wantStarts, tc.wantDelete)
			}
			if tc.notLive && listed != 0 {
				t.Errorf("%s\nexports listed %d times before the delete, want none", tc.reason, listed)
			}
			for _, d := range c.deletes {
				if d.FinalSnapshotIdentifier != final {
					t.Errorf("%s\ndeleted with final snapshot %q, want %s", tc.reason, d.FinalSnapshotIdentifier, final)
				}
			}
			var got []string
			for len(rec.Events) > 0 {
				got = append(got, <-rec.Events)
			}
			if tc.wantEvent != "" && !slices.ContainsFunc(got, func(e string) bool { return strings.Contains(e, tc.wantEvent) }) {
				t.Errorf("%s\nevents %q, want one with reason %s", tc.reason, got, tc.wantEvent)
			}
		})
	}
}
