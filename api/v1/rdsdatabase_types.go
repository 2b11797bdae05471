package v1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// DatabaseType names the database engine.
// +kubebuilder:validation:XValidation:rule="self in ['postgresql', 'Postgresql']",message="type must be postgresql (the seed's spelling Postgresql is accepted too); mysql and the Aurora engines are not served by this version of the operator yet"
type DatabaseType string

// Database types the operator serves.
const (
	// TypePostgreSQL is Amazon RDS for PostgreSQL.
	TypePostgreSQL DatabaseType = "postgresql"
	// TypePostgreSQLSeed is the seed's spelling of TypePostgreSQL.
	TypePostgreSQLSeed DatabaseType = "Postgresql"
)

// Role is a capability granted to a database user.
// +kubebuilder:validation:Enum=superuser;createdb
type Role string

// Roles a user may be given.
const (
	// RoleSuperuser makes the user a member of rds_superuser, the most RDS allows:
	// it can manage roles' memberships, create extensions and read every
	// statistic, but it is not a PostgreSQL SUPERUSER (no one is on RDS).
	RoleSuperuser Role = "superuser"
	// RoleCreateDB lets the user create databases.
	RoleCreateDB Role = "createdb"
)

// DeletionPolicy says what happens to the cloud database when the RDSDatabase
// is deleted.
// +kubebuilder:validation:Enum=Snapshot;Delete;Retain
type DeletionPolicy string

// Deletion policies.
const (
	// DeletionSnapshot deletes the cloud database after a final snapshot (the
	// default).
	DeletionSnapshot DeletionPolicy = "Snapshot"
	// DeletionDelete deletes the cloud database without a final snapshot.
	DeletionDelete DeletionPolicy = "Delete"
	// DeletionRetain leaves the cloud database in AWS.
	DeletionRetain DeletionPolicy = "Retain"
)

// Backup configures the database's backups.
type Backup struct {
	// Every is how often a backup is taken, in hours or days ("6h", "7d"). "24h"
	// (the default) is RDS's automated daily backup; any other interval is served
	// by snapshots the operator takes on that schedule, kept as long as retention
	// says (automated backups stay on too).
	// +kubebuilder:default="24h"
	// +kubebuilder:validation:MaxLength=6
	// +kubebuilder:validation:XValidation:rule="self.matches('^[1-9][0-9]{0,3}[hd]$')",message="every must be a whole number of hours or days, e.g. 6h, 24h or 7d"
	// +optional
	Every string `json:"every,omitempty"`

	// Window is the daily time range, in UTC, in which RDS takes its automated
	// backup: hh24:mi-hh24:mi, at least 30 minutes, e.g. "03:00-03:30". When empty
	// RDS picks one.
	// +kubebuilder:validation:MaxLength=11
	// +kubebuilder:validation:XValidation:rule="self.matches('^([01][0-9]|2[0-3]):[0-5][0-9]-([01][0-9]|2[0-3]):[0-5][0-9]$')",message="window must be hh24:mi-hh24:mi in UTC, e.g. 03:00-03:30"
	// +optional
	Window string `json:"window,omitempty"`

	// Retention is how long automated backups are kept, in days: "1d" to "35d"
	// (RDS BackupRetentionPeriod). Default "7d".
	// +kubebuilder:default="7d"
	// +kubebuilder:validation:MaxLength=4
	// +kubebuilder:validation:XValidation:rule="self.matches('^[0-9]+d$') && int(self.replace('d', '')) >= 1 && int(self.replace('d', '')) <= 35",message="retention must be a whole number of days from 1d to 35d (RDS keeps automated backups for at most 35 days), e.g. 7d"
	// +optional
	Retention string `json:"retention,omitempty"`
}

