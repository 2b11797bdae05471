package cloudtest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	v1 "github.com/matrixmind-cloud/aws-rds-operator/api/v1"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/cloud"
)

// Harness is what a provider's test gives Conformance: how to start its cloud's emulator
// and what that cloud needs of a database. Everything specific to the cloud lives here;
// the suite itself speaks only the cloud.Provider contract.
type Harness struct {
	// Start serves a fresh emulator for the length of t, with nothing in it, and returns a
	// Cloud on it. Each case starts its own.
	Start func(t *testing.T) Cloud
	// Desired returns a database valid for the cloud with the identifier and tags, as small
	// and cheap as the cloud allows; it must leave backups on (a retention above zero) so
	// that the suite can change the retention. The suite changes nothing else in it.
	Desired func(identifier string, tags map[string]string) cloud.Desired
	// Timeout bounds each wait for the cloud to get somewhere (a database available, a
	// snapshot done, a database gone); zero means 10s.
	Timeout time.Duration
	// Interval is how often a wait looks again; zero means 10ms.
	Interval time.Duration
	// NoSnapshots says the cloud keeps no snapshot that outlives a database (SPEC §6:
	// admission of the class's objects refuses deletionPolicy Snapshot): the cases on
	// snapshots then check that the provider refuses them with cloud.ErrUnsupported and
	// leaves the database as it was.
	NoSnapshots bool
}

// Cloud is one fresh emulated cloud with a Provider talking to it. The optional hooks are
// nil when the emulator cannot do what they ask; the cases that need them are then skipped.
type Cloud struct {
	// Provider talks to the emulator Start served.
	Provider cloud.Provider
	// Restart returns a new Provider value on the same emulator, built as the operator
	// builds one when it starts again: it shares nothing with Provider but the cloud.
	Restart func(t *testing.T) cloud.Provider
	// CreateDirectly creates the database d through the cloud's own API, not through any
	// Provider, as another tool or another operator would.
	CreateDirectly func(t *testing.T, d cloud.Desired)
	// Mutations, when the emulator keeps a call log, returns every call it has answered so
	// far that could change something (not a read), in order, each as "<action> <subject>".
	Mutations func() []string
	// MakeBusy, when the emulator can, puts the available database in a state that refuses
	// changes until the cloud is done with it (and stays there for the test).
	MakeBusy func(t *testing.T, identifier string)
	// Throttle, when the emulator can, makes the cloud throttle every request (on) or none.
	Throttle func(t *testing.T, on bool)
}

// Conformance runs the cases every cloud.Provider must pass against its own emulator: each
// case a subtest on a fresh Cloud from h.Start, with the reason it exists in any failure.
// The cases run one after another: a harness may set the process environment for t.
func Conformance(t *testing.T, h Harness) {
	if h.Timeout == 0 {
		h.Timeout = 10 * time.Second
	}
	if h.Interval == 0 {
		h.Interval = 10 * time.Millisecond
	}
	for _, tc := range conformanceCases {
		t.Run(tc.name, func(t *testing.T) {
			c := h.Start(t)
			if c.Provider == nil || c.Restart == nil || c.CreateDirectly == nil {
				t.Fatal("harness: Start must return a Cloud with Provider, Restart and CreateDirectly set")
			}
			tc.run(&suite{t: t, reason: tc.reason, h: h, c: c, p: c.Provider, ctx: t.Context()})
		})
	}
}

// conformanceCase is one property of the contract and how to check it.
type conformanceCase struct {
	name string
	// reason says what the case proves, and is printed with each failure.
	reason string
	run    func(s *suite)
}

// suite is one case under way: its test, its cloud and the harness.
type suite struct {
	t      *testing.T
	reason string
	h      Harness
	c      Cloud
	p      cloud.Provider
	ctx    context.Context
}

// Tags the suite puts on databases: the keys the operator writes (the owner tag's value is
// what the controller decides ownership by) and an ordinary one.
// Each call returns a new map, so that nothing a provider does to one reaches a later case.
func ourTags() map[string]string {
	return map[string]string{v1.TagOwner: "conformance/orders", v1.TagManagedBy: v1.ManagedByValue, "team": "payments"}
}

func theirTags() map[string]string {
	return map[string]string{v1.TagOwner: "elsewhere/billing", "team": "billing"}
}

func (s *suite) errorf(format string, args ...any) {
	s.t.Helper()
	s.t.Errorf("%s\n%s", s.reason, fmt.Sprintf(format, args...))
}

