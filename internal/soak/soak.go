// Package soak runs the operator through a fault soak: a fleet of RDSDatabase objects (some
// backed by a real PostgreSQL, the rest by the emulator's no-engine instances, a few whose
// cloud identifier another owner already holds, a few restored from the fleet's final
// snapshots, by objects of the same namespace or, to be refused, of a second one) is
// created, updated, given and relieved of users, rotated and deleted while the emulator
// throttles, fails and slows its answers, the apiserver answers the operator's writes with
// conflicts, and the operator process is killed with SIGKILL at random moments and started
// again. Then the faults stop, the fleet is given a bounded time to converge, and the
// invariants are checked against the real state of the apiserver, the emulator and the
// databases, and printed as figures.
package soak

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/matrixmind-cloud/aws-rds-operator/internal/emulator"
)

// Config configures a soak.
type Config struct {
	// Seed makes the fleet, its actions and the kill schedule; the same seed gives the same
	// plan (the interleaving with the operator still varies from run to run).
	Seed uint64
	// Databases is the size of the fleet; EngineBacked of them run a real PostgreSQL and
	// Foreign of the others collide with a cloud database of another owner.
	Databases, EngineBacked, Foreign int
	// Duration is how long the faults and actions last.
	Duration time.Duration
	// Kills is how many times the operator is killed with SIGKILL during Duration.
	Kills int
	// ConvergeTimeout bounds the wait, after the faults stop, for every object to settle.
	ConvergeTimeout time.Duration
	// Faults are the emulator's faults during Duration.
	Faults emulator.Faults
	// ConflictRate is the fraction of the operator's optimistic writes answered with 409.
	ConflictRate float64
	// TouchEvery is how often the chaos writer touches an object or one of its Secrets.
	TouchEvery time.Duration
	// Dir receives the state and the logs (control plane, emulator, each operator run).
	Dir string
	// Root is the repository root: the CRDs and ./cmd/manager are found there.
	Root string
	// ToolsDir holds kube-apiserver and etcd; empty means controlplane.ToolsDir().
	ToolsDir string
	// ManagerBinary is the operator binary; empty builds ./cmd/manager into Dir.
	ManagerBinary string
	// Out receives progress lines and the figures.
	Out io.Writer
}

// Short is the soak `make test` runs: a small fleet for about a minute.
func Short(seed uint64) Config {
	return Config{
		Seed: seed, Databases: 10, EngineBacked: 3, Foreign: 2,
		Duration: 35 * time.Second, Kills: 3, ConvergeTimeout: 2 * time.Minute,
		Faults:       emulator.Faults{ThrottleEvery: 6, ErrorRate: 0.08, Latency: 20 * time.Millisecond},
		ConflictRate: 0.15, TouchEvery: 400 * time.Millisecond,
	}
}

// Full is the soak `make soak` runs: 50 databases for six minutes.
func Full(seed uint64) Config {
	return Config{
		Seed: seed, Databases: 50, EngineBacked: 12, Foreign: 3,
		Duration: 6 * time.Minute, Kills: 20, ConvergeTimeout: 5 * time.Minute,
		Faults:       emulator.Faults{ThrottleEvery: 5, ErrorRate: 0.1, Latency: 25 * time.Millisecond},
		ConflictRate: 0.15, TouchEvery: 250 * time.Millisecond,
	}
}

// Run runs the soak and returns its report. The error is for a soak that could not run;
// broken invariants are in the report.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	if cfg.Out == nil {
		cfg.Out = os.Stdout
	}
	if cfg.EngineBacked+cfg.Foreign > cfg.Databases {
		return nil, errors.New("soak: EngineBacked plus Foreign exceed Databases")
	}
	for _, p := range []*string{&cfg.Dir, &cfg.Root} {
		abs, err := filepath.Abs(*p)
		if err != nil {
			return nil, err
		}
		*p = abs
	}
	log := &progress{out: cfg.Out, start: time.Now()}
	log.logf("seed %d: %d databases (%d engine-backed, %d no-engine of which %d collide with a foreign cloud database), %s of faults, %d SIGKILLs",
		cfg.Seed, cfg.Databases, cfg.EngineBacked, cfg.Databases-cfg.EngineBacked, cfg.Foreign, cfg.Duration, cfg.Kills)

	st, err := startStack(ctx, cfg, log)
	if err != nil {
		return nil, err
	}
	defer st.stop()

	ns, err := st.namespace(ctx)
	if err != nil {
		return nil, err
	}
	neighbourNS, err := st.namespace(ctx)
	if err != nil {
		return nil, err
	}
	r := &runner{st: st, cfg: cfg, log: log, ns: ns, neighbourNS: neighbourNS, fleet: planFleet(rand.New(rand.NewPCG(cfg.Seed, 1)), cfg)}
	if err := r.createForeign(ctx); err != nil {
		return nil, err
	}
	if err := r.writePlan(); err != nil {
		return nil, err
	}

	// The faults phase: actions, chaos writes, conflicts, emulator faults and kills at once.
	st.emulator.SetFaults(cfg.Faults)
	st.proxy.SetRate(cfg.ConflictRate)
	phase, stopPhase := context.WithTimeout(ctx, cfg.Duration)
	var wg sync.WaitGroup
	var actionErr error
	wg.Add(3)
	go func() { defer wg.Done(); actionErr = r.runActions(phase) }()
	go func() { defer wg.Done(); r.chaos(phase, rand.New(rand.NewPCG(cfg.Seed, 2))) }()
	go func() { defer wg.Done(); r.kills(phase, rand.New(rand.NewPCG(cfg.Seed, 3))) }()
	wg.Wait()
	stopPhase()
	if actionErr != nil && ctx.Err() == nil {
		return nil, actionErr
	}

	// The calm: no faults, no conflicts, no kills; the operator runs until all settles.
	st.emulator.SetFaults(emulator.Faults{})
	st.proxy.SetRate(0)
	if err := st.operator.ensureRunning(); err != nil {
		return nil, err
	}
	log.logf("faults off; waiting up to %s for every object to converge", cfg.ConvergeTimeout)
	converged := r.waitConverged(ctx, cfg.ConvergeTimeout)
	log.logf("converged: %t; checking invariants", converged)

	report, err := r.check(ctx)
	if err != nil {
		return nil, err
	}
	report.Duration = time.Since(log.start)
	return report, nil
}

// progress prints progress lines stamped with the time since the start.
type progress struct {
	mu    sync.Mutex
	out   io.Writer
	start time.Time
}

func (p *progress) logf(format string, args ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintf(p.out, "[soak %6.1fs] %s\n", time.Since(p.start).Seconds(), fmt.Sprintf(format, args...))
}
