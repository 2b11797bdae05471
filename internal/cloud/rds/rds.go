// Package rds implements cloud.Provider on Amazon RDS with the AWS SDK for Go v2.
//
// Credentials come from the SDK's default chain (environment, IRSA, EKS Pod Identity, instance
// metadata for kube2iam) and the endpoint from the SDK's own settings, so
// AWS_ENDPOINT_URL_RDS points it at a local emulator without a flag of ours.
package rds

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	awsrds "github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/rds/types"
	"github.com/aws/smithy-go"

	"github.com/matrixmind-cloud/aws-rds-operator/internal/cloud"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/metrics"
)

// API is the part of the RDS client the provider uses.
type API interface {
	CreateDBInstance(ctx context.Context, in *awsrds.CreateDBInstanceInput, opts ...func(*awsrds.Options)) (*awsrds.CreateDBInstanceOutput, error)
	CreateDBInstanceReadReplica(ctx context.Context, in *awsrds.CreateDBInstanceReadReplicaInput, opts ...func(*awsrds.Options)) (*awsrds.CreateDBInstanceReadReplicaOutput, error)
	DescribeDBInstances(ctx context.Context, in *awsrds.DescribeDBInstancesInput, opts ...func(*awsrds.Options)) (*awsrds.DescribeDBInstancesOutput, error)
	ModifyDBInstance(ctx context.Context, in *awsrds.ModifyDBInstanceInput, opts ...func(*awsrds.Options)) (*awsrds.ModifyDBInstanceOutput, error)
	DeleteDBInstance(ctx context.Context, in *awsrds.DeleteDBInstanceInput, opts ...func(*awsrds.Options)) (*awsrds.DeleteDBInstanceOutput, error)
	AddTagsToResource(ctx context.Context, in *awsrds.AddTagsToResourceInput, opts ...func(*awsrds.Options)) (*awsrds.AddTagsToResourceOutput, error)
	RestoreDBInstanceFromDBSnapshot(ctx context.Context, in *awsrds.RestoreDBInstanceFromDBSnapshotInput, opts ...func(*awsrds.Options)) (*awsrds.RestoreDBInstanceFromDBSnapshotOutput, error)
	RestoreDBClusterFromSnapshot(ctx context.Context, in *awsrds.RestoreDBClusterFromSnapshotInput, opts ...func(*awsrds.Options)) (*awsrds.RestoreDBClusterFromSnapshotOutput, error)
	CreateDBSnapshot(ctx context.Context, in *awsrds.CreateDBSnapshotInput, opts ...func(*awsrds.Options)) (*awsrds.CreateDBSnapshotOutput, error)
	DescribeDBSnapshots(ctx context.Context, in *awsrds.DescribeDBSnapshotsInput, opts ...func(*awsrds.Options)) (*awsrds.DescribeDBSnapshotsOutput, error)
	DeleteDBSnapshot(ctx context.Context, in *awsrds.DeleteDBSnapshotInput, opts ...func(*awsrds.Options)) (*awsrds.DeleteDBSnapshotOutput, error)
	CreateDBCluster(ctx context.Context, in *awsrds.CreateDBClusterInput, opts ...func(*awsrds.Options)) (*awsrds.CreateDBClusterOutput, error)
	DescribeDBClusters(ctx context.Context, in *awsrds.DescribeDBClustersInput, opts ...func(*awsrds.Options)) (*awsrds.DescribeDBClustersOutput, error)
	ModifyDBCluster(ctx context.Context, in *awsrds.ModifyDBClusterInput, opts ...func(*awsrds.Options)) (*awsrds.ModifyDBClusterOutput, error)
	DeleteDBCluster(ctx context.Context, in *awsrds.DeleteDBClusterInput, opts ...func(*awsrds.Options)) (*awsrds.DeleteDBClusterOutput, error)
	CreateDBClusterSnapshot(ctx context.Context, in *awsrds.CreateDBClusterSnapshotInput, opts ...func(*awsrds.Options)) (*awsrds.CreateDBClusterSnapshotOutput, error)
	DescribeDBClusterSnapshots(ctx context.Context, in *awsrds.DescribeDBClusterSnapshotsInput, opts ...func(*awsrds.Options)) (*awsrds.DescribeDBClusterSnapshotsOutput, error)
	DeleteDBClusterSnapshot(ctx context.Context, in *awsrds.DeleteDBClusterSnapshotInput, opts ...func(*awsrds.Options)) (*awsrds.DeleteDBClusterSnapshotOutput, error)
	StartExportTask(ctx context.Context, in *awsrds.StartExportTaskInput, opts ...func(*awsrds.Options)) (*awsrds.StartExportTaskOutput, error)
	DescribeExportTasks(ctx context.Context, in *awsrds.DescribeExportTasksInput, opts ...func(*awsrds.Options)) (*awsrds.DescribeExportTasksOutput, error)
	DescribeDBLogFiles(ctx context.Context, in *awsrds.DescribeDBLogFilesInput, opts ...func(*awsrds.Options)) (*awsrds.DescribeDBLogFilesOutput, error)
	DownloadDBLogFilePortion(ctx context.Context, in *awsrds.DownloadDBLogFilePortionInput, opts ...func(*awsrds.Options)) (*awsrds.DownloadDBLogFilePortionOutput, error)
	ListTagsForResource(ctx context.Context, in *awsrds.ListTagsForResourceInput, opts ...func(*awsrds.Options)) (*awsrds.ListTagsForResourceOutput, error)
	CreateDBParameterGroup(ctx context.Context, in *awsrds.CreateDBParameterGroupInput, opts ...func(*awsrds.Options)) (*awsrds.CreateDBParameterGroupOutput, error)
	DescribeDBParameterGroups(ctx context.Context, in *awsrds.DescribeDBParameterGroupsInput, opts ...func(*awsrds.Options)) (*awsrds.DescribeDBParameterGroupsOutput, error)
	DescribeDBParameters(ctx context.Context, in *awsrds.DescribeDBParametersInput, opts ...func(*awsrds.Options)) (*awsrds.DescribeDBParametersOutput, error)
	ModifyDBParameterGroup(ctx context.Context, in *awsrds.ModifyDBParameterGroupInput, opts ...func(*awsrds.Options)) (*awsrds.ModifyDBParameterGroupOutput, error)
	ResetDBParameterGroup(ctx context.Context, in *awsrds.ResetDBParameterGroupInput, opts ...func(*awsrds.Options)) (*awsrds.ResetDBParameterGroupOutput, error)
	DeleteDBParameterGroup(ctx context.Context, in *awsrds.DeleteDBParameterGroupInput, opts ...func(*awsrds.Options)) (*awsrds.DeleteDBParameterGroupOutput, error)
	RebootDBInstance(ctx context.Context, in *awsrds.RebootDBInstanceInput, opts ...func(*awsrds.Options)) (*awsrds.RebootDBInstanceOutput, error)
	CreateDBClusterParameterGroup(ctx context.Context, in *awsrds.CreateDBClusterParameterGroupInput, opts ...func(*awsrds.Options)) (*awsrds.CreateDBClusterParameterGroupOutput, error)
	DescribeDBClusterParameterGroups(ctx context.Context, in *awsrds.DescribeDBClusterParameterGroupsInput, opts ...func(*awsrds.Options)) (*awsrds.DescribeDBClusterParameterGroupsOutput, error)
	DescribeDBClusterParameters(ctx context.Context, in *awsrds.DescribeDBClusterParametersInput, opts ...func(*awsrds.Options)) (*awsrds.DescribeDBClusterParametersOutput, error)
	ModifyDBClusterParameterGroup(ctx context.Context, in *awsrds.ModifyDBClusterParameterGroupInput, opts ...func(*awsrds.Options)) (*awsrds.ModifyDBClusterParameterGroupOutput, error)
	ResetDBClusterParameterGroup(ctx context.Context, in *awsrds.ResetDBClusterParameterGroupInput, opts ...func(*awsrds.Options)) (*awsrds.ResetDBClusterParameterGroupOutput, error)
	DeleteDBClusterParameterGroup(ctx context.Context, in *awsrds.DeleteDBClusterParameterGroupInput, opts ...func(*awsrds.Options)) (*awsrds.DeleteDBClusterParameterGroupOutput, error)
	DescribeEvents(ctx context.Context, in *awsrds.DescribeEventsInput, opts ...func(*awsrds.Options)) (*awsrds.DescribeEventsOutput, error)
}

