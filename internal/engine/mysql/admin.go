package mysql

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/matrixmind-cloud/aws-rds-operator/internal/engine"
)

// createPrivilege is the global privilege the createdb role gives.
const createPrivilege = "CREATE"

// tokenAuthString is the authentication string of a user identified by the cloud's token
// plugin: RDS's AWSAuthenticationPlugin takes 'RDS' (CREATE USER ... IDENTIFIED WITH
// AWSAuthenticationPlugin AS 'RDS').
const tokenAuthString = "RDS"

// pluginName is what a plugin's name may be: it goes into SQL unquoted.
var pluginName = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]{0,63}$`)

// EnsureUser implements engine.Admin. The password goes to the server as a
// mysql_native_password hash, never in clear text. A user's global privileges become
// exactly what its roles give: superuser the master's own privileges WITH GRANT OPTION
// (the most RDS allows; the master has no SUPER), createdb CREATE on every database. A
// read-only user has none: MySQL's global CREATE would let it create tables in every
// database, so read-only excludes createdb (and superuser). On a shared server a user not
// marked as Owner's is refused untouched.
func (a *Admin) EnsureUser(ctx context.Context, u engine.User) error {
	if err := checkUserName(u.Name); err != nil {
		return invalid("ensure user", err)
	}
	if u.ReadOnly && (u.Superuser || u.CreateDB) {
		return invalid("ensure user "+u.Name, errors.New("a read-only user can be neither superuser nor createdb"))
	}
	if a.owner != "" && (u.Superuser || u.CreateDB) {
		return &engine.Error{Op: "ensure user " + u.Name, Unsupported: true,
			Err: errors.New("on a server shared with other objects, superuser and createdb are not given: MySQL grants them on every database, other objects' included")}
	}
	if u.TokenLogin && !pluginName.MatchString(a.tokenPlugin) {
		return invalid("let "+u.Name+" log in with a token", fmt.Errorf("this server names no usable authentication plugin for token logins (%q)", a.tokenPlugin))
	}
	// A user who logs in with a token is identified by the cloud's plugin, with no
	// password; the others by their password's hash.
	wantPlugin, wantAuth := "mysql_native_password", nativePasswordHash(u.Password)
	if u.TokenLogin {
		wantPlugin, wantAuth = a.tokenPlugin, tokenAuthString
	}
	identified := "IDENTIFIED WITH " + wantPlugin + " AS " + quoteString(wantAuth)
	acct := account(u.Name)
	var plugin, auth string
	err := a.conn.QueryRowContext(ctx, `SELECT plugin, authentication_string FROM mysql.user WHERE User = ? AND Host = '%'`, u.Name).Scan(&plugin, &auth)
	exists := err == nil
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return wrap("look up user "+u.Name, err)
	}
	if err := a.claim(ctx, "ensure user "+u.Name, markUser, u.Name, exists); err != nil {
		return err
	}
	switch {
	case !exists:
		if _, err := a.conn.ExecContext(ctx, "CREATE USER "+acct+" "+identified); err != nil {
			return wrapSecret("create user "+u.Name, err)
		}
	case plugin != wantPlugin || auth != wantAuth:
		if _, err := a.conn.ExecContext(ctx, "ALTER USER "+acct+" "+identified+" ACCOUNT UNLOCK"); err != nil {
			return wrapSecret("set password of "+u.Name, err)
		}
	default:
		locked, err := a.locked(ctx, u.Name)
		if err != nil {
			return err
		}
		if locked {
			if _, err := a.conn.ExecContext(ctx, "ALTER USER "+acct+" ACCOUNT UNLOCK"); err != nil {
				return wrap("unlock user "+u.Name, err)
			}
		}
	}

	want := map[string]bool{}
	if u.Superuser {
		super, err := a.masterPrivileges(ctx)
		if err != nil {
			return err
		}
		for _, p := range super {
			want[p] = true
		}
	}
	if u.CreateDB {
		want[createPrivilege] = true
	}
	if err := a.ensureGlobal(ctx, u.Name, want, u.Superuser); err != nil {
		return err
	}
	a.readOnly[u.Name] = u.ReadOnly
	return nil
}

// DisableUser implements engine.Admin: the account is locked and loses the superuser
// role's privileges and grant option. The account, its other grants and its data stay. On a
// shared server a user not marked as Owner's is not Owner's to disable: it is left as it is.
func (a *Admin) DisableUser(ctx context.Context, name string) error {
	if err := checkUserName(name); err != nil {
		return invalid("disable user", err)
	}
	var one int
	err := a.conn.QueryRowContext(ctx, `SELECT 1 FROM mysql.user WHERE User = ? AND Host = '%'`, name).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return wrap("look up user "+name, err)
	}
	ours, err := a.owns(ctx, markUser, name)
	if err != nil {
		return err
	}
	if !ours {
		return nil
	}
	// Locking a locked account changes nothing.
	if _, err := a.conn.ExecContext(ctx, "ALTER USER "+account(name)+" ACCOUNT LOCK"); err != nil {
		return wrap("lock user "+name, err)
	}
	have, _, err := a.globalPrivileges(ctx, name)
	if err != nil {
		return err
	}
	super, err := a.masterPrivileges(ctx)
	if err != nil {
		return err
	}
	// CREATE stays: it is the createdb role's too, and PostgreSQL keeps CREATEDB likewise.
	want := map[string]bool{}
	for p := range have {
		if p == createPrivilege || !slices.Contains(super, p) {
			want[p] = true
		}
	}
	return a.ensureGlobal(ctx, name, want, false)
}

// locked reports whether a user whose password hash is mysql_native_password's is locked.
// Neither engine has a column for it that the other has (MariaDB keeps it in
// mysql.global_priv's JSON), but both say ACCOUNT LOCK in SHOW CREATE USER; the hash there is
// hex, so the words cannot come from it.
func (a *Admin) locked(ctx context.Context, name string) (bool, error) {
	var create string
	if err := a.conn.QueryRowContext(ctx, "SHOW CREATE USER "+account(name)).Scan(&create); err != nil {
		return false, wrap("look up user "+name, err)
	}
	return strings.Contains(create, " ACCOUNT LOCK"), nil
}

// privilegeName is what a privilege name read from the server must look like before it
// goes into a statement.
var privilegeName = regexp.MustCompile(`^[A-Z][A-Z_ ]*$`)

// masterPrivileges returns the global privileges the master may grant: those it holds
// WITH GRANT OPTION.
func (a *Admin) masterPrivileges(ctx context.Context) ([]string, error) {
	have, grantable, err := a.globalPrivilegesOf(ctx, a.master, a.masterHost)
	if err != nil {
		return nil, err
	}
	if !grantable {
		return nil, &engine.Error{Op: "read the master's privileges", Err: errors.New("the master holds no privilege WITH GRANT OPTION")}
	}
	return slices.Sorted(maps.Keys(have)), nil
}

// globalPrivileges returns a user's global privileges and whether it holds them WITH GRANT
// OPTION.
func (a *Admin) globalPrivileges(ctx context.Context, name string) (map[string]bool, bool, error) {
	return a.globalPrivilegesOf(ctx, name, "%")
}

func (a *Admin) globalPrivilegesOf(ctx context.Context, name, host string) (map[string]bool, bool, error) {
	rows, err := a.conn.QueryContext(ctx, `SELECT PRIVILEGE_TYPE, IS_GRANTABLE FROM information_schema.USER_PRIVILEGES WHERE GRANTEE = ?`, grantee(name, host))
	if err != nil {
		return nil, false, wrap("read privileges of "+name, err)
	}
	defer rows.Close()
	have := map[string]bool{}
	grantable := false
	for rows.Next() {
		var p, g string
		if err := rows.Scan(&p, &g); err != nil {
			return nil, false, wrap("read privileges of "+name, err)
		}
		if g == "YES" {
			grantable = true
		}
		if p == "USAGE" {
			continue
		}
		if !privilegeName.MatchString(p) {
			return nil, false, &engine.Error{Op: "read privileges of " + name, Err: fmt.Errorf("unexpected privilege name %q", p)}
		}
		have[p] = true
	}
	if err := rows.Err(); err != nil {
		return nil, false, wrap("read privileges of "+name, err)
	}
	return have, grantable, nil
}

// ensureGlobal brings a user's global privileges to want, and its global grant option to
// grantOption, granting what is missing and revoking what is not wanted.
func (a *Admin) ensureGlobal(ctx context.Context, name string, want map[string]bool, grantOption bool) error {
	have, grantable, err := a.globalPrivileges(ctx, name)
	if err != nil {
		return err
	}
	var missing, extra []string
	for p := range want {
		if !have[p] {
			missing = append(missing, p)
		}
	}
	for p := range have {
		if !want[p] {
			extra = append(extra, p)
		}
	}
	sort.Strings(missing)
	sort.Strings(extra)
	acct := account(name)
	if len(missing) > 0 || grantOption && !grantable {
		privs := strings.Join(missing, ", ")
		if privs == "" {
			privs = "USAGE"
		}
		stmt := "GRANT " + privs + " ON *.* TO " + acct
		if grantOption {
			stmt += " WITH GRANT OPTION"
		}
		if _, err := a.conn.ExecContext(ctx, stmt); err != nil {
			return wrap("grant global privileges to "+name, err)
		}
	}
	if len(extra) > 0 {
		if _, err := a.conn.ExecContext(ctx, "REVOKE "+strings.Join(extra, ", ")+" ON *.* FROM "+acct); err != nil {
			return wrap("revoke global privileges from "+name, err)
		}
	}
	if !grantOption && grantable {
		if _, err := a.conn.ExecContext(ctx, "REVOKE GRANT OPTION ON *.* FROM "+acct); err != nil {
			return wrap("revoke global grant option from "+name, err)
		}
	}
	return nil
}

// EnsureDatabase implements engine.Admin. The owner gets ALL PRIVILEGES on the database
// WITH GRANT OPTION, the other users listed ALL PRIVILEGES, the read-only ones SELECT and
// nothing else; every other '<name>'@'%' account loses its privileges on it. Privileges on
// the database cover its tables, those made later included. The master keeps its global
// privileges; an empty owner means the master owns the database. System accounts (those on
// other hosts) are never touched. On a shared server a database not marked as Owner's is
// refused untouched, and one the session creates is marked first; the users it grants to are
// Owner's, since this session's EnsureUser applied them and refused any other.
func (a *Admin) EnsureDatabase(ctx context.Context, d engine.Database) error {
	if err := checkDatabaseName(d.Name); err != nil {
		return invalid("ensure database", err)
	}
	for _, u := range append([]string{d.Owner}, d.Users...) {
		if u == "" || u == a.master {
			continue
		}
		if err := checkUserName(u); err != nil {
			return invalid("ensure database "+d.Name, err)
		}
	}
	want, err := a.databaseAccess(d)
	if err != nil {
		return err
	}
	if a.owner != "" {
		var exists bool
		if err := a.conn.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?)`, d.Name).Scan(&exists); err != nil {
			return wrap("look up database "+d.Name, err)
		}
		if err := a.claim(ctx, "ensure database "+d.Name, markDatabase, d.Name, exists); err != nil {
			return err
		}
	}
	if _, err := a.conn.ExecContext(ctx, "CREATE DATABASE IF NOT EXISTS "+quoteIdentifier(d.Name)); err != nil {
		return wrap("create database "+d.Name, err)
	}
	have, err := a.databaseGrants(ctx, d.Name)
	if err != nil {
		return err
	}
	on := quoteIdentifier(grantPattern(d.Name)) + ".*"
	for _, u := range slices.Sorted(maps.Keys(want)) {
		privileges := "ALL PRIVILEGES"
		if want[u].readOnly {
			privileges = "SELECT"
		}
		stmt := "GRANT " + privileges + " ON " + on + " TO " + account(u)
		if want[u].grantOption {
			stmt += " WITH GRANT OPTION"
		}
		// GRANT adds to what an account holds, so repeating it changes nothing.
		if _, err := a.conn.ExecContext(ctx, stmt); err != nil {
			return wrap("grant on "+d.Name+" to "+u, err)
		}
	}
	for _, g := range have {
		if g.host != "%" || g.user == a.master {
			continue
		}
		w, wanted := want[g.user]
		target := quoteIdentifier(g.schema) + ".*"
		if !wanted {
			if _, err := a.conn.ExecContext(ctx, "REVOKE ALL PRIVILEGES ON "+target+" FROM "+account(g.user)); err != nil {
				return wrap("revoke on "+d.Name+" from "+g.user, err)
			}
		}
		if extra := slices.DeleteFunc(slices.Clone(g.privileges), func(p string) bool { return p == "SELECT" }); wanted && w.readOnly && len(extra) > 0 {
			if _, err := a.conn.ExecContext(ctx, "REVOKE "+strings.Join(extra, ", ")+" ON "+target+" FROM "+account(g.user)); err != nil {
				return wrap("revoke writing on "+d.Name+" from "+g.user, err)
			}
		}
		if g.grantable && (!wanted || !w.grantOption) {
			if _, err := a.conn.ExecContext(ctx, "REVOKE GRANT OPTION ON "+target+" FROM "+account(g.user)); err != nil {
				return wrap("revoke grant option on "+d.Name+" from "+g.user, err)
			}
		}
	}
	return nil
}

