package rds

import (
	"context"
	"errors"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsrds "github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/rds/types"

	"github.com/matrixmind-cloud/aws-rds-operator/internal/cloud"
)

// ObserveCluster implements cloud.Provider. Like Observe, one call tells the state and, from
// the TagList, the owner.
func (p *Provider) ObserveCluster(ctx context.Context, identifier string) (cloud.ClusterObservation, error) {
	out, err := p.api.DescribeDBClusters(ctx, &awsrds.DescribeDBClustersInput{DBClusterIdentifier: aws.String(identifier)})
	var notFound *types.DBClusterNotFoundFault
	if errors.As(err, &notFound) {
		return cloud.ClusterObservation{}, nil
	}
	if err != nil {
		return cloud.ClusterObservation{}, wrap("describe db cluster "+identifier, err)
	}
	for _, c := range out.DBClusters {
		if aws.ToString(c.DBClusterIdentifier) == identifier {
			return cloud.ClusterObservation{Exists: true, Cluster: cluster(c)}, nil
		}
	}
	return cloud.ClusterObservation{}, nil
}

// CreateCluster implements cloud.Provider.
func (p *Provider) CreateCluster(ctx context.Context, d cloud.ClusterDesired) error {
	_, err := p.api.CreateDBCluster(ctx, &awsrds.CreateDBClusterInput{
		DBClusterIdentifier:   aws.String(d.Identifier),
		Engine:                aws.String(d.Engine),
		EngineVersion:         optional(d.EngineVersion),
		MasterUsername:        aws.String(d.MasterUser),
		MasterUserPassword:    aws.String(d.MasterPassword),
		BackupRetentionPeriod: aws.Int32(d.BackupRetentionDays),
		PreferredBackupWindow: optional(d.BackupWindow),
		StorageEncrypted:      aws.Bool(d.StorageEncrypted),
		KmsKeyId:              optional(d.KMSKeyID),
		DBSubnetGroupName:     optional(d.SubnetGroup),
		VpcSecurityGroupIds:   d.SecurityGroupIDs,
		Tags:                  tags(d.Tags),
		CopyTagsToSnapshot:    aws.Bool(true), // snapshots name their owner, as the cluster does
	})
	var exists *types.DBClusterAlreadyExistsFault
	if errors.As(err, &exists) {
		return nil
	}
	if err != nil {
		return wrap("create db cluster "+d.Identifier, err)
	}
	return nil
}

// CreateClusterInstance implements cloud.Provider.
func (p *Provider) CreateClusterInstance(ctx context.Context, in cloud.ClusterInstance) error {
	_, err := p.api.CreateDBInstance(ctx, &awsrds.CreateDBInstanceInput{
		DBInstanceIdentifier: aws.String(in.Identifier),
		DBClusterIdentifier:  aws.String(in.Cluster),
		Engine:               aws.String(in.Engine),
		DBInstanceClass:      aws.String(in.InstanceClass),
		AvailabilityZone:     optional(in.AvailabilityZone),
		PubliclyAccessible:   aws.Bool(in.PubliclyAccessible),
		Tags:                 tags(in.Tags),
	})
	var exists *types.DBInstanceAlreadyExistsFault
	if errors.As(err, &exists) {
		return nil
	}
	if err != nil {
		return wrap("create db instance "+in.Identifier+" in cluster "+in.Cluster, err)
	}
	return nil
}

// UpdateCluster implements cloud.Provider.
func (p *Provider) UpdateCluster(ctx context.Context, identifier string, c cloud.ClusterChanges, opts cloud.UpdateOptions) error {
	in := &awsrds.ModifyDBClusterInput{
		DBClusterIdentifier:   aws.String(identifier),
		ApplyImmediately:      aws.Bool(opts.ApplyImmediately),
		EngineVersion:         c.EngineVersion,
		BackupRetentionPeriod: c.BackupRetentionDays,
		PreferredBackupWindow: c.BackupWindow,
		VpcSecurityGroupIds:   c.SecurityGroupIDs,
		MasterUserPassword:    c.MasterPassword,
	}
	if opts.AllowMajorVersionUpgrade {
		in.AllowMajorVersionUpgrade = aws.Bool(true)
	}
	if _, err := p.api.ModifyDBCluster(ctx, in); err != nil {
		return wrap("modify db cluster "+identifier, err)
	}
	return nil
}

// DeleteCluster implements cloud.Provider.
func (p *Provider) DeleteCluster(ctx context.Context, identifier string, opts cloud.DeleteOptions) error {
	in := &awsrds.DeleteDBClusterInput{DBClusterIdentifier: aws.String(identifier)}
	if opts.FinalSnapshotIdentifier == "" {
		in.SkipFinalSnapshot = aws.Bool(true)
	} else {
		in.FinalDBSnapshotIdentifier = aws.String(opts.FinalSnapshotIdentifier)
	}
	_, err := p.api.DeleteDBCluster(ctx, in)
	var notFound *types.DBClusterNotFoundFault
	if errors.As(err, &notFound) {
		return nil
	}
	if err != nil {
		if _, wait := cloud.RetryAfter(err); !wait {
			if obs, oerr := p.ObserveCluster(ctx, identifier); oerr == nil && (!obs.Exists || obs.Cluster.Status == statusDeleting) {
				return nil
			}
		}
		return wrap("delete db cluster "+identifier, err)
	}
	return nil
}

func cluster(c types.DBCluster) cloud.Cluster {
	out := cloud.Cluster{
		Identifier:           aws.ToString(c.DBClusterIdentifier),
		ARN:                  aws.ToString(c.DBClusterArn),
		Status:               aws.ToString(c.Status),
		Phase:                phaseOf(aws.ToString(c.Status)),
		Engine:               aws.ToString(c.Engine),
		EngineVersion:        aws.ToString(c.EngineVersion),
		MasterUser:           aws.ToString(c.MasterUsername),
		Endpoint:             aws.ToString(c.Endpoint),
		ReaderEndpoint:       aws.ToString(c.ReaderEndpoint),
		Port:                 aws.ToInt32(c.Port),
		BackupRetentionDays:  aws.ToInt32(c.BackupRetentionPeriod),
		BackupWindow:         aws.ToString(c.PreferredBackupWindow),
		StorageEncrypted:     aws.ToBool(c.StorageEncrypted),
		KMSKeyID:             aws.ToString(c.KmsKeyId),
		Tags:                 map[string]string{},
		LatestRestorableTime: aws.ToTime(c.LatestRestorableTime),
		Region:               regionOf(aws.ToString(c.DBClusterArn)),
		AdminRole:            adminRoleOf(aws.ToString(c.Engine)),
	}
	for _, g := range c.VpcSecurityGroups {
		out.SecurityGroupIDs = append(out.SecurityGroupIDs, aws.ToString(g.VpcSecurityGroupId))
	}
	for _, m := range c.DBClusterMembers {
		out.Members = append(out.Members, cloud.ClusterMember{Identifier: aws.ToString(m.DBInstanceIdentifier), Writer: aws.ToBool(m.IsClusterWriter)})
	}
	if pm := c.PendingModifiedValues; pm != nil {
		out.Pending = cloud.ClusterChanges{EngineVersion: pm.EngineVersion, BackupRetentionDays: pm.BackupRetentionPeriod}
	}
	for _, t := range c.TagList {
		out.Tags[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	return out
}
