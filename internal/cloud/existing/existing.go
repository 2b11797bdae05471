// Package existing implements cloud.Provider on a PostgreSQL, MySQL or MariaDB server that
// exists already and that several objects share (SPEC §6, provider: existing). Nothing is
// created in a cloud: an object's "database" is its own master user on the server, made and
// marked by this provider as the object's, from which the controller makes the object's
// users, databases and grants as it does on RDS (the engine marks each as the object's too,
// engine.Endpoint.Owner). Deleting one with deletionPolicy Delete drops what is marked as
// the object's, and nothing else; Retain leaves it all.
//
// What a server shared this way does not have is cloud.ErrUnsupported, which the controller
// reports as a spec the class cannot honour: storage sizes and types, instance classes,
// network placement, high availability, read replicas, engine parameters, maintenance and
// backup windows, token logins, snapshots other than the final one, restores and exports.
// The final snapshot of deletionPolicy Snapshot is a logical dump of the object's
// databases, taken by a Job into a claim the class names (dump.go); where it names none,
// the class keeps nothing: deletionPolicy Snapshot is refused at admission and an unset
// policy means Retain. The server's version is the server's: the object
// reports it and never changes it.
package existing

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/matrixmind-cloud/aws-rds-operator/internal/cloud"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/engine"
)

// Engines a server may run, as the admin Secret names them and the operator's engine names
// go.
const (
	EnginePostgres = "postgres"
	EngineMySQL    = "mysql"
	EngineMariaDB  = "mariadb"
)

// Server is how to reach the shared server and log in as its administrator.
type Server struct {
	// Engine is postgres, mysql or mariadb.
	Engine string
	Host   string
	Port   int32
	User   string
	// Password is the administrator's. Never log or wrap it.
	Password string
	// CA is the PEM the server's certificate chains to; empty connects without verifying
	// the server.
	CA []byte
}

// Config is what the provider needs.
type Config struct {
	// Name names the server for people (the class's admin Secret, "namespace/name").
	Name string
	// Admin reads the administrator's login afresh, each time the provider logs in (from
	// the class's Secret, so that a changed password is used at once).
	Admin func(ctx context.Context) (Server, error)
	// Stewards open administrator sessions by engine (postgres, mysql, mariadb).
	Stewards map[string]engine.StewardConnector
	// Dumps, when set, takes final snapshots as logical dumps (dump.go); nil: the class
	// keeps none.
	Dumps *Dumps
}

// minPostgresMajor is the oldest PostgreSQL a shared server may run: from 16 on, a role with
// CREATEROLE may change and grant only the roles it has ADMIN on (those it made).
const minPostgresMajor = 16

// Provider is cloud.Provider on one existing server.
type Provider struct {
	cloud.Lacking
	cfg Config
}

// New returns the provider.
func New(cfg Config) (*Provider, error) {
	if cfg.Admin == nil || cfg.Stewards == nil {
		return nil, errors.New("existing: the provider needs the administrator's login and the engines' sessions")
	}
	return &Provider{Lacking: cloud.Lacking{Place: "an existing server"}, cfg: cfg}, nil
}

var _ cloud.Provider = (*Provider)(nil)

// session logs in to the server as its administrator.
func (p *Provider) session(ctx context.Context, op string) (engine.Steward, Server, error) {
	srv, err := p.cfg.Admin(ctx)
	if err != nil {
		return nil, Server{}, &cloud.Error{Op: op, Code: "AdminSecretInvalid", Message: err.Error()}
	}
	c, ok := p.cfg.Stewards[srv.Engine]
	if !ok {
		return nil, Server{}, &cloud.Error{Op: op, Code: "AdminSecretInvalid",
			Message: fmt.Sprintf("the admin Secret %s names engine %q: want postgres, mysql or mariadb", p.cfg.Name, srv.Engine)}
	}
	ep := engine.Endpoint{Engine: srv.Engine, Host: srv.Host, Port: srv.Port, User: srv.User, Password: srv.Password}
	if len(srv.CA) > 0 {
		ca, err := engine.ParseCABundle(srv.CA)
		if err != nil {
			return nil, Server{}, &cloud.Error{Op: op, Code: "AdminSecretInvalid", Message: fmt.Sprintf("ca.crt of the admin Secret %s: %v", p.cfg.Name, err)}
		}
		ep.CA = ca
	}
	st, err := c.ConnectSteward(ctx, ep)
	if err != nil {
		return nil, Server{}, refused(op, err)
	}
	return st, srv, nil
}

