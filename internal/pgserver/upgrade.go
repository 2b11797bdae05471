package pgserver

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/jackc/pgx/v5"
)

// Upgrade starts a server of a newer major (opts.Major, under opts.Dir) and copies into it
// this server's roles with their passwords, memberships and settings, and its databases
// with their schemas, enum types, sequences, functions, tables and rows, constraints,
// indexes, views, triggers, row security policies, owners, privileges and default
// privileges, as RDS's major version upgrade carries an instance's data to the new major.
// RDS runs pg_upgrade; here the copy is logical, statement by statement over two sessions,
// since the builds per major have no pg_dump or pg_upgrade. Objects it cannot copy
// (partitioned, inherited or foreign tables, domains and other user-defined types than
// enums, aggregates, rules, event triggers, publications, large objects, column
// privileges, ...) make it fail before anything is started, naming what it found.
// Comments are not copied. This server keeps running, untouched; the caller stops it, and
// MoveToPort moves the new server onto its port. The new server has this server's master
// user; opts.MasterUser and opts.MasterPassword are not used.
func (s *Server) Upgrade(ctx context.Context, opts Options) (*Server, error) {
	if opts.Major <= s.Build.Major {
		return nil, fmt.Errorf("upgrade: PostgreSQL %d is not newer than the server's %d", opts.Major, s.Build.Major)
	}
	if err := s.checkCopyable(ctx); err != nil {
		return nil, fmt.Errorf("upgrade to PostgreSQL %d: %w", opts.Major, err)
	}
	opts.MasterUser = s.MasterUser
	if opts.CA == nil {
		opts.CA = s.ca // the upgraded server answers at the same endpoint, signed alike
	}
	if opts.logDir == "" {
		opts.logDir = s.logDir // the instance's log goes on, as RDS keeps it across an upgrade
	}
	opts.IAM = opts.IAM || s.iam // its users log in as they did
	// A password nobody knows until the copy gives the master the hash it has here.
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		return nil, fmt.Errorf("upgrade: %w", err)
	}
	opts.MasterPassword = hex.EncodeToString(b)
	dst, err := Start(ctx, opts)
	if err != nil {
		return nil, fmt.Errorf("upgrade: %w", err)
	}
	// As RDS's upgrade takes the instance away, the copy takes the source's clients away:
	// a write made during the copy would be lost with the source.
	if err := s.setReadOnly(ctx, true); err != nil {
		return nil, errors.Join(fmt.Errorf("upgrade to PostgreSQL %d: %w", opts.Major, err), dst.Stop())
	}
	if err := copyCluster(ctx, s, dst); err != nil {
		return nil, errors.Join(fmt.Errorf("upgrade to PostgreSQL %d: %w", opts.Major, err), dst.Stop(), s.setReadOnly(ctx, false))
	}
	return dst, nil
}

// setReadOnly makes new transactions on the server read-only and ends every client session
// (replication aside), or makes them writable again.
func (s *Server) setReadOnly(ctx context.Context, on bool) error {
	conn, err := s.adminConn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	stmts := []string{`SET default_transaction_read_only = off`, `ALTER SYSTEM RESET default_transaction_read_only`, `SELECT pg_reload_conf()`}
	if on {
		stmts = []string{`ALTER SYSTEM SET default_transaction_read_only = on`, `SELECT pg_reload_conf()`,
			`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid <> pg_backend_pid() AND backend_type = 'client backend'`}
	}
	for _, q := range stmts {
		if _, err := conn.Exec(ctx, q); err != nil {
			return fmt.Errorf("set the source read-only %t: %w", on, err)
		}
	}
	return nil
}

// MoveToPort restarts the server on another TCP port, e.g. the port of the server it
// replaced after Upgrade.
func (s *Server) MoveToPort(ctx context.Context, port int) error {
	if err := s.proc.Stop(); err != nil {
		return fmt.Errorf("move to port %d: %w", port, err)
	}
	s.Port = port
	if err := s.setPort(); err != nil {
		return fmt.Errorf("move to port %d: %w", port, err)
	}
	if err := s.run(ctx, Options{Port: port}); err != nil {
		return fmt.Errorf("move to port %d: %w", port, err)
	}
	return nil
}

// userNamespace is an SQL condition on a pg_namespace n: a schema of the users', not one
// of PostgreSQL's own.
const userNamespace = `n.nspname <> 'information_schema' AND n.nspname !~ '^pg_'`

// notExtensionMember is an SQL condition: the object of catalog cat with oid oid does not
// belong to an extension (CREATE EXTENSION on the new server makes those).
func notExtensionMember(cat, oid string) string {
	return fmt.Sprintf(`NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = '%s'::regclass AND d.objid = %s AND d.deptype = 'e')`, cat, oid)
}