var _ cloud.Provider = (*Provider)(nil)

// Provider is cloud.Provider on Amazon RDS.
type Provider struct {
	api      API
	clusters *clusterIDs
	// creds sign IAM authentication tokens (LoginToken); nil where the Provider was made
	// from an API alone.
	creds aws.CredentialsProvider
	// aurora are the Aurora types' defaults; a field left empty is DefaultAurora's.
	aurora AuroraDefaults
}

// New returns a Provider using api.
func New(api API) *Provider {
	return &Provider{api: api, clusters: &clusterIDs{}}
}

// NewFromEnvironment returns a Provider configured the way every AWS tool is: the default
// credential chain, AWS_REGION, and AWS_ENDPOINT_URL_RDS when set.
func NewFromEnvironment(ctx context.Context) (*Provider, error) {
	return NewLimited(ctx, nil)
}

// NewLimited is NewFromEnvironment with every call, retries included, under limiter, the
// one the whole operator shares; nil sends calls unlimited.
func NewLimited(ctx context.Context, limiter *Limiter) (*Provider, error) {
	return NewInRegion(ctx, limiter, "")
}

// NewInRegion is NewLimited in region, or in the environment's region when region is "".
func NewInRegion(ctx context.Context, limiter *Limiter, region string) (*Provider, error) {
	var opts []func(*config.LoadOptions) error
	if region != "" {
		opts = append(opts, config.WithRegion(region))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("load AWS configuration: %w", err)
	}
	p := New(awsrds.NewFromConfig(cfg, func(o *awsrds.Options) {
		o.APIOptions = append(o.APIOptions, metrics.CountAWSCalls, limiter.Middleware)
	}))
	p.creds = cfg.Credentials
	return p, nil
}

