// Package cloud defines what the operator needs of a cloud database service, behind one
// narrow interface, so that the controller never speaks a cloud's API and a second cloud or
// an on-premises fallback is a new implementation, not a change to the controller.
package cloud

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Phase is where a database (or a snapshot) is in its life, in words every provider maps its
// cloud's own status words to: the controller decides by the phase, and shows the cloud's
// word. Each provider's mapping is its own (internal/cloud/rds for RDS).
type Phase string

// Phases of a database.
const (
	// PhaseCreating: being made; it does not serve yet.
	PhaseCreating Phase = "Creating"
	// PhaseAvailable: it serves and accepts changes.
	PhaseAvailable Phase = "Available"
	// PhaseBackingUp: it serves, and refuses changes until a backup ends (minutes).
	PhaseBackingUp Phase = "BackingUp"
	// PhaseBusy: it serves, and refuses changes for a long while (storage being
	// reorganised after a change, which can last hours).
	PhaseBusy Phase = "Busy"
	// PhaseStorageFull: it is out of storage and accepts only a storage increase.
	PhaseStorageFull Phase = "StorageFull"
	// PhaseChanging: it is applying a change (modifying, rebooting, upgrading, starting):
	// neither served connections nor further changes are to be relied on until it ends.
	PhaseChanging Phase = "Changing"
	// PhaseStopped: stopped; it serves nothing until started.
	PhaseStopped Phase = "Stopped"
	// PhaseDeleting: being deleted.
	PhaseDeleting Phase = "Deleting"
	// PhaseFailed: the cloud gave up on it; a person must look.
	PhaseFailed Phase = "Failed"
)

// Serving reports whether a database in phase p accepts connections.
func (p Phase) Serving() bool {
	return p == PhaseAvailable || p == PhaseBackingUp || p == PhaseBusy || p == PhaseStorageFull
}

// Settling reports whether a database in phase p is in the middle of something that ends by
// itself within minutes, which is worth looking at again soon.
func (p Phase) Settling() bool {
	return p == PhaseCreating || p == PhaseBackingUp || p == PhaseChanging || p == PhaseDeleting
}

