package emulator

import (
	"context"
	"maps"
	"strings"
	"time"
)

// restoreInstance answers RestoreDBInstanceFromDBSnapshot. The new instance takes the
// snapshot's engine, version, master user and password, storage, class and backup
// retention unless the request overrides the last four, and goes through creating and
// backing-up like a new instance; with an engine its server starts with the snapshot's data
// (a PostgreSQL snapshot on a server of the snapshot's major).
func (e *Emulator) restoreInstance(p params) (any, string, error) {
	id := strings.ToLower(p.str("DBInstanceIdentifier"))
	if err := checkIdentifier("DBInstanceIdentifier", id); err != nil {
		return nil, id, err
	}
	if p.str("DBSnapshotIdentifier") == "" {
		return nil, id, newError(codeMissingParameter, "The request must contain the parameter DBSnapshotIdentifier.")
	}
	snapID, err := e.snapshotIDOf(p.str("DBSnapshotIdentifier"))
	if err != nil {
		return nil, id, err
	}
	req, err := readRestore(p)
	if err != nil {
		return nil, id, err
	}
	if err := e.checkSubnetGroup(req.subnetGroup); err != nil {
		return nil, id, err
	}

	e.mu.Lock()
	s, ok := e.snapshots[snapID]
	if !ok {
		e.mu.Unlock()
		return nil, id, newError(codeSnapshotNotFound, "DBSnapshot %s not found.", snapID)
	}
	if s.Status != "available" {
		e.mu.Unlock()
		return nil, id, newError(codeInvalidSnapshotState, "Snapshot %s is not in available state: %s.", snapID, s.Status)
	}
	if _, exists := e.instances[id]; exists {
		e.mu.Unlock()
		return nil, id, newError(codeInstanceAlreadyExists, "DB instance already exists")
	}
	if err := e.checkInstanceQuota(); err != nil {
		e.mu.Unlock()
		return nil, id, err
	}
	if err := e.checkEngineBuild(s.Engine, s.EngineVersion); err != nil {
		e.mu.Unlock()
		return nil, id, err
	}
	in, err := e.restoredInstance(id, s, req)
	if err != nil {
		e.mu.Unlock()
		return nil, id, err
	}
	e.instances[id] = in
	x := e.instanceXML(in)
	password, dump := s.masterPassword, s.File
	e.mu.Unlock()

	e.background(func(ctx context.Context) { e.runCreate(ctx, id, password, dump) })
	return struct{ DBInstance xmlInstance }{x}, id, nil
}

// restoreRequest is a parsed RestoreDBInstanceFromDBSnapshot request, without the
// identifiers. Empty or nil fields take the snapshot's values.
type restoreRequest struct {
	class              string
	storageType        string
	storage            *int
	retention          *int
	multiAZ            bool
	publiclyAccessible bool
	subnetGroup        string
	securityGroups     []string
	availabilityZone   string
	// paramGroup is DBParameterGroupName: "" for the engine's default group, not the
	// source's (RDS API Reference).
	paramGroup string
	tags       []tag
	// copyTags is the restored instance's CopyTagsToSnapshot: off unless the request
	// turns it on, whatever the source had.
	copyTags bool
	// logs are the logs it ships: those asked, not its source's.
	logs []string
	// deletionProtection and autoMinor are the request's, RDS's defaults (off, on) when
	// it leaves them out, whatever the source had.
	deletionProtection, autoMinor bool
	// iamAuth is EnableIAMDatabaseAuthentication, nil for the snapshot's setting (RDS User
	// Guide, "Enabling and disabling IAM database authentication").
	iamAuth *bool
}

