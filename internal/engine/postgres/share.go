package postgres

// Sharing a database among the users listed on it.
//
// PostgreSQL gives a table to the role that made it: no one else may use it unless granted,
// and since PostgreSQL 15 no one but the database owner may create in schema public. MySQL's
// ALL ON db.* has no such owner. So that a listed user means the same on both engines, each
// database has two group roles, made by the operator and owning nothing of their own:
//
//   - "<database>.readwrite": its listed users other than the read-only ones. It may create
//     in the database and in its schemas, and holds every privilege on its tables and
//     sequences.
//   - "<database>.readonly": its read-only users, and the master. It may use its schemas
//     and SELECT its tables and sequences. The master is in it because RDS's snapshot
//     export reads every table as the master and skips those it may not read.
//
// The groups get those rights on what exists (so tables made before the operator shared the
// database become usable too) and, through default privileges set for every role that may
// make something there, on what any of them makes later. Every role of that kind: the
// owner, the listed users, the master and the read-write group itself, which a member may
// SET ROLE to so that what it makes is owned by the group and can be altered or dropped by
// any member. A user no longer listed leaves the groups: it loses the rights, and what it
// made keeps the grants, so the others keep using it.
//
// The UK Government PaaS team's ADR010 ("Postgres bind behaviour") weighed the ways to share
// a PostgreSQL database on RDS: a group made owner of everything through an event trigger
// (which RDS does not let its master create), and default privileges, which they found
// limited to schema public and to what only an owner may do. Default privileges set with no
// schema named reach every schema, and need no superuser, only the master acting as each
// maker for a moment (asMemberOf); granting on what exists covers the rest. What stays the
// maker's alone is what PostgreSQL keeps for an owner, ALTER and DROP, unless it made the
// table as the read-write group.

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"

	"github.com/matrixmind-cloud/aws-rds-operator/internal/engine"
)

// The kinds of group a database has, the last part of their names.
const (
	kindReadWrite = "readwrite"
	kindReadOnly  = "readonly"
)

// databaseOwnerRole is PostgreSQL's stand-in for the owner of the current database; it owns
// schema public from PostgreSQL 15 on.
const databaseOwnerRole = "pg_database_owner"

// groupName returns the name of database's group of kind: "<database>.<kind>". A user name
// holds no dot (admission allows letters, digits and underscores), so no user can have it.
// A database name too long for that keeps its first bytes and a hash of the whole name.
func groupName(database, kind string) string {
	suffix := "." + kind
	if len(database)+len(suffix) <= maxIdentifier {
		return database + suffix
	}
	sum := sha256.Sum256([]byte(database))
	tag := "~" + hex.EncodeToString(sum[:4])
	cut := maxIdentifier - len(suffix) - len(tag)
	for cut > 0 && !utf8.RuneStart(database[cut]) {
		cut--
	}
	return database[:cut] + tag + suffix
}

// sharing is who may do what on one database.
type sharing struct {
	database string
	// owner owns the database: a listed user, or the master.
	owner string
	// writers are the listed users who may create and write, readers those who may only
	// read; neither holds the master.
	writers, readers []string
	// readWrite and readOnly are the database's groups.
	readWrite, readOnly string
}

// sharingOf sorts the listed users of a database by what the session's EnsureUser calls said
// of them.
func (a *Admin) sharingOf(d engine.Database, owner string) (sharing, error) {
	s := sharing{database: d.Name, owner: owner, readWrite: groupName(d.Name, kindReadWrite), readOnly: groupName(d.Name, kindReadOnly)}
	listed := slices.Clone(d.Users)
	if owner != a.master && !slices.Contains(listed, owner) {
		listed = append(listed, owner)
	}
	for _, u := range listed {
		if u == a.master || slices.Contains(s.writers, u) || slices.Contains(s.readers, u) {
			continue
		}
		readOnly, ensured := a.readOnly[u]
		switch {
		case !ensured:
			return sharing{}, &engine.Error{Op: "ensure database " + d.Name, Err: fmt.Errorf("user %s is listed but was not ensured in this session", u)}
		case readOnly && u == owner:
			return sharing{}, &engine.Error{Op: "ensure database " + d.Name, Err: fmt.Errorf("user %s is read-only and cannot own a database", u)}
		case readOnly:
			s.readers = append(s.readers, u)
		default:
			s.writers = append(s.writers, u)
		}
	}
	return s, nil
}

