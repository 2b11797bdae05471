package soak

import (
	"math/rand/v2"
	"testing"

	"github.com/google/go-cmp/cmp"

	v1 "github.com/matrixmind-cloud/aws-rds-operator/api/v1"
)

// TestPlanFleet proves a seed replays its plan, and that every plan fits the phase, starts
// each object with its creation, ends deletions last, creates each restoring object after
// the deletion that leaves its snapshot, and covers the paths the soak is for.
func TestPlanFleet(t *testing.T) {
	configs := []Config{Full(7), Full(8)}
	for seed := range uint64(20) {
		configs = append(configs, Short(seed))
	}
	for _, cfg := range configs {
		a := planFleet(rand.New(rand.NewPCG(cfg.Seed, 1)), cfg)
		b := planFleet(rand.New(rand.NewPCG(cfg.Seed, 1)), cfg)
		if diff := cmp.Diff(a, b, cmp.AllowUnexported(dbPlan{}, step{})); diff != "" {
			t.Errorf("seed %d gave two plans: -first +second:\n%s", cfg.Seed, diff)
		}
		engine, foreign, engineSnapshotDeleted, foreignDeleted := 0, 0, false, false
		restorers, cross, same := 0, 0, 0
		byName := map[string]*dbPlan{}
		for _, p := range a {
			byName[p.name] = p
		}
		for _, p := range a {
			if p.steps[0].what != stepCreate {
				t.Errorf("%s starts with %q, not its creation", p.name, p.steps[0].what)
			}
			for i, s := range p.steps {
				if s.at >= cfg.Duration {
					t.Errorf("%s: %s at %s, after the %s phase", p.name, s.what, s.at, cfg.Duration)
				}
				if i > 0 && s.at < p.steps[i-1].at {
					t.Errorf("%s: steps out of order: %v", p.name, p.steps)
				}
				if s.what == stepDelete && i != len(p.steps)-1 {
					t.Errorf("%s: a step after its deletion: %v", p.name, p.steps)
				}
			}
			if p.engine {
				engine++
				engineSnapshotDeleted = engineSnapshotDeleted || (p.deletes() && p.policy == v1.DeletionSnapshot)
			}
			if p.foreign != "" {
				foreign++
				foreignDeleted = foreignDeleted || p.deletes()
			}
			if p.restoreFrom == "" {
				continue
			}
			restorers++
			src := byName[p.restoreFrom]
			switch {
			case src == nil || !snapshotSource(src) || src.neighbour:
				t.Errorf("%s restores %q, which leaves no final snapshot in the fleet's namespace", p.name, p.restoreFrom)
			case p.steps[0].at <= src.steps[len(src.steps)-1].at:
				t.Errorf("%s is created at %s, before %s is deleted at %s", p.name, p.steps[0].at, src.name, src.steps[len(src.steps)-1].at)
			case len(p.steps) != 1 || p.engine:
				t.Errorf("%s: a restoring object is a no-engine object that is only created: %v", p.name, p.steps)
			case p.neighbour:
				cross++
			case src.engine:
				t.Errorf("%s restores engine-backed %s in its own namespace: no-engine sources only", p.name, src.name)
			default:
				same++
			}
		}
		if len(a)-restorers != cfg.Databases || engine != cfg.EngineBacked || foreign != cfg.Foreign {
			t.Errorf("fleet of %d (%d engine-backed, %d foreign), want %d (%d, %d)", len(a), engine, foreign, cfg.Databases, cfg.EngineBacked, cfg.Foreign)
		}
		if !engineSnapshotDeleted || !foreignDeleted {
			t.Errorf("seed %d: no engine-backed object deleted with a final snapshot (%t) or no foreign object deleted (%t)", cfg.Seed, engineSnapshotDeleted, foreignDeleted)
		}
		if cross == 0 || same == 0 {
			t.Errorf("seed %d: %d restores of another namespace's snapshot and %d of the same namespace's, want some of each", cfg.Seed, cross, same)
		}
	}
}