// Observe implements cloud.Provider. It reads the tags from the describe answer's TagList,
// so one call tells both the state and the owner. An identifier that is no instance may be
// an Aurora cluster.
func (p *Provider) Observe(ctx context.Context, identifier string) (cloud.Observation, error) {
	if p.clusters.has(identifier) {
		return p.observeCluster(ctx, identifier)
	}
	out, err := p.api.DescribeDBInstances(ctx, &awsrds.DescribeDBInstancesInput{DBInstanceIdentifier: aws.String(identifier)})
	var notFound *types.DBInstanceNotFoundFault
	if errors.As(err, &notFound) {
		return p.observeCluster(ctx, identifier)
	}
	if err != nil {
		return cloud.Observation{}, wrap("describe db instance "+identifier, err)
	}
	for _, in := range out.DBInstances {
		if aws.ToString(in.DBInstanceIdentifier) == identifier {
			return cloud.Observation{Exists: true, Instance: instance(in)}, nil
		}
	}
	return cloud.Observation{}, nil
}

// listPageSize is the most DescribeDBInstances returns in one page.
const listPageSize = 100

// List implements cloud.Provider with paged DescribeDBInstances and DescribeDBClusters: one
// call per hundred instances and one per hundred Aurora clusters, tags included. Each
// cluster is a database of its own, with its writer's state folded in; its instances are
// listed too.
func (p *Provider) List(ctx context.Context) ([]cloud.Instance, error) {
	var out []cloud.Instance
	byID := map[string]*types.DBInstance{}
	pages := awsrds.NewDescribeDBInstancesPaginator(p.api, &awsrds.DescribeDBInstancesInput{MaxRecords: aws.Int32(listPageSize)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, wrap("list db instances", err)
		}
		for i, in := range page.DBInstances {
			out = append(out, instance(in))
			byID[aws.ToString(in.DBInstanceIdentifier)] = &page.DBInstances[i]
		}
	}
	clusters, err := p.listClusters(ctx)
	if err != nil {
		return nil, err
	}
	for _, c := range clusters {
		out = append(out, clusterDatabase(c, byID[writerOf(c)]))
	}
	return out, nil
}

