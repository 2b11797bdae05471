package controller

import (
	"testing"

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

func TestRegionOf(t *testing.T) {
	for arn, want := range map[string]string{
		"arn:aws:rds:us-east-1:123456789012:db:shop":      "us-east-1",
		"arn:aws:rds:eu-west-1:123456789012:cluster:shop": "eu-west-1",
		"": "", "not-an-arn": "",
	} {
		if got := regionOf(arn); got != want {
			t.Errorf("regionOf(%q) = %q, want %q", arn, got, want)
		}
	}
}
