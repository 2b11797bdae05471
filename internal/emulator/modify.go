package emulator

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/matrixmind-cloud/aws-rds-operator/internal/pgserver"
)

// modifyInstance answers ModifyDBInstance. The request's changes join the instance's
// pending values; with ApplyImmediately all of them, older ones included, are applied now
// (modifying for Delays.Modify), otherwise they wait for the maintenance window
// (ApplyPendingMaintenance). A request that leaves nothing pending changes no status.
func (e *Emulator) modifyInstance(p params) (any, string, error) {
	id := strings.ToLower(p.str("DBInstanceIdentifier"))
	if id == "" {
		return nil, id, newError(codeMissingParameter, "The request must contain the parameter DBInstanceIdentifier.")
	}
	req, err := readModification(p)
	if err != nil {
		return nil, id, err
	}

	e.mu.Lock()
	in, ok := e.instances[id]
	if !ok {
		e.mu.Unlock()
		return nil, id, newError(codeInstanceNotFound, "DBInstance %s not found.", id)
	}
	change, err := req.against(in, len(e.replicasOf(id)) > 0)
	if err != nil {
		e.mu.Unlock()
		return nil, id, err
	}
	if change.EngineVersion != "" {
		if err := e.checkEngineBuild(in.Engine, change.EngineVersion); err != nil {
			e.mu.Unlock()
			return nil, id, err
		}
	}
	groupNow, groupWithUpgrade, err := e.associateGroup(in, req.paramGroup, change)
	if err != nil {
		e.mu.Unlock()
		return nil, id, err
	}
	change.ParamGroup = groupWithUpgrade
	// Every check comes before the first change, so that a refused request changes nothing.
	if req.logs {
		if err := checkLogTypes(in.Engine, in.EngineVersion, append(slices.Clone(req.logsEnable), req.logsDisable...)); err != nil {
			e.mu.Unlock()
			return nil, id, err
		}
	}
	if (req.backupWindow != "" || req.maintenanceWindow != "") && in.ClusterID == "" {
		backup, maintenance := cmp.Or(req.backupWindow, in.PreferredBackupWindow), cmp.Or(req.maintenanceWindow, in.PreferredMaintenanceWindow)
		if err := checkWindowsApart(backup, maintenance); err != nil {
			e.mu.Unlock()
			return nil, id, err
		}
	}
	if req.backupWindow != "" {
		// As on RDS, a new backup window applies as soon as possible, not in the
		// maintenance window, and puts the instance in no other state.
		in.PreferredBackupWindow = req.backupWindow
	}
	// So do the maintenance window, deletion protection and AutoMinorVersionUpgrade
	// (RDS User Guide, "Settings for DB instances": "The change occurs immediately. This
	// setting ignores the apply immediately setting.").
	if req.maintenanceWindow != "" {
		in.PreferredMaintenanceWindow = req.maintenanceWindow
	}
	if req.deletionProtection != nil {
		in.DeletionProtection = *req.deletionProtection
	}
	if req.autoMinor != nil {
		in.AutoMinorVersionUpgrade = *req.autoMinor
	}
	// Security groups, the public address and CopyTagsToSnapshot change at once, whatever
	// ApplyImmediately says, as on RDS.
	if req.securityGroups != nil {
		in.VpcSecurityGroupIDs = req.securityGroups
	}
	if req.public != nil {
		in.PubliclyAccessible = *req.public
	}
	if req.copyTags != nil {
		in.CopyTagsToSnapshot = *req.copyTags
	}
	// Another DB parameter group is associated at once too, and its values wait for the
	// next reboot (RDS API Reference, ModifyDBInstance DBParameterGroupName).
	if groupNow != "" {
		in.ParamGroup, in.ParamApply = groupNow, paramsPendingReboot
		e.instanceEvent(id, evParamGroupUpdated, groupNow)
	}
	if req.logs {
		in.Logs.request(req.logsEnable, req.logsDisable)
	}
	in.Pending = mergePending(in.Pending, change)
	if req.iamAuth != nil && *req.iamAuth == in.IAMAuth {
		// Asking for what the instance has takes back a change still pending.
		in.Pending.IAMAuth = nil
	}
	// So does the maximum storage (storage autoscaling); equal to the storage the instance
	// will have, it turns autoscaling off.
	if req.maxStorage != nil {
		in.MaxAllocatedStorage = *req.maxStorage
		if size, _ := in.storageAfter(in.Pending); size == in.MaxAllocatedStorage {
			in.MaxAllocatedStorage = 0
		}
	}
	modifying := req.applyImmediately && !in.Pending.empty()
	// As on RDS, the logs shipped change at once, whatever ApplyImmediately says: the
	// instance modifies for them alone.
	logsOnly := !modifying && in.Logs.pending()
	if modifying || logsOnly {
		in.Status = "modifying"
	}
	x := e.instanceXML(in)
	e.mu.Unlock()

	if modifying || logsOnly {
		e.background(func(ctx context.Context) { e.runModify(ctx, id, logsOnly) })
	}

	// As on RDS, a new master password applies at once, whatever ApplyImmediately says.
	if req.password != nil {
		if err := e.resetMasterPassword(in, *req.password); err != nil {
			return nil, id, err
		}
	}
	return struct{ DBInstance xmlInstance }{x}, id, nil
}