// uncopyable counts, in the current database, the objects of each kind Upgrade cannot copy.
var uncopyable = []struct{ what, query string }{
	{"partitioned, inherited or foreign tables", `SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE ` + userNamespace +
		` AND (c.relkind IN ('p', 'f') OR c.relispartition OR EXISTS (SELECT 1 FROM pg_inherits i WHERE i.inhrelid = c.oid)) AND ` + notExtensionMember("pg_class", "c.oid")},
	{"user-defined types other than enums", `SELECT count(*) FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace WHERE ` + userNamespace +
		` AND (t.typtype IN ('b', 'd', 'r', 'm') OR (t.typtype = 'c' AND (SELECT c.relkind FROM pg_class c WHERE c.oid = t.typrelid) = 'c'))` +
		` AND t.typelem = 0 AND ` + notExtensionMember("pg_type", "t.oid")},
	{"aggregates and window functions", `SELECT count(*) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE ` + userNamespace +
		` AND p.prokind IN ('a', 'w') AND ` + notExtensionMember("pg_proc", "p.oid")},
	{"rules", `SELECT count(*) FROM pg_rewrite r JOIN pg_class c ON c.oid = r.ev_class JOIN pg_namespace n ON n.oid = c.relnamespace WHERE ` + userNamespace +
		` AND r.rulename <> '_RETURN' AND ` + notExtensionMember("pg_rewrite", "r.oid")},
	{"event triggers", `SELECT count(*) FROM pg_event_trigger e WHERE ` + notExtensionMember("pg_event_trigger", "e.oid")},
	{"publications", `SELECT count(*) FROM pg_publication`},
	{"large objects", `SELECT count(*) FROM pg_largeobject_metadata`},
	{"column privileges", `SELECT count(*) FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace WHERE ` + userNamespace +
		` AND a.attacl IS NOT NULL AND a.attnum > 0 AND ` + notExtensionMember("pg_class", "c.oid")},
	{"operators, casts, collations, conversions, text search objects, statistics objects, foreign servers",
		`SELECT (SELECT count(*) FROM pg_operator o JOIN pg_namespace n ON n.oid = o.oprnamespace WHERE ` + userNamespace + ` AND ` + notExtensionMember("pg_operator", "o.oid") + `)` +
			` + (SELECT count(*) FROM pg_cast k WHERE k.oid >= 16384 AND ` + notExtensionMember("pg_cast", "k.oid") + `)` +
			` + (SELECT count(*) FROM pg_collation o JOIN pg_namespace n ON n.oid = o.collnamespace WHERE ` + userNamespace + ` AND ` + notExtensionMember("pg_collation", "o.oid") + `)` +
			` + (SELECT count(*) FROM pg_conversion o JOIN pg_namespace n ON n.oid = o.connamespace WHERE ` + userNamespace + ` AND ` + notExtensionMember("pg_conversion", "o.oid") + `)` +
			` + (SELECT count(*) FROM pg_ts_config o JOIN pg_namespace n ON n.oid = o.cfgnamespace WHERE ` + userNamespace + ` AND ` + notExtensionMember("pg_ts_config", "o.oid") + `)` +
			` + (SELECT count(*) FROM pg_ts_dict o JOIN pg_namespace n ON n.oid = o.dictnamespace WHERE ` + userNamespace + ` AND ` + notExtensionMember("pg_ts_dict", "o.oid") + `)` +
			` + (SELECT count(*) FROM pg_statistic_ext o JOIN pg_namespace n ON n.oid = o.stxnamespace WHERE ` + userNamespace + `)` +
			` + (SELECT count(*) FROM pg_foreign_server o WHERE ` + notExtensionMember("pg_foreign_server", "o.oid") + `)`},
}

