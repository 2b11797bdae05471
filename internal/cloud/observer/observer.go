// Package observer keeps one view of every cloud database, refreshed by a single List (one
// paged DescribeDBInstances on RDS) shared by all objects, instead of one Describe per
// object. It wraps a cloud.Provider: Observe answers from the shared view, absence included,
// once the view shows what the operator last did to that database; until then it asks the
// caller to come back after the next refresh (a *cloud.WaitError) rather than asking the
// cloud about one database. It also tells the controller which objects' databases changed,
// so nothing has to poll one database at a time. Snapshot exports are served the same way
// (exports.go): one list of the account's exports, refreshed with the view while someone
// asks for it.
package observer

import (
	"context"
	"reflect"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-logr/logr"

	"github.com/matrixmind-cloud/aws-rds-operator/internal/cloud"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/metrics"
)

// Options configures an Observer.
type Options struct {
	// Name names the cloud (account and region) in the operator's metrics: "aws" for the
	// operator's own, "aws/<region>" or "gcp/<project>/<region>" for a class's.
	Name string
	// Interval is how often the view is refreshed while every database is settled. With a
	// feed, it is how often the databases the operator changed, and the exports someone
	// asks for, are looked at when nothing else calls for a look.
	Interval time.Duration
	// Feed is how often the cloud's feed of changes is read, when the provider has one
	// (cloud.Provider.Feed); zero reads none. The databases a change names are then listed
	// alone and their objects woken, and every database is listed only every SafetyNet,
	// for what the feed does not carry.
	Feed time.Duration
	// SafetyNet is how often every database is listed while the feed is read; zero means
	// Interval. While reading the feed fails, it is Interval.
	SafetyNet time.Duration
	// Busy is how often it is refreshed while some database is changing state or was
	// just changed by the operator.
	Busy time.Duration
	// Changed is called with the owner of each database whose state changed between two
	// refreshes, or that appeared or disappeared. owner is the database's owner tag value
	// (empty for databases without one).
	Changed func(owner string)
	// OwnerTag is the tag key naming a database's owner. Only databases with it count
	// when deciding whether to refresh faster.
	OwnerTag string
	// Owns tells whether an owner tag value names an object this operator reconciles. A
	// sharded operator is not woken by, and does not refresh faster for, databases of
	// another shard's objects. Nil owns every owner.
	Owns func(owner string) bool
	// Log receives refresh failures.
	Log logr.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Observer is a cloud.Provider answering Observe from a shared, periodically refreshed view.
type Observer struct {
	cloud.Provider
	opts Options

	mu sync.Mutex
	// view holds every database of the last refresh, by identifier.
	view map[string]cloud.Instance
	// listedAt is when the last successful refresh started (zero: none yet).
	listedAt time.Time
	// touched holds the databases the operator changed that no refresh has shown since:
	// the view does not answer for them yet.
	touched map[string]touch
	// next is when the next refresh is due.
	next time.Time
	// listTook is how long the last refresh took.
	listTook time.Duration
	// ready is closed once the first refresh succeeded.
	ready     chan struct{}
	readyOnce sync.Once
	// wake cuts a wait short when the operator changed a database.
	wake chan struct{}
	// failures counts reads of the databases failed in a row (by either loop), to back off.
	failures atomic.Int32

	// exports is the account's snapshot exports, as listed at exportsAt (zero: never).
	exports   []cloud.Export
	exportsAt time.Time
	// exportsAskedAt is when Exports was last called: refreshes list exports only while
	// someone asks for them.
	exportsAskedAt time.Time
	// exportsTouched is when the operator last started an export that no list has shown
	// since (zero: none): the next refresh lists the exports.
	exportsTouched time.Time
	// pendingExports are the exports the operator started that no list taken after the
	// start has been kept yet, by identifier: Exports answers them as running.
	pendingExports map[string]pendingExport
	// startedExports are the exports started since the last refresh that listed exports,
	// whose owners that refresh wakes.
	startedExports map[string]bool
	// fetching makes callers that find no fresh list of exports share one call.
	fetching sync.Mutex

	// feed is the cloud's feed of changes, nil when it is not read (feed.go).
	feed cloud.Feed
	// fedAt is when the feed was last read successfully (zero: never).
	fedAt time.Time
	// refreshing lets one read of the cloud change the view at a time, so that an older
	// answer never overwrites a newer one.
	refreshing sync.Mutex
	// resets holds the master password resets the feed showed that the operator neither
	// made nor answered yet, by database; ownResets when the operator set a master password,
	// whose own reset the feed shows later.
	resets    map[string]time.Time
	ownResets map[string][]time.Time
	// started is when the Observer was made: the resets the feed dates before it are not
	// reported.
	started time.Time
}

// touch is a change the operator made to one database.
type touch struct {
	at time.Time
	// before is the database as the view held it then; nil when it was not in the view.
	before *cloud.Instance
}

// firstViewWait bounds how long Observe waits for the first refresh before it asks the
// cloud itself. A restarted operator's objects all reconcile at once: they wait for one
// list rather than each sending a Describe.
const firstViewWait = 30 * time.Second

// New returns an Observer over p. Start it (it is a manager.Runnable) to refresh the view.
func New(p cloud.Provider, opts Options) *Observer {
	o := &Observer{
		Provider: p, opts: opts,
		view: map[string]cloud.Instance{}, touched: map[string]touch{}, wake: make(chan struct{}, 1),
		ready: make(chan struct{}), startedExports: map[string]bool{}, pendingExports: map[string]pendingExport{},
		resets: map[string]time.Time{}, ownResets: map[string][]time.Time{},
	}
	if opts.Feed > 0 {
		o.feed = p.Feed()
	}
	o.started = o.now()
	return o
}

// now reads the Observer's clock.
func (o *Observer) now() time.Time {
	if o.opts.Now != nil {
		return o.opts.Now()
	}
	return time.Now()
}

// Observe implements cloud.Provider from the shared view. A database missing from a fresh
// view is reported absent without asking the cloud: the view lists the whole account, and
// one made outside the operator since is not created twice, because Create is idempotent
// and the next Observe finds it by its owner tag. A database the operator changed and no
// refresh has shown since is not answered for: the caller gets a *cloud.WaitError and the
// refresh that shows it wakes the caller's object. Only a view that is missing or stale (the
// cloud failing to list) sends the question to the cloud.
func (o *Observer) Observe(ctx context.Context, id string) (cloud.Observation, error) {
	select {
	case <-o.ready:
	case <-ctx.Done():
		return cloud.Observation{}, ctx.Err()
	case <-time.After(firstViewWait):
	}
	now := o.now()
	o.mu.Lock()
	fresh := !o.listedAt.IsZero() && now.Sub(o.listedAt) < 2*o.listedEvery()
	_, untrusted := o.touched[id]
	inst, exists := o.view[id]
	inst.PasswordResetAt = o.resets[id]
	after := o.next.Sub(now) + o.listTook + o.opts.Busy/10
	o.mu.Unlock()
	switch {
	case !fresh:
		return o.Provider.Observe(ctx, id)
	case untrusted:
		return cloud.Observation{}, &cloud.WaitError{Op: "observe db instance " + id,
			Why: "the shared view of the cloud has not shown the operator's last change yet", After: max(after, o.opts.Busy/10)}
	case exists:
		return cloud.Observation{Exists: true, Instance: inst}, nil
	default:
		return cloud.Observation{}, nil
	}
}

// Create implements cloud.Provider and marks the database changed.
func (o *Observer) Create(ctx context.Context, d cloud.Desired) error {
	err := o.Provider.Create(ctx, d)
	o.changedBy(d.Identifier, err)
	return err
}

// CreateReplica implements cloud.Provider and marks the replica changed, and its source,
// whose readers (Instance.ReplicaIDs, Members) it joins.
func (o *Observer) CreateReplica(ctx context.Context, r cloud.Replica) error {
	err := o.Provider.CreateReplica(ctx, r)
	o.changedBy(r.Identifier, err)
	o.changedBy(r.Source, err)
	return err
}

// Complete implements cloud.Provider and marks the database changed.
func (o *Observer) Complete(ctx context.Context, d cloud.Desired) error {
	err := o.Provider.Complete(ctx, d)
	o.changedBy(d.Identifier, err)
	return err
}

// Update implements cloud.Provider and marks the database changed. A master password set
// answers the resets the feed showed, and its own reset is not taken for someone else's.
func (o *Observer) Update(ctx context.Context, id string, c cloud.Changes, opts cloud.UpdateOptions) error {
	sent := func(error) {}
	if c.MasterPassword != nil {
		sent = o.settingPassword(id)
	}
	err := o.Provider.Update(ctx, id, c, opts)
	sent(err)
	if c.MasterPassword != nil && err == nil {
		o.mu.Lock()
		delete(o.resets, id)
		o.mu.Unlock()
	}
	o.changedBy(id, err)
	return err
}

// Tag implements cloud.Provider and marks the database changed.
func (o *Observer) Tag(ctx context.Context, arn string, tags map[string]string) error {
	err := o.Provider.Tag(ctx, arn, tags)
	if _, wait := cloud.RetryAfter(err); !wait {
		o.touchARN(arn)
	}
	return err
}

// changedBy marks the database changed after a call about it, unless the call was not sent
// (the rate limiter gave it a later turn).
func (o *Observer) changedBy(id string, err error) {
	if _, wait := cloud.RetryAfter(err); !wait {
		o.touch(id)
	}
}

// CreateSnapshot implements cloud.Provider and marks the database changed (it backs up).
func (o *Observer) CreateSnapshot(ctx context.Context, id, snapshot string, tags map[string]string) error {
	err := o.Provider.CreateSnapshot(ctx, id, snapshot, tags)
	o.changedBy(id, err)
	return err
}

// SyncParameters implements cloud.Provider and marks the database changed when its
// parameters changed (its parameter group's apply status follows).
func (o *Observer) SyncParameters(ctx context.Context, d cloud.Desired, in cloud.Instance) (cloud.ParameterChange, error) {
	change, err := o.Provider.SyncParameters(ctx, d, in)
	if err == nil && (len(change.Changed) > 0 || change.Set != in.Parameters.Set) {
		o.touch(d.Identifier)
	}
	return change, err
}

// Restart implements cloud.Provider and marks the database changed.
func (o *Observer) Restart(ctx context.Context, id string) error {
	err := o.Provider.Restart(ctx, id)
	o.changedBy(id, err)
	return err
}

// Delete implements cloud.Provider and marks the database changed, and the database it is
// a reader of (a read replica's source, an Aurora cluster of its member), whose readers it
// leaves.
func (o *Observer) Delete(ctx context.Context, id string, opts cloud.DeleteOptions) error {
	err := o.Provider.Delete(ctx, id, opts)
	o.changedBy(id, err)
	for _, of := range o.readerOf(id) {
		o.changedBy(of, err)
	}
	return err
}

// readerOf returns the databases of the view that id is a reader of: its source as a read
// replica, the database made of instances it is a member of.
func (o *Observer) readerOf(id string) []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	var out []string
	if source := o.view[id].ReplicaSource; source != "" {
		out = append(out, source)
	}
	for _, in := range o.view {
		for _, m := range in.Members {
			if m.Identifier == id && in.Identifier != id {
				out = append(out, in.Identifier)
			}
		}
	}
	return out
}

