// Package postgres manages users, databases and grants in PostgreSQL as RDS's master user,
// who is not a superuser: it has CREATEDB, CREATEROLE and membership in rds_superuser.
package postgres

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/matrixmind-cloud/aws-rds-operator/internal/engine"
)

// connectTimeout bounds how long a login may take.
const connectTimeout = 10 * time.Second

// Connector opens sessions on PostgreSQL servers over TLS: verified against the endpoint's
// CA bundle when it has one (sslmode=verify-full), else encrypted only (sslmode=require, as
// RDS serves).
type Connector struct {
	// Dial, when set, opens the connections instead of the network's own dialer, given
	// the endpoint's host name unresolved.
	Dial DialFunc
}

// DialFunc opens a network connection to address (host:port).
type DialFunc func(ctx context.Context, network, address string) (net.Conn, error)

// Connect implements engine.Connector.
func (c Connector) Connect(ctx context.Context, ep engine.Endpoint) (engine.Admin, error) {
	cfg, err := c.connConfig(ep, "postgres")
	if err != nil {
		return nil, err
	}
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, loginError(fmt.Sprintf("log in to %s:%d as %s", ep.Host, ep.Port, ep.User), err)
	}
	return &Admin{conn: conn, cfg: cfg, master: ep.User, adminRole: ep.AdminRole, tokenRole: ep.TokenRole, owner: ep.Owner, readOnly: map[string]bool{}}, nil
}

// Verify implements engine.Connector.
func (c Connector) Verify(ctx context.Context, ep engine.Endpoint, database string) error {
	cfg, err := c.connConfig(ep, database)
	if err != nil {
		return err
	}
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return loginError(fmt.Sprintf("log in to %s as %s", database, ep.User), err)
	}
	return conn.Close(ctx)
}

// connConfig is the session configuration for ep and database: TLS required, and the
// server's certificate verified for ep.Host against ep.CA when there is one.
func (c Connector) connConfig(ep engine.Endpoint, database string) (*pgx.ConnConfig, error) {
	cfg, err := pgx.ParseConfig(ConnString(ep, database))
	if err != nil {
		return nil, &engine.Error{Op: "parse connection settings", Unreachable: true, Err: errors.New("invalid host or port")}
	}
	if c.Dial != nil {
		cfg.DialFunc = pgconn.DialFunc(c.Dial)
		cfg.LookupFunc = func(_ context.Context, host string) ([]string, error) { return []string{host}, nil }
	}
	cfg.ConnectTimeout = connectTimeout
	if tc := ep.CA.TLSConfig(ep.Host); tc != nil {
		cfg.TLSConfig = tc // sslmode=require has no fallback without TLS to set as well
	}
	return cfg, nil
}

// ConnString returns the libpq URI for ep and database, requiring TLS. It holds the password:
// never log it.
func ConnString(ep engine.Endpoint, database string) string {
	u := url.URL{
		Scheme:   "postgresql",
		User:     url.UserPassword(ep.User, ep.Password),
		Host:     net.JoinHostPort(ep.Host, strconv.Itoa(int(ep.Port))),
		Path:     "/" + database,
		RawQuery: "sslmode=require",
	}
	return u.String()
}

// Admin is an engine.Admin session on one PostgreSQL server.
type Admin struct {
	conn *pgx.Conn
	// cfg is conn's configuration, to log in to the other databases as the master. It holds
	// the password: never log it.
	cfg    *pgx.ConnConfig
	master string
	// adminRole is the cloud's stand-in for a superuser, empty when it has none.
	adminRole string
	// tokenRole makes its members log in with the cloud's tokens, empty when there is none.
	tokenRole string
	// owner is the object at work on a server several share (engine.Endpoint.Owner), whose
	// mark every role and database the session makes gets and changes; empty on a server
	// that is the object's own.
	owner string
	// readOnly holds the users EnsureUser applied in this session, and whether each is
	// read-only, for EnsureDatabase to give each its rights.
	readOnly map[string]bool
}

// Close implements engine.Admin.
func (a *Admin) Close(ctx context.Context) error {
	return a.conn.Close(ctx)
}

