package v1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// DatabaseType names the database engine.
// +kubebuilder:validation:XValidation:rule="self in ['postgresql', 'Postgresql', 'mysql', 'MySQL', 'mariadb', 'aurora-postgresql', 'aurora-mysql']",message="type must be postgresql, mysql, mariadb, aurora-postgresql or aurora-mysql (the seed's spellings Postgresql and MySQL are accepted too)"
type DatabaseType string

// Database types the operator serves.
const (
	// TypePostgreSQL is Amazon RDS for PostgreSQL.
	TypePostgreSQL DatabaseType = "postgresql"
	// TypePostgreSQLSeed is the seed's spelling of TypePostgreSQL.
	TypePostgreSQLSeed DatabaseType = "Postgresql"
	// TypeMySQL is Amazon RDS for MySQL.
	TypeMySQL DatabaseType = "mysql"
	// TypeMySQLSeed is the seed's spelling of TypeMySQL.
	TypeMySQLSeed DatabaseType = "MySQL"
	// TypeMariaDB is Amazon RDS for MariaDB, an engine of its own on RDS (not a MySQL
	// version): its majors are two-part too (10.6, 10.11, 11.4).
	TypeMariaDB DatabaseType = "mariadb"
	// TypeAuroraPostgreSQL is Amazon Aurora PostgreSQL-Compatible Edition.
	TypeAuroraPostgreSQL DatabaseType = "aurora-postgresql"
	// TypeAuroraMySQL is Amazon Aurora MySQL-Compatible Edition.
	TypeAuroraMySQL DatabaseType = "aurora-mysql"
)

// Aurora reports whether t is one of the Aurora engines, served by a DB cluster.
func (t DatabaseType) Aurora() bool {
	return t == TypeAuroraPostgreSQL || t == TypeAuroraMySQL
}

// Normalized returns the type in its canonical spelling: the seed's spellings become
// postgresql and mysql, an empty type is postgresql (the default).
func (t DatabaseType) Normalized() DatabaseType {
	switch t {
	case "", TypePostgreSQLSeed:
		return TypePostgreSQL
	case TypeMySQLSeed:
		return TypeMySQL
	}
	return t
}

// Role is a capability granted to a database user: superuser, createdb, readonly or iam.
// +kubebuilder:validation:Enum=superuser;createdb;readonly;iam
type Role string

// Roles a user may be given.
const (
	// RoleSuperuser makes the user a member of rds_superuser, the most RDS allows:
	// it can manage roles' memberships, create extensions and read every
	// statistic, but it is not a PostgreSQL SUPERUSER (no one is on RDS).
	RoleSuperuser Role = "superuser"
	// RoleCreateDB lets the user create databases.
	RoleCreateDB Role = "createdb"
	// RoleReadOnly limits the user to reading the databases it is listed on: it may
	// SELECT every table in them, those any listed user makes later included, and may
	// create, insert, update or delete nothing (on MySQL: SELECT on the database and
	// nothing else). It stands alone: superuser could grant itself anything and createdb
	// would let it create, so admission refuses either beside it; and since the first
	// user listed on a database owns it, a readonly user may not be listed first.
	RoleReadOnly Role = "readonly"
	// RoleIAM makes the user log in with a short-lived token from the cloud's identity
	// service in place of a password (RDS IAM database authentication: the user is granted
	// rds_iam on PostgreSQL, identified with AWSAuthenticationPlugin on MySQL and MariaDB,
	// and a token made with aws rds generate-db-auth-token is its password). Once the cloud
	// reports token logins on, its Secret holds no password and says how to get a token. It
	// needs spec.iamAuthentication: true, and goes with any other role.
	RoleIAM Role = "iam"
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

	// Export copies every backup to cold storage: each snapshot the operator takes, the
	// newest of RDS's automated backups once a day, and the final snapshot (RDS
	// StartExportTask: the tables as Parquet in S3). Each snapshot is exported once.
	// +optional
	Export *BackupExport `json:"export,omitempty"`
}

// BackupExport says where backups are exported to.
type BackupExport struct {
	// Bucket is the bucket the data goes to: an S3 bucket in the database's region on AWS,
	// a Cloud Storage bucket on Google Cloud SQL.
	// +kubebuilder:validation:MinLength=3
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:XValidation:rule="self.matches('^[a-z0-9][a-z0-9.-]*[a-z0-9]$') && !self.contains('..')",message="bucket must be an S3 bucket name: 3 to 63 lowercase letters, digits, dots and hyphens, beginning and ending with a letter or digit"
	Bucket string `json:"bucket"`
	// Prefix is the key prefix under the bucket, e.g. "rds/orders"; each export writes
	// below <prefix>/<export identifier>/.
	// +kubebuilder:validation:MaxLength=512
	// +optional
	Prefix string `json:"prefix,omitempty"`
	// IAMRoleARN is the role RDS writes to the bucket as; it must allow s3:PutObject,
	// s3:GetObject, s3:ListBucket, s3:DeleteObject and s3:GetBucketLocation on the bucket
	// and trust export.rds.amazonaws.com (see docs). Required on AWS; empty on Google Cloud
	// SQL, which writes as the instance's own service account.
	// +kubebuilder:validation:XValidation:rule="self.matches('^arn:aws[a-z-]*:iam::[0-9]{12}:role/[A-Za-z0-9+=,.@_/-]+$')",message="iamRoleArn must be an IAM role ARN, e.g. arn:aws:iam::111122223333:role/rds-export"
	// +optional
	IAMRoleARN string `json:"iamRoleArn,omitempty"`
	// KMSKeyID is the KMS key the exported data is encrypted with: a key ARN, key ID, alias
	// ARN or alias name. Required on AWS; empty on Google Cloud SQL, where the bucket's
	// default encryption applies.
	// +kubebuilder:validation:MaxLength=2048
	// +kubebuilder:validation:XValidation:rule="self.matches('^(arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:(key/[A-Za-z0-9-]+|alias/[A-Za-z0-9/_-]+)|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32}|alias/[A-Za-z0-9/_-]+)$')",message="kmsKeyId must be a KMS key ARN, key ID, alias ARN or alias name, e.g. alias/rds-export"
	// +optional
	KMSKeyID string `json:"kmsKeyId,omitempty"`
}