// makers are the roles whose objects in the database the groups get rights on, now and
// later: the master, the owner, every listed user and the read-write group.
func (s sharing) makers(master string) []string {
	out := []string{master}
	for _, r := range slices.Concat([]string{s.owner}, s.writers, s.readers, []string{s.readWrite}) {
		if !slices.Contains(out, r) {
			out = append(out, r)
		}
	}
	return out
}

// ensureGroups creates the database's groups when they are missing.
func (a *Admin) ensureGroups(ctx context.Context, s sharing) error {
	if err := a.ensureGroup(ctx, s.readWrite, s.database, "create, read and write in it"); err != nil {
		return err
	}
	return a.ensureGroup(ctx, s.readOnly, s.database, "only read it")
}

// ensureGroup creates a group role when it is missing, with a comment saying what it is for:
// on a shared server, Owner's mark saying it. A role of that name that can log in is not one
// of the operator's groups, nor on a shared server is one without Owner's mark: the
// database's rights are not handed to it.
func (a *Admin) ensureGroup(ctx context.Context, name, database, may string) error {
	if err := checkName("role", name); err != nil {
		return err
	}
	purpose := fmt.Sprintf("the users listed on database %s that may %s", database, may)
	comment := a.markFor(purpose)
	if comment == "" {
		comment = "aws-rds-operator: " + purpose
	}
	var canLogin bool
	var current string
	err := a.conn.QueryRow(ctx, `SELECT rolcanlogin, COALESCE(shobj_description(oid, 'pg_authid'), '') FROM pg_roles WHERE rolname = $1`, name).Scan(&canLogin, &current)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return a.createRole(ctx, "ensure group "+name, name, fmt.Sprintf("CREATE ROLE %s NOLOGIN", ident(name)), comment)
	case err != nil:
		return wrap("look up group "+name, err)
	case !a.ownsRole(name, current):
		return engine.NotOwned("ensure group "+name, "role "+name, current)
	case canLogin:
		return &engine.Error{Op: "ensure group " + name, Err: fmt.Errorf("a role named %s exists and can log in: it is not the operator's group of database %s", name, database)}
	case current == comment:
		return nil
	}
	if _, err := a.conn.Exec(ctx, fmt.Sprintf("COMMENT ON ROLE %s IS %s", ident(name), literal(comment))); err != nil {
		return wrap("describe group "+name, err)
	}
	return nil
}

// ensureMembers makes members exactly the roles that hold group, the master aside (its
// memberships are asMemberOf's). A member gets the group's privileges and, from PostgreSQL
// 16 on, may SET ROLE to it.
func (a *Admin) ensureMembers(ctx context.Context, group string, members []string) error {
	rows, err := a.conn.Query(ctx, `SELECT DISTINCT r.rolname::text FROM pg_auth_members m
		JOIN pg_roles g ON g.oid = m.roleid JOIN pg_roles r ON r.oid = m.member
		WHERE g.rolname = $1`, group)
	if err != nil {
		return wrap("list members of "+group, err)
	}
	have, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return wrap("list members of "+group, err)
	}
	modern := a.serverVersion(ctx) >= 160000
	for _, m := range members {
		usable := `SELECT pg_has_role($1, $2, 'USAGE')`
		if modern {
			usable += ` AND pg_has_role($1, $2, 'SET')`
		}
		var ok bool
		if err := a.conn.QueryRow(ctx, usable, m, group).Scan(&ok); err != nil {
			return wrap("check membership of "+m+" in "+group, err)
		}
		if ok {
			continue
		}
		grant := fmt.Sprintf("GRANT %s TO %s", ident(group), ident(m))
		if modern {
			grant += " WITH INHERIT TRUE, SET TRUE"
		}
		if _, err := a.conn.Exec(ctx, grant); err != nil {
			return wrap("grant "+group+" to "+m, err)
		}
	}
	for _, m := range have {
		if m == a.master || slices.Contains(members, m) {
			continue
		}
		if _, err := a.conn.Exec(ctx, fmt.Sprintf("REVOKE %s FROM %s", ident(group), ident(m))); err != nil {
			return wrap("revoke "+group+" from "+m, err)
		}
	}
	return nil
}

// The privileges the groups need on each kind of object. GRANT ALL gives the read-write
// group these and whatever a newer PostgreSQL adds (MAINTAIN on tables in 17).
var (
	tablePrivileges    = []string{"SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER"}
	sequencePrivileges = []string{"USAGE", "SELECT", "UPDATE"}
	schemaPrivileges   = []string{"USAGE", "CREATE"}
)