// readRestore parses and checks what needs no snapshot.
func readRestore(p params) (restoreRequest, error) {
	r := restoreRequest{
		class:            p.str("DBInstanceClass"),
		storageType:      p.str("StorageType"),
		subnetGroup:      p.str("DBSubnetGroupName"),
		securityGroups:   p.list("VpcSecurityGroupIds.VpcSecurityGroupId"),
		availabilityZone: p.str("AvailabilityZone"),
		paramGroup:       p.str("DBParameterGroupName"),
		tags:             p.tags(),
		logs:             unique(p.list("EnableCloudwatchLogsExports.member")),
	}
	if r.class != "" && !strings.HasPrefix(r.class, "db.") {
		return r, newError(codeInvalidValue, "Invalid DB Instance class: %s", r.class)
	}
	if _, _, ok := storageLimits(r.storageType); r.storageType != "" && !ok {
		return r, newError(codeInvalidValue, "Invalid storage type: %s", r.storageType)
	}
	var err error
	if r.storage, err = p.integer("AllocatedStorage"); err != nil {
		return r, err
	}
	if r.retention, err = p.integer("BackupRetentionPeriod"); err != nil {
		return r, err
	}
	if r.retention != nil && (*r.retention < 0 || *r.retention > 35) {
		return r, newError(codeInvalidValue, "The parameter BackupRetentionPeriod must be between 0 and 35.")
	}
	b, err := p.booleans("MultiAZ", "PubliclyAccessible", "CopyTagsToSnapshot", "DeletionProtection", "AutoMinorVersionUpgrade", "EnableIAMDatabaseAuthentication")
	if err != nil {
		return r, err
	}
	r.multiAZ, r.publiclyAccessible, r.copyTags = deref(b["MultiAZ"]), deref(b["PubliclyAccessible"]), deref(b["CopyTagsToSnapshot"])
	r.deletionProtection, r.autoMinor = deref(b["DeletionProtection"]), boolOr(b["AutoMinorVersionUpgrade"], true)
	r.iamAuth = b["EnableIAMDatabaseAuthentication"]
	if r.multiAZ && r.availabilityZone != "" {
		return r, newError(codeInvalidCombination, "Requesting a specific availability zone is not valid for Multi-AZ instances.")
	}
	return r, nil
}

// restoredInstance builds the record of an instance restored from s. It runs under the
// lock.
func (e *Emulator) restoredInstance(id string, s *snapshot, r restoreRequest) (*instance, error) {
	storageType, storage, err := derivedStorage(s.Engine, s.StorageType, s.AllocatedStorage, r.storageType, r.storage, "snapshot "+s.ID)
	if err != nil {
		return nil, err
	}
	class := s.Class
	if r.class != "" {
		class = r.class
	}
	retention := s.BackupRetentionPeriod
	if r.retention != nil {
		retention = *r.retention
	}
	// As RDS does, the snapshot's tags go to the restored instance unless the request
	// names its own.
	tags := r.tags
	if len(tags) == 0 {
		tags = s.Tags
	}
	az := r.availabilityZone
	if az == "" {
		az = e.cfg.Region + "a"
	}
	backupWindow, maintenanceWindow, err := e.settleWindows(id, "", "")
	if err != nil {
		return nil, err
	}
	group, err := e.groupFor(r.paramGroup, s.Engine, s.EngineVersion)
	if err != nil {
		return nil, err
	}
	in := &instance{
		ID:                    id,
		ResourceID:            "db-" + randomUpper(26),
		Status:                "creating",
		Engine:                s.Engine,
		EngineVersion:         s.EngineVersion,
		Class:                 class,
		AllocatedStorage:      storage,
		StorageType:           storageType,
		MasterUsername:        s.MasterUsername,
		DBName:                s.DBName,
		BackupRetentionPeriod: retention,
		PreferredBackupWindow: backupWindow,
		MultiAZ:               r.multiAZ,
		StorageEncrypted:      s.Encrypted,
		KmsKeyID:              s.KmsKeyID,
		PubliclyAccessible:    r.publiclyAccessible,
		SubnetGroup:           r.subnetGroup,
		VpcSecurityGroupIDs:   r.securityGroups,
		AvailabilityZone:      az,
		CreateTime:            time.Now(),
		Tags:                  setTags(nil, tags),
		CopyTagsToSnapshot:    r.copyTags,
		Logs:                  logExports{Enabled: r.logs},
		ParamGroup:            group,
		masterPassword:        s.masterPassword,
		serverParams:          maps.Clone(s.serverParams),
		RestoredFrom:          s.ID,

		PreferredMaintenanceWindow: maintenanceWindow,
		AutoMinorVersionUpgrade:    r.autoMinor,
		DeletionProtection:         r.deletionProtection,
		IAMAuth:                    boolOr(r.iamAuth, s.IAMAuth),
	}
	if err := checkLogTypes(in.Engine, in.EngineVersion, r.logs); err != nil {
		return nil, err
	}
	in.setMultiAZ(r.multiAZ)
	return in, nil
}