// Logs configures the shipping of the database's logs.
type Logs struct {
	// Exports are the database's logs the cloud ships to its log service as they are
	// written (RDS: CloudWatch Logs, EnableCloudwatchLogsExports). Per type: postgresql
	// takes postgresql, upgrade and iam-db-auth-error; mysql and mariadb take audit, error,
	// general, slowquery and iam-db-auth-error; aurora-postgresql takes instance,
	// postgresql and iam-db-auth-error; aurora-mysql takes audit, error, general, instance,
	// slowquery and iam-db-auth-error. Empty ships none. Changes apply at once, in place.
	// Cloud SQL sends every log to Cloud Logging whatever this says.
	// +kubebuilder:validation:MaxItems=6
	// +kubebuilder:validation:items:Enum=postgresql;upgrade;instance;audit;error;general;slowquery;iam-db-auth-error
	// +listType=set
	// +optional
	Exports []string `json:"exports,omitempty"`
}

// RDSDatabaseSpec is what an application team asks for.
// +kubebuilder:validation:XValidation:rule="!has(self.logs) || !has(self.logs.exports) || ((!has(self.type) || self.type in ['postgresql', 'Postgresql']) ? self.logs.exports.all(e, e in ['postgresql', 'upgrade', 'iam-db-auth-error']) : self.type in ['mysql', 'MySQL', 'mariadb'] ? self.logs.exports.all(e, e in ['audit', 'error', 'general', 'slowquery', 'iam-db-auth-error']) : self.type == 'aurora-postgresql' ? self.logs.exports.all(e, e in ['instance', 'postgresql', 'iam-db-auth-error']) : self.logs.exports.all(e, e in ['audit', 'error', 'general', 'instance', 'slowquery', 'iam-db-auth-error']))",message="logs.exports names a log this type of database does not have: postgresql has postgresql, upgrade and iam-db-auth-error; mysql and mariadb have audit, error, general, slowquery and iam-db-auth-error; aurora-postgresql has instance, postgresql and iam-db-auth-error; aurora-mysql has audit, error, general, instance, slowquery and iam-db-auth-error"
// +kubebuilder:validation:XValidation:rule="!has(self.users) || !self.users.exists(u, 'iam' in self.users[u]) || (has(self.iamAuthentication) && self.iamAuthentication)",message="users with the role iam log in with IAM tokens: set iamAuthentication: true, or remove the role"
// +kubebuilder:validation:XValidation:rule="!has(self.users) || !(self.masteruser in self.users)",message="users must not contain the master user's name; the master user gets its own Secret <name>.rds.master"
// +kubebuilder:validation:XValidation:rule="!has(self.databases) || self.databases.all(d, self.databases[d].all(u, has(self.users) && u in self.users))",message="every user listed under databases must be defined under users"
// +kubebuilder:validation:XValidation:rule="!has(self.databases) || !has(self.users) || self.databases.all(d, size(self.databases[d]) == 0 || !(self.databases[d][0] in self.users) || !('readonly' in self.users[self.databases[d][0]]))",message="the first user listed under a database owns it, so it cannot be readonly: list first a user that may write"
// +kubebuilder:validation:XValidation:rule="!has(oldSelf.version) || !has(self.version) || !self.version.matches('^[0-9]+([.][0-9]+)*$') || !oldSelf.version.matches('^[0-9]+([.][0-9]+)*$') || (has(self.allowMajorVersionUpgrade) && self.allowMajorVersionUpgrade) || (has(self.type) && self.type in ['mysql', 'MySQL', 'mariadb', 'aurora-mysql'] ? (!self.version.matches('^[0-9]+[.][0-9]+') || !oldSelf.version.matches('^[0-9]+[.][0-9]+') || (self.version.split('.')[0] == oldSelf.version.split('.')[0] && self.version.split('.')[1] == oldSelf.version.split('.')[1])) : self.version.split('.')[0] == oldSelf.version.split('.')[0])",message="changing the major version (e.g. PostgreSQL 16 to 17, MySQL 8.0 to 8.4, MariaDB 10.11 to 11.4) needs allowMajorVersionUpgrade: true (RDS cannot undo a major upgrade)"
// +kubebuilder:validation:XValidation:rule="!has(oldSelf.version) || !has(self.version) || !self.version.matches('^[0-9]+([.][0-9]+)*$') || !oldSelf.version.matches('^[0-9]+([.][0-9]+)*$') || int(self.version.split('.')[0]) > int(oldSelf.version.split('.')[0]) || (int(self.version.split('.')[0]) == int(oldSelf.version.split('.')[0]) && (!(has(self.type) && self.type in ['mysql', 'MySQL', 'mariadb', 'aurora-mysql']) || !self.version.matches('^[0-9]+[.][0-9]+') || !oldSelf.version.matches('^[0-9]+[.][0-9]+') || int(self.version.split('.')[1]) >= int(oldSelf.version.split('.')[1])))",message="version cannot be lowered: RDS cannot downgrade a database engine"
// +kubebuilder:validation:XValidation:rule="!has(self.version) || !has(self.type) || !(self.type in ['mysql', 'MySQL']) || self.version.matches('^[0-9]+[.][0-9]+([.][0-9]+)?$')",message="a MySQL version is major.minor or major.minor.patch, e.g. 8.0 or 8.0.40"
// +kubebuilder:validation:XValidation:rule="!has(self.version) || !has(self.type) || self.type != 'mariadb' || self.version.matches('^[0-9]+[.][0-9]+([.][0-9]+)?$')",message="a MariaDB version is major.minor or major.minor.patch, e.g. 10.11 or 10.11.9"
// +kubebuilder:validation:XValidation:rule="!has(self.version) || !has(self.type) || self.type != 'aurora-mysql' || self.version.matches('^[0-9]+[.][0-9]+([.]mysql_aurora([.][0-9]+)+)?$')",message="an Aurora MySQL version is major.minor or the full Aurora version, e.g. 8.0 or 8.0.mysql_aurora.3.08.0"
// +kubebuilder:validation:XValidation:rule="!has(self.version) || !has(self.type) || self.type == 'aurora-mysql' || !self.version.contains('mysql_aurora')",message="only Aurora MySQL versions contain mysql_aurora"
// +kubebuilder:validation:XValidation:rule="!has(self.type) || !(self.type in ['mysql', 'MySQL', 'aurora-mysql']) || !has(self.users) || self.users.all(u, size(u) <= 32)",message="MySQL user names may have at most 32 characters"
// +kubebuilder:validation:XValidation:rule="!has(self.type) || self.type != 'mariadb' || !has(self.users) || self.users.all(u, size(u) <= 32)",message="MariaDB user names may have at most 32 characters here: the operator manages MariaDB's users as MySQL's, whose limit this is"
// +kubebuilder:validation:XValidation:rule="!has(self.type) || !(self.type in ['mysql', 'MySQL', 'aurora-mysql']) || !has(self.databases) || self.databases.all(d, !(d in ['mysql', 'information_schema', 'performance_schema', 'sys', 'tmp', 'innodb']))",message="database names mysql, information_schema, performance_schema, sys, tmp and innodb are reserved by MySQL: pick another"
// +kubebuilder:validation:XValidation:rule="!has(self.type) || self.type != 'mariadb' || !has(self.databases) || self.databases.all(d, !(d in ['mysql', 'information_schema', 'performance_schema', 'sys']))",message="database names mysql, information_schema, performance_schema and sys are reserved by MariaDB: pick another"
// +kubebuilder:validation:XValidation:rule="!has(self.type) || !(self.type in ['aurora-postgresql', 'aurora-mysql']) || !has(self.size) || self.size == '10GB'",message="size does not apply to Aurora, whose storage grows by itself: remove it"
// +kubebuilder:validation:XValidation:rule="!has(self.type) || !(self.type in ['aurora-postgresql', 'aurora-mysql']) || !has(self.storageType)",message="storageType does not apply to Aurora, which manages its own storage: remove it"
// +kubebuilder:validation:XValidation:rule="!has(self.type) || !(self.type in ['aurora-postgresql', 'aurora-mysql']) || (!has(self.iops) && !has(self.storageThroughput))",message="iops and storageThroughput do not apply to Aurora, which manages its own storage: remove them"
// +kubebuilder:validation:XValidation:rule="!has(self.storageType) || !(self.storageType in ['io1', 'io2']) || has(self.iops)",message="storageType io1 and io2 need iops, the provisioned IOPS (e.g. iops: 3000, at most 50 per GiB for io1)"
// +kubebuilder:validation:XValidation:rule="!has(self.iops) || !has(self.storageType) || self.storageType in ['io1', 'io2', 'gp3']",message="iops applies to io1, io2 and gp3 storage only"
// +kubebuilder:validation:XValidation:rule="!has(self.storageThroughput) || !has(self.storageType) || self.storageType == 'gp3'",message="storageThroughput applies to gp3 storage only"
// +kubebuilder:validation:XValidation:rule="!has(self.type) || !(self.type in ['aurora-postgresql', 'aurora-mysql']) || !has(self.highAvailability) || !has(self.highAvailability.multiAZ) || !self.highAvailability.multiAZ",message="multiAZ does not apply to Aurora, whose storage spans three zones: ask for highAvailability.readReplicas to have a reader to fail over to"
// +kubebuilder:validation:XValidation:rule="!has(self.maxSize) || !has(self.type) || !(self.type in ['aurora-postgresql', 'aurora-mysql'])",message="maxSize does not apply to Aurora, whose storage grows by itself: remove it"
// +kubebuilder:validation:XValidation:rule="!has(self.maxSize) || !has(self.size) || !self.maxSize.matches('^[1-9][0-9]{0,4}(GB|GiB|Gi|G)$') || !self.size.matches('^[1-9][0-9]{0,4}(GB|GiB|Gi|G)$') || int(self.maxSize.find('^[0-9]+')) >= int(self.size.find('^[0-9]+'))",message="maxSize must be larger than size (how far the cloud may grow the storage by itself), or equal to it to turn storage autoscaling off"
// +kubebuilder:validation:XValidation:rule="!has(oldSelf.size) || has(self.size)",message="size cannot be removed once set: storage never shrinks; set it to what it is"
// +kubebuilder:validation:XValidation:rule="has(self.encryption) == has(oldSelf.encryption)",message="encryption cannot be added or removed after creation: RDS encrypts storage only when a database is made"
// +kubebuilder:validation:XValidation:rule="has(self.class) == has(oldSelf.class) && (!has(self.class) || self.class == oldSelf.class)",message="class cannot be changed after creation: the database stays where it was made; to move it, restore a snapshot into a new RDSDatabase of the other class"
type RDSDatabaseSpec struct {
	// Class names the DatabaseClass saying where the database is made (which cloud, which
	// region, with what defaults). Empty means the default class, or AWS with the
	// operator's flags when there is no DatabaseClass at all. It cannot be changed after
	// creation.
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:XValidation:rule="self.matches('^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$')",message="class must be the name of a DatabaseClass: lowercase letters, digits, hyphens and dots"
	// +optional
	Class string `json:"class,omitempty"`

	// Type is the database engine: postgresql (default), mysql, mariadb (RDS for
	// MariaDB, its own engine on RDS), aurora-postgresql or aurora-mysql. The seed's
	// spellings Postgresql and MySQL are accepted. It cannot be changed after creation,
	// not even between mysql and mariadb.
	// +kubebuilder:default=postgresql
	// +kubebuilder:validation:MaxLength=32
	// +kubebuilder:validation:XValidation:rule="self == oldSelf || (self in ['postgresql', 'Postgresql'] && oldSelf in ['postgresql', 'Postgresql']) || (self in ['mysql', 'MySQL'] && oldSelf in ['mysql', 'MySQL'])",message="type cannot be changed after creation: make a new RDSDatabase for another engine"
	// +optional
	Type DatabaseType `json:"type,omitempty"`

	// Version is the engine version, a major ("17", "8.0", "10.11") or a full version
	// ("17.4", "8.0.40", "10.11.9"). MySQL's and MariaDB's majors have two parts, so
	// 10.11 to 11.4 is a major upgrade. When empty the operator's default applies (17
	// for PostgreSQL, 8.0 for MySQL, 10.11 for MariaDB, changeable by flag).
	// +kubebuilder:validation:MaxLength=32
	// +kubebuilder:validation:XValidation:rule="self.matches('^[0-9]+([.][0-9]+)*([.]mysql_aurora([.][0-9]+)+)?$')",message="version must be digits and dots, e.g. 17, 16.4, 8.0 or 10.11 (Aurora MySQL also 8.0.mysql_aurora.3.08.0)"
	// +optional
	Version string `json:"version,omitempty"`

	// Size is the allocated storage: a whole number followed by GB, GiB, Gi or G,
	// all read as GiB, as RDS counts storage. Below the storage type's minimum (20
	// GiB for gp2/gp3, 100 for io1/io2, 5 for standard) it is raised to that
	// minimum; an Event and the status say so. Storage can grow but never shrink.
	// Empty: 10 GiB on a cloud. On an existing server (a DatabaseClass with provider
	// existing) the storage is the server's: size must stay empty there. Once set it cannot
	// be removed.
	// +kubebuilder:validation:MaxLength=12
	// +kubebuilder:validation:XValidation:rule="self.matches('^[1-9][0-9]{0,4}(GB|GiB|Gi|G)$') && int(self.find('^[0-9]+')) <= 65536",message="size must be a whole number of gigabytes from 1 to 65536 followed by GB, GiB, Gi or G, e.g. 20GB"
	// +kubebuilder:validation:XValidation:rule="!self.matches('^[1-9][0-9]{0,4}(GB|GiB|Gi|G)$') || !oldSelf.matches('^[1-9][0-9]{0,4}(GB|GiB|Gi|G)$') || int(self.find('^[0-9]+')) >= int(oldSelf.find('^[0-9]+'))",message="size cannot be decreased: RDS cannot shrink allocated storage"
	// +optional
	Size string `json:"size,omitempty"`

	// MaxSize turns on storage autoscaling: the cloud grows the storage by itself when it
	// runs low, up to this size (RDS MaxAllocatedStorage; Cloud SQL's automatic storage
	// increase limit), in the format of size and above it. size stays the floor: storage
	// the cloud grew is shown in status.cloud and never taken back (storage cannot shrink).
	// Set equal to size, autoscaling is turned off. Unset, the cloud's own setting is left as
	// it is: off for a new RDS database, growing without a limit (Google's default) for a new
	// Cloud SQL instance, and whatever was set outside the operator.
	// +kubebuilder:validation:MaxLength=12
	// +kubebuilder:validation:XValidation:rule="self.matches('^[1-9][0-9]{0,4}(GB|GiB|Gi|G)$') && int(self.find('^[0-9]+')) <= 65536",message="maxSize must be a whole number of gigabytes from 1 to 65536 followed by GB, GiB, Gi or G, e.g. 100GB"
	// +optional
	MaxSize string `json:"maxSize,omitempty"`

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
	// rds_superuser), createdb, readonly (it only reads the databases it is
	// listed on; alone or with iam, and never first on a database's list), and iam (it
	// logs in with an IAM token, not a password; see iamAuthentication). A user with no
	// roles may create, read and write in the databases it is listed on, including
	// the tables the other users listed there made. Names are 1 to 63 lowercase letters, digits or
	// underscores starting with a letter and not ending with an underscore, not reserved by RDS or PostgreSQL (rds*,
	// pg_*, public, none, ...) and not "master" (whose Secret name is the
	// master's). Each user gets the Secret <name>.rds.<user> (with _ turned into
	// -).
	// +kubebuilder:validation:MaxProperties=100
	// +kubebuilder:validation:XValidation:rule="self.all(u, u.matches('^[a-z]([a-z0-9_]{0,61}[a-z0-9])?$'))",message="user names must be 1 to 63 lowercase letters, digits or underscores, starting with a letter and not ending with an underscore (the Secret <name>.rds.<user> turns _ into -, and a Secret name may not end with -)"
	// +kubebuilder:validation:XValidation:rule="!('master' in self)",message="a user may not be named master: its Secret <name>.rds.master is the master user's"
	// +kubebuilder:validation:XValidation:rule="self.all(u, !u.startsWith('rds') && !u.startsWith('pg_') && !(u in ['public', 'none', 'current_user', 'current_role', 'session_user']))",message="user names rds*, pg_*, public, none, current_user, current_role and session_user are reserved by RDS or PostgreSQL: pick another"
	// +optional
	Users map[string]UserRoles `json:"users,omitempty"`

	// Databases maps each database to the users allowed to connect to it. The
	// first user listed owns the database (the master owns it when the list is
	// empty) and may not be readonly; no user not listed can connect. Every user
	// listed may create tables in it and read and write every table in it, whoever
	// made it and when, except readonly users, who may only read; a user removed
	// from the list loses that, and what it made is kept. On PostgreSQL they share
	// it through the roles "<database>.readwrite" and "<database>.readonly"; ALTER
	// and DROP of a table stay with the user that made it, unless it made the table
	// after SET ROLE "<database>.readwrite". Names are 1 to 63 lowercase letters,
	// digits or underscores starting with a letter. A database removed from this
	// map is kept, never dropped.
	// +kubebuilder:validation:MaxProperties=100
	// +kubebuilder:validation:XValidation:rule="self.all(d, d.matches('^[a-z][a-z0-9_]{0,62}$'))",message="database names must be 1 to 63 lowercase letters, digits or underscores, starting with a letter"
	// +kubebuilder:validation:XValidation:rule="self.all(d, !(d in ['postgres', 'template0', 'template1', 'rdsadmin']))",message="database names postgres, template0, template1 and rdsadmin are reserved: pick another"
	// +optional
	Databases map[string]DatabaseUsers `json:"databases,omitempty"`

	// Parameters are engine parameters by the engine's own names, each value a string
	// (quote numbers in YAML): e.g. max_connections: "200", log_min_duration_statement:
	// "500", shared_preload_libraries: "pg_stat_statements", innodb_lock_wait_timeout:
	// "20". On AWS the operator keeps a DB parameter group of the database's own (a DB
	// cluster parameter group for Aurora), named after its identifier and engine family; on
	// Cloud SQL they are database flags. A parameter the cloud does not know or does not let
	// be changed is said in the ParametersApplied condition, naming it.
	// Parameters that take effect only at a restart wait for one, as rebootPolicy says
	// (status.parameters lists them meanwhile). A parameter removed from the map goes back
	// to the engine's default.
	// +kubebuilder:validation:MaxProperties=100
	// +kubebuilder:validation:XValidation:rule="self.all(k, k.matches('^[a-zA-Z][a-zA-Z0-9_.]{0,127}$'))",message="parameter names must be 1 to 128 letters, digits, underscores or dots, starting with a letter, e.g. max_connections or pg_stat_statements.track"
	// +kubebuilder:validation:XValidation:rule="self.all(k, size(self[k]) <= 4096)",message="parameter values must have at most 4096 characters"
	// +optional
	Parameters map[string]string `json:"parameters,omitempty"`

	// RebootPolicy says when the database may be restarted to apply parameters that take
	// effect only at a restart: MaintenanceWindow (default) restarts it in its next
	// maintenance window (spec.maintenanceWindow, or the one the cloud picked), Immediately
	// as soon as they are set, Never leaves the restart to you (status.parameters shows
	// what waits). On AWS the first parameters of an existing database wait for a restart
	// all of them (RDS applies a newly attached parameter group at the next reboot), and on
	// Aurora each instance of the cluster is restarted. Cloud SQL restarts a database by
	// itself for such flags, whatever this says.
	// +kubebuilder:validation:Enum=MaintenanceWindow;Immediately;Never
	// +kubebuilder:default=MaintenanceWindow
	// +optional
	RebootPolicy RebootPolicy `json:"rebootPolicy,omitempty"`

	// Backup configures automated backups.
	// +kubebuilder:default={}
	// +optional
	Backup Backup `json:"backup,omitempty"`

	// Logs ships the database's logs to the cloud's log service. Without it the operator
	// leaves the cloud database's log shipping as it is.
	// +optional
	Logs *Logs `json:"logs,omitempty"`

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

	// IOPS is the storage's provisioned IOPS. io1 and io2 need it: 1,000 to 256,000, at
	// most 50 per GiB for io1 and 1,000 per GiB for io2. gp3 takes it from 400 GiB (below
	// it RDS gives 3,000 IOPS and takes no other figure). When empty the storage type's
	// baseline applies.
	// +kubebuilder:validation:Minimum=1000
	// +kubebuilder:validation:Maximum=256000
	// +optional
	IOPS *int32 `json:"iops,omitempty"`

	// StorageThroughput is gp3 storage's provisioned throughput in MiB/s, from 400 GiB
	// (below it RDS gives 125 MiB/s and takes no other figure). When empty the baseline
	// applies.
	// +kubebuilder:validation:Minimum=125
	// +kubebuilder:validation:Maximum=4000
	// +optional
	StorageThroughput *int32 `json:"storageThroughput,omitempty"`

	// Encryption says how the database's storage, its backups and snapshots are
	// encrypted at rest. When empty the operator's default applies (encrypted with
	// the account's default RDS key, changeable by flag). It cannot be changed after
	// creation: RDS encrypts storage only when a database is made.
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="encryption cannot be changed after creation: RDS encrypts storage only when a database is made; restore a snapshot into a new RDSDatabase with the encryption you want"
	// +optional
	Encryption *Encryption `json:"encryption,omitempty"`

	// HighAvailability keeps a standby in another zone (multiAZ) and read replicas.
	// +optional
	HighAvailability *HighAvailability `json:"highAvailability,omitempty"`

	// Network places the database: its DB subnet group, VPC security groups and
	// whether it has a public address. Empty fields take the operator's defaults
	// (flags), and RDS's own defaults after that.
	// +optional
	Network *Network `json:"network,omitempty"`

	// DeletionPolicy says what happens to the cloud database when this object is
	// deleted: Snapshot takes a final snapshot and then deletes it, Delete deletes it
	// without one, Retain leaves it in the cloud. The Secrets stay in every case. Empty
	// takes the class's default: Snapshot, or Retain on a provider that keeps nothing of
	// a deleted database (azure), where Snapshot is refused (SPEC §6).
	// +optional
	DeletionPolicy DeletionPolicy `json:"deletionPolicy,omitempty"`

	// DeletionProtection makes the cloud refuse to delete the database (RDS
	// DeletionProtection, Cloud SQL deletionProtectionEnabled). While it is true, deleting
	// this object is refused with a condition and an Event, and nothing is deleted; set it
	// to false to let the deletion go on (the operator then turns the cloud's protection
	// off first). Unset, the operator's --deletion-protection flag decides (default: the
	// cloud's own setting is left as it is, off for a new database).
	// +optional
	DeletionProtection *bool `json:"deletionProtection,omitempty"`

	// MaintenanceWindow is the weekly time range, in UTC, in which the cloud may patch and
	// restart the database: ddd:hh24:mi-ddd:hh24:mi, e.g. "sun:05:00-sun:05:30" (RDS: at
	// least 30 minutes, not overlapping backup.window; Cloud SQL keeps the hour it starts
	// in). Changed in place. When empty the cloud picks one.
	// +kubebuilder:validation:MaxLength=19
	// +kubebuilder:validation:XValidation:rule="self.matches('^(mon|tue|wed|thu|fri|sat|sun):([01][0-9]|2[0-3]):[0-5][0-9]-(mon|tue|wed|thu|fri|sat|sun):([01][0-9]|2[0-3]):[0-5][0-9]$')",message="maintenanceWindow must be ddd:hh24:mi-ddd:hh24:mi in UTC, e.g. sun:05:00-sun:05:30"
	// +optional
	MaintenanceWindow string `json:"maintenanceWindow,omitempty"`

	// AutoMinorVersionUpgrade lets the cloud apply new minor versions of the engine in the
	// maintenance window by itself (RDS's default is true; Cloud SQL always does, and
	// refuses false). Unset, the cloud's setting is left as it is. On Aurora it is a
	// setting of each instance, which the operator leaves to the cloud.
	// +optional
	AutoMinorVersionUpgrade *bool `json:"autoMinorVersionUpgrade,omitempty"`

	// IAMAuthentication lets users log in with a short-lived token from the cloud's
	// identity service in place of a password (RDS IAM database authentication; with
	// applyImmediately false the change waits for the maintenance window). Users given the role iam then log in that way only; the others, and the master,
	// keep their passwords. Unset, the cloud's setting is left as it is (off for a new
	// database). On RDS only for now: Cloud SQL refuses it.
	// +optional
	IAMAuthentication *bool `json:"iamAuthentication,omitempty"`

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
	// +kubebuilder:validation:XValidation:rule="self.all(k, size(k) >= 1 && size(k) <= 128 && size(self[k]) <= 256)",message="tag keys must have 1 to 128 characters and values at most 256"
	// +optional
	Tags map[string]string `json:"tags,omitempty"`
}

