package cnpgstandin

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	cnpgv1 "github.com/cloudnative-pg/api/pkg/api/v1"
	"github.com/jackc/pgx/v5"
	"k8s.io/apimachinery/pkg/types"

	"github.com/matrixmind-cloud/aws-rds-operator/internal/pgserver"
)

// instance is the PostgreSQL server that stands in for one Cluster's pods, and what the
// stand-in applied to it. Only the reconcile of its Cluster uses it, one at a time.
type instance struct {
	// uid is the Cluster's: a new Cluster of the same name gets a new instance.
	uid types.UID
	// dir holds the CA (ca/) and the server (pg/).
	dir string
	pki *pki
	// srv is the running server; nil until it is started and bootstrapped.
	srv *pgserver.Server
	// ownerVersion is the resourceVersion of the initdb Secret whose password the owner
	// was given last.
	ownerVersion string
	// passwords are the password states of the managed roles the stand-in set
	// (status.managedRolesStatus.passwordStatus).
	passwords map[string]cnpgv1.PasswordState
}

// newInstance lays out the instance of a Cluster under root and makes its CA.
func newInstance(root string, c *cnpgv1.Cluster) (*instance, error) {
	in := &instance{uid: c.UID, dir: filepath.Join(root, c.Namespace, c.Name+"-"+string(c.UID)), passwords: map[string]cnpgv1.PasswordState{}}
	if err := os.MkdirAll(in.dir, 0o755); err != nil {
		return nil, err
	}
	p, err := newPKI(filepath.Join(in.dir, "ca"), c)
	if err != nil {
		return nil, errors.Join(err, os.RemoveAll(in.dir))
	}
	in.pki = p
	return in, nil
}

// bootstrapMaster is the master user pgserver is started with, dropped by bootstrap.
const bootstrapMaster = "cnpg_standin_bootstrap"

// start starts the server with the PostgreSQL major of the Cluster's image and bootstraps
// it as CloudNativePG's initdb bootstrap does, owner owning database. A failed start leaves
// no server running.
func (in *instance) start(ctx context.Context, c *cnpgv1.Cluster, builds *pgserver.Builds, owner, database string) error {
	opts := in.serverOptions(c, builds)
	opts.MasterUser, opts.MasterPassword = bootstrapMaster, rand.Text()
	srv, err := pgserver.Start(ctx, opts)
	return in.setUp(ctx, srv, err, []setupStep{
		{"bootstrap", func() error { return bootstrap(ctx, srv, owner, database) }},
		{"postInitSQL", func() error { return postInit(ctx, srv, c) }},
	})
}

// restore starts the server on the copy of a Backup at backup, as CloudNativePG's recovery
// bootstrap restores one: its roles, passwords and databases; then owner and database are
// made when the copy has none, as CloudNativePG configures a restored instance. A failed
// start leaves no server running.
func (in *instance) restore(ctx context.Context, c *cnpgv1.Cluster, builds *pgserver.Builds, backup, owner, database string) error {
	opts := in.serverOptions(c, builds)
	opts.MasterUser = superuser // pgserver's name for the copy's administrator; nothing is made of it
	srv, err := pgserver.StartFromBackup(ctx, opts, backup)
	return in.setUp(ctx, srv, err, []setupStep{
		{"configure the restored instance", func() error { return configureApplication(ctx, srv, owner, database) }},
	})
}

// serverOptions are the options of the Cluster's server: in the instance's directory, of
// the major of the Cluster's image, its certificate from the Cluster's CA.
func (in *instance) serverOptions(c *cnpgv1.Cluster, builds *pgserver.Builds) pgserver.Options {
	return pgserver.Options{Dir: filepath.Join(in.dir, "pg"), Major: majorOf(imageOf(c)), Builds: builds, CA: in.pki.ca}
}

// setupStep is one step of setting a started server up, named for its error.
type setupStep struct {
	what string
	run  func() error
}

// setUp runs steps on a server just started (unless starting it failed, err), then makes it
// present the Cluster's certificate. On failure it stops the server and removes its data, so
// that the next attempt starts afresh.
func (in *instance) setUp(ctx context.Context, srv *pgserver.Server, err error, steps []setupStep) error {
	if err == nil {
		steps = append(steps, setupStep{"install the server certificate", func() error {
			return installCertificate(ctx, srv, in.pki.serverCert, in.pki.serverKey)
		}})
		for _, step := range steps {
			if err = step.run(); err != nil {
				err = errors.Join(fmt.Errorf("%s: %w", step.what, err), srv.Stop())
				break
			}
		}
	}
	if err != nil {
		return errors.Join(err, os.RemoveAll(filepath.Join(in.dir, "pg")))
	}
	in.srv = srv
	return nil
}

// remove stops the server and removes the instance's data.
func (in *instance) remove() error {
	var err error
	if in.srv != nil {
		err = in.srv.Stop()
		in.srv = nil
	}
	return errors.Join(err, os.RemoveAll(in.dir))
}

