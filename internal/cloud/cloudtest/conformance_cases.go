package cloudtest

import (
	"errors"
	"sync"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	v1 "github.com/matrixmind-cloud/aws-rds-operator/api/v1"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/cloud"
)

// Identifiers the cases use. Each case has a cloud of its own, so they need not differ
// between cases.
const (
	dbID      = "conformance-orders"
	otherID   = "conformance-billing"
	missingID = "conformance-never-made"
	snapID    = "conformance-orders-snap-1"
	finalID   = "conformance-orders-final"
)

// sameInstance compares what two reads of one database say, leaving out what moves with
// the clock and not with the database.
var sameInstance = []cmp.Option{cmpopts.IgnoreFields(cloud.Instance{}, "LatestRestorableTime"), cmpopts.EquateEmpty()}

var conformanceCases = []conformanceCase{
	{
		name:   "ObserveMissing",
		reason: "Observe of a database that does not exist reports Exists false and no error: the controller creates a database on that answer, and fails on an error.",
		run:    observeMissing,
	},
	{
		name:   "CreateIsIdempotent",
		reason: "Create retried with the same Desired (after a crash or a timeout) returns nil and makes no second database; the database is then seen creating, then serving, with its owner's tags, and List says what Observe says.",
		run:    createIsIdempotent,
	},
	{
		name:   "ObserveChangesNothing",
		reason: "Observe, List and the snapshot reads change nothing: the controller reads on every pass, so reading many times leaves the cloud (and what it reports) as it was.",
		run:    observeChangesNothing,
	},
	{
		name:   "UpdateChangesAField",
		reason: "Update with ApplyImmediately changes the field it names, and the same Update again (a retry) is harmless: it succeeds, or waits with ErrBusy while the first is applied.",
		run:    updateChangesAField,
	},
	{
		name:   "DeleteIsIdempotent",
		reason: "Delete succeeds for a database that never existed, one already being deleted and one gone, so a controller restarted mid-delete finishes its finalizer; Observe ends with Exists false.",
		run:    deleteIsIdempotent,
	},
	{
		name:   "DeleteKeepsTheFinalSnapshot",
		reason: "Delete with a final snapshot, retried, leaves that snapshot when the database is gone, named as asked and carrying the database's owner tags, which decide who may restore it.",
		run:    deleteKeepsTheFinalSnapshot,
	},
	{
		name:   "ForeignTagsAsTheyAre",
		reason: "A database someone else made is reported with its own tags, as they are: the controller refuses it by its owner tag, so the provider must neither hide nor rewrite them, not even when Create is called for its identifier.",
		run:    foreignTagsAsTheyAre,
	},
	{
		name:   "OwnershipSurvivesRestart",
		reason: "A new Provider value (the operator restarted) sees a database the old one made with the same owner tags, and its retried Create makes no second one: ownership lives in the cloud, not in the process.",
		run:    ownershipSurvivesRestart,
	},
	{
		name:   "TagAddsAndOverwrites",
		reason: "Tag, by the ARN Observe reports, adds and overwrites tags and leaves the others, the owner tag among them; a retried Tag is harmless.",
		run:    tagAddsAndOverwrites,
	},
	{
		name:   "SnapshotsAreIdempotent",
		reason: "CreateSnapshot retried returns nil and makes one snapshot; Snapshots lists it with its tags, Snapshot finds it by identifier (and ARN) and says when it is done; DeleteSnapshot succeeds again once it is gone.",
		run:    snapshotsAreIdempotent,
	},
	{
		name:   "BusyIsErrBusy",
		reason: "A change refused for the database's state is errors.Is(err, cloud.ErrBusy), which the controller waits out quietly instead of reporting a failure.",
		run:    busyIsErrBusy,
	},
	{
		name:   "ThrottlingIsErrTransient",
		reason: "A throttled request is errors.Is(err, cloud.ErrTransient), never success and never ErrBusy, so the controller retries it with backoff.",
		run:    throttlingIsErrTransient,
	},
}

func observeMissing(s *suite) {
	obs, err := s.p.Observe(s.ctx, missingID)
	if err != nil || obs.Exists {
		s.errorf("Observe(%s) = %+v, %v; want Exists false and no error", missingID, obs, err)
	}
	if got := s.listed(s.p, missingID); len(got) != 0 {
		s.errorf("List reports %d databases named %s, which was never made", len(got), missingID)
	}
}