func (s *suite) fatalf(format string, args ...any) {
	s.t.Helper()
	s.t.Fatalf("%s\n%s", s.reason, fmt.Sprintf(format, args...))
}

// create creates the database d through the case's Provider, failing the case on an error.
func (s *suite) create(d cloud.Desired) {
	s.t.Helper()
	if err := s.p.Create(s.ctx, d); err != nil {
		s.fatalf("Create(%s): %v", d.Identifier, err)
	}
}

// eventually reads until read reports done, for at most the harness's Timeout, and fails the
// case with the last state read when the time is up. A read that fails with a transient
// error or a WaitError is read again; any other error fails the case at once.
func (s *suite) eventually(what string, read func() (done bool, state string, err error)) {
	s.t.Helper()
	timeout := time.NewTimer(s.h.Timeout)
	defer timeout.Stop()
	tick := time.NewTicker(s.h.Interval)
	defer tick.Stop()
	var state string
	for {
		done, st, err := read()
		switch _, wait := cloud.RetryAfter(err); {
		case err == nil:
			state = st
			if done {
				return
			}
		case errors.Is(err, cloud.ErrTransient) || wait:
			state = err.Error()
		default:
			s.fatalf("waiting for %s: %v", what, err)
		}
		select {
		case <-tick.C:
		case <-timeout.C:
			s.fatalf("%s did not happen within %s; last seen: %s", what, s.h.Timeout, state)
		case <-s.ctx.Done():
			s.fatalf("waiting for %s: %v", what, s.ctx.Err())
		}
	}
}

// waitInstance waits until Observe, through p, shows the database as ok wants it, and
// returns it. It records each phase seen on the way in seen, when not nil.
func (s *suite) waitInstance(p cloud.Provider, id, what string, ok func(cloud.Instance) bool, seen *[]cloud.Phase) cloud.Instance {
	s.t.Helper()
	var in cloud.Instance
	s.eventually(id+" "+what, func() (bool, string, error) {
		obs, err := p.Observe(s.ctx, id)
		if err != nil {
			return false, "", err
		}
		if !obs.Exists {
			return false, "does not exist", nil
		}
		in = obs.Instance
		if seen != nil && (len(*seen) == 0 || (*seen)[len(*seen)-1] != in.Phase) {
			*seen = append(*seen, in.Phase)
		}
		return ok(in), fmt.Sprintf("phase %s (%s), backup retention %d days, changes pending %t", in.Phase, in.Status, in.BackupRetentionDays, !in.Pending.Empty()), nil
	})
	return in
}

// waitAvailable waits until the database serves and is in the middle of nothing: the
// state in which it accepts changes.
func (s *suite) waitAvailable(p cloud.Provider, id string) cloud.Instance {
	s.t.Helper()
	return s.waitInstance(p, id, "available", func(in cloud.Instance) bool { return in.Phase == cloud.PhaseAvailable }, nil)
}

// waitGone waits until Observe reports the database does not exist.
func (s *suite) waitGone(id string) {
	s.t.Helper()
	s.eventually(id+" gone", func() (bool, string, error) {
		obs, err := s.p.Observe(s.ctx, id)
		if err != nil {
			return false, "", err
		}
		return !obs.Exists, fmt.Sprintf("phase %s (%s)", obs.Instance.Phase, obs.Instance.Status), nil
	})
}

// waitSnapshot waits until Snapshot finds the snapshot complete, and returns it.
func (s *suite) waitSnapshot(snapshot string) cloud.Snapshot {
	s.t.Helper()
	var snap cloud.Snapshot
	s.eventually("snapshot "+snapshot+" available", func() (bool, string, error) {
		got, found, err := s.p.Snapshot(s.ctx, snapshot)
		if err != nil || !found {
			return false, "not found", err
		}
		snap = got
		return got.Available, "status " + got.Status, nil
	})
	return snap
}

// listed returns the databases List reports with the identifier.
func (s *suite) listed(p cloud.Provider, id string) []cloud.Instance {
	s.t.Helper()
	all, err := p.List(s.ctx)
	if err != nil {
		s.fatalf("List: %v", err)
	}
	var out []cloud.Instance
	for _, in := range all {
		if in.Identifier == id {
			out = append(out, in)
		}
	}
	return out
}

// tagsNamed returns the tags of got that want names, as they are, for a diff against want:
// a cloud may add tags of its own, but must report every tag it was given unchanged.
func tagsNamed(want, got map[string]string) map[string]string {
	out := map[string]string{}
	for k := range want {
		if v, ok := got[k]; ok {
			out[k] = v
		}
	}
	return out
}
