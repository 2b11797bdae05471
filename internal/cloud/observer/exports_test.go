package observer

import (
	"context"
	"errors"
	"maps"
	"sync"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/matrixmind-cloud/aws-rds-operator/internal/cloud"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/cloud/cloudtest"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/cloud/rds"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/emulator"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/emulator/emulatortest"
)

const (
	exportBucket = "shop-exports"
	exportRole   = "arn:aws:iam::123456789012:role/rds-s3-export"
	exportKey    = "alias/shop-exports"
)

// newExporting starts an emulator without engines whose account holds an export bucket and
// key, with databases shop and shop-orders (owners ns/shop and ns/shop-orders) and an
// available manual snapshot of each, shop-weekly and shop-orders-daily.
func newExporting(t *testing.T) (cloud.Provider, *emulator.Emulator) {
	t.Helper()
	em := emulatortest.Serve(t, emulator.Config{NoEngine: true, Delays: emulatortest.FastDelays,
		Account: emulator.Account{Buckets: []string{exportBucket}, KMSAliases: []string{exportKey}}})
	p, err := rds.NewFromEnvironment(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	snapshots := map[string]string{"shop": "shop-weekly", "shop-orders": "shop-orders-daily"}
	for id := range snapshots {
		err := p.Create(ctx, cloud.Desired{
			Identifier: id, Engine: "postgres", EngineVersion: "17", InstanceClass: "db.t4g.micro",
			StorageType: "gp3", AllocatedStorageGiB: 20, BackupRetentionDays: 7, MasterUser: "sysadmin", MasterPassword: "Export-Password-1",
			Tags: map[string]string{"owner": "ns/" + id},
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	available := func() bool {
		list, err := p.List(ctx)
		return err == nil && len(list) == 2 && list[0].Phase == cloud.PhaseAvailable && list[1].Phase == cloud.PhaseAvailable
	}
	eventually(t, available)
	for id, snap := range snapshots {
		if err := p.CreateSnapshot(ctx, id, snap, nil); err != nil {
			t.Fatal(err)
		}
		eventually(t, func() bool {
			s, found, err := p.Snapshot(ctx, snap)
			return err == nil && found && s.Available
		})
	}
	eventually(t, available) // done backing up: the view holds still
	return p, em
}

// eventually polls cond until it holds, failing the test after ten seconds.
func eventually(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 10s")
		}
	}
}

// clock is a clock the test moves.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }

func (c *clock) advance(d time.Duration) { c.mu.Lock(); c.now = c.now.Add(d); c.mu.Unlock() }

func exportOf(id, snapshot string) cloud.ExportRequest {
	return cloud.ExportRequest{Identifier: id, Snapshot: snapshot, Bucket: exportBucket, Role: exportRole, KMSKeyID: exportKey}
}

// TestExportsCostNothingUnasked counts DescribeExportTasks over refreshes of the shared
// view: the exports are listed with the view only while someone asks for them.
func TestExportsCostNothingUnasked(t *testing.T) {
	p, em := newExporting(t)
	const interval = time.Minute
	type env struct {
		t     *testing.T
		o     *Observer
		clock *clock
	}
	refresh := func(e env) { e.o.Refresh(context.Background()) }
	exports := func(e env) {
		if _, err := e.o.Exports(context.Background()); err != nil {
			e.t.Fatalf("Exports: %v", err)
		}
	}
	quiet := func(e env) { e.clock.advance(2*interval + time.Second) }
	cases := map[string]struct {
		reason string
		steps  []func(env)
		want   int
	}{
		"NobodyAsks": {reason: "A fleet that exports nothing pays nothing for exports.",
			steps: []func(env){refresh, refresh, refresh}, want: 0},
		"FirstAskAsksOnce": {reason: "The first question before any refresh asks the cloud once; the next are answered from its list.",
			steps: []func(env){exports, exports, exports, exports}, want: 1},
		"AskedKeepsItListed": {reason: "While someone asks, each refresh lists the exports once, and questions cost nothing.",
			steps: []func(env){exports, refresh, exports, exports, refresh, refresh, exports, exports}, want: 1 + 3},
		"QuietSpellStopsIt": {reason: "Two Intervals without a question, refreshes stop listing exports.",
			steps: []func(env){exports, refresh, quiet, refresh, refresh}, want: 1 + 1},
		"AskingAgainResumes": {reason: "A question after a quiet spell asks the cloud once, and refreshes list exports again.",
			steps: []func(env){exports, refresh, quiet, refresh, exports, exports, refresh}, want: 1 + 1 + 1 + 1},
		"StartListsOnce": {reason: "An export started without asking makes the next refresh list the exports, and only it.",
			steps: []func(env){refresh, func(e env) {
				if err := e.o.StartExport(context.Background(), exportOf("unasked", "shop-weekly")); err != nil {
					e.t.Fatal(err)
				}
				e.clock.advance(time.Second)
			}, refresh, refresh, refresh}, want: 1},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			c := &clock{now: time.Unix(1_800_000_000, 0)}
			o := New(p, Options{Interval: interval, Busy: 10 * time.Millisecond, OwnerTag: "owner", Log: logr.Discard(), Now: c.Now})
			em.ResetStats()
			for _, step := range tc.steps {
				step(env{t: t, o: o, clock: c})
			}
			if got := em.Stats().Operations("DescribeExportTasks"); got != tc.want {
				t.Errorf("%s\n%d DescribeExportTasks, want %d", tc.reason, got, tc.want)
			}
		})
	}
}

