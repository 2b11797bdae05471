package observer

import (
	"context"
	"slices"
	"time"

	"github.com/matrixmind-cloud/aws-rds-operator/internal/cloud"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/metrics"
)

// A cloud's feed (cloud.Feed) tells which databases changed since a moment in one call,
// whatever their number. While it is read, the view lists only the databases a change
// names, the operator changed, or that are changing state; every database is listed only
// every SafetyNet, for what the feed does not carry (tags) or lost (it is best effort).

// feedOverlap is how far back each read of the feed goes before the last one started, at
// most (two Feed intervals when they are shorter): an event can enter the feed a little
// after its date, and the cloud's clock is not ours. The events read twice are recognised
// and counted once.
const feedOverlap = time.Minute

// ownResetWithin is how long after the operator set a master password the feed's record of
// that reset may come: a reset the feed shows from feedOverlap before that (the clocks'
// difference) to ownResetWithin after is taken for the operator's own.
const ownResetWithin = 10 * time.Minute

// follow reads the feed every Feed until ctx ends, and looks again at the databases it
// names. A restarted operator reads back one interval, so a short restart loses no change
// (but the password resets, which fed leaves to the login check).
// What a failed look at the databases named leaves is looked at with the next read's.
func (o *Observer) follow(ctx context.Context) {
	overlap := min(feedOverlap, 2*o.opts.Feed)
	since := o.now().Add(-o.opts.Feed)
	seen := map[cloud.Change]bool{}
	named, reset := map[string]bool{}, map[string]bool{}
	failures := 0
	for {
		wait := o.opts.Feed
		if failures > 0 { // back off: a failing or throttled cloud is not asked harder
			wait = min(o.opts.Feed<<min(failures, 10), o.opts.Interval)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		started := o.now()
		changes, err := o.feed.Changes(ctx, since.Add(-overlap), started)
		metrics.ViewReads.WithLabelValues(o.opts.Name, "feed").Inc()
		if err != nil {
			failures++
			o.opts.Log.Error(err, "read the cloud's feed of changes", "failures in a row", failures)
			if failures == 3 {
				o.wakeRefresh() // the view lists every database each Interval meanwhile: start now
			}
			continue
		}
		failures = 0
		o.fed(changes, seen, named, reset)
		for c := range seen {
			if c.At.Before(since.Add(-2 * overlap)) {
				delete(seen, c)
			}
		}
		since = started
		o.mu.Lock()
		o.fedAt = started
		o.mu.Unlock()
		if len(named) > 0 && o.refreshSome(ctx, named, reset) == nil {
			named, reset = map[string]bool{}, map[string]bool{}
		}
	}
}

// fed takes in what one read of the feed returned: it adds to named the databases its new
// changes name, and to reset those of them whose master password someone other than the
// operator set.
func (o *Observer) fed(changes []cloud.Change, seen map[cloud.Change]bool, named, reset map[string]bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, c := range changes {
		if seen[c] {
			continue
		}
		seen[c] = true
		named[c.Identifier] = true
		// A reset from before the operator started may be its own, made before a
		// restart: the login check of each resync finds one that was not.
		if !c.PasswordReset || c.At.Before(o.started) || o.ownReset(c) {
			continue
		}
		o.opts.Log.Info("the master password of a database was set outside the operator", "database", c.Identifier, "at", c.At, "cloud says", c.What)
		o.resets[c.Identifier] = c.At
		reset[c.Identifier] = true
	}
}

// ownReset tells whether the password reset c is one the operator made, and forgets that
// one. The caller holds o.mu.
func (o *Observer) ownReset(c cloud.Change) bool {
	own := o.ownResets[c.Identifier]
	now := o.now()
	own = slices.DeleteFunc(own, func(at time.Time) bool { return now.Sub(at) > ownResetWithin })
	defer func() {
		if len(own) == 0 {
			delete(o.ownResets, c.Identifier)
		} else {
			o.ownResets[c.Identifier] = own
		}
	}()
	for i, at := range own {
		// The cloud records a reset once it applied it, after the request; up to
		// feedOverlap before it allows for the clocks' difference.
		if !c.At.Before(at.Add(-feedOverlap)) && c.At.Sub(at) <= ownResetWithin {
			own = slices.Delete(own, i, i+1)
			return true
		}
	}
	return false
}

// settingPassword records that the operator is setting the master password of id, and
// returns a function to call with the outcome: a call the rate limiter deferred was not
// sent, and sets nothing the feed will show.
func (o *Observer) settingPassword(id string) func(err error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.feed == nil {
		return func(error) {}
	}
	at := o.now()
	o.ownResets[id] = append(o.ownResets[id], at)
	return func(err error) {
		if _, deferred := cloud.RetryAfter(err); !deferred {
			return
		}
		o.mu.Lock()
		defer o.mu.Unlock()
		o.ownResets[id] = slices.DeleteFunc(o.ownResets[id], func(t time.Time) bool { return t.Equal(at) })
	}
}

// refreshChanging lists the databases the operator changed that no read has shown yet and
// those of its objects that are changing state, and the exports while someone asks for
// them. It reports whether some database is still busy.
func (o *Observer) refreshChanging(ctx context.Context) bool {
	o.mu.Lock()
	ids := map[string]bool{}
	for id := range o.touched {
		ids[id] = true
	}
	for id, in := range o.view {
		if in.Phase.Settling() && o.owns(in.Tags[o.opts.OwnerTag]) {
			ids[id] = true
		}
	}
	o.mu.Unlock()
	if len(ids) > 0 && o.refreshSome(ctx, ids, nil) != nil {
		return true
	}
	// Every writer of the view holds o.refreshing: holding it, the view may be read.
	o.refreshing.Lock()
	defer o.refreshing.Unlock()
	busy := len(o.touched) > 0
	for _, in := range o.view {
		if busy {
			break
		}
		busy = in.Phase.Settling() && o.owns(in.Tags[o.opts.OwnerTag])
	}
	if o.refreshExports(ctx, o.now(), o.view, o.waker()) {
		busy = true
	}
	return busy
}

// waker returns a function that calls Changed once for each owner of this operator it is
// given.
func (o *Observer) waker() func(owner string) {
	woken := map[string]bool{}
	return func(owner string) {
		if o.opts.Changed != nil && o.owns(owner) && !woken[owner] {
			woken[owner] = true
			o.opts.Changed(owner)
		}
	}
}

// refreshSome lists the databases with the identifiers (and those the cloud reports with
// them: an Aurora cluster with its member), puts them in the view in place of what it held,
// and wakes the owner of each that differs, appeared or went, or is in alsoWake. A change
// of the operator's that the list shows is taken as seen, as Refresh does.
func (o *Observer) refreshSome(ctx context.Context, ids, alsoWake map[string]bool) error {
	o.refreshing.Lock()
	defer o.refreshing.Unlock()
	started := o.now()
	asked := make([]string, 0, len(ids))
	for id := range ids {
		asked = append(asked, id)
	}
	slices.Sort(asked)
	list, err := o.feed.ListSome(ctx, asked)
	metrics.ViewReads.WithLabelValues(o.opts.Name, "some").Inc()
	if err != nil {
		o.opts.Log.Error(err, "look again at the cloud databases that changed", "databases", len(asked), "failures in a row", o.failures.Add(1))
		return err
	}
	o.failures.Store(0)
	got := make(map[string]cloud.Instance, len(list))
	for _, in := range list {
		got[in.Identifier] = in
	}
	scope := make(map[string]bool, len(ids)+len(got))
	for id := range ids {
		scope[id] = true
	}
	for id := range got {
		scope[id] = true
	}
	var owners []string
	o.mu.Lock()
	for id := range scope {
		old, had := o.view[id]
		now, has := got[id]
		owner := now.Tags[o.opts.OwnerTag]
		if !has {
			owner = old.Tags[o.opts.OwnerTag]
			delete(o.view, id)
			delete(o.resets, id)
		} else {
			o.view[id] = now
		}
		if had != has || (has && !sameState(old, now)) || alsoWake[id] {
			owners = append(owners, owner)
		}
		if t, ok := o.touched[id]; ok {
			seen := started.After(t.at) && (has != (t.before != nil) || (has && !sameState(*t.before, now)))
			if seen || t.at.Add(o.opts.Busy).Before(started) {
				delete(o.touched, id)
				owners = append(owners, owner)
			}
		}
	}
	o.mu.Unlock()
	wake := o.waker()
	for _, owner := range owners {
		wake(owner)
	}
	return nil
}
