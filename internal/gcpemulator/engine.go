package gcpemulator

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5"

	"github.com/matrixmind-cloud/aws-rds-operator/internal/mariaserver"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/pgserver"
)

// Cloud SQL's built-in accounts.
const (
	// postgresUser is the default user of a Cloud SQL for PostgreSQL instance.
	postgresUser = "postgres"
	// superuserRole is the role Cloud SQL makes every built-in PostgreSQL user a member of.
	// It has CREATEDB and CREATEROLE but is not a superuser.
	superuserRole = "cloudsqlsuperuser"
	// rootUser is the default user of a Cloud SQL for MySQL instance, as root@'%'.
	rootUser = "root"
)

// engineServer is the real database server behind an instance, administered the way the
// Cloud SQL control plane does it: as a superuser that clients never get.
type engineServer interface {
	// CreateUser creates a built-in user as users.insert does.
	CreateUser(ctx context.Context, name, host, password string) error
	// SetPassword changes a user's password as users.update does.
	SetPassword(ctx context.Context, name, host, password string) error
	// DropUser drops a user as users.delete does.
	DropUser(ctx context.Context, name, host string) error
	// CreateDatabase creates a database as databases.insert does.
	CreateDatabase(ctx context.Context, name, charset, collation string) error
	// DropDatabase drops a database as databases.delete does.
	DropDatabase(ctx context.Context, name string) error
	// Databases lists the server's databases, whoever made them (databases.insert or SQL),
	// but for the templates and the server's own.
	Databases(ctx context.Context) ([]string, error)
	// Dump writes every database and user to a file, for a backup.
	Dump(ctx context.Context, path string) error
	// Restore replays a file Dump wrote into a fresh server.
	Restore(ctx context.Context, path string) error
	// SetParameters sets server parameters, "" resetting one to the engine's default; now
	// applies at once those that need no restart.
	SetParameters(ctx context.Context, values map[string]string, now bool) error
	// Restart restarts the server on its data and its address, applying every parameter.
	Restart(ctx context.Context) error
	// CACert is the PEM certificate the server presents for TLS, or "".
	CACert() string
	// Stop stops the server.
	Stop() error
}

// engineOf returns the engine family of a databaseVersion: "postgres" or "mysql".
func engineOf(version string) string {
	if strings.HasPrefix(version, "POSTGRES_") {
		return "postgres"
	}
	return "mysql"
}

// defaultUser is the built-in user an instance of the version starts with.
func defaultUser(version string) User {
	if engineOf(version) == "postgres" {
		return User{Name: postgresUser}
	}
	return User{Name: rootUser, Host: "%"}
}

// startServer starts the server of an instance of the version under dir, on the loopback
// address and the engine's standard port (defaultPort), with the default user's password.
// This machine's PostgreSQL and MariaDB stand in for every version of their engine.
func startServer(ctx context.Context, version, dir, rootPassword, address string, log io.Writer) (engineServer, error) {
	port := defaultPort[engineOf(version)]
	if engineOf(version) == "postgres" {
		return startPostgres(ctx, dir, rootPassword, address, port, log)
	}
	return startMariaDB(ctx, dir, rootPassword, address, port, log)
}

// pgEngine is a PostgreSQL server set up as Cloud SQL sets one up.
type pgEngine struct {
	srv *pgserver.Server
}

// startPostgres starts a pgserver whose master user is postgres, then turns the RDS role
// layout into Cloud SQL's: the admin role becomes cloudsqlsuperuser, holding CREATEDB and
// CREATEROLE itself as on Cloud SQL. pgserver's own superuser stays the emulator's,
// reachable over the unix socket only, as cloudsqladmin is Google's.
func startPostgres(ctx context.Context, dir, rootPassword, address string, port int, log io.Writer) (*pgEngine, error) {
	srv, err := pgserver.Start(ctx, pgserver.Options{Dir: dir, MasterUser: postgresUser, MasterPassword: rootPassword, Address: address, Port: port, Log: log})
	if err != nil {
		return nil, err
	}
	e := &pgEngine{srv: srv}
	role := pgx.Identifier{superuserRole}.Sanitize()
	if err := e.exec(ctx, `ALTER ROLE rds_superuser RENAME TO `+role, `ALTER ROLE `+role+` CREATEDB CREATEROLE`); err != nil {
		_ = srv.Stop()
		return nil, fmt.Errorf("set up Cloud SQL roles: %w", err)
	}
	return e, nil
}