// Instance is a cloud database as the cloud reports it.
type Instance struct {
	Identifier string
	ARN        string
	// Status is the cloud's own status word, for people; Phase is what it means.
	Status              string
	Phase               Phase
	Engine              string
	EngineVersion       string
	InstanceClass       string
	StorageType         string
	AllocatedStorageGiB int32
	// IOPS and StorageThroughput (MiB/s) are the storage's provisioned performance; zero
	// where the storage has only its type's baseline.
	IOPS                int32
	StorageThroughput   int32
	BackupRetentionDays int32
	// BackupWindow is the daily UTC window of automated backups, hh24:mi-hh24:mi.
	BackupWindow string
	MasterUser   string
	// StorageEncrypted tells whether the storage is encrypted at rest, with KMSKeyID.
	StorageEncrypted bool
	KMSKeyID         string
	// SubnetGroup, SecurityGroupIDs and PubliclyAccessible place it in the network.
	SubnetGroup        string
	SecurityGroupIDs   []string
	PubliclyAccessible bool
	// MultiAZ is true when a standby runs in another zone; AvailabilityZone is the
	// database's own zone.
	MultiAZ          bool
	AvailabilityZone string
	// DeletionProtection is true when the cloud refuses to delete the database.
	DeletionProtection bool
	// MaintenanceWindow is the weekly UTC window of the cloud's maintenance,
	// ddd:hh24:mi-ddd:hh24:mi; AutoMinorVersionUpgrade tells whether the cloud applies new
	// minor versions in it by itself.
	MaintenanceWindow       string
	AutoMinorVersionUpgrade bool
	// IAMAuthentication is true when users may log in with a token from the cloud's
	// identity service (RDS IAM database authentication).
	IAMAuthentication bool
	// ReplicaSource is the identifier of the database this one is a read replica of, ""
	// for a primary; ReplicaIDs are this database's read replicas.
	ReplicaSource string
	ReplicaIDs    []string
	// Endpoint and Port are empty until the cloud has an address for the database.
	Endpoint string
	Port     int32
	// ReaderEndpoint reaches the readers together (Aurora's reader endpoint), on Port;
	// empty when the cloud has none, and then each reader has its own Endpoint.
	ReaderEndpoint string
	// Members are the instances the database is made of, when the cloud makes a database
	// of several (an Aurora cluster): its writer, and its readers, which ReplicaIDs also
	// lists. Nil for a database that is one instance.
	Members []Member
	Tags    map[string]string
	// Pending holds modifications asked for that wait for the maintenance window.
	Pending Changes
	// LatestRestorableTime is the latest moment automated backups can restore to; zero
	// when automated backups are off or have not run yet.
	LatestRestorableTime time.Time
	// TagsCopiedToSnapshots is true when the cloud puts the database's tags (its owner
	// among them) on its snapshots, the final one included.
	TagsCopiedToSnapshots bool
	// Region is where the database runs; ZoneIn tells which zones belong to it.
	Region string
	// AdminRole is the engine role the cloud gives its master user in place of a
	// superuser (engine.Endpoint.AdminRole); empty when the engine has none.
	AdminRole string
	// TokenRole is the engine role that makes a user log in with a token from the cloud's
	// identity service in place of a password (engine.Endpoint.TokenRole: rds_iam on RDS
	// PostgreSQL); empty when the engine has none.
	TokenRole string
	// LogExports are the logs the cloud ships to its log service (Pending holds those
	// being turned on or off).
	LogExports []string
	// MaxAllocatedStorageGiB is how far the cloud may grow the storage by itself (RDS
	// storage autoscaling); 0 when it does not grow it.
	MaxAllocatedStorageGiB int32
	// Parameters is how the database's engine parameters stand.
	Parameters ParameterStatus
	// ServerCA is the CA certificate (PEM) the cloud publishes for this database's server
	// (Cloud SQL's serverCaCert): the operator verifies the server against it instead of its
	// engine CA bundle, and users' Secrets carry it as ca.crt. Such a CA issues the server's
	// certificate for the database's name, not for the address connected to, so only the
	// chain is checked (libpq's sslmode=verify-ca). Empty when the cloud publishes one CA
	// for all its databases (RDS), which the operator is given as its bundle.
	ServerCA string
	// Incomplete is true when the cloud has made only part of the database, the part a
	// single create can make: Cloud SQL's instance without its master user, Aurora's
	// cluster without its writer instance. Complete makes the rest.
	Incomplete bool
	// Shared is true when the database is a part of a server other objects share too (an
	// existing server): the users and databases the operator makes there are marked as the
	// object's (engine.Endpoint.Owner), and one of another's is never touched.
	Shared bool
	// PasswordResetAt is when the cloud's feed (Provider.Feed) last showed the master
	// password set by someone other than the operator, who has not set it since; zero when
	// it showed none, or the cloud has no feed. The master user's Secret is the truth: the
	// operator sets its password again. Only the shared view (package observer) fills it.
	PasswordResetAt time.Time
}

// ParameterStatus is how a database's engine parameters stand, as the cloud reports them
// with the database.
type ParameterStatus struct {
	// Set names the parameter set the database uses where the cloud keeps parameters apart
	// from databases (an RDS DB parameter group); "" where it keeps them with the database
	// (Cloud SQL's database flags).
	Set string
	// Values are the parameters set on the database, where the cloud reports them with it
	// (Cloud SQL); nil where it does not (RDS), and SyncParameters reads them.
	Values map[string]string
	// PendingRestart is true when a change of parameters waits for the database to restart.
	PendingRestart bool
	// Applying is true while the cloud is still applying a change of parameters: whether
	// some of it will wait for a restart is not known yet.
	Applying bool
	// Own is true when Set is one the provider keeps for this database (SyncParameters
	// made it), as its name tells.
	Own bool
}

