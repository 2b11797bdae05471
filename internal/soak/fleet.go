package soak

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	v1 "github.com/matrixmind-cloud/aws-rds-operator/api/v1"
)

// What a step does to an object.
const (
	stepCreate       = "create"
	stepGrow         = "grow storage"
	stepClass        = "change instance class"
	stepRetention    = "change backup retention"
	stepTag          = "change a tag"
	stepAddUser      = "add a user"
	stepRemoveUser   = "remove a user"
	stepRotateUser   = "rotate a user's password"
	stepRotateMaster = "rotate the master password"
	stepDelete       = "delete"
)

// Kinds of foreign cloud databases, created before the operator sees the object whose
// identifier they hold.
const (
	foreignOtherOwner = "owner tag of another object"
	foreignUntagged   = "no tags at all"
	foreignLookalike  = "managed-by tag of this operator, owner elsewhere"
)

// stepsFor lists the updates each kind of object may get. Users and rotations need a server
// to log in to, so only engine-backed objects get them.
var (
	engineSteps   = []string{stepGrow, stepClass, stepRetention, stepTag, stepAddUser, stepRemoveUser, stepRotateUser, stepRotateMaster, stepRotateUser, stepRotateMaster}
	noEngineSteps = []string{stepGrow, stepClass, stepRetention, stepTag}
	foreignSteps  = []string{stepGrow, stepTag}
)

// dbPlan is one object of the fleet and what happens to it.
type dbPlan struct {
	name string
	// engine objects run a real PostgreSQL.
	engine bool
	// foreign is the kind of foreign cloud database holding the object's identifier, if any.
	foreign string
	// restoreFrom names the fleet object whose final snapshot this object is created from
	// (its spec.restoreFrom); neighbour objects live in the second namespace, so theirs is a
	// snapshot of another namespace, which the operator must refuse.
	restoreFrom string
	neighbour   bool
	policy      v1.DeletionPolicy
	steps       []step
}

// step is one thing done to an object at a moment of the faults phase.
type step struct {
	at   time.Duration
	what string
}

// deletes tells whether the plan deletes the object.
func (p *dbPlan) deletes() bool {
	return len(p.steps) > 0 && p.steps[len(p.steps)-1].what == stepDelete
}

// count is how many of p's steps do what.
func (p *dbPlan) count(what string) int {
	n := 0
	for _, s := range p.steps {
		if s.what == what {
			n++
		}
	}
	return n
}

// planFleet draws the fleet from rng: names, kinds, deletion policies and timed steps, all
// within cfg.Duration. The same rng state gives the same fleet.
func planFleet(rng *rand.Rand, cfg Config) []*dbPlan {
	d := cfg.Duration
	at := func(lo, hi float64) time.Duration { // a moment between lo and hi of the phase
		return time.Duration((lo + rng.Float64()*(hi-lo)) * float64(d))
	}
	kinds := []string{foreignOtherOwner, foreignUntagged, foreignLookalike}
	var fleet []*dbPlan
	for i := 0; i < cfg.Databases; i++ {
		p := &dbPlan{}
		pool := noEngineSteps
		switch {
		case i < cfg.EngineBacked:
			p.name, p.engine, pool = fmt.Sprintf("pg-%02d", i+1), true, engineSteps
		case i >= cfg.Databases-cfg.Foreign:
			j := i - (cfg.Databases - cfg.Foreign)
			p.name, p.foreign, pool = fmt.Sprintf("fx-%02d", j+1), kinds[j%len(kinds)], foreignSteps
		default:
			p.name = fmt.Sprintf("ne-%02d", i-cfg.EngineBacked+1)
		}
		p.policy = drawPolicy(rng, p.engine)
		created := at(0, 0.25)
		p.steps = []step{{at: created, what: stepCreate}}

		early := !p.engine && p.foreign == "" && rng.Float64() < 0.1
		if early {
			// Deleted while it is still being created.
			p.steps = append(p.steps, step{at: created + time.Duration(rng.Float64()*3*float64(time.Second)), what: stepDelete})
			fleet = append(fleet, p)
			continue
		}
		n := 1 + rng.IntN(3)
		if p.engine {
			n += 2
		}
		for _, k := range rng.Perm(len(pool))[:min(n, len(pool))] {
			p.steps = append(p.steps, step{at: max(created+time.Second, at(0.1, 0.8)), what: pool[k]})
		}
		sort.SliceStable(p.steps[1:], func(a, b int) bool { return p.steps[1+a].at < p.steps[1+b].at })
		if rng.Float64() < 0.4 {
			p.steps = append(p.steps, step{at: max(p.steps[len(p.steps)-1].at+time.Second, at(0.45, 0.9)), what: stepDelete})
		}
		fleet = append(fleet, p)
	}
	ensureCoverage(fleet, d)
	return append(fleet, planRestores(rng, fleet, d)...)
}

