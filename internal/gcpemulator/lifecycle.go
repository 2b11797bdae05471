package gcpemulator

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// defaultPort is the port Cloud SQL serves each engine on: every instance's server listens
// on it, on the instance's own loopback address.
var defaultPort = map[string]int{"postgres": 5432, "mysql": 3306}

// runCreate takes a new instance through its CREATE operation: the operation runs, the
// instance gets its address and its server starts there (unless NoEngine), and after
// Delays.Create the instance is RUNNABLE.
func (e *Emulator) runCreate(ctx context.Context, in *instance, op *operation) {
	e.runCreateFrom(ctx, in, op, nil)
}

// restoreSource is the backup a new instance is made from.
type restoreSource struct {
	// dump is the backup's dump file, "" for a backup taken without a server.
	dump      string
	users     []User
	databases []Database
}

// runCreateFrom is runCreate for an instance made from a backup (from, when not nil): its
// server replays the backup's dump before the instance is RUNNABLE, and its users and
// databases are the backup's.
func (e *Emulator) runCreateFrom(ctx context.Context, in *instance, op *operation, from *restoreSource) {
	start := time.Now()
	e.startOperation(op)
	addr, err := e.startInstanceServer(ctx, in)
	if err == nil && from != nil && from.dump != "" {
		e.mu.Lock()
		srv := in.server
		e.mu.Unlock()
		if err = srv.Restore(ctx, from.dump); err != nil {
			// A server that did not get the backup's data is of no use: gone with it.
			if stopErr := srv.Stop(); stopErr != nil {
				fmt.Fprintf(e.cfg.Log, "cloudsql-emulator: stop %s: %v\n", in.key.name, stopErr)
			}
			e.mu.Lock()
			in.server = nil
			e.mu.Unlock()
			e.releaseAddress(addr)
		}
	}
	if err != nil {
		fmt.Fprintf(e.cfg.Log, "cloudsql-emulator: instance %s failed: %v\n", in.key.name, err)
		e.mu.Lock()
		in.state = stateFailed
		e.finishOperation(op, "INTERNAL_ERROR", fmt.Errorf("the instance's database server did not start"))
		e.mu.Unlock()
		return
	}
	if !sleep(ctx, e.cfg.Delays.Create-time.Since(start)) {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	in.address = addr
	if from != nil {
		in.users, in.databases = from.users, from.databases
	}
	if in.state == statePendingCreate {
		in.state = stateRunnable
	}
	e.finishOperation(op, "", nil)
}

// instanceDir is a new directory for a server of the instance: names are reused after
// deletion and a restore starts a fresh server, so each server gets its own.
func (e *Emulator) instanceDir(in *instance) string {
	e.mu.Lock()
	n := e.nextID()
	e.mu.Unlock()
	return filepath.Join(e.cfg.DataDir, "instances", fmt.Sprintf("%s-%s-%d", in.key.project, in.key.name, n))
}

// runUpdate applies a patch when its UPDATE operation ends, after Delays.Update. Changed
// database flags are applied to the server first, restarting it when one needs it (the
// operation runs until the server is back); when the server refuses them the operation
// fails and no setting changes, and a server that did not start again leaves the instance
// FAILED.
func (e *Emulator) runUpdate(ctx context.Context, in *instance, op *operation, change *Settings) {
	e.startOperation(op)
	if !sleep(ctx, e.cfg.Delays.Update) {
		return
	}
	var err error
	if change.DatabaseFlags != nil {
		e.mu.Lock()
		srv, flags := in.server, changeOf(in.version, in.settings.DatabaseFlags, change.DatabaseFlags)
		e.mu.Unlock()
		err = flags.apply(ctx, srv)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if err != nil {
		fmt.Fprintf(e.cfg.Log, "cloudsql-emulator: instance %s: set database flags: %v\n", in.key.name, err)
		if errors.Is(err, errNotBack) {
			in.state = stateFailed
		}
		e.finishOperation(op, "INTERNAL_ERROR", fmt.Errorf("the database flags could not be applied to the instance"))
		return
	}
	in.applySettings(change)
	e.finishOperation(op, "", nil)
}

// runDelete takes the final backup when asked, waits Delays.Delete, stops the server and
// forgets the instance, keeping its name reserved for NameReservation. Its other backups
// go with it, as on Cloud SQL.
func (e *Emulator) runDelete(ctx context.Context, in *instance, op *operation, final *finalBackup) {
	start := time.Now()
	e.startOperation(op)
	if final != nil {
		e.mu.Lock()
		b := e.newBackup(in, backupFinal, final.description)
		b.ttlDays, b.expiry = final.ttlDays, final.expiry
		srv := in.server
		e.mu.Unlock()
		e.takeBackup(ctx, b, srv)
	}
	if !sleep(ctx, e.cfg.Delays.Delete-time.Since(start)) {
		return
	}
	e.mu.Lock()
	srv := in.server
	in.server = nil
	now := e.cfg.Now()
	delete(e.instances, in.key)
	delete(e.addresses, in.address)
	if e.cfg.NameReservation > 0 {
		e.reserved[in.key] = now.Add(e.cfg.NameReservation)
	}
	var dumps []string
	for id, b := range e.backups {
		if b.instance != in {
			continue
		}
		if b.typ == backupFinal {
			b.instanceDeleted = now
			continue
		}
		if b.dump != "" {
			dumps = append(dumps, b.dump)
		}
		delete(e.backups, id)
	}
	e.finishOperation(op, "", nil)
	e.mu.Unlock()

	if srv != nil {
		if err := srv.Stop(); err != nil {
			fmt.Fprintf(e.cfg.Log, "cloudsql-emulator: stop %s: %v\n", in.key.name, err)
		}
	}
	for _, d := range dumps {
		if err := os.Remove(d); err != nil {
			fmt.Fprintf(e.cfg.Log, "cloudsql-emulator: remove backup dump: %v\n", err)
		}
	}
}