func createIsIdempotent(s *suite) {
	d := s.h.Desired(dbID, ourTags())
	s.create(d)
	if err := s.p.Create(s.ctx, d); err != nil {
		s.errorf("Create retried while the database is being made = %v; want nil", err)
	}
	var seen []cloud.Phase
	in := s.waitInstance(s.p, dbID, "serving", func(in cloud.Instance) bool { return in.Phase.Serving() }, &seen)
	// A fast cloud may be done before the first look; it must not show anything else first.
	if seen[0] != cloud.PhaseCreating && !seen[0].Serving() {
		s.errorf("phases seen after Create: %v; want %s first", seen, cloud.PhaseCreating)
	}
	for _, ph := range seen[:len(seen)-1] {
		if !ph.Settling() {
			s.errorf("phases seen after Create: %v; want only phases that settle by themselves before serving", seen)
			break
		}
	}
	if diff := cmp.Diff(d.Tags, tagsNamed(d.Tags, in.Tags)); diff != "" {
		s.errorf("tags of the created database, -want +got:\n%s", diff)
	}

	if err := s.p.Create(s.ctx, d); err != nil {
		s.errorf("Create retried once the database serves = %v; want nil", err)
	}
	in = s.waitAvailable(s.p, dbID)
	listed := s.listed(s.p, dbID)
	if len(listed) != 1 {
		s.fatalf("List reports %d databases named %s after three Creates; want 1", len(listed), dbID)
	}
	if diff := cmp.Diff(in, listed[0], sameInstance...); diff != "" {
		s.errorf("List and Observe disagree about %s, -Observe +List:\n%s", dbID, diff)
	}
}

func observeChangesNothing(s *suite) {
	s.create(s.h.Desired(dbID, ourTags()))
	before := s.waitAvailable(s.p, dbID)
	listBefore, err := s.p.List(s.ctx)
	if err != nil {
		s.fatalf("List: %v", err)
	}
	var mutations []string
	if s.c.Mutations != nil {
		mutations = s.c.Mutations()
	}

	for range 5 {
		obs, err := s.p.Observe(s.ctx, dbID)
		if err != nil {
			s.fatalf("Observe(%s): %v", dbID, err)
		}
		if diff := cmp.Diff(before, obs.Instance, sameInstance...); diff != "" {
			s.fatalf("Observe(%s) changed between reads, -first +now:\n%s", dbID, diff)
		}
		if obs, err := s.p.Observe(s.ctx, missingID); err != nil || obs.Exists {
			s.fatalf("Observe(%s) = %+v, %v; want Exists false and no error", missingID, obs, err)
		}
		if _, err := s.p.Snapshots(s.ctx, dbID); err != nil {
			s.fatalf("Snapshots(%s): %v", dbID, err)
		}
		if _, found, err := s.p.Snapshot(s.ctx, missingID); err != nil || found {
			s.fatalf("Snapshot(%s) = found %t, %v; want not found and no error", missingID, found, err)
		}
	}

	listAfter, err := s.p.List(s.ctx)
	if err != nil {
		s.fatalf("List: %v", err)
	}
	if diff := cmp.Diff(listBefore, listAfter, append(sameInstance, cmpopts.SortSlices(func(a, b cloud.Instance) bool { return a.Identifier < b.Identifier }))...); diff != "" {
		s.errorf("List changed while only reads were made, -before +after:\n%s", diff)
	}
	if s.c.Mutations != nil {
		if made := s.c.Mutations()[len(mutations):]; len(made) != 0 {
			s.errorf("reads made calls that change things: %v", made)
		}
	}
}

// otherRetention is a backup retention different from d's, within every cloud's limits.
func otherRetention(d cloud.Desired) int32 {
	if d.BackupRetentionDays == 14 {
		return 7
	}
	return 14
}

func updateChangesAField(s *suite) {
	d := s.h.Desired(dbID, ourTags())
	s.create(d)
	s.waitAvailable(s.p, dbID)
	days := otherRetention(d)
	changes, opts := cloud.Changes{BackupRetentionDays: &days}, cloud.UpdateOptions{ApplyImmediately: true}

	if err := s.p.Update(s.ctx, dbID, changes, opts); err != nil {
		s.fatalf("Update(%s, retention %d): %v", dbID, days, err)
	}
	if err := s.p.Update(s.ctx, dbID, changes, opts); err != nil && !errors.Is(err, cloud.ErrBusy) {
		s.errorf("Update retried at once = %v; want nil or ErrBusy", err)
	}
	in := s.waitInstance(s.p, dbID, "available with the new retention", func(in cloud.Instance) bool {
		return in.Phase == cloud.PhaseAvailable && in.BackupRetentionDays == days
	}, nil)
	if diff := cmp.Diff(cloud.Changes{}, in.Pending); diff != "" {
		s.errorf("changes applied immediately are still pending, -want +got:\n%s", diff)
	}

	if err := s.p.Update(s.ctx, dbID, changes, opts); err != nil {
		s.errorf("Update retried once applied = %v; want nil", err)
	}
	in = s.waitAvailable(s.p, dbID)
	if in.BackupRetentionDays != days {
		s.errorf("retention after the retried Update = %d; want %d", in.BackupRetentionDays, days)
	}
	if diff := cmp.Diff(cloud.Changes{}, in.Pending); diff != "" {
		s.errorf("the retried Update left changes pending, -want +got:\n%s", diff)
	}
	if diff := cmp.Diff(d.Tags, tagsNamed(d.Tags, in.Tags)); diff != "" {
		s.errorf("Update changed the tags, -want +got:\n%s", diff)
	}
}