// checkCopyable fails naming every kind of object in every database that Upgrade cannot
// copy, and tablespaces of the users'.
func (s *Server) checkCopyable(ctx context.Context) error {
	conn, err := s.adminConnTo(ctx, "postgres")
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	var found []string
	var tablespaces int
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM pg_tablespace WHERE spcname NOT IN ('pg_default', 'pg_global')`).Scan(&tablespaces); err != nil {
		return err
	}
	if tablespaces > 0 {
		found = append(found, fmt.Sprintf("%d tablespaces", tablespaces))
	}
	dbs, err := databases(ctx, conn)
	if err != nil {
		return err
	}
	for _, db := range dbs {
		c, err := s.adminConnTo(ctx, db)
		if err != nil {
			return err
		}
		for _, u := range uncopyable {
			var n int
			if err := c.QueryRow(ctx, u.query).Scan(&n); err != nil {
				c.Close(context.WithoutCancel(ctx))
				return fmt.Errorf("count %s in %s: %w", u.what, db, err)
			}
			if n > 0 {
				found = append(found, fmt.Sprintf("%d %s in database %s", n, u.what, db))
			}
		}
		c.Close(context.WithoutCancel(ctx))
	}
	if len(found) > 0 {
		return fmt.Errorf("the emulator's upgrade cannot copy %s", strings.Join(found, "; "))
	}
	return nil
}

// databases lists the databases a session can open (template0 cannot be), oldest first.
func databases(ctx context.Context, conn *pgx.Conn) ([]string, error) {
	rows, err := conn.Query(ctx, `SELECT datname FROM pg_database WHERE datallowconn ORDER BY oid`)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}

// adminConnTo connects as AdminUser to a database over the unix socket.
func (s *Server) adminConnTo(ctx context.Context, db string) (*pgx.Conn, error) {
	cfg, err := pgx.ParseConfig(s.SuperuserDSN())
	if err != nil {
		return nil, fmt.Errorf("connect as %s: %w", AdminUser, err)
	}
	cfg.Database = db
	cfg.RuntimeParams["log_min_error_statement"] = "panic"
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connect as %s to %s: %w", AdminUser, db, err)
	}
	return conn, nil
}

// copier copies what one session of the source reads into one session of the target.
type copier struct {
	src, dst           *pgx.Conn
	srcMajor, dstMajor int
}

// exec runs a statement on the target; errors name the statement unless it is secret.
func (c *copier) exec(ctx context.Context, q string) error {
	if _, err := c.dst.Exec(ctx, q); err != nil {
		return fmt.Errorf("%s: %w", q, err)
	}
	return nil
}

// strings runs a query on the source that returns rows of text columns.
func (c *copier) strings(ctx context.Context, q string, args ...any) ([][]string, error) {
	rows, err := c.src.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", q, err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) ([]string, error) {
		vals, err := r.Values()
		if err != nil {
			return nil, err
		}
		out := make([]string, len(vals))
		for i, v := range vals {
			if v != nil {
				out[i] = fmt.Sprint(v)
			}
		}
		return out, nil
	})
}

// copyCluster copies the global objects, then each database.
func copyCluster(ctx context.Context, src, dst *Server) error {
	s, err := src.adminConnTo(ctx, "postgres")
	if err != nil {
		return err
	}
	defer s.Close(context.WithoutCancel(ctx))
	d, err := dst.adminConnTo(ctx, "postgres")
	if err != nil {
		return err
	}
	defer d.Close(context.WithoutCancel(ctx))
	c := &copier{src: s, dst: d, srcMajor: src.Build.Major, dstMajor: dst.Build.Major}
	if err := c.roles(ctx); err != nil {
		return fmt.Errorf("roles: %w", err)
	}
	if err := c.memberships(ctx, src.MasterUser); err != nil {
		return fmt.Errorf("role memberships: %w", err)
	}
	dbs, err := c.databases(ctx)
	if err != nil {
		return fmt.Errorf("databases: %w", err)
	}
	if err := c.roleSettings(ctx); err != nil {
		return fmt.Errorf("role settings: %w", err)
	}
	for _, db := range dbs {
		if err := copyDatabase(ctx, src, dst, db); err != nil {
			return fmt.Errorf("database %s: %w", db, err)
		}
	}
	return nil
}

// roles copies every role but AdminUser and PostgreSQL's own, with its attributes and
// password hash (which the new server takes as it is).
func (c *copier) roles(ctx context.Context) error {
	rows, err := c.src.Query(ctx, `SELECT rolname, rolsuper, rolinherit, rolcreaterole, rolcreatedb, rolcanlogin, rolreplication,
		rolbypassrls, rolconnlimit, rolpassword, rolvaliduntil::text FROM pg_authid WHERE rolname !~ '^pg_' AND rolname <> current_user ORDER BY oid`)
	if err != nil {
		return err
	}
	type role struct {
		name                                                      string
		super, inherit, createRole, createDB, login, repl, bypass bool
		connLimit                                                 int
		password, validUntil                                      *string
	}
	roles, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (role, error) {
		var x role
		err := r.Scan(&x.name, &x.super, &x.inherit, &x.createRole, &x.createDB, &x.login, &x.repl, &x.bypass, &x.connLimit, &x.password, &x.validUntil)
		return x, err
	})
	if err != nil {
		return err
	}
	flag := func(on bool, name string) string {
		if on {
			return name
		}
		return "NO" + name
	}
	for _, r := range roles {
		opts := strings.Join([]string{flag(r.super, "SUPERUSER"), flag(r.inherit, "INHERIT"), flag(r.createRole, "CREATEROLE"),
			flag(r.createDB, "CREATEDB"), flag(r.login, "LOGIN"), flag(r.repl, "REPLICATION"), flag(r.bypass, "BYPASSRLS"),
			fmt.Sprintf("CONNECTION LIMIT %d", r.connLimit)}, " ")
		if r.password != nil {
			opts += " PASSWORD " + quoteLiteral(*r.password)
		} else {
			opts += " PASSWORD NULL"
		}
		if r.validUntil != nil {
			opts += " VALID UNTIL " + quoteLiteral(*r.validUntil)
		}
		var exists bool
		if err := c.dst.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1)`, r.name).Scan(&exists); err != nil {
			return err
		}
		verb := "CREATE"
		if exists {
			verb = "ALTER"
		}
		if _, err := c.dst.Exec(ctx, verb+" ROLE "+ident(r.name)+" WITH "+opts); err != nil {
			// The statement holds a password hash: name the role, never the SQL.
			return fmt.Errorf("%s role %s: %w", strings.ToLower(verb), r.name, err)
		}
	}
	return nil
}

// memberships copies who is a member of which role, in the order they were granted. From
// 16 on, a role that makes another gets ADMIN OPTION on it and needs it to manage it; roles
// that come from an older server, where CREATEROLE was enough, are given to the master with
// ADMIN OPTION (and neither INHERIT nor SET), as if it had made them on the new major, so
// that it manages them as it did (IAMRole among them: a grant with ADMIN OPTION only does
// not make the master log in with a token, see UsesIAM).
func (c *copier) memberships(ctx context.Context, master string) error {
	q := `SELECT r.rolname, m.rolname, g.rolname, am.admin_option::text, 'true', 'true' FROM pg_auth_members am
		JOIN pg_authid r ON r.oid = am.roleid JOIN pg_authid m ON m.oid = am.member JOIN pg_authid g ON g.oid = am.grantor
		WHERE m.rolname <> current_user ORDER BY am.roleid, am.member`
	if c.srcMajor >= 16 {
		q = `SELECT r.rolname, m.rolname, g.rolname, am.admin_option::text, am.inherit_option::text, am.set_option::text FROM pg_auth_members am
			JOIN pg_authid r ON r.oid = am.roleid JOIN pg_authid m ON m.oid = am.member JOIN pg_authid g ON g.oid = am.grantor
			WHERE m.rolname <> current_user ORDER BY am.oid`
	}
	grants, err := c.strings(ctx, q)
	if err != nil {
		return err
	}
	if c.srcMajor < 16 && c.dstMajor >= 16 {
		made, err := c.strings(ctx, `SELECT rolname FROM pg_authid WHERE rolname !~ '^pg_' AND rolname NOT IN (current_user, 'rds_superuser', $1, $2)
			AND NOT rolsuper ORDER BY oid`, master, ReplicationUser)
		if err != nil {
			return err
		}
		var admin [][]string
		for _, r := range made {
			admin = append(admin, []string{r[0], master, AdminUser, "true", "false", "false"})
		}
		grants = append(admin, grants...)
	}
	for _, g := range grants {
		role, member, grantor := g[0], g[1], g[2]
		q := "GRANT " + ident(role) + " TO " + ident(member)
		switch {
		case c.dstMajor >= 16 && c.srcMajor >= 16:
			q += fmt.Sprintf(" WITH ADMIN %s, INHERIT %s, SET %s GRANTED BY %s", g[3], g[4], g[5], ident(grantor))
		case c.dstMajor >= 16:
			// INHERIT follows the member's own attribute, SET is allowed, as before 16.
			q += fmt.Sprintf(" WITH ADMIN %s", g[3])
			if member == master && g[4] == "false" {
				q += fmt.Sprintf(", INHERIT %s, SET %s", g[4], g[5])
			}
			q += " GRANTED BY " + ident(grantor)
		case g[3] == "true":
			q += " WITH ADMIN OPTION"
		}
		if err := c.exec(ctx, q); err != nil {
			return err
		}
	}
	return nil
}