// RebootPolicy says when the operator may restart a database for its parameters.
type RebootPolicy string

// Reboot policies.
const (
	RebootInMaintenanceWindow RebootPolicy = "MaintenanceWindow"
	RebootImmediately         RebootPolicy = "Immediately"
	RebootNever               RebootPolicy = "Never"
)

// Encryption configures encryption at rest.
// +kubebuilder:validation:XValidation:rule="!has(self.kmsKeyId) || !has(self.enabled) || self.enabled",message="kmsKeyId needs encryption enabled: remove kmsKeyId or set enabled: true"
type Encryption struct {
	// Enabled encrypts the storage. When unset the operator's default applies
	// (true unless the operator runs with --default-storage-encrypted=false).
	// +optional
	Enabled *bool `json:"enabled,omitempty"`
	// KMSKeyID is the KMS key that encrypts the storage: a key ARN, key ID, alias
	// ARN or alias name (alias/...). Empty means the operator's default key, else
	// the account's default RDS key (aws/rds). A key in another account needs its
	// ARN. Only the operator's default key and the keys a cluster admin allowed for this
	// namespace (--allow-kms-key-ids, as written here) are accepted.
	// +kubebuilder:validation:MaxLength=2048
	// +kubebuilder:validation:XValidation:rule="self.matches('^(arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:(key/[A-Za-z0-9-]+|alias/[A-Za-z0-9/_-]+)|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32}|alias/[A-Za-z0-9/_-]+)$')",message="kmsKeyId must be a KMS key ARN, key ID, alias ARN or alias name, e.g. arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab or alias/rds-data"
	// +optional
	KMSKeyID string `json:"kmsKeyId,omitempty"`
}

