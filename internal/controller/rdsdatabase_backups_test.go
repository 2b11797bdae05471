package controller

import (
	"context"
	"slices"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	clocktesting "k8s.io/utils/clock/testing"
	ctrl "sigs.k8s.io/controller-runtime"

	v1 "github.com/matrixmind-cloud/aws-rds-operator/api/v1"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/cloud"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/cloud/cloudtest"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/naming"
)

func TestParseEvery(t *testing.T) {
	cases := map[string]struct {
		reason  string
		in      string
		want    time.Duration
		wantErr bool
	}{
		"Default":  {reason: "Empty is the automated daily backup.", in: "", want: 24 * time.Hour},
		"Hours":    {reason: "Hours are hours.", in: "6h", want: 6 * time.Hour},
		"Days":     {reason: "Days are 24 hours.", in: "7d", want: 7 * 24 * time.Hour},
		"Daily":    {reason: "24h is the automated mode's interval.", in: "24h", want: 24 * time.Hour},
		"Minutes":  {reason: "Minutes are not a backup interval.", in: "30m", wantErr: true},
		"Zero":     {reason: "Zero is no interval.", in: "0h", wantErr: true},
		"Garbage":  {reason: "Not a number.", in: "xh", wantErr: true},
		"NoSuffix": {reason: "A unit is needed.", in: "6", wantErr: true},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := parseEvery(tc.in)
			if (err != nil) != tc.wantErr || (!tc.wantErr && got != tc.want) {
				t.Errorf("%s\nparseEvery(%q) = %s, %v; want %s, error %v", tc.reason, tc.in, got, err, tc.want, tc.wantErr)
			}
		})
	}
}

func TestNextSlot(t *testing.T) {
	now := time.Date(2026, 11, 25, 12, 30, 45, 0, time.UTC)
	at := func(d time.Duration) *metav1.Time { t := metav1.NewTime(now.Add(d)); return &t }
	cases := map[string]struct {
		reason   string
		latest   *metav1.Time
		wantSlot time.Time
		wantDue  bool
	}{
		"First": {reason: "No snapshot yet: one now, named for its cell of the 6h grid.", wantSlot: time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC), wantDue: true},
		"NotYet": {reason: "Two hours after the last of a 6h schedule: wait.", latest: at(-2 * time.Hour),
			wantSlot: now.Add(4 * time.Hour), wantDue: false},
		"Due": {reason: "Seven hours after the last: the slot 6h after it is due, named for that slot.", latest: at(-7 * time.Hour),
			wantSlot: now.Add(-time.Hour), wantDue: true},
		"FarBehind": {reason: "Days behind (the operator was down): one snapshot now, not every missed one.", latest: at(-72 * time.Hour),
			wantSlot: time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC), wantDue: true},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			slot, due := nextSlot(&v1.BackupStatus{LatestSnapshotTime: tc.latest}, 6*time.Hour, now)
			if !slot.Equal(tc.wantSlot) || due != tc.wantDue {
				t.Errorf("%s\nnextSlot = %s, %v; want %s, %v", tc.reason, slot, due, tc.wantSlot, tc.wantDue)
			}
		})
	}
}