// SameParameterValue reports whether two values of an engine parameter are the same, as the
// clouds compare what they report with what was asked: spaces around them and letter case
// aside ("on" and "ON"). Every comparison of parameters goes by it, so that the controller
// and a provider never disagree on whether something changed (which would have it set
// again at every pass).
func SameParameterValue(a, b string) bool {
	return strings.EqualFold(strings.TrimSpace(a), strings.TrimSpace(b))
}

// ParameterChange is what SyncParameters did.
type ParameterChange struct {
	// Set names the parameter set the provider keeps for the database and the database uses
	// (ParameterStatus.Set); "" when it keeps none (no parameters were asked for, or the
	// cloud keeps them with the database).
	Set string
	// Changed are the parameters it set, or reset to the engine's default, sorted.
	Changed []string
	// AwaitingRestart are those of Changed that take effect only once the database
	// restarts, sorted. A cloud that restarts the database by itself for them (Cloud SQL)
	// reports none.
	AwaitingRestart []string
}

// Member is one instance of a database made of several.
type Member struct {
	Identifier string
	// Writer is true for the instance that takes writes.
	Writer bool
	// Deleting is true once the instance is being deleted, where the provider knows it.
	Deleting bool
}

// Snapshot is a manual snapshot of a database.
type Snapshot struct {
	Identifier string
	// ARN names the snapshot across accounts and regions.
	ARN    string
	Status string
	// Available is true once the snapshot is complete and can be restored.
	Available bool
	CreatedAt time.Time
	Tags      map[string]string
}

// SortByCreation sorts snapshots oldest first; one not dated yet (still being taken) is the
// newest.
func SortByCreation(snaps []Snapshot) {
	slices.SortStableFunc(snaps, func(a, b Snapshot) int {
		switch {
		case a.CreatedAt.IsZero() && b.CreatedAt.IsZero():
			return 0
		case a.CreatedAt.IsZero():
			return 1
		case b.CreatedAt.IsZero():
			return -1
		}
		return a.CreatedAt.Compare(b.CreatedAt)
	})
}

// Changes are modifications of a database. A nil field is left as it is.
type Changes struct {
	EngineVersion       *string
	InstanceClass       *string
	StorageType         *string
	AllocatedStorageGiB *int32
	IOPS                *int32
	StorageThroughput   *int32
	BackupRetentionDays *int32
	BackupWindow        *string
	// SecurityGroupIDs replaces the VPC security groups (RDS applies it at once).
	SecurityGroupIDs []string
	// PubliclyAccessible gives or takes the public address (RDS applies it at once).
	PubliclyAccessible *bool
	// MultiAZ adds or removes the standby in another zone.
	MultiAZ *bool
	// DeletionProtection turns the cloud's deletion protection on or off (applied at once).
	DeletionProtection *bool
	// MaintenanceWindow and AutoMinorVersionUpgrade change those settings (applied at once).
	MaintenanceWindow       *string
	AutoMinorVersionUpgrade *bool
	// IAMAuthentication turns token logins on or off (RDS: in the maintenance window unless
	// applied immediately).
	IAMAuthentication *bool
	// MasterPassword sets a new master password (RDS applies it at once). Never log it.
	MasterPassword *string
	// CopyTagsToSnapshots makes the cloud put the database's tags on its snapshots (applied
	// at once).
	CopyTagsToSnapshots *bool
	// EnableLogExports and DisableLogExports start and stop shipping these logs to the
	// cloud's log service (applied at once).
	EnableLogExports  []string
	DisableLogExports []string
	// MaxAllocatedStorageGiB lets the cloud grow the storage by itself up to it; the
	// current size turns that off (applied at once).
	MaxAllocatedStorageGiB *int32
	// UpgradeParameters is, with an EngineVersion whose engine parameters live in another
	// parameter set (RDS: another DB parameter group family), the database as desired: the
	// provider makes that set with its Parameters and moves the database to it with the
	// upgrade, as the cloud requires of a database with a set of its own.
	UpgradeParameters *Desired
}

