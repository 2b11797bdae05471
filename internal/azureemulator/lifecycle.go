package azureemulator

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// errFailOperations is why an operation failed under Faults.FailOperations, for the log.
var errFailOperations = errors.New("failed on purpose (faults: failOperations)")

// runCreate takes a new server through its create operation: it gets its address and,
// unless NoEngine, its database server starts there; after Delays.Create it is Ready. A
// server whose database server does not start is gone again, its operation Failed.
func (e *Emulator) runCreate(ctx context.Context, s *server, op *operation, password string) {
	start := time.Now()
	e.mu.Lock()
	failing := e.faults.FailOperations
	e.mu.Unlock()
	addr, err := "", errFailOperations
	if !failing {
		addr, err = e.startServerEngine(ctx, s, password)
	} else if !runFor(ctx, start, e.cfg.Delays.Create) {
		// As Azure's: the server shows Provisioning for a while before the create fails.
		return
	}
	if err != nil {
		fmt.Fprintf(e.cfg.Log, "azure-emulator: server %s failed: %v\n", s.name, err)
		e.mu.Lock()
		delete(e.servers, serverKey{s.p, s.name})
		e.finish(op, s, errInternal())
		e.mu.Unlock()
		return
	}
	if !runFor(ctx, start, e.cfg.Delays.Create) {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	now := e.cfg.Now()
	s.address, s.state, s.ready, s.modified = addr, stateReady, now, now
	e.finish(op, s, nil)
}

// startServerEngine gives a new server its address and, unless NoEngine, starts its
// database server there, attached to the server at once so that Close stops it. Another
// process may take the address between the check and the bind: when the start fails and
// the address is no longer free, another is tried.
func (e *Emulator) startServerEngine(ctx context.Context, s *server, password string) (string, error) {
	if e.cfg.NoEngine {
		return e.addresses.take(s.p.port, false)
	}
	for try := 1; ; try++ {
		addr, err := e.addresses.take(s.p.port, true)
		if err != nil {
			return "", err
		}
		e.mu.Lock()
		e.seq++
		dir := filepath.Join(e.cfg.DataDir, "servers", fmt.Sprintf("%s-%d", s.name, e.seq))
		e.mu.Unlock()
		eng, minor, err := startEngine(ctx, s.p, engineOptions{
			dir: dir, admin: s.spec.admin, password: password, address: addr, version: s.spec.version, log: e.cfg.Log, ca: e.ca,
		})
		if err == nil {
			e.mu.Lock()
			s.engine, s.minorVersion = eng, minor
			e.mu.Unlock()
			return addr, nil
		}
		e.addresses.give(addr)
		if try == addressTries || ctx.Err() != nil || listenable(addr, s.p.port) == nil {
			return "", err // the address was free: it was not what failed
		}
		fmt.Fprintf(e.cfg.Log, "azure-emulator: server %s: %s:%d was taken meanwhile; trying another address\n", s.name, addr, s.p.port)
	}
}

// runUpdate applies an update when its operation ends, after Delays.Update: the new
// administrator password is set on the database server, and a new SKU restarts it, as
// Azure restarts a server to scale it. When the database server refuses, the operation
// fails and no setting changes; one that did not come back leaves the server Disabled.
func (e *Emulator) runUpdate(ctx context.Context, s *server, op *operation, next spec, password string) {
	start := time.Now()
	e.mu.Lock()
	eng, restart := s.engine, next.sku != s.spec.sku
	var err error
	if e.faults.FailOperations {
		eng, err = nil, errFailOperations
	}
	e.mu.Unlock()
	state := stateReady
	if eng != nil && password != "" {
		err = eng.SetAdminPassword(ctx, password)
	}
	if eng != nil && err == nil && restart {
		if err = eng.Restart(ctx); err != nil {
			state = stateDisabled
		}
	}
	if !runFor(ctx, start, e.cfg.Delays.Update) {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	s.state = state
	if err != nil {
		fmt.Fprintf(e.cfg.Log, "azure-emulator: update %s: %v\n", s.name, err)
		e.finish(op, s, errInternal())
		return
	}
	s.spec, s.modified = next, e.cfg.Now()
	if password != "" {
		s.password = password
	}
	e.finish(op, s, nil)
}

// runDelete forgets the server after Delays.Delete and stops its database server,
// removing its data.
func (e *Emulator) runDelete(ctx context.Context, s *server, op *operation) {
	if !runFor(ctx, time.Now(), e.cfg.Delays.Delete) {
		return
	}
	e.mu.Lock()
	delete(e.servers, serverKey{s.p, s.name})
	eng := s.engine
	s.engine = nil
	e.finish(op, s, nil)
	e.mu.Unlock()
	e.addresses.give(s.address)
	if eng == nil {
		return
	}
	if err := eng.Stop(); err != nil {
		fmt.Fprintf(e.cfg.Log, "azure-emulator: stop %s: %v\n", s.name, err)
	}
	if err := os.RemoveAll(eng.Dir()); err != nil {
		fmt.Fprintf(e.cfg.Log, "azure-emulator: remove %s's data: %v\n", s.name, err)
	}
}

// runRestart restarts the database server on its data and address, for at least
// Delays.Restart; the server is Starting meanwhile.
func (e *Emulator) runRestart(ctx context.Context, s *server, op *operation) {
	start := time.Now()
	e.mu.Lock()
	eng := s.engine
	e.mu.Unlock()
	var err error
	if eng != nil {
		err = eng.Restart(ctx)
	}
	if !runFor(ctx, start, e.cfg.Delays.Restart) {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if err != nil {
		fmt.Fprintf(e.cfg.Log, "azure-emulator: restart %s: %v\n", s.name, err)
		s.state = stateDisabled
		e.finish(op, s, errInternal())
		return
	}
	s.state = stateReady
	e.finish(op, s, nil)
}
