package mysql

import (
	"context"
	"database/sql"
	"errors"

	"github.com/go-sql-driver/mysql"

	"github.com/matrixmind-cloud/aws-rds-operator/internal/engine"
)

// MarksDDL makes the table that holds the marks of a shared server (engine.MarksTable),
// when missing: one row per user or database the operator made there, kind "user" or
// "database", name as MySQL spells it, mark as engine.FormatMark writes it.
var MarksDDL = []string{
	"CREATE DATABASE IF NOT EXISTS " + quoteIdentifier(engine.MarksDatabase),
	"CREATE TABLE IF NOT EXISTS " + quoteIdentifier(engine.MarksDatabase) + "." + quoteIdentifier(engine.MarksTable) +
		" (kind VARCHAR(16) NOT NULL, name VARCHAR(128) NOT NULL, mark TEXT NOT NULL, PRIMARY KEY (kind, name))",
}

// The kinds of thing a row of the marks table marks.
const (
	markUser     = "user"
	markDatabase = "database"
)

// duplicateEntry is MySQL's error number for a row whose key another row holds
// (ER_DUP_ENTRY).
const duplicateEntry = 1062

// marksTable is the marks table's quoted name.
var marksTable = quoteIdentifier(engine.MarksDatabase) + "." + quoteIdentifier(engine.MarksTable)

// ensureMarks makes the marks table when missing, once a session.
func (a *Admin) ensureMarks(ctx context.Context) error {
	if a.marksReady {
		return nil
	}
	for _, stmt := range MarksDDL {
		if _, err := a.conn.ExecContext(ctx, stmt); err != nil {
			return wrap("make the marks table", err)
		}
	}
	a.marksReady = true
	return nil
}

// markOf returns the mark of the user or database (kind) name, and whether it has a row.
func (a *Admin) markOf(ctx context.Context, kind, name string) (string, bool, error) {
	if err := a.ensureMarks(ctx); err != nil {
		return "", false, err
	}
	var mark string
	err := a.conn.QueryRowContext(ctx, "SELECT mark FROM "+marksTable+" WHERE kind = ? AND name = ?", kind, name).Scan(&mark)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, wrap("read the mark of "+kind+" "+name, err)
	}
	return mark, true, nil
}

// owns reports whether the session may change the user or database (kind) name, which
// exists: anything on a server that is the object's own; on a shared one what Owner's row
// marks, and the master, which the provider marked when it made it.
func (a *Admin) owns(ctx context.Context, kind, name string) (bool, error) {
	if a.owner == "" || kind == markUser && name == a.master {
		return true, nil
	}
	mark, _, err := a.markOf(ctx, kind, name)
	return engine.OwnedBy(mark, a.owner), err
}

// claim makes the user or database (kind) name Owner's before the session creates or
// changes it, so that no crash leaves a thing the operator made without its mark: Owner's
// row is found, or inserted when there is none and the thing does not exist yet (one that
// exists without a row was made by hand). A row of another owner, or a thing made by hand, is
// refused (NotOwned). Of two sessions claiming a name at once, the table's key lets one
// insert its row; the other reads it back and is refused. A no-op on a server that is the
// object's own.
func (a *Admin) claim(ctx context.Context, op, kind, name string, exists bool) error {
	if a.owner == "" || kind == markUser && name == a.master {
		return nil
	}
	mark, found, err := a.markOf(ctx, kind, name)
	switch {
	case err != nil:
		return err
	case engine.OwnedBy(mark, a.owner):
		return nil
	case found || exists:
		return engine.NotOwned(op, kind+" "+name, mark)
	}
	mark = engine.FormatMark(map[string]string{engine.MarkOwner: a.owner})
	_, err = a.conn.ExecContext(ctx, "INSERT INTO "+marksTable+" (kind, name, mark) VALUES (?, ?, ?)", kind, name, mark)
	if err == nil {
		return nil
	}
	if me := (*mysql.MySQLError)(nil); !errors.As(err, &me) || me.Number != duplicateEntry {
		return wrap("mark "+kind+" "+name, err)
	}
	mark, _, err = a.markOf(ctx, kind, name)
	switch {
	case err != nil:
		return err
	case engine.OwnedBy(mark, a.owner):
		return nil
	}
	return engine.NotOwned(op, kind+" "+name, mark)
}