// Empty reports whether c changes nothing.
func (c Changes) Empty() bool {
	return c.EngineVersion == nil && c.InstanceClass == nil && c.StorageType == nil &&
		c.AllocatedStorageGiB == nil && c.IOPS == nil && c.StorageThroughput == nil && c.BackupRetentionDays == nil && c.BackupWindow == nil && c.MasterPassword == nil &&
		c.SecurityGroupIDs == nil && c.PubliclyAccessible == nil && c.MultiAZ == nil && c.CopyTagsToSnapshots == nil && c.DeletionProtection == nil &&
		c.MaintenanceWindow == nil && c.AutoMinorVersionUpgrade == nil && c.IAMAuthentication == nil && c.MaxAllocatedStorageGiB == nil && c.UpgradeParameters == nil &&
		len(c.EnableLogExports) == 0 && len(c.DisableLogExports) == 0
}

// Plan is what it takes to bring a database to what is desired, by its cloud's rules.
type Plan struct {
	// Changes to ask for; empty when the database is as desired.
	Changes Changes
	// Described says each change in words, for Events and conditions.
	Described []string
	// Adjusted says, for people, where the cloud's rules made a change differ from what
	// was desired (e.g. a storage step larger than asked for); empty when none did.
	Adjusted string
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
	// IOPS and StorageThroughput (MiB/s) provision the storage's performance; zero leaves
	// the storage type's baseline.
	IOPS                int32
	StorageThroughput   int32
	BackupRetentionDays int32
	// BackupWindow is the daily UTC window of automated backups; empty lets the cloud pick.
	BackupWindow string
	MasterUser   string
	// MasterPassword is sent to the cloud and nowhere else: never log or wrap it.
	MasterPassword string
	// StorageEncrypted encrypts the storage at rest with KMSKeyID, or with the account's
	// default RDS key when KMSKeyID is empty.
	StorageEncrypted bool
	KMSKeyID         string
	// SubnetGroup and SecurityGroupIDs place the database; empty leaves the cloud's defaults.
	SubnetGroup        string
	SecurityGroupIDs   []string
	PubliclyAccessible bool
	// MultiAZ keeps a standby in another zone.
	MultiAZ bool
	// DeletionProtection makes the cloud refuse to delete the database; nil leaves the
	// cloud's own setting (off for a new database).
	DeletionProtection *bool
	// MaintenanceWindow is the weekly UTC window of the cloud's maintenance,
	// ddd:hh24:mi-ddd:hh24:mi; empty lets the cloud pick.
	MaintenanceWindow string
	// AutoMinorVersionUpgrade lets the cloud apply new minor versions in the maintenance
	// window; nil leaves the cloud's own setting.
	AutoMinorVersionUpgrade *bool
	// IAMAuthentication lets users log in with a token from the cloud's identity service
	// (Provider.LoginToken); nil leaves the cloud's own setting (off for a new database).
	IAMAuthentication *bool
	Tags              map[string]string
	// LogExports are the logs the cloud ships to its log service; nil leaves the cloud's
	// setting as it is (an empty, non-nil list ships none).
	LogExports []string
	// RestoreFromSnapshot, when set, makes the database from that snapshot: it starts with
	// the snapshot's data, and with the master password its source had.
	RestoreFromSnapshot string
	// MaxAllocatedStorageGiB lets the cloud grow the storage by itself up to it (RDS
	// storage autoscaling); one not above AllocatedStorageGiB turns that off, and 0 leaves
	// the cloud's own setting as it is.
	MaxAllocatedStorageGiB int32
	// Parameters are engine parameters by the engine's names ("max_connections"), set on
	// the database in the cloud's way (RDS: a DB parameter group of the database's own;
	// Cloud SQL: database flags). Nil or empty with no parameter set made yet leaves the
	// cloud's defaults and makes nothing; a parameter no longer listed goes back to the
	// engine's default.
	Parameters map[string]string
	// OwnerTag is the key among Tags that names the database's owner: a parameter set the
	// provider would make for the database but that exists already is used only when it
	// carries the same owner.
	OwnerTag string
}