// defaultGrant is what the groups get, by default privileges, on one kind of object a maker
// makes later.
type defaultGrant struct {
	// objType is pg_default_acl.defaclobjtype's letter for the kind.
	objType string
	// objects is what ALTER DEFAULT PRIVILEGES calls the kind.
	objects string
	// write and read are the privileges the read-write and read-only groups need.
	write, read []string
	// writeGrant is what the read-write group is granted.
	writeGrant string
}

var defaultGrants = []defaultGrant{
	{objType: "r", objects: "TABLES", write: tablePrivileges, read: []string{"SELECT"}, writeGrant: "ALL"},
	{objType: "S", objects: "SEQUENCES", write: sequencePrivileges, read: []string{"SELECT"}, writeGrant: "ALL"},
	{objType: "n", objects: "SCHEMAS", write: schemaPrivileges, read: []string{"USAGE"}, writeGrant: "USAGE, CREATE"},
}

// statement is one grant the sharing plan makes, and what it is for when it fails.
type statement struct{ sql, op string }

// plan is what a database lacks to be shared: the statements, and the roles the master must
// act as to run them (the owners of what they grant on).
type plan struct {
	roles      []string
	statements []statement
}

// actAs adds roles the master must act as.
func (p *plan) actAs(roles ...string) {
	for _, r := range roles {
		if !slices.Contains(p.roles, r) {
			p.roles = append(p.roles, r)
		}
	}
}

// add adds a statement; op names it in an error.
func (p *plan) add(op, sql string) {
	p.statements = append(p.statements, statement{sql: sql, op: op})
}

// share gives the database's groups their rights on what is in it and on what its makers
// make later, logged in to the database itself (schemas, tables and default privileges live
// there). It reads first and changes only what is missing, so a database already shared
// costs a few queries.
func (a *Admin) share(ctx context.Context, s sharing) error {
	cfg := a.cfg.Copy()
	cfg.Database = s.database
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return loginError(fmt.Sprintf("log in to %s as %s", s.database, a.master), err)
	}
	defer func() { _ = conn.Close(context.WithoutCancel(ctx)) }()

	if err := readersOwnNothing(ctx, conn, s); err != nil {
		return err
	}
	makers := s.makers(a.master)
	var p plan
	if err := a.planSchemas(ctx, conn, s, makers, &p); err != nil {
		return err
	}
	if err := a.planObjects(ctx, conn, s, makers, &p); err != nil {
		return err
	}
	if err := a.planDefaults(ctx, conn, s, makers, &p); err != nil {
		return err
	}
	if len(p.statements) == 0 {
		return nil
	}
	return a.asMemberOf(ctx, p.roles, func() error {
		for _, st := range p.statements {
			if _, err := conn.Exec(ctx, st.sql); err != nil {
				return wrap(st.op, err)
			}
		}
		return nil
	})
}

// readersOwnNothing refuses a read-only user that owns something in the database (a schema,
// table, view, sequence, function or type it made while it could write): an owner may still
// change what it owns, whatever its groups say. Nothing is taken from it: the user, or the
// owner of the database, gives those objects to another role, or the user stays a writer.
func readersOwnNothing(ctx context.Context, conn *pgx.Conn, s sharing) error {
	for _, r := range s.readers {
		var owned string
		err := conn.QueryRow(ctx, `SELECT coalesce((SELECT format('schema %I', nspname) FROM pg_namespace WHERE nspowner = r.oid LIMIT 1),
			(SELECT format('%s %I.%I', CASE c.relkind WHEN 'S' THEN 'sequence' WHEN 'v' THEN 'view' WHEN 'm' THEN 'materialized view' ELSE 'table' END, n.nspname, c.relname)
				FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relowner = r.oid AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f') LIMIT 1),
			(SELECT format('function %I.%I', n.nspname, p.proname) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE p.proowner = r.oid LIMIT 1),
			(SELECT format('type %I.%I', n.nspname, t.typname) FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
				WHERE t.typowner = r.oid AND t.typrelid = 0 AND t.typelem = 0 LIMIT 1), '')
			FROM pg_roles r WHERE r.rolname = $1`, r).Scan(&owned)
		if errors.Is(err, pgx.ErrNoRows) {
			continue
		}
		if err != nil {
			return wrap("look up what "+r+" owns in "+s.database, err)
		}
		if owned != "" {
			return &engine.Error{Op: "share database " + s.database, Err: fmt.Errorf(
				"readonly user %s owns %s (and maybe more) in database %s, which it could still change: give what it made to another user (ALTER ... OWNER TO), or keep it a writer", r, owned, s.database)}
		}
	}
	return nil
}