// databases creates the databases the new server lacks and gives each its owner,
// connection limit and privileges; it returns those to copy the objects of.
func (c *copier) databases(ctx context.Context) ([]string, error) {
	dbs, err := c.strings(ctx, `SELECT datname, pg_get_userbyid(datdba), pg_encoding_to_char(encoding), datcollate, datctype,
		datconnlimit::text, datallowconn::text, datistemplate::text FROM pg_database WHERE datname <> 'template0' ORDER BY oid`)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, d := range dbs {
		name, owner := d[0], d[1]
		var exists bool
		if err := c.dst.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, name).Scan(&exists); err != nil {
			return nil, err
		}
		if !exists {
			q := fmt.Sprintf("CREATE DATABASE %s WITH TEMPLATE template0 ENCODING %s LC_COLLATE %s LC_CTYPE %s",
				ident(name), quoteLiteral(d[2]), quoteLiteral(d[3]), quoteLiteral(d[4]))
			if err := c.exec(ctx, q); err != nil {
				return nil, err
			}
		}
		for _, q := range []string{
			fmt.Sprintf("ALTER DATABASE %s OWNER TO %s", ident(name), ident(owner)),
			fmt.Sprintf("ALTER DATABASE %s WITH CONNECTION LIMIT %s ALLOW_CONNECTIONS %s IS_TEMPLATE %s", ident(name), d[5], d[6], d[7]),
		} {
			if err := c.exec(ctx, q); err != nil {
				return nil, err
			}
		}
		if err := c.privileges(ctx, "DATABASE", ident(name), owner, `SELECT datacl FROM pg_database WHERE datname = $1`, name); err != nil {
			return nil, err
		}
		if d[6] == "true" {
			out = append(out, name)
		}
	}
	return out, nil
}

// roleSettings copies ALTER ROLE ... SET and ALTER DATABASE ... SET.
func (c *copier) roleSettings(ctx context.Context) error {
	rows, err := c.strings(ctx, `SELECT coalesce(r.rolname, ''), coalesce(d.datname, ''), u.setting FROM pg_db_role_setting s
		LEFT JOIN pg_authid r ON r.oid = s.setrole LEFT JOIN pg_database d ON d.oid = s.setdatabase, unnest(s.setconfig) AS u(setting)
		WHERE coalesce(r.rolname, '') <> current_user`)
	if err != nil {
		return err
	}
	for _, r := range rows {
		name, value, _ := strings.Cut(r[2], "=")
		set := " SET " + ident(name) + " TO " + settingValue(name, value)
		var q string
		switch {
		case r[0] == "":
			q = "ALTER DATABASE " + ident(r[1]) + set
		case r[1] == "":
			q = "ALTER ROLE " + ident(r[0]) + set
		default:
			q = "ALTER ROLE " + ident(r[0]) + " IN DATABASE " + ident(r[1]) + set
		}
		if err := c.exec(ctx, q); err != nil {
			return err
		}
	}
	return nil
}

// settingValue is a stored setting's value as SET takes it: the list settings as they are
// stored (already quoted item by item), every other one as a literal.
func settingValue(name, value string) string {
	switch strings.ToLower(name) {
	case "search_path", "temp_tablespaces", "session_preload_libraries", "local_preload_libraries", "shared_preload_libraries":
		return value
	}
	return quoteLiteral(value)
}

// privileges gives an object of the target the privileges (ACL) the source's aclQuery
// returns for args: none, that is the default, when it is NULL; otherwise every default
// privilege is revoked and each listed one granted, by its grantor.
func (c *copier) privileges(ctx context.Context, kind, name, owner, aclQuery string, args ...any) error {
	var isNull bool
	if err := c.src.QueryRow(ctx, `SELECT (`+aclQuery+`) IS NULL`, args...).Scan(&isNull); err != nil {
		return fmt.Errorf("privileges of %s %s: %w", kind, name, err)
	}
	if isNull {
		return nil
	}
	items, err := c.strings(ctx, `SELECT pg_get_userbyid(a.grantor), CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE pg_get_userbyid(a.grantee) END,
		a.privilege_type, a.is_grantable::text FROM aclexplode((`+aclQuery+`)) a`, args...)
	if err != nil {
		return err
	}
	on := " ON " + kind + " " + name
	stmts := []string{"REVOKE ALL" + on + " FROM PUBLIC", "REVOKE ALL" + on + " FROM " + ident(owner)}
	for _, it := range items {
		grantee := "PUBLIC"
		if it[1] != "PUBLIC" {
			grantee = ident(it[1])
		}
		q := "GRANT " + it[2] + on + " TO " + grantee
		if it[3] == "true" {
			q += " WITH GRANT OPTION"
		}
		if it[0] != owner {
			// Granted by a role that had the grant option: granted as that role again.
			q = "SET ROLE " + ident(it[0]) + "; " + q + "; RESET ROLE"
		}
		stmts = append(stmts, q)
	}
	for _, q := range stmts {
		if err := c.exec(ctx, q); err != nil {
			return err
		}
	}
	return nil
}

