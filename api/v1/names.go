package v1

// Every name the operator writes outside its own spec lives here: the finalizer, labels,
// annotations, cloud tag keys, condition types and their reasons, and phases.

// Finalizer holds an RDSDatabase until its cloud database has been handled according to its
// deletion policy.
const Finalizer = "matrixmind.cloud/rdsdatabase"

// Labels and annotations put on the objects the operator creates.
const (
	// LabelDatabase names the RDSDatabase a Secret or Service belongs to. Secrets are not
	// owned by the RDSDatabase (they must outlive it), so this label is how they are found.
	LabelDatabase = "matrixmind.cloud/rdsdatabase"
	// LabelManagedBy marks objects written by this operator.
	LabelManagedBy = "app.kubernetes.io/managed-by"
	// ManagedByValue is the value of LabelManagedBy.
	ManagedByValue = "aws-rds-operator"
	// AnnotationOwner is "<namespace>/<name>" of the RDSDatabase a Secret was made for.
	AnnotationOwner = "matrixmind.cloud/owner"
	// AnnotationRotatePrefix, followed by a user's name or by RotateMaster, is the annotation
	// on an RDSDatabase that rotates that password: each new value rotates it once, e.g.
	// kubectl annotate rdsdatabase orders rotate.matrixmind.cloud/app="$(date +%s)".
	AnnotationRotatePrefix = "rotate.matrixmind.cloud/"
	// RotateMaster names the master user in AnnotationRotatePrefix annotations, whatever the
	// master's name.
	RotateMaster = "master"
	// AnnotationRotationPending on a Secret holds the rotation value whose new password is
	// written to the Secret but not yet verified; the previous password is kept under the
	// key password-previous until it is.
	AnnotationRotationPending = "matrixmind.cloud/rotation-pending"
	// AnnotationRotated on a Secret holds the last rotation value carried out.
	AnnotationRotated = "matrixmind.cloud/rotated"
	// RotationRecreated is the AnnotationRotationPending value of a master Secret whose
	// password the cloud does not have yet (made anew after it was deleted, or for a
	// database restored from a snapshot): it must still be set through the cloud.
	RotationRecreated = "recreated"
	// AnnotationUser names the database user a Secret holds the credentials of. (An
	// annotation, not a label: a user name of 63 characters does not fit a label value.)
	AnnotationUser = "matrixmind.cloud/user"
	// AnnotationLogin on a credential Secret says how its user logs in when not with the
	// password the Secret holds: LoginToken (the role iam), with no password in it.
	AnnotationLogin = "matrixmind.cloud/login"
	// LoginToken is AnnotationLogin's value for a user who logs in with tokens from the
	// cloud's identity service.
	LoginToken = "token"
	// AnnotationSnapshotRequest on an RDSDatabase asks for one manual snapshot. Its value is
	// a request token the client chooses, 1 to 63 lowercase letters, digits and hyphens
	// (e.g. a timestamp): each new token is served once, with a snapshot named after it, and
	// status.backup.lastManualSnapshot follows it until it is complete. A token equal to the
	// last one served asks for nothing; a malformed one is refused in BackupsConfigured
	// (reason SnapshotRequestInvalid) and a Warning Event, and ignored. kubectl rds snapshot
	// sets it.
	AnnotationSnapshotRequest = "matrixmind.cloud/snapshot-request"
)

// Tag keys put on the cloud database. The operator only ever modifies or deletes a cloud
// database whose TagOwner value names the RDSDatabase reconciling it.
const (
	// TagOwner is "<namespace>/<name>" of the owning RDSDatabase.
	TagOwner = "matrixmind.cloud/owner"
	// TagManagedBy is set to ManagedByValue.
	TagManagedBy = "matrixmind.cloud/managed-by"
	// TagBackup marks the snapshots the operator takes on a backup schedule, with the value
	// BackupScheduled; only those are ever pruned.
	TagBackup = "matrixmind.cloud/backup"
	// BackupScheduled is the TagBackup value of scheduled snapshots.
	BackupScheduled = "scheduled"
	// BackupManual is the TagBackup value of the snapshots taken on request
	// (AnnotationSnapshotRequest); they are never pruned.
	BackupManual = "manual"
	// TagRole says what part a cloud database plays for its owner: RoleReplica on read
	// replicas (the primary has no TagRole).
	TagRole = "matrixmind.cloud/role"
	// RoleReplica is the TagRole value of read replicas.
	RoleReplica = "read-replica"
	// RoleClusterInstance is the TagRole value of the DB instances of an Aurora cluster.
	RoleClusterInstance = "cluster-instance"
)