// HighAvailability configures standbys and readers.
type HighAvailability struct {
	// MultiAZ keeps a synchronous standby in another availability zone, which RDS
	// fails over to. Default false.
	// +optional
	MultiAZ bool `json:"multiAZ,omitempty"`
	// ReadReplicas is how many read replicas to keep, 0 to 15 (for Aurora: reader
	// instances in the cluster, next to its writer). They are placed across
	// the availability zones the cluster's Nodes run in (their
	// topology.kubernetes.io/zone labels), spread evenly, so readers sit next to the
	// applications; the Service <name>-rds-ro and each Secret's ro-host point at
	// them. Lowering the number deletes the replicas with the highest numbers; the
	// primary is never touched.
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=15
	// +optional
	ReadReplicas int32 `json:"readReplicas,omitempty"`
}

// Network places the database in the account's network.
type Network struct {
	// SubnetGroup is the DB subnet group the database is placed in (it decides the
	// VPC). It cannot be changed after creation. Only the operator's default and the
	// groups a cluster admin allowed for this namespace (--allow-subnet-groups) are
	// accepted.
	// +kubebuilder:validation:MaxLength=255
	// +kubebuilder:validation:XValidation:rule="self.matches('^[A-Za-z0-9][A-Za-z0-9 ._-]*$')",message="subnetGroup must be a DB subnet group name: letters, digits, spaces, periods, underscores or hyphens"
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="subnetGroup cannot be changed after creation"
	// +optional
	SubnetGroup string `json:"subnetGroup,omitempty"`
	// SecurityGroupIDs are the VPC security groups of the database (sg-...). Only the
	// operator's default groups and those a cluster admin allowed for this namespace
	// (--allow-security-group-ids) are accepted.
	// +kubebuilder:validation:MaxItems=5
	// +kubebuilder:validation:items:Pattern=`^sg-[0-9a-f]{8,17}$`
	// +listType=set
	// +optional
	SecurityGroupIDs []string `json:"securityGroupIds,omitempty"`
	// PubliclyAccessible gives the database a public address, where a cluster admin
	// allowed that for this namespace (--allow-public-access). Default false.
	// +optional
	PubliclyAccessible bool `json:"publiclyAccessible,omitempty"`
}

