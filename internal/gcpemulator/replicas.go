package gcpemulator

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"

	"github.com/matrixmind-cloud/aws-rds-operator/internal/mariaserver"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/pgserver"
)

// Read replicas, as Cloud SQL makes them: instances.insert with masterInstanceName makes a
// READ_REPLICA_INSTANCE of a RUNNABLE primary of the same databaseVersion, which the
// primary lists in replicaNames. Behind it runs a real replica of the primary's server: a
// PostgreSQL hot standby streaming the primary's WAL, or a MariaDB server replicating by
// GTID with read_only on. Its users and passwords are the primary's, as a physical (or
// GTID) replica's are. docs/cloudsql-facts.md lists the facts relied on.

// Instance types (DatabaseInstance.instanceType).
const (
	typePrimary = "CLOUD_SQL_INSTANCE"
	typeReplica = "READ_REPLICA_INSTANCE"
)

// attachPrimary makes the new instance in a read replica of the instance master names
// ("instance" or "project:instance"), or answers why Cloud SQL refuses one. It runs
// under mu.
func (e *Emulator) attachPrimary(in *instance, master string) error {
	project, name := in.key.project, master
	if p, n, ok := strings.Cut(master, ":"); ok {
		project, name = p, n
	}
	primary, ok := e.instances[instanceKey{project, name}]
	if !ok {
		// Cloud SQL answers a masterInstanceName it does not know as a resource the caller
		// may not use.
		return errorf(http.StatusForbidden, "notAuthorized", "The client is not authorized to make this request.")
	}
	if err := canReplicate(primary, in.version); err != nil {
		return err
	}
	in.master = primary
	// A physical (or GTID) replica has its primary's users, passwords and databases
	// (see catalog).
	in.rootPassword = primary.rootPassword
	in.users, in.databases = nil, nil
	// Cloud SQL takes no backups of a replica.
	in.settings.BackupConfiguration = withBackupDefaults(nil)
	in.settings.FinalBackupConfig = nil
	return nil
}

// canReplicate refuses a replica of version of primary as Cloud SQL does: a replica of a
// replica, of a primary that is not running, of another databaseVersion, or of a primary
// without automated backups (and, on MySQL, binary logging).
func canReplicate(primary *instance, version string) error {
	switch {
	case primary.master != nil:
		return errInvalid("%s is a read replica: a read replica cannot have replicas of its own.", primary.key.name)
	case primary.state != stateRunnable:
		return errNotRunning()
	case version != primary.version:
		return errInvalid("A read replica must have its primary's databaseVersion (%s), not %s.", primary.version, version)
	}
	b := primary.settings.BackupConfiguration
	if b == nil || !b.Enabled {
		return errInvalid("The primary instance must have automated backups enabled (settings.backupConfiguration.enabled) to have read replicas.")
	}
	if engineOf(primary.version) == "mysql" && !b.BinaryLogEnabled {
		return errInvalid("The primary instance must have binary logging enabled (settings.backupConfiguration.binaryLogEnabled) to have read replicas.")
	}
	return nil
}

// catalog is the instance whose users and databases in has: its primary for a read
// replica, which has its primary's, and in itself otherwise.
func (in *instance) catalog() *instance {
	if in.master != nil {
		return in.master
	}
	return in
}

// errReplica refuses a change a read replica cannot take: its users, databases and data
// are its primary's, and Cloud SQL takes no backups of it.
func errReplica(in *instance) *apiError {
	return errInvalid("%s is a read replica of %s: change its users and databases on the primary; a replica has no backups and takes no restores.", in.key.name, in.master.key.name)
}

// checkReplication refuses a patch of backupConfiguration (b, nil when the patch leaves
// it alone) that replication forbids: backups on a read replica, or turning off on a
// primary with replicas what Cloud SQL requires of a primary. It runs under mu.
func (e *Emulator) checkReplication(in *instance, b *BackupConfiguration) error {
	switch {
	case b == nil:
		return nil
	case in.master != nil && (b.Enabled || b.BinaryLogEnabled):
		return errReplica(in)
	case len(e.replicaNames(in)) > 0 && (!b.Enabled || engineOf(in.version) == "mysql" && !b.BinaryLogEnabled):
		return errReplicationMaster()
	}
	return nil
}

// replicaNames are the names of the instance's read replicas, sorted. It runs under mu.
func (e *Emulator) replicaNames(in *instance) []string {
	var out []string
	for k, r := range e.instances {
		if r.master == in {
			out = append(out, k.name)
		}
	}
	slices.Sort(out)
	return out
}

// errReplicationMaster is Cloud SQL's answer to deleting a primary that still has read
// replicas.
func errReplicationMaster() *apiError {
	e := errorf(http.StatusBadRequest, "errorReplicationMasterInvalidOperation", "The requested operation is not valid for a replication master instance.")
	e.Status = "FAILED_PRECONDITION"
	return e
}

// startServerOf starts the server of a new instance on addr: a fresh one, or for a read
// replica a replica of its primary's server.
func (e *Emulator) startServerOf(ctx context.Context, in *instance, addr string) (engineServer, error) {
	dir := e.instanceDir(in)
	var srv engineServer
	var err error
	if in.master == nil {
		srv, err = startServer(ctx, in.version, dir, in.rootPassword, addr, e.cfg.Log)
	} else {
		e.mu.Lock()
		source := in.master.server
		e.mu.Unlock()
		srv, err = startReplica(ctx, in.version, dir, in.rootPassword, addr, source, e.cfg.Log)
	}
	if err != nil {
		return nil, err
	}
	if err := e.applyInitialFlags(ctx, in, srv); err != nil {
		return nil, errors.Join(err, srv.Stop())
	}
	return srv, nil
}

// applyInitialFlags applies an instance's database flags to a server just started for it.
func (e *Emulator) applyInitialFlags(ctx context.Context, in *instance, srv engineServer) error {
	e.mu.Lock()
	c := changeOf(in.version, nil, in.settings.DatabaseFlags)
	e.mu.Unlock()
	if err := c.apply(ctx, srv); err != nil {
		return fmt.Errorf("apply the database flags: %w", err)
	}
	return nil
}

// startReplica starts a read replica of source under dir, on the loopback address and the
// engine's standard port: a PostgreSQL hot standby streaming source's WAL, or a MariaDB
// server replicating source by GTID with read_only on. rootPassword is the primary's
// default user's password, which a MariaDB replica starts with before it loads the
// primary's accounts.
func startReplica(ctx context.Context, version, dir, rootPassword, address string, source engineServer, log io.Writer) (engineServer, error) {
	port := defaultPort[engineOf(version)]
	switch src := source.(type) {
	case *pgEngine:
		return src.startReplica(ctx, pgserver.Options{Dir: dir, Address: address, Port: port, Log: log})
	case *mariaEngine:
		srv, err := mariaserver.StartReplica(ctx, mariaserver.Options{Dir: dir, MasterPassword: rootPassword, Address: address, Port: port, Log: log}, src.srv)
		if err != nil {
			return nil, err
		}
		return &mariaEngine{srv: srv}, nil
	}
	return nil, fmt.Errorf("the primary has no database server to replicate")
}

// startReplica starts a hot standby of e, listening on opts.Address, with
// pgserver.StartReplica.
func (e *pgEngine) startReplica(ctx context.Context, opts pgserver.Options) (engineServer, error) {
	srv, err := pgserver.StartReplica(ctx, opts, e.srv)
	if err != nil {
		return nil, err
	}
	return &pgEngine{srv: srv}, nil
}
