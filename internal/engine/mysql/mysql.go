// Package mysql manages users, databases and grants in MySQL and MariaDB as RDS's master
// user, who holds broad privileges WITH GRANT OPTION but not SUPER. Users are
// '<name>'@'%'; passwords reach the server only as mysql_native_password hashes.
package mysql

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/matrixmind-cloud/aws-rds-operator/internal/engine"
)

// DefaultPort is the port RDS gives MySQL and MariaDB instances unless told otherwise.
const DefaultPort = 3306

// connectTimeout bounds how long a login may take.
const connectTimeout = 10 * time.Second

// Connector opens sessions on MySQL and MariaDB servers over TLS: verified against the
// endpoint's CA bundle when it has one (the counterpart of PostgreSQL's
// sslmode=verify-full), else without verifying the server's certificate (tls=skip-verify,
// the counterpart of sslmode=require).
type Connector struct{}

// Connect implements engine.Connector.
func (Connector) Connect(ctx context.Context, ep engine.Endpoint) (engine.Admin, error) {
	op := fmt.Sprintf("log in to %s:%d as %s", ep.Host, ep.Port, ep.User)
	db, conn, err := open(ctx, ep, "")
	if err != nil {
		return nil, loginError(op, err)
	}
	a := &Admin{db: db, conn: conn, tokenPlugin: ep.TokenRole, owner: ep.Owner, readOnly: map[string]bool{}}
	var current string
	if err := conn.QueryRowContext(ctx, "SELECT CURRENT_USER()").Scan(&current); err != nil {
		_ = a.Close(ctx)
		return nil, wrap("look up the master account", err)
	}
	i := strings.LastIndexByte(current, '@')
	if i < 0 {
		_ = a.Close(ctx)
		return nil, &engine.Error{Op: "look up the master account", Err: fmt.Errorf("unexpected CURRENT_USER() %q", current)}
	}
	a.master, a.masterHost = current[:i], current[i+1:]
	return a, nil
}

// Verify implements engine.Connector: it logs in as ep's user to database and out again.
func (Connector) Verify(ctx context.Context, ep engine.Endpoint, database string) error {
	db, conn, err := open(ctx, ep, database)
	if err != nil {
		return loginError(fmt.Sprintf("log in to %s as %s", database, ep.User), err)
	}
	_ = conn.Close()
	return db.Close()
}

// open logs in and returns a pool holding exactly the one session it opened.
func open(ctx context.Context, ep engine.Endpoint, database string) (*sql.DB, *sql.Conn, error) {
	c, err := mysql.NewConnector(config(ep, database))
	if err != nil {
		return nil, nil, errors.New("invalid host or port")
	}
	db := sql.OpenDB(c)
	db.SetMaxOpenConns(1)
	conn, err := db.Conn(ctx)
	if err != nil {
		_ = db.Close()
		return nil, nil, err
	}
	return db, conn, nil
}

// config is the driver configuration for ep and database.
func config(ep engine.Endpoint, database string) *mysql.Config {
	cfg := mysql.NewConfig()
	cfg.User = ep.User
	cfg.Passwd = ep.Password
	cfg.Net = "tcp"
	cfg.Addr = net.JoinHostPort(ep.Host, strconv.Itoa(int(ep.Port)))
	cfg.DBName = database
	// A token goes as a cleartext password, only ever over TLS (set below, never off).
	cfg.AllowCleartextPasswords = ep.Token
	cfg.TLSConfig = "skip-verify"
	if tc := ep.CA.TLSConfig(ep.Host); tc != nil {
		cfg.TLSConfig, cfg.TLS = "", tc
	}
	cfg.Timeout = connectTimeout
	return cfg
}

// DSN returns the go-sql-driver/mysql data source name for ep and database, requiring TLS.
// It holds the password: never log it.
func DSN(ep engine.Endpoint, database string) string {
	return config(ep, database).FormatDSN()
}

// Admin is an engine.Admin session on one MySQL or MariaDB server, as the master user.
type Admin struct {
	db         *sql.DB
	conn       *sql.Conn
	master     string
	masterHost string
	// tokenPlugin is the authentication plugin of users who log in with the cloud's tokens
	// (Endpoint.TokenRole), empty when the server has none.
	tokenPlugin string
	// owner is the object at work on a server several share (engine.Endpoint.Owner), whose
	// mark (a row of the marks table) every user and database the session makes gets and
	// changes; empty on a server that is the object's own.
	owner string
	// marksReady says the session made sure the marks table exists.
	marksReady bool
	// readOnly holds the users EnsureUser applied in this session, and whether each is
	// read-only, for EnsureDatabase to give each its privileges.
	readOnly map[string]bool
}

// Close implements engine.Admin.
func (a *Admin) Close(context.Context) error {
	return errors.Join(a.conn.Close(), a.db.Close())
}