// EnsureUser implements engine.Admin. The password goes to the server as a SCRAM verifier,
// never in clear text. On a shared server a role not marked as Owner's is refused untouched.
func (a *Admin) EnsureUser(ctx context.Context, u engine.User) error {
	if err := checkName("role", u.Name); err != nil {
		return err
	}
	if u.ReadOnly && (u.Superuser || u.CreateDB) {
		return &engine.Error{Op: "ensure role " + u.Name, Err: errors.New("a read-only user can be neither superuser nor createdb")}
	}
	if u.TokenLogin && a.tokenRole == "" {
		return &engine.Error{Op: "let " + u.Name + " log in with a token", Err: errors.New("this server names no role for token logins")}
	}
	if u.Superuser && a.adminRole == "" {
		return &engine.Error{Op: "make " + u.Name + " a superuser", Unsupported: true, Err: errors.New(
			"this server offers no admin role to make a superuser with (on a server shared with other objects, a superuser could reach their data)")}
	}
	// A user who logs in with a token has no password: one left from before would still
	// let it in where the cloud's rules allow passwords.
	password := "NULL"
	if !u.TokenLogin {
		verifier, err := scramVerifier(u.Password)
		if err != nil {
			return &engine.Error{Op: "hash password of " + u.Name, Err: err}
		}
		password = literal(verifier)
	}
	exists, err := a.lookUpRole(ctx, "ensure role "+u.Name, u.Name)
	if err != nil {
		return err
	}
	createdb := "NOCREATEDB"
	if u.CreateDB {
		createdb = "CREATEDB"
	}
	options := fmt.Sprintf("ROLE %s LOGIN %s PASSWORD %s", ident(u.Name), createdb, password)
	if exists {
		if _, err := a.conn.Exec(ctx, "ALTER "+options); err != nil {
			return wrap("alter role "+u.Name, err)
		}
	} else if err := a.createRole(ctx, "ensure role "+u.Name, u.Name, "CREATE "+options, a.markFor("")); err != nil {
		return err
	}
	if a.adminRole != "" {
		if err := a.ensureMembership(ctx, u.Name, a.adminRole, u.Superuser); err != nil {
			return err
		}
	}
	if a.tokenRole != "" {
		if err := a.ensureMembership(ctx, u.Name, a.tokenRole, u.TokenLogin); err != nil {
			return err
		}
	}
	a.readOnly[u.Name] = u.ReadOnly
	return nil
}

// DisableUser implements engine.Admin. On a shared server a role not marked as Owner's is
// not Owner's to disable: it is left as it is.
func (a *Admin) DisableUser(ctx context.Context, name string) error {
	if err := checkName("role", name); err != nil {
		return err
	}
	exists, err := a.lookUpRole(ctx, "disable role "+name, name)
	switch {
	case engine.IsNotOwned(err), err == nil && !exists:
		return nil
	case err != nil:
		return err
	}
	if _, err := a.conn.Exec(ctx, fmt.Sprintf("ALTER ROLE %s NOLOGIN", ident(name))); err != nil {
		return wrap("disable login of "+name, err)
	}
	if a.adminRole != "" {
		if err := a.ensureMembership(ctx, name, a.adminRole, false); err != nil {
			return err
		}
	}
	// The user is on no list any more, so no EnsureDatabase acts as it again: a membership
	// a crash left the master in is revoked here.
	return a.revokeLeftovers(ctx, []string{name})
}

// ensureMembership grants or revokes role's membership in group.
func (a *Admin) ensureMembership(ctx context.Context, role, group string, want bool) error {
	var member bool
	err := a.conn.QueryRow(ctx, `SELECT EXISTS (
		SELECT 1 FROM pg_auth_members m
		JOIN pg_roles g ON g.oid = m.roleid JOIN pg_roles r ON r.oid = m.member
		WHERE g.rolname = $1 AND r.rolname = $2)`, group, role).Scan(&member)
	if err != nil {
		return wrap("look up membership of "+role+" in "+group, err)
	}
	switch {
	case want && !member:
		if _, err := a.conn.Exec(ctx, fmt.Sprintf("GRANT %s TO %s", ident(group), ident(role))); err != nil {
			return wrap("grant "+group+" to "+role, err)
		}
	case !want && member:
		if _, err := a.conn.Exec(ctx, fmt.Sprintf("REVOKE %s FROM %s", ident(group), ident(role))); err != nil {
			return wrap("revoke "+group+" from "+role, err)
		}
	}
	return nil
}

