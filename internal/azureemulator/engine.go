package azureemulator

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5"

	"github.com/matrixmind-cloud/aws-rds-operator/internal/mariaserver"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/pgserver"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/serverproc"
)

// adminRole is the role Azure makes a PostgreSQL server's administrator a member of. It
// is not a superuser; the server's superuser (azuresu on Azure) is the service's own.
const adminRole = "azure_pg_admin"

// engineServer is the real database server behind a flexible server, administered the way
// Azure's control plane does it: as a superuser that clients never get.
type engineServer interface {
	// SetAdminPassword changes the administrator's password.
	SetAdminPassword(ctx context.Context, password string) error
	// Restart restarts the server on its data and its address.
	Restart(ctx context.Context) error
	// CreateDatabase creates a database; charset may be "" for the server's default.
	CreateDatabase(ctx context.Context, name, charset string) error
	// DropDatabase drops a database.
	DropDatabase(ctx context.Context, name string) error
	// Databases lists the server's databases, whoever made them, but the templates.
	Databases(ctx context.Context) ([]string, error)
	// Stop stops the server.
	Stop() error
	// Dir is the directory of the server's data, removed when the server is deleted.
	Dir() string
}

// engineOptions say how to start the database server of a flexible server.
type engineOptions struct {
	dir, admin, password, address, version string
	log                                    io.Writer
	// ca signs the server's certificate, for its address.
	ca *serverproc.CA
}

// startEngine starts the database server of a provider's flexible server on its address
// and the engine's standard port, set up as Azure sets one up. It returns the server's
// minor version as the API reports it, "" when unknown.
func startEngine(ctx context.Context, p *provider, o engineOptions) (engineServer, string, error) {
	if p.engine == "postgres" {
		return startPostgres(ctx, o, p.port)
	}
	srv, err := mariaserver.Start(ctx, mariaserver.Options{
		Dir: o.dir, MasterUser: o.admin, MasterPassword: o.password, Address: o.address, Port: p.port, Log: o.log, CA: o.ca,
	})
	if err != nil {
		return nil, "", err
	}
	return &mariaEngine{srv}, "", nil
}

// pgEngine is a PostgreSQL server set up as Azure sets one up.
type pgEngine struct{ srv *pgserver.Server }

// startPostgres starts a pgserver whose master is the administrator, running the major
// version asked for when this machine has a build of it (else its default build stands
// in), then turns the RDS role layout into Azure's: the master's group role rds_superuser
// becomes azure_pg_admin, and the administrator gets REPLICATION, as Azure's has. It keeps
// CREATEDB and CREATEROLE and is no superuser; pgserver's superuser stays the emulator's,
// over the unix socket only.
func startPostgres(ctx context.Context, o engineOptions, port int) (*pgEngine, string, error) {
	builds, err := pgserver.DefaultBuilds()
	if err != nil {
		return nil, "", err
	}
	wanted, _ := strconv.Atoi(o.version)
	major := wanted
	if _, err := builds.ForMajor(major); errors.Is(err, pgserver.ErrNoBuild) {
		major = 0
	}
	srv, err := pgserver.Start(ctx, pgserver.Options{
		Dir: o.dir, MasterUser: o.admin, MasterPassword: o.password, Address: o.address, Port: port, Major: major, Log: o.log, CA: o.ca,
	})
	if err != nil {
		return nil, "", err
	}
	if srv.Build.Major != wanted {
		fmt.Fprintf(o.log, "azure-emulator: no PostgreSQL %d build on this machine: PostgreSQL %s stands in\n", wanted, srv.Build.Version)
	}
	e := &pgEngine{srv: srv}
	admin := pgx.Identifier{o.admin}.Sanitize()
	if err := e.exec(ctx, `ALTER ROLE rds_superuser RENAME TO `+adminRole, `ALTER ROLE `+admin+` REPLICATION`); err != nil {
		return nil, "", errors.Join(fmt.Errorf("set up Azure's roles: %w", err), srv.Stop())
	}
	minor := ""
	if v, ok := strings.CutPrefix(srv.Build.Version, o.version+"."); ok {
		minor = v
	}
	return e, minor, nil
}

// superuser opens a session as the superuser over the unix socket. The session never
// copies a failing statement into the server log, since statements may carry a password.
func (e *pgEngine) superuser(ctx context.Context) (*pgx.Conn, error) {
	cfg, err := pgx.ParseConfig(e.srv.SuperuserDSN())
	if err != nil {
		return nil, err
	}
	cfg.RuntimeParams["log_min_error_statement"] = "panic"
	return pgx.ConnectConfig(ctx, cfg)
}