// Condition types, as listed in the product contract (SPEC §4).
const (
	// ConditionReady is True when the database is available, its users and databases exist
	// and the Secrets and Service are complete.
	ConditionReady = "Ready"
	// ConditionProvisioned is True when the cloud database exists and is available.
	ConditionProvisioned = "Provisioned"
	// ConditionUsersReady is True when every user, database and grant exists in the engine.
	ConditionUsersReady = "UsersReady"
	// ConditionBackupsConfigured is True when backups run as spec.backup says.
	ConditionBackupsConfigured = "BackupsConfigured"
	// ConditionReplicasReady is True when every read replica spec.highAvailability asks
	// for is available; it is present only when some are asked for or exist.
	ConditionReplicasReady = "ReplicasReady"
	// ConditionAccessVerified is True when the master and every user logged in with the
	// password in their Secret at the last check (status.users has each result).
	ConditionAccessVerified = "AccessVerified"
	// ConditionParametersApplied is True when the cloud's engine parameters are those of
	// spec.parameters (reason RebootPending while some wait for a restart); it is present
	// only once parameters were asked for. Like BackupsConfigured it does not hold up Ready:
	// the database serves with the parameters it has.
	ConditionParametersApplied = "ParametersApplied"
)

// Condition reasons. Each says what happened in words a user can act on.
const (
	// ReasonCreating: the cloud database was asked for and is being created.
	ReasonCreating = "Creating"
	// ReasonCloudStatus: the cloud database is in a transitional status (the message names it).
	ReasonCloudStatus = "CloudStatus"
	// ReasonAvailable: the cloud database is available.
	ReasonAvailable = "Available"
	// ReasonCloudError: AWS refused or failed a call; the message has its error code. Retried
	// with backoff.
	ReasonCloudError = "CloudError"
	// ReasonOwnedByOther: a cloud database with this object's identifier exists but its owner
	// tag names another object (or none); the operator will not touch it. Rename the object
	// or fix the tag.
	ReasonOwnedByOther = "OwnedByOther"
	// ReasonClassNotFound: the DatabaseClass the object names (or was made on) does not
	// exist.
	ReasonClassNotFound = "ClassNotFound"
	// ReasonClassUnavailable: the object's DatabaseClass cannot be served (its provider is
	// not configured in this operator, or more than one class is marked default).
	ReasonClassUnavailable = "ClassUnavailable"
	// ReasonFellBack: the object's class could not make its database (its provider cannot
	// be served, or its cloud refused the first create for quota or capacity), so it is
	// made on the class's fallback (DatabaseClass spec.fallback), which status.class now
	// names. Also the reason of the Warning Event that says from which class to which, and
	// why.
	ReasonFellBack = "FellBack"
	// ReasonModifying: the operator asked the cloud to change the database to match the
	// spec (the message lists the changes).
	ReasonModifying = "Modifying"
	// ReasonCloudDatabaseMissing: the cloud database existed and was deleted outside the
	// operator. Restore it from a snapshot, or run the operator with --recreate-missing.
	ReasonCloudDatabaseMissing = "CloudDatabaseMissing"
	// ReasonMajorUpgradeNotAllowed: the spec's version is another major version than the
	// database runs; set allowMajorVersionUpgrade: true to upgrade (RDS cannot undo it).
	ReasonMajorUpgradeNotAllowed = "MajorUpgradeNotAllowed"
	// ReasonSpecInvalid: the spec passed admission but cannot be turned into a cloud request,
	// or asks for what a cluster admin has not allowed in the namespace (a public address,
	// another security group, subnet group or KMS key); the message names the field and who
	// can allow it. Fix the spec.
	ReasonSpecInvalid = "SpecInvalid"
	// ReasonRestoreNotAllowed: spec.restoreFrom names a snapshot that was not taken for an
	// object of this namespace (or that the operator cannot see), and no cluster admin
	// allowed this namespace to restore it; nothing was restored. The message says how an
	// admin can allow it.
	ReasonRestoreNotAllowed = "RestoreNotAllowed"
	// ReasonWaitingForDatabase: users are created once the cloud database is available.
	ReasonWaitingForDatabase = "WaitingForDatabase"
	// ReasonEngineUnreachable: the operator could not log in to the database as the master
	// user. Retried with backoff.
	ReasonEngineUnreachable = "EngineUnreachable"
	// ReasonEngineCertificateRefused: the database server's TLS certificate did not verify
	// against the operator's engine CA bundle (--engine-ca-bundle), so the operator sent it
	// no password. Either the bundle lacks the cloud's CA (add it), or something else
	// answers at the database's address. Retried with backoff.
	ReasonEngineCertificateRefused = "EngineCertificateRefused"
	// ReasonNameTaken: on a server shared with other objects (a DatabaseClass with provider
	// existing), a user or database the spec names exists there and is not this object's:
	// another object's, or made by hand. It was left untouched; the message names it and its
	// owner. Choose another name. Looked at again slowly.
	ReasonNameTaken = "NameTaken"
	// ReasonEngineError: the engine refused a statement; the message has its SQLSTATE.
	ReasonEngineError = "EngineError"
	// ReasonSecretInvalid: a Secret with the name the operator uses exists but does not hold
	// the user's name and a password. Delete it to have a new one made, or fix it.
	ReasonSecretInvalid = "SecretInvalid"
	// ReasonRotating: a new master password is being set through the cloud.
	ReasonRotating = "Rotating"
	// ReasonUsersReady: every user, database and grant exists.
	ReasonUsersReady = "UsersReady"
	// ReasonAllLogIn: the master and every user logged in with their Secrets.
	ReasonAllLogIn = "AllLogIn"
	// ReasonPasswordRefused: the database refused the password in some users' Secrets (the
	// message names them): changed behind the operator's back. The operator sets them from
	// the Secrets again, the Secret being the truth.
	ReasonPasswordRefused = "PasswordRefused"
	// ReasonLoginFailed: some users could not log in for another reason than their password
	// (connection limit, network); the message says why. Retried with backoff.
	ReasonLoginFailed = "LoginFailed"
	// ReasonTokenRefused: the database refused the token from the cloud's identity service
	// that some users who log in with one (the role iam) were checked with (the message
	// names them). The operator grants their role and turns token logins on again, and
	// retries with backoff; if it persists, the operator's own identity may lack the
	// cloud's permission to log in as them (RDS: rds-db:connect).
	ReasonTokenRefused = "TokenRefused"
	// ReasonAutomatedBackups: RDS's automated daily backups are on with the retention asked.
	ReasonAutomatedBackups = "AutomatedBackups"
	// ReasonScheduledSnapshots: the operator takes snapshots on the schedule asked and prunes
	// those older than the retention.
	ReasonScheduledSnapshots = "ScheduledSnapshots"
	// ReasonBackupPending: the retention asked is not applied in the cloud yet.
	ReasonBackupPending = "BackupPending"
	// ReasonBackupFailed: taking or pruning a scheduled snapshot failed; the message says
	// why. Retried with backoff.
	ReasonBackupFailed = "BackupFailed"
	// ReasonDeletionProtected (Provisioned, on a deleted object): deletion protection is on,
	// by the spec or set in the cloud, so the cloud database is not deleted and the object
	// stays; set spec.deletionProtection to false to let the deletion go on.
	ReasonDeletionProtected = "DeletionProtected"
	// EventDeletionProtectionOff: the operator turned the cloud's deletion protection off,
	// as spec.deletionProtection false asks, to delete the database.
	EventDeletionProtectionOff = "DeletionProtectionOff"
	// ReasonSnapshotRequestInvalid: the AnnotationSnapshotRequest value is not a request
	// token (1 to 63 lowercase letters, digits and hyphens); no snapshot is taken until it is
	// one. Set a valid token, or remove the annotation.
	ReasonSnapshotRequestInvalid = "SnapshotRequestInvalid"
	// ReasonExportFailed: the cloud refused to export a backup to cold storage, or an
	// export failed; the message says why (often the bucket, role or key of
	// spec.backup.export). Retried with backoff.
	ReasonExportFailed = "ExportFailed"
	// ReasonParametersInSync (ParametersApplied): the cloud's parameters are spec.parameters,
	// in effect.
	ReasonParametersInSync = "InSync"
	// ReasonRebootPending (ParametersApplied): the parameters are set in the cloud and some
	// take effect only once the database restarts, as spec.rebootPolicy says; the message
	// names them and when.
	ReasonRebootPending = "RebootPending"
	// ReasonParametersRefused (ParametersApplied): the cloud refused spec.parameters (an
	// unknown parameter, one it does not let be changed, a bad value) or a restart for them;
	// the message names what to change. Retried with backoff.
	ReasonParametersRefused = "ParametersRefused"
	// ReasonReplicasAvailable: every read replica asked for is available.
	ReasonReplicasAvailable = "ReplicasAvailable"
	// ReasonReplicasPending: some read replica is being created, changed or removed; the
	// message lists them.
	ReasonReplicasPending = "ReplicasPending"
	// ReasonReady: everything is in place.
	ReasonReady = "Ready"
	// ReasonNotReady: some other condition is not True yet; the message says which.
	ReasonNotReady = "NotReady"
	// ReasonDeleting: the object is being deleted.
	ReasonDeleting = "Deleting"
)

