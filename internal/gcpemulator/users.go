package gcpemulator

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
)

// mutate runs one users or databases change on a RUNNABLE instance as an operation of
// opType: check validates it against the instance under mu, act changes the server (when
// there is one) without mu, commit records the change under mu once act succeeded. The
// operation is answered DONE, with the server's error when act failed.
func (e *Emulator) mutate(r *http.Request, opType string, check func(in *instance) error, act func(ctx context.Context, srv engineServer) error, commit func(in *instance)) (any, error) {
	e.mu.Lock()
	in, err := e.lookup(r)
	if err == nil {
		err = in.changeable()
	}
	if err == nil && in.master != nil {
		err = errReplica(in)
	}
	if err == nil {
		err = check(in)
	}
	if err != nil {
		e.mu.Unlock()
		return nil, err
	}
	op := e.newOperation(r, in.key, opType)
	in.busy = op
	srv := in.server
	op.wire.Status = statusRunning
	op.wire.StartTime = op.wire.InsertTime
	e.mu.Unlock()

	var actErr error
	if srv != nil {
		actErr = act(e.ctx, srv)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if actErr != nil {
		fmt.Fprintf(e.cfg.Log, "cloudsql-emulator: %s on %s: %v\n", opType, in.key.name, actErr)
		e.finishOperation(op, "INTERNAL_ERROR", fmt.Errorf("%s failed: %v", strings.ToLower(opType), actErr))
	} else {
		commit(in)
		e.finishOperation(op, "", nil)
	}
	return op.view(), nil
}

// userHost is the host a user is keyed by: "%" by default on MySQL, none on PostgreSQL.
func userHost(version, host string) string {
	if engineOf(version) == "postgres" {
		return ""
	}
	if host == "" {
		return "%"
	}
	return host
}

// findUser returns the index of a user of the instance, or -1. It runs under mu.
func (in *instance) findUser(name, host string) int {
	h := userHost(in.version, host)
	return slices.IndexFunc(in.users, func(u User) bool { return u.Name == name && u.Host == h })
}

// insertUser answers users.insert: a built-in user with a password, which on PostgreSQL is
// a member of cloudsqlsuperuser and on MySQL has root's privileges.
func (e *Emulator) insertUser(r *http.Request) (any, error) {
	var u User
	if err := decodeBody(r, &u); err != nil {
		return nil, err
	}
	if u.Name == "" {
		return nil, errInvalid("The user name is required.")
	}
	var host string
	return e.mutate(r, opCreateUser,
		func(in *instance) error {
			host = userHost(in.version, u.Host)
			if in.findUser(u.Name, host) >= 0 {
				return errorf(http.StatusConflict, "alreadyExists", "The user %s already exists.", u.Name)
			}
			return nil
		},
		func(ctx context.Context, srv engineServer) error {
			return srv.CreateUser(ctx, u.Name, host, u.Password)
		},
		func(in *instance) { in.users = append(in.users, User{Name: u.Name, Host: host}) })
}

// updateUser answers users.update (PUT .../users?name=&host=): it sets the password.
func (e *Emulator) updateUser(r *http.Request) (any, error) {
	var u User
	if err := decodeBody(r, &u); err != nil {
		return nil, err
	}
	name, host := r.URL.Query().Get("name"), r.URL.Query().Get("host")
	if name == "" {
		name, host = u.Name, u.Host
	}
	return e.mutate(r, opUpdateUser,
		func(in *instance) error {
			host = userHost(in.version, host)
			if in.findUser(name, host) < 0 {
				return errNotFound("user " + name)
			}
			return nil
		},
		func(ctx context.Context, srv engineServer) error { return srv.SetPassword(ctx, name, host, u.Password) },
		func(*instance) {})
}

// deleteUser answers users.delete (DELETE .../users?name=&host=).
func (e *Emulator) deleteUser(r *http.Request) (any, error) {
	name, host := r.URL.Query().Get("name"), r.URL.Query().Get("host")
	return e.mutate(r, opDeleteUser,
		func(in *instance) error {
			host = userHost(in.version, host)
			if in.findUser(name, host) < 0 {
				return errNotFound("user " + name)
			}
			return nil
		},
		func(ctx context.Context, srv engineServer) error { return srv.DropUser(ctx, name, host) },
		func(in *instance) {
			if i := in.findUser(name, host); i >= 0 {
				in.users = slices.Delete(in.users, i, i+1)
			}
		})
}

func (e *Emulator) listUsers(r *http.Request) (any, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	in, err := e.lookup(r)
	if err != nil {
		return nil, err
	}
	users := in.catalog().users
	items := make([]User, 0, len(users))
	for _, u := range users {
		items = append(items, userView(in, u))
	}
	return &listResponse{Kind: "sql#usersList", Items: items}, nil
}

func (e *Emulator) getUser(r *http.Request) (any, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	in, err := e.lookup(r)
	if err != nil {
		return nil, err
	}
	c := in.catalog()
	i := c.findUser(r.PathValue("name"), r.URL.Query().Get("host"))
	if i < 0 {
		return nil, errNotFound("user " + r.PathValue("name"))
	}
	u := userView(in, c.users[i])
	return &u, nil
}

// userView is a user as the API answers it: never with its password.
func userView(in *instance, u User) User {
	return User{Kind: "sql#user", Name: u.Name, Host: u.Host, Instance: in.key.name, Project: in.key.project, Etag: etag(u.Name + "@" + u.Host)}
}
