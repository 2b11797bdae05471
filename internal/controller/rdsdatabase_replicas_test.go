package controller

import (
	"context"
	"testing"
	"time"

	"github.com/matrixmind-cloud/aws-rds-operator/internal/cloud"
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
