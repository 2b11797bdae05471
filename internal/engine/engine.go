// Package engine defines how the operator manages users, databases and grants inside a
// database engine, so that the controller never builds SQL. Each engine is a package below
// this one.
package engine

import (
	"context"
	"errors"
	"fmt"
)

// User is a database user as the operator wants it.
type User struct {
	Name string
	// Password is the password from the user's Secret. Never log or wrap it. Empty for a
	// user that logs in with a token.
	Password string
	// TokenLogin makes the user log in with a token from the cloud's identity service in
	// place of a password: it gets the endpoint's TokenRole and no password. A user without
	// it loses that role.
	TokenLogin bool
	// Superuser grants the most the cloud allows: membership in the endpoint's AdminRole
	// (PostgreSQL), the master's privileges (MySQL).
	Superuser bool
	// CreateDB lets the user create databases.
	CreateDB bool
	// ReadOnly limits the user to reading: on every database it is listed on it may
	// SELECT every table, those any listed user makes later included, and create, insert,
	// update or delete nothing. It goes with neither Superuser nor CreateDB (either would
	// let it write), and a read-only user cannot own a database.
	ReadOnly bool
}

// Database is a database as the operator wants it.
type Database struct {
	Name string
	// Owner owns the database; empty means the master user.
	Owner string
	// Users may connect to the database (the owner among them); no one else may. Each
	// may create tables in it and read and write what any of them made, before or after,
	// unless it is read-only (User.ReadOnly), when it may only read.
	Users []string
}

// Endpoint is where to reach a database server, and as whom.
type Endpoint struct {
	// Engine is RDS's engine name of the server ("postgres", "mysql"); ByEngine picks the
	// Connector by it.
	Engine string
	Host   string
	Port   int32
	User   string
	// Password is the master password, or the user's password or token when Verify logs
	// in as another. Never log or wrap it.
	Password string
	// Token says Password is a token from the cloud's identity service (Verify of a user
	// who logs in with one): the connector may send it as a cleartext password, over the
	// session's TLS, which is how the cloud's token check takes it (MySQL's
	// mysql_clear_password).
	Token bool
	// CA, when set, is what the server's certificate must chain to, for Host
	// (sslmode=verify-full); nil encrypts without verifying whom the session reaches.
	CA *CABundle
	// AdminRole is the role the cloud gives its master user in place of a superuser
	// (rds_superuser on RDS PostgreSQL, cloudsqlsuperuser on Cloud SQL, azure_pg_admin on
	// Azure); users asked to be superusers become members of it. The provider names it;
	// empty where the engine has none (MySQL).
	AdminRole string
	// TokenRole is what makes a user log in with a token from the cloud's identity service
	// in place of a password: the role to grant on PostgreSQL (rds_iam on RDS), the
	// authentication plugin on MySQL (AWSAuthenticationPlugin on RDS). The provider names
	// it; it is empty where the engine has none.
	TokenRole string
	// Owner, when set, says the server is shared by several objects and names the one at
	// work ("<namespace>/<name>"): every role (user) and database the session makes is
	// marked as Owner's (see FormatMark), and one that exists without Owner's mark is
	// refused with an Error whose NotOwned is set, and left untouched. Empty on a server
	// that is the object's own (a cloud database), where nothing is marked.
	Owner string
}

// Admin manages one database server, logged in as its master user.
//
// Every method is idempotent: applying the same user or database twice changes nothing the
// second time, so a crash at any point converges on retry. No method drops a user's or a
// database's data.
type Admin interface {
	// EnsureUser creates the user or brings an existing one to the wanted roles and password,
	// and makes sure it can log in.
	EnsureUser(ctx context.Context, u User) error
	// DisableUser takes away a user's login and its admin role membership. The role,
	// what it owns and its data are kept. A user that does not exist is fine.
	DisableUser(ctx context.Context, name string) error
	// EnsureDatabase creates the database or brings an existing one to the wanted owner,
	// makes the users listed the only ones allowed to connect, and gives each what Database
	// promises: read-only users read everything, the others also create and write, on
	// what exists and on what any listed user makes later. Whether a user is read-only is
	// what this session's last EnsureUser of it said: every listed user other than the
	// master must have been ensured in the session first, else EnsureDatabase fails. A user
	// no longer listed loses these rights; what it owns is kept.
	EnsureDatabase(ctx context.Context, d Database) error
	// Close ends the session.
	Close(ctx context.Context) error
}