// ident quotes an SQL identifier.
func ident(name string) string { return pgx.Identifier{name}.Sanitize() }

// copyDatabase copies the objects and rows of one database.
func copyDatabase(ctx context.Context, src, dst *Server, db string) error {
	s, err := src.adminConnTo(ctx, db)
	if err != nil {
		return err
	}
	defer s.Close(context.WithoutCancel(ctx))
	d, err := dst.adminConnTo(ctx, db)
	if err != nil {
		return err
	}
	defer d.Close(context.WithoutCancel(ctx))
	c := &copier{src: s, dst: d, srcMajor: src.Build.Major, dstMajor: dst.Build.Major}
	// Function bodies may name tables that come later; DDL must not depend on the
	// session's search_path.
	if err := c.exec(ctx, "SET check_function_bodies = off; SET search_path = pg_catalog"); err != nil {
		return err
	}
	if _, err := s.Exec(ctx, "SET search_path = pg_catalog"); err != nil {
		return err
	}
	steps := []struct {
		name string
		run  func(context.Context) error
	}{
		{"extensions", c.extensions},
		{"schemas", c.schemas},
		{"enum types", c.enums},
		{"sequences", c.sequences},
		{"functions", c.functions},
		{"tables", c.tables},
		{"rows", c.rows},
		{"sequence values", c.sequenceValues},
		{"constraints", c.constraints},
		{"indexes", c.indexes},
		{"views", c.views},
		{"triggers", c.triggers},
		{"policies", c.policies},
		{"privileges", c.objectPrivileges},
		{"default privileges", c.defaultPrivileges},
	}
	for _, st := range steps {
		if err := st.run(ctx); err != nil {
			return fmt.Errorf("%s: %w", st.name, err)
		}
	}
	return nil
}

// extensions creates the source's extensions (but plpgsql, always there) in their schemas;
// the new server's version of each is installed.
func (c *copier) extensions(ctx context.Context) error {
	rows, err := c.strings(ctx, `SELECT e.extname, n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
		WHERE e.extname <> 'plpgsql' ORDER BY e.oid`)
	if err != nil {
		return err
	}
	for _, r := range rows {
		if err := c.exec(ctx, "CREATE SCHEMA IF NOT EXISTS "+ident(r[1])+"; CREATE EXTENSION IF NOT EXISTS "+ident(r[0])+" SCHEMA "+ident(r[1])); err != nil {
			return err
		}
	}
	return nil
}

// schemas creates the users' schemas with their owners and privileges (public included,
// so a public schema from before 15, where everyone may create in it, stays so, as
// pg_upgrade keeps it).
func (c *copier) schemas(ctx context.Context) error {
	rows, err := c.strings(ctx, `SELECT n.nspname, pg_get_userbyid(n.nspowner) FROM pg_namespace n WHERE `+userNamespace+
		` AND `+notExtensionMember("pg_namespace", "n.oid")+` ORDER BY n.oid`)
	if err != nil {
		return err
	}
	for _, r := range rows {
		if err := c.exec(ctx, "CREATE SCHEMA IF NOT EXISTS "+ident(r[0])+"; ALTER SCHEMA "+ident(r[0])+" OWNER TO "+ident(r[1])); err != nil {
			return err
		}
		if err := c.privileges(ctx, "SCHEMA", ident(r[0]), r[1], `SELECT nspacl FROM pg_namespace WHERE nspname = $1`, r[0]); err != nil {
			return err
		}
	}
	return nil
}

// enums creates the enum types.
func (c *copier) enums(ctx context.Context) error {
	rows, err := c.strings(ctx, `SELECT format('%I.%I', n.nspname, t.typname), pg_get_userbyid(t.typowner),
		(SELECT string_agg(quote_literal(e.enumlabel), ', ' ORDER BY e.enumsortorder) FROM pg_enum e WHERE e.enumtypid = t.oid)
		FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace WHERE t.typtype = 'e' AND `+userNamespace+
		` AND `+notExtensionMember("pg_type", "t.oid")+` ORDER BY t.oid`)
	if err != nil {
		return err
	}
	for _, r := range rows {
		if err := c.exec(ctx, "CREATE TYPE "+r[0]+" AS ENUM ("+r[2]+"); ALTER TYPE "+r[0]+" OWNER TO "+ident(r[1])); err != nil {
			return err
		}
	}
	return nil
}

// sequences creates the sequences that no identity column makes.
func (c *copier) sequences(ctx context.Context) error {
	rows, err := c.strings(ctx, `SELECT format('%I.%I', n.nspname, c.relname), pg_get_userbyid(c.relowner),
		format('AS %s INCREMENT %s MINVALUE %s MAXVALUE %s START %s CACHE %s %s', format_type(s.seqtypid, NULL), s.seqincrement,
			s.seqmin, s.seqmax, s.seqstart, s.seqcache, CASE WHEN s.seqcycle THEN 'CYCLE' ELSE 'NO CYCLE' END)
		FROM pg_sequence s JOIN pg_class c ON c.oid = s.seqrelid JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE `+userNamespace+` AND `+notExtensionMember("pg_class", "c.oid")+`
		AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'i')
		ORDER BY c.oid`)
	if err != nil {
		return err
	}
	for _, r := range rows {
		if err := c.exec(ctx, "CREATE SEQUENCE "+r[0]+" "+r[2]+"; ALTER SEQUENCE "+r[0]+" OWNER TO "+ident(r[1])); err != nil {
			return err
		}
	}
	return nil
}

