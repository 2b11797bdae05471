package emulator

import (
	"cmp"
	"context"
	"maps"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"
)

// cluster is the emulator's record of one Aurora DB cluster. Its instances are the
// instances whose ClusterID names it; like Aurora's shared cluster volume, one database
// server per cluster backs all of them. The master password lives only in memory.
type cluster struct {
	ID                    string
	ResourceID            string
	Status                string
	Engine                string
	EngineVersion         string
	MasterUsername        string
	DatabaseName          string
	BackupRetentionPeriod int
	PreferredBackupWindow string
	StorageEncrypted      bool
	KmsKeyID              string
	SubnetGroup           string
	VpcSecurityGroupIDs   []string
	CreateTime            time.Time
	Tags                  []tag

	// PreferredMaintenanceWindow is the cluster's weekly maintenance window, lowercase.
	PreferredMaintenanceWindow string
	// AutoMinorVersionUpgrade is reported only, as for instances.
	AutoMinorVersionUpgrade bool
	// DeletionProtection keeps DeleteDBCluster from deleting the cluster.
	DeletionProtection bool

	// CopyTagsToSnapshot gives the cluster's snapshots (manual ones taken without tags of
	// their own, automated ones and the final one) a copy of its tags.
	CopyTagsToSnapshot bool
	// Logs are the logs the cluster ships to CloudWatch Logs (for all its instances).
	Logs logExports
	// PendingEngineVersion is an engine version change waiting for the maintenance window.
	PendingEngineVersion string
	// Writer is the instance that is the cluster's writer, "" while the cluster has none.
	Writer string
	// Port is the endpoint port once the cluster's server is up; 0 before.
	Port int
	// FirstBackup is when the first automated cluster snapshot finished.
	FirstBackup time.Time
	// ParamGroup is the cluster's DB cluster parameter group, "" for its family's default
	// group (clusterParamGroup); PendingParamGroup is the one it takes with its pending
	// major version upgrade, which RDS does not report.
	ParamGroup        string
	PendingParamGroup string
	// IAMAuth is IAMDatabaseAuthenticationEnabled, for the cluster and its instances;
	// PendingIAMAuth a change of it waiting for the maintenance window.
	IAMAuth        bool
	PendingIAMAuth *bool
	server         engineServer
	// front is the endpoint of an Aurora cluster's server (fronts.go), nil for a cluster
	// without one; Port is its port.
	front          endpointFront
	masterPassword string
	// serverParams are the engine parameter values the emulator has written to the
	// server's configuration, by name; restarting is set while the writer's reboot
	// restarts the server (cluster_paramgroups_apply.go).
	serverParams map[string]string
	restarting   bool
}

// clusterSnapshot is the emulator's record of one DB cluster snapshot.
type clusterSnapshot struct {
	ID                    string
	ClusterID             string
	ClusterResourceID     string
	Type                  string
	Status                string
	Engine                string
	EngineVersion         string
	MasterUsername        string
	DatabaseName          string
	BackupRetentionPeriod int
	Encrypted             bool
	KmsKeyID              string
	Port                  int
	// IAMAuth is the source's IAMDatabaseAuthenticationEnabled, the default of a cluster
	// restored from the snapshot.
	IAMAuth       bool
	ClusterCreate time.Time
	CreateTime    time.Time
	Tags          []tag
	// File is the engine's dump, "" without an engine.
	File           string
	masterPassword string
	// serverParams are the cluster's server's engine parameter values, which its data file
	// may carry to a restored cluster's server.
	serverParams map[string]string
}

// Error codes of DB clusters, as AWS spells them.
const (
	codeClusterAlreadyExists         = "DBClusterAlreadyExistsFault"
	codeClusterNotFound              = "DBClusterNotFoundFault"
	codeInvalidClusterState          = "InvalidDBClusterStateFault"
	codeClusterSnapshotAlreadyExists = "DBClusterSnapshotAlreadyExistsFault"
	codeClusterSnapshotNotFound      = "DBClusterSnapshotNotFoundFault"
	codeInvalidClusterSnapshotState  = "InvalidDBClusterSnapshotStateFault"
	// codeClusterParamGroupNotFound is what CreateDBCluster, ModifyDBCluster and
	// RestoreDBClusterFromSnapshot answer for a DB cluster parameter group that does not
	// exist; the actions on the groups themselves answer codeParamGroupNotFound.
	codeClusterParamGroupNotFound = "DBClusterParameterGroupNotFound"
)