// RestoreFrom names where a new database takes its data from.
type RestoreFrom struct {
	// Snapshot is the identifier (or ARN) of an RDS snapshot: a final or scheduled snapshot
	// the operator took for an object in this namespace. A snapshot of another namespace's
	// object, or one made outside the operator, is restored only when a cluster admin allowed
	// it (the operator's --allow-restore flag); otherwise the Provisioned condition says
	// RestoreNotAllowed and nothing is restored.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=255
	// +required
	Snapshot string `json:"snapshot"`
}

// UserRoles lists a user's roles. Write a user with no roles as "app: []": the
// apiserver drops a key with a null value ("app:") before anyone sees it.
// readonly goes with iam alone.
// +kubebuilder:validation:MaxItems=3
// +kubebuilder:validation:XValidation:rule="!('readonly' in self) || self.all(r, r in ['readonly', 'iam'])",message="readonly cannot be combined with superuser or createdb: a readonly user only reads (superuser could grant itself anything, createdb would let it create)"
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
	// AllocatedStorageGiB is the storage the cloud reports, in GiB: more than spec.size
	// once the cloud's storage autoscaling grew it.
	// +optional
	AllocatedStorageGiB int32 `json:"allocatedStorageGiB,omitempty"`
	// MaxAllocatedStorageGiB is how far the cloud may grow the storage by itself, in GiB;
	// empty when storage autoscaling is off.
	// +optional
	MaxAllocatedStorageGiB int32 `json:"maxAllocatedStorageGiB,omitempty"`
	// InstanceClass is the instance class the cloud reports.
	// +optional
	InstanceClass string `json:"instanceClass,omitempty"`
	// Endpoint is the host name applications connect to.
	// +optional
	Endpoint string `json:"endpoint,omitempty"`
	// Port is the port applications connect to.
	// +optional
	Port int32 `json:"port,omitempty"`
	// StorageEncrypted is true when the database's storage is encrypted at rest.
	// +optional
	StorageEncrypted bool `json:"storageEncrypted,omitempty"`
	// KMSKeyID is the ARN of the KMS key encrypting the storage.
	// +optional
	KMSKeyID string `json:"kmsKeyId,omitempty"`
	// MultiAZ is true when the database keeps a standby in another zone.
	// +optional
	MultiAZ bool `json:"multiAZ,omitempty"`
	// DeletionProtection is true when the cloud refuses to delete the database.
	// +optional
	DeletionProtection bool `json:"deletionProtection,omitempty"`
	// MaintenanceWindow is the weekly UTC window of the cloud's maintenance.
	// +optional
	MaintenanceWindow string `json:"maintenanceWindow,omitempty"`
	// AutoMinorVersionUpgrade is true when the cloud applies new minor versions by itself.
	// +optional
	AutoMinorVersionUpgrade bool `json:"autoMinorVersionUpgrade,omitempty"`
	// IAMAuthentication is true when users may log in with a token from the cloud's
	// identity service (RDS IAM database authentication).
	// +optional
	IAMAuthentication bool `json:"iamAuthentication,omitempty"`
	// AvailabilityZone is the zone the database (its primary) runs in.
	// +optional
	AvailabilityZone string `json:"availabilityZone,omitempty"`
	// LogExports are the logs the cloud ships to its log service.
	// +optional
	LogExports []string `json:"logExports,omitempty"`
	// PendingModifications lists changes asked for that wait for the maintenance
	// window.
	// +optional
	PendingModifications []string `json:"pendingModifications,omitempty"`
}

