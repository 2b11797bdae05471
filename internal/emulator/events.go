package emulator

import (
	"fmt"
	"io"
	"sync"
	"time"
)

// RDS keeps a feed of events about its DB instances, DB clusters and their snapshots,
// which DescribeEvents serves for the past 14 days (describe_events.go). The emulator
// records the events RDS documents for what it models, at the moment it makes the change
// happen (a modification's "Finished applying" when the instance leaves modifying, not when
// ModifyDBInstance is called). The words are those RDS sends on the wire: the User Guide's
// tables ("Amazon RDS event categories and event messages") end each message with a
// period, DescribeEvents' answers end a one-sentence message without one ("DB instance
// created", "Reset master credentials"). docs/rds-events-facts.md gives the sources.

// Source types of the events the emulator records, as DescribeEvents spells them.
const (
	sourceInstance        = "db-instance"
	sourceCluster         = "db-cluster"
	sourceSnapshot        = "db-snapshot"
	sourceClusterSnapshot = "db-cluster-snapshot"
)

// Event categories, as RDS spells them.
const (
	catAvailability  = "availability"
	catBackup        = "backup"
	catConfiguration = "configuration change"
	catCreation      = "creation"
	catDeletion      = "deletion"
	catFailover      = "failover"
	catFailure       = "failure"
	catLowStorage    = "low storage"
	catMaintenance   = "maintenance"
	catNotification  = "notification"
	catReadReplica   = "read replica"
	catRestoration   = "restoration"
)

// eventKind is one event RDS documents: its ID (RDS-EVENT-nnnn, which DescribeEvents does
// not return but the emulator's log shows), its category and its message, a format when
// the message names something.
type eventKind struct {
	id       string
	category string
	message  string
}

