package observer

import (
	"context"
	"maps"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/go-logr/logr"

	"github.com/matrixmind-cloud/aws-rds-operator/internal/cloud"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/cloud/cloudtest"
)

// fakeCloud is a cloud of databases with a feed, for the observer's tests: List and
// ListSome answer from dbs, Changes from changes, and each call is counted.
type fakeCloud struct {
	mu      sync.Mutex
	dbs     map[string]cloud.Instance
	changes []cloud.Change
	lists   int
	some    [][]string
	reads   int
	updates []string
}

func db(id, class string) cloud.Instance {
	return cloud.Instance{Identifier: id, Phase: cloud.PhaseAvailable, InstanceClass: class, Tags: map[string]string{"owner": "ns/" + id}}
}

func (f *fakeCloud) provider() *cloudtest.Provider {
	return &cloudtest.Provider{
		ListFn: func(context.Context) ([]cloud.Instance, error) {
			f.mu.Lock()
			defer f.mu.Unlock()
			f.lists++
			return slices.Collect(maps.Values(f.dbs)), nil
		},
		ListSomeFn: func(_ context.Context, ids []string) ([]cloud.Instance, error) {
			f.mu.Lock()
			defer f.mu.Unlock()
			f.some = append(f.some, ids)
			var out []cloud.Instance
			for _, id := range ids {
				if in, ok := f.dbs[id]; ok {
					out = append(out, in)
				}
			}
			return out, nil
		},
		ChangesFn: func(_ context.Context, since, _ time.Time) ([]cloud.Change, error) {
			f.mu.Lock()
			defer f.mu.Unlock()
			f.reads++
			var out []cloud.Change
			for _, c := range f.changes {
				if !c.At.Before(since) {
					out = append(out, c)
				}
			}
			return out, nil
		},
		UpdateFn: func(_ context.Context, id string, c cloud.Changes, _ cloud.UpdateOptions) error {
			f.mu.Lock()
			defer f.mu.Unlock()
			f.updates = append(f.updates, id)
			if c.MasterPassword != nil {
				f.changes = append(f.changes, cloud.Change{At: time.Now(), Identifier: id, What: "Reset master credentials", PasswordReset: true})
			}
			return nil
		},
	}
}

// do changes the cloud as someone at the console would: the database now, and the feed's
// record of it.
func (f *fakeCloud) do(c cloud.Change, in *cloud.Instance) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.changes = append(f.changes, c)
	if in != nil {
		f.dbs[in.Identifier] = *in
	}
}

func (f *fakeCloud) counts() (lists, reads int, some [][]string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.lists, f.reads, slices.Clone(f.some)
}

// woken collects the owners the observer wakes.
type woken struct {
	mu     sync.Mutex
	owners []string
}

func (w *woken) add(owner string) { w.mu.Lock(); w.owners = append(w.owners, owner); w.mu.Unlock() }
func (w *woken) take() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := w.owners
	w.owners = nil
	slices.Sort(out)
	return out
}

