package emulator

import (
	"context"
	"maps"
	"os"
	"strings"
	"time"
)

// createClusterSnapshot answers CreateDBClusterSnapshot: the cluster goes backing-up
// while its server is dumped.
func (e *Emulator) createClusterSnapshot(p params) (any, string, error) {
	snapID := strings.ToLower(p.str("DBClusterSnapshotIdentifier"))
	if err := checkIdentifier("DBClusterSnapshotIdentifier", snapID); err != nil {
		return nil, snapID, err
	}
	id := strings.ToLower(p.str("DBClusterIdentifier"))
	if id == "" {
		return nil, snapID, newError(codeMissingParameter, "The request must contain the parameter DBClusterIdentifier.")
	}
	e.mu.Lock()
	c, ok := e.clusters[id]
	if !ok {
		e.mu.Unlock()
		return nil, snapID, newError(codeClusterNotFound, "DBCluster %s not found.", id)
	}
	if c.Status != "available" {
		e.mu.Unlock()
		return nil, snapID, newError(codeInvalidClusterState, "DB cluster %s is not in available state: %s.", id, c.Status)
	}
	if _, exists := e.clusterSnapshots[snapID]; exists {
		e.mu.Unlock()
		return nil, snapID, newError(codeClusterSnapshotAlreadyExists, "Cannot create the cluster snapshot because one with the identifier %s already exists.", snapID)
	}
	s := e.newClusterSnapshot(c, snapID, "manual", p.tags())
	e.clusterSnapshots[snapID] = s
	e.clusterSnapshotEvent(snapID, evManualClusterSnapshotCreating)
	c.Status = "backing-up"
	srv := c.server
	x := e.clusterSnapshotXML(s)
	e.mu.Unlock()

	e.background(func(ctx context.Context) { e.runClusterSnapshot(ctx, snapID, id, srv) })
	return struct{ DBClusterSnapshot xmlClusterSnapshot }{x}, snapID, nil
}

