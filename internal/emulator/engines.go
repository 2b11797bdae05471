package emulator

import (
	"context"
	"fmt"
	"io"

	"github.com/matrixmind-cloud/aws-rds-operator/internal/mariaserver"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/pgserver"
)

// engineServer is a running database server behind an instance: PostgreSQL
// (pgserver) for postgres, MariaDB (mariaserver) for mysql and mariadb.
type engineServer interface {
	// SetMasterPassword sets the master user's password, as ModifyDBInstance does.
	SetMasterPassword(ctx context.Context, password string) error
	// CreateDatabase creates the instance's initial database (DBName).
	CreateDatabase(ctx context.Context, name string) error
	// Dump writes the server's databases and users to a file, for a snapshot.
	Dump(ctx context.Context, path string) error
	// Restore replays a file Dump wrote.
	Restore(ctx context.Context, path string) error
	// Promote makes a read replica's server standalone and writable; on a server that is
	// not a replica it does nothing.
	Promote(ctx context.Context) error
	// Stop stops the server; nothing of it keeps running.
	Stop() error
}

// serverOptions are what every engine's server starts with.
type serverOptions struct {
	dir, user, password string
	log                 io.Writer
}

// startServer starts the server of an engine and returns it with its TCP port. This
// machine's PostgreSQL and MariaDB stand in for every version RDS offers of their engines.
func startServer(ctx context.Context, engine string, o serverOptions) (engineServer, int, error) {
	switch engine {
	case "postgres":
		srv, err := pgserver.Start(ctx, pgserver.Options{Dir: o.dir, MasterUser: o.user, MasterPassword: o.password, Log: o.log})
		if err != nil {
			return nil, 0, err
		}
		return srv, srv.Port, nil
	case "mysql", "mariadb":
		srv, err := mariaserver.Start(ctx, mariaserver.Options{Dir: o.dir, MasterUser: o.user, MasterPassword: o.password, Log: o.log})
		if err != nil {
			return nil, 0, err
		}
		return srv, srv.Port, nil
	}
	return nil, 0, fmt.Errorf("no server for engine %s", engine)
}

// startReplicaServer starts a read replica's server that replicates from source (a real
// streaming replica for PostgreSQL, GTID replication for MariaDB) and returns it with its
// TCP port. The replica has the source's master user; o.password is the source's master
// password, which MariaDB needs to set its new server up before the source's accounts
// arrive.
func startReplicaServer(ctx context.Context, o serverOptions, source engineServer) (engineServer, int, error) {
	switch src := source.(type) {
	case *pgserver.Server:
		srv, err := pgserver.StartReplica(ctx, pgserver.Options{Dir: o.dir, Log: o.log}, src)
		if err != nil {
			return nil, 0, err
		}
		return srv, srv.Port, nil
	case *mariaserver.Server:
		srv, err := mariaserver.StartReplica(ctx, mariaserver.Options{Dir: o.dir, MasterPassword: o.password, Log: o.log}, src)
		if err != nil {
			return nil, 0, err
		}
		return srv, srv.Port, nil
	}
	return nil, 0, fmt.Errorf("no replica server for a source of type %T", source)
}