// refused turns an engine failure into a cloud error: a server that cannot be reached is
// transient, one that refuses the administrator's login needs the Secret fixed, and a name
// another object holds needs the spec changed.
func refused(op string, err error) error {
	var ee *engine.Error
	switch {
	case engine.IsNotOwned(err):
		return &cloud.Error{Op: op, Code: "NameTaken", Message: err.Error(), Field: cloud.FieldMasterUser}
	case engine.IsUnsupported(err):
		// The administrator the class's Secret names cannot do what is needed: fix the
		// Secret (or the role); retrying soon never helps.
		return &cloud.Error{Op: op, Code: "AdminInsufficient", Message: err.Error()}
	case errors.As(err, &ee) && ee.Code == "2BP01":
		// dependent_objects_still_exist: something of the object's roles is left where
		// the operator does not drop it; a person must look.
		return &cloud.Error{Op: op, Code: "DependentObjects", Message: err.Error()}
	case engine.IsLoginRefused(err) || engine.IsCertificateRefused(err):
		return &cloud.Error{Op: op, Code: "AdminLoginRefused", Message: err.Error()}
	case errors.As(err, &ee) && ee.Unreachable:
		return &cloud.Error{Op: op, Code: "ServerUnreachable", Message: err.Error(), Kind: cloud.ErrTransient}
	}
	return &cloud.Error{Op: op, Code: "ServerError", Message: err.Error(), Kind: cloud.ErrTransient}
}

// instances reads every object's master on the server, as databases.
func (p *Provider) instances(ctx context.Context, op string) ([]cloud.Instance, error) {
	st, srv, err := p.session(ctx, op)
	if err != nil {
		return nil, err
	}
	defer func() { _ = st.Close(ctx) }()
	masters, err := st.Masters(ctx)
	if err != nil {
		return nil, refused(op, err)
	}
	version, err := st.Version(ctx)
	if err != nil {
		return nil, refused(op, err)
	}
	out := make([]cloud.Instance, 0, len(masters))
	for _, m := range masters {
		out = append(out, p.instance(srv, version, m))
	}
	return out, nil
}

// instance is an object's master on the server, as a database: always available, at the
// server's address.
func (p *Provider) instance(srv Server, version string, m engine.Master) cloud.Instance {
	id := m.Mark[engine.MarkDatabase]
	tags := maps.Clone(m.Mark)
	delete(tags, engine.MarkDatabase)
	return cloud.Instance{
		Identifier: id, ARN: arn(p.cfg.Name, id),
		Status: "available", Phase: cloud.PhaseAvailable,
		Engine: srv.Engine, EngineVersion: version,
		MasterUser: m.Name,
		Endpoint:   srv.Host, Port: srv.Port,
		Tags:     tags,
		ServerCA: string(srv.CA),
		Shared:   true,
	}
}

// arn names an object's database on the server for Tag.
func arn(server, identifier string) string {
	return "existing:" + server + ":" + identifier
}

// Observe implements cloud.Provider.
func (p *Provider) Observe(ctx context.Context, identifier string) (cloud.Observation, error) {
	all, err := p.instances(ctx, "observe "+identifier)
	if err != nil {
		return cloud.Observation{}, err
	}
	for _, in := range all {
		if in.Identifier == identifier {
			return cloud.Observation{Exists: true, Instance: in}, nil
		}
	}
	return cloud.Observation{}, nil
}

// List implements cloud.Provider.
func (p *Provider) List(ctx context.Context) ([]cloud.Instance, error) {
	return p.instances(ctx, "list the server's objects")
}