// functions creates the functions and procedures, with their owners.
func (c *copier) functions(ctx context.Context) error {
	rows, err := c.strings(ctx, `SELECT pg_get_functiondef(p.oid), pg_get_userbyid(p.proowner),
		format('%s %I.%I(%s)', CASE p.prokind WHEN 'p' THEN 'PROCEDURE' ELSE 'FUNCTION' END, n.nspname, p.proname, pg_get_function_identity_arguments(p.oid))
		FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
		WHERE p.prokind IN ('f', 'p') AND `+userNamespace+` AND `+notExtensionMember("pg_proc", "p.oid")+` ORDER BY p.oid`)
	if err != nil {
		return err
	}
	for _, r := range rows {
		if err := c.exec(ctx, r[0]+"; ALTER "+r[2]+" OWNER TO "+ident(r[1])); err != nil {
			return err
		}
	}
	return nil
}

// tables creates the tables with their columns (types, collations, defaults, identity,
// generated expressions, NOT NULL), storage options, owners and row security switches;
// constraints and indexes come once the rows are in.
func (c *copier) tables(ctx context.Context) error {
	tables, err := c.strings(ctx, `SELECT format('%I.%I', n.nspname, c.relname), pg_get_userbyid(c.relowner), c.oid::text,
		c.relpersistence, coalesce(array_to_string(c.reloptions, ', '), ''), c.relrowsecurity::text, c.relforcerowsecurity::text
		FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE c.relkind = 'r' AND `+userNamespace+` AND `+notExtensionMember("pg_class", "c.oid")+` ORDER BY c.oid`)
	if err != nil {
		return err
	}
	for _, t := range tables {
		cols, err := c.strings(ctx, `SELECT format('%I %s', a.attname, format_type(a.atttypid, a.atttypmod))
			|| CASE WHEN a.attcollation <> ty.typcollation AND a.attcollation <> 0
				THEN (SELECT format(' COLLATE %I.%I', cn.nspname, co.collname) FROM pg_collation co JOIN pg_namespace cn ON cn.oid = co.collnamespace WHERE co.oid = a.attcollation) ELSE '' END
			|| CASE a.attidentity WHEN 'a' THEN ' GENERATED ALWAYS AS IDENTITY' WHEN 'd' THEN ' GENERATED BY DEFAULT AS IDENTITY' ELSE '' END
			|| CASE WHEN a.attgenerated = 's' THEN ' GENERATED ALWAYS AS (' || pg_get_expr(ad.adbin, ad.adrelid) || ') STORED'
				WHEN a.attgenerated = 'v' THEN ' GENERATED ALWAYS AS (' || pg_get_expr(ad.adbin, ad.adrelid) || ') VIRTUAL'
				WHEN ad.adbin IS NOT NULL THEN ' DEFAULT ' || pg_get_expr(ad.adbin, ad.adrelid) ELSE '' END
			|| CASE WHEN a.attnotnull THEN ' NOT NULL' ELSE '' END
			FROM pg_attribute a JOIN pg_type ty ON ty.oid = a.atttypid LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
			WHERE a.attrelid = $1::oid AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum`, t[2])
		if err != nil {
			return err
		}
		var defs []string
		for _, col := range cols {
			defs = append(defs, col[0])
		}
		create := "CREATE TABLE "
		if t[3] == "u" {
			create = "CREATE UNLOGGED TABLE "
		}
		q := create + t[0] + " (" + strings.Join(defs, ", ") + ")"
		if t[4] != "" {
			q += " WITH (" + t[4] + ")"
		}
		q += "; ALTER TABLE " + t[0] + " OWNER TO " + ident(t[1])
		if t[5] == "true" {
			q += "; ALTER TABLE " + t[0] + " ENABLE ROW LEVEL SECURITY"
		}
		if t[6] == "true" {
			q += "; ALTER TABLE " + t[0] + " FORCE ROW LEVEL SECURITY"
		}
		if err := c.exec(ctx, q); err != nil {
			return err
		}
	}
	return nil
}

// rows copies each table's rows with COPY in text form, which every major reads; generated
// columns are left to the new server to compute.
func (c *copier) rows(ctx context.Context) error {
	tables, err := c.strings(ctx, `SELECT format('%I.%I', n.nspname, c.relname),
		(SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum) FROM pg_attribute a
			WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = '')
		FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE c.relkind = 'r' AND `+userNamespace+` AND `+notExtensionMember("pg_class", "c.oid")+` ORDER BY c.oid`)
	if err != nil {
		return err
	}
	for _, t := range tables {
		if t[1] == "" {
			continue // a table without columns has no rows to speak of
		}
		if err := c.copyRows(ctx, t[0], t[1]); err != nil {
			return fmt.Errorf("rows of %s: %w", t[0], err)
		}
	}
	return nil
}

// copyRows streams COPY ... TO STDOUT from the source into COPY ... FROM STDIN on the target.
func (c *copier) copyRows(ctx context.Context, table, columns string) error {
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		_, err := c.src.PgConn().CopyTo(ctx, pw, "COPY "+table+" ("+columns+") TO STDOUT")
		pw.CloseWithError(err)
		done <- err
	}()
	_, err := c.dst.PgConn().CopyFrom(ctx, pr, "COPY "+table+" ("+columns+") FROM STDIN")
	pr.CloseWithError(err)
	if serr := <-done; serr != nil && err == nil {
		err = serr
	}
	return err
}