// describeClusterSnapshots answers DescribeDBClusterSnapshots.
func (e *Emulator) describeClusterSnapshots(p params) (any, string, error) {
	snapID := e.clusterSnapshotIDOf(p.str("DBClusterSnapshotIdentifier"))
	clusterID := e.clusterIDOf(p.str("DBClusterIdentifier"))
	kind := p.str("SnapshotType")
	max, err := p.maxRecords()
	if err != nil {
		return nil, snapID, err
	}
	match, err := clusterSnapshotFilter(p.filters())
	if err != nil {
		return nil, snapID, err
	}
	type result struct {
		DBClusterSnapshots []xmlClusterSnapshot `xml:"DBClusterSnapshots>DBClusterSnapshot"`
		Marker             string               `xml:",omitempty"`
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if snapID != "" {
		s, ok := e.clusterSnapshots[snapID]
		if !ok {
			return nil, snapID, newError(codeClusterSnapshotNotFound, "DBClusterSnapshot %s not found.", snapID)
		}
		return result{DBClusterSnapshots: []xmlClusterSnapshot{e.clusterSnapshotXML(s)}}, snapID, nil
	}
	var keys []string
	for k, s := range e.clusterSnapshots {
		if (clusterID == "" || s.ClusterID == clusterID) && (kind == "" || s.Type == kind) && match(s) {
			keys = append(keys, k)
		}
	}
	keys, next := page(keys, p.str("Marker"), max)
	out := result{Marker: next}
	for _, k := range keys {
		out.DBClusterSnapshots = append(out.DBClusterSnapshots, e.clusterSnapshotXML(e.clusterSnapshots[k]))
	}
	return out, clusterID, nil
}

// clusterSnapshotIDOf reads a cluster snapshot identifier or ARN.
func (e *Emulator) clusterSnapshotIDOf(v string) string {
	if id, ok := strings.CutPrefix(v, e.clusterSnapshotARN("")); ok {
		return strings.ToLower(id)
	}
	return strings.ToLower(v)
}

// clusterSnapshotFilter turns DescribeDBClusterSnapshots filters into a predicate.
func clusterSnapshotFilter(filters []filter) (func(*clusterSnapshot) bool, error) {
	var preds []func(*clusterSnapshot) bool
	for _, f := range filters {
		values := map[string]bool{}
		for _, v := range f.Values {
			values[v] = true
		}
		switch f.Name {
		case "db-cluster-id":
			preds = append(preds, func(s *clusterSnapshot) bool { return values[s.ClusterID] })
		case "db-cluster-snapshot-id":
			preds = append(preds, func(s *clusterSnapshot) bool { return values[s.ID] })
		case "snapshot-type":
			preds = append(preds, func(s *clusterSnapshot) bool { return values[s.Type] })
		case "engine":
			preds = append(preds, func(s *clusterSnapshot) bool { return values[s.Engine] })
		default:
			return nil, newError(codeInvalidValue, "Unrecognized filter name: %s", f.Name)
		}
	}
	return func(s *clusterSnapshot) bool {
		for _, p := range preds {
			if !p(s) {
				return false
			}
		}
		return true
	}, nil
}

// deleteClusterSnapshot answers DeleteDBClusterSnapshot; the dump file goes with it.
func (e *Emulator) deleteClusterSnapshot(p params) (any, string, error) {
	snapID := strings.ToLower(p.str("DBClusterSnapshotIdentifier"))
	if snapID == "" {
		return nil, snapID, newError(codeMissingParameter, "The request must contain the parameter DBClusterSnapshotIdentifier.")
	}
	e.mu.Lock()
	s, ok := e.clusterSnapshots[snapID]
	if !ok {
		e.mu.Unlock()
		return nil, snapID, newError(codeClusterSnapshotNotFound, "DBClusterSnapshot %s not found.", snapID)
	}
	if s.Status != "available" && s.Status != "failed" {
		e.mu.Unlock()
		return nil, snapID, newError(codeInvalidClusterSnapshotState, "Cannot delete the cluster snapshot because it is in state %s.", s.Status)
	}
	if s.Type == "automated" {
		e.mu.Unlock()
		return nil, snapID, newError(codeInvalidClusterSnapshotState, "Cannot delete an automated cluster snapshot; it goes with its cluster.")
	}
	delete(e.clusterSnapshots, snapID)
	e.clusterSnapshotEvent(snapID, evManualSnapshotDeleted)
	x := e.clusterSnapshotXML(s)
	x.Status = "deleted"
	file := s.File
	e.mu.Unlock()

	if file != "" {
		_ = os.Remove(file)
	}
	return struct{ DBClusterSnapshot xmlClusterSnapshot }{x}, snapID, nil
}

// restoreCluster answers RestoreDBClusterFromSnapshot: a new cluster with the snapshot's
// engine, version (unless EngineVersion names another), master user and password,
// database, backup retention and encryption, whose server starts with the snapshot's data
// (an aurora-postgresql snapshot on a server of the snapshot's major, then, when the
// request names a newer major, upgraded to it). Like Aurora, it has no instances until
// CreateDBInstance adds them.
func (e *Emulator) restoreCluster(p params) (any, string, error) {
	id := strings.ToLower(p.str("DBClusterIdentifier"))
	if err := checkIdentifier("DBClusterIdentifier", id); err != nil {
		return nil, id, err
	}
	snapID := e.clusterSnapshotIDOf(p.str("SnapshotIdentifier"))
	if snapID == "" {
		return nil, id, newError(codeMissingParameter, "The request must contain the parameter SnapshotIdentifier.")
	}
	engine := p.str("Engine")
	if _, err := auroraBase(engine); err != nil {
		return nil, id, err
	}
	version := p.str("EngineVersion")
	if version != "" {
		if err := checkAuroraVersion(engine, version); err != nil {
			return nil, id, err
		}
	}
	groups := p.list("VpcSecurityGroupIds.VpcSecurityGroupId")
	if err := checkSecurityGroups(groups); err != nil {
		return nil, id, err
	}
	// Like a new cluster, the restored one copies tags to its snapshots only when the
	// request says so, whatever the source cluster did.
	copyTags, err := p.boolean("CopyTagsToSnapshot")
	if err != nil {
		return nil, id, err
	}
	protection, err := p.boolean("DeletionProtection")
	if err != nil {
		return nil, id, err
	}
	// IAM database authentication is the snapshot's unless the request says otherwise
	// (Aurora User Guide, "Enabling and disabling IAM database authentication").
	iamAuth, err := p.boolean("EnableIAMDatabaseAuthentication")
	if err != nil {
		return nil, id, err
	}
	if err := e.checkSubnetGroup(p.str("DBSubnetGroupName")); err != nil {
		return nil, id, err
	}
	// It ships the logs the request asks for, not its source's.
	logs := unique(p.list("EnableCloudwatchLogsExports.member"))

	e.mu.Lock()
	s, ok := e.clusterSnapshots[snapID]
	if !ok {
		e.mu.Unlock()
		return nil, id, newError(codeClusterSnapshotNotFound, "DBClusterSnapshot %s not found.", snapID)
	}
	if s.Status != "available" {
		e.mu.Unlock()
		return nil, id, newError(codeInvalidClusterSnapshotState, "Cluster snapshot %s is not in available state: %s.", snapID, s.Status)
	}
	if engine != s.Engine {
		e.mu.Unlock()
		return nil, id, newError(codeInvalidCombination, "The engine %s does not match the engine %s of cluster snapshot %s.", engine, s.Engine, snapID)
	}
	if _, exists := e.clusters[id]; exists {
		e.mu.Unlock()
		return nil, id, newError(codeClusterAlreadyExists, "DB Cluster already exists")
	}
	if err := e.checkClusterQuota(); err != nil {
		e.mu.Unlock()
		return nil, id, err
	}
	if version == "" {
		version = s.EngineVersion
	}
	if err := e.checkRestoreVersion(s, version); err != nil {
		e.mu.Unlock()
		return nil, id, err
	}
	// The restored cluster takes the group the request names, else its family's default,
	// not its source's.
	group, err := e.clusterGroupFor(p.str("DBClusterParameterGroupName"), s.Engine, version)
	if err != nil {
		e.mu.Unlock()
		return nil, id, err
	}
	kmsKey := s.KmsKeyID
	if key := p.str("KmsKeyId"); key != "" {
		var err error
		if kmsKey, err = e.kmsKeyARNLocked(true, key); err != nil {
			e.mu.Unlock()
			return nil, id, err
		}
	}
	tags := p.tags()
	if len(tags) == 0 {
		tags = s.Tags
	}
	backupWindow, maintenanceWindow, err := e.settleWindows(id, "", "")
	if err != nil {
		e.mu.Unlock()
		return nil, id, err
	}
	c := &cluster{
		ID:                    id,
		ResourceID:            "cluster-" + randomUpper(26),
		Status:                "creating",
		Engine:                s.Engine,
		EngineVersion:         version,
		MasterUsername:        s.MasterUsername,
		DatabaseName:          s.DatabaseName,
		BackupRetentionPeriod: s.BackupRetentionPeriod,
		PreferredBackupWindow: backupWindow,
		StorageEncrypted:      s.Encrypted || kmsKey != "",
		KmsKeyID:              kmsKey,
		SubnetGroup:           p.str("DBSubnetGroupName"),
		VpcSecurityGroupIDs:   groups,
		CreateTime:            time.Now(),
		Tags:                  setTags(nil, tags),
		CopyTagsToSnapshot:    deref(copyTags),
		Logs:                  logExports{Enabled: logs},
		masterPassword:        s.masterPassword,
		ParamGroup:            group,
		serverParams:          maps.Clone(s.serverParams),

		PreferredMaintenanceWindow: maintenanceWindow,
		AutoMinorVersionUpgrade:    true,
		DeletionProtection:         deref(protection),
		IAMAuth:                    boolOr(iamAuth, s.IAMAuth),
	}
	if err := checkLogTypes(c.Engine, c.EngineVersion, logs); err != nil {
		e.mu.Unlock()
		return nil, id, err
	}
	e.clusters[id] = c
	x := e.clusterXML(c)
	password, seed := s.masterPassword, clusterSeed{dump: s.File, version: s.EngineVersion}
	e.mu.Unlock()

	e.background(func(ctx context.Context) { e.runClusterCreate(ctx, id, password, seed) })
	return struct{ DBCluster xmlCluster }{x}, id, nil
}

// ClusterSnapshotFile returns the dump holding a cluster snapshot's data once it is
// available; false when the snapshot is unknown, not yet available or has no engine data.
// It is introspection for tests: RDS has no such call.
func (e *Emulator) ClusterSnapshotFile(id string) (string, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	s, ok := e.clusterSnapshots[strings.ToLower(id)]
	if !ok || s.Status != "available" || s.File == "" {
		return "", false
	}
	return s.File, true
}

// checkRestoreVersion checks the version a cluster restored from snapshot s will have: an
// aurora-postgresql major older than the snapshot's is refused, as Aurora refuses a version
// earlier than the snapshot's, and a major this machine has no build of (checkEngineBuild)
// too, as is the snapshot's own, which its server starts on. It runs under the lock.
func (e *Emulator) checkRestoreVersion(s *clusterSnapshot, version string) error {
	if s.Engine != "aurora-postgresql" {
		return nil
	}
	if postgresMajor(version) < postgresMajor(s.EngineVersion) {
		return newError(codeInvalidCombination, "The engine version you requested for your restored DB cluster (%s) is earlier than the engine version of the DB cluster snapshot (%s).", version, s.EngineVersion)
	}
	if err := e.checkEngineBuild(s.Engine, s.EngineVersion); err != nil {
		return err
	}
	return e.checkEngineBuild(s.Engine, version)
}