// TestReconcileBackups: the backups phase on a fake cloud. Automated daily backups need no
// call; a schedule takes its snapshot when due, tagged as this object's, and prunes only its
// own scheduled snapshots past the retention, never the newest one.
func TestReconcileBackups(t *testing.T) {
	now := time.Date(2026, 12, 2, 12, 30, 0, 0, time.UTC)
	owner := naming.Owner("shop", "orders")
	scheduled := map[string]string{v1.TagOwner: owner, v1.TagBackup: v1.BackupScheduled}
	snap := func(id string, age time.Duration, tags map[string]string) cloud.Snapshot {
		return cloud.Snapshot{Identifier: id, Available: true, CreatedAt: now.Add(-age), Tags: tags}
	}
	cases := []struct {
		name        string
		reason      string
		every       string
		phase       cloud.Phase
		retention   int32 // what the cloud keeps
		latest      time.Duration
		snaps       []cloud.Snapshot
		wantTaken   int
		wantPruned  []string
		wantReason  string
		wantRequeue bool
	}{
		{name: "Automated", reason: "Every 24h is the cloud's automated backup: nothing to call.",
			phase: cloud.PhaseAvailable, retention: 7, wantReason: v1.ReasonAutomatedBackups},
		{name: "RetentionNotYetApplied", reason: "The cloud does not keep the retention asked yet: said so, nothing taken.",
			every: "6h", phase: cloud.PhaseAvailable, retention: 3, wantReason: v1.ReasonBackupPending},
		{name: "DueAndPruned", reason: "A due snapshot is taken; only this object's scheduled ones past the retention go, not another's nor a manual one.",
			every: "6h", phase: cloud.PhaseAvailable, retention: 7, latest: 7 * time.Hour,
			snaps: []cloud.Snapshot{
				snap("old", 8*24*time.Hour, scheduled), snap("recent", 24*time.Hour, scheduled),
				snap("manual", 30*24*time.Hour, map[string]string{v1.TagOwner: owner}),
				snap("theirs", 30*24*time.Hour, map[string]string{v1.TagOwner: "other/db", v1.TagBackup: v1.BackupScheduled}),
			},
			wantTaken: 1, wantPruned: []string{"old"}, wantReason: v1.ReasonScheduledSnapshots},
		{name: "ManualSnapshotsKept", reason: "A snapshot taken on request (tagged manual) is never pruned, however far past the retention: only scheduled ones go.",
			every: "6h", phase: cloud.PhaseAvailable, retention: 7, latest: 7 * time.Hour,
			snaps: []cloud.Snapshot{
				snap("requested", 90*24*time.Hour, map[string]string{v1.TagOwner: owner, v1.TagManagedBy: v1.ManagedByValue, v1.TagBackup: v1.BackupManual}),
				snap("old", 8*24*time.Hour, scheduled), snap("recent", 24*time.Hour, scheduled),
			},
			wantTaken: 1, wantPruned: []string{"old"}, wantReason: v1.ReasonScheduledSnapshots},
		{name: "NewestKept", reason: "The newest complete snapshot stays, however old: pruning never leaves the database without one.",
			every: "6h", phase: cloud.PhaseAvailable, retention: 7, latest: 7 * time.Hour,
			snaps: []cloud.Snapshot{snap("only", 9*24*time.Hour, scheduled)}, wantTaken: 1, wantReason: v1.ReasonScheduledSnapshots},
		{name: "NotDue", reason: "Before the next slot nothing is taken.",
			every: "6h", phase: cloud.PhaseAvailable, retention: 7, latest: 30 * time.Minute, wantReason: v1.ReasonScheduledSnapshots},
		{name: "WaitsForAnIdleDatabase", reason: "A due snapshot waits while the database is busy, and comes back soon.",
			every: "6h", phase: cloud.PhaseBackingUp, retention: 7, latest: 7 * time.Hour, wantRequeue: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var taken []map[string]string
			var pruned []string
			fake := &cloudtest.Provider{
				CreateSnapshotFn: func(_ context.Context, _, _ string, tags map[string]string) error {
					taken = append(taken, tags)
					return nil
				},
				SnapshotsFn:      func(context.Context, string) ([]cloud.Snapshot, error) { return tc.snaps, nil },
				DeleteSnapshotFn: func(_ context.Context, id string) error { pruned = append(pruned, id); return nil },
			}
			r := &RDSDatabaseReconciler{Cloud: fake, Defaults: DefaultDefaults, Clock: clocktesting.NewFakePassiveClock(now)}
			db := sampleDB()
			db.Spec.Backup = v1.Backup{Every: tc.every, Retention: "7d"}
			if tc.latest != 0 {
				at := metav1.NewTime(now.Add(-tc.latest).Truncate(6 * time.Hour))
				db.Status.Backup = &v1.BackupStatus{Mode: "snapshots", LatestSnapshotTime: &at}
			}
			s := placed(r, db)
			s.instance = &cloud.Instance{Identifier: s.identifier, Phase: tc.phase, BackupRetentionDays: tc.retention}
			s.desired = cloud.Desired{Identifier: s.identifier, BackupRetentionDays: 7}
			res, err := r.reconcileBackups(context.Background(), s)
			if err != nil {
				t.Fatalf("%s\nreconcileBackups: %v", tc.reason, err)
			}
			if len(taken) != tc.wantTaken {
				t.Errorf("%s\n%d snapshots taken, want %d", tc.reason, len(taken), tc.wantTaken)
			}
			for _, tags := range taken {
				if tags[v1.TagOwner] != owner || tags[v1.TagBackup] != v1.BackupScheduled {
					t.Errorf("%s\na scheduled snapshot tagged %v: it must name its owner and say it is scheduled", tc.reason, tags)
				}
			}
			if !slices.Equal(pruned, tc.wantPruned) {
				t.Errorf("%s\npruned %v, want %v", tc.reason, pruned, tc.wantPruned)
			}
			if (res.RequeueAfter != 0) != tc.wantRequeue {
				t.Errorf("%s\nresult %+v, want a requeue %t", tc.reason, res, tc.wantRequeue)
			}
			if tc.wantReason != "" {
				c := meta.FindStatusCondition(db.Status.Conditions, v1.ConditionBackupsConfigured)
				if c == nil || c.Reason != tc.wantReason {
					t.Errorf("%s\nBackupsConfigured = %+v, want reason %s", tc.reason, c, tc.wantReason)
				}
			}
		})
	}
}

