package emulator

import (
	"context"
	"fmt"
	"maps"
	"sort"
	"strings"
	"time"
)

// createReadReplica answers CreateDBInstanceReadReplica. The replica takes its source's
// engine, version, master user and password, storage, database, encryption and network
// settings unless the request overrides the few RDS lets it; it is created with backups
// disabled, so it goes from creating straight to available. With an engine its server is
// a real replica of the source's (see startReplicaServer).
func (e *Emulator) createReadReplica(p params) (any, string, error) {
	id := strings.ToLower(p.str("DBInstanceIdentifier"))
	if err := checkIdentifier("DBInstanceIdentifier", id); err != nil {
		return nil, id, err
	}
	sourceID, err := e.sourceInstanceID(p.str("SourceDBInstanceIdentifier"))
	if err != nil {
		return nil, id, err
	}
	req, err := e.readReplicaRequest(p)
	if err != nil {
		return nil, id, err
	}

	e.mu.Lock()
	in, err := e.addReplica(id, sourceID, req)
	if err != nil {
		e.mu.Unlock()
		return nil, id, err
	}
	x := e.instanceXML(in)
	password := in.masterPassword
	e.mu.Unlock()

	e.background(func(ctx context.Context) { e.runCreate(ctx, id, password, "") })
	return struct{ DBInstance xmlInstance }{x}, id, nil
}

// addReplica checks the source and records a new replica of it. It runs under the lock.
func (e *Emulator) addReplica(id, sourceID string, req readReplicaRequest) (*instance, error) {
	src, ok := e.instances[sourceID]
	if !ok {
		return nil, newError(codeInstanceNotFound, "DBInstance %s not found.", sourceID)
	}
	if _, exists := e.instances[id]; exists {
		return nil, newError(codeInstanceAlreadyExists, "DB instance already exists")
	}
	if err := e.checkInstanceQuota(); err != nil {
		return nil, err
	}
	if src.ClusterID != "" {
		return nil, newError(codeInvalidCombination, "Instance %s is a member of DB cluster %s; Aurora has no read replicas of instances: add a DB instance to the cluster with CreateDBInstance.", sourceID, src.ClusterID)
	}
	if src.Status != "available" {
		return nil, newError(codeInvalidInstanceState, "DB Instance %s is not in available state: %s.", sourceID, src.Status)
	}
	if src.BackupRetentionPeriod == 0 {
		return nil, newError(codeInvalidInstanceState, "Automated backups are not enabled for this database instance. To enable automated backups, use ModifyDBInstance to set the backup retention period to a non-zero value.")
	}
	in, err := e.replicaOf(id, src, req)
	if err != nil {
		return nil, err
	}
	e.instances[id] = in
	return in, nil
}

// sourceInstanceID reads SourceDBInstanceIdentifier: an instance identifier, or the ARN
// of an instance of this emulator's region and account. An ARN of another region names a
// cross-Region source, which the emulator does not have.
func (e *Emulator) sourceInstanceID(v string) (string, error) {
	if v == "" {
		return "", newError(codeMissingParameter, "The request must contain the parameter SourceDBInstanceIdentifier.")
	}
	if strings.HasPrefix(v, "arn:") {
		id, ok := strings.CutPrefix(v, e.instanceARN(""))
		if !ok || id == "" {
			return "", newError(codeInstanceNotFound, "DBInstance %s not found.", v)
		}
		return strings.ToLower(id), nil
	}
	return strings.ToLower(v), nil
}

// readReplicaRequest is a parsed CreateDBInstanceReadReplica request, without the
// identifiers. Empty or nil fields take the source's values.
type readReplicaRequest struct {
	class              string
	availabilityZone   string
	multiAZ            bool
	publiclyAccessible bool
	storageType        string
	storage            *int
	// maxStorage is the replica's own MaxAllocatedStorage, nil without autoscaling.
	maxStorage     *int
	kmsKeyID       string
	subnetGroup    string
	securityGroups []string
	// paramGroup is DBParameterGroupName: "" for the source's group (RDS API Reference:
	// a same-Region replica's default).
	paramGroup string
	tags       []tag
	// copyTags is the replica's own CopyTagsToSnapshot, off by default whatever its
	// source has.
	copyTags bool
	// deletionProtection and autoMinor are the replica's own, RDS's defaults (off, on)
	// when the request leaves them out, whatever its source has.
	deletionProtection, autoMinor bool
	// iamAuth is the replica's own IAMDatabaseAuthenticationEnabled, off unless the
	// request turns it on (RDS API Reference, CreateDBInstanceReadReplica).
	iamAuth bool
}

