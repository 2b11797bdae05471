package rds

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/matrixmind-cloud/aws-rds-operator/internal/cloud"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/emulator"
)

// TestFeed reads RDS's events as changes against the emulator: what happened to which
// database, a console reset of the master password told apart, and ListSome looking at
// just the databases named (an Aurora cluster with its member), in one call per kind.
func TestFeed(t *testing.T) {
	p, em := newProvider(t)
	ctx := context.Background()
	start := time.Now().Add(-time.Second)
	orders, stock := desired(), desired()
	stock.Identifier = "shop-stock-5e6f7a8b"
	ledger := cloud.Desired{Identifier: "ledger-a1b2c3d4", Engine: "aurora-postgresql", EngineVersion: "16.6", InstanceClass: "db.r6g.large",
		BackupRetentionDays: 7, MasterUser: "sysadmin", MasterPassword: "Aurora-Password-1", StorageEncrypted: true}
	for _, d := range []cloud.Desired{orders, stock, ledger} {
		if err := p.Create(ctx, d); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, func() bool {
		obs, err := p.Observe(ctx, ledger.Identifier)
		return err == nil && obs.Exists && obs.Instance.Incomplete
	})
	if err := p.Complete(ctx, ledger); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{orders.Identifier, stock.Identifier, ledger.Identifier} {
		waitAvailable(t, p, id)
	}

	changes, err := p.Changes(ctx, start, time.Now().Add(time.Second))
	if err != nil {
		t.Fatal(err)
	}
	named := map[string]bool{}
	for _, c := range changes {
		named[c.Identifier] = true
		if c.PasswordReset || c.At.Before(start) || c.What == "" {
			t.Errorf("change %+v: a creation is no password reset, and it happened after the start", c)
		}
	}
	for _, id := range []string{orders.Identifier, stock.Identifier, ledger.Identifier, writerIdentifier(ledger.Identifier)} {
		if !named[id] {
			t.Errorf("the feed does not name %s, created since the start: %+v", id, changes)
		}
	}

	t.Run("ConsoleChanges", func(t *testing.T) {
		since := time.Now()
		err := em.Tamper(orders.Identifier, func(tp *emulator.Tampering) { tp.DBInstanceClass = "db.m7g.large" })
		if err != nil {
			t.Fatal(err)
		}
		if err := em.Tamper(stock.Identifier, func(tp *emulator.Tampering) { tp.MasterUserPassword = "Console-Reset-1" }); err != nil {
			t.Fatal(err)
		}
		changes, err := p.Changes(ctx, since, time.Now().Add(time.Second))
		if err != nil {
			t.Fatal(err)
		}
		var classChanged, reset bool
		for _, c := range changes {
			switch c.Identifier {
			case orders.Identifier:
				classChanged = classChanged || !c.PasswordReset
			case stock.Identifier:
				reset = reset || c.PasswordReset
			}
		}
		if !classChanged || !reset {
			t.Errorf("changes %+v: want the class change of %s and the password reset of %s", changes, orders.Identifier, stock.Identifier)
		}
	})

	t.Run("ListSome", func(t *testing.T) {
		em.ResetStats()
		got, err := p.ListSome(ctx, []string{orders.Identifier, writerIdentifier(ledger.Identifier), "deleted-long-ago"})
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, in := range got {
			ids = append(ids, in.Identifier)
			if in.Identifier == orders.Identifier && in.InstanceClass != "db.m7g.large" {
				t.Errorf("%s is listed with class %s, want the console's db.m7g.large", in.Identifier, in.InstanceClass)
			}
			if in.Identifier == ledger.Identifier && (in.InstanceClass != "db.r6g.large" || len(in.Members) != 1) {
				t.Errorf("the cluster is listed without its writer's state: %+v", in)
			}
		}
		slices.Sort(ids)
		want := []string{ledger.Identifier, writerIdentifier(ledger.Identifier), orders.Identifier}
		slices.Sort(want)
		if !slices.Equal(ids, want) {
			t.Errorf("ListSome listed %v, want %v (the instances named, the cluster of the member; nothing for a database that is gone)", ids, want)
		}
		st := em.Stats()
		if n, c := st.Operations("DescribeDBInstances"), st.Operations("DescribeDBClusters"); n != 1 || c != 1 {
			t.Errorf("%d DescribeDBInstances and %d DescribeDBClusters, want one of each (the writer was named; the identifier that is no instance is asked for with the cluster)", n, c)
		}
	})
}