// Replica is a read replica as the operator wants it created. Engine, version, storage and
// master user come from its source.
type Replica struct {
	Identifier string
	// Engine is the engine of the database it reads from.
	Engine string
	// Source is the identifier of the database it replicates.
	Source        string
	InstanceClass string
	// AvailabilityZone places it; empty lets the cloud pick.
	AvailabilityZone string
	// SecurityGroupIDs are its VPC security groups; RDS would give it the VPC's default
	// group otherwise, not its source's.
	SecurityGroupIDs   []string
	PubliclyAccessible bool
	// IAMAuthentication lets users log in with tokens, as on its source (RDS makes a read
	// replica without unless asked); nil leaves the cloud's default.
	IAMAuthentication *bool
	Tags              map[string]string
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
	// Observed is the database as the caller has just observed it, nil when it has not: a
	// provider may go by it instead of looking again, to spend fewer calls.
	Observed *Instance
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

	// Create asks for a new database, whose tags the cloud copies to every snapshot of it
	// (so a snapshot names its owner as the database does). It is idempotent: when a database with the identifier
	// exists already it returns nil rather than an already-exists error, and the caller's
	// next Observe decides (by the owner tag) whether that database is its own. What one
	// request cannot make, Complete makes once Observe reports the database Incomplete. The
	// database is made with desired's Parameters, but for a restore from a snapshot, whose
	// SyncParameters sets them once it exists. A create the cloud refuses for quota or
	// capacity is an ErrNoCapacity error and leaves no database (only the parameter set a
	// provider may have made for it first, which DeleteParameters removes).
	Create(ctx context.Context, desired Desired) error

	// Complete makes the part of the database Create could not (Instance.Incomplete), from
	// the same desired. It is idempotent, and nil for a database that is complete.
	Complete(ctx context.Context, desired Desired) error

	// CreateReplica asks for a new reader of an existing database: a read replica, or
	// another reader instance of a database made of several (Instance.Members). It is
	// idempotent as Create is.
	CreateReplica(ctx context.Context, r Replica) error

	// Update asks for changes to an existing database (or one of its readers), in as few
	// requests as the cloud allows. It sends only the fields set in changes; the caller
	// decides what changed. A MasterPassword is applied at once.
	Update(ctx context.Context, identifier string, changes Changes, opts UpdateOptions) error

	// Tag adds or overwrites tags on the database with the ARN.
	Tag(ctx context.Context, arn string, tags map[string]string) error

	// Delete asks for the database to be deleted, with its own instances when it is made of
	// several (the caller deletes its readers first). It returns nil when the database is
	// already being deleted or is gone, and an ErrBusy error while the cloud cannot delete
	// it yet (another owner's instance still in it, a state that refuses it).
	Delete(ctx context.Context, identifier string, opts DeleteOptions) error

	// CreateSnapshot asks for a manual snapshot of the database. It is idempotent: a
	// snapshot with the identifier existing already is success.
	CreateSnapshot(ctx context.Context, identifier, snapshot string, tags map[string]string) error

	// Snapshots lists the database's manual snapshots.
	Snapshots(ctx context.Context, identifier string) ([]Snapshot, error)

	// Snapshot reports the snapshot with the identifier or ARN (one shared from another
	// account included), with its tags; false when the account cannot see it. It never
	// changes anything.
	Snapshot(ctx context.Context, snapshot string) (Snapshot, bool, error)

	// DeleteSnapshot deletes a manual snapshot; one already gone is success.
	DeleteSnapshot(ctx context.Context, snapshot string) error

	// Plan compares desired with the database in as the cloud reports it (a modification
	// waiting for the maintenance window counting as asked for) and returns the changes
	// that bring it there, by this cloud's rules: which versions are the same, how storage
	// may grow, which empty fields are the cloud's own choice. keepVersion leaves the
	// version alone. Nothing that matches is in the plan, so an unchanged database gets no
	// Update. It calls nothing.
	Plan(desired Desired, in Instance, keepVersion bool) Plan

	// Storage returns the storage to ask for a database desired with AllocatedStorageGiB
	// as the size wanted: raised to the cloud's smallest size for its engine and storage
	// type when below it (raised true), 0 when the engine manages its storage itself. It
	// calls nothing.
	Storage(desired Desired) (gib int32, raised bool)

	// ZoneIn reports whether zone, as Kubernetes Nodes name it in their
	// topology.kubernetes.io/zone label, is a zone of region where this cloud can place a
	// database. It calls nothing.
	ZoneIn(region, zone string) bool

	// AutomatedBackups lists the backups the cloud took of the database on its own (RDS's
	// automated snapshots), newest last. It never changes anything.
	AutomatedBackups(ctx context.Context, identifier string) ([]Snapshot, error)

	// StartExport starts copying a snapshot's data to object storage (RDS: StartExportTask,
	// Parquet in S3). It is idempotent: an export with the request's identifier existing
	// already is success, so a retry after a crash never exports a snapshot twice. An
	// export Exports reports as ExportPartial goes on when asked for again.
	StartExport(ctx context.Context, r ExportRequest) error

	// ExportsLive reports whether StartExport copies the database as it is when the export
	// runs (Cloud SQL's instances.export) rather than the snapshot it is named after (RDS's
	// export task): the export of a final snapshot must then run before the database is
	// deleted, not after. It calls nothing.
	ExportsLive() bool

	// KeepsSnapshots reports whether the cloud keeps a snapshot that outlives a deleted
	// database (the final snapshot of deletionPolicy Snapshot). Where it keeps none, that
	// policy cannot be honoured and the placement's default policy is Retain (SPEC §6). It
	// calls nothing.
	KeepsSnapshots() bool

	// EngineDefaults returns the cloud's own default version and instance class of engine,
	// where the operator's general ones do not fit it (Aurora's versions, and its instances
	// that come in no micro size); each is empty where the general default applies. It
	// calls nothing.
	EngineDefaults(engine string) (version, instanceClass string)

	// Exports lists every export of the account the cloud still reports, whatever started
	// it. It never changes anything. One call serves every object, as List does.
	Exports(ctx context.Context) ([]Export, error)

	// SyncParameters makes the database's engine parameters desired.Parameters, sending
	// only what differs from the values the cloud reports (RDS: creates the database's own
	// DB parameter group of its engine's family when missing, sets and resets parameters in
	// it, and attaches it). Changes the engine applies only at a restart wait for Restart.
	// A parameter the cloud does not know or does not let be changed is an *Error with
	// Field FieldParameters naming it. It is idempotent, and calls nothing for a database
	// with no parameters desired and no parameter set of its own.
	SyncParameters(ctx context.Context, desired Desired, in Instance) (ParameterChange, error)

	// Restart restarts the database's server, which applies the parameters waiting for it
	// (RDS RebootDBInstance, without failover). ErrBusy while the database cannot restart.
	Restart(ctx context.Context, identifier string) error

	// DeleteParameters deletes a parameter set made for the database (RDS: one of its DB
	// parameter groups) once no database uses it: set as ParameterChange.Set named it, or,
	// when "", the one the provider would keep for desired (its engine and version). It is
	// nil when there is none, or when it is not the owner's (OwnerTag, Tags): those are never
	// touched. ErrBusy while a database still uses it.
	DeleteParameters(ctx context.Context, desired Desired, set string) error

	// LoginToken makes a token user logs in to the database with in place of a password,
	// as the operator's own identity, valid for a short while (RDS: an IAM authentication
	// token, 15 minutes, signed locally: no call). ErrUnsupported where the cloud has none.
	// Never log it.
	LoginToken(ctx context.Context, in Instance, user string) (string, error)

	// LoginTokenHowTo says, for people, how user gets a token to log in to the database
	// with (a command of the cloud's CLI); empty where the cloud has none. It calls
	// nothing.
	LoginTokenHowTo(in Instance, user string) string

	// LogFiles lists the database server's log files, as the cloud serves them. It never
	// changes anything.
	LogFiles(ctx context.Context, identifier string) ([]LogFile, error)

	// ReadLog reads part of a log file: from marker (empty: the file's end, with lines
	// counted back from it), at most lines lines when lines > 0. The portion's Marker is
	// where the next read goes on; More says the file holds more after it now.
	ReadLog(ctx context.Context, identifier, file, marker string, lines int) (LogPortion, error)

	// Feed returns the cloud's feed of what happens to its databases (RDS's events), or
	// nil for a cloud without one, whose databases are followed by List alone. It calls
	// nothing.
	Feed() Feed
}

