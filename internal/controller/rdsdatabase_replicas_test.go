package controller

import (
	"context"
	"slices"
	"testing"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/matrixmind-cloud/aws-rds-operator/api/v1"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/cloud"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/cloud/cloudtest"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/naming"
)

func TestLeastUsedSpreadsEvenly(t *testing.T) {
	zones := []string{"us-east-1a", "us-east-1b", "us-east-1c"}
	used := map[string]int{"us-east-1a": 1}
	var got []string
	for range 5 {
		z := leastUsed(zones, used)
		used[z]++
		got = append(got, z)
	}
	want := []string{"us-east-1b", "us-east-1c", "us-east-1a", "us-east-1b", "us-east-1c"}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("placements = %v, want %v (fewest first, ties in zone order)", got, want)
		}
	}
	if z := leastUsed(nil, used); z != "" {
		t.Errorf("no candidate zones: got %q, want \"\" (RDS picks)", z)
	}
}

func TestReplicaIdentifiersAreStableAndDistinct(t *testing.T) {
	seen := map[string]bool{naming.Identifier("shop", "orders"): true}
	for n := 1; n <= 15; n++ {
		id := naming.ReplicaIdentifier("shop", "orders", n)
		if seen[id] || len(id) > 63 || id != naming.ReplicaIdentifier("shop", "orders", n) {
			t.Errorf("replica %d: identifier %q is not stable, distinct and at most 63 characters", n, id)
		}
		seen[id] = true
	}
	wanted := map[string]int{"b": 2, "a": 10}
	if !replicaOrder(wanted, "b", "a") || !replicaOrder(wanted, "a", "zzz") || replicaOrder(wanted, "zzz", "b") {
		t.Errorf("replicaOrder: wanted replicas sort by number, before the others")
	}
}

// waitingCloud answers every Observe with a rate-limit wait and records deletes.
type waitingCloud struct {
	cloud.Provider
	deleted []string
}

func (w *waitingCloud) Observe(context.Context, string) (cloud.Observation, error) {
	return cloud.Observation{}, &cloud.WaitError{Op: "observe", Why: "test", After: time.Second}
}

func (w *waitingCloud) Delete(_ context.Context, id string, _ cloud.DeleteOptions) error {
	w.deleted = append(w.deleted, id)
	return nil
}

// TestReplicasNotYetSeenHoldBackThePrimary: a replica whose state the cloud view cannot tell
// yet must hold the primary's deletion back, or RDS would promote it into a leftover.
func TestReplicasNotYetSeenHoldBackThePrimary(t *testing.T) {
	c := &waitingCloud{}
	r := &RDSDatabaseReconciler{Cloud: c, Defaults: DefaultDefaults}
	s := placed(r, sampleDB())
	waiting, err := r.deleteOwnInstances(context.Background(), s, []string{"shop-orders-r1-abcd"})
	if err != nil || !waiting {
		t.Fatalf("deleteOwnInstances = %v, %v; want waiting, no error", waiting, err)
	}
	if len(c.deleted) != 0 {
		t.Errorf("deleted %v without knowing whose it is", c.deleted)
	}
}

