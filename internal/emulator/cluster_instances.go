package emulator

import (
	"context"
	"strings"
	"time"
)

// isClusterInstanceRequest tells a CreateDBInstance request for an instance of an Aurora
// DB cluster from one for a standalone instance.
func isClusterInstanceRequest(p params) bool {
	return p.str("DBClusterIdentifier") != "" || strings.HasPrefix(p.str("Engine"), "aurora")
}

// createClusterInstance answers CreateDBInstance for an instance of an Aurora DB cluster.
// The cluster owns the master user, storage, backups and encryption, so the request may
// not set them (nor IAM database authentication, which is the cluster's); the instance
// takes them from the cluster. The first instance becomes the
// cluster's writer, later ones are readers. Every instance reaches the cluster's one
// server, at its own endpoint.
func (e *Emulator) createClusterInstance(id string, p params) (any, string, error) {
	clusterID := strings.ToLower(p.str("DBClusterIdentifier"))
	engine := p.str("Engine")
	if clusterID == "" {
		return nil, id, newError(codeInvalidCombination, "An instance of engine %s belongs to a DB cluster: the request must contain the parameter DBClusterIdentifier.", engine)
	}
	if _, ok := auroraEngines[engine]; !ok {
		return nil, id, newError(codeInvalidCombination, "The engine %s can't be used for an instance of an Aurora DB cluster: use aurora-postgresql or aurora-mysql.", engine)
	}
	for _, name := range []string{"MasterUsername", "MasterUserPassword", "AllocatedStorage", "EnableIAMDatabaseAuthentication"} {
		if p.has(name) {
			return nil, id, newError(codeInvalidCombination, "The requested DB Instance will be a member of a DB Cluster. Set %s for the DB Cluster.", name)
		}
	}
	if p.has("DeletionProtection") {
		return nil, id, errMemberProtection()
	}
	class := p.str("DBInstanceClass")
	if class == "" {
		return nil, id, newError(codeMissingParameter, "The request must contain the parameter DBInstanceClass.")
	}
	if !strings.HasPrefix(class, "db.") {
		return nil, id, newError(codeInvalidValue, "Invalid DB Instance class: %s", class)
	}
	az := p.str("AvailabilityZone")
	if az != "" {
		if err := e.checkAvailabilityZone(az); err != nil {
			return nil, id, err
		}
	}
	public, err := p.boolean("PubliclyAccessible")
	if err != nil {
		return nil, id, err
	}
	// As on RDS, an Aurora instance keeps its own CopyTagsToSnapshot, which changes
	// nothing: the cluster's setting decides what its snapshots get.
	copyTags, err := p.boolean("CopyTagsToSnapshot")
	if err != nil {
		return nil, id, err
	}
	autoMinor, err := p.boolean("AutoMinorVersionUpgrade")
	if err != nil {
		return nil, id, err
	}
	// An Aurora instance has a maintenance window of its own. Its backups are the cluster's,
	// so the emulator does not hold the window against the cluster's backup window (public
	// evidence of what Aurora does was not found); a default one keeps clear of it.
	window := p.str("PreferredMaintenanceWindow")
	if window != "" {
		if _, window, err = parseMaintenanceWindow(window); err != nil {
			return nil, id, err
		}
	}

	e.mu.Lock()
	c, ok := e.clusters[clusterID]
	if !ok {
		e.mu.Unlock()
		return nil, id, newError(codeClusterNotFound, "DBCluster %s not found.", clusterID)
	}
	if c.Engine != engine {
		e.mu.Unlock()
		return nil, id, newError(codeInvalidCombination, "The engine %s does not match the engine %s of DB cluster %s.", engine, c.Engine, clusterID)
	}
	if err := checkInstanceClass(engine, c.EngineVersion, class); err != nil {
		e.mu.Unlock()
		return nil, id, err
	}
	if c.Status == "deleting" || c.Status == "failed" {
		e.mu.Unlock()
		return nil, id, newError(codeInvalidClusterState, "DB cluster %s is %s.", clusterID, c.Status)
	}
	if _, exists := e.instances[id]; exists {
		e.mu.Unlock()
		return nil, id, newError(codeInstanceAlreadyExists, "DB instance already exists")
	}
	if err := e.checkInstanceQuota(); err != nil {
		e.mu.Unlock()
		return nil, id, err
	}
	// DB parameter groups of Aurora instances are not emulated: an instance keeps its
	// family's default group, which a request may name.
	if group := strings.ToLower(p.str("DBParameterGroupName")); group != "" && group != defaultGroupPrefix+familyOf(c.Engine, c.EngineVersion) {
		e.mu.Unlock()
		return nil, id, newError(codeInvalidCombination, "DB parameter groups of the instances of an Aurora DB cluster are not emulated: instance %s keeps %s.", id, defaultGroupPrefix+familyOf(c.Engine, c.EngineVersion))
	}
	if az == "" {
		// Aurora spreads a cluster's instances over its zones.
		zones := e.clusterZones()
		az = zones[len(e.members(clusterID))%len(zones)]
	}
	if window == "" {
		backup, err := parseBackupWindow(c.PreferredBackupWindow)
		if err == nil {
			window, err = e.defaultMaintenanceWindow(id, backup)
		}
		if err != nil {
			e.mu.Unlock()
			return nil, id, err
		}
	}
	in := &instance{
		ID:                    id,
		ResourceID:            "db-" + randomUpper(26),
		Status:                "creating",
		Engine:                c.Engine,
		EngineVersion:         c.EngineVersion,
		Class:                 class,
		AllocatedStorage:      1,
		StorageType:           "aurora",
		MasterUsername:        c.MasterUsername,
		DBName:                c.DatabaseName,
		BackupRetentionPeriod: c.BackupRetentionPeriod,
		PreferredBackupWindow: c.PreferredBackupWindow,
		StorageEncrypted:      c.StorageEncrypted,
		KmsKeyID:              c.KmsKeyID,
		PubliclyAccessible:    deref(public),
		SubnetGroup:           c.SubnetGroup,
		VpcSecurityGroupIDs:   append([]string(nil), c.VpcSecurityGroupIDs...),
		AvailabilityZone:      az,
		ClusterID:             clusterID,
		CreateTime:            time.Now(),
		Tags:                  setTags(nil, p.tags()),
		CopyTagsToSnapshot:    deref(copyTags),

		PreferredMaintenanceWindow: window,
		AutoMinorVersionUpgrade:    boolOr(autoMinor, true),
	}
	e.instances[id] = in
	e.electWriter(clusterID)
	x := e.instanceXML(in)
	e.mu.Unlock()

	e.background(func(ctx context.Context) { e.runClusterInstanceCreate(ctx, in) })
	return struct{ DBInstance xmlInstance }{x}, id, nil
}

// clusterPollInterval is how often a new cluster instance looks whether its cluster's
// server is up.
const clusterPollInterval = 20 * time.Millisecond

// runClusterInstanceCreate keeps a cluster instance creating for Delays.Create and until
// its cluster's server is up, then gives it the cluster's endpoint port and makes it
// available. It fails with its cluster.
func (e *Emulator) runClusterInstanceCreate(ctx context.Context, self *instance) {
	if !sleep(ctx, e.cfg.Delays.Create) {
		return
	}
	for {
		e.mu.Lock()
		in, ok := e.instances[self.ID]
		if !ok || in != self || in.Status != "creating" {
			e.mu.Unlock()
			return
		}
		c, ok := e.clusters[in.ClusterID]
		switch {
		case !ok || c.Status == "failed":
			in.Status = "failed"
			e.mu.Unlock()
			return
		case c.Port != 0:
			in.EndpointPort, in.server, in.Status = c.Port, nil, "available"
			e.recordCreated(in)
			e.mu.Unlock()
			return
		}
		e.mu.Unlock()
		if !sleep(ctx, clusterPollInterval) {
			return
		}
	}
}