// LogFile is one of a database server's log files.
type LogFile struct {
	// Name is the file's name as the cloud gives it, e.g. error/postgresql.log.2026-12-02-03.
	Name        string
	Size        int64
	LastWritten time.Time
}

// LogPortion is part of a log file.
type LogPortion struct {
	Data string
	// Marker is where the next read of the file goes on from.
	Marker string
	// More is true when the file holds more after this portion.
	More bool
}

// Feed is a cloud's record of what happened to its databases, read as a stream of changes:
// one call tells which databases changed since a moment, whatever their number, so that
// only those are looked at again. A cloud keeps it on a best-effort basis (an event may come
// late, out of order, or never), and some changes it never records (tags): the caller still
// lists every database now and then.
type Feed interface {
	// Changes reads what the feed holds from from to to, oldest first, in as few calls as
	// the cloud allows (one per hundred events on RDS). It never changes anything.
	Changes(ctx context.Context, from, to time.Time) ([]Change, error)

	// ListSome reports the databases with the identifiers as List does, and the databases
	// an identifier is an instance of (an Aurora cluster of a member), in as few calls as
	// the cloud allows (one per hundred on RDS). An identifier with no database is left
	// out. It never changes anything.
	ListSome(ctx context.Context, identifiers []string) ([]Instance, error)
}