// planRestores draws the objects created from a final snapshot of the fleet: for each
// object deleted with deletionPolicy Snapshot, an object in the neighbouring namespace that
// tries to restore it (which the operator must refuse), and, for a no-engine one, an object
// in the same namespace that restores it (which must work, or refusing everything would
// pass). Each is drawn with some probability and created a little after its source's
// deletion; at least one of each kind is made whatever the draw.
func planRestores(rng *rand.Rand, fleet []*dbPlan, d time.Duration) []*dbPlan {
	var out []*dbPlan
	cross, same := 0, 0
	add := func(src *dbPlan, neighbour bool) {
		p := &dbPlan{restoreFrom: src.name, neighbour: neighbour, policy: v1.DeletionDelete}
		if neighbour {
			cross++
			p.name = fmt.Sprintf("rx-%02d", cross)
		} else {
			same++
			p.name = fmt.Sprintf("rs-%02d", same)
		}
		// Soon after the source's deletion, while the final snapshot is being taken or
		// just taken: the operator must wait for it either way.
		deleted := src.steps[len(src.steps)-1].at
		created := min(deleted+time.Second+time.Duration(rng.Float64()*0.08*float64(d)), d*97/100)
		p.steps = []step{{at: created, what: stepCreate}}
		out = append(out, p)
	}
	var sources []*dbPlan
	for _, p := range fleet {
		if snapshotSource(p) {
			sources = append(sources, p)
		}
	}
	for _, src := range sources {
		if rng.Float64() < 0.5 {
			add(src, true)
		}
		if !src.engine && rng.Float64() < 0.3 {
			add(src, false)
		}
	}
	if cross == 0 && len(sources) > 0 {
		add(sources[rng.IntN(len(sources))], true)
	}
	if same == 0 {
		for _, src := range sources {
			if !src.engine {
				add(src, false)
				break
			}
		}
	}
	return out
}

// snapshotSource tells whether p leaves a final snapshot: it is the soak's own, deleted
// with deletionPolicy Snapshot, and not so early that its cloud database may never exist.
func snapshotSource(p *dbPlan) bool {
	return p.foreign == "" && p.restoreFrom == "" && p.policy == v1.DeletionSnapshot && p.deletes() && len(p.steps) > 2
}

// drawPolicy picks a deletion policy; engine-backed objects are not retained, so that no
// server outlives the soak's bookkeeping.
func drawPolicy(rng *rand.Rand, engine bool) v1.DeletionPolicy {
	x := rng.Float64()
	switch {
	case x < 0.5:
		return v1.DeletionSnapshot
	case x < 0.85 || engine:
		return v1.DeletionDelete
	default:
		return v1.DeletionRetain
	}
}

// ensureCoverage makes sure the paths the soak is about happen whatever the draw: an
// engine-backed and a no-engine object deleted with a final snapshot (restores are made
// from them), and the first foreign object deleted (its cloud database must survive that).
func ensureCoverage(fleet []*dbPlan, d time.Duration) {
	for _, p := range fleet {
		if p.engine {
			p.policy = v1.DeletionSnapshot
			if !p.deletes() {
				p.steps = append(p.steps, step{at: max(p.steps[len(p.steps)-1].at+time.Second, d*85/100), what: stepDelete})
			}
			break
		}
	}
	if !slices.ContainsFunc(fleet, func(p *dbPlan) bool { return !p.engine && snapshotSource(p) }) {
		for _, p := range fleet {
			if !p.engine && p.foreign == "" && len(p.steps) > 1 && p.steps[1].what != stepDelete {
				p.policy = v1.DeletionSnapshot
				if !p.deletes() {
					p.steps = append(p.steps, step{at: max(p.steps[len(p.steps)-1].at+time.Second, d*8/10), what: stepDelete})
				}
				break
			}
		}
	}
	for _, p := range fleet {
		if p.foreign != "" {
			p.policy = v1.DeletionSnapshot
			if !p.deletes() {
				p.steps = append(p.steps, step{at: max(p.steps[len(p.steps)-1].at+time.Second, d*7/10), what: stepDelete})
			}
			break
		}
	}
}

// writePlan writes the fleet's plan to plan.txt in the state directory and prints how many
// steps of each kind it holds.
func (r *runner) writePlan() error {
	var b strings.Builder
	count := map[string]int{}
	cross, same := 0, 0
	for _, p := range r.fleet {
		kind := "no engine"
		if p.engine {
			kind = "PostgreSQL"
		}
		switch {
		case p.foreign != "":
			kind = "foreign: " + p.foreign
		case p.neighbour:
			kind = fmt.Sprintf("restores %s/%s's final snapshot from namespace %s: must be refused", r.ns, p.restoreFrom, r.neighbourNS)
			cross++
		case p.restoreFrom != "":
			kind = fmt.Sprintf("no engine, restores %s's final snapshot", p.restoreFrom)
			same++
		}
		fmt.Fprintf(&b, "%s/%s (%s, identifier %s, deletionPolicy %s)\n", r.nsOf(p), p.name, kind, r.id(p), p.policy)
		for _, s := range p.steps {
			fmt.Fprintf(&b, "  %8s  %s\n", s.at.Round(100*time.Millisecond), s.what)
			count[s.what]++
		}
	}
	var parts []string
	for _, what := range []string{stepCreate, stepGrow, stepClass, stepRetention, stepTag, stepAddUser, stepRemoveUser, stepRotateUser, stepRotateMaster, stepDelete} {
		parts = append(parts, fmt.Sprintf("%d %s", count[what], what))
	}
	r.log.logf("plan (in plan.txt): %s; restores among the creates: %d of another namespace's snapshot (to be refused), %d of their own namespace's",
		strings.Join(parts, ", "), cross, same)
	return os.WriteFile(filepath.Join(r.cfg.Dir, "plan.txt"), []byte(b.String()), 0o644)
}