// TestFeedTakesIn is what one read of the feed does to the view, case by case: which
// databases are looked at again (one ListSome for all), which objects are woken, and which
// password resets the objects are told of.
func TestFeedTakesIn(t *testing.T) {
	now := time.Now()
	cases := []struct {
		reason string
		// own is when the operator set the master password of a, if it did.
		own time.Time
		// change is what happened to the cloud since the first list.
		change []cloud.Change
		after  map[string]cloud.Instance
		// listed is what ListSome is asked for; woken the owners woken; reset the
		// databases Observe reports a password reset of.
		listed []string
		woken  []string
		reset  []string
	}{
		{reason: "a class changed at the console: only that database is listed, its object woken",
			change: []cloud.Change{{At: now, Identifier: "a", What: "Finished applying modification to DB instance class"}},
			after:  map[string]cloud.Instance{"a": db("a", "db.m7g.xlarge")},
			listed: []string{"a"}, woken: []string{"ns/a"}},
		{reason: "an event that changed nothing the view holds wakes no one",
			change: []cloud.Change{{At: now, Identifier: "b", What: "Finished DB Instance backup"}},
			listed: []string{"b"}},
		{reason: "a database deleted at the console leaves the view and wakes its object",
			change: []cloud.Change{{At: now, Identifier: "b", What: "DB instance deleted"}},
			after:  map[string]cloud.Instance{"b": {}},
			listed: []string{"b"}, woken: []string{"ns/b"}},
		{reason: "two changes of one database and one of another: one ListSome of both",
			change: []cloud.Change{{At: now, Identifier: "a", What: "x"}, {At: now.Add(time.Second), Identifier: "a", What: "y"}, {At: now, Identifier: "c", What: "z"}},
			after:  map[string]cloud.Instance{"a": db("a", "db.m7g.xlarge"), "c": db("c", "db.m7g.xlarge")},
			listed: []string{"a", "c"}, woken: []string{"ns/a", "ns/c"}},
		{reason: "a password reset by someone else is reported, and wakes its object though nothing listed changed",
			change: []cloud.Change{{At: now, Identifier: "a", What: "Reset master credentials", PasswordReset: true}},
			listed: []string{"a"}, woken: []string{"ns/a"}, reset: []string{"a"}},
		{reason: "the operator's own reset, recorded by the cloud after it asked, is not reported",
			own:    now.Add(-2 * time.Second),
			change: []cloud.Change{{At: now, Identifier: "a", What: "Reset master credentials", PasswordReset: true}},
			listed: []string{"a"}},
		{reason: "a reset long after the operator's own is someone else's",
			own:    now.Add(-time.Hour),
			change: []cloud.Change{{At: now, Identifier: "a", What: "Reset master credentials", PasswordReset: true}},
			listed: []string{"a"}, woken: []string{"ns/a"}, reset: []string{"a"}},
		{reason: "a reset from before the operator started may be its own, before a restart: left to the login check",
			change: []cloud.Change{{At: now.Add(-2 * time.Minute), Identifier: "a", What: "Reset master credentials", PasswordReset: true}},
			listed: []string{"a"}},
		{reason: "a reset two minutes before the operator's own is someone else's (a minute is allowed for the clocks' difference)",
			own:    now.Add(2 * time.Minute),
			change: []cloud.Change{{At: now, Identifier: "a", What: "Reset master credentials", PasswordReset: true}},
			listed: []string{"a"}, woken: []string{"ns/a"}, reset: []string{"a"}},
	}
	for _, tc := range cases {
		t.Run(tc.reason, func(t *testing.T) {
			ctx := context.Background()
			f := &fakeCloud{dbs: map[string]cloud.Instance{"a": db("a", "db.t4g.micro"), "b": db("b", "db.t4g.micro"), "c": db("c", "db.t4g.micro")}}
			w := &woken{}
			clock := now.Add(-time.Minute) // the operator started a minute ago
			o := New(f.provider(), Options{Interval: time.Minute, Feed: time.Minute, SafetyNet: time.Hour, Busy: time.Second,
				OwnerTag: "owner", Log: logr.Discard(), Changed: w.add, Now: func() time.Time { return clock }})
			clock = now.Add(time.Second)
			o.Refresh(ctx)
			if !tc.own.IsZero() {
				o.ownResets["a"] = []time.Time{tc.own}
			}
			for _, c := range tc.change {
				var in *cloud.Instance
				if after, ok := tc.after[c.Identifier]; ok {
					in = &after
				}
				f.do(c, in)
				if in != nil && in.Identifier == "" {
					f.mu.Lock()
					delete(f.dbs, c.Identifier)
					f.mu.Unlock()
				}
			}
			named, reset := map[string]bool{}, map[string]bool{}
			o.fed(tc.change, map[cloud.Change]bool{}, named, reset)
			if err := o.refreshSome(ctx, named, reset); err != nil {
				t.Fatal(err)
			}

			lists, _, some := f.counts()
			if lists != 1 {
				t.Errorf("%d lists of every database, want the first one only", lists)
			}
			if len(some) != 1 || !slices.Equal(some[0], tc.listed) {
				t.Errorf("ListSome asked for %v, want one call for %v", some, tc.listed)
			}
			if got := w.take(); !slices.Equal(got, tc.woken) {
				t.Errorf("woken %v, want %v", got, tc.woken)
			}
			var resets []string
			for _, id := range []string{"a", "b", "c"} {
				obs, err := o.Observe(ctx, id)
				if err != nil {
					t.Fatal(err)
				}
				if after, ok := tc.after[id]; ok && after.Identifier == "" && obs.Exists {
					t.Errorf("%s: still in the view after the feed said it was deleted", id)
				}
				if !obs.Instance.PasswordResetAt.IsZero() {
					resets = append(resets, id)
				}
			}
			if !slices.Equal(resets, tc.reset) {
				t.Errorf("password resets reported of %v, want %v", resets, tc.reset)
			}
		})
	}
}