// Phases shown in status.phase and `kubectl get`.
const (
	// PhasePending: the Secrets are written, the cloud database is not yet asked for.
	PhasePending = "Pending"
	// PhaseCreating: the cloud database is being created.
	PhaseCreating = "Creating"
	// PhaseConfiguring: the cloud database is available; users and databases are being set up.
	PhaseConfiguring = "Configuring"
	// PhaseReady: everything is in place.
	PhaseReady = "Ready"
	// PhaseError: something needs attention; the conditions say what.
	PhaseError = "Error"
	// PhaseDeleting: the object is being deleted according to its deletion policy.
	PhaseDeleting = "Deleting"
)

// Event reasons, beyond the condition reasons above.
const (
	// EventSecretCreated: a Secret with a new password was written.
	EventSecretCreated = "SecretCreated"
	// EventCreateRequested: CreateDBInstance was sent.
	EventCreateRequested = "CreateRequested"
	// EventSizeRaised: the requested size was below the engine's minimum and was raised.
	EventSizeRaised = "SizeRaised"
	// EventUsersReconciled: users, databases and grants were applied to the engine.
	EventUsersReconciled = "UsersReconciled"
	// EventModifyRequested: ModifyDBInstance was sent; the message lists the changes.
	EventModifyRequested = "ModifyRequested"
	// EventStorageRoundedUp: a storage increase below RDS's 10% minimum step was rounded up.
	EventStorageRoundedUp = "StorageRoundedUp"
	// EventTagsRepaired: tags changed or removed in the cloud were put back.
	EventTagsRepaired = "TagsRepaired"
	// EventSnapshotTaken: a scheduled snapshot was asked for.
	EventSnapshotTaken = "SnapshotTaken"
	// EventSnapshotsPruned: scheduled snapshots older than the retention were deleted.
	EventSnapshotsPruned = "SnapshotsPruned"
	// EventManualSnapshotRequested: a manual snapshot was asked for on request
	// (AnnotationSnapshotRequest); the message names the snapshot and the request token.
	EventManualSnapshotRequested = "ManualSnapshotRequested"
	// EventManualSnapshotCompleted: a manual snapshot asked for on request is complete and
	// can be restored from.
	EventManualSnapshotCompleted = "ManualSnapshotCompleted"
	// EventManualSnapshotMissing: a manual snapshot asked for on request is not found in the
	// cloud long after it was asked for (deleted outside the operator); ask again with a new
	// token.
	EventManualSnapshotMissing = "ManualSnapshotMissing"
	// EventExportStarted: a backup's export to cold storage (spec.backup.export) was asked for.
	EventExportStarted = "ExportStarted"
	// EventExportFailed: an export of a backup to cold storage ended without the data; the
	// message has the cloud's cause.
	EventExportFailed = "ExportFailed"
	// EventParametersApplied: engine parameters of spec.parameters were set in the cloud (or
	// reset to the engine's default); the message names them and those waiting for a
	// restart.
	EventParametersApplied = "ParametersApplied"
	// EventRebooting: the operator restarted the database to apply parameters, as
	// spec.rebootPolicy allows.
	EventRebooting = "Rebooting"
	// EventDeleteRequested: DeleteDBInstance was sent; the message names the final snapshot.
	EventDeleteRequested = "DeleteRequested"
	// EventPasswordRotated: a password was replaced, applied and verified by logging in.
	EventPasswordRotated = "PasswordRotated"
	// EventLoginChanged: a user went from a password to tokens from the cloud's identity
	// service (its password left its Secret), or back (a new one was written to it).
	EventLoginChanged = "LoginChanged"
	// EventMasterSecretRecreated: the master Secret was deleted; a new password was made and
	// is being set through the cloud.
	EventMasterSecretRecreated = "MasterSecretRecreated"
	// EventMasterPasswordReset: the cloud's feed showed the master password set outside the
	// operator (at the console); the one in the master Secret was set again.
	EventMasterPasswordReset = "MasterPasswordReset"
	// EventUserRemoved: a user removed from the spec lost its login (its objects and data
	// are kept) and its Secret was deleted.
	EventUserRemoved = "UserRemoved"
	// EventDatabaseKept: a database removed from the spec is kept: the operator never drops
	// a database.
	EventDatabaseKept = "DatabaseKept"
	// EventRetained: the cloud database was left in AWS, as deletionPolicy Retain asks.
	EventRetained = "Retained"
	// EventExposureKept: an existing database keeps a public address, security group,
	// subnet group or KMS key that a cluster admin has not allowed in its namespace; it
	// works as before, but the same spec would be refused for a new database.
	EventExposureKept = "ExposureKept"
	// EventReplicaCreateRequested: CreateDBInstanceReadReplica was sent; the message names
	// the replica and its zone.
	EventReplicaCreateRequested = "ReplicaCreateRequested"
	// EventReplicaDeleteRequested: a read replica no longer asked for is being deleted.
	EventReplicaDeleteRequested = "ReplicaDeleteRequested"
)