// nonSystemSchema selects the schemas of the database's users: not PostgreSQL's own
// (pg_catalog, pg_toast, temporary schemas) nor information_schema.
const nonSystemSchema = `n.nspname NOT LIKE 'pg\_%' AND n.nspname <> 'information_schema'`

// planSchemas plans the groups' rights on the schemas the master may act for: USAGE and
// CREATE for the read-write group, USAGE for the read-only one. CREATE that PUBLIC holds (on
// schema public before PostgreSQL 15) goes to the read-write group and is taken from PUBLIC,
// or read-only users could create there; where the master cannot take it, a database with
// read-only users is refused.
func (a *Admin) planSchemas(ctx context.Context, conn *pgx.Conn, s sharing, makers []string, p *plan) error {
	rows, err := conn.Query(ctx, `SELECT n.nspname::text, pg_get_userbyid(n.nspowner)::text,
		has_schema_privilege($1, n.oid, 'USAGE') AND has_schema_privilege($1, n.oid, 'CREATE'),
		has_schema_privilege($2, n.oid, 'USAGE'),
		EXISTS (SELECT 1 FROM aclexplode(COALESCE(n.nspacl, acldefault('n', n.nspowner))) acl
			WHERE acl.grantee = 0 AND acl.privilege_type = 'CREATE')
		FROM pg_namespace n WHERE `+nonSystemSchema+` ORDER BY 1`, s.readWrite, s.readOnly)
	if err != nil {
		return wrap("list schemas of "+s.database, err)
	}
	type schema struct {
		name, owner                      string
		writable, readable, publicCreate bool
	}
	schemas, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (schema, error) {
		var sc schema
		err := r.Scan(&sc.name, &sc.owner, &sc.writable, &sc.readable, &sc.publicCreate)
		return sc, err
	})
	if err != nil {
		return wrap("list schemas of "+s.database, err)
	}
	for _, sc := range schemas {
		actAs := sc.owner
		if actAs == databaseOwnerRole {
			actAs = s.owner
		}
		if !slices.Contains(makers, actAs) {
			if sc.publicCreate && len(s.readers) > 0 {
				return &engine.Error{Op: "share database " + s.database, Err: fmt.Errorf(
					"PUBLIC may create in schema %s, owned by %s, which the master cannot act for: read-only users could create there", sc.name, sc.owner)}
			}
			continue
		}
		if sc.writable && sc.readable && !sc.publicCreate {
			continue
		}
		p.actAs(actAs)
		on := "ON SCHEMA " + ident(sc.name)
		// The read-write group gets CREATE before PUBLIC loses it, so its members never lack it.
		if !sc.writable || sc.publicCreate {
			p.add("grant on schema "+sc.name+" to "+s.readWrite, "GRANT USAGE, CREATE "+on+" TO "+ident(s.readWrite))
		}
		if sc.publicCreate {
			p.add("revoke create on schema "+sc.name+" from public", "REVOKE CREATE "+on+" FROM PUBLIC")
		}
		if !sc.readable {
			p.add("grant on schema "+sc.name+" to "+s.readOnly, "GRANT USAGE "+on+" TO "+ident(s.readOnly))
		}
	}
	return nil
}