// Create implements cloud.Provider.
func (p *Provider) Create(ctx context.Context, d cloud.Desired) error {
	if isAurora(d.Engine) {
		return p.createCluster(ctx, d)
	}
	group, err := p.createParameters(ctx, d)
	if err != nil {
		return err
	}
	if d.RestoreFromSnapshot != "" {
		return p.restore(ctx, d, group)
	}
	in := &awsrds.CreateDBInstanceInput{
		DBParameterGroupName:            group,
		MaxAllocatedStorage:             positive(autoscaling(d)),
		DBInstanceIdentifier:            aws.String(d.Identifier),
		Engine:                          aws.String(d.Engine),
		EngineVersion:                   aws.String(d.EngineVersion),
		DBInstanceClass:                 aws.String(d.InstanceClass),
		StorageType:                     aws.String(d.StorageType),
		AllocatedStorage:                aws.Int32(d.AllocatedStorageGiB),
		Iops:                            positive(d.IOPS),
		StorageThroughput:               positive(d.StorageThroughput),
		BackupRetentionPeriod:           aws.Int32(d.BackupRetentionDays),
		PreferredBackupWindow:           optional(d.BackupWindow),
		MasterUsername:                  aws.String(d.MasterUser),
		MasterUserPassword:              aws.String(d.MasterPassword),
		StorageEncrypted:                aws.Bool(d.StorageEncrypted),
		KmsKeyId:                        optional(d.KMSKeyID),
		DBSubnetGroupName:               optional(d.SubnetGroup),
		VpcSecurityGroupIds:             d.SecurityGroupIDs,
		PubliclyAccessible:              aws.Bool(d.PubliclyAccessible),
		MultiAZ:                         aws.Bool(d.MultiAZ),
		DeletionProtection:              d.DeletionProtection,
		PreferredMaintenanceWindow:      optional(d.MaintenanceWindow),
		AutoMinorVersionUpgrade:         d.AutoMinorVersionUpgrade,
		EnableIAMDatabaseAuthentication: d.IAMAuthentication,
		Tags:                            tags(d.Tags),
		// Snapshots, the final one included, carry the owner tag: it is what decides who
		// may restore them.
		CopyTagsToSnapshot:          aws.Bool(true),
		EnableCloudwatchLogsExports: d.LogExports,
	}
	_, err = p.api.CreateDBInstance(ctx, in)
	var exists *types.DBInstanceAlreadyExistsFault
	if errors.As(err, &exists) {
		return nil
	}
	if err != nil {
		return wrap("create db instance "+d.Identifier, err)
	}
	return nil
}

// restore makes the database from a snapshot. Version, retention and the master password
// come from the snapshot; the caller sets what differs afterwards.
func (p *Provider) restore(ctx context.Context, d cloud.Desired, group *string) error {
	_, err := p.api.RestoreDBInstanceFromDBSnapshot(ctx, &awsrds.RestoreDBInstanceFromDBSnapshotInput{
		DBParameterGroupName:            group,
		DBInstanceIdentifier:            aws.String(d.Identifier),
		DBSnapshotIdentifier:            aws.String(d.RestoreFromSnapshot),
		DBInstanceClass:                 aws.String(d.InstanceClass),
		StorageType:                     aws.String(d.StorageType),
		Iops:                            positive(d.IOPS),
		StorageThroughput:               positive(d.StorageThroughput),
		DBSubnetGroupName:               optional(d.SubnetGroup),
		VpcSecurityGroupIds:             d.SecurityGroupIDs,
		PubliclyAccessible:              aws.Bool(d.PubliclyAccessible),
		DeletionProtection:              d.DeletionProtection,
		AutoMinorVersionUpgrade:         d.AutoMinorVersionUpgrade,
		EnableIAMDatabaseAuthentication: d.IAMAuthentication,
		Tags:                            tags(d.Tags),
		CopyTagsToSnapshot:              aws.Bool(true),
		// The restored instance ships the logs the spec asks for, not its source's.
		EnableCloudwatchLogsExports: d.LogExports,
	})
	var exists *types.DBInstanceAlreadyExistsFault
	if errors.As(err, &exists) {
		return nil
	}
	if err != nil {
		return wrap("restore db instance "+d.Identifier+" from snapshot "+d.RestoreFromSnapshot, err)
	}
	return nil
}