// readReplicaRequest parses and checks what needs no source.
func (e *Emulator) readReplicaRequest(p params) (readReplicaRequest, error) {
	r := readReplicaRequest{
		class:            p.str("DBInstanceClass"),
		availabilityZone: p.str("AvailabilityZone"),
		storageType:      p.str("StorageType"),
		kmsKeyID:         p.str("KmsKeyId"),
		subnetGroup:      p.str("DBSubnetGroupName"),
		securityGroups:   p.list("VpcSecurityGroupIds.VpcSecurityGroupId"),
		paramGroup:       p.str("DBParameterGroupName"),
		tags:             p.tags(),
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
	if r.maxStorage, err = p.integer("MaxAllocatedStorage"); err != nil {
		return r, err
	}
	if err := checkSecurityGroups(r.securityGroups); err != nil {
		return r, err
	}
	if err := e.checkSubnetGroup(r.subnetGroup); err != nil {
		return r, err
	}
	b, err := p.booleans("MultiAZ", "PubliclyAccessible", "CopyTagsToSnapshot", "DeletionProtection", "AutoMinorVersionUpgrade", "EnableIAMDatabaseAuthentication")
	if err != nil {
		return r, err
	}
	r.multiAZ, r.publiclyAccessible, r.copyTags = deref(b["MultiAZ"]), deref(b["PubliclyAccessible"]), deref(b["CopyTagsToSnapshot"])
	r.deletionProtection, r.autoMinor = deref(b["DeletionProtection"]), boolOr(b["AutoMinorVersionUpgrade"], true)
	r.iamAuth = deref(b["EnableIAMDatabaseAuthentication"])
	if r.availabilityZone != "" {
		if r.multiAZ {
			return r, newError(codeInvalidCombination, "Requesting a specific availability zone is not valid for Multi-AZ instances.")
		}
		if err := e.checkAvailabilityZone(r.availabilityZone); err != nil {
			return r, err
		}
	}
	return r, nil
}

// replicaOf builds the record of a read replica of src. It runs under the lock.
func (e *Emulator) replicaOf(id string, src *instance, r readReplicaRequest) (*instance, error) {
	storageType, storage, err := derivedStorage(src.Engine, src.StorageType, src.AllocatedStorage, r.storageType, r.storage,
		"the source DB instance "+src.ID)
	if err != nil {
		return nil, err
	}
	if r.maxStorage != nil {
		if err := checkMaxStorage(src.Engine, storageType, storage, *r.maxStorage, true); err != nil {
			return nil, err
		}
	}
	// A replica in the source's region is encrypted as its source is: with the source's
	// key unless the request names another.
	kmsKey := src.KmsKeyID
	if r.kmsKeyID != "" {
		if !src.StorageEncrypted {
			return nil, newError(codeInvalidCombination, "The source DB instance %s is not encrypted: a KMS key can't be specified for its read replica.", src.ID)
		}
		var err error
		if kmsKey, err = e.kmsKeyARNLocked(true, r.kmsKeyID); err != nil {
			return nil, err
		}
	}
	class := src.Class
	if r.class != "" {
		class = r.class
	}
	az := r.availabilityZone
	if az == "" {
		az = src.AvailabilityZone
	}
	subnetGroup := src.SubnetGroup
	if r.subnetGroup != "" {
		subnetGroup = r.subnetGroup
	}
	securityGroups := append([]string(nil), src.VpcSecurityGroupIDs...)
	if len(r.securityGroups) > 0 {
		securityGroups = r.securityGroups
	}
	// The replica keeps its source's backup window and gets a maintenance window of its own.
	backupWindow, maintenanceWindow, err := e.settleWindows(id, src.PreferredBackupWindow, "")
	if err != nil {
		return nil, err
	}
	group := e.instanceParamGroup(src)
	if r.paramGroup != "" {
		if group, err = e.groupFor(r.paramGroup, src.Engine, src.EngineVersion); err != nil {
			return nil, err
		}
	}
	in := &instance{
		ID:                    id,
		ResourceID:            "db-" + randomUpper(26),
		Status:                "creating",
		Engine:                src.Engine,
		EngineVersion:         src.EngineVersion,
		Class:                 class,
		AllocatedStorage:      storage,
		StorageType:           storageType,
		MaxAllocatedStorage:   intOr0(r.maxStorage),
		MasterUsername:        src.MasterUsername,
		DBName:                src.DBName,
		BackupRetentionPeriod: 0,
		PreferredBackupWindow: backupWindow,
		StorageEncrypted:      src.StorageEncrypted,
		KmsKeyID:              kmsKey,
		PubliclyAccessible:    r.publiclyAccessible,
		SubnetGroup:           subnetGroup,
		VpcSecurityGroupIDs:   securityGroups,
		AvailabilityZone:      az,
		ReplicaSource:         src.ID,
		CreateTime:            time.Now(),
		Tags:                  setTags(nil, r.tags),
		CopyTagsToSnapshot:    r.copyTags,
		ParamGroup:            group,
		masterPassword:        src.masterPassword,
		serverParams:          maps.Clone(src.serverParams),

		PreferredMaintenanceWindow: maintenanceWindow,
		AutoMinorVersionUpgrade:    r.autoMinor,
		DeletionProtection:         r.deletionProtection,
		IAMAuth:                    r.iamAuth,
	}
	in.setMultiAZ(r.multiAZ)
	return in, nil
}

// replicasOf lists the read replicas of an instance, sorted. It runs under the lock.
func (e *Emulator) replicasOf(id string) []string {
	var out []string
	for rid, in := range e.instances {
		if in.ReplicaSource == id {
			out = append(out, rid)
		}
	}
	sort.Strings(out)
	return out
}

// detachReplicas makes the read replicas of a deleted source standalone instances, as RDS
// does for RDS for PostgreSQL, MySQL and MariaDB: they lose their
// ReadReplicaSourceDBInstanceIdentifier and keep running. It returns their servers, which
// the caller promotes (without the lock). It runs under the lock.
func (e *Emulator) detachReplicas(sourceID string) map[string]engineServer {
	out := map[string]engineServer{}
	for rid, in := range e.instances {
		if in.ReplicaSource != sourceID {
			continue
		}
		in.ReplicaSource = ""
		if in.server != nil {
			out[rid] = in.server
		}
	}
	return out
}

// promote makes detached replicas' servers writable. A replica whose server cannot be
// promoted is failed, as RDS reports an instance it cannot recover.
func (e *Emulator) promote(ctx context.Context, servers map[string]engineServer) {
	for id, srv := range servers {
		if err := srv.Promote(ctx); err != nil {
			fmt.Fprintf(e.cfg.Log, "rds-emulator: promote %s: %v\n", id, err)
			e.mu.Lock()
			if in, ok := e.instances[id]; ok && in.server == srv {
				in.Status = "failed"
			}
			e.mu.Unlock()
		}
	}
}

// setMultiAZ turns Multi-AZ on or off; a Multi-AZ instance has a standby in another zone
// of the region.
func (in *instance) setMultiAZ(on bool) {
	in.MultiAZ = on
	in.SecondaryAZ = ""
	if on {
		in.SecondaryAZ = secondaryZone(in.AvailabilityZone)
	}
}

// secondaryZone picks the standby's zone: another zone of the primary's region.
func secondaryZone(az string) string {
	if az == "" {
		return ""
	}
	region, letter := az[:len(az)-1], az[len(az)-1]
	if letter == 'a' {
		return region + "b"
	}
	return region + "a"
}

// checkAvailabilityZone accepts the zones of the emulator's region: the region's name and
// a letter a to f, such as us-east-1b.
func (e *Emulator) checkAvailabilityZone(az string) error {
	rest, ok := strings.CutPrefix(az, e.cfg.Region)
	if !ok || len(rest) != 1 || rest[0] < 'a' || rest[0] > 'f' {
		return newError(codeInvalidValue, "Invalid availability zone: %s. Availability zones of %s are %sa to %sf.", az, e.cfg.Region, e.cfg.Region, e.cfg.Region)
	}
	return nil
}
