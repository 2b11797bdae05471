// Package cloud defines what the operator needs of a cloud database service, behind one
// narrow interface, so that the controller never speaks a cloud's API and a second cloud or
// an on-premises fallback is a new implementation, not a change to the controller.
package cloud

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// StatusAvailable is the cloud status word of a database that accepts connections.
const StatusAvailable = "available"

// StatusBackingUp is the cloud status word of a database taking a backup; it serves
// connections but refuses modifications.
const StatusBackingUp = "backing-up"

// StatusStorageOptimization is the cloud status word of a database reorganising its storage
// after a change (it can last hours); it serves connections but refuses modifications.
const StatusStorageOptimization = "storage-optimization"

// StatusStorageFull is the cloud status word of a database out of storage: RDS then accepts
// only a storage increase.
const StatusStorageFull = "storage-full"

// StatusDeleting is the cloud status word of a database being deleted.
const StatusDeleting = "deleting"

// Instance is a cloud database as the cloud reports it.
type Instance struct {
	Identifier          string
	ARN                 string
	Status              string
	Engine              string
	EngineVersion       string
	InstanceClass       string
	StorageType         string
	AllocatedStorageGiB int32
	BackupRetentionDays int32
	// BackupWindow is the daily UTC window of automated backups, hh24:mi-hh24:mi.
	BackupWindow string
	MasterUser   string
	// Endpoint and Port are empty until the cloud has an address for the database.
	Endpoint string
	Port     int32
	Tags     map[string]string
	// Pending holds modifications asked for that wait for the maintenance window.
	Pending Changes
	// LatestRestorableTime is the latest moment automated backups can restore to; zero
	// when automated backups are off or have not run yet.
	LatestRestorableTime time.Time
}

// Snapshot is a manual snapshot of a database.
type Snapshot struct {
	Identifier string
	Status     string
	CreatedAt  time.Time
	Tags       map[string]string
}

// Changes are modifications of a database. A nil field is left as it is.
type Changes struct {
	EngineVersion       *string
	InstanceClass       *string
	StorageType         *string
	AllocatedStorageGiB *int32
	BackupRetentionDays *int32
	BackupWindow        *string
	// MasterPassword sets a new master password (RDS applies it at once). Never log it.
	MasterPassword *string
}

// Empty reports whether c changes nothing.
func (c Changes) Empty() bool {
	return c.EngineVersion == nil && c.InstanceClass == nil && c.StorageType == nil &&
		c.AllocatedStorageGiB == nil && c.BackupRetentionDays == nil && c.BackupWindow == nil && c.MasterPassword == nil
}

// UpdateOptions says how to apply Changes.
type UpdateOptions struct {
	// ApplyImmediately applies the changes now; false leaves them for the maintenance
	// window.
	ApplyImmediately bool
	// AllowMajorVersionUpgrade permits an EngineVersion of another major version.
	AllowMajorVersionUpgrade bool
}

// Desired is a cloud database as the operator wants it created.
type Desired struct {
	Identifier          string
	Engine              string
	EngineVersion       string
	InstanceClass       string
	StorageType         string
	AllocatedStorageGiB int32
	BackupRetentionDays int32
	// BackupWindow is the daily UTC window of automated backups; empty lets the cloud pick.
	BackupWindow string
	MasterUser   string
	// MasterPassword is sent to the cloud and nowhere else: never log or wrap it.
	MasterPassword string
	Tags           map[string]string
	// RestoreFromSnapshot, when set, makes the database from that snapshot: it starts with
	// the snapshot's data, and with the master password its source had.
	RestoreFromSnapshot string
}

// Observation is what Observe found.
type Observation struct {
	// Exists is false when the cloud has no database with the identifier.
	Exists bool
	// Instance is the database when Exists.
	Instance Instance
}

// DeleteOptions says how to delete a database.
type DeleteOptions struct {
	// FinalSnapshotIdentifier names the snapshot to take before deleting. Empty deletes
	// without a final snapshot.
	FinalSnapshotIdentifier string
}

// Provider is a cloud database service.
//
// Every method is safe to call again after a crash or a timeout at any point: that is what
// lets the controller be restarted anywhere and converge.
type Provider interface {
	// Observe reports the database with the identifier, or Exists false when there is none.
	// It never changes anything.
	Observe(ctx context.Context, identifier string) (Observation, error)

	// List reports every database the account has in the region, with its tags. It never
	// changes anything. One List serves every object, where Observe serves one.
	List(ctx context.Context) ([]Instance, error)

	// Create asks for a new database. It is idempotent: when a database with the identifier
	// exists already it returns nil rather than an already-exists error, and the caller's
	// next Observe decides (by the owner tag) whether that database is its own.
	Create(ctx context.Context, desired Desired) error

	// Update asks for changes to an existing database, in one request. It sends only the
	// fields set in changes; the caller decides what changed.
	Update(ctx context.Context, identifier string, changes Changes, opts UpdateOptions) error

	// Tag adds or overwrites tags on the database with the ARN.
	Tag(ctx context.Context, arn string, tags map[string]string) error

	// Delete asks for the database to be deleted. It returns nil when the database is
	// already being deleted or is gone.
	Delete(ctx context.Context, identifier string, opts DeleteOptions) error

	// CreateSnapshot asks for a manual snapshot of the database. It is idempotent: a
	// snapshot with the identifier existing already is success.
	CreateSnapshot(ctx context.Context, identifier, snapshot string, tags map[string]string) error

	// Snapshots lists the database's manual snapshots.
	Snapshots(ctx context.Context, identifier string) ([]Snapshot, error)

	// DeleteSnapshot deletes a manual snapshot; one already gone is success.
	DeleteSnapshot(ctx context.Context, snapshot string) error
}

// Error is a call the cloud refused or failed, with the cloud's own error code.
type Error struct {
	// Op is what was attempted, e.g. "create db instance shop-orders-1a2b3c4d".
	Op string
	// Code is the cloud's error code, e.g. InvalidParameterValue or Throttling.
	Code string
	// Message is the cloud's explanation.
	Message string
	// Retryable is true for errors that go away by themselves (throttling, 5xx, a state
	// that will change); false when the request must change first.
	Retryable bool
}

// Error implements error.
func (e *Error) Error() string {
	return fmt.Sprintf("%s: %s: %s", e.Op, e.Code, e.Message)
}

// CodeOf returns the cloud error code carried by err, or "" when there is none.
func CodeOf(err error) string {
	var ce *Error
	if errors.As(err, &ce) {
		return ce.Code
	}
	return ""
}
