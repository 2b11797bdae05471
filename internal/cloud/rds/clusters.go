package rds

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsrds "github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/rds/types"

	"github.com/matrixmind-cloud/aws-rds-operator/internal/cloud"
)

// An Aurora database is a DB cluster and the DB instances in it. The provider shows it as
// one cloud.Instance: the cluster, with its writer instance's class, zone and state folded
// in, its instances as Members and its readers also as ReplicaIDs. Create makes the
// cluster, Complete its writer once the cluster exists (RDS makes instances only in an
// existing cluster), CreateReplica a reader instance, Update sends cluster-wide changes to
// the cluster and the instance class to the writer, and Delete deletes the writer with the
// cluster. Nothing of this reaches the controller.

// isAurora tells whether engine makes DB clusters.
func isAurora(engine string) bool { return strings.HasPrefix(engine, "aurora") }

// clusterIDs remembers which identifiers are clusters, learned from what the provider lists,
// observes and creates, so that Update and Delete send the cluster's calls first. An
// identifier it does not know is tried as an instance first, and as a cluster when RDS has
// no such instance: the memory saves calls, it never decides.
//
// It also saves List a DescribeDBClusters per refresh in an account without Aurora: once a
// list found no cluster and the provider has made or seen none since, List looks for
// clusters only every skipListsUpTo+1 refreshes (clusters another tool makes are never the
// operator's: a Create for an identifier someone else took meets it and remembers it).
type clusterIDs struct {
	mu      sync.Mutex
	ids     map[string]bool
	listed  bool // a list of clusters was taken
	skipped int  // lists since, without clusters
}

// skipListsUpTo is how many refreshes in a row may leave clusters out when there are none.
const skipListsUpTo = 9

// shouldList tells whether this refresh lists clusters, and counts it when not.
func (c *clusterIDs) shouldList() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.listed || len(c.ids) > 0 || c.skipped >= skipListsUpTo {
		return true
	}
	c.skipped++
	return false
}

// listedNow records a list of clusters.
func (c *clusterIDs) listedNow() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.listed, c.skipped = true, 0
}

func (c *clusterIDs) add(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ids == nil {
		c.ids = map[string]bool{}
	}
	c.ids[id] = true
}

func (c *clusterIDs) has(id string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.ids[id]
}

// observeCluster reports the cluster with the identifier as a database: one
// DescribeDBClusters, and one DescribeDBInstances of its writer.
func (p *Provider) observeCluster(ctx context.Context, identifier string) (cloud.Observation, error) {
	c, found, err := p.describeCluster(ctx, identifier)
	if err != nil || !found {
		return cloud.Observation{}, err
	}
	var writer *types.DBInstance
	if id := writerOf(c); id != "" {
		out, err := p.api.DescribeDBInstances(ctx, &awsrds.DescribeDBInstancesInput{DBInstanceIdentifier: aws.String(id)})
		var notFound *types.DBInstanceNotFoundFault
		switch {
		case errors.As(err, &notFound):
		case err != nil:
			return cloud.Observation{}, wrap("describe db instance "+id, err)
		case len(out.DBInstances) > 0:
			writer = &out.DBInstances[0]
		}
	}
	return cloud.Observation{Exists: true, Instance: clusterDatabase(c, writer)}, nil
}

// describeCluster returns the cluster with the identifier, false when there is none.
func (p *Provider) describeCluster(ctx context.Context, identifier string) (types.DBCluster, bool, error) {
	out, err := p.api.DescribeDBClusters(ctx, &awsrds.DescribeDBClustersInput{DBClusterIdentifier: aws.String(identifier)})
	var notFound *types.DBClusterNotFoundFault
	if errors.As(err, &notFound) {
		return types.DBCluster{}, false, nil
	}
	if err != nil {
		return types.DBCluster{}, false, wrap("describe db cluster "+identifier, err)
	}
	for _, c := range out.DBClusters {
		if aws.ToString(c.DBClusterIdentifier) == identifier {
			p.clusters.add(identifier)
			return c, true, nil
		}
	}
	return types.DBCluster{}, false, nil
}