// ReplicaStatus mirrors one read replica as the cloud reports it.
type ReplicaStatus struct {
	// Identifier is the replica's RDS identifier.
	Identifier string `json:"identifier"`
	// Ready is true when it is available and serves reads.
	// +optional
	Ready bool `json:"ready,omitempty"`
	// AvailabilityZone is the zone it runs in.
	// +optional
	AvailabilityZone string `json:"availabilityZone,omitempty"`
	// Status is the cloud's status word for it.
	// +optional
	Status string `json:"status,omitempty"`
	// Endpoint is its host name.
	// +optional
	Endpoint string `json:"endpoint,omitempty"`
	// Port is the port it listens on.
	// +optional
	Port int32 `json:"port,omitempty"`
}

// ClusterMemberStatus mirrors one DB instance of an Aurora cluster.
type ClusterMemberStatus struct {
	// Identifier is the instance's RDS identifier.
	Identifier string `json:"identifier"`
	// Ready is true when it is available and serves connections.
	// +optional
	Ready bool `json:"ready,omitempty"`
	// Role is writer or reader.
	// +optional
	Role string `json:"role,omitempty"`
	// AvailabilityZone is the zone it runs in.
	// +optional
	AvailabilityZone string `json:"availabilityZone,omitempty"`
	// Status is the cloud's status word for it.
	// +optional
	Status string `json:"status,omitempty"`
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
	// LastExport is the newest export of a backup to cold storage (spec.backup.export).
	// +optional
	LastExport *ExportStatus `json:"lastExport,omitempty"`
	// LastManualSnapshot is the last snapshot asked for with the annotation
	// matrixmind.cloud/snapshot-request (kubectl rds snapshot), followed until it is
	// complete. Manual snapshots are kept until someone deletes them: the schedule's
	// retention never prunes them.
	// +optional
	LastManualSnapshot *ManualSnapshotStatus `json:"lastManualSnapshot,omitempty"`
}