// Change is one entry of a cloud's feed about one database.
type Change struct {
	// At is when it happened, by the cloud's clock.
	At time.Time
	// Identifier is the database it is about, or the instance of a database made of
	// several (Instance.Members).
	Identifier string
	// What says what happened, in the cloud's words (for logs; never a secret).
	What string
	// PasswordReset is true when the master user's password was set, by whoever set it.
	PasswordReset bool
}

// ErrNoLogFile: the database has no log file of that name (any more).
var ErrNoLogFile = errors.New("no such log file")

// ExportRequest asks for a snapshot's data to be copied to object storage.
type ExportRequest struct {
	// Identifier names the export. The caller derives it from the snapshot, one per
	// snapshot, so that asking again is no second export.
	Identifier string
	// Snapshot is the snapshot's identifier or ARN.
	Snapshot string
	// Database is the identifier of the database the snapshot is of: a cloud that
	// ExportsLive exports it.
	Database string
	// Bucket and Prefix say where the data goes.
	Bucket, Prefix string
	// Role is the identity the cloud writes to the bucket as (RDS: an IAM role ARN); empty
	// where the cloud writes as the database's own identity (Cloud SQL).
	Role string
	// KMSKeyID encrypts the exported data; empty leaves it to the bucket.
	KMSKeyID string
	// Tags are the export's tags, where the cloud keeps any.
	Tags map[string]string
}

// ExportPhase is an export's state in the cloud's terms mapped to the operator's.
type ExportPhase string

// Export phases.
const (
	// ExportRunning: the export is starting or copying.
	ExportRunning ExportPhase = "Running"
	// ExportComplete: the data is in the bucket.
	ExportComplete ExportPhase = "Complete"
	// ExportFailed: the export ended without the data; FailureCause says why.
	ExportFailed ExportPhase = "Failed"
	// ExportCanceled: someone canceled the export.
	ExportCanceled ExportPhase = "Canceled"
	// ExportPartial: the cloud exported part of the data and goes on only when StartExport
	// is asked again with the same request (Cloud SQL exports a PostgreSQL instance one
	// database at a time).
	ExportPartial ExportPhase = "Partial"
)