// auroraEngines maps each Aurora engine to the engine whose server backs it and whose
// rules (names, passwords) it follows.
var auroraEngines = map[string]string{"aurora-postgresql": "postgres", "aurora-mysql": "mysql"}

// defaultAuroraVersion is what a cluster created without EngineVersion reports.
var defaultAuroraVersion = map[string]string{"aurora-postgresql": "16.6", "aurora-mysql": "8.0.mysql_aurora.3.08.0"}

// auroraMySQLVersion matches Aurora MySQL's version form: the MySQL version it is
// compatible with, then Aurora's own version, as in 8.0.mysql_aurora.3.08.0.
var auroraMySQLVersion = regexp.MustCompile(`^(5\.7|8\.0)\.mysql_aurora\.(\d+)\.(\d+)\.(\d+)$`)

// clusterEndpoint and clusterReaderEndpoint are the host names of every cluster's writer
// and reader endpoints. Aurora's are <id>.cluster-<x>.<region>.rds.amazonaws.com and
// <id>.cluster-ro-<x>...; here both must resolve to loopback on any machine, so they are
// the two loopback names every resolver knows. Both reach the cluster's one server, on
// the cluster's Port.
const (
	clusterEndpoint       = "localhost"
	clusterReaderEndpoint = "127.0.0.1"
)

// createCluster answers CreateDBCluster.
func (e *Emulator) createCluster(p params) (any, string, error) {
	id := strings.ToLower(p.str("DBClusterIdentifier"))
	if err := checkIdentifier("DBClusterIdentifier", id); err != nil {
		return nil, id, err
	}
	c, password, err := e.clusterFromParams(id, p)
	if err != nil {
		return nil, id, err
	}
	e.mu.Lock()
	if _, exists := e.clusters[id]; exists {
		e.mu.Unlock()
		return nil, id, newError(codeClusterAlreadyExists, "DB Cluster already exists")
	}
	if err := e.checkClusterQuota(); err != nil {
		e.mu.Unlock()
		return nil, id, err
	}
	if c.ParamGroup, err = e.clusterGroupFor(p.str("DBClusterParameterGroupName"), c.Engine, c.EngineVersion); err != nil {
		e.mu.Unlock()
		return nil, id, err
	}
	c.masterPassword = password
	e.clusters[id] = c
	x := e.clusterXML(c)
	e.mu.Unlock()

	e.background(func(ctx context.Context) { e.runClusterCreate(ctx, id, password, clusterSeed{}) })
	return struct{ DBCluster xmlCluster }{x}, id, nil
}