// Connector opens sessions on a server.
type Connector interface {
	// Connect opens an Admin session as ep's user, the master.
	Connect(ctx context.Context, ep Endpoint) (Admin, error)
	// Verify logs in as ep's user to database and out again: it proves a password works.
	// A refused password is an *Error with PasswordRefused set.
	Verify(ctx context.Context, ep Endpoint, database string) error
}

// ByEngine is a Connector for several engines: it hands each call to the Connector of the
// endpoint's Engine.
type ByEngine map[string]Connector

// Connect implements Connector.
func (b ByEngine) Connect(ctx context.Context, ep Endpoint) (Admin, error) {
	c, err := b.pick(ep)
	if err != nil {
		return nil, err
	}
	return c.Connect(ctx, ep)
}

// Verify implements Connector.
func (b ByEngine) Verify(ctx context.Context, ep Endpoint, database string) error {
	c, err := b.pick(ep)
	if err != nil {
		return err
	}
	return c.Verify(ctx, ep, database)
}

func (b ByEngine) pick(ep Endpoint) (Connector, error) {
	if c, ok := b[ep.Engine]; ok {
		return c, nil
	}
	return nil, &Error{Op: "connect", Err: fmt.Errorf("the operator has no connector for engine %q", ep.Engine)}
}

// Error is a failure the engine reported, classified once so the controller can turn it into
// a condition reason.
type Error struct {
	// Op is what was attempted, e.g. "create role app".
	Op string
	// Code is the engine's error code (a PostgreSQL SQLSTATE), empty when the server could
	// not be reached.
	Code string
	// Unreachable is true when no session could be opened (network, TLS, login refused).
	Unreachable bool
	// PasswordRefused is true when the server refused the login for its password.
	PasswordRefused bool
	// LoginRefused is true when the server refused the login for its credentials or its
	// user (a password or token refused, a user that may not log in), PasswordRefused
	// included: the server was reached.
	LoginRefused bool
	// CertificateRefused is true when the server's TLS certificate did not verify against
	// the endpoint's CA bundle: no password was sent.
	CertificateRefused bool
	// NotOwned is true when a role, user or database of the name exists on a shared server
	// (Endpoint.Owner) without the mark of the object at work: another object owns it, or
	// no object does (someone made it by hand). It was not changed.
	NotOwned bool
	// Unsupported is true when the server cannot give what was asked for (a superuser
	// where the endpoint names no admin role): asking again never helps, the spec must
	// change.
	Unsupported bool
	// Err is the underlying error; it never carries a password.
	Err error
}

// Error implements error.
func (e *Error) Error() string {
	if e.Code != "" {
		return fmt.Sprintf("%s: SQLSTATE %s: %v", e.Op, e.Code, e.Err)
	}
	return fmt.Sprintf("%s: %v", e.Op, e.Err)
}

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }

// IsPasswordRefused reports whether err says the server refused a login's password.
func IsPasswordRefused(err error) bool {
	var ee *Error
	return errors.As(err, &ee) && ee.PasswordRefused
}

// IsLoginRefused reports whether err says the server refused a login for its credentials
// or its user (Error.LoginRefused).
func IsLoginRefused(err error) bool {
	var ee *Error
	return errors.As(err, &ee) && ee.LoginRefused
}

// IsNotOwned reports whether err says a name on a shared server belongs to another object
// or to no object (Error.NotOwned).
func IsNotOwned(err error) bool {
	var ee *Error
	return errors.As(err, &ee) && ee.NotOwned
}

// IsUnsupported reports whether err says the server cannot give what was asked for
// (Error.Unsupported).
func IsUnsupported(err error) bool {
	var ee *Error
	return errors.As(err, &ee) && ee.Unsupported
}

// IsUnreachable reports whether err says the server could not be reached or logged in to.
func IsUnreachable(err error) bool {
	var ee *Error
	return errors.As(err, &ee) && ee.Unreachable
}
