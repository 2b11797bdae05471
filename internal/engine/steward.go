package engine

import "context"

// Steward manages a server several objects share (an existing server), logged in as its
// administrator: each object's master user, which the object's own Admin sessions then log
// in as, and dropping what one object owns there when it is deleted. Like Admin, every
// method is idempotent, and what is not marked as the object's (Endpoint.Owner, marks.go)
// is never changed or dropped.
type Steward interface {
	// Masters lists the master users marked on the server (their mark holds MarkDatabase),
	// each with its mark.
	Masters(ctx context.Context) ([]Master, error)
	// EnsureMaster makes the master user name with the password and marks it with mark
	// (MarkOwner and MarkDatabase set), or, when it exists with a mark of the same owner and
	// database, sets its password (when not empty), privileges and mark. One that exists
	// otherwise is refused with NotOwned and left untouched. On PostgreSQL the master has
	// LOGIN, CREATEDB and CREATEROLE and is not a superuser; on MySQL it has RDS's master
	// privileges on every database WITH GRANT OPTION, no SUPER.
	EnsureMaster(ctx context.Context, name, password string, mark map[string]string) error
	// DropOwned drops every database, then every user, marked as owner's (a database
	// made by one of owner's users and not marked yet among them), the master last. It
	// returns what it dropped ("database shop", "role app").
	DropOwned(ctx context.Context, owner string) ([]string, error)
	// LockOut keeps every user marked as owner's, its master included, from logging in
	// again and ends their sessions: what a final dump holds is then what the users wrote
	// last. It returns the users it locked.
	LockOut(ctx context.Context, owner string) ([]string, error)
	// OwnedDatabases lists the databases marked as owner's: those DropOwned would drop.
	OwnedDatabases(ctx context.Context, owner string) ([]string, error)
	// Version is the server's version, e.g. 16.4 or 10.11.6.
	Version(ctx context.Context) (string, error)
	// Close ends the session.
	Close(ctx context.Context) error
}

// Master is an object's master user on a shared server.
type Master struct {
	Name string
	Mark map[string]string
}

// StewardConnector opens Steward sessions.
type StewardConnector interface {
	// ConnectSteward opens a Steward session as ep's user, the server's administrator.
	ConnectSteward(ctx context.Context, ep Endpoint) (Steward, error)
}
