package postgres

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/matrixmind-cloud/aws-rds-operator/internal/engine"
)

// ConnectSteward implements engine.StewardConnector, on the server's postgres database.
func (c Connector) ConnectSteward(ctx context.Context, ep engine.Endpoint) (engine.Steward, error) {
	cfg, err := c.connConfig(ep, "postgres")
	if err != nil {
		return nil, err
	}
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, loginError(fmt.Sprintf("log in to %s:%d as %s", ep.Host, ep.Port, ep.User), err)
	}
	// Dropping what an object owns takes a superuser: its databases belong to its users,
	// and from PostgreSQL 16 on only their maker (the object's master) has ADMIN on them.
	var super bool
	if err := conn.QueryRow(ctx, "SELECT rolsuper FROM pg_roles WHERE rolname = current_user").Scan(&super); err != nil {
		_ = conn.Close(ctx)
		return nil, wrap("look up the administrator", err)
	}
	if !super {
		_ = conn.Close(ctx)
		return nil, &engine.Error{Op: "log in to " + ep.Host + " as " + ep.User, Unsupported: true,
			Err: fmt.Errorf("%s is not a superuser: the administrator of a shared server must be one (it makes each object's master and drops what an object owns)", ep.User)}
	}
	return &Steward{conn: conn, cfg: cfg}, nil
}

// Steward is an engine.Steward session on one PostgreSQL server, as its administrator, a
// superuser.
type Steward struct {
	conn *pgx.Conn
	// cfg is conn's configuration, to log in to the server's other databases. It holds the
	// password: never log it.
	cfg *pgx.ConnConfig
}

// markedRoles is every role whose comment is a mark, with its mark text.
const markedRoles = `SELECT rolname, description FROM (
	SELECT rolname, COALESCE(shobj_description(oid, 'pg_authid'), '') AS description FROM pg_roles) r
	WHERE description LIKE 'matrixmind.cloud mark: %' ORDER BY rolname`

// markedRole is a role with the mark on it, as its comment's text.
type markedRole struct{ Name, Comment string }

// markedRoles lists the roles that carry a mark.
func (s *Steward) markedRoles(ctx context.Context) ([]markedRole, error) {
	rows, err := s.conn.Query(ctx, markedRoles)
	if err != nil {
		return nil, wrap("list marked roles", err)
	}
	roles, err := pgx.CollectRows(rows, pgx.RowToStructByPos[markedRole])
	if err != nil {
		return nil, wrap("list marked roles", err)
	}
	return roles, nil
}

// Masters implements engine.Steward.
func (s *Steward) Masters(ctx context.Context) ([]engine.Master, error) {
	roles, err := s.markedRoles(ctx)
	if err != nil {
		return nil, err
	}
	var out []engine.Master
	for _, r := range roles {
		if mark, ok := engine.ParseMark(r.Comment); ok && mark[engine.MarkDatabase] != "" {
			out = append(out, engine.Master{Name: r.Name, Mark: mark})
		}
	}
	return out, nil
}

// EnsureMaster implements engine.Steward. The role and its mark are made in one
// transaction, so a crash never leaves a master without its mark.
func (s *Steward) EnsureMaster(ctx context.Context, name, password string, mark map[string]string) error {
	if err := checkName("role", name); err != nil {
		return err
	}
	owner, database := mark[engine.MarkOwner], mark[engine.MarkDatabase]
	if owner == "" || database == "" {
		return &engine.Error{Op: "ensure master " + name, Err: errors.New("the mark names no owner or no database")}
	}
	var comment string
	err := s.conn.QueryRow(ctx, `SELECT COALESCE(shobj_description(oid, 'pg_authid'), '') FROM pg_roles WHERE rolname = $1`, name).Scan(&comment)
	exists := err == nil
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return wrap("look up role "+name, err)
	}
	if exists {
		if have, ok := engine.ParseMark(comment); !ok || have[engine.MarkOwner] != owner || have[engine.MarkDatabase] != database {
			return engine.NotOwned("ensure master "+name, "role "+name, comment)
		}
	}
	stmt := "ALTER ROLE " + ident(name) + " LOGIN CREATEDB CREATEROLE"
	if !exists {
		stmt = "CREATE ROLE " + ident(name) + " LOGIN CREATEDB CREATEROLE"
	}
	if password != "" {
		verifier, err := scramVerifier(password)
		if err != nil {
			return &engine.Error{Op: "hash password of " + name, Err: err}
		}
		stmt += " PASSWORD " + literal(verifier)
	}
	tx, err := s.conn.Begin(ctx)
	if err != nil {
		return wrap("begin", err)
	}
	defer func() { _ = tx.Rollback(ctx) }()
	if _, err := tx.Exec(ctx, stmt); err != nil {
		return wrap("ensure master "+name, err)
	}
	if _, err := tx.Exec(ctx, "COMMENT ON ROLE "+ident(name)+" IS "+literal(engine.FormatMark(mark))); err != nil {
		return wrap("mark master "+name, err)
	}
	if err := tx.Commit(ctx); err != nil {
		return wrap("ensure master "+name, err)
	}
	return nil
}

