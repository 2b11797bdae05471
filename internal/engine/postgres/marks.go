package postgres

// Marks on a server several objects share (engine.Endpoint.Owner).
//
// Every role and database the session makes there carries Owner's mark as its comment
// (engine.FormatMark), and one that exists without it is refused (engine.Error.NotOwned)
// before anything about it changes. A role gets its comment in the transaction that creates
// it. A database cannot be created in a transaction, so it is commented right after; one that
// a crash left without a mark, owned by a role of Owner's, is taken as Owner's on the next
// pass and gets its mark then.

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/matrixmind-cloud/aws-rds-operator/internal/engine"
)

// SQLSTATEs of a CREATE ROLE that lost a race with another session creating the same name:
// duplicate_object once the other committed, unique_violation when it waited for it.
const (
	duplicateObject = "42710"
	uniqueViolation = "23505"
)

// markFor returns the comment that marks a role or database as Owner's, with purpose saying
// what it is for when not empty; "" on a server that is the object's own, where nothing is
// marked.
func (a *Admin) markFor(purpose string) string {
	if a.owner == "" {
		return ""
	}
	mark := map[string]string{engine.MarkOwner: a.owner}
	if purpose != "" {
		mark[engine.MarkPurpose] = purpose
	}
	return engine.FormatMark(mark)
}

// ownsRole reports whether the session may change the role whose comment is comment: any
// role on a server that is the object's own; on a shared one a role with Owner's mark, and
// the master, which the provider marked as Owner's when it made it.
func (a *Admin) ownsRole(name, comment string) bool {
	return a.owner == "" || name == a.master || engine.OwnedBy(comment, a.owner)
}

// lookUpRole reports whether role name exists and refuses it (NotOwned) when the session may
// not change it; op names what was attempted.
func (a *Admin) lookUpRole(ctx context.Context, op, name string) (exists bool, err error) {
	var comment string
	err = a.conn.QueryRow(ctx, `SELECT COALESCE(shobj_description(oid, 'pg_authid'), '') FROM pg_roles WHERE rolname = $1`, name).Scan(&comment)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return false, nil
	case err != nil:
		return false, wrap("look up role "+name, err)
	case !a.ownsRole(name, comment):
		return true, engine.NotOwned(op, "role "+name, comment)
	}
	return true, nil
}

// createRole runs create, a CREATE ROLE of name, and gives the role comment in the same
// transaction, so that no crash leaves a role the operator made without its mark. An empty
// comment gives none. A role of the name that another session made meanwhile is refused as
// lookUpRole refuses it.
func (a *Admin) createRole(ctx context.Context, op, name, create, comment string) error {
	if comment == "" {
		if _, err := a.conn.Exec(ctx, create); err != nil {
			return wrap("create role "+name, err)
		}
		return nil
	}
	err := pgx.BeginFunc(ctx, a.conn, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, create); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, fmt.Sprintf("COMMENT ON ROLE %s IS %s", ident(name), literal(comment)))
		return err
	})
	if err == nil {
		return nil
	}
	if code := sqlState(err); code == duplicateObject || code == uniqueViolation {
		if _, lerr := a.lookUpRole(ctx, op, name); lerr != nil {
			return lerr
		}
	}
	return wrap("create role "+name, err)
}

// databaseState is what the session needs to know of an existing database.
type databaseState struct {
	exists bool
	// owner is its owner (datdba), ownerComment the owner's comment.
	owner, ownerComment string
	// comment is the database's comment: Owner's mark, once marked.
	comment string
}

// lookUpDatabase reads what the session needs to know of database name.
func (a *Admin) lookUpDatabase(ctx context.Context, name string) (databaseState, error) {
	st := databaseState{exists: true}
	err := a.conn.QueryRow(ctx, `SELECT pg_get_userbyid(datdba), COALESCE(shobj_description(datdba, 'pg_authid'), ''),
		COALESCE(shobj_description(oid, 'pg_database'), '') FROM pg_database WHERE datname = $1`, name).Scan(&st.owner, &st.ownerComment, &st.comment)
	if errors.Is(err, pgx.ErrNoRows) {
		return databaseState{}, nil
	}
	if err != nil {
		return databaseState{}, wrap("look up database "+name, err)
	}
	return st, nil
}

// claimDatabase refuses (NotOwned) an existing database the session may not change: on a
// shared server, one marked as another's, one without a mark owned by a role that is not
// Owner's, and one owned by a role that is not Owner's (the master would have to act as that
// role). It reports whether the database is Owner's but unmarked, as a crash between CREATE
// DATABASE and its comment leaves it: no mark at all, and an owner of Owner's.
func (a *Admin) claimDatabase(name string, st databaseState) (needsMark bool, err error) {
	if a.owner == "" || !st.exists {
		return false, nil
	}
	op := "ensure database " + name
	ownerOurs := a.ownsRole(st.owner, st.ownerComment)
	_, marked := engine.ParseMark(st.comment)
	switch {
	case engine.OwnedBy(st.comment, a.owner) && !ownerOurs:
		return false, &engine.Error{Op: op, NotOwned: true, Err: fmt.Errorf(
			"database %s is owned by role %s, which %s: give the database back to a role of %s (ALTER DATABASE ... OWNER TO)",
			name, st.owner, holder(st.ownerComment), a.owner)}
	case engine.OwnedBy(st.comment, a.owner):
		return false, nil
	case marked:
		return false, engine.NotOwned(op, "database "+name, st.comment)
	case !ownerOurs:
		return false, &engine.Error{Op: op, NotOwned: true, Err: fmt.Errorf(
			"database %s has no object's mark and is owned by role %s, which %s: choose another name", name, st.owner, holder(st.ownerComment))}
	}
	return true, nil
}

// holder says who holds a role or database whose comment is text.
func holder(text string) string {
	if mark, ok := engine.ParseMark(text); ok && mark[engine.MarkOwner] != "" {
		return "belongs to " + mark[engine.MarkOwner] + " on this server"
	}
	return "exists on this server without any object's mark (made by hand)"
}
