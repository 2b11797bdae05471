package observer

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/matrixmind-cloud/aws-rds-operator/internal/cloud"
)

// The account's snapshot exports are one list (one paged DescribeExportTasks on RDS) that
// serves every object, as the view of databases does. It costs nothing in a fleet that
// exports nothing: refreshes list exports only while someone asked for them within two
// Intervals, and the first question after a quiet spell asks the cloud once.

// Exports implements cloud.Provider from the shared list of exports. A list older than two
// Intervals (nobody asked lately, or the cloud fails to list) is replaced by asking the
// cloud, once for every caller waiting. An export the operator started that no list has
// shown yet is in the answer as running (its Status, the cloud's word, empty): its owner
// does not ask for it again, and every other object goes on with the list as it is, rather
// than all of them waiting for the next refresh after each start, which made a fleet's
// exports start one per refresh. A start that did not happen after all is missing from the
// first list taken after it, and asked for again then.
func (o *Observer) Exports(ctx context.Context) ([]cloud.Export, error) {
	now := o.now()
	o.mu.Lock()
	o.exportsAskedAt = now
	fresh := !o.exportsAt.IsZero() && now.Sub(o.exportsAt) < 2*o.opts.Interval
	list := o.withPending(o.exports)
	o.mu.Unlock()
	if !fresh {
		return o.fetchExports(ctx)
	}
	return list, nil
}

// pendingExport is an export the operator started, as Exports answers it until a list
// shows it.
type pendingExport struct {
	export cloud.Export
	at     time.Time
}

// withPending returns a copy of list with the pending exports it does not hold. It runs
// under mu.
func (o *Observer) withPending(list []cloud.Export) []cloud.Export {
	out := slices.Clone(list)
	for id, p := range o.pendingExports {
		if !slices.ContainsFunc(list, func(e cloud.Export) bool { return e.Identifier == id }) {
			out = append(out, p.export)
		}
	}
	return out
}

// fetchExports asks the cloud for the exports and keeps the answer as the list, unless
// another caller did so while this one waited for its turn.
func (o *Observer) fetchExports(ctx context.Context) ([]cloud.Export, error) {
	o.fetching.Lock()
	defer o.fetching.Unlock()
	started := o.now()
	o.mu.Lock()
	if !o.exportsAt.IsZero() && started.Sub(o.exportsAt) < 2*o.opts.Interval {
		list := o.withPending(o.exports)
		o.mu.Unlock()
		return list, nil
	}
	o.mu.Unlock()
	list, err := o.Provider.Exports(ctx)
	if err != nil {
		return nil, err
	}
	o.mu.Lock()
	o.keepExports(list, started)
	list = o.withPending(list)
	o.mu.Unlock()
	return list, nil
}

// keepExports makes list, listed at started, the list of exports. It runs under mu.
func (o *Observer) keepExports(list []cloud.Export, started time.Time) {
	if started.Before(o.exportsAt) {
		return // a newer list is kept already
	}
	o.exports, o.exportsAt = list, started
	if started.After(o.exportsTouched) {
		o.exportsTouched = time.Time{}
	}
	for id, p := range o.pendingExports {
		if started.After(p.at) {
			delete(o.pendingExports, id) // the list shows it if it started
		}
	}
}

// StartExport implements cloud.Provider. An export that may have started makes the list
// stale and wakes a refresh, as a change to a database does.
func (o *Observer) StartExport(ctx context.Context, r cloud.ExportRequest) error {
	err := o.Provider.StartExport(ctx, r)
	if !mayHaveStarted(err) {
		return err
	}
	now := o.now()
	snapshot := r.Snapshot
	if parts := strings.SplitN(snapshot, ":", 7); len(parts) == 7 && parts[0] == "arn" {
		snapshot = parts[6] // arn:partition:service:region:account:type:name; the name may hold a colon (rds:...)
	}
	o.mu.Lock()
	o.exportsTouched = now
	o.startedExports[r.Identifier] = true
	o.pendingExports[r.Identifier] = pendingExport{at: now, export: cloud.Export{
		Identifier: r.Identifier, Snapshot: snapshot, Phase: cloud.ExportRunning, Bucket: r.Bucket, Prefix: r.Prefix, StartedAt: now}}
	o.mu.Unlock()
	o.wakeRefresh()
	return err
}

// mayHaveStarted tells whether a StartExport that returned err may have started an export:
// it did unless the call was not sent (a later turn under the rate limit) or was refused
// (the request must change, the snapshot is not ready, or the cloud does not export). A
// failed or timed-out call may have started one whose answer was lost.
func mayHaveStarted(err error) bool {
	if _, wait := cloud.RetryAfter(err); wait {
		return false
	}
	var ce *cloud.Error
	return err == nil || !errors.As(err, &ce) || errors.Is(err, cloud.ErrTransient)
}

// refreshExports lists the exports during the refresh that started at started, when
// someone asked for them lately or the operator started one, and wakes the owner of each
// export that is new or moved since the last list (its status or progress), and of each
// the operator started, found in view by the snapshot's name. It reports whether an export
// the operator started has still not shown.
func (o *Observer) refreshExports(ctx context.Context, started time.Time, view map[string]cloud.Instance, wake func(owner string)) bool {
	o.mu.Lock()
	touched := !o.exportsTouched.IsZero()
	asked := !o.exportsAskedAt.IsZero() && started.Sub(o.exportsAskedAt) < 2*o.opts.Interval
	o.mu.Unlock()
	if !touched && !asked {
		return false
	}
	list, err := o.Provider.Exports(ctx)
	if err != nil {
		o.opts.Log.Error(err, "refresh the list of snapshot exports")
		return touched
	}
	o.mu.Lock()
	prev, hadList := o.exports, !o.exportsAt.IsZero()
	o.keepExports(list, started)
	startedByUs := o.startedExports
	o.startedExports = map[string]bool{}
	stillTouched := !o.exportsTouched.IsZero()
	o.mu.Unlock()

	before := make(map[string]cloud.Export, len(prev))
	for _, e := range prev {
		before[e.Identifier] = e
	}
	for _, e := range list {
		old, known := before[e.Identifier]
		moved := hadList && (!known || old.Status != e.Status || old.Percent != e.Percent)
		if moved || startedByUs[e.Identifier] {
			// A cloud that does not say the snapshot (Cloud SQL) names the export after
			// the database as the operator names it: identifier, "-", a hash.
			by := e.Snapshot
			if by == "" {
				by = e.Identifier
			}
			wake(ownerOfSnapshot(view, by, o.opts.OwnerTag))
			delete(startedByUs, e.Identifier)
		}
	}
	if stillTouched && len(startedByUs) > 0 {
		// This list started before the last start: the next one wakes their owners.
		o.mu.Lock()
		for id := range startedByUs {
			o.startedExports[id] = true
		}
		o.mu.Unlock()
	}
	return stillTouched
}

// ownerOfSnapshot is the owner tag of the database whose snapshot the ARN names, "" when
// view holds none. A snapshot's name starts with its database's identifier and a hyphen
// (the operator's snapshots, RDS's final ones) or is "rds:" and that (RDS's automated
// ones); of several identifiers that fit (shop, shop-orders) the longest is the database.
func ownerOfSnapshot(view map[string]cloud.Instance, arn, ownerTag string) string {
	name := arn[strings.LastIndex(arn, ":")+1:]
	for i := len(name); i > 0; i = strings.LastIndex(name[:i], "-") {
		if in, ok := view[name[:i]]; ok {
			return in.Tags[ownerTag]
		}
	}
	return ""
}