// RDSDatabaseSpec is what an application team asks for.
// +kubebuilder:validation:XValidation:rule="!has(self.users) || !(self.masteruser in self.users)",message="users must not contain the master user's name; the master user gets its own Secret <name>.rds.master"
// +kubebuilder:validation:XValidation:rule="!has(self.databases) || self.databases.all(d, self.databases[d].all(u, has(self.users) && u in self.users))",message="every user listed under databases must be defined under users"
// +kubebuilder:validation:XValidation:rule="!has(oldSelf.version) || !has(self.version) || !self.version.matches('^[0-9]+([.][0-9]+)*$') || !oldSelf.version.matches('^[0-9]+([.][0-9]+)*$') || self.version.split('.')[0] == oldSelf.version.split('.')[0] || (has(self.allowMajorVersionUpgrade) && self.allowMajorVersionUpgrade)",message="changing the major version needs allowMajorVersionUpgrade: true (RDS cannot undo a major upgrade)"
// +kubebuilder:validation:XValidation:rule="!has(oldSelf.version) || !has(self.version) || !self.version.matches('^[0-9]+([.][0-9]+)*$') || !oldSelf.version.matches('^[0-9]+([.][0-9]+)*$') || int(self.version.split('.')[0]) >= int(oldSelf.version.split('.')[0])",message="version cannot be lowered: RDS cannot downgrade a database engine"
type RDSDatabaseSpec struct {
	// Type is the database engine: postgresql (default). The seed's spelling
	// Postgresql is accepted. It cannot be changed after creation.
	// +kubebuilder:default=postgresql
	// +kubebuilder:validation:MaxLength=32
	// +kubebuilder:validation:XValidation:rule="self == oldSelf || (self in ['postgresql', 'Postgresql'] && oldSelf in ['postgresql', 'Postgresql'])",message="type cannot be changed after creation"
	// +optional
	Type DatabaseType `json:"type,omitempty"`

	// Version is the engine version, a major ("17") or a major.minor ("17.4").
	// When empty the operator's default applies (17 for PostgreSQL, changeable by
	// flag).
	// +kubebuilder:validation:MaxLength=16
	// +kubebuilder:validation:XValidation:rule="self.matches('^[0-9]+([.][0-9]+)*$')",message="version must be digits and dots, e.g. 17 or 16.4"
	// +optional
	Version string `json:"version,omitempty"`

	// Size is the allocated storage: a whole number followed by GB, GiB, Gi or G,
	// all read as GiB, as RDS counts storage. Below the storage type's minimum (20
	// GiB for gp2/gp3, 100 for io1/io2, 5 for standard) it is raised to that
	// minimum; an Event and the status say so. Storage can grow but never shrink.
	// Default "10GB".
	// +kubebuilder:default="10GB"
	// +kubebuilder:validation:MaxLength=12
	// +kubebuilder:validation:XValidation:rule="self.matches('^[1-9][0-9]{0,4}(GB|GiB|Gi|G)$') && int(self.find('^[0-9]+')) <= 65536",message="size must be a whole number of gigabytes from 1 to 65536 followed by GB, GiB, Gi or G, e.g. 20GB"
	// +kubebuilder:validation:XValidation:rule="!self.matches('^[1-9][0-9]{0,4}(GB|GiB|Gi|G)$') || !oldSelf.matches('^[1-9][0-9]{0,4}(GB|GiB|Gi|G)$') || int(self.find('^[0-9]+')) >= int(oldSelf.find('^[0-9]+'))",message="size cannot be decreased: RDS cannot shrink allocated storage"
	// +optional
	Size string `json:"size,omitempty"`

	// MasterUser is the name of the database's master user: 1 to 16 lowercase
	// letters, digits or underscores, starting with a letter, not a name RDS or
	// PostgreSQL reserves (rds*, pg_*, public, none, and SQL keywords such as
	// user, all or select). Its credentials go to the Secret <name>.rds.master.
	// Cannot be changed after creation. Default "sysadmin".
	// +kubebuilder:default=sysadmin
	// +kubebuilder:validation:MaxLength=16
	// +kubebuilder:validation:XValidation:rule="self.matches('^[a-z][a-z0-9_]{0,15}$')",message="masteruser must be 1 to 16 lowercase letters, digits or underscores, starting with a letter"
	// +kubebuilder:validation:XValidation:rule="!self.startsWith('rds') && !self.startsWith('pg_') && !(self in ['public', 'none', 'current_user', 'current_role', 'session_user', 'user', 'all', 'select', 'table', 'grant', 'role', 'from', 'where', 'order', 'group'])",message="masteruser is a name RDS or PostgreSQL reserves (rds*, pg_*, public, none, or an SQL keyword such as user, all or select): pick another"
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="masteruser cannot be changed after creation"
	// +optional
	MasterUser string `json:"masteruser,omitempty"`

	// Users maps each database user to its roles: superuser (member of
	// rds_superuser) and createdb. Names are 1 to 63 lowercase letters, digits or
	// underscores starting with a letter, not reserved by RDS or PostgreSQL (rds*,
	// pg_*, public, none, ...) and not "master" (whose Secret name is the
	// master's). Each user gets the Secret <name>.rds.<user> (with _ turned into
	// -).
	// +kubebuilder:validation:MaxProperties=100
	// +kubebuilder:validation:XValidation:rule="self.all(u, u.matches('^[a-z][a-z0-9_]{0,62}$'))",message="user names must be 1 to 63 lowercase letters, digits or underscores, starting with a letter"
	// +kubebuilder:validation:XValidation:rule="!('master' in self)",message="a user may not be named master: its Secret <name>.rds.master is the master user's"
	// +kubebuilder:validation:XValidation:rule="self.all(u, !u.startsWith('rds') && !u.startsWith('pg_') && !(u in ['public', 'none', 'current_user', 'current_role', 'session_user']))",message="user names rds*, pg_*, public, none, current_user, current_role and session_user are reserved by RDS or PostgreSQL: pick another"
	// +optional
	Users map[string]UserRoles `json:"users,omitempty"`

	// Databases maps each database to the users allowed to connect to it. The
	// first user listed owns the database (the master owns it when the list is
	// empty); no user not listed can connect. Names are 1 to 63 lowercase letters,
	// digits or underscores starting with a letter. A database removed from this
	// map is kept, never dropped.
	// +kubebuilder:validation:MaxProperties=100
	// +kubebuilder:validation:XValidation:rule="self.all(d, d.matches('^[a-z][a-z0-9_]{0,62}$'))",message="database names must be 1 to 63 lowercase letters, digits or underscores, starting with a letter"
	// +kubebuilder:validation:XValidation:rule="self.all(d, !(d in ['postgres', 'template0', 'template1', 'rdsadmin']))",message="database names postgres, template0, template1 and rdsadmin are reserved: pick another"
	// +optional
	Databases map[string]DatabaseUsers `json:"databases,omitempty"`

	// Backup configures automated backups.
	// +kubebuilder:default={}
	// +optional
	Backup Backup `json:"backup,omitempty"`

	// InstanceClass is the RDS instance class, e.g. db.t4g.micro. When empty the
	// operator's default applies (db.t4g.micro, changeable by flag).
	// +kubebuilder:validation:MaxLength=64
	// +kubebuilder:validation:XValidation:rule="self.matches('^db[.][a-z0-9-]+[.][a-z0-9-]+$')",message="instanceClass must look like db.<family>.<size>, e.g. db.t4g.micro"
	// +optional
	InstanceClass string `json:"instanceClass,omitempty"`

	// StorageType is the RDS storage type: gp2, gp3, io1, io2 or standard. When
	// empty the operator's default applies (gp3, changeable by flag).
	// +kubebuilder:validation:Enum=gp2;gp3;io1;io2;standard
	// +optional
	StorageType string `json:"storageType,omitempty"`

	// DeletionPolicy says what happens to the cloud database when this object is
	// deleted: Snapshot (default) takes a final snapshot and then deletes it,
	// Delete deletes it without one, Retain leaves it in AWS. The Secrets stay in
	// every case.
	// +kubebuilder:default=Snapshot
	// +optional
	DeletionPolicy DeletionPolicy `json:"deletionPolicy,omitempty"`

	// ApplyImmediately applies changes to the cloud database at once; false leaves
	// them for the database's maintenance window, and status.cloud lists them
	// meanwhile. Default true.
	// +kubebuilder:default=true
	// +optional
	ApplyImmediately *bool `json:"applyImmediately,omitempty"`

	// AllowMajorVersionUpgrade permits changing version to another major version
	// (e.g. 16 to 17), which RDS cannot undo. Default false.
	// +optional
	AllowMajorVersionUpgrade bool `json:"allowMajorVersionUpgrade,omitempty"`

	// RestoreFrom makes the database from a snapshot when it is created. It cannot
	// be changed afterwards.
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="restoreFrom cannot be changed: it only applies when the database is created"
	// +optional
	RestoreFrom *RestoreFrom `json:"restoreFrom,omitempty"`

	// Tags are added to the cloud database, next to the operator's own owner tags.
	// +kubebuilder:validation:MaxProperties=40
	// +kubebuilder:validation:XValidation:rule="self.all(k, !k.startsWith('aws:') && !k.startsWith('matrixmind.cloud/'))",message="tag keys starting with aws: or matrixmind.cloud/ are reserved"
	// +kubebuilder:validation:XValidation:rule="self.all(k, size(k) <= 128 && size(self[k]) <= 256)",message="tag keys may have at most 128 characters and values at most 256"
	// +optional
	Tags map[string]string `json:"tags,omitempty"`
}