// sequenceValues sets each sequence, identity columns' included, where the source's is.
func (c *copier) sequenceValues(ctx context.Context) error {
	seqs, err := c.strings(ctx, `SELECT format('%I.%I', n.nspname, c.relname),
		coalesce((SELECT format('%I.%I', tn.nspname, t.relname) || '|' || a.attname FROM pg_depend d JOIN pg_class t ON t.oid = d.refobjid
			JOIN pg_namespace tn ON tn.oid = t.relnamespace JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = d.refobjsubid
			WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'i'), '')
		FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE c.relkind = 'S' AND `+userNamespace+` AND `+notExtensionMember("pg_class", "c.oid")+` ORDER BY c.oid`)
	if err != nil {
		return err
	}
	for _, sq := range seqs {
		var last string
		var called bool
		if err := c.src.QueryRow(ctx, `SELECT last_value::text, is_called FROM `+sq[0]).Scan(&last, &called); err != nil {
			return err
		}
		target := quoteLiteral(sq[0])
		if table, column, identity := strings.Cut(sq[1], "|"); identity {
			// The new server named the identity's sequence itself.
			target = "pg_get_serial_sequence(" + quoteLiteral(table) + ", " + quoteLiteral(column) + ")"
		}
		if err := c.exec(ctx, fmt.Sprintf("SELECT setval(%s, %s, %t)", target, last, called)); err != nil {
			return err
		}
	}
	owned, err := c.strings(ctx, `SELECT format('%I.%I', n.nspname, c.relname), format('%I.%I.%I', tn.nspname, t.relname, a.attname)
		FROM pg_depend d JOIN pg_class c ON c.oid = d.objid JOIN pg_namespace n ON n.oid = c.relnamespace
		JOIN pg_class t ON t.oid = d.refobjid JOIN pg_namespace tn ON tn.oid = t.relnamespace
		JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = d.refobjsubid
		WHERE d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_class'::regclass AND d.deptype = 'a' AND c.relkind = 'S'
		AND `+userNamespace+` AND `+notExtensionMember("pg_class", "c.oid"))
	if err != nil {
		return err
	}
	for _, o := range owned {
		if err := c.exec(ctx, "ALTER SEQUENCE "+o[0]+" OWNED BY "+o[1]); err != nil {
			return err
		}
	}
	return nil
}

// constraints adds the tables' primary keys, unique, exclusion and check constraints,
// then their foreign keys, which need the keys they reference.
func (c *copier) constraints(ctx context.Context) error {
	return c.execEach(ctx, `SELECT format('ALTER TABLE %I.%I ADD CONSTRAINT %I %s', n.nspname, t.relname, k.conname, pg_get_constraintdef(k.oid))
		FROM pg_constraint k JOIN pg_class t ON t.oid = k.conrelid JOIN pg_namespace n ON n.oid = t.relnamespace
		WHERE k.contype IN ('p', 'u', 'x', 'c', 'f') AND t.relkind = 'r' AND `+userNamespace+` AND `+notExtensionMember("pg_class", "t.oid")+`
		ORDER BY k.contype = 'f', k.oid`)
}

// indexes creates the indexes no constraint made, on tables and materialized views (the
// latter come with the views).
func (c *copier) indexes(ctx context.Context) error {
	return c.indexesOn(ctx, "r")
}

func (c *copier) indexesOn(ctx context.Context, relkind string) error {
	return c.execEach(ctx, `SELECT pg_get_indexdef(i.indexrelid) FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid
		JOIN pg_namespace n ON n.oid = t.relnamespace
		WHERE t.relkind = $1 AND `+userNamespace+` AND `+notExtensionMember("pg_class", "t.oid")+`
		AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid AND k.contype IN ('p', 'u', 'x'))
		ORDER BY i.indexrelid`, relkind)
}

// views creates the views and materialized views, oldest first (a view can only read
// what existed when it was made), then the indexes of the materialized views.
func (c *copier) views(ctx context.Context) error {
	rows, err := c.strings(ctx, `SELECT format('%I.%I', n.nspname, c.relname), pg_get_userbyid(c.relowner), c.relkind::text,
		pg_get_viewdef(c.oid), coalesce(array_to_string(c.reloptions, ', '), ''), c.relispopulated::text
		FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE c.relkind IN ('v', 'm') AND `+userNamespace+` AND `+notExtensionMember("pg_class", "c.oid")+` ORDER BY c.oid`)
	if err != nil {
		return err
	}
	for _, v := range rows {
		with := ""
		if v[4] != "" {
			with = " WITH (" + v[4] + ")"
		}
		def := strings.TrimSuffix(strings.TrimSpace(v[3]), ";")
		q := "CREATE VIEW " + v[0] + with + " AS " + def + "; ALTER VIEW " + v[0] + " OWNER TO " + ident(v[1])
		if v[2] == "m" {
			data := " WITH DATA"
			if v[5] != "true" {
				data = " WITH NO DATA"
			}
			q = "CREATE MATERIALIZED VIEW " + v[0] + with + " AS " + def + data + "; ALTER MATERIALIZED VIEW " + v[0] + " OWNER TO " + ident(v[1])
		}
		if err := c.exec(ctx, q); err != nil {
			return err
		}
	}
	return c.indexesOn(ctx, "m")
}