// CreateReplica implements cloud.Provider: a read replica of an instance, or a reader
// instance in an Aurora cluster.
func (p *Provider) CreateReplica(ctx context.Context, r cloud.Replica) error {
	if isAurora(r.Engine) {
		return p.createClusterInstance(ctx, r)
	}
	_, err := p.api.CreateDBInstanceReadReplica(ctx, &awsrds.CreateDBInstanceReadReplicaInput{
		DBInstanceIdentifier:       aws.String(r.Identifier),
		SourceDBInstanceIdentifier: aws.String(r.Source),
		DBInstanceClass:            optional(r.InstanceClass),
		AvailabilityZone:           optional(r.AvailabilityZone),
		VpcSecurityGroupIds:        r.SecurityGroupIDs,
		PubliclyAccessible:         aws.Bool(r.PubliclyAccessible),
		// RDS makes a read replica without token logins unless asked: its source's users
		// who log in with tokens must reach it too.
		EnableIAMDatabaseAuthentication: r.IAMAuthentication,
		Tags:                            tags(r.Tags),
	})
	var exists *types.DBInstanceAlreadyExistsFault
	if errors.As(err, &exists) {
		return nil
	}
	if err != nil {
		return wrap("create read replica "+r.Identifier+" of "+r.Source, err)
	}
	return nil
}

// CreateSnapshot implements cloud.Provider.
func (p *Provider) CreateSnapshot(ctx context.Context, id, snapshot string, t map[string]string) error {
	if p.clusters.has(id) {
		return p.createClusterSnapshot(ctx, id, snapshot, t)
	}
	_, err := p.api.CreateDBSnapshot(ctx, &awsrds.CreateDBSnapshotInput{
		DBInstanceIdentifier: aws.String(id), DBSnapshotIdentifier: aws.String(snapshot), Tags: tags(t),
	})
	var exists *types.DBSnapshotAlreadyExistsFault
	if errors.As(err, &exists) {
		return nil
	}
	var notFound *types.DBInstanceNotFoundFault
	if errors.As(err, &notFound) {
		if _, found, cerr := p.describeCluster(ctx, id); cerr == nil && found {
			return p.createClusterSnapshot(ctx, id, snapshot, t)
		}
	}
	if err != nil {
		err = wrap("create snapshot "+snapshot+" of "+id, err)
		// RDS refuses a snapshot while the database is taking one, this very one too: a
		// retry of a call whose answer was lost finds it there, which is success.
		if errors.Is(err, cloud.ErrBusy) {
			if _, found, serr := p.Snapshot(ctx, snapshot); serr == nil && found {
				return nil
			}
		}
		return err
	}
	return nil
}

// Snapshot types, as DescribeDBSnapshots and DescribeDBClusterSnapshots filter by them.
const (
	snapshotManual    = "manual"
	snapshotAutomated = "automated"
)

// Snapshots implements cloud.Provider.
func (p *Provider) Snapshots(ctx context.Context, id string) ([]cloud.Snapshot, error) {
	return p.snapshotsOf(ctx, id, snapshotManual)
}

// AutomatedBackups implements cloud.Provider: the automated snapshots RDS takes of an
// instance in its backup window (or of an Aurora cluster), newest last.
func (p *Provider) AutomatedBackups(ctx context.Context, id string) ([]cloud.Snapshot, error) {
	out, err := p.snapshotsOf(ctx, id, snapshotAutomated)
	if err != nil {
		return nil, err
	}
	cloud.SortByCreation(out) // RDS promises no order
	return out, nil
}

// snapshotsOf lists the database's snapshots of a type, every page: DB snapshots of an
// instance, DB cluster snapshots of an Aurora cluster.
func (p *Provider) snapshotsOf(ctx context.Context, id, kind string) ([]cloud.Snapshot, error) {
	if p.clusters.has(id) {
		return p.clusterSnapshots(ctx, &awsrds.DescribeDBClusterSnapshotsInput{DBClusterIdentifier: aws.String(id), SnapshotType: aws.String(kind)})
	}
	var out []cloud.Snapshot
	pages := awsrds.NewDescribeDBSnapshotsPaginator(p.api, &awsrds.DescribeDBSnapshotsInput{
		DBInstanceIdentifier: aws.String(id), SnapshotType: aws.String(kind), MaxRecords: aws.Int32(listPageSize),
	})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, wrap("list "+kind+" snapshots of "+id, err)
		}
		for _, s := range page.DBSnapshots {
			out = append(out, snapshot(s))
		}
	}
	return out, nil
}