// databaseAccess is what one account is to be granted on a database.
type databaseAccess struct {
	// readOnly gives SELECT alone, else ALL PRIVILEGES.
	readOnly bool
	// grantOption is the owner's: it may grant what it holds.
	grantOption bool
}

// databaseAccess maps each listed account other than the master to what it is granted on
// the database, by what this session's EnsureUser calls said of it. A listed user not
// ensured in the session is refused, as is a read-only owner.
func (a *Admin) databaseAccess(d engine.Database) (map[string]databaseAccess, error) {
	want := map[string]databaseAccess{}
	for _, u := range append([]string{d.Owner}, d.Users...) {
		if u == "" || u == a.master {
			continue
		}
		readOnly, ensured := a.readOnly[u]
		switch {
		case !ensured:
			return nil, invalid("ensure database "+d.Name, fmt.Errorf("user %s is listed but was not ensured in this session", u))
		case readOnly && u == d.Owner:
			return nil, invalid("ensure database "+d.Name, fmt.Errorf("user %s is read-only and cannot own a database", u))
		}
		want[u] = databaseAccess{readOnly: readOnly, grantOption: u == d.Owner}
	}
	return want, nil
}

// databaseGrant is one account's privileges on a database, under the name (or pattern)
// they were granted on.
type databaseGrant struct {
	user, host, schema string
	privileges         []string
	grantable          bool
}