// listClusters returns every cluster of the account, a call per hundred, or nothing without
// a call when the account has had none lately (clusterIDs.shouldList).
func (p *Provider) listClusters(ctx context.Context) ([]types.DBCluster, error) {
	if !p.clusters.shouldList() {
		return nil, nil
	}
	var out []types.DBCluster
	pages := awsrds.NewDescribeDBClustersPaginator(p.api, &awsrds.DescribeDBClustersInput{MaxRecords: aws.Int32(listPageSize)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, wrap("list db clusters", err)
		}
		for _, c := range page.DBClusters {
			p.clusters.add(aws.ToString(c.DBClusterIdentifier))
			out = append(out, c)
		}
	}
	p.clusters.listedNow()
	return out, nil
}

// writerOf returns the identifier of the cluster's writer instance, "" when it has none.
func writerOf(c types.DBCluster) string {
	for _, m := range c.DBClusterMembers {
		if aws.ToBool(m.IsClusterWriter) {
			return aws.ToString(m.DBInstanceIdentifier)
		}
	}
	return ""
}

// clusterDatabase is the cluster c as a database, with its writer instance's class, zone,
// public address and state when writer is known. A cluster without instances is Incomplete.
// A cluster that serves while its writer does not (being made, changed or deleted) is in
// the writer's phase, but for deleting, which is the cluster's own word: a writer going is a
// change the cluster survives (RDS promotes a reader, or Complete makes another writer).
func clusterDatabase(c types.DBCluster, writer *types.DBInstance) cloud.Instance {
	out := cloud.Instance{
		Identifier:            aws.ToString(c.DBClusterIdentifier),
		ARN:                   aws.ToString(c.DBClusterArn),
		Status:                aws.ToString(c.Status),
		Phase:                 phaseOf(aws.ToString(c.Status)),
		Engine:                aws.ToString(c.Engine),
		EngineVersion:         aws.ToString(c.EngineVersion),
		MasterUser:            aws.ToString(c.MasterUsername),
		Endpoint:              aws.ToString(c.Endpoint),
		ReaderEndpoint:        aws.ToString(c.ReaderEndpoint),
		Port:                  aws.ToInt32(c.Port),
		BackupRetentionDays:   aws.ToInt32(c.BackupRetentionPeriod),
		BackupWindow:          aws.ToString(c.PreferredBackupWindow),
		StorageEncrypted:      aws.ToBool(c.StorageEncrypted),
		KMSKeyID:              aws.ToString(c.KmsKeyId),
		SubnetGroup:           aws.ToString(c.DBSubnetGroup),
		DeletionProtection:    aws.ToBool(c.DeletionProtection),
		MaintenanceWindow:     aws.ToString(c.PreferredMaintenanceWindow),
		Tags:                  map[string]string{},
		LatestRestorableTime:  aws.ToTime(c.LatestRestorableTime),
		TagsCopiedToSnapshots: aws.ToBool(c.CopyTagsToSnapshot),
		Region:                regionOf(aws.ToString(c.DBClusterArn)),
		AdminRole:             adminRoleOf(aws.ToString(c.Engine)),
		TokenRole:             tokenRoleOf(aws.ToString(c.Engine)),
		IAMAuthentication:     aws.ToBool(c.IAMDatabaseAuthenticationEnabled),
		Incomplete:            len(c.DBClusterMembers) == 0,
	}
	for _, g := range c.VpcSecurityGroups {
		out.SecurityGroupIDs = append(out.SecurityGroupIDs, aws.ToString(g.VpcSecurityGroupId))
	}
	// The cluster's parameter group applies per instance: a change waits while any waits.
	out.Parameters.Set = aws.ToString(c.DBClusterParameterGroup)
	out.Parameters.Own = ownGroup(out.Identifier, out.Parameters.Set)
	for _, m := range c.DBClusterMembers {
		switch aws.ToString(m.DBClusterParameterGroupStatus) {
		case statusPendingReboot:
			out.Parameters.PendingRestart = true
		case statusApplying:
			out.Parameters.Applying = true
		}
	}
	for _, m := range c.DBClusterMembers {
		id, isWriter := aws.ToString(m.DBInstanceIdentifier), aws.ToBool(m.IsClusterWriter)
		out.Members = append(out.Members, cloud.Member{Identifier: id, Writer: isWriter})
		if !isWriter {
			out.ReplicaIDs = append(out.ReplicaIDs, id)
		}
	}
	if pm := c.PendingModifiedValues; pm != nil {
		out.Pending = cloud.Changes{EngineVersion: pm.EngineVersion, BackupRetentionDays: pm.BackupRetentionPeriod, IAMAuthentication: pm.IAMDatabaseAuthenticationEnabled}
		if l := pm.PendingCloudwatchLogsExports; l != nil {
			out.Pending.EnableLogExports, out.Pending.DisableLogExports = l.LogTypesToEnable, l.LogTypesToDisable
		}
	}
	if len(c.EnabledCloudwatchLogsExports) > 0 {
		out.LogExports = c.EnabledCloudwatchLogsExports
	}
	for _, t := range c.TagList {
		out.Tags[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	switch {
	case writer != nil:
		w := instance(*writer)
		for i := range out.Members {
			if out.Members[i].Identifier == w.Identifier {
				out.Members[i].Deleting = w.Phase == cloud.PhaseDeleting
			}
		}
		out.InstanceClass, out.AvailabilityZone, out.PubliclyAccessible = w.InstanceClass, w.AvailabilityZone, w.PubliclyAccessible
		out.Pending.InstanceClass = w.Pending.InstanceClass
		if out.Phase.Serving() && !w.Phase.Serving() {
			out.Phase = w.Phase
			if out.Phase == cloud.PhaseDeleting {
				out.Phase = cloud.PhaseChanging
			}
		}
	case writerOf(c) != "" && out.Phase.Serving():
		// A writer RDS lists and does not describe yet: nothing to rely on.
		out.Phase = cloud.PhaseChanging
	}
	return out
}

// createCluster makes the DB cluster of an Aurora database, or restores it from a cluster
// snapshot; Complete makes its writer.
func (p *Provider) createCluster(ctx context.Context, d cloud.Desired) error {
	if d.RestoreFromSnapshot != "" {
		return p.restoreCluster(ctx, d)
	}
	group, err := p.createParameters(ctx, d)
	if err != nil {
		return err
	}
	_, err = p.api.CreateDBCluster(ctx, &awsrds.CreateDBClusterInput{
		DBClusterParameterGroupName:     group,
		DBClusterIdentifier:             aws.String(d.Identifier),
		Engine:                          aws.String(d.Engine),
		EngineVersion:                   optional(d.EngineVersion),
		MasterUsername:                  aws.String(d.MasterUser),
		MasterUserPassword:              aws.String(d.MasterPassword),
		BackupRetentionPeriod:           aws.Int32(d.BackupRetentionDays),
		PreferredBackupWindow:           optional(d.BackupWindow),
		StorageEncrypted:                aws.Bool(d.StorageEncrypted),
		KmsKeyId:                        optional(d.KMSKeyID),
		DBSubnetGroupName:               optional(d.SubnetGroup),
		VpcSecurityGroupIds:             d.SecurityGroupIDs,
		Tags:                            tags(d.Tags),
		CopyTagsToSnapshot:              aws.Bool(true),       // snapshots name their owner, as the cluster does
		DeletionProtection:              d.DeletionProtection, // the cluster's protects an Aurora database
		PreferredMaintenanceWindow:      optional(d.MaintenanceWindow),
		EnableIAMDatabaseAuthentication: d.IAMAuthentication,
		// Aurora ships logs per cluster, not per instance.
		EnableCloudwatchLogsExports: d.LogExports,
	})
	p.clusters.add(d.Identifier)
	var exists *types.DBClusterAlreadyExistsFault
	if errors.As(err, &exists) {
		return nil
	}
	if err != nil {
		return wrap("create db cluster "+d.Identifier, err)
	}
	return nil
}

// restoreCluster makes the cluster from the snapshot: its data, master user and password
// come from the snapshot, and the caller sets the master password afterwards, as for an
// instance. It has no instances until Complete makes its writer.
func (p *Provider) restoreCluster(ctx context.Context, d cloud.Desired) error {
	_, err := p.api.RestoreDBClusterFromSnapshot(ctx, &awsrds.RestoreDBClusterFromSnapshotInput{
		DBClusterIdentifier:             aws.String(d.Identifier),
		SnapshotIdentifier:              aws.String(d.RestoreFromSnapshot),
		Engine:                          aws.String(d.Engine),
		EngineVersion:                   optional(d.EngineVersion),
		KmsKeyId:                        optional(d.KMSKeyID),
		DBSubnetGroupName:               optional(d.SubnetGroup),
		VpcSecurityGroupIds:             d.SecurityGroupIDs,
		DeletionProtection:              d.DeletionProtection,
		EnableIAMDatabaseAuthentication: d.IAMAuthentication,
		Tags:                            tags(d.Tags),
		CopyTagsToSnapshot:              aws.Bool(true),
		// The restored cluster ships the logs the spec asks for, not its source's.
		EnableCloudwatchLogsExports: d.LogExports,
	})
	p.clusters.add(d.Identifier)
	var exists *types.DBClusterAlreadyExistsFault
	if err == nil || errors.As(err, &exists) {
		return nil
	}
	return wrap("restore db cluster "+d.Identifier+" from snapshot "+d.RestoreFromSnapshot, err)
}

// Complete implements cloud.Provider: an Aurora cluster gets its writer instance, in the zone
// RDS picks, with the database's tags. An instance database is complete when created.
func (p *Provider) Complete(ctx context.Context, d cloud.Desired) error {
	if !isAurora(d.Engine) {
		return nil
	}
	id := writerIdentifier(d.Identifier)
	return p.createClusterInstance(ctx, cloud.Replica{
		Identifier: id, Source: d.Identifier, Engine: d.Engine, InstanceClass: d.InstanceClass,
		PubliclyAccessible: d.PubliclyAccessible, Tags: d.Tags,
	})
}

// createClusterInstance makes a DB instance in the cluster r.Source: the first is its writer,
// the others readers.
func (p *Provider) createClusterInstance(ctx context.Context, r cloud.Replica) error {
	_, err := p.api.CreateDBInstance(ctx, &awsrds.CreateDBInstanceInput{
		DBInstanceIdentifier: aws.String(r.Identifier),
		DBClusterIdentifier:  aws.String(r.Source),
		Engine:               aws.String(r.Engine),
		DBInstanceClass:      aws.String(r.InstanceClass),
		AvailabilityZone:     optional(r.AvailabilityZone),
		PubliclyAccessible:   aws.Bool(r.PubliclyAccessible),
		Tags:                 tags(r.Tags),
	})
	var exists *types.DBInstanceAlreadyExistsFault
	if errors.As(err, &exists) {
		return nil
	}
	if err != nil {
		return wrap("create db instance "+r.Identifier+" in cluster "+r.Source, err)
	}
	return nil
}

// writerIdentifier names the writer instance the provider makes for the cluster id: the
// cluster's identifier and "-w", cut and told apart by a hash when that would be too long.
// (Clusters made before the provider named writers have theirs already.)
func writerIdentifier(id string) string {
	const suffix = "-w"
	if len(id)+len(suffix) <= maxIdentifier {
		return id + suffix
	}
	sum := sha256.Sum256([]byte(id))
	hash := hex.EncodeToString(sum[:])[:8]
	prefix := strings.TrimRight(id[:maxIdentifier-len(suffix)-len(hash)-1], "-")
	return prefix + "-" + hash + suffix
}

// maxIdentifier is RDS's limit for DBInstanceIdentifier.
const maxIdentifier = 63

// updateCluster applies changes to the Aurora database identifier: cluster-wide fields in one
// ModifyDBCluster (at once for a master password, which an instance applies at once too),
// the instance class to its writer.
func (p *Provider) updateCluster(ctx context.Context, identifier string, c cloud.Changes, opts cloud.UpdateOptions) error {
	if c.InstanceClass != nil {
		cl, found, err := p.describeCluster(ctx, identifier)
		if err != nil {
			return err
		}
		if writer := writerOf(cl); found && writer != "" {
			if _, err := p.api.ModifyDBInstance(ctx, &awsrds.ModifyDBInstanceInput{
				DBInstanceIdentifier: aws.String(writer), DBInstanceClass: c.InstanceClass, ApplyImmediately: aws.Bool(opts.ApplyImmediately),
			}); err != nil {
				return wrap("modify db instance "+writer+" of cluster "+identifier, err)
			}
		}
	}
	in := &awsrds.ModifyDBClusterInput{
		DBClusterIdentifier:   aws.String(identifier),
		ApplyImmediately:      aws.Bool(opts.ApplyImmediately || c.MasterPassword != nil),
		EngineVersion:         c.EngineVersion,
		BackupRetentionPeriod: c.BackupRetentionDays,
		PreferredBackupWindow: c.BackupWindow,
		VpcSecurityGroupIds:   c.SecurityGroupIDs,
		MasterUserPassword:    c.MasterPassword,
		CopyTagsToSnapshot:    c.CopyTagsToSnapshots,
		// Applied at once, whatever ApplyImmediately says.
		CloudwatchLogsExportConfiguration: logExports(c),
		DeletionProtection:                c.DeletionProtection,
		PreferredMaintenanceWindow:        c.MaintenanceWindow,
		// One of the three cluster settings that wait for the maintenance window unless
		// applied immediately.
		EnableIAMDatabaseAuthentication: c.IAMAuthentication,
	}
	if in.EngineVersion == nil && in.BackupRetentionPeriod == nil && in.PreferredBackupWindow == nil &&
		in.VpcSecurityGroupIds == nil && in.MasterUserPassword == nil && in.CopyTagsToSnapshot == nil &&
		in.CloudwatchLogsExportConfiguration == nil && in.DeletionProtection == nil && in.PreferredMaintenanceWindow == nil &&
		in.EnableIAMDatabaseAuthentication == nil {
		return nil
	}
	if opts.AllowMajorVersionUpgrade {
		in.AllowMajorVersionUpgrade = aws.Bool(true)
	}
	if u := c.UpgradeParameters; u != nil && c.EngineVersion != nil {
		group, err := p.prepareUpgrade(ctx, *u, *c.EngineVersion)
		if err != nil {
			return err
		}
		in.DBClusterParameterGroupName = group
	}
	if _, err := p.api.ModifyDBCluster(ctx, in); err != nil {
		return wrap("modify db cluster "+identifier, err)
	}
	return nil
}

// deleteCluster deletes the Aurora database identifier: its writer, then the cluster, with a
// final cluster snapshot when asked (RDS deletes a cluster once its instances are deleting).
// Instances other than the writer (readers the caller has not deleted, another owner's) hold
// it back: an ErrBusy error says so.
func (p *Provider) deleteCluster(ctx context.Context, identifier string, opts cloud.DeleteOptions) error {
	// Once its writer is being deleted RDS takes the cluster's delete: most passes need that
	// one call, so it goes first. A pass that makes two calls about one database under the
	// rate limit would see the second deferred again and again.
	if in := opts.Observed; in != nil && len(in.Members) > 0 {
		// What the caller has just seen decides the one call this pass needs, most of the
		// time: the writer's delete, or the cluster's once the writer is going.
		members := make([]clusterMember, len(in.Members))
		for i, m := range in.Members {
			members[i] = clusterMember{id: m.Identifier, writer: m.Writer, deleting: m.Deleting}
		}
		writer, err := ownWriter(identifier, members)
		if err != nil {
			return err
		}
		if writer != nil && !writer.deleting {
			if err := p.deleteWriter(ctx, identifier, writer.id); err != nil {
				return err
			}
		}
		return p.deleteClusterCall(ctx, identifier, opts)
	}
	err := p.deleteClusterCall(ctx, identifier, opts)
	if !errors.Is(err, cloud.ErrBusy) {
		return err
	}
	// Busy: an instance in it is not being deleted yet, or the cluster's state forbids it.
	c, found, derr := p.describeCluster(ctx, identifier)
	if derr != nil || !found || aws.ToString(c.Status) == statusDeleting {
		return derr
	}
	members := make([]clusterMember, len(c.DBClusterMembers))
	for i, m := range c.DBClusterMembers {
		members[i] = clusterMember{id: aws.ToString(m.DBInstanceIdentifier), writer: aws.ToBool(m.IsClusterWriter)}
	}
	writer, werr := ownWriter(identifier, members)
	if werr != nil {
		return werr
	}
	if writer == nil {
		return err // no instance to delete: the cluster's own state holds the delete back
	}
	if err := p.deleteWriter(ctx, identifier, writer.id); err != nil {
		return err
	}
	return p.deleteClusterCall(ctx, identifier, opts)
}

// clusterMember is an instance of a cluster as a delete sees it.
type clusterMember struct {
	id               string
	writer, deleting bool
}

// ownWriter picks, among a cluster's members, the writer the provider may delete with the
// cluster: the one it made (its name, flagged or not, as while RDS fails over), or the
// flagged writer of a cluster made before the provider named writers when it is the only
// instance. Any other instance (a reader the caller has not deleted, another owner's
// instance a failover made the writer) holds the delete back: an ErrBusy error says so.
func ownWriter(identifier string, members []clusterMember) (*clusterMember, error) {
	var own *clusterMember
	for i, m := range members {
		switch {
		case m.id == writerIdentifier(identifier):
			own = &members[i]
		case m.writer && len(members) == 1:
			own = &members[i]
		default:
			return nil, &cloud.Error{Op: "delete db cluster " + identifier, Code: "InvalidDBClusterStateFault", Kind: cloud.ErrBusy,
				Message: "the cluster still has instance " + m.id + " besides its writer: RDS deletes a cluster only once they are gone"}
		}
	}
	return own, nil
}

// deleteWriter deletes the writer instance of the cluster identifier; one gone, or being
// deleted already, is success.
func (p *Provider) deleteWriter(ctx context.Context, identifier, writer string) error {
	_, err := p.api.DeleteDBInstance(ctx, &awsrds.DeleteDBInstanceInput{DBInstanceIdentifier: aws.String(writer), SkipFinalSnapshot: aws.Bool(true)})
	var notFound *types.DBInstanceNotFoundFault
	if err == nil || errors.As(err, &notFound) {
		return nil
	}
	if err = wrap("delete db instance "+writer+" of cluster "+identifier, err); errors.Is(err, cloud.ErrBusy) {
		return nil // deleting already; the cluster's delete says whether it may go
	}
	return err
}

// deleteClusterCall is DeleteDBCluster, with a final snapshot when opts name one; a cluster
// already gone is success.
func (p *Provider) deleteClusterCall(ctx context.Context, identifier string, opts cloud.DeleteOptions) error {
	in := &awsrds.DeleteDBClusterInput{DBClusterIdentifier: aws.String(identifier)}
	if opts.FinalSnapshotIdentifier == "" {
		in.SkipFinalSnapshot = aws.Bool(true)
	} else {
		in.FinalDBSnapshotIdentifier = aws.String(opts.FinalSnapshotIdentifier)
	}
	_, err := p.api.DeleteDBCluster(ctx, in)
	var notFound *types.DBClusterNotFoundFault
	if err == nil || errors.As(err, &notFound) {
		return nil
	}
	return wrap("delete db cluster "+identifier, err)
}

// An Aurora database's snapshots are DB cluster snapshots, behind the same methods.

// createClusterSnapshot asks for a manual snapshot of the cluster id; one with the name
// existing already is success.
func (p *Provider) createClusterSnapshot(ctx context.Context, id, snapshot string, t map[string]string) error {
	_, err := p.api.CreateDBClusterSnapshot(ctx, &awsrds.CreateDBClusterSnapshotInput{
		DBClusterIdentifier: aws.String(id), DBClusterSnapshotIdentifier: aws.String(snapshot), Tags: tags(t),
	})
	var exists *types.DBClusterSnapshotAlreadyExistsFault
	if err == nil || errors.As(err, &exists) {
		return nil
	}
	err = wrap("create cluster snapshot "+snapshot+" of "+id, err)
	if errors.Is(err, cloud.ErrBusy) {
		if _, found, serr := p.clusterSnapshot(ctx, snapshot); serr == nil && found {
			return nil
		}
	}
	return err
}

// clusterSnapshots lists cluster snapshots as in asks, every page.
func (p *Provider) clusterSnapshots(ctx context.Context, in *awsrds.DescribeDBClusterSnapshotsInput) ([]cloud.Snapshot, error) {
	var out []cloud.Snapshot
	in.MaxRecords = aws.Int32(listPageSize)
	pages := awsrds.NewDescribeDBClusterSnapshotsPaginator(p.api, in)
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, wrap("list cluster snapshots of "+aws.ToString(in.DBClusterIdentifier), err)
		}
		for _, s := range page.DBClusterSnapshots {
			out = append(out, clusterSnapshotOf(s))
		}
	}
	return out, nil
}