func (o *Observer) touch(id string) {
	o.mu.Lock()
	t := touch{at: o.now()}
	if in, ok := o.view[id]; ok {
		t.before = &in
	}
	o.touched[id] = t
	o.mu.Unlock()
	o.wakeRefresh()
}

// wakeRefresh cuts the wait for the next refresh short.
func (o *Observer) wakeRefresh() {
	select {
	case o.wake <- struct{}{}:
	default:
	}
}

func (o *Observer) touchARN(arn string) {
	o.mu.Lock()
	var id string
	for _, in := range o.view {
		if in.ARN == arn {
			id = in.Identifier
		}
	}
	o.mu.Unlock()
	if id != "" {
		o.touch(id)
	}
}

// Start refreshes the view until ctx ends: every Interval while all is settled, every Busy
// while some database is changing state or was just changed. With a feed it reads the feed
// every Feed too, and lists every database only every SafetyNet (refresh).
func (o *Observer) Start(ctx context.Context) error {
	if o.feed != nil {
		go o.follow(ctx)
	}
	for {
		busy := o.refresh(ctx)
		wait := o.opts.Interval
		if busy {
			wait = o.opts.Busy
		}
		if failures := o.failures.Load(); failures > 0 { // back off: a failing or throttled cloud is not asked harder
			wait = min(o.opts.Busy<<min(failures, 10), o.opts.Interval)
		}
		o.mu.Lock()
		o.next = o.now().Add(wait)
		o.mu.Unlock()
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(wait):
		case <-o.wake:
			// Let the change land in the cloud before looking, and look at most every
			// Busy: a list costs a call per hundred databases, whoever asked for it.
			o.mu.Lock()
			o.next = o.now().Add(o.opts.Busy)
			o.mu.Unlock()
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(o.opts.Busy):
			}
		}
	}
}

