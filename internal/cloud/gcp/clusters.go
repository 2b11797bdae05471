package gcp

import (
	"context"

	"github.com/matrixmind-cloud/aws-rds-operator/internal/cloud"
)

// Cloud SQL has no Aurora: every cluster method is cloud.ErrUnsupported, and so are read
// replicas for now.

// noAurora is why the cluster methods fail.
const noAurora = "Cloud SQL has no Aurora clusters: use engine postgres or mysql"

// ObserveCluster implements cloud.Provider: cloud.ErrUnsupported.
func (p *Provider) ObserveCluster(_ context.Context, identifier string) (cloud.ClusterObservation, error) {
	return cloud.ClusterObservation{}, unsupported("describe db cluster "+identifier, noAurora)
}

// CreateCluster implements cloud.Provider: cloud.ErrUnsupported.
func (p *Provider) CreateCluster(_ context.Context, d cloud.ClusterDesired) error {
	return unsupported("create db cluster "+d.Identifier, noAurora)
}

// CreateClusterInstance implements cloud.Provider: cloud.ErrUnsupported.
func (p *Provider) CreateClusterInstance(_ context.Context, in cloud.ClusterInstance) error {
	return unsupported("create db instance "+in.Identifier+" in cluster "+in.Cluster, noAurora)
}

// UpdateCluster implements cloud.Provider: cloud.ErrUnsupported.
func (p *Provider) UpdateCluster(_ context.Context, identifier string, _ cloud.ClusterChanges, _ cloud.UpdateOptions) error {
	return unsupported("modify db cluster "+identifier, noAurora)
}

// DeleteCluster implements cloud.Provider: cloud.ErrUnsupported.
func (p *Provider) DeleteCluster(_ context.Context, identifier string, _ cloud.DeleteOptions) error {
	return unsupported("delete db cluster "+identifier, noAurora)
}

// CreateReplica implements cloud.Provider: cloud.ErrUnsupported. Cloud SQL has read
// replicas (instances.insert with masterInstanceName), but the emulator cannot serve one
// yet, and what the operator cannot test against it, it does not offer.
func (p *Provider) CreateReplica(_ context.Context, r cloud.Replica) error {
	return unsupported("create read replica "+r.Identifier+" of "+r.Source, "read replicas are not offered on Cloud SQL by this operator yet")
}

// PlanCluster implements cloud.Provider: an empty plan, since no cluster ever exists here
// to compare with (ObserveCluster is cloud.ErrUnsupported).
func (p *Provider) PlanCluster(cloud.Desired, cloud.Cluster, bool) cloud.ClusterPlan {
	return cloud.ClusterPlan{}
}
