package controller

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/events"
	clocktesting "k8s.io/utils/clock/testing"

	v1 "github.com/matrixmind-cloud/aws-rds-operator/api/v1"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/cloud"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/cloud/cloudtest"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/naming"
)

// TestReconcileManualSnapshot: the manual snapshot phase on a fake cloud that keeps its
// snapshots, run as it runs in a pass, after the backups phase has set BackupsConfigured.
// Each case counts the calls the cloud got and compares status.backup.lastManualSnapshot,
// the condition and the Events.
func TestReconcileManualSnapshot(t *testing.T) {
	const token = "1767225600"
	now := time.Date(2026, 12, 2, 12, 30, 0, 0, time.UTC)
	id := naming.Identifier("shop", "orders")
	name := naming.ManualSnapshotIdentifier(id, token)
	at := func(ago time.Duration) *metav1.Time { t := metav1.NewTime(now.Add(-ago)); return &t }
	asked := map[string]string{v1.AnnotationSnapshotRequest: token}
	pending := &v1.ManualSnapshotStatus{Request: token, Snapshot: name, RequestedAt: at(time.Minute)}
	invalid := `annotation matrixmind.cloud/snapshot-request="Nightly_1" is ignored: a request token is 1 to 63 lowercase letters, digits and hyphens, e.g. the output of date +%s`
	wantTags := map[string]string{v1.TagOwner: "shop/orders", v1.TagManagedBy: v1.ManagedByValue, v1.TagBackup: v1.BackupManual}

	cases := []struct {
		name        string
		reason      string
		annotations map[string]string
		every       string
		last        *v1.ManualSnapshotStatus
		phase       cloud.Phase // the database's; Available when empty
		inCloud     []cloud.Snapshot
		createErr   error
		refusedRead bool // the object read already says the token is refused
		lostWrite   bool // the pass's status write is lost, and the next pass starts from the same object
		wantCreates []string
		wantTaken   int
		wantLookups int
		wantStatus  *v1.ManualSnapshotStatus
		wantSoon    bool
		wantEvents  []string // "type reason", in order
		wantReason  string   // BackupsConfigured's, after the pass
		wantErr     bool
	}{
		{name: "NoRequest", reason: "Without the annotation nothing is asked of the cloud.",
			wantReason: v1.ReasonAutomatedBackups},
		{name: "NewToken", reason: "A new token takes one snapshot named after it, tagged with its owner and as manual, says so, and follows it soon.",
			annotations: asked,
			wantCreates: []string{name}, wantTaken: 1,
			wantStatus: &v1.ManualSnapshotStatus{Request: token, Snapshot: name, RequestedAt: at(0)}, wantSoon: true,
			wantEvents: []string{"Normal " + v1.EventManualSnapshotRequested}, wantReason: v1.ReasonAutomatedBackups},
		{name: "NewTokenOnASchedule", reason: "With a snapshot schedule the request is served the same way, tagged manual, not scheduled.",
			annotations: asked, every: "6h",
			wantCreates: []string{name}, wantTaken: 1,
			wantStatus: &v1.ManualSnapshotStatus{Request: token, Snapshot: name, RequestedAt: at(0)}, wantSoon: true,
			wantEvents: []string{"Normal " + v1.EventManualSnapshotRequested}, wantReason: v1.ReasonAutomatedBackups},
		{name: "NewTokenAfterAnother", reason: "A token other than the last one served is a new request, whatever became of the last.",
			annotations: asked, last: &v1.ManualSnapshotStatus{Request: "1767000000", Snapshot: "old", Status: "available", Complete: true, RequestedAt: at(time.Hour)},
			wantCreates: []string{name}, wantTaken: 1,
			wantStatus: &v1.ManualSnapshotStatus{Request: token, Snapshot: name, RequestedAt: at(0)}, wantSoon: true,
			wantEvents: []string{"Normal " + v1.EventManualSnapshotRequested}, wantReason: v1.ReasonAutomatedBackups},
		{name: "SameTokenAgain", reason: "The token of a complete snapshot asks for nothing: no call at all.",
			annotations: asked, last: &v1.ManualSnapshotStatus{Request: token, Snapshot: name, Status: "available", Complete: true, RequestedAt: at(time.Hour)},
			wantStatus: &v1.ManualSnapshotStatus{Request: token, Snapshot: name, Status: "available", Complete: true, RequestedAt: at(time.Hour)},
			wantReason: v1.ReasonAutomatedBackups},
		{name: "NotYetComplete", reason: "A snapshot being taken is looked up once, its word shown, and looked at again soon; it is not asked for again.",
			annotations: asked, last: pending, inCloud: []cloud.Snapshot{{Identifier: name, Status: "creating"}},
			wantLookups: 1,
			wantStatus:  &v1.ManualSnapshotStatus{Request: token, Snapshot: name, Status: "creating", RequestedAt: at(time.Minute)},
			wantSoon:    true, wantReason: v1.ReasonAutomatedBackups},
		{name: "Complete", reason: "A snapshot the cloud reports available is complete, said in an Event, and no longer followed.",
			annotations: asked, last: pending, inCloud: []cloud.Snapshot{{Identifier: name, Status: "available", Available: true}},
			wantLookups: 1,
			wantStatus:  &v1.ManualSnapshotStatus{Request: token, Snapshot: name, Status: "available", Complete: true, RequestedAt: at(time.Minute)},
			wantEvents:  []string{"Normal " + v1.EventManualSnapshotCompleted}, wantReason: v1.ReasonAutomatedBackups},
		{name: "NotListedYet", reason: "A snapshot the cloud does not list a minute after it was asked for is waited for, not asked for again.",
			annotations: asked, last: pending,
			wantLookups: 1, wantStatus: pending, wantSoon: true, wantReason: v1.ReasonAutomatedBackups},
		{name: "Missing", reason: "A snapshot still not listed long after is gone: said in a Warning, looked at only at the resync.",
			annotations: asked, last: &v1.ManualSnapshotStatus{Request: token, Snapshot: name, RequestedAt: at(time.Hour)},
			wantLookups: 1, wantStatus: &v1.ManualSnapshotStatus{Request: token, Snapshot: name, RequestedAt: at(time.Hour)},
			wantEvents: []string{"Warning " + v1.EventManualSnapshotMissing}, wantReason: v1.ReasonAutomatedBackups},
		{name: "BusyDatabase", reason: "A database that is not idle is not asked for a snapshot; the request is served soon.",
			annotations: asked, phase: cloud.PhaseBackingUp,
			wantSoon: true, wantReason: v1.ReasonAutomatedBackups},
		{name: "CloudSaysBusy", reason: "A cloud that answers the database is busy is asked again soon, without a failure.",
			annotations: asked, createErr: &cloud.Error{Op: "create snapshot", Code: "InvalidDBInstanceState", Kind: cloud.ErrBusy},
			wantCreates: []string{name}, wantSoon: true, wantReason: v1.ReasonAutomatedBackups},
		{name: "CloudRefuses", reason: "A refusal is said in BackupsConfigured and a Warning, and retried with backoff; the request is not marked served.",
			annotations: asked, createErr: &cloud.Error{Op: "create snapshot", Code: "SnapshotQuotaExceeded", Message: "too many snapshots"},
			wantCreates: []string{name},
			wantEvents:  []string{"Warning " + v1.ReasonBackupFailed}, wantReason: v1.ReasonBackupFailed, wantErr: true},
		{name: "InvalidToken", reason: "A malformed token is refused in BackupsConfigured and a Warning, and ignored: nothing is asked of the cloud.",
			annotations: map[string]string{v1.AnnotationSnapshotRequest: "Nightly_1"},
			wantEvents:  []string{"Warning " + v1.ReasonSnapshotRequestInvalid}, wantReason: v1.ReasonSnapshotRequestInvalid},
		{name: "TokenTooLong", reason: "A token of 64 characters is refused too.",
			annotations: map[string]string{v1.AnnotationSnapshotRequest: strings.Repeat("a", 64)},
			wantEvents:  []string{"Warning " + v1.ReasonSnapshotRequestInvalid}, wantReason: v1.ReasonSnapshotRequestInvalid},
		{name: "InvalidTokenStill", reason: "A refusal the object already shows is not said again, nor is the backups phase's condition it overrides.",
			annotations: map[string]string{v1.AnnotationSnapshotRequest: "Nightly_1"}, refusedRead: true,
			wantReason: v1.ReasonSnapshotRequestInvalid},
		{name: "CrashBeforeTheStatusWrite", reason: "A pass whose status write is lost after the cloud took the snapshot asks again with the same name: the cloud finds it, and there is still one snapshot.",
			annotations: asked, lostWrite: true,
			wantCreates: []string{name, name}, wantTaken: 1,
			wantStatus: &v1.ManualSnapshotStatus{Request: token, Snapshot: name, RequestedAt: at(0)}, wantSoon: true,
			wantEvents: []string{"Normal " + v1.EventManualSnapshotRequested}, wantReason: v1.ReasonAutomatedBackups},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			store := map[string]cloud.Snapshot{}
			for _, snap := range tc.inCloud {
				store[snap.Identifier] = snap
			}
			var creates []string
			taken, lookups := 0, 0
			fake := &cloudtest.Provider{
				CreateSnapshotFn: func(_ context.Context, db, snapshot string, tags map[string]string) error {
					creates = append(creates, snapshot)
					if db != id {
						t.Errorf("%s\nsnapshot of %q, want of %q", tc.reason, db, id)
					}
					if diff := cmp.Diff(wantTags, tags); diff != "" {
						t.Errorf("%s\nsnapshot tags: -want +got:\n%s", tc.reason, diff)
					}
					if tc.createErr != nil {
						return tc.createErr
					}
					if _, ok := store[snapshot]; !ok { // idempotent, as cloud.Provider promises
						store[snapshot] = cloud.Snapshot{Identifier: snapshot, Status: "creating", Tags: tags}
						taken++
					}
					return nil
				},
				SnapshotFn: func(_ context.Context, snapshot string) (cloud.Snapshot, bool, error) {
					lookups++
					snap, ok := store[snapshot]
					return snap, ok, nil
				},
			}
			rec := events.NewFakeRecorder(10)
			r := &RDSDatabaseReconciler{Cloud: fake, Defaults: DefaultDefaults, Recorder: rec, Clock: clocktesting.NewFakePassiveClock(now)}
			read := sampleDB()
			read.UID = "uid-1"
			read.Annotations = tc.annotations
			read.Spec.Backup.Every = tc.every
			read.Status.Backup = &v1.BackupStatus{Mode: backupModeAutomated, LastManualSnapshot: tc.last.DeepCopy()}
			automated := metav1.Condition{Type: v1.ConditionBackupsConfigured, Status: metav1.ConditionTrue, Reason: v1.ReasonAutomatedBackups,
				Message: "the cloud takes automated daily backups, kept 7 days", ObservedGeneration: read.Generation}
			read.Status.Conditions = []metav1.Condition{automated}
			if tc.refusedRead {
				read.Status.Conditions = []metav1.Condition{{Type: v1.ConditionBackupsConfigured, Status: metav1.ConditionFalse,
					Reason: v1.ReasonSnapshotRequestInvalid, Message: invalid, ObservedGeneration: read.Generation}}
			}
			phase := tc.phase
			if phase == "" {
				phase = cloud.PhaseAvailable
			}

			var s *scope
			var err error
			var got []string
			for pass := 0; pass == 0 || (tc.lostWrite && pass < 2); pass++ {
				db := read.DeepCopy()
				s = placed(r, db)
				s.instance = &cloud.Instance{Identifier: s.identifier, Phase: phase, BackupRetentionDays: 7}
				// As the backups phase, just before, sets the condition for the pass.
				s.announce(automated.Type, automated.Status, automated.Reason, automated.Message, corev1.EventTypeNormal, "")
				_, err = r.reconcileManualSnapshot(context.Background(), s)
				got = nil
				for _, e := range s.events {
					got = append(got, e.eventType+" "+e.reason)
				}
			}
			for len(rec.Events) > 0 {
				f := strings.Fields(<-rec.Events)
				got = append(got, f[0]+" "+f[1])
			}

			if (err != nil) != tc.wantErr {
				t.Errorf("%s\nerror %v, want one %t", tc.reason, err, tc.wantErr)
			}
			if diff := cmp.Diff(tc.wantCreates, creates); diff != "" {
				t.Errorf("%s\nCreateSnapshot calls: -want +got:\n%s", tc.reason, diff)
			}
			if taken != tc.wantTaken || lookups != tc.wantLookups {
				t.Errorf("%s\n%d snapshots taken, %d looked up; want %d, %d", tc.reason, taken, lookups, tc.wantTaken, tc.wantLookups)
			}
			if diff := cmp.Diff(tc.wantStatus, s.db.Status.Backup.LastManualSnapshot); diff != "" {
				t.Errorf("%s\nstatus.backup.lastManualSnapshot: -want +got:\n%s", tc.reason, diff)
			}
			if s.soon != tc.wantSoon {
				t.Errorf("%s\nsoon %t, want %t", tc.reason, s.soon, tc.wantSoon)
			}
			if diff := cmp.Diff(tc.wantEvents, got); diff != "" {
				t.Errorf("%s\nEvents: -want +got:\n%s", tc.reason, diff)
			}
			if c := meta.FindStatusCondition(s.db.Status.Conditions, v1.ConditionBackupsConfigured); c == nil || c.Reason != tc.wantReason {
				t.Errorf("%s\nBackupsConfigured = %+v, want reason %s", tc.reason, c, tc.wantReason)
			}
		})
	}
}