// RestoreFrom names where a new database takes its data from.
type RestoreFrom struct {
	// Snapshot is the identifier (or ARN) of an RDS snapshot: the operator's own final or
	// scheduled snapshots, or any other the account can read.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=255
	// +required
	Snapshot string `json:"snapshot"`
}

// UserRoles lists a user's roles. Write a user with no roles as "app: []": the
// apiserver drops a key with a null value ("app:") before anyone sees it.
// +kubebuilder:validation:MaxItems=2
// +listType=set
type UserRoles []Role

// DatabaseUsers lists the users allowed on a database; the first owns it.
// Write a database with no users (owned by the master) as "logs: []": a null
// value ("logs:") is dropped.
// +kubebuilder:validation:MaxItems=100
// +kubebuilder:validation:items:MaxLength=63
type DatabaseUsers []string

// CloudStatus mirrors the cloud database as the cloud reports it.
type CloudStatus struct {
	// Identifier is the cloud database's identifier (RDS DBInstanceIdentifier).
	Identifier string `json:"identifier,omitempty"`
	// ARN is the cloud database's Amazon Resource Name.
	// +optional
	ARN string `json:"arn,omitempty"`
	// Status is the cloud's own status word: creating, backing-up, available,
	// modifying, deleting, ...
	// +optional
	Status string `json:"status,omitempty"`
	// Engine is the engine the cloud runs, e.g. postgres.
	// +optional
	Engine string `json:"engine,omitempty"`
	// EngineVersion is the engine version the cloud reports.
	// +optional
	EngineVersion string `json:"engineVersion,omitempty"`
	// AllocatedStorageGiB is the storage the cloud reports, in GiB.
	// +optional
	AllocatedStorageGiB int32 `json:"allocatedStorageGiB,omitempty"`
	// InstanceClass is the instance class the cloud reports.
	// +optional
	InstanceClass string `json:"instanceClass,omitempty"`
	// Endpoint is the host name applications connect to.
	// +optional
	Endpoint string `json:"endpoint,omitempty"`
	// Port is the port applications connect to.
	// +optional
	Port int32 `json:"port,omitempty"`
	// PendingModifications lists changes asked for that wait for the maintenance
	// window.
	// +optional
	PendingModifications []string `json:"pendingModifications,omitempty"`
}

