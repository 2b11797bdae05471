package gcp

import (
	"context"
	"fmt"
	"net/http"

	sqladmin "google.golang.org/api/sqladmin/v1"

	"github.com/matrixmind-cloud/aws-rds-operator/internal/cloud"
)

// Cloud SQL's read replicas are instances of their own, made by instances.insert with
// masterInstanceName: the replica reports masterInstanceName and its primary lists it in
// replicaNames, which Observe reports as ReplicaSource and ReplicaIDs. A replica has its
// primary's databaseVersion, users and passwords; it takes no backups. A primary must have
// automated backups on (and binary logging, on MySQL, which newInstance turns on with
// backups), and cannot be deleted while it has replicas (docs/cloudsql-facts.md).

// reasonReplicationMaster is Cloud SQL's refusal of an operation a primary cannot do
// while it has read replicas, such as its deletion.
const reasonReplicationMaster = "errorReplicationMasterInvalidOperation"

// CreateReplica implements cloud.Provider with instances.insert of a read replica of
// r.Source, in the provider's region. It reads the source first: the replica takes its
// databaseVersion (Cloud SQL wants the same) and its disk, which a replica's may not be
// smaller than. It is idempotent as Create is.
func (p *Provider) CreateReplica(ctx context.Context, r cloud.Replica) error {
	op := "create read replica " + r.Identifier + " of " + r.Source
	if _, ok := versionPrefix[r.Engine]; !ok {
		return unsupported(op, fmt.Sprintf("Cloud SQL runs PostgreSQL (postgres) and MySQL (mysql), not %q", r.Engine))
	}
	if len(r.SecurityGroupIDs) > 0 {
		return unsupported(op, "Cloud SQL has no security groups: access is by authorized networks and IAM")
	}
	if r.IAMAuthentication != nil && *r.IAMAuthentication {
		return unsupported(op, noIAMAuthentication)
	}
	source, err := p.svc.Instances.Get(p.project, r.Source).Context(ctx).Do()
	if err != nil {
		return wrap(op+": read the source", err)
	}
	db, err := p.newReplica(op, r, source)
	if err != nil {
		return err
	}
	_, err = p.svc.Instances.Insert(p.project, db).Context(ctx).Do()
	if hasReason(err, http.StatusConflict, reasonAlreadyExists) {
		return p.taken(ctx, op, r.Identifier, err)
	}
	if err != nil {
		return wrap(op, err)
	}
	return nil
}

// newReplica is the instances.insert request of read replica r of source, or the error
// that tells why Cloud SQL cannot make it. The replica's labels carry r's tags and its
// source's master user, which is its own too (the users are the primary's).
func (p *Provider) newReplica(op string, r cloud.Replica, source *sqladmin.DatabaseInstance) (*sqladmin.DatabaseInstance, error) {
	if engine, _ := engineVersion(source.DatabaseVersion); engine != r.Engine {
		return nil, invalid(op, fmt.Sprintf("the source %s runs %s, not %s", r.Source, source.DatabaseVersion, r.Engine))
	}
	internal := map[string]string{}
	if user := readLabels(labelsOf(source)).internal[keyMasterUser]; user != "" {
		internal[keyMasterUser] = user
	}
	labels, err := encodeLabels(r.Tags, internal)
	if err != nil {
		return nil, invalid(op, err.Error())
	}
	src := source.Settings
	if src == nil {
		src = &sqladmin.Settings{}
	}
	s := &sqladmin.Settings{
		Tier:            r.InstanceClass,
		DataDiskType:    src.DataDiskType,
		DataDiskSizeGb:  src.DataDiskSizeGb,
		IpConfiguration: &sqladmin.IpConfiguration{Ipv4Enabled: r.PubliclyAccessible, ForceSendFields: []string{"Ipv4Enabled"}},
		UserLabels:      labels,
	}
	if s.Tier == "" {
		s.Tier = src.Tier
	}
	if r.AvailabilityZone != "" {
		s.LocationPreference = &sqladmin.LocationPreference{Zone: r.AvailabilityZone}
	}
	return &sqladmin.DatabaseInstance{
		Name:               r.Identifier,
		Region:             p.region,
		DatabaseVersion:    source.DatabaseVersion,
		MasterInstanceName: r.Source,
		Settings:           s,
	}, nil
}