// exec runs statements in order as the superuser; errors name the step, never the SQL.
func (e *pgEngine) exec(ctx context.Context, stmts ...string) error {
	conn, err := e.superuser(ctx)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	for i, q := range stmts {
		if _, err := conn.Exec(ctx, q); err != nil {
			return fmt.Errorf("statement %d: %w", i+1, err)
		}
	}
	return nil
}

func (e *pgEngine) SetAdminPassword(ctx context.Context, password string) error {
	return e.srv.SetMasterPassword(ctx, password)
}

func (e *pgEngine) Restart(ctx context.Context) error { return e.srv.Restart(ctx) }

// CreateDatabase creates a database owned by azure_pg_admin, which the administrator is a
// member of. The cluster's encoding (UTF8) stands in for the charset.
func (e *pgEngine) CreateDatabase(ctx context.Context, name, _ string) error {
	return e.exec(ctx, `CREATE DATABASE `+pgx.Identifier{name}.Sanitize()+` OWNER `+adminRole)
}

// DropDatabase drops a database, ending its sessions first (PostgreSQL 13 on) as Azure's
// API does not wait for clients to leave.
func (e *pgEngine) DropDatabase(ctx context.Context, name string) error {
	q := `DROP DATABASE ` + pgx.Identifier{name}.Sanitize()
	if e.srv.Build.Major >= 13 {
		q += ` WITH (FORCE)`
	}
	return e.exec(ctx, q)
}

func (e *pgEngine) Databases(ctx context.Context) ([]string, error) {
	conn, err := e.superuser(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	rows, err := conn.Query(ctx, `SELECT datname FROM pg_database WHERE NOT datistemplate ORDER BY datname`)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}

func (e *pgEngine) Stop() error { return e.srv.Stop() }

func (e *pgEngine) Dir() string { return e.srv.Dir() }

// mariaEngine is a MariaDB server standing in for MySQL. mariaserver's master has the
// privileges of Azure's administrator already: everything on *.* but SUPER (and FILE and
// SHUTDOWN), WITH GRANT OPTION, CREATE USER among them.
type mariaEngine struct{ srv *mariaserver.Server }

// db opens a one-connection pool as the superuser; errors never carry statements.
func (e *mariaEngine) db() (*sql.DB, error) {
	cfg, err := mysql.ParseDSN(e.srv.SuperuserDSN())
	if err != nil {
		return nil, err
	}
	conn, err := mysql.NewConnector(cfg)
	if err != nil {
		return nil, err
	}
	db := sql.OpenDB(conn)
	db.SetMaxOpenConns(1)
	return db, nil
}

func (e *mariaEngine) SetAdminPassword(ctx context.Context, password string) error {
	return e.srv.SetMasterPassword(ctx, password)
}

func (e *mariaEngine) Restart(ctx context.Context) error { return e.srv.Restart(ctx) }

func (e *mariaEngine) CreateDatabase(ctx context.Context, name, charset string) error {
	q := "CREATE DATABASE " + quoteMySQLIdent(name)
	if charset != "" {
		q += " CHARACTER SET " + quoteMySQLIdent(charset)
	}
	return e.execOne(ctx, q)
}

func (e *mariaEngine) DropDatabase(ctx context.Context, name string) error {
	return e.execOne(ctx, "DROP DATABASE "+quoteMySQLIdent(name))
}

func (e *mariaEngine) execOne(ctx context.Context, q string) error {
	db, err := e.db()
	if err != nil {
		return err
	}
	defer db.Close()
	_, err = db.ExecContext(ctx, q)
	return err
}

func (e *mariaEngine) Databases(ctx context.Context) ([]string, error) {
	db, err := e.db()
	if err != nil {
		return nil, err
	}
	defer db.Close()
	rows, err := db.QueryContext(ctx, "SHOW DATABASES")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		names = append(names, n)
	}
	return names, rows.Err()
}

func (e *mariaEngine) Stop() error { return e.srv.Stop() }

func (e *mariaEngine) Dir() string { return e.srv.Dir() }

// quoteMySQLIdent quotes a MySQL identifier with backticks.
func quoteMySQLIdent(s string) string { return "`" + strings.ReplaceAll(s, "`", "``") + "`" }