// clusterFromParams validates CreateDBCluster's parameters into a new cluster record; the
// password is returned apart.
func (e *Emulator) clusterFromParams(id string, p params) (*cluster, string, error) {
	engine := p.str("Engine")
	base, err := auroraBase(engine)
	if err != nil {
		return nil, "", err
	}
	version := p.str("EngineVersion")
	if version == "" {
		version = defaultAuroraVersion[engine]
	} else if err := checkAuroraVersion(engine, version); err != nil {
		return nil, "", err
	}
	if err := e.checkEngineBuild(engine, version); err != nil {
		return nil, "", err
	}
	user := p.str("MasterUsername")
	if err := checkMasterUsername(user); err != nil {
		return nil, "", err
	}
	if !p.has("MasterUserPassword") {
		return nil, "", newError(codeInvalidValue, "The parameter MasterUserPassword must be provided and must not be blank (ManageMasterUserPassword is not emulated).")
	}
	password := p.str("MasterUserPassword")
	if err := checkPassword(base, password); err != nil {
		return nil, "", err
	}
	retention := 1
	if n, err := p.integer("BackupRetentionPeriod"); err != nil {
		return nil, "", err
	} else if n != nil {
		retention = *n
	}
	if err := checkClusterRetention(retention); err != nil {
		return nil, "", err
	}
	backupWindow, maintenanceWindow, err := e.settleWindows(id, p.str("PreferredBackupWindow"), p.str("PreferredMaintenanceWindow"))
	if err != nil {
		return nil, "", err
	}
	dbName := p.str("DatabaseName")
	if dbName != "" {
		if err := checkDBName(base, dbName); err != nil {
			return nil, "", err
		}
	}
	encrypted, err := p.boolean("StorageEncrypted")
	if err != nil {
		return nil, "", err
	}
	copyTags, err := p.boolean("CopyTagsToSnapshot")
	if err != nil {
		return nil, "", err
	}
	protection, err := p.boolean("DeletionProtection")
	if err != nil {
		return nil, "", err
	}
	autoMinor, err := p.boolean("AutoMinorVersionUpgrade")
	if err != nil {
		return nil, "", err
	}
	iamAuth, err := p.boolean("EnableIAMDatabaseAuthentication")
	if err != nil {
		return nil, "", err
	}
	kmsKey, err := e.kmsKeyARN(deref(encrypted), p.str("KmsKeyId"))
	if err != nil {
		return nil, "", err
	}
	if err := e.checkSubnetGroup(p.str("DBSubnetGroupName")); err != nil {
		return nil, "", err
	}
	groups := p.list("VpcSecurityGroupIds.VpcSecurityGroupId")
	if err := checkSecurityGroups(groups); err != nil {
		return nil, "", err
	}
	logs := unique(p.list("EnableCloudwatchLogsExports.member"))
	if err := checkLogTypes(engine, version, logs); err != nil {
		return nil, "", err
	}
	return &cluster{
		ID:                    id,
		ResourceID:            "cluster-" + randomUpper(26),
		Status:                "creating",
		Engine:                engine,
		EngineVersion:         version,
		MasterUsername:        user,
		DatabaseName:          dbName,
		BackupRetentionPeriod: retention,
		PreferredBackupWindow: backupWindow,
		StorageEncrypted:      deref(encrypted),
		KmsKeyID:              kmsKey,
		SubnetGroup:           p.str("DBSubnetGroupName"),
		VpcSecurityGroupIDs:   groups,
		CreateTime:            time.Now(),
		Tags:                  setTags(nil, p.tags()),
		CopyTagsToSnapshot:    deref(copyTags),
		Logs:                  logExports{Enabled: logs},

		PreferredMaintenanceWindow: maintenanceWindow,
		AutoMinorVersionUpgrade:    boolOr(autoMinor, true),
		DeletionProtection:         deref(protection),
		IAMAuth:                    deref(iamAuth),
	}, password, nil
}

// auroraBase checks an Aurora engine name and returns the engine backing it.
func auroraBase(engine string) (string, error) {
	switch engine {
	case "":
		return "", newError(codeMissingParameter, "The request must contain the parameter Engine.")
	case "postgres", "mysql":
		return "", newError(codeInvalidValue, "Engine %s makes a Multi-AZ DB cluster, which the emulator does not have; use aurora-postgresql or aurora-mysql.", engine)
	}
	base, ok := auroraEngines[engine]
	if !ok {
		return "", newError(codeInvalidValue, "Invalid DB engine: %s", engine)
	}
	return base, nil
}

// checkClusterRetention applies Aurora's backup retention range: 1 to 35 days (Aurora
// cannot turn automated backups off).
func checkClusterRetention(days int) error {
	if days < 1 || days > 35 {
		return newError(codeInvalidValue, "The parameter BackupRetentionPeriod must be between 1 and 35.")
	}
	return nil
}

// checkAuroraVersion accepts the version forms RDS offers: PostgreSQL's for
// aurora-postgresql (11 and later), Aurora MySQL's for aurora-mysql.
func checkAuroraVersion(engine, version string) error {
	ok := false
	switch engine {
	case "aurora-postgresql":
		v, parsed := parseVersion(version)
		ok = parsed && v[0] >= 11 && len(v) <= 2
	case "aurora-mysql":
		ok = auroraMySQLVersion.MatchString(version)
	}
	if !ok {
		return newError(codeInvalidCombination, "Cannot find version %s for %s", version, engine)
	}
	return nil
}