// exec runs statements as the superuser. The session never copies a failing statement into
// the server log, since statements may carry a password; errors name the step only.
func (e *pgEngine) exec(ctx context.Context, stmts ...string) error {
	cfg, err := pgx.ParseConfig(e.srv.SuperuserDSN())
	if err != nil {
		return err
	}
	cfg.RuntimeParams["log_min_error_statement"] = "panic"
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	for _, q := range stmts {
		if _, err := conn.Exec(ctx, q); err != nil {
			return err
		}
	}
	return nil
}

// CreateUser makes a LOGIN role that is a member of cloudsqlsuperuser with CREATEDB and
// CREATEROLE, as Cloud SQL makes built-in users. host has no meaning on PostgreSQL.
func (e *pgEngine) CreateUser(ctx context.Context, name, _, password string) error {
	q := `CREATE ROLE ` + pgx.Identifier{name}.Sanitize() + ` LOGIN CREATEDB CREATEROLE INHERIT IN ROLE ` +
		pgx.Identifier{superuserRole}.Sanitize() + ` PASSWORD ` + pgLiteral(password)
	return e.exec(ctx, q)
}

func (e *pgEngine) SetPassword(ctx context.Context, name, _, password string) error {
	return e.exec(ctx, `ALTER ROLE `+pgx.Identifier{name}.Sanitize()+` PASSWORD `+pgLiteral(password))
}

func (e *pgEngine) DropUser(ctx context.Context, name, _ string) error {
	return e.exec(ctx, `DROP ROLE `+pgx.Identifier{name}.Sanitize())
}

// CreateDatabase creates a database owned by cloudsqlsuperuser, as Cloud SQL does, so that
// every built-in user may use it.
func (e *pgEngine) CreateDatabase(ctx context.Context, name, _, _ string) error {
	return e.exec(ctx, `CREATE DATABASE `+pgx.Identifier{name}.Sanitize()+` OWNER `+pgx.Identifier{superuserRole}.Sanitize())
}

func (e *pgEngine) DropDatabase(ctx context.Context, name string) error {
	return e.exec(ctx, `DROP DATABASE `+pgx.Identifier{name}.Sanitize())
}

// Databases lists the databases but the templates and cloudsqladmin, as Cloud SQL lists them.
func (e *pgEngine) Databases(ctx context.Context) ([]string, error) {
	conn, err := pgx.Connect(ctx, e.srv.SuperuserDSN())
	if err != nil {
		return nil, err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	rows, err := conn.Query(ctx, `SELECT datname FROM pg_database WHERE NOT datistemplate AND datname <> 'cloudsqladmin' ORDER BY datname`)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}

func (e *pgEngine) Dump(ctx context.Context, path string) error { return e.srv.Dump(ctx, path) }

func (e *pgEngine) Restore(ctx context.Context, path string) error { return e.srv.Restore(ctx, path) }

func (e *pgEngine) SetParameters(ctx context.Context, values map[string]string, now bool) error {
	return e.srv.SetParameters(ctx, values, now)
}

func (e *pgEngine) Restart(ctx context.Context) error { return e.srv.Restart(ctx) }

func (e *pgEngine) CACert() string { return readCert(filepath.Join(e.srv.Dir(), "data", "server.crt")) }

func (e *pgEngine) Stop() error { return e.srv.Stop() }

// pgLiteral quotes s as a standard SQL string literal.
func pgLiteral(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// mariaEngine is a MariaDB server set up as Cloud SQL sets up MySQL.
type mariaEngine struct{ srv *mariaserver.Server }

// startMariaDB starts a mariaserver whose master is root@'%', which holds the privileges
// of an RDS master: everything but SUPER, FILE and SHUTDOWN, as Cloud SQL's root has.
func startMariaDB(ctx context.Context, dir, rootPassword, address string, port int, log io.Writer) (*mariaEngine, error) {
	srv, err := mariaserver.Start(ctx, mariaserver.Options{Dir: dir, MasterUser: rootUser, MasterPassword: rootPassword, Address: address, Port: port, Log: log})
	if err != nil {
		return nil, err
	}
	return &mariaEngine{srv: srv}, nil
}

// exec runs statements as the superuser. Errors never carry the statements' text.
func (e *mariaEngine) exec(ctx context.Context, stmts ...string) error {
	cfg, err := mysql.ParseDSN(e.srv.SuperuserDSN())
	if err != nil {
		return err
	}
	c, err := mysql.NewConnector(cfg)
	if err != nil {
		return err
	}
	db := sql.OpenDB(c)
	defer db.Close()
	db.SetMaxOpenConns(1)
	for i, q := range stmts {
		if _, err := db.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("statement %d: %w", i+1, err)
		}
	}
	return nil
}

// Databases lists the databases, the system schemas included, as Cloud SQL for MySQL
// lists them.
func (e *mariaEngine) Databases(ctx context.Context) ([]string, error) {
	cfg, err := mysql.ParseDSN(e.srv.SuperuserDSN())
	if err != nil {
		return nil, err
	}
	c, err := mysql.NewConnector(cfg)
	if err != nil {
		return nil, err
	}
	db := sql.OpenDB(c)
	defer db.Close()
	rows, err := db.QueryContext(ctx, `SHOW DATABASES`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			return nil, err
		}
		out = append(out, name)
	}
	return out, rows.Err()
}