// triggers creates the users' triggers.
func (c *copier) triggers(ctx context.Context) error {
	return c.execEach(ctx, `SELECT pg_get_triggerdef(g.oid) FROM pg_trigger g JOIN pg_class t ON t.oid = g.tgrelid
		JOIN pg_namespace n ON n.oid = t.relnamespace WHERE NOT g.tgisinternal AND `+userNamespace+` AND `+notExtensionMember("pg_class", "t.oid")+` ORDER BY g.oid`)
}

// policies creates the row security policies.
func (c *copier) policies(ctx context.Context) error {
	return c.execEach(ctx, `SELECT format('CREATE POLICY %I ON %I.%I AS %s FOR %s TO %s', p.policyname, p.schemaname, p.tablename,
		p.permissive, p.cmd, (SELECT string_agg(CASE WHEN r = 'public' THEN 'PUBLIC' ELSE quote_ident(r) END, ', ') FROM unnest(p.roles) AS r))
		|| coalesce(' USING (' || p.qual || ')', '') || coalesce(' WITH CHECK (' || p.with_check || ')', '')
		FROM pg_policies p WHERE p.schemaname <> 'information_schema' AND p.schemaname !~ '^pg_'`)
}

// objectPrivileges gives the tables, views, sequences, functions and types their
// privileges, once every object exists.
func (c *copier) objectPrivileges(ctx context.Context) error {
	rels, err := c.strings(ctx, `SELECT format('%I.%I', n.nspname, c.relname), pg_get_userbyid(c.relowner), c.oid::text,
		CASE c.relkind WHEN 'S' THEN 'SEQUENCE' ELSE 'TABLE' END
		FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE c.relkind IN ('r', 'v', 'm', 'S') AND c.relacl IS NOT NULL AND `+userNamespace+` AND `+notExtensionMember("pg_class", "c.oid")+` ORDER BY c.oid`)
	if err != nil {
		return err
	}
	for _, r := range rels {
		if err := c.privileges(ctx, r[3], r[0], r[1], `SELECT relacl FROM pg_class WHERE oid = $1::oid`, r[2]); err != nil {
			return err
		}
	}
	procs, err := c.strings(ctx, `SELECT format('%I.%I(%s)', n.nspname, p.proname, pg_get_function_identity_arguments(p.oid)), pg_get_userbyid(p.proowner), p.oid::text
		FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
		WHERE p.prokind IN ('f', 'p') AND p.proacl IS NOT NULL AND `+userNamespace+` AND `+notExtensionMember("pg_proc", "p.oid")+` ORDER BY p.oid`)
	if err != nil {
		return err
	}
	for _, p := range procs {
		if err := c.privileges(ctx, "ROUTINE", p[0], p[1], `SELECT proacl FROM pg_proc WHERE oid = $1::oid`, p[2]); err != nil {
			return err
		}
	}
	types, err := c.strings(ctx, `SELECT format('%I.%I', n.nspname, t.typname), pg_get_userbyid(t.typowner), t.oid::text
		FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
		WHERE t.typtype = 'e' AND t.typacl IS NOT NULL AND `+userNamespace+` AND `+notExtensionMember("pg_type", "t.oid")+` ORDER BY t.oid`)
	if err != nil {
		return err
	}
	for _, t := range types {
		if err := c.privileges(ctx, "TYPE", t[0], t[1], `SELECT typacl FROM pg_type WHERE oid = $1::oid`, t[2]); err != nil {
			return err
		}
	}
	return nil
}

// defaultPrivileges copies ALTER DEFAULT PRIVILEGES: an entry for a role in all schemas
// replaces the built-in default (so its privileges are revoked first), an entry for a
// schema adds to it.
func (c *copier) defaultPrivileges(ctx context.Context) error {
	entries, err := c.strings(ctx, `SELECT d.oid::text, pg_get_userbyid(d.defaclrole), coalesce(n.nspname, ''),
		CASE d.defaclobjtype WHEN 'r' THEN 'TABLES' WHEN 'S' THEN 'SEQUENCES' WHEN 'f' THEN 'FUNCTIONS' WHEN 'T' THEN 'TYPES' WHEN 'n' THEN 'SCHEMAS' END
		FROM pg_default_acl d LEFT JOIN pg_namespace n ON n.oid = d.defaclnamespace ORDER BY d.oid`)
	if err != nil {
		return err
	}
	for _, e := range entries {
		prefix := "ALTER DEFAULT PRIVILEGES FOR ROLE " + ident(e[1])
		if e[2] != "" {
			prefix += " IN SCHEMA " + ident(e[2])
		}
		var stmts []string
		if e[2] == "" {
			stmts = append(stmts, prefix+" REVOKE ALL ON "+e[3]+" FROM PUBLIC", prefix+" REVOKE ALL ON "+e[3]+" FROM "+ident(e[1]))
		}
		items, err := c.strings(ctx, `SELECT CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(a.grantee)) END, a.privilege_type, a.is_grantable::text
			FROM pg_default_acl d, aclexplode(d.defaclacl) a WHERE d.oid = $1::oid`, e[0])
		if err != nil {
			return err
		}
		for _, it := range items {
			q := prefix + " GRANT " + it[1] + " ON " + e[3] + " TO " + it[0]
			if it[2] == "true" {
				q += " WITH GRANT OPTION"
			}
			stmts = append(stmts, q)
		}
		for _, q := range stmts {
			if err := c.exec(ctx, q); err != nil {
				return err
			}
		}
	}
	return nil
}

// execEach runs each statement the query returns (its first column), in order.
func (c *copier) execEach(ctx context.Context, query string, args ...any) error {
	rows, err := c.strings(ctx, query, args...)
	if err != nil {
		return err
	}
	for _, r := range rows {
		if err := c.exec(ctx, r[0]); err != nil {
			return err
		}
	}
	return nil
}