// Create implements cloud.Provider: it makes the object's master user, marked with the
// object's tags (its owner among them) and identifier.
func (p *Provider) Create(ctx context.Context, d cloud.Desired) error {
	op := "create " + d.Identifier
	if err := refuseCloudOnly(op, d); err != nil {
		return err
	}
	st, srv, err := p.session(ctx, op)
	if err != nil {
		return err
	}
	defer func() { _ = st.Close(ctx) }()
	if !sameEngine(d.Engine, srv.Engine) {
		return &cloud.Error{Op: op, Code: "EngineMismatch", Kind: cloud.ErrUnsupported, Field: cloud.FieldEngineVersion,
			Message: fmt.Sprintf("the server of %s runs %s: a database of engine %s cannot be made there", p.cfg.Name, srv.Engine, d.Engine)}
	}
	if srv.Engine == EnginePostgres {
		version, err := st.Version(ctx)
		if err != nil {
			return refused(op, err)
		}
		if major, _ := strconv.Atoi(strings.SplitN(version, ".", 2)[0]); major < minPostgresMajor {
			return &cloud.Error{Op: op, Code: "ServerTooOld", Kind: cloud.ErrUnsupported, Field: cloud.FieldEngineVersion,
				Message: fmt.Sprintf("the server of %s runs PostgreSQL %s: a shared server must run %d or later, where an object's master (CREATEROLE) reaches only the roles it made; before, it could take over every role on the server", p.cfg.Name, version, minPostgresMajor)}
		}
	}
	if d.Tags[engine.MarkOwner] == "" {
		return &cloud.Error{Op: op, Code: "NoOwner", Message: "the database has no owner tag to mark the server's objects with"}
	}
	if err := st.EnsureMaster(ctx, d.MasterUser, d.MasterPassword, mark(d.Identifier, d.Tags)); err != nil {
		return refused(op, err)
	}
	return nil
}

// mark is what the master of identifier is marked with.
func mark(identifier string, tags map[string]string) map[string]string {
	m := maps.Clone(tags)
	if m == nil {
		m = map[string]string{}
	}
	m[engine.MarkDatabase] = identifier
	return m
}

// sameEngine reports whether a database of engine can be made on a server of server's.
func sameEngine(desired, server string) bool {
	return desired == server
}

// refuseCloudOnly refuses what a shared server cannot give, naming the field.
func refuseCloudOnly(op string, d cloud.Desired) error {
	type check struct {
		set   bool
		field cloud.Field
		what  string
	}
	for _, c := range []check{
		{d.InstanceClass != "", cloud.FieldInstanceClass, "an instance class (the server's size is its own)"},
		{d.AllocatedStorageGiB != 0 || d.StorageType != "", cloud.FieldStorage, "a storage size or type (the server's storage is its own: leave size empty)"},
		{d.IOPS != 0 || d.StorageThroughput != 0, cloud.FieldIOPS, "provisioned IOPS or throughput"},
		{d.MaxAllocatedStorageGiB != 0, cloud.FieldMaxStorage, "storage autoscaling (maxSize)"},
		{d.SubnetGroup != "", cloud.FieldSubnetGroup, "a subnet group"},
		{len(d.SecurityGroupIDs) > 0, cloud.FieldSecurityGroup, "security groups"},
		{d.StorageEncrypted || d.KMSKeyID != "", cloud.FieldKMSKey, "encryption at rest (the server's storage is its own)"},
		{len(d.Parameters) > 0, cloud.FieldParameters, "engine parameters (they are the server's, shared by every object on it)"},
	} {
		if c.set {
			return &cloud.Error{Op: op, Code: "NotOffered", Kind: cloud.ErrUnsupported, Field: c.field,
				Message: "an existing server offers no " + c.what}
		}
	}
	var others []string
	if d.PubliclyAccessible {
		others = append(others, "network.publiclyAccessible")
	}
	if d.MultiAZ {
		others = append(others, "highAvailability.multiAZ")
	}
	if d.MaintenanceWindow != "" {
		others = append(others, "maintenanceWindow")
	}
	if d.AutoMinorVersionUpgrade != nil {
		others = append(others, "autoMinorVersionUpgrade")
	}
	if d.IAMAuthentication != nil && *d.IAMAuthentication {
		others = append(others, "iamAuthentication")
	}
	if len(d.LogExports) > 0 {
		others = append(others, "logs.exports")
	}
	if d.BackupWindow != "" {
		others = append(others, "backup.window")
	}
	if d.RestoreFromSnapshot != "" {
		others = append(others, "restoreFrom")
	}
	if len(others) > 0 {
		slices.Sort(others)
		return &cloud.Error{Op: op, Code: "NotOffered", Kind: cloud.ErrUnsupported,
			Message: fmt.Sprintf("an existing server offers none of %v: remove them (the server's own settings apply)", others)}
	}
	return nil
}

// CreateReplica implements cloud.Provider: replicas are the server's affair.
func (p *Provider) CreateReplica(_ context.Context, r cloud.Replica) error {
	return p.Refuse("create read replica "+r.Identifier, "read replicas (highAvailability.readReplicas)")
}