// bootstrap turns pgserver's RDS-like server into what CloudNativePG's initdb makes: the
// superuser postgres without a password, streaming_replica, and (ConfigureNewInstance) the
// owner, a plain LOGIN role, owning the application database. pgserver's master user and
// rds_superuser go; what the master owned (the postgres database, schema public before
// PostgreSQL 15) becomes postgres's, as the templates do.
func bootstrap(ctx context.Context, srv *pgserver.Server, owner, database string) error {
	master := ident(bootstrapMaster)
	steps := []struct{ database, sql string }{
		{"postgres", `CREATE ROLE postgres SUPERUSER LOGIN`},
		{"postgres", `CREATE ROLE streaming_replica LOGIN REPLICATION`},
		{"postgres", `REASSIGN OWNED BY ` + master + ` TO postgres`},
		{"template1", `REASSIGN OWNED BY ` + master + ` TO postgres`},
		{"postgres", `ALTER DATABASE template0 OWNER TO postgres`},
		{"postgres", `ALTER DATABASE template1 OWNER TO postgres`},
		{"postgres", `DROP ROLE ` + master},
		{"postgres", `DROP ROLE rds_superuser`},
	}
	for _, s := range steps {
		if err := execIn(ctx, srv, s.database, s.sql); err != nil {
			return err
		}
	}
	return configureApplication(ctx, srv, owner, database)
}

// configureApplication makes owner, a plain LOGIN role, and database, owned by it, unless
// they exist, as CloudNativePG's ConfigureNewInstance does after initdb and after a recovery.
func configureApplication(ctx context.Context, srv *pgserver.Server, owner, database string) error {
	conn, err := superuserConn(ctx, srv, "postgres")
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	var exists bool
	if err := conn.QueryRow(ctx, `SELECT count(*) > 0 FROM pg_catalog.pg_roles WHERE rolname = $1`, owner).Scan(&exists); err != nil {
		return err
	}
	if !exists {
		if _, err := conn.Exec(ctx, `CREATE ROLE `+ident(owner)+` LOGIN`); err != nil {
			return fmt.Errorf("create the owner %s: %w", owner, err)
		}
	}
	if err := conn.QueryRow(ctx, `SELECT count(*) > 0 FROM pg_catalog.pg_database WHERE datname = $1`, database).Scan(&exists); err != nil {
		return err
	}
	if !exists {
		if _, err := conn.Exec(ctx, `CREATE DATABASE `+ident(database)+` OWNER `+ident(owner)); err != nil {
			return fmt.Errorf("create the database %s: %w", database, err)
		}
	}
	return nil
}

// postInit runs the initdb bootstrap's postInitSQL as the superuser in the postgres
// database, as CloudNativePG does once, after initdb.
func postInit(ctx context.Context, srv *pgserver.Server, c *cnpgv1.Cluster) error {
	b := c.Spec.Bootstrap
	if b == nil || b.InitDB == nil {
		return nil
	}
	for _, sql := range b.InitDB.PostInitSQL {
		if err := execIn(ctx, srv, "postgres", sql); err != nil {
			return err
		}
	}
	return nil
}

// execIn runs one statement in database, in a session of its own: CREATE DATABASE copies
// template1 only while no session is connected to it.
func execIn(ctx context.Context, srv *pgserver.Server, database, sql string) error {
	conn, err := superuserConn(ctx, srv, database)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, sql); err != nil {
		return fmt.Errorf("%s: %w", sql, err)
	}
	return nil
}

// installCertificate makes the server present cert, for the Cluster's Services' names,
// instead of the one pgserver issued for localhost, and waits until new sessions get it.
func installCertificate(ctx context.Context, srv *pgserver.Server, cert, key []byte) error {
	conn, err := superuserConn(ctx, srv, "postgres")
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	var dataDir, certFile, keyFile string
	var before time.Time
	err = conn.QueryRow(ctx, `SELECT current_setting('data_directory'), current_setting('ssl_cert_file'),
		current_setting('ssl_key_file'), pg_catalog.pg_conf_load_time()`).Scan(&dataDir, &certFile, &keyFile, &before)
	if err != nil {
		return err
	}
	// The files exist, owned by the server's user: writing them keeps owner and mode.
	for _, f := range []struct {
		path string
		data []byte
	}{{certFile, cert}, {keyFile, key}} {
		if !filepath.IsAbs(f.path) {
			f.path = filepath.Join(dataDir, f.path)
		}
		if err := os.WriteFile(f.path, f.data, 0o600); err != nil {
			return err
		}
	}
	if _, err := conn.Exec(ctx, `SELECT pg_catalog.pg_reload_conf()`); err != nil {
		return err
	}
	// pg_reload_conf only signals the postmaster; a session forked from it once it has
	// read its files again reports a later load time, and gets the new certificate.
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	for {
		loaded, err := confLoadTime(ctx, srv)
		if err == nil && loaded.After(before) {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("the server did not read its configuration again: %w", errors.Join(ctx.Err(), err))
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// confLoadTime is when the postmaster last read its configuration, as a new session sees it.
func confLoadTime(ctx context.Context, srv *pgserver.Server) (time.Time, error) {
	conn, err := superuserConn(ctx, srv, "postgres")
	if err != nil {
		return time.Time{}, err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	var t time.Time
	err = conn.QueryRow(ctx, `SELECT pg_catalog.pg_conf_load_time()`).Scan(&t)
	return t, err
}

// superuserConn opens a session of the server's bootstrap superuser over its unix socket,
// as CloudNativePG's instance manager has one of postgres. A failing statement is never
// copied into the server's log, since statements may carry a password.
func superuserConn(ctx context.Context, srv *pgserver.Server, database string) (*pgx.Conn, error) {
	cfg, err := pgx.ParseConfig(srv.SuperuserDSN())
	if err != nil {
		return nil, err
	}
	cfg.Database = database
	cfg.RuntimeParams["log_min_error_statement"] = "panic"
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connect to %s as the superuser: %w", database, err)
	}
	return conn, nil
}
