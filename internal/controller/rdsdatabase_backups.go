package controller

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"

	v1 "github.com/matrixmind-cloud/aws-rds-operator/api/v1"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/cloud"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/naming"
)

// restorableGranularity is how finely status.backup.latestRestorableTime follows the cloud.
const restorableGranularity = 5 * time.Minute

// automatedEvery is the interval the cloud's automated backups serve.
const automatedEvery = 24 * time.Hour

// Backup modes shown in status.backup.mode.
const (
	backupModeAutomated = "automated"
	backupModeSnapshots = "snapshots"
)

// reconcileBackups makes backups run as spec.backup says. Every 24h is the cloud's automated
// daily backup, whose retention the cloud phase keeps in line. Any other interval is served by
// snapshots the operator takes on that schedule, tagged as its own, and pruned once older
// than the retention; only snapshots so tagged are ever deleted.
func (r *RDSDatabaseReconciler) reconcileBackups(ctx context.Context, s *scope) (ctrl.Result, error) {
	db, inst := s.db, s.instance
	every, err := parseEvery(db.Spec.Backup.Every)
	if err != nil {
		return r.specInvalid(s, err)
	}
	desired := s.desired
	st := &v1.BackupStatus{Mode: backupModeAutomated}
	if db.Status.Backup != nil {
		st = db.Status.Backup.DeepCopy()
	}
	defer func() { db.Status.Backup = st }()
	// The cloud moves it every few minutes: a coarse copy does not rewrite the status each pass.
	if lrt := inst.LatestRestorableTime.Truncate(restorableGranularity); !lrt.IsZero() &&
		(st.LatestRestorableTime == nil || !st.LatestRestorableTime.Time.Equal(lrt)) {
		t := metav1.NewTime(lrt)
		st.LatestRestorableTime = &t
	}
	if inst.BackupRetentionDays != desired.BackupRetentionDays {
		setCondition(db, v1.ConditionBackupsConfigured, metav1.ConditionFalse, v1.ReasonBackupPending,
			fmt.Sprintf("backup retention %d days asked, the cloud keeps %d", desired.BackupRetentionDays, inst.BackupRetentionDays))
		return ctrl.Result{}, nil
	}
	if every == automatedEvery {
		st.Mode, st.NextSnapshotTime = backupModeAutomated, nil
		s.announce(v1.ConditionBackupsConfigured, metav1.ConditionTrue, v1.ReasonAutomatedBackups,
			fmt.Sprintf("the cloud takes automated daily backups, kept %d days", desired.BackupRetentionDays), corev1.EventTypeNormal, "")
		return ctrl.Result{}, nil
	}

	st.Mode = backupModeSnapshots
	now := r.now()
	key := types.NamespacedName{Namespace: db.Namespace, Name: db.Name}
	if slot, due := nextSlot(st, every, now); due {
		if inst.Phase != cloud.PhaseAvailable {
			return ctrl.Result{RequeueAfter: r.Defaults.PendingRequeue}, nil // snapshots need an idle database
		}
		name := naming.ScheduledSnapshotIdentifier(s.identifier, slot)
		tags := map[string]string{v1.TagOwner: naming.Owner(db.Namespace, db.Name), v1.TagManagedBy: v1.ManagedByValue, v1.TagBackup: v1.BackupScheduled}
		if err := s.cloud.CreateSnapshot(ctx, s.identifier, name, tags); err != nil {
			return r.backupFailed(s, err)
		}
		at := metav1.NewTime(slot)
		st.LatestSnapshot, st.LatestSnapshotTime = name, &at
		r.eventAbout(db, corev1.EventTypeNormal, v1.EventSnapshotTaken, name, "Took scheduled snapshot %s (every %s)", name, db.Spec.Backup.Every)
		// The snapshot is taken and the status says so: a prune that fails now (or whose
		// calls the rate limit defers) is owed, and tried again on the next passes rather
		// than at the next slot.
		r.pruneOwed.Store(key, name)
	}
	if owed, ok := r.pruneOwed.Load(key); ok {
		if err := r.pruneSnapshots(ctx, s, owed.(string), time.Duration(desired.BackupRetentionDays)*automatedEvery, now); err != nil {
			return r.backupFailed(s, err)
		}
		r.pruneOwed.Delete(key)
	}
	next := metav1.NewTime(st.LatestSnapshotTime.Add(every))
	st.NextSnapshotTime = &next
	s.announce(v1.ConditionBackupsConfigured, metav1.ConditionTrue, v1.ReasonScheduledSnapshots,
		fmt.Sprintf("the operator takes a snapshot every %s and keeps each %d days", db.Spec.Backup.Every, desired.BackupRetentionDays),
		corev1.EventTypeNormal, "")
	return ctrl.Result{}, nil
}

