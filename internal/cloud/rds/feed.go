package rds

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsrds "github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/rds/types"

	"github.com/matrixmind-cloud/aws-rds-operator/internal/cloud"
)

// RDS keeps the events of an account and region for 14 days, and DescribeEvents returns
// them from a given time in one paged call: which instance or cluster was created, modified,
// deleted, backed up, failed over, had its master password reset (docs/rds-events-facts.md).
// Read as a stream, it tells which databases changed at one call a minute, however many
// there are. AWS emits events on a best-effort basis and none for tag changes, so the
// operator still lists everything now and then (package observer).

// Feed implements cloud.Provider: RDS's events.
func (p *Provider) Feed() cloud.Feed { return p }

// passwordResetMessage begins the message of RDS-EVENT-0016, on DB instances and clusters.
const passwordResetMessage = "Reset master credentials"

// Changes implements cloud.Feed with a paged DescribeEvents from from to to: one call per
// hundred events. The end is always sent: without one, RDS's documented default is an hour. Events about snapshots, parameter groups and security groups name no
// database and are left out; a cluster's event teaches the provider that its identifier is
// a cluster's.
func (p *Provider) Changes(ctx context.Context, from, to time.Time) ([]cloud.Change, error) {
	var out []cloud.Change
	pages := awsrds.NewDescribeEventsPaginator(p.api, &awsrds.DescribeEventsInput{
		StartTime: aws.Time(from), EndTime: aws.Time(to), MaxRecords: aws.Int32(listPageSize),
	})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, wrap("describe events", err)
		}
		for _, e := range page.Events {
			switch e.SourceType {
			case types.SourceTypeDbCluster:
				p.clusters.add(aws.ToString(e.SourceIdentifier))
			case types.SourceTypeDbInstance:
			default:
				continue
			}
			msg := aws.ToString(e.Message)
			out = append(out, cloud.Change{
				At: aws.ToTime(e.Date), Identifier: aws.ToString(e.SourceIdentifier), What: msg,
				PasswordReset: strings.HasPrefix(msg, passwordResetMessage),
			})
		}
	}
	return out, nil
}

// ListSome implements cloud.Feed with DescribeDBInstances and DescribeDBClusters filtered by
// identifier, a hundred identifiers a call: the instances named, the clusters named or that
// a named instance is a member of (with their writers, whose state a cluster's database
// folds in).
func (p *Provider) ListSome(ctx context.Context, ids []string) ([]cloud.Instance, error) {
	byID, err := p.describeInstances(ctx, ids)
	if err != nil {
		return nil, err
	}
	// An identifier that is no instance is asked for as a cluster: the clusters the
	// provider knows of never decide an absence.
	var clusterIDs []string
	for _, id := range ids {
		if _, ok := byID[id]; !ok {
			clusterIDs = append(clusterIDs, id)
		}
	}
	for _, in := range byID {
		if c := aws.ToString(in.DBClusterIdentifier); c != "" && !slices.Contains(clusterIDs, c) {
			clusterIDs = append(clusterIDs, c)
		}
	}
	clusters, err := p.describeClusters(ctx, clusterIDs)
	if err != nil {
		return nil, err
	}
	var writers []string
	for _, c := range clusters {
		if w := writerOf(c); w != "" && byID[w] == nil {
			writers = append(writers, w)
		}
	}
	more, err := p.describeInstances(ctx, writers)
	if err != nil {
		return nil, err
	}
	out := make([]cloud.Instance, 0, len(byID)+len(clusters))
	for _, id := range ids {
		if in, ok := byID[id]; ok {
			out = append(out, instance(*in))
		}
	}
	for _, c := range clusters {
		writer := byID[writerOf(c)]
		if writer == nil {
			writer = more[writerOf(c)]
		}
		out = append(out, clusterDatabase(c, writer))
	}
	return out, nil
}

// describeInstances describes the instances with the identifiers, a hundred a call.
func (p *Provider) describeInstances(ctx context.Context, ids []string) (map[string]*types.DBInstance, error) {
	out := map[string]*types.DBInstance{}
	for chunk := range slices.Chunk(ids, listPageSize) {
		pages := awsrds.NewDescribeDBInstancesPaginator(p.api, &awsrds.DescribeDBInstancesInput{
			Filters: []types.Filter{{Name: aws.String("db-instance-id"), Values: chunk}}, MaxRecords: aws.Int32(listPageSize),
		})
		for pages.HasMorePages() {
			page, err := pages.NextPage(ctx)
			if err != nil {
				return nil, wrap("describe db instances", err)
			}
			for i, in := range page.DBInstances {
				out[aws.ToString(in.DBInstanceIdentifier)] = &page.DBInstances[i]
			}
		}
	}
	return out, nil
}

// describeClusters describes the clusters with the identifiers, a hundred a call.
func (p *Provider) describeClusters(ctx context.Context, ids []string) ([]types.DBCluster, error) {
	var out []types.DBCluster
	for chunk := range slices.Chunk(ids, listPageSize) {
		pages := awsrds.NewDescribeDBClustersPaginator(p.api, &awsrds.DescribeDBClustersInput{
			Filters: []types.Filter{{Name: aws.String("db-cluster-id"), Values: chunk}}, MaxRecords: aws.Int32(listPageSize),
		})
		for pages.HasMorePages() {
			page, err := pages.NextPage(ctx)
			if err != nil {
				return nil, wrap("describe db clusters", err)
			}
			for _, c := range page.DBClusters {
				p.clusters.add(aws.ToString(c.DBClusterIdentifier))
				out = append(out, c)
			}
		}
	}
	return out, nil
}