// planObjects plans the groups' rights on the tables (views, materialized views, foreign and
// partitioned tables among them) and sequences that the makers own: all for the read-write
// group, SELECT for the read-only one, a schema at a time.
func (a *Admin) planObjects(ctx context.Context, conn *pgx.Conn, s sharing, makers []string, p *plan) error {
	has := func(fn string, privileges []string, group string) string {
		var checks []string
		for _, priv := range privileges {
			checks = append(checks, fmt.Sprintf("%s(%s, c.oid, '%s')", fn, group, priv))
		}
		return strings.Join(checks, " AND ")
	}
	rows, err := conn.Query(ctx, `SELECT n.nspname::text, c.relkind = 'S', array_agg(DISTINCT pg_get_userbyid(c.relowner)::text)
		FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S') AND `+nonSystemSchema+`
		AND pg_get_userbyid(c.relowner)::text = ANY($3::text[])
		AND NOT CASE WHEN c.relkind = 'S'
			THEN `+has("has_sequence_privilege", sequencePrivileges, "$1")+` AND has_sequence_privilege($2, c.oid, 'SELECT')
			ELSE `+has("has_table_privilege", tablePrivileges, "$1")+` AND has_table_privilege($2, c.oid, 'SELECT') END
		GROUP BY 1, 2 ORDER BY 1, 2`, s.readWrite, s.readOnly, makers)
	if err != nil {
		return wrap("list tables of "+s.database, err)
	}
	type lacking struct {
		schema   string
		sequence bool
		owners   []string
	}
	found, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (lacking, error) {
		var l lacking
		err := r.Scan(&l.schema, &l.sequence, &l.owners)
		return l, err
	})
	if err != nil {
		return wrap("list tables of "+s.database, err)
	}
	for _, l := range found {
		objects := "TABLES"
		if l.sequence {
			objects = "SEQUENCES"
		}
		// One statement covers the schema's objects of every owner the master acts as.
		p.actAs(l.owners...)
		in := fmt.Sprintf("ON ALL %s IN SCHEMA %s", objects, ident(l.schema))
		op := "grant on " + strings.ToLower(objects) + " in schema " + l.schema + " to "
		p.add(op+s.readWrite, "GRANT ALL "+in+" TO "+ident(s.readWrite))
		p.add(op+s.readOnly, "GRANT SELECT "+in+" TO "+ident(s.readOnly))
	}
	return nil
}

// planDefaults plans the default privileges that give the groups their rights on what each
// maker makes later, anywhere in the database.
func (a *Admin) planDefaults(ctx context.Context, conn *pgx.Conn, s sharing, makers []string, p *plan) error {
	rows, err := conn.Query(ctx, `SELECT pg_get_userbyid(d.defaclrole)::text, d.defaclobjtype::text, pg_get_userbyid(acl.grantee)::text, acl.privilege_type
		FROM pg_default_acl d, aclexplode(d.defaclacl) acl
		WHERE d.defaclnamespace = 0 AND acl.grantee <> 0 AND pg_get_userbyid(d.defaclrole)::text = ANY($1::text[])`, makers)
	if err != nil {
		return wrap("list default privileges of "+s.database, err)
	}
	type entry struct{ maker, objType, grantee, privilege string }
	entries, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (entry, error) {
		var e entry
		err := r.Scan(&e.maker, &e.objType, &e.grantee, &e.privilege)
		return e, err
	})
	if err != nil {
		return wrap("list default privileges of "+s.database, err)
	}
	holds := func(maker, objType, grantee string, privileges []string) bool {
		for _, priv := range privileges {
			if !slices.Contains(entries, entry{maker, objType, grantee, priv}) {
				return false
			}
		}
		return true
	}
	for _, maker := range makers {
		forRole := "ALTER DEFAULT PRIVILEGES FOR ROLE " + ident(maker)
		for _, g := range defaultGrants {
			// What the read-write group makes it owns already.
			if maker != s.readWrite && !holds(maker, g.objType, s.readWrite, g.write) {
				p.actAs(maker)
				p.add("set default privileges of "+maker+" for "+s.readWrite,
					forRole+" GRANT "+g.writeGrant+" ON "+g.objects+" TO "+ident(s.readWrite))
			}
			if !holds(maker, g.objType, s.readOnly, g.read) {
				p.actAs(maker)
				p.add("set default privileges of "+maker+" for "+s.readOnly,
					forRole+" GRANT "+strings.Join(g.read, ", ")+" ON "+g.objects+" TO "+ident(s.readOnly))
			}
		}
	}
	return nil
}

// revokeLeftovers revokes the master's memberships in roles that it granted itself: asMemberOf
// revokes its own grants when done, so one found here was left by a crash in between.
func (a *Admin) revokeLeftovers(ctx context.Context, roles []string) error {
	rows, err := a.conn.Query(ctx, `SELECT DISTINCT g.rolname::text FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid
		WHERE m.member = (SELECT oid FROM pg_roles WHERE rolname = current_user) AND m.grantor = m.member
		AND g.rolname::text = ANY($1::text[])`, roles)
	if err != nil {
		return wrap("list the master's memberships", err)
	}
	left, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return wrap("list the master's memberships", err)
	}
	for _, role := range left {
		if _, err := a.conn.Exec(ctx, fmt.Sprintf("REVOKE %s FROM %s", ident(role), ident(a.master))); err != nil {
			return wrap("revoke "+role+" from the master user", err)
		}
	}
	return nil
}
