package mysql

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/go-sql-driver/mysql"

	"github.com/matrixmind-cloud/aws-rds-operator/internal/engine"
)

// masterPrivileges are the global privileges of an object's master on a shared server:
// those of RDS's master user (no SUPER, no FILE, no SHUTDOWN), WITH GRANT OPTION.
const masterPrivileges = "SELECT, INSERT, UPDATE, DELETE, CREATE, DROP, RELOAD, PROCESS, REFERENCES, INDEX, ALTER, " +
	"SHOW DATABASES, CREATE TEMPORARY TABLES, LOCK TABLES, EXECUTE, REPLICATION SLAVE, REPLICATION CLIENT, " +
	"CREATE VIEW, SHOW VIEW, CREATE ROUTINE, ALTER ROUTINE, CREATE USER, EVENT, TRIGGER"

// mariaDBMasterPrivileges are what the master holds beyond masterPrivileges on MariaDB,
// whose ALL PRIVILEGES on a database includes DELETE HISTORY: without it the master could
// not grant ALL PRIVILEGES on its databases.
const mariaDBMasterPrivileges = ", DELETE HISTORY"

// ConnectSteward implements engine.StewardConnector.
func (Connector) ConnectSteward(ctx context.Context, ep engine.Endpoint) (engine.Steward, error) {
	db, conn, err := open(ctx, ep, "")
	if err != nil {
		return nil, loginError(fmt.Sprintf("log in to %s:%d as %s", ep.Host, ep.Port, ep.User), err)
	}
	return &Steward{db: db, conn: conn}, nil
}

// unknownThread is KILL's ER_NO_SUCH_THREAD: the connection ended by itself meanwhile.
func unknownThread(err error) bool {
	var me *mysql.MySQLError
	return errors.As(err, &me) && me.Number == 1094
}

// noMarks reports whether err says the marks' table (or its database) does not exist: no
// object was ever made on the server, which reads make nothing of.
func noMarks(err error) bool {
	var me *mysql.MySQLError
	return errors.As(err, &me) && (me.Number == 1146 || me.Number == 1049) // ER_NO_SUCH_TABLE, ER_BAD_DB_ERROR
}

// Steward is an engine.Steward session on one MySQL or MariaDB server, as its
// administrator (CREATE USER and every privilege WITH GRANT OPTION).
type Steward struct {
	db   *sql.DB
	conn *sql.Conn
}

// Masters implements engine.Steward.
func (s *Steward) Masters(ctx context.Context) ([]engine.Master, error) {
	users, err := s.marks(ctx, "user")
	if err != nil {
		return nil, err
	}
	var out []engine.Master
	for _, u := range users {
		if mark, ok := engine.ParseMark(u.text); ok && mark[engine.MarkDatabase] != "" {
			out = append(out, engine.Master{Name: u.name, Mark: mark})
		}
	}
	return out, nil
}

// markedRow is a row of the marks table: a user's or database's name and its mark's text.
type markedRow struct{ name, text string }

// marks lists the marks table's rows of kind (user or database); none when the table was
// never made.
func (s *Steward) marks(ctx context.Context, kind string) ([]markedRow, error) {
	rows, err := s.conn.QueryContext(ctx, "SELECT name, mark FROM "+marksTable+" WHERE kind = ? ORDER BY name", kind)
	if noMarks(err) {
		return nil, nil
	}
	if err != nil {
		return nil, wrap("list marks", err)
	}
	defer func() { _ = rows.Close() }()
	var out []markedRow
	for rows.Next() {
		var m markedRow
		if err := rows.Scan(&m.name, &m.text); err != nil {
			return nil, wrap("list marks", err)
		}
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, wrap("list marks", err)
	}
	return out, nil
}

// ownedBy returns the names of kind marked as owner's.
func (s *Steward) ownedBy(ctx context.Context, kind, owner string) ([]string, error) {
	all, err := s.marks(ctx, kind)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, m := range all {
		if engine.OwnedBy(m.text, owner) {
			out = append(out, m.name)
		}
	}
	return out, nil
}