// nextSlot returns the time the next scheduled snapshot is for, and whether it is due. A
// schedule that fell far behind (the operator was down) restarts from now instead of taking
// every missed snapshot at once.
//
// Slots lie on a fixed grid of the interval (UTC), so a snapshot asked for again after a
// crash or a lost status write gets the same name and is found, not taken twice.
func nextSlot(st *v1.BackupStatus, every time.Duration, now time.Time) (time.Time, bool) {
	if st.LatestSnapshotTime == nil {
		return now.UTC().Truncate(every), true
	}
	slot := st.LatestSnapshotTime.Add(every)
	if now.Sub(slot) >= every {
		slot = now.UTC().Truncate(every)
	}
	return slot, !now.Before(slot)
}

// pruneSnapshots deletes the database's scheduled snapshots older than retention. Only
// snapshots tagged as this object's scheduled ones are looked at, and of those never one
// still being made, the one just asked for, or the newest complete one: pruning must never
// leave the database without a finished backup.
func (r *RDSDatabaseReconciler) pruneSnapshots(ctx context.Context, s *scope, requested string, retention time.Duration, now time.Time) error {
	snaps, err := s.cloud.Snapshots(ctx, s.identifier)
	if err != nil {
		return err
	}
	owner := naming.Owner(s.db.Namespace, s.db.Name)
	var ours []cloud.Snapshot
	newest := cloud.Snapshot{}
	for _, snap := range snaps {
		if snap.Tags[v1.TagBackup] != v1.BackupScheduled || snap.Tags[v1.TagOwner] != owner ||
			!snap.Available || snap.CreatedAt.IsZero() {
			continue
		}
		ours = append(ours, snap)
		if snap.CreatedAt.After(newest.CreatedAt) {
			newest = snap
		}
	}
	var pruned []string
	for _, snap := range ours {
		if snap.Identifier == requested || snap.Identifier == newest.Identifier || now.Sub(snap.CreatedAt) <= retention {
			continue
		}
		if err := s.cloud.DeleteSnapshot(ctx, snap.Identifier); err != nil {
			return err
		}
		pruned = append(pruned, snap.Identifier)
	}
	if len(pruned) > 0 {
		r.event(s.db, corev1.EventTypeNormal, v1.EventSnapshotsPruned, "Deleted %d scheduled snapshots older than the retention: %s", len(pruned), strings.Join(pruned, ", "))
	}
	return nil
}

// backupFailed records a failed snapshot or prune and retries with backoff.
func (r *RDSDatabaseReconciler) backupFailed(s *scope, err error) (ctrl.Result, error) {
	if after, wait := cloud.RetryAfter(err); wait { // the operator's rate limit: a later turn
		return ctrl.Result{RequeueAfter: after}, nil
	}
	s.announce(v1.ConditionBackupsConfigured, metav1.ConditionFalse, v1.ReasonBackupFailed, err.Error(), corev1.EventTypeWarning, "")
	return ctrl.Result{}, errorf(s.db, "backup", err)
}

// Admission's rules for backup.every and backup.retention (api/v1): the parsers accept
// exactly what admission does, so a number too large for a duration or outside the clouds' range
// can never reach a schedule or a cloud request, whatever the apiserver holds.
var (
	everyPattern     = regexp.MustCompile(`^[1-9][0-9]{0,3}[hd]$`)
	retentionPattern = regexp.MustCompile(`^[0-9]{1,3}d$`)
)

// maxRetentionDays is the longest retention of automated backups.
const maxRetentionDays = 35

// defaultRetentionDays is spec.backup.retention's default.
const defaultRetentionDays = 7

// parseEvery reads a backup interval: a whole number of hours ("6h") or days ("7d").
func parseEvery(every string) (time.Duration, error) {
	if every == "" {
		return automatedEvery, nil
	}
	if !everyPattern.MatchString(every) {
		return 0, fmt.Errorf("backup.every %q: want a whole number of hours or days from 1 to 9999, e.g. 6h or 7d", every)
	}
	n, _ := strconv.Atoi(every[:len(every)-1]) // at most four digits: the pattern says so
	if every[len(every)-1] == 'd' {
		return time.Duration(n) * automatedEvery, nil
	}
	return time.Duration(n) * time.Hour, nil
}

// parseRetention reads backup.retention, a whole number of days from 1d to 35d, as the
// cloud's retention of automated backups.
func parseRetention(retention string) (int32, error) {
	if retention == "" {
		return defaultRetentionDays, nil
	}
	n := 0
	if retentionPattern.MatchString(retention) {
		n, _ = strconv.Atoi(strings.TrimSuffix(retention, "d"))
	}
	if n < 1 || n > maxRetentionDays {
		return 0, fmt.Errorf("backup.retention %q: want a whole number of days from 1d to %dd", retention, maxRetentionDays)
	}
	return int32(n), nil
}

// now is the reconciler's clock, which tests can move.
func (r *RDSDatabaseReconciler) now() time.Time {
	if r.Clock == nil {
		return time.Now()
	}
	return r.Clock.Now()
}