// refresh reads the cloud once: every database, unless the feed is read and the last list
// of every database is younger than the safety net; then only the databases the operator
// changed and those changing state (refreshChanging).
func (o *Observer) refresh(ctx context.Context) bool {
	now := o.now()
	o.mu.Lock()
	full := o.feed == nil || o.listedAt.IsZero() || now.Sub(o.listedAt) >= o.fullEvery(now)
	o.mu.Unlock()
	if full {
		return o.Refresh(ctx)
	}
	return o.refreshChanging(ctx)
}

// listedEvery is how often every database is listed while all goes well: a view listed
// twice as long ago is stale. A feed that fails for a while lists more often, never less.
func (o *Observer) listedEvery() time.Duration {
	if o.feed == nil || o.opts.SafetyNet == 0 {
		return o.opts.Interval
	}
	return max(o.opts.SafetyNet, o.opts.Interval)
}

// fullEvery is how often every database is listed: Interval without a feed, SafetyNet with
// one, and Interval again while reading the feed fails. The caller holds o.mu.
func (o *Observer) fullEvery(now time.Time) time.Duration {
	if o.feed == nil || o.fedAt.IsZero() || now.Sub(o.fedAt) > max(o.opts.Interval, 3*o.opts.Feed) || o.opts.SafetyNet == 0 {
		return o.opts.Interval
	}
	return o.opts.SafetyNet
}

