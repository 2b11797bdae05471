package cloudnativepg

import (
	"context"
	"encoding/json"
	"maps"
	"slices"
	"strings"

	cnpgv1 "github.com/cloudnative-pg/api/pkg/api/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/matrixmind-cloud/aws-rds-operator/internal/cloud"
)

// AnnotationReaders lists, as JSON, the readers asked of a Cluster (CreateReplica) with
// their tags: each one is one more instance of the Cluster than the class's instances, a
// standby serving reads at the Cluster's -ro Service.
const AnnotationReaders = "matrixmind.cloud/readers"

// readersOf returns Cluster c's readers with their tags.
func readersOf(c *cnpgv1.Cluster) map[string]map[string]string {
	readers := map[string]map[string]string{}
	if raw := c.Annotations[AnnotationReaders]; raw != "" {
		_ = json.Unmarshal([]byte(raw), &readers)
	}
	return readers
}

// readerInstances are Cluster c's readers as databases: each is ready once the Cluster has
// as many ready instances as the class's plus the readers up to it, in identifier order.
func (p *Provider) readerInstances(c *cnpgv1.Cluster, primary cloud.Instance) []cloud.Instance {
	readers := readersOf(c)
	ids := slices.Sorted(maps.Keys(readers))
	out := make([]cloud.Instance, 0, len(ids))
	for i, id := range ids {
		in := cloud.Instance{
			Identifier: id, ARN: primary.ARN + "#" + id, Status: primary.Status, Phase: primary.Phase,
			Engine: primary.Engine, EngineVersion: primary.EngineVersion, AllocatedStorageGiB: primary.AllocatedStorageGiB,
			MasterUser: primary.MasterUser, ReplicaSource: primary.Identifier, Tags: readers[id], Port: port, ServerCA: primary.ServerCA,
		}
		if c.Status.ReadyInstances < int(p.cfg.Instances)+i+1 && in.Phase.Serving() {
			in.Phase, in.Status = cloud.PhaseCreating, "Creating a new replica"
		}
		if in.Phase.Serving() {
			in.Endpoint = primary.ReaderEndpoint
		}
		out = append(out, in)
	}
	return out
}

// instances is how many instances a Cluster with readers runs.
func (p *Provider) instances(readers int) int {
	return int(p.cfg.Instances) + readers
}

// CreateReplica implements cloud.Provider: one more standby of the source's Cluster.
func (p *Provider) CreateReplica(ctx context.Context, r cloud.Replica) error {
	op := "add reader " + r.Identifier + " to " + r.Source
	if r.InstanceClass != "" {
		return &cloud.Error{Op: op, Code: "NotOffered", Kind: cloud.ErrUnsupported, Field: cloud.FieldInstanceClass,
			Message: "a CloudNativePG class offers no instance classes (a Cluster's resources are its Pods')"}
	}
	c, err := p.cluster(ctx, op, r.Source)
	if err != nil {
		return err
	}
	if c == nil {
		return &cloud.Error{Op: op, Code: "ClusterNotFound", Message: "no Cluster of " + r.Source}
	}
	readers := readersOf(c)
	if _, ok := readers[r.Identifier]; ok {
		return nil
	}
	readers[r.Identifier] = maps.Clone(r.Tags)
	return p.setReaders(ctx, op, c, readers)
}

// setReaders records Cluster c's readers and runs as many instances as they take.
func (p *Provider) setReaders(ctx context.Context, op string, c *cnpgv1.Cluster, readers map[string]map[string]string) error {
	raw, err := json.Marshal(readers)
	if err != nil {
		return &cloud.Error{Op: op, Code: "Invalid", Message: err.Error()}
	}
	next := c.DeepCopy()
	if next.Annotations == nil {
		next.Annotations = map[string]string{}
	}
	next.Annotations[AnnotationReaders] = string(raw)
	next.Spec.Instances = p.instances(len(readers))
	if err := p.cfg.Client.Patch(ctx, next, client.MergeFrom(c)); err != nil {
		return failed(op, err)
	}
	return nil
}

// readerCluster finds the Cluster id is a reader of; nil when id is no reader.
func (p *Provider) readerCluster(ctx context.Context, op, id string) (*cnpgv1.Cluster, error) {
	clusters, err := p.clusters(ctx, op, client.MatchingLabels{LabelManagedBy: ManagedBy})
	if err != nil {
		return nil, err
	}
	for i := range clusters {
		if _, ok := readersOf(&clusters[i])[id]; ok {
			return &clusters[i], nil
		}
	}
	return nil, nil
}

// observeReader reports the reader id, when it is one.
func (p *Provider) observeReader(ctx context.Context, id string) (cloud.Observation, error) {
	c, err := p.readerCluster(ctx, "observe "+id, id)
	if err != nil || c == nil {
		return cloud.Observation{}, err
	}
	primary, err := p.instance(ctx, c)
	if err != nil {
		return cloud.Observation{}, err
	}
	for _, in := range p.readerInstances(c, primary) {
		if in.Identifier == id {
			return cloud.Observation{Exists: true, Instance: in}, nil
		}
	}
	return cloud.Observation{}, nil
}

// deleteReader removes the reader id from its Cluster, one instance fewer; false when id is
// no reader.
func (p *Provider) deleteReader(ctx context.Context, id string) (bool, error) {
	op := "delete reader " + id
	c, err := p.readerCluster(ctx, op, id)
	if err != nil || c == nil {
		return false, err
	}
	readers := readersOf(c)
	delete(readers, id)
	return true, p.setReaders(ctx, op, c, readers)
}

// tagReader adds or overwrites tags on the reader named by arn (<cluster ARN>#<id>).
func (p *Provider) tagReader(ctx context.Context, arn string, tags map[string]string) error {
	_, id, _ := strings.Cut(arn, "#")
	op := "tag reader " + id
	c, err := p.readerCluster(ctx, op, id)
	if err != nil {
		return err
	}
	if c == nil {
		return &cloud.Error{Op: op, Code: "ReaderNotFound", Message: id + " is no reader of a Cluster"}
	}
	readers := readersOf(c)
	have := readers[id]
	next := maps.Clone(have)
	if next == nil {
		next = map[string]string{}
	}
	maps.Copy(next, tags)
	if owner, ok := have[ownerTag]; ok {
		next[ownerTag] = owner
	}
	if maps.Equal(next, have) {
		return nil
	}
	readers[id] = next
	return p.setReaders(ctx, op, c, readers)
}
