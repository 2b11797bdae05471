package soak

import (
	"fmt"
	"path/filepath"
	"sync"
	"time"

	"github.com/matrixmind-cloud/aws-rds-operator/internal/localstack"
)

// operatorProcess runs the manager binary, kills it with SIGKILL and starts it again. Each
// run logs to a file of its own (operator-<n>.log).
type operatorProcess struct {
	bin, dir string
	args     []string
	env      []string
	log      *progress

	mu   sync.Mutex
	proc *localstack.Process
	// killing is set while the soak kills the process, to tell its kills from a crash.
	killing bool
	runs    int
	kills   int
	// crashes are the runs that ended without the soak killing them, with their last lines.
	crashes []string
}

// start starts a new run of the operator.
func (o *operatorProcess) start() error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.runs++
	logPath := filepath.Join(o.dir, fmt.Sprintf("operator-%d.log", o.runs))
	p, err := localstack.StartProcess("manager", logPath, o.env, o.bin, o.args...)
	if err != nil {
		return err
	}
	o.proc = p
	go o.watch(p, logPath)
	return nil
}

// watch records a run that ends on its own: the operator must never exit unasked.
func (o *operatorProcess) watch(p *localstack.Process, logPath string) {
	<-p.Exited()
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.proc == p && !o.killing {
		o.crashes = append(o.crashes, fmt.Sprintf("%s:\n%s", logPath, p.LogTail(20)))
		o.proc = nil
	}
}

// kill sends SIGKILL and waits until the process is gone.
func (o *operatorProcess) kill() {
	o.mu.Lock()
	p := o.proc
	o.killing = true
	o.mu.Unlock()
	if p != nil {
		p.Kill()
	}
	o.mu.Lock()
	if p != nil {
		o.kills++
	}
	o.proc, o.killing = nil, false
	o.mu.Unlock()
}

// ensureRunning starts the operator unless it runs.
func (o *operatorProcess) ensureRunning() error {
	o.mu.Lock()
	running := o.proc != nil
	o.mu.Unlock()
	if running {
		return nil
	}
	return o.start()
}

// stop ends the run with SIGTERM, as a rollout would.
func (o *operatorProcess) stop() {
	o.mu.Lock()
	p := o.proc
	o.killing = true
	o.mu.Unlock()
	if p != nil {
		if err := p.Stop(15 * time.Second); err != nil {
			o.log.logf("stop the operator: %v", err)
		}
	}
}

// counts returns the runs started, the kills and the unasked exits.
func (o *operatorProcess) counts() (runs, kills int, crashes []string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.runs, o.kills, append([]string(nil), o.crashes...)
}