// LockOut implements engine.Steward: NOLOGIN, then the roles' sessions are terminated.
func (s *Steward) LockOut(ctx context.Context, owner string) ([]string, error) {
	marked, err := s.markedRoles(ctx)
	if err != nil {
		return nil, err
	}
	var locked []string
	for _, r := range marked {
		if !engine.OwnedBy(r.Comment, owner) {
			continue
		}
		if _, err := s.conn.Exec(ctx, "ALTER ROLE "+ident(r.Name)+" NOLOGIN"); err != nil {
			return locked, wrap("lock role "+r.Name, err)
		}
		locked = append(locked, r.Name)
	}
	if len(locked) > 0 {
		if _, err := s.conn.Exec(ctx, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = ANY($1) AND pid <> pg_backend_pid()`, locked); err != nil {
			return locked, wrap("end the locked roles' sessions", err)
		}
	}
	return locked, nil
}

// OwnedDatabases implements engine.Steward.
func (s *Steward) OwnedDatabases(ctx context.Context, owner string) ([]string, error) {
	rows, err := s.conn.Query(ctx, `SELECT datname, COALESCE(shobj_description(oid, 'pg_database'), '') FROM pg_database ORDER BY datname`)
	if err != nil {
		return nil, wrap("list databases", err)
	}
	type database struct{ Name, Comment string }
	all, err := pgx.CollectRows(rows, pgx.RowToStructByPos[database])
	if err != nil {
		return nil, wrap("list databases", err)
	}
	var owned []string
	for _, d := range all {
		if engine.OwnedBy(d.Comment, owner) {
			owned = append(owned, d.Name)
		}
	}
	return owned, nil
}

// DropOwned implements engine.Steward. Databases go first, with whoever is connected to
// them; then what the roles own or were granted elsewhere on the server (DROP OWNED, in
// this session's database: shared objects' grants included); then the roles, the master
// last.
func (s *Steward) DropOwned(ctx context.Context, owner string) ([]string, error) {
	marked, err := s.markedRoles(ctx)
	if err != nil {
		return nil, err
	}
	var roles []string
	master := ""
	for _, r := range marked {
		mark, ok := engine.ParseMark(r.Comment)
		switch {
		case !ok || mark[engine.MarkOwner] != owner:
		case mark[engine.MarkDatabase] != "":
			master = r.Name
		default:
			roles = append(roles, r.Name)
		}
	}
	if master != "" {
		roles = append(roles, master)
	}
	owned, err := s.OwnedDatabases(ctx, owner)
	if err != nil {
		return nil, err
	}
	var dropped []string
	for _, d := range owned {
		if _, err := s.conn.Exec(ctx, "DROP DATABASE IF EXISTS "+ident(d)+" WITH (FORCE)"); err != nil {
			return dropped, wrap("drop database "+d, err)
		}
		dropped = append(dropped, "database "+d)
	}
	if len(roles) == 0 {
		return dropped, nil
	}
	quoted := strings.Join(slices.Collect(func(yield func(string) bool) {
		for _, r := range roles {
			if !yield(ident(r)) {
				return
			}
		}
	}), ", ")
	// What the roles still own or were granted anywhere on the server goes before they do,
	// and nothing of it is dropped: a database without the object's mark (one a user made
	// with createdb, or one a crash kept the operator from marking), and what the roles made
	// in databases of others, go to the administrator with their data; their rights there
	// are revoked (REASSIGN OWNED and DROP OWNED act in the database they run in, and on
	// shared objects such as databases).
	rows, err := s.conn.Query(ctx, `SELECT datname FROM pg_database WHERE datallowconn ORDER BY datname`)
	if err != nil {
		return dropped, wrap("list databases", err)
	}
	databases, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return dropped, wrap("list databases", err)
	}
	for _, name := range databases {
		if err := s.inDatabase(ctx, name, "REASSIGN OWNED BY "+quoted+" TO CURRENT_USER", "DROP OWNED BY "+quoted); err != nil {
			return dropped, err
		}
	}
	for _, r := range roles {
		if _, err := s.conn.Exec(ctx, "DROP ROLE IF EXISTS "+ident(r)); err != nil {
			return dropped, wrap("drop role "+r, err)
		}
		dropped = append(dropped, "role "+r)
	}
	return dropped, nil
}

// inDatabase runs statements in database, in a session of its own as the administrator.
func (s *Steward) inDatabase(ctx context.Context, database string, statements ...string) error {
	cfg := s.cfg.Copy()
	cfg.Database = database
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return loginError("log in to "+database, err)
	}
	defer func() { _ = conn.Close(ctx) }()
	for _, stmt := range statements {
		if _, err := conn.Exec(ctx, stmt); err != nil {
			return wrap("in database "+database+": "+stmt, err)
		}
	}
	return nil
}

// Version implements engine.Steward.
func (s *Steward) Version(ctx context.Context) (string, error) {
	var v string
	if err := s.conn.QueryRow(ctx, "SHOW server_version").Scan(&v); err != nil {
		return "", wrap("read the server's version", err)
	}
	v, _, _ = strings.Cut(v, " ")
	return v, nil
}

// Close implements engine.Steward.
func (s *Steward) Close(ctx context.Context) error {
	return s.conn.Close(ctx)
}