// BackupStatus shows the database's backups.
type BackupStatus struct {
	// Mode is "automated" (RDS's daily backups) or "snapshots" (the operator's schedule).
	Mode string `json:"mode"`
	// LatestRestorableTime is the latest moment RDS's automated backups can restore to.
	// +optional
	LatestRestorableTime *metav1.Time `json:"latestRestorableTime,omitempty"`
	// LatestSnapshot is the newest snapshot the operator took on its schedule.
	// +optional
	LatestSnapshot string `json:"latestSnapshot,omitempty"`
	// LatestSnapshotTime is when LatestSnapshot was scheduled.
	// +optional
	LatestSnapshotTime *metav1.Time `json:"latestSnapshotTime,omitempty"`
	// NextSnapshotTime is when the next scheduled snapshot is due.
	// +optional
	NextSnapshotTime *metav1.Time `json:"nextSnapshotTime,omitempty"`
}

// UserAccess is the result of logging in as one user with the password in its Secret.
type UserAccess struct {
	// Name is the user's name.
	Name string `json:"name"`
	// LastChecked is when the login was tried.
	// +optional
	LastChecked metav1.Time `json:"lastChecked,omitempty"`
	// OK is true when the login worked.
	OK bool `json:"ok"`
	// Reason says why the login failed.
	// +optional
	Reason string `json:"reason,omitempty"`
}