// TestFeedReplacesTheList runs the observer with its feed over many reads: the databases
// are listed once, at the start, and the feed is read again and again; a drift the feed
// records reaches the view without another list, and the operator's answer to a password
// reset (setting it again) clears the reset without being taken for another one.
func TestFeedReplacesTheList(t *testing.T) {
	f := &fakeCloud{dbs: map[string]cloud.Instance{"a": db("a", "db.t4g.micro"), "b": db("b", "db.t4g.micro")}}
	w := &woken{}
	o := New(f.provider(), Options{Interval: time.Hour, Feed: 5 * time.Millisecond, SafetyNet: time.Hour, Busy: 5 * time.Millisecond,
		OwnerTag: "owner", Log: logr.Discard(), Changed: w.add})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { _ = o.Start(ctx) }()
	waitFor(t, "the feed read 5 times", func() bool { _, reads, _ := f.counts(); return reads >= 5 })

	drifted := db("a", "db.m7g.xlarge")
	f.do(cloud.Change{At: time.Now(), Identifier: "a", What: "Finished applying modification to DB instance class"}, &drifted)
	waitFor(t, "the class change in the view", func() bool {
		obs, err := o.Observe(ctx, "a")
		return err == nil && obs.Instance.InstanceClass == "db.m7g.xlarge"
	})
	f.do(cloud.Change{At: time.Now(), Identifier: "b", What: "Reset master credentials", PasswordReset: true}, nil)
	waitFor(t, "the password reset reported", func() bool {
		obs, err := o.Observe(ctx, "b")
		return err == nil && !obs.Instance.PasswordResetAt.IsZero()
	})
	pw := "from-the-secret"
	if err := o.Update(ctx, "b", cloud.Changes{MasterPassword: &pw}, cloud.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	_, readsThen, _ := f.counts()
	waitFor(t, "5 more reads of the feed", func() bool { _, reads, _ := f.counts(); return reads >= readsThen+5 })
	waitFor(t, "b looked at again after its update", func() bool {
		o.mu.Lock()
		defer o.mu.Unlock()
		_, touched := o.touched["b"]
		return !touched
	})
	if obs, err := o.Observe(ctx, "b"); err != nil || !obs.Instance.PasswordResetAt.IsZero() {
		t.Errorf("after the operator set the password again: %+v, %v; want no reset reported (its own reset is not someone else's)", obs.Instance.PasswordResetAt, err)
	}
	if lists, _, _ := f.counts(); lists != 1 {
		t.Errorf("%d lists of every database while the feed was read, want 1 (the first)", lists)
	}
	if got := w.take(); !slices.Contains(got, "ns/a") || !slices.Contains(got, "ns/b") {
		t.Errorf("woken %v, want ns/a (class) and ns/b (password)", got)
	}
}

// TestFeedRetriesWhatFailed: when looking at the databases a read of the feed named fails,
// the next read looks at them again, though the feed names them no more.
func TestFeedRetriesWhatFailed(t *testing.T) {
	f := &fakeCloud{dbs: map[string]cloud.Instance{"a": db("a", "db.t4g.micro")}}
	p := f.provider()
	var mu sync.Mutex
	failed := false
	works := p.ListSomeFn
	p.ListSomeFn = func(ctx context.Context, ids []string) ([]cloud.Instance, error) {
		mu.Lock()
		defer mu.Unlock()
		if !failed {
			failed = true
			return nil, cloud.ErrTransient
		}
		return works(ctx, ids)
	}
	w := &woken{}
	o := New(p, Options{Interval: time.Hour, Feed: 5 * time.Millisecond, SafetyNet: time.Hour, Busy: time.Hour,
		OwnerTag: "owner", Log: logr.Discard(), Changed: w.add})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { _ = o.Start(ctx) }()
	waitFor(t, "the first read of the feed", func() bool { _, reads, _ := f.counts(); return reads >= 1 })
	drifted := db("a", "db.m7g.xlarge")
	f.do(cloud.Change{At: time.Now(), Identifier: "a", What: "Finished applying modification to DB instance class"}, &drifted)
	waitFor(t, "the class change in the view after a failed look", func() bool {
		obs, err := o.Observe(ctx, "a")
		return err == nil && obs.Instance.InstanceClass == "db.m7g.xlarge"
	})
	if got := w.take(); !slices.Contains(got, "ns/a") {
		t.Errorf("woken %v, want ns/a", got)
	}
}

// TestFeedFailingFallsBackToLists: while the feed is read, every database is listed once;
// once reading it fails, every database is listed each Interval again, as without a feed.
func TestFeedFailingFallsBackToLists(t *testing.T) {
	f := &fakeCloud{dbs: map[string]cloud.Instance{"a": db("a", "db.t4g.micro")}}
	p := f.provider()
	var failing sync.Mutex
	fail := false
	works := p.ChangesFn
	p.ChangesFn = func(ctx context.Context, from, to time.Time) ([]cloud.Change, error) {
		failing.Lock()
		defer failing.Unlock()
		if fail {
			return nil, cloud.ErrTransient
		}
		return works(ctx, from, to)
	}
	o := New(p, Options{Interval: 20 * time.Millisecond, Feed: 5 * time.Millisecond, SafetyNet: time.Hour, Busy: 5 * time.Millisecond,
		OwnerTag: "owner", Log: logr.Discard()})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { _ = o.Start(ctx) }()
	waitFor(t, "10 reads of the feed", func() bool { _, reads, _ := f.counts(); return reads >= 10 })
	listsThen, _, _ := f.counts()
	if listsThen > 2 {
		t.Errorf("%d lists of every database in 10 reads of the feed, want the first (and at most one before the first read)", listsThen)
	}
	failing.Lock()
	fail = true
	failing.Unlock()
	waitFor(t, "3 more lists of every database", func() bool { lists, _, _ := f.counts(); return lists >= listsThen+3 })
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}
