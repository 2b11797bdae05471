package observer

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/go-logr/logr"

	"github.com/matrixmind-cloud/aws-rds-operator/internal/cloud"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/cloud/rds"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/emulator"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/emulator/emulatortest"
)

const fleet = 200

// newFleet starts an emulator without engines holding fleet available databases, each
// tagged with its owner, and returns the real RDS provider pointed at it.
func newFleet(t *testing.T) (cloud.Provider, *emulator.Emulator) {
	t.Helper()
	em := emulatortest.Serve(t, emulator.Config{NoEngine: true, Delays: emulatortest.FastDelays})
	p, err := rds.NewFromEnvironment(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for i := 0; i < fleet; i++ {
		err := p.Create(ctx, cloud.Desired{
			Identifier: fmt.Sprintf("db-%03d", i), Engine: "postgres", EngineVersion: "17", InstanceClass: "db.t4g.micro",
			StorageType: "gp3", AllocatedStorageGiB: 20, BackupRetentionDays: 7, MasterUser: "sysadmin", MasterPassword: "Fleet-Password-1",
			Tags: map[string]string{"owner": fmt.Sprintf("ns/db-%03d", i)},
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		list, err := p.List(ctx)
		if err != nil {
			t.Fatal(err)
		}
		available := 0
		for _, in := range list {
			if in.Phase == cloud.PhaseAvailable {
				available++
			}
		}
		if available == fleet {
			return p, em
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("the fleet never became available")
	return nil, nil
}

// TestOneListServesTheFleet is the steady state of 200 databases: each refresh of the view
// is one paged DescribeDBInstances (two pages of 100), with Aurora clusters looked for now
// and then (there are none here), and every object's Observe is answered from it without a
// call of its own.
func TestOneListServesTheFleet(t *testing.T) {
	p, em := newFleet(t)
	ctx := context.Background()
	var mu sync.Mutex
	changed := map[string]int{}
	o := New(p, Options{Interval: time.Minute, Busy: 10 * time.Millisecond, OwnerTag: "owner", Log: logr.Discard(),
		Changed: func(owner string) { mu.Lock(); changed[owner]++; mu.Unlock() }})
	em.ResetStats()

	const resyncs = 3
	for r := 0; r < resyncs; r++ {
		o.Refresh(ctx)
		for i := 0; i < fleet; i++ { // every object reconciles once per resync
			obs, err := o.Observe(ctx, fmt.Sprintf("db-%03d", i))
			if err != nil || !obs.Exists || obs.Instance.Phase != cloud.PhaseAvailable {
				t.Fatalf("Observe(db-%03d) = %+v, %v", i, obs, err)
			}
		}
	}
	calls := em.Stats().Calls
	perResync := float64(em.Stats().Operations("DescribeDBInstances")) / resyncs
	t.Logf("%d databases: %.1f DescribeDBInstances per resync, %d calls in all over %d resyncs", fleet, perResync, len(em.Stats().Log), resyncs)
	if perResync > 3 {
		t.Errorf("%.1f calls per resync for %d settled databases, want at most 3", perResync, fleet)
	}
	for action, n := range calls {
		switch {
		case action == "DescribeDBClusters" && n <= 1:
		case action != "DescribeDBInstances":
			t.Errorf("%d %s calls in a steady state", n, action)
		}
	}
	if len(changed) != 0 {
		t.Errorf("settled databases reported as changed: %v", changed)
	}

	t.Run("ChangeWakesItsOwner", func(t *testing.T) {
		if err := em.Tamper("db-042", func(tp *emulator.Tampering) { tp.DBInstanceClass = "db.m7g.large" }); err != nil {
			t.Fatal(err)
		}
		o.Refresh(ctx)
		mu.Lock()
		defer mu.Unlock()
		if len(changed) != 1 || changed["ns/db-042"] != 1 {
			t.Errorf("changed = %v, want only ns/db-042 once", changed)
		}
	})

	t.Run("OperatorChangesWaitForTheSharedView", func(t *testing.T) {
		class := "db.r6g.large"
		if err := o.Update(ctx, "db-007", cloud.Changes{InstanceClass: &class}, cloud.UpdateOptions{ApplyImmediately: true}); err != nil {
			t.Fatal(err)
		}
		em.ResetStats()
		_, err := o.Observe(ctx, "db-007")
		if after, wait := cloud.RetryAfter(err); !wait || after <= 0 || em.Stats().Operations("DescribeDBInstances") != 0 {
			t.Errorf("after its own Update the operator must not answer from the older view nor ask the cloud about one database: err %v, %d calls",
				err, em.Stats().Operations("DescribeDBInstances"))
		}
		mu.Lock()
		delete(changed, "ns/db-007")
		mu.Unlock()
		o.Refresh(ctx) // shows db-007 modifying: the change is seen
		obs, err := o.Observe(ctx, "db-007")
		if err != nil || obs.Instance.Status != "modifying" || em.Stats().Operations("DescribeDBInstances") != fleet/100 {
			t.Errorf("the refresh that shows the change answers for it: status %q, %v, %d calls (want only the list's pages)",
				obs.Instance.Status, err, em.Stats().Operations("DescribeDBInstances"))
		}
		mu.Lock()
		defer mu.Unlock()
		if changed["ns/db-007"] != 1 {
			t.Errorf("the refresh that shows the change must wake its owner once: %v", changed)
		}
	})

	t.Run("AbsenceFromAFreshViewIsBelieved", func(t *testing.T) {
		em.ResetStats()
		obs, err := o.Observe(ctx, "db-not-there")
		if err != nil || obs.Exists || em.Stats().Operations("DescribeDBInstances") != 0 {
			t.Errorf("a database missing from a fresh view of the whole account is absent, without a call: %+v, %v, %d calls", obs, err, em.Stats().Operations("DescribeDBInstances"))
		}
	})

	t.Run("OtherShardsDoNotWake", func(t *testing.T) {
		mu.Lock()
		clear(changed)
		mu.Unlock()
		sharded := New(p, Options{Interval: time.Minute, Busy: 10 * time.Millisecond, OwnerTag: "owner", Log: logr.Discard(),
			Owns:    func(owner string) bool { return owner == "ns/db-001" },
			Changed: func(owner string) { mu.Lock(); changed[owner]++; mu.Unlock() }})
		sharded.Refresh(ctx)
		for _, id := range []string{"db-001", "db-002"} {
			if err := em.Tamper(id, func(tp *emulator.Tampering) { tp.DBInstanceClass = "db.m7g.xlarge" }); err != nil {
				t.Fatal(err)
			}
		}
		sharded.Refresh(ctx)
		mu.Lock()
		defer mu.Unlock()
		if len(changed) != 1 || changed["ns/db-001"] != 1 {
			t.Errorf("changed = %v, want only this shard's ns/db-001", changed)
		}
	})
}
