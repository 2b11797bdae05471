package emulator

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/matrixmind-cloud/aws-rds-operator/internal/mariaserver"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/pgserver"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/serverproc"
)

// engineServer is a running database server behind an instance: PostgreSQL
// (pgserver) for postgres, MariaDB (mariaserver) for mysql and mariadb.
type engineServer interface {
	// SetMasterPassword sets the master user's password, as ModifyDBInstance does.
	SetMasterPassword(ctx context.Context, password string) error
	// CreateDatabase creates the instance's initial database (DBName).
	CreateDatabase(ctx context.Context, name string) error
	// Dump writes the server's databases and users to a file, for a snapshot; a server
	// started with serverOptions.snapshot naming that file has them.
	Dump(ctx context.Context, path string) error
	// Promote makes a read replica's server standalone and writable; on a server that is
	// not a replica it does nothing.
	Promote(ctx context.Context) error
	// SetParameters writes engine parameter values to the server's configuration ("" resets
	// one to the engine default); with now the dynamic ones take effect at once, the
	// others at the next Restart. It is how a DB parameter group reaches the server.
	SetParameters(ctx context.Context, values map[string]string, now bool) error
	// Restart restarts the server in the same directory on the same port, as
	// RebootDBInstance does, so that every parameter written applies.
	Restart(ctx context.Context) error
	// Stop stops the server; nothing of it keeps running.
	Stop() error
}

// serverOptions are what every engine's server starts with.
type serverOptions struct {
	dir, user, password string
	// version is the instance's or cluster's EngineVersion: a postgres server runs its
	// major.
	version string
	// snapshot, when set, is a file Dump wrote: the new server starts with its data, as
	// an instance restored from a snapshot does.
	snapshot string
	// ca signs the server's TLS certificate.
	ca  *serverproc.CA
	log io.Writer
}

// startServer starts the server of an engine and returns it with its TCP port. A postgres
// server runs the PostgreSQL major of o.version (see pgserver.Builds: without builds per
// major, the machine's PostgreSQL stands in for every one); MariaDB stands in for every
// version of mysql and mariadb.
func startServer(ctx context.Context, engine string, o serverOptions) (engineServer, int, error) {
	switch engine {
	case "postgres":
		// Every server has rds_iam, as on RDS, whether or not IAM database authentication is
		// on: the front of its endpoint decides (fronts.go).
		opts := pgserver.Options{Dir: o.dir, MasterUser: o.user, MasterPassword: o.password, Major: postgresMajor(o.version), CA: o.ca, Log: o.log, IAM: true}
		var srv *pgserver.Server
		var err error
		if o.snapshot != "" {
			srv, err = pgserver.StartFromBackup(ctx, opts, o.snapshot)
		} else {
			srv, err = pgserver.Start(ctx, opts)
		}
		if err != nil {
			return nil, 0, err
		}
		return postgresServer{srv}, srv.Port, nil
	case "mysql", "mariadb":
		srv, err := mariaserver.Start(ctx, mariaserver.Options{Dir: o.dir, MasterUser: o.user, MasterPassword: o.password, CA: o.ca, Log: o.log})
		if err != nil {
			return nil, 0, err
		}
		if o.snapshot != "" {
			if err := srv.Restore(ctx, o.snapshot); err != nil {
				return nil, 0, errors.Join(err, srv.Stop())
			}
		}
		return srv, srv.Port, nil
	}
	return nil, 0, fmt.Errorf("no server for engine %s", engine)
}

// postgresServer is a PostgreSQL server whose snapshots are base backups
// (pgserver.Backup): a copy of the data directory that a server of the same major starts
// from, which needs no client program of the server's major and so works for every major.
type postgresServer struct{ *pgserver.Server }

// Dump writes a base backup of the server to path.
func (s postgresServer) Dump(ctx context.Context, path string) error { return s.Backup(ctx, path) }

// startReplicaServer starts a read replica's server that replicates from source (a real
// streaming replica for PostgreSQL, of the source's major, GTID replication for MariaDB)
// and returns it with its TCP port. The replica has the source's master user; o.password
// is the source's master password, which MariaDB needs to set its new server up before
// the source's accounts arrive.
func startReplicaServer(ctx context.Context, o serverOptions, source engineServer) (engineServer, int, error) {
	switch src := source.(type) {
	case postgresServer:
		srv, err := pgserver.StartReplica(ctx, pgserver.Options{Dir: o.dir, Log: o.log}, src.Server)
		if err != nil {
			return nil, 0, err
		}
		return postgresServer{srv}, srv.Port, nil
	case *mariaserver.Server:
		srv, err := mariaserver.StartReplica(ctx, mariaserver.Options{Dir: o.dir, MasterPassword: o.password, CA: o.ca, Log: o.log}, src)
		if err != nil {
			return nil, 0, err
		}
		return srv, srv.Port, nil
	}
	return nil, 0, fmt.Errorf("no replica server for a source of type %T", source)
}

// postgresMajor is the major version of a PostgreSQL EngineVersion ("17.4" and "17" are
// 17); 0, the default build, for a version that does not parse.
func postgresMajor(version string) int {
	v, ok := parseVersion(version)
	if !ok {
		return 0
	}
	return v[0]
}

// runsPostgres tells whether an engine's servers are PostgreSQL: postgres instances and
// aurora-postgresql clusters.
func runsPostgres(engine string) bool {
	return engine == "postgres" || auroraEngines[engine] == "postgres"
}

// checkEngineBuild refuses, as RDS refuses a version it does not offer, a postgres or
// aurora-postgresql version whose major this machine has no PostgreSQL build of (see
// checkBuild). When instances and clusters run no server every version passes.
func (e *Emulator) checkEngineBuild(engine, version string) error {
	if !runsPostgres(engine) || e.cfg.NoEngine {
		return nil
	}
	builds, err := pgserver.DefaultBuilds()
	if err != nil {
		return newError(codeInternalFailure, "look up PostgreSQL builds: %v", err)
	}
	return checkBuild(builds, engine, version)
}

// checkBuild refuses a postgres or aurora-postgresql version whose major builds has no
// build of. Without builds per major (the machine's PostgreSQL then stands in for every
// version) and for other engines every version passes.
func checkBuild(builds *pgserver.Builds, engine, version string) error {
	if !runsPostgres(engine) {
		return nil
	}
	if _, err := builds.ForMajor(postgresMajor(version)); err != nil {
		var majors []string
		for _, m := range builds.Majors() {
			majors = append(majors, fmt.Sprint(m))
		}
		return newError(codeInvalidCombination, "Cannot find version %s for %s (this emulator runs PostgreSQL %s)", version, engine, strings.Join(majors, ", "))
	}
	return nil
}

// describeEngines says which PostgreSQL instances run, for the emulator's log.
func describeEngines() string {
	builds, err := pgserver.DefaultBuilds()
	if err != nil {
		return "PostgreSQL builds: " + err.Error()
	}
	return "postgres instances run " + builds.String()
}