// checkAuroraVersionChange applies ModifyDBCluster's rules for a new EngineVersion and
// reports whether it changes the version at all.
func checkAuroraVersionChange(engine, from, to string, allowMajor bool) (bool, error) {
	if err := checkAuroraVersion(engine, to); err != nil {
		return false, newError(codeInvalidCombination, "Cannot find upgrade path from %s to %s.", from, to)
	}
	if engine == "aurora-postgresql" {
		// Aurora PostgreSQL has versions of its own (checked above), compared as PostgreSQL's.
		return checkVersionChange(engine, from, to, allowMajor)
	}
	want, have := auroraMySQLParts(to), auroraMySQLParts(from)
	if have == nil {
		return to != from, nil
	}
	switch c := compareVersions(want, have); {
	case c == 0:
		return false, nil
	case c < 0:
		return false, newError(codeInvalidCombination, "Cannot upgrade %s from %s to %s", engine, from, to)
	}
	if (want[0] != have[0] || want[1] != have[1]) && !allowMajor {
		return false, newError(codeInvalidCombination, "The AllowMajorVersionUpgrade flag must be present when upgrading to a new major version.")
	}
	return true, nil
}

// auroraMySQLParts splits 8.0.mysql_aurora.3.08.0 into [8 0 3 8 0]; nil when the version
// has another form.
func auroraMySQLParts(v string) []int {
	m := auroraMySQLVersion.FindStringSubmatch(v)
	if m == nil {
		return nil
	}
	mysqlPart, _ := parseVersion(m[1])
	aurora, _ := parseVersion(m[2] + "." + m[3] + "." + m[4])
	return append(mysqlPart, aurora...)
}

// describeClusters answers DescribeDBClusters.
func (e *Emulator) describeClusters(p params) (any, string, error) {
	id := e.clusterIDOf(p.str("DBClusterIdentifier"))
	max, err := p.maxRecords()
	if err != nil {
		return nil, id, err
	}
	match, err := e.clusterFilter(p.filters())
	if err != nil {
		return nil, id, err
	}
	type result struct {
		DBClusters []xmlCluster `xml:"DBClusters>DBCluster"`
		Marker     string       `xml:",omitempty"`
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if id != "" {
		c, ok := e.clusters[id]
		if !ok {
			return nil, id, newError(codeClusterNotFound, "DBCluster %s not found.", id)
		}
		if !match(c) {
			return result{}, id, nil
		}
		return result{DBClusters: []xmlCluster{e.clusterXML(c)}}, id, nil
	}
	var keys []string
	for k, c := range e.clusters {
		if match(c) {
			keys = append(keys, k)
		}
	}
	keys, next := page(keys, p.str("Marker"), max)
	out := result{Marker: next}
	for _, k := range keys {
		out.DBClusters = append(out.DBClusters, e.clusterXML(e.clusters[k]))
	}
	return out, "", nil
}

// clusterIDOf reads a DB cluster identifier or ARN as DescribeDBClusters takes it.
func (e *Emulator) clusterIDOf(v string) string {
	if id, ok := strings.CutPrefix(v, e.clusterARN("")); ok {
		return strings.ToLower(id)
	}
	return strings.ToLower(v)
}

// clusterFilter turns DescribeDBClusters filters into a predicate. It needs no lock.
func (e *Emulator) clusterFilter(filters []filter) (func(*cluster) bool, error) {
	var preds []func(*cluster) bool
	for _, f := range filters {
		values := map[string]bool{}
		for _, v := range f.Values {
			values[v] = true
		}
		switch f.Name {
		case "db-cluster-id":
			preds = append(preds, func(c *cluster) bool { return values[c.ID] || values[e.clusterARN(c.ID)] })
		case "db-cluster-resource-id":
			preds = append(preds, func(c *cluster) bool { return values[c.ResourceID] })
		case "engine":
			preds = append(preds, func(c *cluster) bool { return values[c.Engine] })
		case "clone-group-id", "domain":
			preds = append(preds, func(*cluster) bool { return false })
		default:
			return nil, newError(codeInvalidValue, "Unrecognized filter name: %s", f.Name)
		}
	}
	return func(c *cluster) bool {
		for _, p := range preds {
			if !p(c) {
				return false
			}
		}
		return true
	}, nil
}

// members lists a cluster's instances, oldest first (then by identifier). It runs under
// the lock.
func (e *Emulator) members(clusterID string) []*instance {
	var out []*instance
	for _, in := range e.instances {
		if in.ClusterID == clusterID {
			out = append(out, in)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].CreateTime.Equal(out[j].CreateTime) {
			return out[i].CreateTime.Before(out[j].CreateTime)
		}
		return out[i].ID < out[j].ID
	})
	return out
}