func deleteIsIdempotent(s *suite) {
	if err := s.p.Delete(s.ctx, missingID, cloud.DeleteOptions{}); err != nil {
		s.errorf("Delete of a database that never existed = %v; want nil", err)
	}
	s.create(s.h.Desired(dbID, ourTags()))
	s.waitAvailable(s.p, dbID)
	if err := s.p.Delete(s.ctx, dbID, cloud.DeleteOptions{}); err != nil {
		s.fatalf("Delete(%s): %v", dbID, err)
	}
	if err := s.p.Delete(s.ctx, dbID, cloud.DeleteOptions{}); err != nil {
		s.errorf("Delete of a database being deleted = %v; want nil", err)
	}
	s.waitGone(dbID)
	if err := s.p.Delete(s.ctx, dbID, cloud.DeleteOptions{}); err != nil {
		s.errorf("Delete of a database that is gone = %v; want nil", err)
	}
	if obs, err := s.p.Observe(s.ctx, dbID); err != nil || obs.Exists {
		s.errorf("Observe after the deletes = %+v, %v; want Exists false and no error", obs, err)
	}
	if got := s.listed(s.p, dbID); len(got) != 0 {
		s.errorf("List still reports %s once gone: %+v", dbID, got)
	}
}

func deleteKeepsTheFinalSnapshot(s *suite) {
	d := s.h.Desired(dbID, ourTags())
	s.create(d)
	s.waitAvailable(s.p, dbID)
	opts := cloud.DeleteOptions{FinalSnapshotIdentifier: finalID}
	if s.h.NoSnapshots {
		// No final snapshot to keep: the delete must be refused, never done without it.
		if err := s.p.Delete(s.ctx, dbID, opts); !errors.Is(err, cloud.ErrUnsupported) {
			s.fatalf("Delete(%s) with a final snapshot on a cloud without snapshots = %v; want ErrUnsupported", dbID, err)
		}
		if obs, err := s.p.Observe(s.ctx, dbID); err != nil || !obs.Exists || obs.Instance.Phase == cloud.PhaseDeleting {
			s.errorf("Observe after the refused delete = %+v, %v; want the database there, not deleting", obs, err)
		}
		return
	}
	if err := s.p.Delete(s.ctx, dbID, opts); err != nil {
		s.fatalf("Delete(%s) with a final snapshot: %v", dbID, err)
	}
	if err := s.p.Delete(s.ctx, dbID, opts); err != nil {
		s.errorf("Delete with a final snapshot retried = %v; want nil", err)
	}
	s.waitGone(dbID)
	snap := s.waitSnapshot(finalID)
	if snap.Identifier != finalID {
		s.errorf("final snapshot identifier = %q; want %q", snap.Identifier, finalID)
	}
	if diff := cmp.Diff(d.Tags, tagsNamed(d.Tags, snap.Tags)); diff != "" {
		s.errorf("tags of the final snapshot, -want (the database's) +got:\n%s", diff)
	}
	if err := s.p.DeleteSnapshot(s.ctx, finalID); err != nil {
		s.errorf("DeleteSnapshot(%s): %v", finalID, err)
	}
}