// Export is an export as the cloud reports it.
type Export struct {
	Identifier string
	// Snapshot is the exported snapshot's identifier (its name, not its ARN); empty where
	// the cloud does not say (Cloud SQL).
	Snapshot string
	// Status is the cloud's own word (RDS: STARTING, IN_PROGRESS, COMPLETE, FAILED...).
	Status string
	Phase  ExportPhase
	// Percent is how much is copied, 0 to 100.
	Percent int
	// FailureCause says why a failed export failed.
	FailureCause   string
	Bucket, Prefix string
	StartedAt      time.Time
	EndedAt        time.Time
}

// Kinds of cloud errors, for errors.Is: each provider classifies its cloud's error codes into
// these once, where the codes come from.
var (
	// ErrBusy: the database's current state forbids the request (it is creating, backing
	// up, modifying...); the same request succeeds once the state changes.
	ErrBusy = errors.New("the database's current state does not allow it yet")
	// ErrTransient: the cloud throttled or failed the request; the same request may succeed
	// later.
	ErrTransient = errors.New("the cloud throttled or failed the request")
	// ErrUnsupported: this provider's cloud cannot do what was asked (an Aurora cluster on
	// Cloud SQL, a storage type it does not have...); asking again never helps.
	ErrUnsupported = errors.New("this cloud does not offer it")
	// ErrNoCapacity: the cloud refused to make a database (or an instance of one) for the
	// account's quota (DB instances, clusters, storage) or for lack of capacity where it
	// was asked for (a zone, an instance class). Nothing was made: a Create refused with it
	// leaves no database under the identifier. The same request succeeds once the quota is
	// raised or capacity is back; another place may take it at once, which is what a
	// DatabaseClass's fallback is for.
	ErrNoCapacity = errors.New("the cloud has no quota or capacity left for it")
)

// Error is a call the cloud refused or failed, with the cloud's own error code.
type Error struct {
	// Op is what was attempted, e.g. "create db instance shop-orders-1a2b3c4d".
	Op string
	// Code is the cloud's error code, e.g. InvalidParameterValue or Throttling.
	Code string
	// Message is the cloud's explanation.
	Message string
	// Kind is ErrBusy, ErrTransient, ErrUnsupported or ErrNoCapacity when the error is one
	// of those, nil when the request itself must change.
	Kind error
	// Field is the part of the request the cloud refused, when the provider can tell: what
	// the user must change. Empty otherwise.
	Field Field
}

// Field names a part of Desired (or of an ExportRequest) a cloud may refuse.
type Field string

// The fields a provider may name in Error.Field.
const (
	FieldEngineVersion Field = "EngineVersion"
	FieldInstanceClass Field = "InstanceClass"
	FieldStorage       Field = "Storage"
	FieldIOPS          Field = "IOPS"
	FieldSubnetGroup   Field = "SubnetGroup"
	FieldSecurityGroup Field = "SecurityGroupIDs"
	FieldKMSKey        Field = "KMSKeyID"
	// FieldExportBucket, FieldExportRole and FieldExportKMSKey are the parts of an
	// ExportRequest: the bucket written to, the identity the cloud writes as,
	// and the key that encrypts the exported data.
	FieldExportBucket Field = "ExportBucket"
	FieldExportRole   Field = "ExportRole"
	FieldExportKMSKey Field = "ExportKMSKeyID"
	// FieldParameters is Desired.Parameters; the Error's message names the parameter.
	FieldParameters Field = "Parameters"
	// FieldMaxStorage is Desired.MaxAllocatedStorageGiB.
	FieldMaxStorage Field = "MaxAllocatedStorage"
	// FieldMasterUser is Desired.MasterUser: its name is taken where the database is made
	// (a server shared with other objects).
	FieldMasterUser Field = "MasterUser"
)

// Error implements error.
func (e *Error) Error() string {
	return fmt.Sprintf("%s: %s: %s", e.Op, e.Code, e.Message)
}

// Unwrap makes errors.Is(err, ErrBusy), ErrTransient, ErrUnsupported and ErrNoCapacity
// work.
func (e *Error) Unwrap() error { return e.Kind }
