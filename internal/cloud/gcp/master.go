package gcp

import (
	"context"
	"net/http"

	sqladmin "google.golang.org/api/sqladmin/v1"

	"github.com/matrixmind-cloud/aws-rds-operator/internal/cloud"
)

// Cloud SQL makes an instance with its built-in admin only (postgres, or root@'%' on
// MySQL), and instances.insert sets nothing but that admin's password. The operator's
// master user is an ordinary built-in user made afterwards with users.insert, which makes
// it what Cloud SQL makes every such user: a member of cloudsqlsuperuser with CREATEROLE
// and CREATEDB on PostgreSQL, root's privileges on MySQL (docs/cloudsql-facts.md).
//
// The instance's labels remember the master user's name and, until the user is made, that
// it is still to be made (Incomplete). The controller answers Incomplete
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

// Complete implements cloud.Provider: an instance still without its master user gets it,
// with the desired master password (an Update carrying that password, which also drops the
// label saying the user is still to be made). A complete instance is left alone.
func (p *Provider) Complete(ctx context.Context, d cloud.Desired) error {
	obs, err := p.Observe(ctx, d.Identifier)
	if err != nil || !obs.Exists || !obs.Instance.Incomplete {
		return err
	}
	pw := d.MasterPassword
	return p.Update(ctx, d.Identifier, cloud.Changes{MasterPassword: &pw}, cloud.UpdateOptions{ApplyImmediately: true})
}