// TestFirstExportsShareOneCall: the objects that all ask at once after a restart share one
// call.
func TestFirstExportsShareOneCall(t *testing.T) {
	p, em := newExporting(t)
	o := New(p, Options{Interval: time.Minute, Busy: 10 * time.Millisecond, Log: logr.Discard()})
	em.ResetStats()
	var wg sync.WaitGroup
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := o.Exports(context.Background()); err != nil {
				t.Errorf("Exports: %v", err)
			}
		}()
	}
	wg.Wait()
	if n := em.Stats().Operations("DescribeExportTasks"); n != 1 {
		t.Errorf("20 callers at once sent %d DescribeExportTasks, want 1", n)
	}
}

// TestStartedExportWakesItsOwner: an export the operator started is answered as running until
// a refresh shows it, and each refresh that shows it new or moved wakes the owner of the
// database whose snapshot it exports, and no one else.
func TestStartedExportWakesItsOwner(t *testing.T) {
	p, em := newExporting(t)
	ctx := context.Background()
	var mu sync.Mutex
	woken := map[string]int{}
	wokenSoFar := func() map[string]int { mu.Lock(); defer mu.Unlock(); return maps.Clone(woken) }
	o := New(p, Options{Interval: time.Minute, Busy: 10 * time.Millisecond, OwnerTag: "owner", Log: logr.Discard(),
		Changed: func(owner string) { mu.Lock(); woken[owner]++; mu.Unlock() }})
	o.Refresh(ctx)
	if _, err := o.Exports(ctx); err != nil {
		t.Fatal(err)
	}
	o.Refresh(ctx)

	if err := o.StartExport(ctx, exportOf("shop-orders-daily-export", "shop-orders-daily")); err != nil {
		t.Fatal(err)
	}
	em.ResetStats()
	pending, err := o.Exports(ctx)
	want := []cloud.Export{{Identifier: "shop-orders-daily-export", Snapshot: "shop-orders-daily", Phase: cloud.ExportRunning}}
	if diff := cmp.Diff(want, pending, cmpopts.IgnoreFields(cloud.Export{}, "Bucket", "Prefix", "StartedAt")); err != nil || diff != "" || em.Stats().Operations("DescribeExportTasks") != 0 {
		t.Errorf("after its own StartExport the list answers at once, without asking the cloud, with the export running (so that it is not asked for twice and nobody waits): err %v, %d calls, -want +got:\n%s",
			err, em.Stats().Operations("DescribeExportTasks"), diff)
	}
	o.Refresh(ctx)
	list, err := o.Exports(ctx)
	if err != nil || len(list) != 1 || list[0].Identifier != "shop-orders-daily-export" {
		t.Fatalf("the refresh after the start shows the export: %+v, %v", list, err)
	}
	if diff := cmp.Diff(map[string]int{"ns/shop-orders": 1}, wokenSoFar()); diff != "" {
		t.Errorf("the refresh that shows the export wakes the owner of shop-orders, not of shop: -want +got:\n%s", diff)
	}

	eventually(t, func() bool {
		o.Refresh(ctx)
		list, err := o.Exports(ctx)
		return err == nil && len(list) == 1 && list[0].Phase == cloud.ExportComplete
	})
	settled := wokenSoFar()
	if settled["ns/shop-orders"] < 2 || settled["ns/shop"] != 0 {
		t.Errorf("the export's progress wakes only its database's owner: %v", settled)
	}
	o.Refresh(ctx)
	if diff := cmp.Diff(settled, wokenSoFar()); diff != "" {
		t.Errorf("a finished export that does not move wakes no one: -before +after:\n%s", diff)
	}
}