// CreateUser makes name@host with root's privileges, as Cloud SQL gives built-in users.
func (e *mariaEngine) CreateUser(ctx context.Context, name, host, password string) error {
	acct := myAccount(name, host)
	return e.exec(ctx,
		`CREATE USER `+acct+` IDENTIFIED BY `+myLiteral(password),
		`GRANT `+mariaserver.MasterPrivileges+` ON *.* TO `+acct+` WITH GRANT OPTION`)
}

func (e *mariaEngine) SetPassword(ctx context.Context, name, host, password string) error {
	return e.exec(ctx, `ALTER USER `+myAccount(name, host)+` IDENTIFIED BY `+myLiteral(password))
}

func (e *mariaEngine) DropUser(ctx context.Context, name, host string) error {
	return e.exec(ctx, `DROP USER `+myAccount(name, host))
}

func (e *mariaEngine) CreateDatabase(ctx context.Context, name, charset, collation string) error {
	q := `CREATE DATABASE ` + myIdent(name)
	if charset != "" {
		q += ` CHARACTER SET ` + myLiteral(charset)
	}
	if collation != "" {
		q += ` COLLATE ` + myLiteral(collation)
	}
	return e.exec(ctx, q)
}

func (e *mariaEngine) DropDatabase(ctx context.Context, name string) error {
	return e.exec(ctx, `DROP DATABASE `+myIdent(name))
}

func (e *mariaEngine) Dump(ctx context.Context, path string) error { return e.srv.Dump(ctx, path) }

func (e *mariaEngine) Restore(ctx context.Context, path string) error {
	return e.srv.Restore(ctx, path)
}

func (e *mariaEngine) SetParameters(ctx context.Context, values map[string]string, now bool) error {
	return e.srv.SetParameters(ctx, values, now)
}

func (e *mariaEngine) Restart(ctx context.Context) error { return e.srv.Restart(ctx) }

func (e *mariaEngine) CACert() string { return readCert(filepath.Join(e.srv.Dir(), "server.crt")) }

func (e *mariaEngine) Stop() error { return e.srv.Stop() }

// myAccount is 'name'@'host', host defaulting to '%' as Cloud SQL does.
func myAccount(name, host string) string {
	if host == "" {
		host = "%"
	}
	return myLiteral(name) + "@" + myLiteral(host)
}

// myLiteral quotes s as a MySQL string literal, escaping backslashes too.
func myLiteral(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `''`, "\x00", `\0`).Replace(s) + "'"
}

// myIdent quotes a MySQL identifier with backticks.
func myIdent(s string) string { return "`" + strings.ReplaceAll(s, "`", "``") + "`" }

// readCert reads a PEM certificate, or "" when there is none.
func readCert(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	return string(b)
}