// electWriter keeps a cluster's writer one of its instances: when the writer is gone or
// being deleted, the oldest instance left that is not being deleted takes over, as an Aurora
// failover promotes a reader, and the cluster records the failover's events. A writer being
// deleted with no instance to take over stays the writer until it is gone. It runs under
// the lock.
func (e *Emulator) electWriter(clusterID string) {
	c, ok := e.clusters[clusterID]
	if !ok {
		return
	}
	w, ok := e.instances[c.Writer]
	if ok && w.ClusterID == clusterID && w.Status != "deleting" {
		return
	}
	for _, in := range e.members(clusterID) {
		if in.Status != "deleting" {
			if c.Writer != "" && c.Writer != in.ID {
				started := evClusterFailoverCrossAZ
				if ok && w.AvailabilityZone == in.AvailabilityZone {
					started = evClusterFailoverSameAZ
				}
				e.clusterEvent(clusterID, started, in.ID)
				e.clusterEvent(clusterID, evClusterFailoverDone, in.ID)
			}
			c.Writer = in.ID
			return
		}
	}
	if !ok || w.ClusterID != clusterID {
		c.Writer = ""
	}
}

// modifyCluster answers ModifyDBCluster. Backup settings, the maintenance window,
// deletion protection, AutoMinorVersionUpgrade, security groups, CopyTagsToSnapshot and
// the DB cluster parameter group change at once; IAM database authentication at once with
// ApplyImmediately, else in the maintenance window; a new master password is set on the
// cluster's server at once (Aurora applies it as soon as it can); a new engine version
// (with the DB cluster parameter group of its family) waits for the maintenance window
// unless ApplyImmediately, when the cluster goes upgrading for Delays.Modify (and, for a
// new PostgreSQL major, as long as moving its data to a server of that major takes).
func (e *Emulator) modifyCluster(p params) (any, string, error) {
	id := strings.ToLower(p.str("DBClusterIdentifier"))
	if id == "" {
		return nil, id, newError(codeMissingParameter, "The request must contain the parameter DBClusterIdentifier.")
	}
	retention, err := p.integer("BackupRetentionPeriod")
	if err != nil {
		return nil, id, err
	}
	if retention != nil {
		if err := checkClusterRetention(*retention); err != nil {
			return nil, id, err
		}
	}
	window := p.str("PreferredBackupWindow")
	if window != "" {
		if err := checkBackupWindow(window); err != nil {
			return nil, id, err
		}
	}
	maintenance := p.str("PreferredMaintenanceWindow")
	if maintenance != "" {
		if _, maintenance, err = parseMaintenanceWindow(maintenance); err != nil {
			return nil, id, err
		}
	}
	protection, err := p.boolean("DeletionProtection")
	if err != nil {
		return nil, id, err
	}
	autoMinor, err := p.boolean("AutoMinorVersionUpgrade")
	if err != nil {
		return nil, id, err
	}
	groups := p.list("VpcSecurityGroupIds.VpcSecurityGroupId")
	if err := checkSecurityGroups(groups); err != nil {
		return nil, id, err
	}
	allowMajor, err := p.boolean("AllowMajorVersionUpgrade")
	if err != nil {
		return nil, id, err
	}
	apply, err := p.boolean("ApplyImmediately")
	if err != nil {
		return nil, id, err
	}
	copyTags, err := p.boolean("CopyTagsToSnapshot")
	if err != nil {
		return nil, id, err
	}
	iamAuth, err := p.boolean("EnableIAMDatabaseAuthentication")
	if err != nil {
		return nil, id, err
	}
	logsEnable, logsDisable, logs := exportConfiguration(p)
	version := p.str("EngineVersion")
	groupName := p.str("DBClusterParameterGroupName")

	e.mu.Lock()
	c, ok := e.clusters[id]
	if !ok {
		e.mu.Unlock()
		return nil, id, newError(codeClusterNotFound, "DBCluster %s not found.", id)
	}
	if c.Status != "available" {
		e.mu.Unlock()
		return nil, id, newError(codeInvalidClusterState, "DB cluster %s is not in available state: %s.", id, c.Status)
	}
	if window != "" || maintenance != "" {
		if err := checkWindowsApart(cmp.Or(window, c.PreferredBackupWindow), cmp.Or(maintenance, c.PreferredMaintenanceWindow)); err != nil {
			e.mu.Unlock()
			return nil, id, err
		}
	}
	var password *string
	if p.has("MasterUserPassword") {
		pw := p.str("MasterUserPassword")
		if err := checkPassword(auroraEngines[c.Engine], pw); err != nil {
			e.mu.Unlock()
			return nil, id, err
		}
		password = &pw
	}
	upgradeTo := ""
	if version != "" && version != c.EngineVersion {
		changed, err := checkAuroraVersionChange(c.Engine, c.EngineVersion, version, deref(allowMajor))
		if err != nil {
			e.mu.Unlock()
			return nil, id, err
		}
		if changed {
			if err := e.checkEngineBuild(c.Engine, version); err != nil {
				e.mu.Unlock()
				return nil, id, err
			}
			upgradeTo = version
		}
	}
	groupNow, groupWithUpgrade, err := e.associateClusterGroup(c, groupName, upgradeTo)
	if err != nil {
		e.mu.Unlock()
		return nil, id, err
	}
	if logs {
		if err := checkLogTypes(c.Engine, c.EngineVersion, append(slices.Clone(logsEnable), logsDisable...)); err != nil {
			e.mu.Unlock()
			return nil, id, err
		}
	}
	// Every check comes before the first change, so that a refused request changes nothing.
	if upgradeTo != "" {
		c.PendingEngineVersion, c.PendingParamGroup = upgradeTo, groupWithUpgrade
	}
	// Another DB cluster parameter group is associated at once, whatever ApplyImmediately
	// says, and its values wait for the members' reboot (RDS API Reference,
	// CreateDBClusterParameterGroup: "reboot the DB instances in the DB cluster without
	// failover for the new DB cluster parameter group and associated settings to take
	// effect").
	if groupNow != "" {
		c.ParamGroup = groupNow
		for _, in := range e.members(id) {
			in.ClusterParamApply = paramsPendingReboot
		}
	}
	if retention != nil {
		c.BackupRetentionPeriod = *retention
		for _, in := range e.members(id) {
			in.BackupRetentionPeriod = *retention
		}
	}
	if window != "" {
		c.PreferredBackupWindow = window
	}
	if maintenance != "" {
		c.PreferredMaintenanceWindow = maintenance
	}
	if protection != nil {
		c.DeletionProtection = *protection
	}
	if autoMinor != nil {
		c.AutoMinorVersionUpgrade = *autoMinor
	}
	if len(groups) > 0 {
		c.VpcSecurityGroupIDs = groups
	}
	if copyTags != nil {
		c.CopyTagsToSnapshot = *copyTags
	}
	// IAM database authentication is one of the three settings Aurora applies in the
	// maintenance window unless ApplyImmediately (Aurora User Guide, "Modifying an Amazon
	// Aurora DB cluster"); it changes no status. Asking for what the cluster has takes back
	// a change still pending.
	if iamAuth != nil {
		c.PendingIAMAuth = iamAuth
		if *iamAuth == c.IAMAuth {
			c.PendingIAMAuth = nil
		}
	}
	if deref(apply) {
		c.applyPendingIAMAuth()
	}
	if logs {
		// The cluster ships the logs at once, whatever ApplyImmediately says.
		c.Logs.request(logsEnable, logsDisable)
		c.Logs.apply()
	}
	upgrading := deref(apply) && c.PendingEngineVersion != ""
	if upgrading {
		c.Status = "upgrading"
	}
	x := e.clusterXML(c)
	srv := c.server
	e.mu.Unlock()

	if upgrading {
		e.background(func(ctx context.Context) { e.runClusterUpgrade(ctx, id) })
	}
	if password != nil {
		if srv != nil {
			if err := srv.SetMasterPassword(e.ctx, *password); err != nil {
				return nil, id, err
			}
		}
		e.mu.Lock()
		if cur, ok := e.clusters[id]; ok && cur == c {
			c.masterPassword = *password
			e.clusterEvent(id, evMasterPasswordReset)
		}
		e.mu.Unlock()
	}
	return struct{ DBCluster xmlCluster }{x}, id, nil
}