// Snapshot implements cloud.Provider. A snapshot shared from another account is named by
// its ARN, and RDS shows it only when shared ones are asked for.
func (p *Provider) Snapshot(ctx context.Context, id string) (cloud.Snapshot, bool, error) {
	in := &awsrds.DescribeDBSnapshotsInput{DBSnapshotIdentifier: aws.String(id)}
	if strings.HasPrefix(id, "arn:") {
		in.IncludeShared = aws.Bool(true)
	}
	out, err := p.api.DescribeDBSnapshots(ctx, in)
	var notFound *types.DBSnapshotNotFoundFault
	switch {
	case errors.As(err, &notFound), err == nil && len(out.DBSnapshots) == 0:
		return p.clusterSnapshot(ctx, id)
	case err != nil:
		return cloud.Snapshot{}, false, wrap("describe snapshot "+id, err)
	}
	return snapshot(out.DBSnapshots[0]), true, nil
}

func snapshot(s types.DBSnapshot) cloud.Snapshot {
	snap := cloud.Snapshot{
		Identifier: aws.ToString(s.DBSnapshotIdentifier), ARN: aws.ToString(s.DBSnapshotArn), Status: aws.ToString(s.Status),
		Available: aws.ToString(s.Status) == snapshotAvailable,
		CreatedAt: aws.ToTime(s.SnapshotCreateTime), Tags: map[string]string{},
	}
	for _, t := range s.TagList {
		snap.Tags[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	return snap
}

// DeleteSnapshot implements cloud.Provider.
func (p *Provider) DeleteSnapshot(ctx context.Context, snapshot string) error {
	_, err := p.api.DeleteDBSnapshot(ctx, &awsrds.DeleteDBSnapshotInput{DBSnapshotIdentifier: aws.String(snapshot)})
	var notFound *types.DBSnapshotNotFoundFault
	if errors.As(err, &notFound) {
		return p.deleteClusterSnapshot(ctx, snapshot)
	}
	if err != nil {
		return wrap("delete snapshot "+snapshot, err)
	}
	return nil
}

// Update implements cloud.Provider: one ModifyDBInstance, or the Aurora database's calls.
func (p *Provider) Update(ctx context.Context, identifier string, c cloud.Changes, opts cloud.UpdateOptions) error {
	if p.clusters.has(identifier) {
		return p.updateCluster(ctx, identifier, c, opts)
	}
	in := &awsrds.ModifyDBInstanceInput{
		DBInstanceIdentifier:            aws.String(identifier),
		ApplyImmediately:                aws.Bool(opts.ApplyImmediately),
		EngineVersion:                   c.EngineVersion,
		DBInstanceClass:                 c.InstanceClass,
		StorageType:                     c.StorageType,
		AllocatedStorage:                c.AllocatedStorageGiB,
		Iops:                            c.IOPS,
		StorageThroughput:               c.StorageThroughput,
		BackupRetentionPeriod:           c.BackupRetentionDays,
		PreferredBackupWindow:           c.BackupWindow,
		MasterUserPassword:              c.MasterPassword,
		VpcSecurityGroupIds:             c.SecurityGroupIDs,
		PubliclyAccessible:              c.PubliclyAccessible,
		MultiAZ:                         c.MultiAZ,
		CopyTagsToSnapshot:              c.CopyTagsToSnapshots,
		EnableIAMDatabaseAuthentication: c.IAMAuthentication,
		// RDS applies these at once, whatever ApplyImmediately says.
		DeletionProtection:                c.DeletionProtection,
		PreferredMaintenanceWindow:        c.MaintenanceWindow,
		AutoMinorVersionUpgrade:           c.AutoMinorVersionUpgrade,
		MaxAllocatedStorage:               c.MaxAllocatedStorageGiB,
		CloudwatchLogsExportConfiguration: logExports(c),
	}
	if opts.AllowMajorVersionUpgrade {
		in.AllowMajorVersionUpgrade = aws.Bool(true)
	}
	if u := c.UpgradeParameters; u != nil && c.EngineVersion != nil {
		group, err := p.prepareUpgrade(ctx, *u, *c.EngineVersion)
		if err != nil {
			return err
		}
		in.DBParameterGroupName = group
	}
	_, err := p.api.ModifyDBInstance(ctx, in)
	var notFound *types.DBInstanceNotFoundFault
	if errors.As(err, &notFound) {
		if _, found, cerr := p.describeCluster(ctx, identifier); cerr == nil && found {
			return p.updateCluster(ctx, identifier, c, opts)
		}
	}
	if err != nil {
		return wrap("modify db instance "+identifier, err)
	}
	return nil
}

// Tag implements cloud.Provider.
func (p *Provider) Tag(ctx context.Context, arn string, t map[string]string) error {
	if _, err := p.api.AddTagsToResource(ctx, &awsrds.AddTagsToResourceInput{ResourceName: aws.String(arn), Tags: tags(t)}); err != nil {
		return wrap("tag "+arn, err)
	}
	return nil
}

// Delete implements cloud.Provider: one DeleteDBInstance, or the Aurora database's calls.
func (p *Provider) Delete(ctx context.Context, identifier string, opts cloud.DeleteOptions) error {
	if p.clusters.has(identifier) {
		return p.deleteCluster(ctx, identifier, opts)
	}
	in := &awsrds.DeleteDBInstanceInput{DBInstanceIdentifier: aws.String(identifier)}
	if opts.FinalSnapshotIdentifier == "" {
		in.SkipFinalSnapshot = aws.Bool(true)
	} else {
		in.FinalDBSnapshotIdentifier = aws.String(opts.FinalSnapshotIdentifier)
	}
	_, err := p.api.DeleteDBInstance(ctx, in)
	var notFound *types.DBInstanceNotFoundFault
	if errors.As(err, &notFound) {
		return p.deleteCluster(ctx, identifier, opts)
	}
	if err != nil {
		// Already deleting is success; any other state the caller retries. A call the rate
		// limiter held back was not sent: nothing to look at.
		if _, wait := cloud.RetryAfter(err); !wait {
			if obs, oerr := p.Observe(ctx, identifier); oerr == nil && (!obs.Exists || obs.Instance.Status == statusDeleting) {
				return nil
			}
		}
		return wrap("delete db instance "+identifier, err)
	}
	return nil
}

func instance(in types.DBInstance) cloud.Instance {
	out := cloud.Instance{
		Identifier:              aws.ToString(in.DBInstanceIdentifier),
		ARN:                     aws.ToString(in.DBInstanceArn),
		Status:                  aws.ToString(in.DBInstanceStatus),
		Phase:                   phaseOf(aws.ToString(in.DBInstanceStatus)),
		Engine:                  aws.ToString(in.Engine),
		EngineVersion:           aws.ToString(in.EngineVersion),
		InstanceClass:           aws.ToString(in.DBInstanceClass),
		StorageType:             aws.ToString(in.StorageType),
		AllocatedStorageGiB:     aws.ToInt32(in.AllocatedStorage),
		IOPS:                    aws.ToInt32(in.Iops),
		StorageThroughput:       aws.ToInt32(in.StorageThroughput),
		BackupRetentionDays:     aws.ToInt32(in.BackupRetentionPeriod),
		MasterUser:              aws.ToString(in.MasterUsername),
		BackupWindow:            aws.ToString(in.PreferredBackupWindow),
		StorageEncrypted:        aws.ToBool(in.StorageEncrypted),
		KMSKeyID:                aws.ToString(in.KmsKeyId),
		PubliclyAccessible:      aws.ToBool(in.PubliclyAccessible),
		MultiAZ:                 aws.ToBool(in.MultiAZ),
		AvailabilityZone:        aws.ToString(in.AvailabilityZone),
		DeletionProtection:      aws.ToBool(in.DeletionProtection),
		MaintenanceWindow:       aws.ToString(in.PreferredMaintenanceWindow),
		AutoMinorVersionUpgrade: aws.ToBool(in.AutoMinorVersionUpgrade),
		IAMAuthentication:       aws.ToBool(in.IAMDatabaseAuthenticationEnabled),
		MaxAllocatedStorageGiB:  aws.ToInt32(in.MaxAllocatedStorage),
		Parameters:              parameterStatus(aws.ToString(in.DBInstanceIdentifier), in.DBParameterGroups),
		ReplicaSource:           aws.ToString(in.ReadReplicaSourceDBInstanceIdentifier),
		Tags:                    map[string]string{},
		LatestRestorableTime:    aws.ToTime(in.LatestRestorableTime),

		TagsCopiedToSnapshots: aws.ToBool(in.CopyTagsToSnapshot),
		Region:                regionOf(aws.ToString(in.DBInstanceArn)),
		AdminRole:             adminRoleOf(aws.ToString(in.Engine)),
		TokenRole:             tokenRoleOf(aws.ToString(in.Engine)),
	}
	if in.Endpoint != nil {
		out.Endpoint = aws.ToString(in.Endpoint.Address)
		out.Port = aws.ToInt32(in.Endpoint.Port)
	}
	if pm := in.PendingModifiedValues; pm != nil {
		out.Pending = cloud.Changes{
			EngineVersion:       pm.EngineVersion,
			InstanceClass:       pm.DBInstanceClass,
			StorageType:         pm.StorageType,
			AllocatedStorageGiB: pm.AllocatedStorage,
			IOPS:                pm.Iops,
			StorageThroughput:   pm.StorageThroughput,
			BackupRetentionDays: pm.BackupRetentionPeriod,
			MultiAZ:             pm.MultiAZ,
			IAMAuthentication:   pm.IAMDatabaseAuthenticationEnabled,
		}
		if l := pm.PendingCloudwatchLogsExports; l != nil {
			out.Pending.EnableLogExports, out.Pending.DisableLogExports = l.LogTypesToEnable, l.LogTypesToDisable
		}
	}
	if len(in.EnabledCloudwatchLogsExports) > 0 {
		out.LogExports = in.EnabledCloudwatchLogsExports
	}
	if len(in.ReadReplicaDBInstanceIdentifiers) > 0 {
		out.ReplicaIDs = in.ReadReplicaDBInstanceIdentifiers
	}
	if in.DBSubnetGroup != nil {
		out.SubnetGroup = aws.ToString(in.DBSubnetGroup.DBSubnetGroupName)
	}
	for _, g := range in.VpcSecurityGroups {
		out.SecurityGroupIDs = append(out.SecurityGroupIDs, aws.ToString(g.VpcSecurityGroupId))
	}
	for _, t := range in.TagList {
		out.Tags[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	return out
}

// logExports is the CloudwatchLogsExportConfiguration of c, nil when c does not change
// which logs are shipped.
func logExports(c cloud.Changes) *types.CloudwatchLogsExportConfiguration {
	if len(c.EnableLogExports) == 0 && len(c.DisableLogExports) == 0 {
		return nil
	}
	return &types.CloudwatchLogsExportConfiguration{EnableLogTypes: c.EnableLogExports, DisableLogTypes: c.DisableLogExports}
}

// optional returns nil for an empty string, so the field is left out of the request.
func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// positive is n for the SDK, nil when it is not set (zero).
func positive(n int32) *int32 {
	if n <= 0 {
		return nil
	}
	return &n
}

func tags(m map[string]string) []types.Tag {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]types.Tag, 0, len(keys))
	for _, k := range keys {
		out = append(out, types.Tag{Key: aws.String(k), Value: aws.String(m[k])})
	}
	return out
}

// wrap turns an SDK error into a *cloud.Error carrying the RDS error code, so the controller
// can name it in a condition without knowing the SDK.
func wrap(op string, err error) error {
	if after, ok := cloud.RetryAfter(err); ok { // not sent: the rate limiter gave a later turn
		var w *cloud.WaitError
		errors.As(err, &w)
		return &cloud.WaitError{Op: op, Why: w.Why, After: after}
	}
	var api smithy.APIError
	if errors.As(err, &api) {
		return &cloud.Error{Op: op, Code: api.ErrorCode(), Message: api.ErrorMessage(), Kind: errorKinds[api.ErrorCode()],
			Field: refusedField(api.ErrorCode(), api.ErrorMessage())}
	}
	return &cloud.Error{Op: op, Code: "RequestError", Message: err.Error(), Kind: cloud.ErrTransient}
}

// autoscaling is the MaxAllocatedStorage to create a database with: 0 (none) unless the
// maximum desired is above the storage.
func autoscaling(d cloud.Desired) int32 {
	if d.MaxAllocatedStorageGiB > d.AllocatedStorageGiB {
		return d.MaxAllocatedStorageGiB
	}
	return 0
}