func foreignTagsAsTheyAre(s *suite) {
	theirs := s.h.Desired(otherID, theirTags())
	s.c.CreateDirectly(s.t, theirs)
	in := s.waitInstance(s.p, otherID, "serving", func(in cloud.Instance) bool { return in.Phase.Serving() }, nil)
	if diff := cmp.Diff(theirs.Tags, tagsNamed(theirs.Tags, in.Tags)); diff != "" {
		s.errorf("tags of a database another owner made, -theirs +reported:\n%s", diff)
	}

	// The controller's Create for an identifier someone else holds: nil, and the database
	// stays theirs for the next Observe to refuse.
	if err := s.p.Create(s.ctx, s.h.Desired(otherID, ourTags())); err != nil {
		s.errorf("Create of an identifier another owner holds = %v; want nil (the next Observe decides)", err)
	}
	obs, err := s.p.Observe(s.ctx, otherID)
	if err != nil || !obs.Exists {
		s.fatalf("Observe(%s) = %+v, %v", otherID, obs, err)
	}
	if diff := cmp.Diff(theirs.Tags, tagsNamed(theirs.Tags, obs.Instance.Tags)); diff != "" {
		s.errorf("tags after our Create of their identifier, -theirs +reported:\n%s", diff)
	}
	if v, ok := obs.Instance.Tags[v1.TagManagedBy]; ok {
		s.errorf("our Create put our tag %s=%s on their database", v1.TagManagedBy, v)
	}
	listed := s.listed(s.p, otherID)
	if len(listed) != 1 {
		s.fatalf("List reports %d databases named %s; want 1", len(listed), otherID)
	}
	if diff := cmp.Diff(obs.Instance.Tags, listed[0].Tags, cmpopts.EquateEmpty()); diff != "" {
		s.errorf("List and Observe disagree about the tags of %s, -Observe +List:\n%s", otherID, diff)
	}
}

func ownershipSurvivesRestart(s *suite) {
	d := s.h.Desired(dbID, ourTags())
	s.create(d)
	restarted := s.c.Restart(s.t)
	in := s.waitInstance(restarted, dbID, "serving", func(in cloud.Instance) bool { return in.Phase.Serving() }, nil)
	if diff := cmp.Diff(d.Tags, tagsNamed(d.Tags, in.Tags)); diff != "" {
		s.errorf("tags seen after the restart, -made with +seen:\n%s", diff)
	}
	if err := restarted.Create(s.ctx, d); err != nil {
		s.errorf("Create retried after the restart = %v; want nil", err)
	}
	if n := len(s.listed(restarted, dbID)); n != 1 {
		s.errorf("List after the restart reports %d databases named %s; want 1", n, dbID)
	}
	in = s.waitAvailable(restarted, dbID)
	before, err := s.p.Observe(s.ctx, dbID)
	if err != nil {
		s.fatalf("Observe(%s) through the first Provider: %v", dbID, err)
	}
	if diff := cmp.Diff(before.Instance, in, sameInstance...); diff != "" {
		s.errorf("the two Provider values disagree about %s, -before +after the restart:\n%s", dbID, diff)
	}
}

func tagAddsAndOverwrites(s *suite) {
	d := s.h.Desired(dbID, ourTags())
	s.create(d)
	in := s.waitAvailable(s.p, dbID)
	if in.ARN == "" {
		s.fatalf("Observe reports no ARN for %s; Tag needs one", dbID)
	}
	added := map[string]string{"cost-centre": "4711"}
	for range 2 {
		if err := s.p.Tag(s.ctx, in.ARN, added); err != nil {
			s.fatalf("Tag(%s, %v): %v", in.ARN, added, err)
		}
	}
	if err := s.p.Tag(s.ctx, in.ARN, map[string]string{"team": "checkout"}); err != nil {
		s.fatalf("Tag(%s) overwriting team: %v", in.ARN, err)
	}
	want := ourTags()
	want["cost-centre"], want["team"] = "4711", "checkout"
	obs, err := s.p.Observe(s.ctx, dbID)
	if err != nil || !obs.Exists {
		s.fatalf("Observe(%s) = %+v, %v", dbID, obs, err)
	}
	if diff := cmp.Diff(want, tagsNamed(want, obs.Instance.Tags)); diff != "" {
		s.errorf("tags after Tag, -want +got:\n%s", diff)
	}
}