// EnsureMaster implements engine.Steward. The mark is written before the user is made, so
// a crash never leaves a master without its mark; a mark without its user (a crash between
// the two) is completed by the same owner.
func (s *Steward) EnsureMaster(ctx context.Context, name, password string, mark map[string]string) error {
	if err := checkUserName(name); err != nil {
		return invalid("ensure master", err)
	}
	owner, database := mark[engine.MarkOwner], mark[engine.MarkDatabase]
	if owner == "" || database == "" {
		return invalid("ensure master "+name, errors.New("the mark names no owner or no database"))
	}
	// The marks' table is made by the first object's master, never by a read.
	for _, stmt := range MarksDDL {
		if _, err := s.conn.ExecContext(ctx, stmt); err != nil {
			return wrap("make the marks table", err)
		}
	}
	var text string
	err := s.conn.QueryRowContext(ctx, "SELECT mark FROM "+marksTable+" WHERE kind = 'user' AND name = ?", name).Scan(&text)
	claimed := err == nil
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return wrap("look up the mark of "+name, err)
	}
	var users int
	if err := s.conn.QueryRowContext(ctx, "SELECT COUNT(*) FROM mysql.user WHERE User = ? AND Host = '%'", name).Scan(&users); err != nil {
		return wrap("look up user "+name, err)
	}
	exists := users > 0
	switch {
	case claimed:
		if have, ok := engine.ParseMark(text); !ok || have[engine.MarkOwner] != owner || have[engine.MarkDatabase] != database {
			return engine.NotOwned("ensure master "+name, "user "+name, text)
		}
	case exists:
		return engine.NotOwned("ensure master "+name, "user "+name, "")
	default:
		// A concurrent claim of the same name fails on the primary key: looked at again,
		// it is another's.
		if _, err := s.conn.ExecContext(ctx, "INSERT INTO "+marksTable+" (kind, name, mark) VALUES ('user', ?, ?)", name, engine.FormatMark(mark)); err != nil {
			return wrap("mark master "+name, err)
		}
	}
	if _, err := s.conn.ExecContext(ctx, "UPDATE "+marksTable+" SET mark = ? WHERE kind = 'user' AND name = ?", engine.FormatMark(mark), name); err != nil {
		return wrap("mark master "+name, err)
	}
	acct := account(name)
	if !exists {
		if password == "" {
			return invalid("create master "+name, errors.New("no password"))
		}
		if _, err := s.conn.ExecContext(ctx, "CREATE USER "+acct+" IDENTIFIED WITH mysql_native_password AS "+quoteString(nativePasswordHash(password))); err != nil {
			return wrapSecret("create master "+name, err)
		}
	} else if password != "" {
		if _, err := s.conn.ExecContext(ctx, "ALTER USER "+acct+" IDENTIFIED WITH mysql_native_password AS "+quoteString(nativePasswordHash(password))+" ACCOUNT UNLOCK"); err != nil {
			return wrapSecret("set password of master "+name, err)
		}
	}
	privileges := masterPrivileges
	maria, err := s.mariaDB(ctx)
	if err != nil {
		return err
	}
	if maria {
		privileges += mariaDBMasterPrivileges
	}
	if _, err := s.conn.ExecContext(ctx, "GRANT "+privileges+" ON *.* TO "+acct+" WITH GRANT OPTION"); err != nil {
		return wrap("grant the master's privileges to "+name, err)
	}
	return nil
}