// clusterSnapshot reports the cluster snapshot with the identifier or ARN, false when the
// account cannot see it.
func (p *Provider) clusterSnapshot(ctx context.Context, id string) (cloud.Snapshot, bool, error) {
	in := &awsrds.DescribeDBClusterSnapshotsInput{DBClusterSnapshotIdentifier: aws.String(id)}
	if strings.HasPrefix(id, "arn:") {
		in.IncludeShared = aws.Bool(true)
	}
	out, err := p.api.DescribeDBClusterSnapshots(ctx, in)
	var notFound *types.DBClusterSnapshotNotFoundFault
	switch {
	case errors.As(err, &notFound), err == nil && len(out.DBClusterSnapshots) == 0:
		return cloud.Snapshot{}, false, nil
	case err != nil:
		return cloud.Snapshot{}, false, wrap("describe cluster snapshot "+id, err)
	}
	return clusterSnapshotOf(out.DBClusterSnapshots[0]), true, nil
}

// deleteClusterSnapshot deletes a manual cluster snapshot; one already gone is success.
func (p *Provider) deleteClusterSnapshot(ctx context.Context, snapshot string) error {
	_, err := p.api.DeleteDBClusterSnapshot(ctx, &awsrds.DeleteDBClusterSnapshotInput{DBClusterSnapshotIdentifier: aws.String(snapshot)})
	var notFound *types.DBClusterSnapshotNotFoundFault
	if err == nil || errors.As(err, &notFound) {
		return nil
	}
	return wrap("delete cluster snapshot "+snapshot, err)
}

func clusterSnapshotOf(s types.DBClusterSnapshot) cloud.Snapshot {
	snap := cloud.Snapshot{
		Identifier: aws.ToString(s.DBClusterSnapshotIdentifier), ARN: aws.ToString(s.DBClusterSnapshotArn), Status: aws.ToString(s.Status),
		Available: aws.ToString(s.Status) == snapshotAvailable, CreatedAt: aws.ToTime(s.SnapshotCreateTime), Tags: map[string]string{},
	}
	for _, t := range s.TagList {
		snap.Tags[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	return snap
}