// resetMasterPassword sets an instance's master password at once, as RDS does whether
// ModifyDBInstance or a person at the console asks: on its server, when it has one, then
// in its record, so that snapshots taken from now on carry the new password, and so do
// those of its read replicas, which the engine's own replication gives the new password.
// It records RDS-EVENT-0016 once the password is set. The password must be valid for the
// engine. It runs without the lock.
func (e *Emulator) resetMasterPassword(in *instance, password string) error {
	e.mu.Lock()
	srv := in.server
	e.mu.Unlock()
	if srv != nil {
		if err := srv.SetMasterPassword(e.ctx, password); err != nil {
			return err
		}
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if cur, ok := e.instances[in.ID]; ok && cur == in {
		in.masterPassword = password
		for _, rid := range e.replicasOf(in.ID) {
			e.instances[rid].masterPassword = password
		}
		e.instanceEvent(in.ID, evMasterPasswordReset)
	}
	return nil
}

// modification is a parsed ModifyDBInstance request.
type modification struct {
	storage          *int
	iops, throughput *int
	// maxStorage is MaxAllocatedStorage, nil when the request leaves it out.
	maxStorage       *int
	storageType      string
	class            string
	retention        *int
	engineVersion    string
	allowMajor       bool
	password         *string
	applyImmediately bool
	backupWindow     string
	// maintenanceWindow is lowercase, as RDS reports it.
	maintenanceWindow string
	// deletionProtection and autoMinor are nil when the request leaves them out.
	deletionProtection, autoMinor *bool
	// securityGroups is nil when the request does not name any.
	securityGroups []string
	public         *bool
	multiAZ        *bool
	copyTags       *bool
	// iamAuth is EnableIAMDatabaseAuthentication, nil when the request leaves it out. It
	// waits for the maintenance window unless ApplyImmediately (RDS User Guide, "Settings
	// for DB instances": IAM DB authentication).
	iamAuth *bool
	// paramGroup is DBParameterGroupName, "" when the request leaves it out.
	paramGroup string
	// logsEnable and logsDisable are CloudwatchLogsExportConfiguration's; logs tells
	// whether the request has one.
	logsEnable, logsDisable []string
	logs                    bool
}

// readModification parses and checks what needs no instance.
func readModification(p params) (modification, error) {
	var m modification
	var err error
	m.logsEnable, m.logsDisable, m.logs = exportConfiguration(p)
	if m.storage, err = p.integer("AllocatedStorage"); err != nil {
		return m, err
	}
	if m.iops, err = p.integer("Iops"); err != nil {
		return m, err
	}
	if m.maxStorage, err = p.integer("MaxAllocatedStorage"); err != nil {
		return m, err
	}
	if m.throughput, err = p.integer("StorageThroughput"); err != nil {
		return m, err
	}
	m.storageType = p.str("StorageType")
	if _, _, ok := storageLimits(m.storageType); m.storageType != "" && !ok {
		return m, newError(codeInvalidValue, "Invalid storage type: %s", m.storageType)
	}
	if m.retention, err = p.integer("BackupRetentionPeriod"); err != nil {
		return m, err
	}
	if m.retention != nil && (*m.retention < 0 || *m.retention > 35) {
		return m, newError(codeInvalidValue, "The parameter BackupRetentionPeriod must be between 0 and 35.")
	}
	m.class = p.str("DBInstanceClass")
	if m.class != "" && !strings.HasPrefix(m.class, "db.") {
		return m, newError(codeInvalidValue, "Invalid DB Instance class: %s", m.class)
	}
	m.engineVersion = p.str("EngineVersion")
	m.paramGroup = p.str("DBParameterGroupName")
	if m.backupWindow = p.str("PreferredBackupWindow"); m.backupWindow != "" {
		if err := checkBackupWindow(m.backupWindow); err != nil {
			return m, err
		}
	}
	if w := p.str("PreferredMaintenanceWindow"); w != "" {
		if _, m.maintenanceWindow, err = parseMaintenanceWindow(w); err != nil {
			return m, err
		}
	}
	if m.deletionProtection, err = p.boolean("DeletionProtection"); err != nil {
		return m, err
	}
	if m.autoMinor, err = p.boolean("AutoMinorVersionUpgrade"); err != nil {
		return m, err
	}
	if groups := p.list("VpcSecurityGroupIds.VpcSecurityGroupId"); len(groups) > 0 {
		if err := checkSecurityGroups(groups); err != nil {
			return m, err
		}
		m.securityGroups = groups
	}
	if m.public, err = p.boolean("PubliclyAccessible"); err != nil {
		return m, err
	}
	if m.multiAZ, err = p.boolean("MultiAZ"); err != nil {
		return m, err
	}
	if m.copyTags, err = p.boolean("CopyTagsToSnapshot"); err != nil {
		return m, err
	}
	if m.iamAuth, err = p.boolean("EnableIAMDatabaseAuthentication"); err != nil {
		return m, err
	}
	if p.has("MasterUserPassword") {
		pw := p.str("MasterUserPassword")
		m.password = &pw
	}
	allowMajor, err := p.boolean("AllowMajorVersionUpgrade")
	if err != nil {
		return m, err
	}
	m.allowMajor = deref(allowMajor)
	apply, err := p.boolean("ApplyImmediately")
	if err != nil {
		return m, err
	}
	m.applyImmediately = deref(apply)
	return m, nil
}

// against checks the modification against the instance's state (hasReplicas: whether it
// is the source of read replicas) and returns the values that change. It runs under the
// lock.
func (m modification) against(in *instance, hasReplicas bool) (pending, error) {
	var change pending
	storageOnly := m.class == "" && m.retention == nil && m.engineVersion == "" && m.password == nil && m.storageType == "" && m.throughput == nil &&
		m.securityGroups == nil && m.public == nil && m.multiAZ == nil && m.copyTags == nil &&
		m.maintenanceWindow == "" && m.deletionProtection == nil && m.autoMinor == nil && m.paramGroup == "" && m.iamAuth == nil
	switch {
	case in.Status == "available":
	case in.Status == "storage-full" && storageOnly && m.storage != nil:
	default:
		return change, newError(codeInvalidInstanceState, "Database instance is not in available state.")
	}
	if in.ClusterID != "" {
		for name, set := range map[string]bool{
			"MasterUserPassword": m.password != nil, "AllocatedStorage": m.storage != nil, "StorageType": m.storageType != "", "MaxAllocatedStorage": m.maxStorage != nil,
			"BackupRetentionPeriod": m.retention != nil, "EngineVersion": m.engineVersion != "", "MultiAZ": m.multiAZ != nil,
			"EnableIAMDatabaseAuthentication": m.iamAuth != nil,
		} {
			if set {
				return change, newError(codeInvalidCombination, "The %s of an instance of an Aurora DB cluster is managed by the cluster: use ModifyDBCluster.", name)
			}
		}
		if m.deletionProtection != nil {
			return change, errMemberProtection()
		}
	}
	if m.password != nil {
		if in.ReplicaSource != "" {
			return change, newError(codeInvalidCombination, "The master user password of read replica %s follows its source DB instance %s: change it there.", in.ID, in.ReplicaSource)
		}
		if err := checkPassword(in.Engine, *m.password); err != nil {
			return change, err
		}
	}
	if m.retention != nil && *m.retention == 0 && hasReplicas {
		return change, newError(codeInvalidCombination, "The backup retention period of %s can't be set to 0 while it is the source of read replicas.", in.ID)
	}
	if m.multiAZ != nil && *m.multiAZ != in.MultiAZ {
		change.MultiAZ = m.multiAZ
	}
	if m.iamAuth != nil && *m.iamAuth != in.IAMAuth {
		change.IAMAuth = m.iamAuth
	}
	// Provisioned IOPS storage (io1, io2) staying so takes a new size or IOPS only with both.
	stays := m.storageType == "" || m.storageType == "io1" || m.storageType == "io2"
	if (in.StorageType == "io1" || in.StorageType == "io2") && stays && (m.storage != nil) != (m.iops != nil) {
		return change, newError(codeInvalidCombination, "You must specify both the storage size and iops when modifying the storage size or iops on a DB instance that has iops.")
	}
	if m.storage != nil && *m.storage != in.AllocatedStorage {
		if *m.storage < in.AllocatedStorage {
			return change, newError(codeInvalidCombination, "Invalid storage size for engine name %s and storage type %s: %d. Allocated storage can't be decreased.", in.Engine, in.StorageType, *m.storage)
		}
		grown := grownStorage(in.AllocatedStorage, *m.storage)
		change.AllocatedStorage = &grown
	}
	if m.storageType != "" && m.storageType != in.StorageType {
		change.StorageType = m.storageType
	}
	if m.iops != nil && *m.iops != in.Iops {
		change.Iops = m.iops
	}
	if m.throughput != nil && *m.throughput != in.StorageThroughput {
		change.StorageThroughput = m.throughput
	}
	if change.StorageType != "" {
		// Another storage type starts from its own baseline unless the request provisions it.
		zero := 0
		if m.iops == nil && in.Iops != 0 {
			change.Iops = &zero
		}
		if m.throughput == nil && in.StorageThroughput != 0 {
			change.StorageThroughput = &zero
		}
	}
	if change.AllocatedStorage != nil || change.StorageType != "" || change.Iops != nil || change.StorageThroughput != nil {
		// The size, type and performance the instance will end up with must fit together,
		// whichever of them this request or an earlier one changes.
		after := mergePending(in.Pending, change)
		size, kind, iops, mibs := in.AllocatedStorage, in.StorageType, in.Iops, in.StorageThroughput
		if after.AllocatedStorage != nil {
			size = *after.AllocatedStorage
		}
		if after.StorageType != "" {
			kind = after.StorageType
		}
		if after.Iops != nil {
			iops = *after.Iops
		}
		if after.StorageThroughput != nil {
			mibs = *after.StorageThroughput
		}
		if err := checkStorage(in.Engine, kind, size); err != nil {
			return change, err
		}
		if err := checkProvisioned(in.Engine, kind, size, iops, mibs); err != nil {
			return change, err
		}
	}
	// The maximum storage is held against the storage the instance will have: a new
	// maximum when the request names one, else the one it has when the storage grows.
	if m.maxStorage != nil || (in.MaxAllocatedStorage > 0 && change.AllocatedStorage != nil) {
		size, kind := in.storageAfter(mergePending(in.Pending, change))
		if err := checkMaxStorage(in.Engine, kind, size, cmp.Or(intOr0(m.maxStorage), in.MaxAllocatedStorage), false); err != nil {
			return change, err
		}
	}
	if m.class != "" && m.class != in.Class {
		if err := checkInstanceClass(in.Engine, in.EngineVersion, m.class); err != nil {
			return change, err
		}
		change.DBInstanceClass = m.class
	}
	if m.retention != nil && *m.retention != in.BackupRetentionPeriod {
		change.BackupRetentionPeriod = m.retention
	}
	if m.engineVersion != "" && m.engineVersion != in.EngineVersion {
		changed, err := checkVersionChange(in.Engine, in.EngineVersion, m.engineVersion, m.allowMajor)
		if err != nil {
			return change, err
		}
		if changed {
			change.EngineVersion = m.engineVersion
		}
	}
	return change, nil
}

// storageAfter is the allocated storage and storage type the instance has once the
// pending values p apply.
func (in *instance) storageAfter(p pending) (int, string) {
	size, kind := in.AllocatedStorage, in.StorageType
	if p.AllocatedStorage != nil {
		size = *p.AllocatedStorage
	}
	if p.StorageType != "" {
		kind = p.StorageType
	}
	return size, kind
}

// mergePending lays newer pending values over older ones.
func mergePending(old, newer pending) pending {
	if newer.AllocatedStorage != nil {
		old.AllocatedStorage = newer.AllocatedStorage
	}
	if newer.Iops != nil {
		old.Iops = newer.Iops
	}
	if newer.StorageThroughput != nil {
		old.StorageThroughput = newer.StorageThroughput
	}
	if newer.BackupRetentionPeriod != nil {
		old.BackupRetentionPeriod = newer.BackupRetentionPeriod
	}
	if newer.DBInstanceClass != "" {
		old.DBInstanceClass = newer.DBInstanceClass
	}
	if newer.EngineVersion != "" {
		old.EngineVersion = newer.EngineVersion
	}
	if newer.StorageType != "" {
		old.StorageType = newer.StorageType
	}
	if newer.MultiAZ != nil {
		old.MultiAZ = newer.MultiAZ
	}
	if newer.IAMAuth != nil {
		old.IAMAuth = newer.IAMAuth
	}
	if newer.ParamGroup != "" {
		old.ParamGroup = newer.ParamGroup
	}
	return old
}

// upgradeEngine carries a postgres instance's data to a server of its pending version's
// major when that is another major than its server runs, as RDS's major version upgrade
// does, and its read replicas along (RDS upgrades in-Region replicas with their source):
// see pgserver.Upgrade, a logical copy. The new server takes the old one's port, so the
// endpoint stays. It runs while the instance is modifying. When the copy fails, the
// instance keeps its server and version, as RDS leaves an instance whose upgrade failed on
// its old version, and the emulator's log says why. Without builds per major the machine's
// PostgreSQL stands in for every version and there is nothing to do.
func (e *Emulator) upgradeEngine(ctx context.Context, id string) {
	e.mu.Lock()
	in, ok := e.instances[id]
	if !ok || in.Status != "modifying" || in.Pending.EngineVersion == "" || in.Engine != "postgres" {
		e.mu.Unlock()
		return
	}
	src, running := in.server.(postgresServer)
	version := in.Pending.EngineVersion
	replicas := map[string]postgresServer{}
	for _, rid := range e.replicasOf(id) {
		if r, ok := e.instances[rid].server.(postgresServer); ok {
			replicas[rid] = r
		}
	}
	e.mu.Unlock()
	if !running {
		return
	}
	major, err := upgradeMajor(src, version)
	if err != nil {
		e.upgradeFailed(id, version, err)
		return
	}
	if major == 0 {
		return
	}
	upgraded, err := e.upgradeServer(ctx, filepath.Join(e.cfg.DataDir, "instances", id), src, major)
	if err != nil {
		e.upgradeFailed(id, version, err)
		return
	}
	e.mu.Lock()
	if cur, ok := e.instances[id]; ok && cur == in {
		in.server = upgraded
	}
	e.mu.Unlock()
	for rid, r := range replicas {
		e.reseedReplica(ctx, rid, r, upgraded, version)
	}
}

// upgradeMajor returns the PostgreSQL major that a server of version must run when src
// runs another, 0 when src already runs the build of version's major (without builds per
// major, always: the machine's PostgreSQL stands in for every version).
func upgradeMajor(src postgresServer, version string) (int, error) {
	builds, err := pgserver.DefaultBuilds()
	if err != nil {
		return 0, err
	}
	target, err := builds.ForMajor(postgresMajor(version))
	if err != nil {
		return 0, err
	}
	if target.Major == src.Build.Major {
		return 0, nil
	}
	return target.Major, nil
}

// upgradeServer starts a server of major, under home (the directory of the instance or
// cluster), with the data of src, stops src and moves the new server onto src's port; src's
// data directory goes. When the copy fails src keeps running, untouched.
func (e *Emulator) upgradeServer(ctx context.Context, home string, src postgresServer, major int) (postgresServer, error) {
	dir := filepath.Join(home, fmt.Sprintf("major-%d", major))
	if err := os.RemoveAll(dir); err != nil {
		return postgresServer{}, err
	}
	next, err := src.Upgrade(ctx, pgserver.Options{Dir: dir, Major: major, Log: e.cfg.Log})
	if err != nil {
		return postgresServer{}, err
	}
	port := src.Port
	if err := src.Stop(); err != nil {
		return postgresServer{}, errors.Join(err, next.Stop())
	}
	if err := next.MoveToPort(ctx, port); err != nil {
		return postgresServer{}, errors.Join(err, next.Stop())
	}
	e.removeServerData(src.Server)
	return postgresServer{next}, nil
}

// reseedReplica replaces a read replica's server with a new replica of its upgraded
// source, on the same port, and reports the source's new version on it. A replica that
// cannot be made again is failed.
func (e *Emulator) reseedReplica(ctx context.Context, id string, old, source postgresServer, version string) {
	port := old.Port
	err := old.Stop()
	var next *pgserver.Server
	if err == nil {
		dir := filepath.Join(e.cfg.DataDir, "instances", id, fmt.Sprintf("major-%d", source.Build.Major))
		if err = os.RemoveAll(dir); err == nil {
			next, err = pgserver.StartReplica(ctx, pgserver.Options{Dir: dir, Port: port, Log: e.cfg.Log}, source.Server)
		}
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	in, ok := e.instances[id]
	if !ok || in.server != engineServer(old) {
		if next != nil {
			_ = next.Stop()
		}
		return
	}
	if err != nil {
		fmt.Fprintf(e.cfg.Log, "rds-emulator: read replica %s of an upgraded source: %v\n", id, err)
		in.Status = "failed"
		return
	}
	e.removeServerData(old.Server)
	in.server, in.EngineVersion = postgresServer{next}, version
}

// removeServerData removes what a stopped server left: its data directory when it was the
// first server of its instance or cluster (whose directory goes with its delete), its
// whole directory when an upgrade made it.
func (e *Emulator) removeServerData(s *pgserver.Server) {
	target := filepath.Join(s.Dir(), "data")
	if strings.HasPrefix(filepath.Base(s.Dir()), "major-") {
		target = s.Dir()
	}
	if err := os.RemoveAll(target); err != nil {
		fmt.Fprintf(e.cfg.Log, "rds-emulator: remove %s: %v\n", target, err)
	}
}

// upgradeFailed drops the pending version of an instance whose upgrade failed, and says
// why in the log.
func (e *Emulator) upgradeFailed(id, version string, err error) {
	fmt.Fprintf(e.cfg.Log, "rds-emulator: upgrade of %s to %s failed; it stays on its version: %v\n", id, version, err)
	e.mu.Lock()
	defer e.mu.Unlock()
	if in, ok := e.instances[id]; ok {
		in.Pending.EngineVersion = ""
		e.instanceEvent(id, evUpgradeRolledBack)
	}
}