// deleteCluster answers DeleteDBCluster. As on Aurora, a cluster that still has
// instances not being deleted cannot go.
func (e *Emulator) deleteCluster(p params) (any, string, error) {
	id := strings.ToLower(p.str("DBClusterIdentifier"))
	if id == "" {
		return nil, id, newError(codeMissingParameter, "The request must contain the parameter DBClusterIdentifier.")
	}
	skip, err := p.boolean("SkipFinalSnapshot")
	if err != nil {
		return nil, id, err
	}
	final := strings.ToLower(p.str("FinalDBSnapshotIdentifier"))
	switch {
	case deref(skip) && final != "":
		return nil, id, newError(codeInvalidCombination, "Cannot specify both SkipFinalSnapshot and FinalDBSnapshotIdentifier.")
	case !deref(skip) && final == "":
		return nil, id, newError(codeInvalidCombination, "FinalDBSnapshotIdentifier is required unless SkipFinalSnapshot is specified.")
	case final != "":
		if err := checkIdentifier("FinalDBSnapshotIdentifier", final); err != nil {
			return nil, id, err
		}
	}

	e.mu.Lock()
	c, ok := e.clusters[id]
	if !ok {
		e.mu.Unlock()
		return nil, id, newError(codeClusterNotFound, "DBCluster %s not found.", id)
	}
	if c.DeletionProtection {
		e.mu.Unlock()
		return nil, id, errClusterProtected()
	}
	switch c.Status {
	case "available", "failed", "backing-up", "inaccessible-encryption-credentials":
	default:
		e.mu.Unlock()
		return nil, id, newError(codeInvalidClusterState, "DB cluster %s is not in a state that allows deletion: %s.", id, c.Status)
	}
	for _, in := range e.members(id) {
		if in.Status != "deleting" {
			e.mu.Unlock()
			return nil, id, newError(codeInvalidClusterState, "Cluster cannot be deleted, it still contains DB instances in non-deleting state.")
		}
	}
	if final != "" {
		if _, exists := e.clusterSnapshots[final]; exists {
			e.mu.Unlock()
			return nil, id, newError(codeClusterSnapshotAlreadyExists, "Cannot create the cluster snapshot because one with the identifier %s already exists.", final)
		}
		// DeleteDBCluster takes no tags: the final snapshot gets the cluster's own, as they
		// are now, when it has CopyTagsToSnapshot.
		e.clusterSnapshots[final] = e.newClusterSnapshot(c, final, "manual", nil)
		e.clusterSnapshotEvent(final, evManualClusterSnapshotCreating)
	}
	c.Status = "deleting"
	srv := c.server
	x := e.clusterXML(c)
	e.mu.Unlock()

	e.background(func(ctx context.Context) { e.runClusterDelete(ctx, id, final, srv) })
	return struct{ DBCluster xmlCluster }{x}, id, nil
}

// newClusterSnapshot builds a snapshot record of a cluster, in status creating, tagged
// with requested or, failing that, as the cluster's CopyTagsToSnapshot says
// (snapshotTags). It runs under the lock.
func (e *Emulator) newClusterSnapshot(c *cluster, id, kind string, requested []tag) *clusterSnapshot {
	return &clusterSnapshot{
		ID:                    id,
		ClusterID:             c.ID,
		ClusterResourceID:     c.ResourceID,
		Type:                  kind,
		Status:                "creating",
		Engine:                c.Engine,
		EngineVersion:         c.EngineVersion,
		MasterUsername:        c.MasterUsername,
		DatabaseName:          c.DatabaseName,
		BackupRetentionPeriod: c.BackupRetentionPeriod,
		Encrypted:             c.StorageEncrypted,
		KmsKeyID:              c.KmsKeyID,
		Port:                  c.Port,
		IAMAuth:               c.IAMAuth,
		ClusterCreate:         c.CreateTime,
		CreateTime:            time.Now(),
		Tags:                  snapshotTags(requested, c.CopyTagsToSnapshot, c.Tags),
		masterPassword:        c.masterPassword,
		serverParams:          maps.Clone(c.serverParams),
	}
}