// EnsureDatabase implements engine.Admin. On a shared server it refuses, before changing
// anything, a database or group role not marked as Owner's, and a database owned by a role
// that is not Owner's; it marks the database it creates. The roles it grants to are Owner's:
// the master, and users this session's EnsureUser applied, which refused any other.
func (a *Admin) EnsureDatabase(ctx context.Context, d engine.Database) error {
	owner := d.Owner
	if owner == "" {
		owner = a.master
	}
	if err := checkName("database", d.Name); err != nil {
		return err
	}
	for _, role := range append([]string{owner}, d.Users...) {
		if err := checkName("role", role); err != nil {
			return err
		}
	}
	s, err := a.sharingOf(d, owner)
	if err != nil {
		return err
	}
	st, err := a.lookUpDatabase(ctx, d.Name)
	if err != nil {
		return err
	}
	needsMark, err := a.claimDatabase(d.Name, st)
	if err != nil {
		return err
	}
	if err := a.ensureGroups(ctx, s); err != nil {
		return err
	}
	exists, current := st.exists, st.owner
	// The master is not a superuser: to create a database for another role or grant on it
	// as its owner it must act as that role for a while, and to hand a database from one
	// owner to another it must act as both.
	roles := []string{owner}
	if exists && current != owner {
		roles = append(roles, current)
	}
	err = a.asMemberOf(ctx, roles, func() error {
		switch {
		case !exists:
			if _, err := a.conn.Exec(ctx, fmt.Sprintf("CREATE DATABASE %s OWNER %s", ident(d.Name), ident(owner))); err != nil {
				return wrap("create database "+d.Name, err)
			}
			needsMark = a.owner != ""
		case current != owner:
			if _, err := a.conn.Exec(ctx, fmt.Sprintf("ALTER DATABASE %s OWNER TO %s", ident(d.Name), ident(owner))); err != nil {
				return wrap("change owner of database "+d.Name, err)
			}
		}
		// CREATE DATABASE cannot run in a transaction: a crash before this leaves the
		// database unmarked, which claimDatabase takes as Owner's by its owner.
		if needsMark {
			if _, err := a.conn.Exec(ctx, fmt.Sprintf("COMMENT ON DATABASE %s IS %s", ident(d.Name), literal(a.markFor("")))); err != nil {
				return wrap("mark database "+d.Name, err)
			}
		}
		return a.ensureConnect(ctx, s)
	})
	if err != nil {
		return err
	}
	if err := a.ensureMembers(ctx, s.readWrite, s.writers); err != nil {
		return err
	}
	// The master reads every table too: RDS's snapshot export reads as the master and
	// skips what it may not read (PERMISSIONS_DO_NOT_EXIST), and an administrator expects
	// to see the data.
	if err := a.ensureMembers(ctx, s.readOnly, append(slices.Clone(s.readers), a.master)); err != nil {
		return err
	}
	if err := a.share(ctx, s); err != nil {
		return err
	}
	// Not the read-only group: the master belongs to it for good.
	return a.revokeLeftovers(ctx, s.makers(a.master))
}

// ensureConnect makes the listed users, the owner and the master the only roles that may
// connect to the database: PUBLIC loses CONNECT (and TEMPORARY), and grantees not listed lose
// it. The read-write group may create schemas and temporary tables in it.
func (a *Admin) ensureConnect(ctx context.Context, s sharing) error {
	database, owner := s.database, s.owner
	if _, err := a.conn.Exec(ctx, fmt.Sprintf("REVOKE CONNECT, TEMPORARY ON DATABASE %s FROM PUBLIC", ident(database))); err != nil {
		return wrap("revoke connect on "+database+" from public", err)
	}
	rows, err := a.conn.Query(ctx, `SELECT COALESCE(pg_get_userbyid(a.grantee), '')
		FROM pg_database d, aclexplode(d.datacl) a
		WHERE d.datname = $1 AND a.privilege_type = 'CONNECT' AND a.grantee <> 0`, database)
	if err != nil {
		return wrap("list grants on "+database, err)
	}
	granted, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return wrap("list grants on "+database, err)
	}
	want := slices.Concat([]string{a.master, owner}, s.writers, s.readers)
	for _, u := range want {
		if !slices.Contains(granted, u) {
			if _, err := a.conn.Exec(ctx, fmt.Sprintf("GRANT CONNECT ON DATABASE %s TO %s", ident(database), ident(u))); err != nil {
				return wrap("grant connect on "+database+" to "+u, err)
			}
			granted = append(granted, u)
		}
	}
	for _, g := range granted {
		if g != "" && !slices.Contains(want, g) {
			if _, err := a.conn.Exec(ctx, fmt.Sprintf("REVOKE CONNECT ON DATABASE %s FROM %s", ident(database), ident(g))); err != nil {
				return wrap("revoke connect on "+database+" from "+g, err)
			}
		}
	}
	var creates bool
	if err := a.conn.QueryRow(ctx, `SELECT has_database_privilege($1, $2, 'CREATE') AND has_database_privilege($1, $2, 'TEMPORARY')`,
		s.readWrite, database).Scan(&creates); err != nil {
		return wrap("check grants on "+database+" to "+s.readWrite, err)
	}
	if !creates {
		if _, err := a.conn.Exec(ctx, fmt.Sprintf("GRANT CREATE, TEMPORARY ON DATABASE %s TO %s", ident(database), ident(s.readWrite))); err != nil {
			return wrap("grant create on "+database+" to "+s.readWrite, err)
		}
	}
	return nil
}

