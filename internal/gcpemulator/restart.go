package gcpemulator

import (
	"context"
	"fmt"
	"net/http"
	"time"
)

// restartInstance answers instances.restart: the instance's server restarts on its data
// and its address under a RESTART operation, refused (409) while another operation runs
// and (400) while the instance is not running, as other changes are. The instance stays
// RUNNABLE meanwhile, and its server refuses connections until it is back.
func (e *Emulator) restartInstance(r *http.Request) (any, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	in, err := e.lookup(r)
	if err != nil {
		return nil, err
	}
	if err := in.changeable(); err != nil {
		return nil, err
	}
	op := e.newOperation(r, in.key, opRestart)
	in.busy = op
	e.backgroundLocked(func(ctx context.Context) { e.runRestart(ctx, in, op) })
	return op.view(), nil
}

// runRestart restarts the server, for at least Delays.Update.
func (e *Emulator) runRestart(ctx context.Context, in *instance, op *operation) {
	start := time.Now()
	e.startOperation(op)
	e.mu.Lock()
	srv := in.server
	e.mu.Unlock()
	var err error
	if srv != nil {
		err = srv.Restart(ctx)
	}
	if !sleep(ctx, e.cfg.Delays.Update-time.Since(start)) {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if err != nil {
		fmt.Fprintf(e.cfg.Log, "cloudsql-emulator: restart %s: %v\n", in.key.name, err)
		in.state = stateFailed
		e.finishOperation(op, "INTERNAL_ERROR", fmt.Errorf("the instance's database server did not start again"))
		return
	}
	e.finishOperation(op, "", nil)
}