// sameState reports whether two observations of a database differ only in what moves by
// itself (RDS advances LatestRestorableTime every few minutes).
func sameState(a, b cloud.Instance) bool {
	a.LatestRestorableTime = b.LatestRestorableTime
	return reflect.DeepEqual(a, b)
}

// owns tells whether owner names an object of this operator (of its shard).
func (o *Observer) owns(owner string) bool {
	return owner != "" && (o.opts.Owns == nil || o.opts.Owns(owner))
}

// Refresh lists every database once, replaces the view, calls Changed for each database
// that differs from the last view, and reports whether some database is busy: changing
// state, or changed by the operator and not shown by a list yet. It lists the exports too
// while someone asks for them (refreshExports).
func (o *Observer) Refresh(ctx context.Context) bool {
	o.refreshing.Lock()
	defer o.refreshing.Unlock()
	started := o.now()
	list, err := o.Provider.List(ctx)
	metrics.ViewReads.WithLabelValues(o.opts.Name, "list").Inc()
	if err != nil {
		o.opts.Log.Error(err, "refresh the view of cloud databases", "failures in a row", o.failures.Add(1))
		return true
	}
	o.failures.Store(0)
	next := make(map[string]cloud.Instance, len(list))
	busy := false
	for _, in := range list {
		next[in.Identifier] = in
		// Settled phases (available, stopped, storage-full, failed, and busy for hours) are
		// not worth a faster look.
		if in.Phase.Settling() && o.owns(in.Tags[o.opts.OwnerTag]) {
			busy = true
		}
	}
	o.mu.Lock()
	prev, hadView := o.view, !o.listedAt.IsZero()
	o.view, o.listedAt, o.listTook = next, started, o.now().Sub(started)
	for id := range o.resets {
		if _, ok := next[id]; !ok {
			delete(o.resets, id)
		}
	}
	var shown []string
	for id, t := range o.touched {
		// A list that started after a change and shows the database otherwise than before
		// it has seen the change. One that shows no difference is believed only once it
		// started a while (Busy) after the change: the cloud's reads are eventually
		// consistent, and some changes show nowhere in the list.
		now, ok := next[id]
		owner := now.Tags[o.opts.OwnerTag]
		if !ok && t.before != nil {
			owner = t.before.Tags[o.opts.OwnerTag]
		}
		seen := started.After(t.at) && (ok != (t.before != nil) || (ok && !sameState(*t.before, now)))
		if seen || t.at.Add(o.opts.Busy).Before(started) {
			delete(o.touched, id)
			shown = append(shown, owner)
		} else {
			busy = true
		}
	}
	o.mu.Unlock()
	o.readyOnce.Do(func() { close(o.ready) })

	woken := map[string]bool{}
	wake := func(owner string) {
		if o.opts.Changed != nil && o.owns(owner) && !woken[owner] {
			woken[owner] = true
			o.opts.Changed(owner)
		}
	}
	if o.refreshExports(ctx, started, next, wake) {
		busy = true
	}
	if !hadView {
		return busy
	}
	for _, owner := range shown {
		wake(owner)
	}
	for id, in := range next {
		if old, ok := prev[id]; !ok || !sameState(old, in) {
			wake(in.Tags[o.opts.OwnerTag])
		}
	}
	for id, old := range prev {
		if _, ok := next[id]; !ok {
			wake(old.Tags[o.opts.OwnerTag])
		}
	}
	return busy
}