// The events of DB instances (source type db-instance).
var (
	evInstanceCreated        = eventKind{"RDS-EVENT-0005", catCreation, "DB instance created"}
	evInstanceDeleted        = eventKind{"RDS-EVENT-0003", catDeletion, "DB instance deleted"}
	evInstanceRestarted      = eventKind{"RDS-EVENT-0006", catAvailability, "DB instance restarted"}
	evInstanceStopped        = eventKind{"RDS-EVENT-0087", catNotification, "DB instance stopped"}
	evInstanceStarted        = eventKind{"RDS-EVENT-0088", catNotification, "DB instance started"}
	evBackupStarted          = eventKind{"RDS-EVENT-0001", catBackup, "Backing up DB instance"}
	evBackupFinished         = eventKind{"RDS-EVENT-0002", catBackup, "Finished DB Instance backup"}
	evClassApplying          = eventKind{"RDS-EVENT-0012", catConfiguration, "Applying modification to database instance class"}
	evClassFinished          = eventKind{"RDS-EVENT-0014", catConfiguration, "Finished applying modification to DB instance class"}
	evStorageApplying        = eventKind{"RDS-EVENT-0018", catConfiguration, "Applying modification to allocated storage"}
	evStorageFinished        = eventKind{"RDS-EVENT-0017", catConfiguration, "Finished applying modification to allocated storage"}
	evAutoscaleApplying      = eventKind{"RDS-EVENT-0217", catConfiguration, "Applying autoscaling-initiated modification to allocated storage"}
	evAutoscaleFinished      = eventKind{"RDS-EVENT-0218", catConfiguration, "Finished applying autoscaling-initiated modification to allocated storage"}
	evMultiAZApplying        = eventKind{"RDS-EVENT-0024", catConfiguration, "Applying modification to convert to a Multi-AZ DB instance"}
	evMultiAZFinished        = eventKind{"RDS-EVENT-0025", catConfiguration, "Finished applying modification to convert to a Multi-AZ DB instance"}
	evSingleAZApplying       = eventKind{"RDS-EVENT-0030", catConfiguration, "Applying modification to convert to a standard (Single-AZ) DB instance"}
	evSingleAZFinished       = eventKind{"RDS-EVENT-0029", catConfiguration, "Finished applying modification to convert to a standard (Single-AZ) DB instance"}
	evBackupsDisabled        = eventKind{"RDS-EVENT-0028", catConfiguration, "Disabled automated backups"}
	evBackupsEnabled         = eventKind{"RDS-EVENT-0032", catConfiguration, "Enabled automated backups"}
	evParamGroupUpdated      = eventKind{"RDS-EVENT-0011", catConfiguration, "Updated to use DBParameterGroup %s"}
	evMasterPasswordReset    = eventKind{"RDS-EVENT-0016", catConfiguration, "Reset master credentials"}
	evStorageExhausted       = eventKind{"RDS-EVENT-0007", catLowStorage, "Allocated storage has been exhausted. Allocate additional storage to resolve."}
	evInstanceFailed         = eventKind{"RDS-EVENT-0031", catFailure, "DB instance put into %s state. RDS recommends that you initiate a point-in-time-restore."}
	evFailoverStarted        = eventKind{"RDS-EVENT-0013", catFailover, "Multi-AZ instance failover started"}
	evFailoverCompleted      = eventKind{"RDS-EVENT-0049", catFailover, "Multi-AZ instance failover completed"}
	evUpgradeStarted         = eventKind{"RDS-EVENT-0267", catMaintenance, "The engine version upgrade started"}
	evUpgradeFinished        = eventKind{"RDS-EVENT-0268", catMaintenance, "The engine version upgrade finished"}
	evUpgradeRolledBack      = eventKind{"RDS-EVENT-0270", catMaintenance, "The DB engine version upgrade failed. The engine version upgrade rollback succeeded."}
	evReplicationResumed     = eventKind{"RDS-EVENT-0046", catReadReplica, "Replication for the Read Replica resumed"}
	evRestoredFromSnapshot   = eventKind{"RDS-EVENT-0043", catRestoration, "Restored from snapshot %s"}
	evClusterCreated         = eventKind{"RDS-EVENT-0170", catCreation, "DB cluster created"}
	evClusterDeleted         = eventKind{"RDS-EVENT-0171", catDeletion, "DB cluster deleted"}
	evClusterFailoverSameAZ  = eventKind{"RDS-EVENT-0072", catFailover, "Started same AZ failover to DB instance: %s"}
	evClusterFailoverCrossAZ = eventKind{"RDS-EVENT-0073", catFailover, "Started cross AZ failover to DB instance: %s"}
	evClusterFailoverDone    = eventKind{"RDS-EVENT-0071", catFailover, "Completed failover to DB instance: %s"}
	evClusterUpgradeStarted  = eventKind{"RDS-EVENT-0286", catMaintenance, "Database cluster engine version upgrade started"}
	evClusterUpgraded        = eventKind{"RDS-EVENT-0173", catMaintenance, "Database cluster engine version has been upgraded"}
	evClusterMajorUpgraded   = eventKind{"RDS-EVENT-0176", catMaintenance, "Database cluster engine major version has been upgraded"}
)

// The events of DB snapshots (db-snapshot) and DB cluster snapshots (db-cluster-snapshot).
var (
	evManualSnapshotCreating    = eventKind{"RDS-EVENT-0040", catCreation, "Creating manual snapshot"}
	evManualSnapshotCreated     = eventKind{"RDS-EVENT-0042", catCreation, "Manual snapshot created"}
	evAutomatedSnapshotCreating = eventKind{"RDS-EVENT-0090", catCreation, "Creating automated snapshot"}
	evAutomatedSnapshotCreated  = eventKind{"RDS-EVENT-0091", catCreation, "Automated snapshot created"}
	// evManualSnapshotDeleted is RDS-EVENT-0041: the tables say "Deleted user snapshot.",
	// RDS's own example of the event and real answers say "Deleted manual snapshot", for DB
	// cluster snapshots too (which the tables do not list).
	evManualSnapshotDeleted            = eventKind{"RDS-EVENT-0041", catDeletion, "Deleted manual snapshot"}
	evManualClusterSnapshotCreating    = eventKind{"RDS-EVENT-0074", catBackup, "Creating manual cluster snapshot"}
	evManualClusterSnapshotCreated     = eventKind{"RDS-EVENT-0075", catBackup, "Manual cluster snapshot created"}
	evAutomatedClusterSnapshotCreating = eventKind{"RDS-EVENT-0168", catBackup, "Creating automated cluster snapshot"}
	evAutomatedClusterSnapshotCreated  = eventKind{"RDS-EVENT-0169", catBackup, "Automated cluster snapshot created"}
)