// ManualSnapshotStatus shows a snapshot taken on request.
type ManualSnapshotStatus struct {
	// Request is the request token (the annotation's value) this snapshot serves. A new
	// value of the annotation asks for a new snapshot; this one asks for nothing more.
	// +required
	Request string `json:"request"`
	// Snapshot is the snapshot's identifier in the cloud, derived from the database and the
	// request token: restore from it with spec.restoreFrom.snapshot.
	// +required
	Snapshot string `json:"snapshot"`
	// Status is the cloud's own word for the snapshot (creating, available...); empty until
	// the operator first looked at it.
	// +optional
	Status string `json:"status,omitempty"`
	// Complete is true once the cloud reports the snapshot available: it can be restored
	// from. Default false.
	// +optional
	Complete bool `json:"complete,omitempty"`
	// RequestedAt is when the operator asked the cloud for the snapshot.
	// +optional
	RequestedAt *metav1.Time `json:"requestedAt,omitempty"`
}

// ExportStatus mirrors one export as the cloud reports it.
type ExportStatus struct {
	// Task is the export's identifier in the cloud.
	Task string `json:"task"`
	// Snapshot is the exported backup.
	Snapshot string `json:"snapshot"`
	// Status is the cloud's word: STARTING, IN_PROGRESS, COMPLETE, FAILED, CANCELED...
	Status string `json:"status"`
	// Percent is how much is copied.
	// +optional
	Percent int32 `json:"percent,omitempty"`
	// FailureCause says why a failed export failed.
	// +optional
	FailureCause string `json:"failureCause,omitempty"`
	// Location is where the data goes: bucket/prefix/task/.
	// +optional
	Location string `json:"location,omitempty"`
}

