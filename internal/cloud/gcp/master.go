package gcp

import (
	"context"
	"net/http"

	sqladmin "google.golang.org/api/sqladmin/v1"
)

// Cloud SQL makes an instance with its built-in admin only (postgres, or root@'%' on
// MySQL), and instances.insert sets nothing but that admin's password. The operator's
// master user is an ordinary built-in user made afterwards with users.insert, which makes
// it what Cloud SQL makes every such user: a member of cloudsqlsuperuser with CREATEROLE
// and CREATEDB on PostgreSQL, root's privileges on MySQL (docs/cloudsql-facts.md).
//
// The instance's labels remember the master user's name and, until the user is made, that
// it is still to be made (MasterUserPending). The controller answers MasterUserPending
// with an Update carrying the master password, which makes the user; any later
// MasterPassword changes its password.

// setMasterPassword makes the instance's master user with password, or sets the password
// of the one that exists (made by an earlier call whose answer was lost, or long ago), and
// waits for Cloud SQL to be done. It never puts the password in an error.
func (p *Provider) setMasterPassword(ctx context.Context, op, id, password string) error {
	if err := p.settle(ctx, op, id); err != nil {
		return err
	}
	db, err := p.svc.Instances.Get(p.project, id).Context(ctx).Do()
	if err != nil {
		return wrap(op, err)
	}
	name := readLabels(labelsOf(db)).internal[keyMasterUser]
	if name == "" {
		return invalid(op, "the instance has no master user label: it was not made by this operator, which does not know its master user")
	}
	user := &sqladmin.User{Name: name, Password: password}
	if engine, _ := engineVersion(db.DatabaseVersion); engine == engineMySQL {
		user.Host = "%"
	}
	get := p.svc.Users.Get(p.project, id, name)
	if user.Host != "" {
		get = get.Host(user.Host)
	}
	_, err = get.Context(ctx).Do()
	var o *sqladmin.Operation
	switch {
	case isNotFound(err):
		user.Type = "BUILT_IN"
		o, err = p.svc.Users.Insert(p.project, id, user).Context(ctx).Do()
		if hasReason(err, http.StatusConflict, "alreadyExists") {
			o, err = p.updateUser(ctx, id, user)
		}
	case err == nil:
		o, err = p.updateUser(ctx, id, user)
	}
	if err != nil {
		return wrap(op+": set the password of master user "+name, err)
	}
	if o, err = p.await(ctx, op, o); err != nil {
		return err
	}
	return operationError(op+": set the password of master user "+name, o)
}

// updateUser sets the password of an existing user with users.update.
func (p *Provider) updateUser(ctx context.Context, id string, u *sqladmin.User) (*sqladmin.Operation, error) {
	call := p.svc.Users.Update(p.project, id, &sqladmin.User{Name: u.Name, Host: u.Host, Password: u.Password}).Name(u.Name)
	if u.Host != "" {
		call = call.Host(u.Host)
	}
	return call.Context(ctx).Do()
}