// LockOut implements engine.Steward: ACCOUNT LOCK, then the users' connections are killed.
func (s *Steward) LockOut(ctx context.Context, owner string) ([]string, error) {
	users, err := s.ownedBy(ctx, "user", owner)
	if err != nil {
		return nil, err
	}
	var locked []string
	for _, u := range users {
		if _, err := s.conn.ExecContext(ctx, "ALTER USER IF EXISTS "+account(u)+" ACCOUNT LOCK"); err != nil {
			return locked, wrap("lock user "+u, err)
		}
		locked = append(locked, u)
	}
	for _, u := range locked {
		ids, err := s.conn.QueryContext(ctx, "SELECT ID FROM information_schema.PROCESSLIST WHERE USER = ? AND ID <> CONNECTION_ID()", u)
		if err != nil {
			return locked, wrap("list the connections of "+u, err)
		}
		var kill []int64
		for ids.Next() {
			var id int64
			if err := ids.Scan(&id); err != nil {
				_ = ids.Close()
				return locked, wrap("list the connections of "+u, err)
			}
			kill = append(kill, id)
		}
		if err := ids.Close(); err != nil {
			return locked, wrap("list the connections of "+u, err)
		}
		for _, id := range kill {
			// 1094: unknown thread id, gone by itself meanwhile.
			if _, err := s.conn.ExecContext(ctx, "KILL CONNECTION "+strconv.FormatInt(id, 10)); err != nil && !unknownThread(err) {
				return locked, wrap("end a connection of "+u, err)
			}
		}
	}
	return locked, nil
}

// OwnedDatabases implements engine.Steward: the databases the marks table holds as owner's.
func (s *Steward) OwnedDatabases(ctx context.Context, owner string) ([]string, error) {
	return s.ownedBy(ctx, "database", owner)
}

// DropOwned implements engine.Steward: the databases, then the users, then their marks.
func (s *Steward) DropOwned(ctx context.Context, owner string) ([]string, error) {
	databases, err := s.ownedBy(ctx, "database", owner)
	if err != nil {
		return nil, err
	}
	marked, err := s.marks(ctx, "user")
	if err != nil {
		return nil, err
	}
	var users []string
	master := ""
	for _, u := range marked {
		mark, ok := engine.ParseMark(u.text)
		switch {
		case !ok || mark[engine.MarkOwner] != owner:
		case mark[engine.MarkDatabase] != "":
			master = u.name
		default:
			users = append(users, u.name)
		}
	}
	if master != "" {
		users = append(users, master)
	}
	var dropped []string
	for _, d := range databases {
		if _, err := s.conn.ExecContext(ctx, "DROP DATABASE IF EXISTS "+quoteIdentifier(d)); err != nil {
			return dropped, wrap("drop database "+d, err)
		}
		if _, err := s.conn.ExecContext(ctx, "DELETE FROM "+marksTable+" WHERE kind = 'database' AND name = ?", d); err != nil {
			return dropped, wrap("unmark database "+d, err)
		}
		dropped = append(dropped, "database "+d)
	}
	for _, u := range users {
		if _, err := s.conn.ExecContext(ctx, "DROP USER IF EXISTS "+account(u)); err != nil {
			return dropped, wrap("drop user "+u, err)
		}
		if _, err := s.conn.ExecContext(ctx, "DELETE FROM "+marksTable+" WHERE kind = 'user' AND name = ?", u); err != nil {
			return dropped, wrap("unmark user "+u, err)
		}
		dropped = append(dropped, "user "+u)
	}
	return dropped, nil
}

// Version implements engine.Steward: MariaDB's version without its "-MariaDB..." suffix.
func (s *Steward) Version(ctx context.Context) (string, error) {
	var v string
	if err := s.conn.QueryRowContext(ctx, "SELECT VERSION()").Scan(&v); err != nil {
		return "", wrap("read the server's version", err)
	}
	v, _, _ = strings.Cut(v, "-")
	return v, nil
}

// mariaDB reports whether the server is MariaDB.
func (s *Steward) mariaDB(ctx context.Context) (bool, error) {
	var v string
	if err := s.conn.QueryRowContext(ctx, "SELECT VERSION()").Scan(&v); err != nil {
		return false, wrap("read the server's version", err)
	}
	return strings.Contains(strings.ToLower(v), "mariadb"), nil
}

// Close implements engine.Steward.
func (s *Steward) Close(context.Context) error {
	cerr := s.conn.Close()
	if err := s.db.Close(); err != nil {
		return err
	}
	return cerr
}