// RDSDatabaseStatus is what the operator observed and did.
type RDSDatabaseStatus struct {
	// ObservedGeneration is the generation of the spec this status describes.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`
	// Phase is a one-word summary: Pending, Creating, Configuring, Ready, Error or
	// Deleting.
	// +optional
	Phase string `json:"phase,omitempty"`
	// Conditions: Ready, Provisioned, UsersReady and AccessVerified.
	// +listType=map
	// +listMapKey=type
	// +optional
	Conditions []metav1.Condition `json:"conditions,omitempty"`
	// Cloud mirrors the cloud database.
	// +optional
	Cloud *CloudStatus `json:"cloud,omitempty"`
	// RequestedStorageGiB is the storage asked of the cloud, after raising the
	// spec's size to the storage type's minimum where it was below it.
	// +optional
	RequestedStorageGiB int32 `json:"requestedStorageGiB,omitempty"`
	// Backup shows the latest backup and the next one.
	// +optional
	Backup *BackupStatus `json:"backup,omitempty"`
	// Users has the result of the last login check of the master and each user.
	// +listType=map
	// +listMapKey=name
	// +optional
	Users []UserAccess `json:"users,omitempty"`
	// Secrets names the Secrets holding the master's and each user's credentials.
	// +optional
	Secrets []string `json:"secrets,omitempty"`
	// Databases names the databases the operator set up, so that one removed from the
	// spec is noticed (and kept).
	// +optional
	Databases []string `json:"databases,omitempty"`
	// Service names the Service pointing at the database, once it exists.
	// +optional
	Service string `json:"service,omitempty"`
}

// RDSDatabase is an AWS RDS database with its users, databases, a Secret per
// user and a Service pointing at it.
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=rdsdb,categories=matrixmind
// +kubebuilder:validation:XValidation:rule="self.metadata.name.matches('^[a-z]([-a-z0-9]{0,57}[a-z0-9])?$')",message="the name must be at most 59 lowercase letters, digits or hyphens, starting with a letter and not ending with a hyphen, so that the Service <name>-rds is a valid name"
// +kubebuilder:printcolumn:name="Type",type=string,JSONPath=`.spec.type`
// +kubebuilder:printcolumn:name="Version",type=string,JSONPath=`.status.cloud.engineVersion`
// +kubebuilder:printcolumn:name="Size",type=string,JSONPath=`.spec.size`
// +kubebuilder:printcolumn:name="Cloud",type=string,JSONPath=`.status.cloud.status`
// +kubebuilder:printcolumn:name="Endpoint",type=string,JSONPath=`.status.cloud.endpoint`
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type RDSDatabase struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// Spec is what the application team asks for.
	// +kubebuilder:default={}
	// +optional
	Spec RDSDatabaseSpec `json:"spec,omitempty"`
	// Status is what the operator observed and did.
	// +optional
	Status RDSDatabaseStatus `json:"status,omitempty"`
}

// RDSDatabaseList is a list of RDSDatabase.
// +kubebuilder:object:root=true
type RDSDatabaseList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	// Items are the RDSDatabases.
	Items []RDSDatabase `json:"items"`
}

func init() {
	SchemeBuilder.Register(&RDSDatabase{}, &RDSDatabaseList{})
}