// asMemberOf runs fn with the master able to act as each of roles, granting what it lacks
// for the duration and revoking afterwards every grant it made itself (found by grantor), so
// a grant left behind by a crash between GRANT and REVOKE is revoked on the next pass.
func (a *Admin) asMemberOf(ctx context.Context, roles []string, fn func() error) (err error) {
	var granted []string
	defer func() {
		for _, role := range granted {
			if _, rerr := a.conn.Exec(ctx, fmt.Sprintf("REVOKE %s FROM %s", ident(role), ident(a.master))); rerr != nil && err == nil {
				err = wrap("revoke "+role+" from the master user", rerr)
			}
		}
	}()
	for _, role := range roles {
		if role == a.master || slices.Contains(granted, role) {
			continue
		}
		var usable, ours bool
		// USAGE: the master inherits the role's privileges. On PostgreSQL 16 and later it
		// must also be allowed to SET ROLE to it (CREATE DATABASE ... OWNER needs that), and
		// the ADMIN-only grant a CREATEROLE user gets on the roles it creates gives neither.
		err := a.conn.QueryRow(ctx, `SELECT pg_has_role(current_user, $1, 'USAGE')
			AND (current_setting('server_version_num')::int < 160000 OR pg_has_role(current_user, $1, 'SET')),
			EXISTS (SELECT 1 FROM pg_auth_members m
				WHERE m.roleid = (SELECT oid FROM pg_roles WHERE rolname = $1)
				AND m.member = (SELECT oid FROM pg_roles WHERE rolname = current_user)
				AND m.grantor = (SELECT oid FROM pg_roles WHERE rolname = current_user))`, role).Scan(&usable, &ours)
		if err != nil {
			return wrap("check membership in "+role, err)
		}
		if ours {
			granted = append(granted, role)
		}
		if usable {
			continue
		}
		grant := fmt.Sprintf("GRANT %s TO %s", ident(role), ident(a.master))
		if a.serverVersion(ctx) >= 160000 {
			grant += " WITH INHERIT TRUE, SET TRUE"
		}
		if _, err := a.conn.Exec(ctx, grant); err != nil {
			return wrap("grant "+role+" to the master user", err)
		}
		if !ours {
			granted = append(granted, role)
		}
	}
	return fn()
}

// serverVersion returns the server's version number (e.g. 150004), or 0 if it cannot tell.
func (a *Admin) serverVersion(ctx context.Context) int {
	v, err := strconv.Atoi(a.conn.PgConn().ParameterStatus("server_version_num"))
	if err != nil {
		var n int
		if a.conn.QueryRow(ctx, "SELECT current_setting('server_version_num')::int").Scan(&n) == nil {
			return n
		}
	}
	return v
}

// maxIdentifier is the longest name PostgreSQL keeps (NAMEDATALEN - 1 bytes): it cuts a
// longer one silently, so that name would reach another role or database.
const maxIdentifier = 63

// checkName refuses a role or database name that quoting cannot carry to the server as is:
// empty, longer than maxIdentifier bytes, holding a NUL byte (pgx drops it from a quoted
// identifier, so "app\x00" would name the role app) or not UTF-8. Admission refuses all of
// them; this keeps the engine safe whoever calls it.
func checkName(kind, name string) error {
	var why string
	switch {
	case name == "":
		why = "is empty"
	case len(name) > maxIdentifier:
		why = fmt.Sprintf("is %d bytes long, PostgreSQL keeps %d", len(name), maxIdentifier)
	case strings.IndexByte(name, 0) >= 0:
		why = "holds a NUL byte"
	case !utf8.ValidString(name):
		why = "is not UTF-8"
	default:
		return nil
	}
	return &engine.Error{Op: "check " + kind + " name " + strconv.Quote(name), Err: fmt.Errorf("the %s name %s", kind, why)}
}

// ident quotes a SQL identifier. Names are validated at admission too; quoting makes any
// name safe regardless.
func ident(name string) string {
	return pgx.Identifier{name}.Sanitize()
}

// literal quotes a SQL string literal.
func literal(s string) string {
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}

// invalidPassword is PostgreSQL's SQLSTATE for a login refused for its password.
const invalidPassword = "28P01"

// invalidAuthorization is the SQLSTATE class of every login the server refused: a password,
// or PAM (RDS's IAM tokens), or a user not allowed to log in.
const invalidAuthorization = "28"

// loginError classifies a failed login.
func loginError(op string, err error) error {
	code := sqlState(err)
	return &engine.Error{Op: op, Code: code, Unreachable: true, PasswordRefused: code == invalidPassword,
		LoginRefused:       strings.HasPrefix(code, invalidAuthorization),
		CertificateRefused: engine.CertificateRefused(err), Err: err}
}

func sqlState(err error) string {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code
	}
	return ""
}

// wrap classifies a statement error once: its SQLSTATE, and whether the session was lost.
func wrap(op string, err error) error {
	code := sqlState(err)
	return &engine.Error{Op: op, Code: code, Unreachable: code == "" && pgconn.SafeToRetry(err), Err: err}
}