func TestOwnerOfSnapshot(t *testing.T) {
	view := map[string]cloud.Instance{
		"shop":        {Identifier: "shop", Tags: map[string]string{"owner": "ns/shop"}},
		"shop-orders": {Identifier: "shop-orders", Tags: map[string]string{"owner": "ns/shop-orders"}},
	}
	cases := []struct {
		reason, arn, want string
	}{
		{"A snapshot named after its database and a hyphen.", "arn:aws:rds:us-east-1:123456789012:snapshot:shop-weekly", "ns/shop"},
		{"Of two databases that fit, the longer identifier is the database.", "arn:aws:rds:us-east-1:123456789012:snapshot:shop-orders-daily", "ns/shop-orders"},
		{"RDS's automated snapshots are rds:<database>-<time>.", "arn:aws:rds:us-east-1:123456789012:snapshot:rds:shop-orders-2026-12-01-03-00", "ns/shop-orders"},
		{"An Aurora database's snapshots are cluster snapshots.", "arn:aws:rds:us-east-1:123456789012:cluster-snapshot:shop-final", "ns/shop"},
		{"A snapshot named as its database.", "arn:aws:rds:us-east-1:123456789012:snapshot:shop", "ns/shop"},
		{"A name that only begins with an identifier is another database's.", "arn:aws:rds:us-east-1:123456789012:snapshot:shopping-daily", ""},
		{"A database the view does not hold has no owner here.", "arn:aws:rds:us-east-1:123456789012:snapshot:ledger-daily", ""},
		{"An export's identifier, the database's and a hash, for a cloud whose exports name no snapshot.", "shop-orders-84eb6d49", "ns/shop-orders"},
		{"No ARN, no owner.", "", ""},
	}
	for _, tc := range cases {
		if got := ownerOfSnapshot(view, tc.arn, "owner"); got != tc.want {
			t.Errorf("%s\nownerOfSnapshot(%q) = %q, want %q", tc.reason, tc.arn, got, tc.want)
		}
	}
}

func TestMayHaveStarted(t *testing.T) {
	cases := []struct {
		reason string
		err    error
		want   bool
	}{
		{"An export started.", nil, true},
		{"A call the rate limiter held back was not sent.", &cloud.WaitError{Op: "start export", After: time.Second}, false},
		{"A refusal starts nothing.", &cloud.Error{Code: "IamRoleNotFound"}, false},
		{"A snapshot not ready yet starts nothing.", &cloud.Error{Code: "InvalidExportSourceState", Kind: cloud.ErrBusy}, false},
		{"A cloud that does not export starts nothing.", &cloud.Error{Code: "Unsupported", Kind: cloud.ErrUnsupported}, false},
		{"A failed request may have started one whose answer was lost.", &cloud.Error{Code: "InternalFailure", Kind: cloud.ErrTransient}, true},
		{"So may a call that timed out.", context.DeadlineExceeded, true},
	}
	for _, tc := range cases {
		if got := mayHaveStarted(tc.err); got != tc.want {
			t.Errorf("%s\nmayHaveStarted(%v) = %t, want %t", tc.reason, tc.err, got, tc.want)
		}
	}
}

// TestStartThatDidNotHappen: a start whose answer was lost counts as running (no second
// start meanwhile), and the first list taken after it, which does not hold it, lets the
// owner ask again; a start by ARN is answered with the snapshot's name, colon and all.
func TestStartThatDidNotHappen(t *testing.T) {
	var listed []cloud.Export
	p := &cloudtest.Provider{
		ListFn:        func(context.Context) ([]cloud.Instance, error) { return nil, nil },
		ExportsFn:     func(context.Context) ([]cloud.Export, error) { return listed, nil },
		StartExportFn: func(context.Context, cloud.ExportRequest) error { return errors.New("connection reset") },
	}
	o := New(p, Options{Interval: time.Minute, Busy: 10 * time.Millisecond, OwnerTag: "owner", Log: logr.Discard()})
	ctx := context.Background()
	o.Refresh(ctx)
	if _, err := o.Exports(ctx); err != nil {
		t.Fatal(err)
	}
	r := exportOf("db-auto-export", "arn:aws:rds:us-east-1:123456789012:snapshot:rds:db-2026-12-02-03-10")
	if err := o.StartExport(ctx, r); err == nil {
		t.Fatal("the start's error was lost")
	}
	list, err := o.Exports(ctx)
	if err != nil || len(list) != 1 || list[0].Identifier != r.Identifier || list[0].Phase != cloud.ExportRunning || list[0].Snapshot != "rds:db-2026-12-02-03-10" {
		t.Fatalf("a start that may have happened: %+v, %v; want it running, named by its snapshot", list, err)
	}
	o.Refresh(ctx)
	if list, err := o.Exports(ctx); err != nil || len(list) != 0 {
		t.Errorf("the list taken after the start does not hold it: %+v, %v; want none, so that it is asked for again", list, err)
	}
}