// Update implements cloud.Provider: the master's password is all there is to change.
func (p *Provider) Update(ctx context.Context, identifier string, changes cloud.Changes, _ cloud.UpdateOptions) error {
	op := "update " + identifier
	password := changes.MasterPassword
	changes.MasterPassword = nil
	if !changes.Empty() {
		return p.Refuse(op, "changes of size, class, storage, network, windows or version (the server's own)")
	}
	if password == nil {
		return nil
	}
	return p.withMaster(ctx, op, identifier, func(st engine.Steward, _ Server, m *engine.Master) error {
		if m == nil {
			return &cloud.Error{Op: op, Code: "DatabaseNotFound", Message: "no master of " + identifier + " on the server"}
		}
		return st.EnsureMaster(ctx, m.Name, *password, m.Mark)
	})
}

// withMaster runs fn in an administrator's session of the server srv with the master of
// the database identifier, nil when the server has none; an engine error of fn is refused
// as the provider refuses them.
func (p *Provider) withMaster(ctx context.Context, op, identifier string, fn func(st engine.Steward, srv Server, m *engine.Master) error) error {
	st, srv, err := p.session(ctx, op)
	if err != nil {
		return err
	}
	defer func() { _ = st.Close(ctx) }()
	masters, err := st.Masters(ctx)
	if err != nil {
		return refused(op, err)
	}
	var master *engine.Master
	for i := range masters {
		if masters[i].Mark[engine.MarkDatabase] == identifier {
			master = &masters[i]
		}
	}
	err = fn(st, srv, master)
	var ce *cloud.Error
	if err != nil && !errors.As(err, &ce) {
		return refused(op, err)
	}
	return err
}

// Tag implements cloud.Provider: the tags are the master's mark; its owner and identifier
// stay.
func (p *Provider) Tag(ctx context.Context, name string, tags map[string]string) error {
	op := "tag " + name
	identifier, ok := strings.CutPrefix(name, arn(p.cfg.Name, ""))
	if !ok {
		return &cloud.Error{Op: op, Code: "DatabaseNotFound", Message: name + " is not on the server " + p.cfg.Name}
	}
	return p.withMaster(ctx, op, identifier, func(st engine.Steward, _ Server, m *engine.Master) error {
		if m == nil {
			return &cloud.Error{Op: op, Code: "DatabaseNotFound", Message: name + " is not on the server"}
		}
		next := maps.Clone(m.Mark)
		maps.Copy(next, tags)
		next[engine.MarkOwner], next[engine.MarkDatabase] = m.Mark[engine.MarkOwner], m.Mark[engine.MarkDatabase]
		if maps.Equal(next, m.Mark) {
			return nil
		}
		return st.EnsureMaster(ctx, m.Name, "", next)
	})
}

// Delete implements cloud.Provider: it drops every database and user marked as the
// object's, its master last. A final snapshot is a dump of those databases (dump.go),
// which must be complete first; a class that names no place for dumps refuses it.
func (p *Provider) Delete(ctx context.Context, identifier string, opts cloud.DeleteOptions) error {
	op := "delete " + identifier
	final := opts.FinalSnapshotIdentifier
	if final != "" && p.cfg.Dumps == nil {
		return p.Refuse(op, "a final snapshot (deletionPolicy Snapshot) without a place for dumps (the class's existing.dumps): use Retain or Delete")
	}
	return p.withMaster(ctx, op, identifier, func(st engine.Steward, srv Server, m *engine.Master) error {
		if m == nil {
			return nil // gone already
		}
		owner := m.Mark[engine.MarkOwner]
		if final != "" {
			if err := p.dumped(ctx, op, st, srv, identifier, owner, final); err != nil {
				return err
			}
		}
		_, err := st.DropOwned(ctx, owner)
		return err
	})
}

// Plan implements cloud.Provider: nothing of the server is the object's to change. A size
// asked for after the create is planned, so that Update refuses it (naming the field)
// rather than it being ignored.
func (p *Provider) Plan(d cloud.Desired, _ cloud.Instance, _ bool) cloud.Plan {
	if d.AllocatedStorageGiB != 0 {
		return cloud.Plan{Changes: cloud.Changes{AllocatedStorageGiB: &d.AllocatedStorageGiB}, Described: []string{"storage (size)"}}
	}
	return cloud.Plan{}
}

// Storage implements cloud.Provider: what was asked, which Create refuses unless none.
func (p *Provider) Storage(d cloud.Desired) (int32, bool) { return d.AllocatedStorageGiB, false }