// ParameterStatus shows how spec.parameters stand in the cloud.
type ParameterStatus struct {
	// Group is the parameter set the operator keeps for the database in the cloud (the RDS
	// DB parameter group); empty where the cloud keeps parameters with the database
	// (Cloud SQL's database flags).
	// +optional
	Group string `json:"group,omitempty"`
	// Applied is a digest of the spec.parameters the cloud was last brought to; a spec
	// whose digest differs is applied on the next pass.
	// +optional
	Applied string `json:"applied,omitempty"`
	// CheckedAt is when the cloud's parameters were last read and compared with the spec
	// (changes made outside the operator are put back then).
	// +optional
	CheckedAt *metav1.Time `json:"checkedAt,omitempty"`
	// PendingReboot is true when parameter changes wait for the database to restart.
	// +optional
	PendingReboot bool `json:"pendingReboot,omitempty"`
	// PendingRebootParameters lists the parameters that wait for the restart, where known.
	// +optional
	PendingRebootParameters []string `json:"pendingRebootParameters,omitempty"`
	// RebootRequestedAt is when the operator last restarted the database to apply them.
	// +optional
	RebootRequestedAt *metav1.Time `json:"rebootRequestedAt,omitempty"`
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
	// Class is the DatabaseClass the database was made on, empty when it was made with
	// the operator's own AWS settings (no DatabaseClass). It never changes afterwards, but
	// for one move before anything exists: when the class's cloud refuses the first
	// create for quota or capacity, the object moves to the class's fallback (DatabaseClass
	// spec.fallback), which it then names.
	// +optional
	Class string `json:"class,omitempty"`
	// Provider is the cloud the database is on (aws, gcp, azure), set once it is decided.
	// +optional
	Provider string `json:"provider,omitempty"`
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
	// Parameters shows how spec.parameters stand in the cloud.
	// +optional
	Parameters *ParameterStatus `json:"parameters,omitempty"`
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
	// Replicas mirrors the read replicas.
	// +listType=map
	// +listMapKey=identifier
	// +optional
	Replicas []ReplicaStatus `json:"replicas,omitempty"`
	// Members mirrors the DB instances of an Aurora cluster.
	// +listType=map
	// +listMapKey=identifier
	// +optional
	Members []ClusterMemberStatus `json:"members,omitempty"`
	// ReaderService names the Service pointing at the readers, once there are any.
	// +optional
	ReaderService string `json:"readerService,omitempty"`
}

// RDSDatabase is an AWS RDS database with its users, databases, a Secret per
// user and a Service pointing at it.
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=rdsdb,categories=matrixmind
// +kubebuilder:validation:XValidation:rule="self.metadata.name.matches('^[a-z]([-a-z0-9]{0,57}[a-z0-9])?$')",message="the name must be at most 59 lowercase letters, digits or hyphens, starting with a letter and not ending with a hyphen, so that the Service <name>-rds is a valid name"
// +kubebuilder:validation:XValidation:rule="!has(self.spec.highAvailability) || !has(self.spec.highAvailability.readReplicas) || self.spec.highAvailability.readReplicas == 0 || size(self.metadata.name) <= 56",message="with read replicas the name must be at most 56 characters, so that the reader Service <name>-rds-ro is a valid name"
// +kubebuilder:printcolumn:name="Type",type=string,JSONPath=`.spec.type`
// +kubebuilder:printcolumn:name="Provider",type=string,JSONPath=`.status.provider`,priority=1
// +kubebuilder:printcolumn:name="Version",type=string,JSONPath=`.status.cloud.engineVersion`
// +kubebuilder:printcolumn:name="Size",type=string,JSONPath=`.spec.size`
// +kubebuilder:printcolumn:name="Cloud",type=string,JSONPath=`.status.cloud.status`
// +kubebuilder:printcolumn:name="Endpoint",type=string,JSONPath=`.status.cloud.endpoint`
// +kubebuilder:printcolumn:name="Encrypted",type=boolean,JSONPath=`.status.cloud.storageEncrypted`,priority=1
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