// databaseGrants lists the accounts holding privileges on the database, granted on its
// escaped name or on the name itself (where '_' matches any character, which covers it
// too).
func (a *Admin) databaseGrants(ctx context.Context, name string) ([]databaseGrant, error) {
	rows, err := a.conn.QueryContext(ctx, `SELECT GRANTEE, TABLE_SCHEMA, MAX(IS_GRANTABLE), GROUP_CONCAT(PRIVILEGE_TYPE ORDER BY PRIVILEGE_TYPE SEPARATOR ',') FROM information_schema.SCHEMA_PRIVILEGES
		WHERE TABLE_SCHEMA IN (?, ?) GROUP BY GRANTEE, TABLE_SCHEMA ORDER BY GRANTEE, TABLE_SCHEMA`, name, grantPattern(name))
	if err != nil {
		return nil, wrap("list grants on "+name, err)
	}
	defer rows.Close()
	var out []databaseGrant
	for rows.Next() {
		var who, schema, grantable, privileges string
		if err := rows.Scan(&who, &schema, &grantable, &privileges); err != nil {
			return nil, wrap("list grants on "+name, err)
		}
		user, host, ok := splitGrantee(who)
		if !ok {
			continue
		}
		g := databaseGrant{user: user, host: host, schema: schema, grantable: grantable == "YES"}
		for _, p := range strings.Split(privileges, ",") {
			if !privilegeName.MatchString(p) {
				return nil, &engine.Error{Op: "list grants on " + name, Err: fmt.Errorf("unexpected privilege name %q", p)}
			}
			g.privileges = append(g.privileges, p)
		}
		out = append(out, g)
	}
	if err := rows.Err(); err != nil {
		return nil, wrap("list grants on "+name, err)
	}
	return out, nil
}

// grantee is an account as information_schema names it: 'user'@'host'.
func grantee(user, host string) string {
	return "'" + user + "'@'" + host + "'"
}

// splitGrantee splits information_schema's 'user'@'host'.
func splitGrantee(g string) (user, host string, ok bool) {
	i := strings.LastIndex(g, "'@'")
	if i < 1 || !strings.HasPrefix(g, "'") || !strings.HasSuffix(g, "'") || len(g) < i+4 {
		return "", "", false
	}
	return g[1:i], g[i+3 : len(g)-1], true
}