// TestReconcileReaders: the readers phase on a fake cloud, for both kinds of readers (read
// replicas of an instance, reader instances of a database made of several), which the
// controller no longer tells apart but by what the cloud reports.
func TestReconcileReaders(t *testing.T) {
	const ns, name = "shop", "orders"
	owner := naming.Owner(ns, name)
	replica := func(n int) string { return naming.ReplicaIdentifier(ns, name, n) }
	member := func(n int) string { return naming.ClusterInstanceIdentifier(ns, name, n) }
	ours := map[string]string{v1.TagOwner: owner, v1.TagRole: v1.RoleReplica}
	reader := func(id string, phase cloud.Phase, class string, tags map[string]string) cloud.Instance {
		return cloud.Instance{Identifier: id, Phase: phase, Status: string(phase), InstanceClass: class, Endpoint: id + ".example", Port: 5432,
			AvailabilityZone: "us-east-1b", Tags: tags}
	}
	instancePrimary := cloud.Instance{Identifier: naming.Identifier(ns, name), Phase: cloud.PhaseAvailable, Status: "available", AvailabilityZone: "us-east-1a", Port: 5432}
	clusterPrimary := instancePrimary
	clusterPrimary.Members = []cloud.Member{{Identifier: member(1), Writer: true}}
	clusterPrimary.ReaderEndpoint = "readers.example"

	cases := []struct {
		name    string
		reason  string
		want    int32
		primary cloud.Instance
		readers []cloud.Instance
		// wantCreated, wantDeleted and wantUpdated are the identifiers the phase asked
		// the cloud to create, delete and change.
		wantCreated, wantDeleted, wantUpdated []string
		wantMembers                           int
		wantReader                            string
	}{
		{name: "NoneWanted", reason: "No readers asked for and none there: nothing is called.", primary: instancePrimary},
		{name: "ReplicaMade", reason: "A missing read replica is asked for under the first replica name.",
			want: 1, primary: instancePrimary, wantCreated: []string{replica(1)}},
		{name: "ClusterReaderSkipsTheWritersName", reason: "A database made of instances numbers its readers after the names its writer holds.",
			want: 1, primary: clusterPrimary, wantCreated: []string{member(2)}, wantMembers: 2},
		{name: "FailoverKeepsTheReaders", reason: "After a failover the writer holds the second name: the first is a reader, and nothing is made or deleted.",
			want: 1, primary: func() cloud.Instance {
				p := clusterPrimary
				p.Members = []cloud.Member{{Identifier: member(2), Writer: true}, {Identifier: member(1)}}
				p.ReplicaIDs = []string{member(1)}
				return p
			}(), readers: []cloud.Instance{reader(member(1), cloud.PhaseAvailable, "db.t4g.micro", map[string]string{v1.TagOwner: owner, v1.TagRole: v1.RoleClusterInstance})},
			wantMembers: 2, wantReader: "readers.example"},
		{name: "ExtraReaderDeleted", reason: "A reader numbered above the count is deleted.",
			want: 0, primary: func() cloud.Instance { p := instancePrimary; p.ReplicaIDs = []string{replica(1)}; return p }(),
			readers: []cloud.Instance{reader(replica(1), cloud.PhaseAvailable, "db.t4g.micro", ours)}, wantDeleted: []string{replica(1)}},
		{name: "ForeignReaderLeftAlone", reason: "A reader another object owns is never deleted, even when none are wanted.",
			want: 0, primary: func() cloud.Instance { p := instancePrimary; p.ReplicaIDs = []string{replica(1)}; return p }(),
			readers: []cloud.Instance{reader(replica(1), cloud.PhaseAvailable, "db.t4g.micro", map[string]string{v1.TagOwner: "other/db", v1.TagRole: v1.RoleReplica})}},
		{name: "ReaderClassFollows", reason: "A reader of another instance class is brought to the class asked.",
			want: 1, primary: func() cloud.Instance { p := instancePrimary; p.ReplicaIDs = []string{replica(1)}; return p }(),
			readers: []cloud.Instance{reader(replica(1), cloud.PhaseAvailable, "db.r6g.large", ours)}, wantUpdated: []string{replica(1)}, wantReader: replica(1) + ".example"},
		{name: "WaitsForAnAvailableDatabase", reason: "The cloud makes readers only of an available database: one backing up waits.",
			want: 1, primary: func() cloud.Instance { p := instancePrimary; p.Phase = cloud.PhaseBackingUp; return p }()},
		{name: "CloudReaderEndpoint", reason: "Where the cloud has a reader endpoint, the readers are reached through it.",
			want: 1, primary: func() cloud.Instance { p := clusterPrimary; p.ReplicaIDs = []string{member(2)}; return p }(),
			readers:     []cloud.Instance{reader(member(2), cloud.PhaseAvailable, "db.t4g.micro", ours)},
			wantMembers: 2, wantReader: "readers.example"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var created, deleted, updated []string
			byID := map[string]cloud.Instance{}
			for _, in := range tc.readers {
				byID[in.Identifier] = in
			}
			fake := &cloudtest.Provider{
				ObserveFn: func(_ context.Context, id string) (cloud.Observation, error) {
					in, ok := byID[id]
					return cloud.Observation{Exists: ok, Instance: in}, nil
				},
				CreateReplicaFn: func(_ context.Context, r cloud.Replica) error {
					if r.Source != tc.primary.Identifier || r.Engine != "postgres" {
						t.Errorf("%s\nreader %s of %s, engine %s; want a reader of %s with the database's engine", tc.reason, r.Identifier, r.Source, r.Engine, tc.primary.Identifier)
					}
					created = append(created, r.Identifier)
					return nil
				},
				DeleteFn: func(_ context.Context, id string, _ cloud.DeleteOptions) error {
					deleted = append(deleted, id)
					return nil
				},
				UpdateFn: func(_ context.Context, id string, _ cloud.Changes, _ cloud.UpdateOptions) error {
					updated = append(updated, id)
					return nil
				},
			}
			r := &RDSDatabaseReconciler{Cloud: fake, Defaults: DefaultDefaults, APIReader: noNodes{}}
			db := sampleDB()
			db.Spec.HighAvailability = &v1.HighAvailability{ReadReplicas: tc.want}
			s := placed(r, db)
			primary := tc.primary
			s.instance = &primary
			s.desired = cloud.Desired{Identifier: primary.Identifier, Engine: "postgres", InstanceClass: "db.t4g.micro"}
			if _, err := r.reconcileReplicas(context.Background(), s); err != nil {
				t.Fatalf("%s\nreconcileReplicas: %v", tc.reason, err)
			}
			for what, got := range map[string][2][]string{"created": {tc.wantCreated, created}, "deleted": {tc.wantDeleted, deleted}, "updated": {tc.wantUpdated, updated}} {
				if !slices.Equal(got[0], got[1]) {
					t.Errorf("%s\n%s %v, want %v", tc.reason, what, got[1], got[0])
				}
			}
			if len(db.Status.Members) != tc.wantMembers {
				t.Errorf("%s\nstatus.members %+v, want %d", tc.reason, db.Status.Members, tc.wantMembers)
			}
			if s.reader.host != tc.wantReader {
				t.Errorf("%s\nreaders reached at %q, want %q", tc.reason, s.reader.host, tc.wantReader)
			}
		})
	}
}

// noNodes is an API reader with no Nodes: the cloud picks the zones.
type noNodes struct{ client.Reader }

func (noNodes) List(context.Context, client.ObjectList, ...client.ListOption) error { return nil }
