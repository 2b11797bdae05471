// Package observer keeps one view of every cloud database, refreshed by a single List (one
// paged DescribeDBInstances on RDS) shared by all objects, instead of one Describe per
// object. It wraps a cloud.Provider: Observe answers from the shared view when the view is
// fresh and was taken after the operator last changed that database, and goes to the cloud
// otherwise. It also tells the controller which objects' databases changed, so nothing has
// to poll one database at a time.
package observer

import (
	"context"
	"reflect"
	"sync"
	"time"

	"github.com/go-logr/logr"

	"github.com/matrixmind-cloud/aws-rds-operator/internal/cloud"
)

// Options configures an Observer.
type Options struct {
	// Interval is how often the view is refreshed while every database is settled.
	Interval time.Duration
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
	// Log receives refresh failures.
	Log logr.Logger
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
	// touched holds when the operator last changed each database: the view answers for a
	// database only when it was taken after that.
	touched map[string]time.Time
	// wake cuts a wait short when the operator changed a database.
	wake chan struct{}
	// failures counts refreshes failed in a row, to back off.
	failures int
}

// New returns an Observer over p. Start it (it is a manager.Runnable) to refresh the view.
func New(p cloud.Provider, opts Options) *Observer {
	return &Observer{
		Provider: p, opts: opts,
		view: map[string]cloud.Instance{}, touched: map[string]time.Time{}, wake: make(chan struct{}, 1),
	}
}

// Observe implements cloud.Provider from the shared view when it can.
func (o *Observer) Observe(ctx context.Context, id string) (cloud.Observation, error) {
	o.mu.Lock()
	fresh := !o.listedAt.IsZero() && time.Since(o.listedAt) < 2*o.opts.Interval && o.listedAt.After(o.touched[id])
	inst, exists := o.view[id]
	o.mu.Unlock()
	if fresh && exists {
		return cloud.Observation{Exists: true, Instance: inst}, nil
	}
	// Absence is confirmed with the cloud: a database made moments ago outside the
	// operator (or a retained one applied again) must be found, not created twice.
	return o.Provider.Observe(ctx, id)
}

// Create implements cloud.Provider and marks the database changed.
func (o *Observer) Create(ctx context.Context, d cloud.Desired) error {
	defer o.touch(d.Identifier)
	return o.Provider.Create(ctx, d)
}

// Update implements cloud.Provider and marks the database changed.
func (o *Observer) Update(ctx context.Context, id string, c cloud.Changes, opts cloud.UpdateOptions) error {
	defer o.touch(id)
	return o.Provider.Update(ctx, id, c, opts)
}

// Tag implements cloud.Provider and marks the database changed.
func (o *Observer) Tag(ctx context.Context, arn string, tags map[string]string) error {
	defer o.touchARN(arn)
	return o.Provider.Tag(ctx, arn, tags)
}

// CreateSnapshot implements cloud.Provider and marks the database changed (it backs up).
func (o *Observer) CreateSnapshot(ctx context.Context, id, snapshot string, tags map[string]string) error {
	defer o.touch(id)
	return o.Provider.CreateSnapshot(ctx, id, snapshot, tags)
}

// Delete implements cloud.Provider and marks the database changed.
func (o *Observer) Delete(ctx context.Context, id string, opts cloud.DeleteOptions) error {
	defer o.touch(id)
	return o.Provider.Delete(ctx, id, opts)
}

func (o *Observer) touch(id string) {
	o.mu.Lock()
	o.touched[id] = time.Now()
	o.mu.Unlock()
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
// while some database is changing state or was just changed.
func (o *Observer) Start(ctx context.Context) error {
	for {
		busy := o.Refresh(ctx)
		wait := o.opts.Interval
		if busy {
			wait = o.opts.Busy
		}
		if o.failures > 0 { // back off: a failing or throttled cloud is not asked harder
			wait = min(o.opts.Busy<<min(o.failures, 10), o.opts.Interval)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(wait):
		case <-o.wake:
			// Let the change land in the cloud before looking.
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(o.opts.Busy):
			}
		}
	}
}

// changing holds the status words of a database in the middle of a change the operator
// waits for; while one of its databases is in one, the view is refreshed faster. Settled
// words (available, stopped, storage-full, failed, storage-optimization, which lasts hours)
// are not in it.
var changing = map[string]bool{
	"creating": true, "backing-up": true, "modifying": true, "deleting": true, "rebooting": true,
	"upgrading": true, "resetting-master-credentials": true, "renaming": true, "starting": true, "stopping": true,
}

// sameState reports whether two observations of a database differ only in what moves by
// itself (RDS advances LatestRestorableTime every few minutes).
func sameState(a, b cloud.Instance) bool {
	a.LatestRestorableTime = b.LatestRestorableTime
	return reflect.DeepEqual(a, b)
}

// Refresh lists every database once, replaces the view, calls Changed for each database
// that differs from the last view, and reports whether some database is busy: changing
// state, or changed by the operator since the refresh before.
func (o *Observer) Refresh(ctx context.Context) bool {
	started := time.Now()
	list, err := o.Provider.List(ctx)
	if err != nil {
		o.failures++
		o.opts.Log.Error(err, "refresh the view of cloud databases", "failures in a row", o.failures)
		return true
	}
	o.failures = 0
	next := make(map[string]cloud.Instance, len(list))
	busy := false
	for _, in := range list {
		next[in.Identifier] = in
		if in.Tags[o.opts.OwnerTag] != "" && changing[in.Status] {
			busy = true
		}
	}
	o.mu.Lock()
	prev, hadView := o.view, !o.listedAt.IsZero()
	o.view, o.listedAt = next, started
	for id, at := range o.touched {
		// A list that started right after a change may not show it yet: only one that
		// started a while (Busy) after it is trusted to.
		if at.Add(o.opts.Busy).Before(started) {
			delete(o.touched, id)
		} else {
			busy = true
		}
	}
	o.mu.Unlock()

	if !hadView || o.opts.Changed == nil {
		return busy
	}
	for id, in := range next {
		if old, ok := prev[id]; !ok || !sameState(old, in) {
			o.opts.Changed(in.Tags[o.opts.OwnerTag])
		}
	}
	for id, old := range prev {
		if _, ok := next[id]; !ok {
			o.opts.Changed(old.Tags[o.opts.OwnerTag])
		}
	}
	return busy
}