// eventRetention is how long RDS keeps events: DescribeEvents returns those "for the past
// 14 days".
const eventRetention = 14 * 24 * time.Hour

// maxEvents bounds the feed whatever the fleet does within 14 days. An instance records
// about six events in its life (created, backing up, its first automated snapshot's two,
// finished backup, deleted), so 10,000 instances fit here with room to spare; at some 250
// bytes an event (its identifier and ARN are its own, message and category are shared
// constants but for the few formatted ones) the feed stays under some 25 MB. Beyond it the
// oldest events go first, which RDS allows: it emits events "on a best effort basis", and
// they "might be out of sequence or missing".
const maxEvents = 100_000

// event is one recorded event.
type event struct {
	// seq orders the events as they were recorded; DescribeEvents' Marker is one.
	seq        uint64
	date       time.Time
	sourceType string
	sourceID   string
	sourceARN  string
	category   string
	message    string
}

// eventLog is the emulator's feed of events, oldest first. It has its own lock, so events
// can be recorded under the emulator's.
type eventLog struct {
	// now is the emulator's clock, time.Now as everywhere in the emulator; tests set
	// another to see the 14 days pass.
	now func() time.Time
	// log gets a line per event, with its RDS event ID.
	log io.Writer

	mu     sync.Mutex
	events []event
	next   uint64
}

func newEventLog(log io.Writer) *eventLog { return &eventLog{now: time.Now, log: log, next: 1} }

// add records an event now and drops those RDS no longer keeps.
func (l *eventLog) add(sourceType, sourceID, sourceARN string, k eventKind, args ...any) {
	msg := k.message
	if len(args) > 0 {
		msg = fmt.Sprintf(k.message, args...)
	}
	l.mu.Lock()
	now := l.now()
	l.events = append(l.events, event{seq: l.next, date: now, sourceType: sourceType, sourceID: sourceID,
		sourceARN: sourceARN, category: k.category, message: msg})
	l.next++
	l.pruneLocked(now)
	l.mu.Unlock()
	fmt.Fprintf(l.log, "rds-emulator: %s %s %s: %s\n", k.id, sourceType, sourceID, msg)
}

// pruneLocked drops the events older than eventRetention at now, and the oldest beyond
// maxEvents. Events are appended in the order of the clock, so the old ones are in front.
// The slice only moves its start: the next append that outgrows the backing array copies
// the live events alone, so memory stays within twice the bound.
func (l *eventLog) pruneLocked(now time.Time) {
	cutoff := now.Add(-eventRetention)
	drop := 0
	for drop < len(l.events) && l.events[drop].date.Before(cutoff) {
		drop++
	}
	drop = max(drop, len(l.events)-maxEvents)
	if drop > 0 {
		clear(l.events[:drop]) // lets the dropped events' strings go
		l.events = l.events[drop:]
	}
}

// read runs fn over the events RDS still keeps, oldest first, and the time it is. fn runs
// under the log's lock and must not keep the slice.
func (l *eventLog) read(fn func(events []event, now time.Time)) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	l.pruneLocked(now)
	fn(l.events, now)
}

// instanceEvent, clusterEvent, snapshotEvent and clusterSnapshotEvent record an event of
// one source. They may run under the emulator's lock.
func (e *Emulator) instanceEvent(id string, k eventKind, args ...any) {
	e.events.add(sourceInstance, id, e.instanceARN(id), k, args...)
}

func (e *Emulator) clusterEvent(id string, k eventKind, args ...any) {
	e.events.add(sourceCluster, id, e.clusterARN(id), k, args...)
}

func (e *Emulator) snapshotEvent(id string, k eventKind) {
	e.events.add(sourceSnapshot, id, e.snapshotARN(id), k)
}

func (e *Emulator) clusterSnapshotEvent(id string, k eventKind) {
	e.events.add(sourceClusterSnapshot, id, e.clusterSnapshotARN(id), k)
}