// TestReconcileBackupsPruneOwed: a prune the rate limit deferred after a snapshot was taken
// is tried again on the next pass, not at the next slot, and only once it is owed.
func TestReconcileBackupsPruneOwed(t *testing.T) {
	now := time.Date(2026, 12, 2, 12, 30, 0, 0, time.UTC)
	scheduled := map[string]string{v1.TagOwner: naming.Owner("shop", "orders"), v1.TagBackup: v1.BackupScheduled}
	old := cloud.Snapshot{Identifier: "old", Available: true, CreatedAt: now.Add(-9 * 24 * time.Hour), Tags: scheduled}
	recent := cloud.Snapshot{Identifier: "recent", Available: true, CreatedAt: now.Add(-time.Hour), Tags: scheduled}
	deferred := true
	var lists int
	var pruned []string
	fake := &cloudtest.Provider{
		CreateSnapshotFn: func(context.Context, string, string, map[string]string) error { return nil },
		SnapshotsFn: func(context.Context, string) ([]cloud.Snapshot, error) {
			lists++
			if deferred {
				return nil, &cloud.WaitError{Op: "describe snapshots", Why: "a later turn under the rate limit", After: time.Second}
			}
			return []cloud.Snapshot{old, recent}, nil
		},
		DeleteSnapshotFn: func(_ context.Context, id string) error { pruned = append(pruned, id); return nil },
	}
	clock := clocktesting.NewFakePassiveClock(now)
	r := &RDSDatabaseReconciler{Cloud: fake, Defaults: DefaultDefaults, Clock: clock}
	db := sampleDB()
	db.Spec.Backup = v1.Backup{Every: "6h", Retention: "7d"}
	at := metav1.NewTime(now.Add(-7 * time.Hour).Truncate(6 * time.Hour))
	db.Status.Backup = &v1.BackupStatus{Mode: "snapshots", LatestSnapshotTime: &at}
	pass := func() ctrl.Result {
		s := placed(r, db)
		s.instance = &cloud.Instance{Identifier: s.identifier, Phase: cloud.PhaseAvailable, BackupRetentionDays: 7}
		s.desired = cloud.Desired{Identifier: s.identifier, BackupRetentionDays: 7}
		res, err := r.reconcileBackups(context.Background(), s)
		if err != nil {
			t.Fatalf("reconcileBackups: %v", err)
		}
		return res
	}
	if res := pass(); res.RequeueAfter == 0 || len(pruned) != 0 {
		t.Fatalf("the deferred prune: result %+v, pruned %v; want a requeue and nothing pruned", res, pruned)
	}
	deferred = false
	clock.SetTime(now.Add(time.Minute))
	pass()
	if !slices.Equal(pruned, []string{"old"}) {
		t.Errorf("the next pass, before the next slot, pruned %v; want [old]", pruned)
	}
	before := lists
	clock.SetTime(now.Add(2 * time.Minute))
	pass()
	if lists != before || len(pruned) != 1 {
		t.Errorf("a pass with no prune owed listed snapshots %d times and pruned %v; want no call", lists-before, pruned)
	}
}