func snapshotsAreIdempotent(s *suite) {
	s.create(s.h.Desired(dbID, ourTags()))
	s.waitAvailable(s.p, dbID)
	tags := ourTags()
	if s.h.NoSnapshots {
		if err := s.p.CreateSnapshot(s.ctx, dbID, snapID, tags); !errors.Is(err, cloud.ErrUnsupported) {
			s.errorf("CreateSnapshot on a cloud without snapshots = %v; want ErrUnsupported", err)
		}
		if list, err := s.p.Snapshots(s.ctx, dbID); err != nil || len(list) != 0 {
			s.errorf("Snapshots on a cloud without snapshots = %+v, %v; want none", list, err)
		}
		if _, found, err := s.p.Snapshot(s.ctx, snapID); err != nil || found {
			s.errorf("Snapshot(%s) on a cloud without snapshots = found %t, %v; want not found", snapID, found, err)
		}
		return
	}
	if err := s.p.CreateSnapshot(s.ctx, dbID, snapID, tags); err != nil {
		s.fatalf("CreateSnapshot(%s, %s): %v", dbID, snapID, err)
	}
	if err := s.p.CreateSnapshot(s.ctx, dbID, snapID, tags); err != nil {
		s.errorf("CreateSnapshot retried while the snapshot is being taken = %v; want nil", err)
	}
	snap := s.waitSnapshot(snapID)
	if err := s.p.CreateSnapshot(s.ctx, dbID, snapID, tags); err != nil {
		s.errorf("CreateSnapshot retried once the snapshot is done = %v; want nil", err)
	}
	if diff := cmp.Diff(tags, tagsNamed(tags, snap.Tags)); diff != "" {
		s.errorf("tags of the snapshot found by Snapshot, -want +got:\n%s", diff)
	}

	list, err := s.p.Snapshots(s.ctx, dbID)
	if err != nil {
		s.fatalf("Snapshots(%s): %v", dbID, err)
	}
	if len(list) != 1 || list[0].Identifier != snapID {
		s.fatalf("Snapshots(%s) = %+v; want the one snapshot %s", dbID, list, snapID)
	}
	if diff := cmp.Diff(tags, tagsNamed(tags, list[0].Tags)); diff != "" {
		s.errorf("tags of the snapshot listed by Snapshots, -want +got:\n%s", diff)
	}
	if snap.ARN != "" {
		byARN, found, err := s.p.Snapshot(s.ctx, snap.ARN)
		if err != nil || !found || byARN.Identifier != snapID {
			s.errorf("Snapshot(%s) = %+v, found %t, %v; want %s", snap.ARN, byARN, found, err, snapID)
		}
	}

	for range 2 {
		if err := s.p.DeleteSnapshot(s.ctx, snapID); err != nil {
			s.errorf("DeleteSnapshot(%s) (the second time of a gone snapshot) = %v; want nil", snapID, err)
		}
	}
	s.eventually("snapshot "+snapID+" gone", func() (bool, string, error) {
		_, found, err := s.p.Snapshot(s.ctx, snapID)
		return !found, "still found", err
	})
	if list, err := s.p.Snapshots(s.ctx, dbID); err != nil || len(list) != 0 {
		s.errorf("Snapshots(%s) after the delete = %+v, %v; want none", dbID, list, err)
	}
	if err := s.p.DeleteSnapshot(s.ctx, missingID); err != nil {
		s.errorf("DeleteSnapshot of a snapshot that never existed = %v; want nil", err)
	}
}

func busyIsErrBusy(s *suite) {
	if s.c.MakeBusy == nil {
		s.t.Skip("the harness cannot put a database in a state that refuses changes")
	}
	d := s.h.Desired(dbID, ourTags())
	s.create(d)
	s.waitAvailable(s.p, dbID)
	s.c.MakeBusy(s.t, dbID)
	days := otherRetention(d)
	err := s.p.Update(s.ctx, dbID, cloud.Changes{BackupRetentionDays: &days}, cloud.UpdateOptions{ApplyImmediately: true})
	if !errors.Is(err, cloud.ErrBusy) || errors.Is(err, cloud.ErrTransient) {
		s.errorf("Update of a database whose state refuses it = %v; want an error of kind ErrBusy only", err)
	}
}

func throttlingIsErrTransient(s *suite) {
	if s.c.Throttle == nil {
		s.t.Skip("the harness cannot make the cloud throttle")
	}
	s.c.Throttle(s.t, true)
	// At once: a provider may retry throttled calls before it gives up, which takes a while.
	var observeErr, createErr error
	var wg sync.WaitGroup
	wg.Go(func() { _, observeErr = s.p.Observe(s.ctx, missingID) })
	wg.Go(func() { createErr = s.p.Create(s.ctx, s.h.Desired(dbID, ourTags())) })
	wg.Wait()
	s.c.Throttle(s.t, false)
	for call, err := range map[string]error{"Observe": observeErr, "Create": createErr} {
		if !errors.Is(err, cloud.ErrTransient) || errors.Is(err, cloud.ErrBusy) {
			s.errorf("%s while the cloud throttles = %v; want an error of kind ErrTransient only", call, err)
		}
	}
	if obs, err := s.p.Observe(s.ctx, missingID); err != nil || obs.Exists {
		s.errorf("Observe once the throttling ends = %+v, %v; want Exists false and no error", obs, err)
	}
}
