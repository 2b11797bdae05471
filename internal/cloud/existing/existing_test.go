package existing_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/matrixmind-cloud/aws-rds-operator/internal/cloud"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/cloud/existing"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/cloud/existing/existingtest"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/engine"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/engine/mysql"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/engine/postgres"
)

// engines are the engines' sessions, as the operator has them.
var engines = engine.ByEngine{existing.EnginePostgres: postgres.Connector{}, existing.EngineMySQL: mysql.Connector{}, existing.EngineMariaDB: mysql.Connector{}}

var stewards = map[string]engine.StewardConnector{
	existing.EnginePostgres: postgres.Connector{}, existing.EngineMySQL: mysql.Connector{}, existing.EngineMariaDB: mysql.Connector{},
}

// servers are the real servers each test runs against.
var servers = []struct {
	name  string
	start func(t *testing.T) existing.Server
}{
	{"PostgreSQL", func(t *testing.T) existing.Server { return existingtest.StartPostgres(t, 0) }},
	{"MariaDB", func(t *testing.T) existing.Server { return existingtest.StartMariaDB(t) }},
}

func newProvider(t *testing.T, srv existing.Server) *existing.Provider {
	t.Helper()
	p, err := existing.New(existing.Config{Name: "db/admin", Stewards: stewards,
		Admin: func(context.Context) (existing.Server, error) { return srv, nil }})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func desired(srv existing.Server, id, owner, master string) cloud.Desired {
	return cloud.Desired{Identifier: id, Engine: srv.Engine, EngineVersion: "17", MasterUser: master, MasterPassword: "pw-" + id + "-Aa1!",
		BackupRetentionDays: 7, Tags: map[string]string{engine.MarkOwner: owner, "matrixmind.cloud/managed-by": "aws-rds-operator", "team": "shop"}}
}

// endpoint is how an object's Admin sessions reach the server as its master.
func endpoint(srv existing.Server, in cloud.Instance, password, owner string) engine.Endpoint {
	ca, _ := engine.ParseCABundle([]byte(in.ServerCA))
	return engine.Endpoint{Engine: srv.Engine, Host: in.Endpoint, Port: in.Port, User: in.MasterUser, Password: password, CA: ca.ChainOnly(), Owner: owner}
}

func TestCreateObserveAndMasterLogin(t *testing.T) {
	for _, s := range servers {
		t.Run(s.name, func(t *testing.T) {
			ctx := t.Context()
			srv := s.start(t)
			p := newProvider(t, srv)
			d := desired(srv, "shop-orders-1a2b", "shop/orders", "orders_admin")
			if obs, err := p.Observe(ctx, d.Identifier); err != nil || obs.Exists {
				t.Fatalf("Observe before Create = %+v, %v; want nothing: nothing was made yet", obs, err)
			}
			for i := range 2 {
				if err := p.Create(ctx, d); err != nil {
					t.Fatalf("Create #%d: %v (Create must be idempotent: a retry after a crash finds what it made)", i+1, err)
				}
			}
			obs, err := p.Observe(ctx, d.Identifier)
			if err != nil || !obs.Exists {
				t.Fatalf("Observe after Create = %+v, %v; want it", obs, err)
			}
			in := obs.Instance
			if in.Phase != cloud.PhaseAvailable || in.MasterUser != "orders_admin" || in.Endpoint != srv.Host || in.Port != srv.Port || !in.Shared ||
				in.Tags[engine.MarkOwner] != "shop/orders" || in.Tags["team"] != "shop" || in.EngineVersion == "" {
				t.Errorf("Observe = %+v; want an available, shared database at the server's address, its master and its tags, and the server's version", in)
			}
			if _, ok := in.Tags[engine.MarkDatabase]; ok {
				t.Errorf("tags %v hold the identifier mark: tags are what the spec and operator asked for", in.Tags)
			}
			admin, err := engines.Connect(ctx, endpoint(srv, in, d.MasterPassword, "shop/orders"))
			if err != nil {
				t.Fatalf("log in as the object's master with verify-ca against the Secret's CA: %v", err)
			}
			if err := admin.EnsureUser(ctx, engine.User{Name: "orders_app", Password: "app-pw-Aa1!"}); err != nil {
				t.Fatalf("the master makes the object's users: %v", err)
			}
			if err := admin.EnsureDatabase(ctx, engine.Database{Name: "orders", Owner: "orders_app", Users: []string{"orders_app"}}); err != nil {
				t.Fatalf("the master makes the object's databases: %v", err)
			}
			_ = admin.Close(ctx)

			list, err := p.List(ctx)
			if err != nil || len(list) != 1 || list[0].Identifier != d.Identifier {
				t.Errorf("List = %+v, %v; want the one object's database", list, err)
			}
			// The password is the Secret's: set again through Update, the new one logs in.
			pw := "new-pw-Aa1!"
			if err := p.Update(ctx, d.Identifier, cloud.Changes{MasterPassword: &pw}, cloud.UpdateOptions{}); err != nil {
				t.Fatalf("Update of the master password: %v", err)
			}
			if err := engines.Verify(ctx, endpoint(srv, in, pw, ""), "orders"); err != nil {
				t.Errorf("the master's new password is refused: %v", err)
			}
			if err := p.Tag(ctx, in.ARN, map[string]string{"team": "billing", engine.MarkOwner: "evil/other"}); err != nil {
				t.Fatalf("Tag: %v", err)
			}
			obs, _ = p.Observe(ctx, d.Identifier)
			if obs.Instance.Tags["team"] != "billing" || obs.Instance.Tags[engine.MarkOwner] != "shop/orders" {
				t.Errorf("tags after Tag = %v; want team overwritten and the owner kept (a tag never moves the mark to another owner)", obs.Instance.Tags)
			}
		})
	}
}

func TestNamesOfOthersAreRefused(t *testing.T) {
	for _, s := range servers {
		t.Run(s.name, func(t *testing.T) {
			ctx := t.Context()
			srv := s.start(t)
			p := newProvider(t, srv)
			a := desired(srv, "shop-orders-1a2b", "shop/orders", "sysadmin")
			if err := p.Create(ctx, a); err != nil {
				t.Fatal(err)
			}
			b := desired(srv, "shop-carts-3c4d", "shop/carts", "sysadmin")
			err := p.Create(ctx, b)
			var ce *cloud.Error
			if !errors.As(err, &ce) || ce.Field != cloud.FieldMasterUser || ce.Code != "NameTaken" {
				t.Fatalf("Create of a second object with the first's master name = %v; want NameTaken naming the master user: another object owns it", err)
			}
			if obs, _ := p.Observe(ctx, b.Identifier); obs.Exists {
				t.Errorf("the refused object was made")
			}
			obs, _ := p.Observe(ctx, a.Identifier)
			if err := engines.Verify(ctx, endpoint(srv, obs.Instance, a.MasterPassword, ""), map[string]string{existing.EnginePostgres: "postgres"}[srv.Engine]); err != nil {
				t.Errorf("the first object's master lost its password to the refused create: %v", err)
			}
			// A user made by hand is no object's either.
			hand := desired(srv, "shop-hand-5e6f", "shop/hand", existingtest.AdminUser)
			if err := p.Create(ctx, hand); !errors.As(err, &ce) || ce.Code != "NameTaken" {
				t.Errorf("Create with the server administrator's name = %v; want NameTaken: a user made by hand is never taken over", err)
			}
		})
	}
}

func TestDeleteDropsOnlyWhatTheObjectOwns(t *testing.T) {
	for _, s := range servers {
		t.Run(s.name, func(t *testing.T) {
			ctx := t.Context()
			srv := s.start(t)
			p := newProvider(t, srv)
			objects := map[string]cloud.Desired{
				"shop/orders": desired(srv, "shop-orders-1a2b", "shop/orders", "orders_admin"),
				"shop/carts":  desired(srv, "shop-carts-3c4d", "shop/carts", "carts_admin"),
			}
			for owner, d := range objects {
				withDatabases(t, p, srv, d, owner, d.MasterUser+"_db")
			}
			err := p.Delete(ctx, objects["shop/orders"].Identifier, cloud.DeleteOptions{FinalSnapshotIdentifier: "final"})
			if !errors.Is(err, cloud.ErrUnsupported) {
				t.Errorf("Delete with a final snapshot = %v; want ErrUnsupported: the class keeps no snapshots, and nothing may be dropped without one", err)
			}
			if obs, _ := p.Observe(ctx, objects["shop/orders"].Identifier); !obs.Exists {
				t.Fatal("a refused Delete dropped the object's master")
			}
			for range 2 {
				if err := p.Delete(ctx, objects["shop/orders"].Identifier, cloud.DeleteOptions{}); err != nil {
					t.Fatalf("Delete: %v (and again: Delete is idempotent)", err)
				}
			}
			if obs, _ := p.Observe(ctx, objects["shop/orders"].Identifier); obs.Exists {
				t.Error("the deleted object's master is still there")
			}
			carts, _ := p.Observe(ctx, objects["shop/carts"].Identifier)
			if !carts.Exists {
				t.Fatal("Delete of one object dropped the other's master")
			}
			other := objects["shop/carts"]
			app := endpoint(srv, carts.Instance, "app-pw-Aa1!", "")
			app.User = "carts_admin_app"
			if err := engines.Verify(ctx, app, "carts_admin_db"); err != nil {
				t.Errorf("the other object's user cannot log in to its database after the first was deleted: %v", err)
			}
			if err := engines.Verify(ctx, endpoint(srv, carts.Instance, other.MasterPassword, ""), "carts_admin_db"); err != nil {
				t.Errorf("the other object's master cannot log in: %v", err)
			}
			orders := cloud.Instance{Endpoint: srv.Host, Port: srv.Port, MasterUser: "orders_admin_app", ServerCA: string(srv.CA)}
			if err := engines.Verify(ctx, endpoint(srv, orders, "app-pw-Aa1!", ""), "orders_admin_db"); err == nil {
				t.Error("the deleted object's user still logs in to its database")
			}
			// What the administrator made by hand stays.
			if err := engines.Verify(ctx, engine.Endpoint{Engine: srv.Engine, Host: srv.Host, Port: srv.Port, User: srv.User, Password: srv.Password},
				map[string]string{existing.EnginePostgres: "postgres"}[srv.Engine]); err != nil {
				t.Errorf("the administrator cannot log in after a Delete: %v", err)
			}
		})
	}
}

func TestCloudOnlyFieldsAreRefused(t *testing.T) {
	srv := existing.Server{Engine: existing.EnginePostgres}
	tests := []struct {
		name   string
		reason string
		change func(*cloud.Desired)
		field  cloud.Field
	}{
		{"size", "the server's storage is its own", func(d *cloud.Desired) { d.AllocatedStorageGiB = 10 }, cloud.FieldStorage},
		{"instance class", "the server's size is its own", func(d *cloud.Desired) { d.InstanceClass = "db.t4g.micro" }, cloud.FieldInstanceClass},
		{"storage type", "the server's storage is its own", func(d *cloud.Desired) { d.StorageType = "gp3" }, cloud.FieldStorage},
		{"parameters", "the server's parameters are shared by every object", func(d *cloud.Desired) { d.Parameters = map[string]string{"work_mem": "8MB"} }, cloud.FieldParameters},
		{"encryption", "encryption at rest is the server's", func(d *cloud.Desired) { d.StorageEncrypted = true }, cloud.FieldKMSKey},
		{"security groups", "no network placement", func(d *cloud.Desired) { d.SecurityGroupIDs = []string{"sg-1"} }, cloud.FieldSecurityGroup},
		{"multi-AZ", "no high availability of its own", func(d *cloud.Desired) { d.MultiAZ = true }, ""},
		{"token logins", "no identity service", func(d *cloud.Desired) { t := true; d.IAMAuthentication = &t }, ""},
		{"restore", "no snapshots to restore", func(d *cloud.Desired) { d.RestoreFromSnapshot = "snap" }, ""},
		{"log exports", "no log service", func(d *cloud.Desired) { d.LogExports = []string{"postgresql"} }, ""},
	}
	// Admin is never called: the refusal comes before any login.
	p, err := existing.New(existing.Config{Name: "db/admin", Stewards: stewards, Admin: func(context.Context) (existing.Server, error) {
		return existing.Server{}, fmt.Errorf("no login expected")
	}})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := desired(srv, "shop-orders-1a2b", "shop/orders", "sysadmin")
			tc.change(&d)
			err := p.Create(t.Context(), d)
			var ce *cloud.Error
			if !errors.Is(err, cloud.ErrUnsupported) || !errors.As(err, &ce) || ce.Field != tc.field {
				t.Errorf("Create = %v; want ErrUnsupported naming field %q: %s", err, tc.field, tc.reason)
			}
		})
	}
}

func TestEngineMismatchIsRefused(t *testing.T) {
	srv := existingtest.StartPostgres(t, 0)
	p := newProvider(t, srv)
	d := desired(srv, "shop-orders-1a2b", "shop/orders", "sysadmin")
	d.Engine = "mysql"
	if err := p.Create(t.Context(), d); !errors.Is(err, cloud.ErrUnsupported) {
		t.Errorf("Create of a MySQL database on a PostgreSQL server = %v; want ErrUnsupported: the class's server runs another engine", err)
	}
}

func TestPostgreSQLBefore16IsRefused(t *testing.T) {
	srv := existingtest.StartPostgres(t, 15)
	p := newProvider(t, srv)
	err := p.Create(t.Context(), desired(srv, "shop-orders-1a2b", "shop/orders", "sysadmin"))
	var ce *cloud.Error
	if !errors.Is(err, cloud.ErrUnsupported) || !errors.As(err, &ce) || ce.Code != "ServerTooOld" {
		t.Fatalf("Create on PostgreSQL 15 = %v; want ServerTooOld: before 16 an object's master (CREATEROLE) could take over every role on the server", err)
	}
	if list, err := p.List(t.Context()); err != nil || len(list) != 0 {
		t.Errorf("List after the refusal = %v, %v; want nothing made", list, err)
	}
}

func TestReadsChangeNothing(t *testing.T) {
	srv := existingtest.StartMariaDB(t)
	p := newProvider(t, srv)
	if list, err := p.List(t.Context()); err != nil || len(list) != 0 {
		t.Fatalf("List of a server no object was made on = %v, %v; want nothing", list, err)
	}
	if obs, err := p.Observe(t.Context(), "shop-orders-1a2b"); err != nil || obs.Exists {
		t.Fatalf("Observe = %+v, %v; want nothing", obs, err)
	}
	db, err := sql.Open("mysql", mysql.DSN(engine.Endpoint{Host: srv.Host, Port: srv.Port, User: srv.User, Password: srv.Password}, ""))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = db.Close() }()
	var n int
	if err := db.QueryRowContext(t.Context(), "SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?", engine.MarksDatabase).Scan(&n); err != nil || n != 0 {
		t.Errorf("the marks database exists after reads only (%d, %v): Observe and List never change the server", n, err)
	}
}

func TestDeleteKeepsWhatNoMarkNames(t *testing.T) {
	ctx := t.Context()
	srv := existingtest.StartPostgres(t, 0)
	p := newProvider(t, srv)
	d := desired(srv, "shop-orders-1a2b", "shop/orders", "orders_admin")
	if err := p.Create(ctx, d); err != nil {
		t.Fatal(err)
	}
	obs, _ := p.Observe(ctx, d.Identifier)
	admin, err := engines.Connect(ctx, endpoint(srv, obs.Instance, d.MasterPassword, "shop/orders"))
	if err != nil {
		t.Fatal(err)
	}
	if err := admin.EnsureUser(ctx, engine.User{Name: "maker", Password: "maker-pw-Aa1!", CreateDB: true}); err != nil {
		t.Fatal(err)
	}
	_ = admin.Close(ctx)
	// The user makes a database of its own (createdb), and a table in it: no mark names
	// them.
	maker := endpoint(srv, obs.Instance, "maker-pw-Aa1!", "")
	maker.User = "maker"
	conn, err := pgx.Connect(ctx, postgres.ConnString(maker, "postgres"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, "CREATE DATABASE scratch"); err != nil {
		t.Fatal(err)
	}
	_ = conn.Close(ctx)
	if conn, err = pgx.Connect(ctx, postgres.ConnString(maker, "scratch")); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, "CREATE TABLE notes (v text); INSERT INTO notes VALUES ('kept')"); err != nil {
		t.Fatal(err)
	}
	_ = conn.Close(ctx)

	if err := p.Delete(ctx, d.Identifier, cloud.DeleteOptions{}); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	super := engine.Endpoint{Engine: srv.Engine, Host: srv.Host, Port: srv.Port, User: srv.User, Password: srv.Password}
	conn, err = pgx.Connect(ctx, postgres.ConnString(super, "scratch"))
	if err != nil {
		t.Fatalf("the database a user made went with the object: only what a mark names is dropped (%v)", err)
	}
	defer func() { _ = conn.Close(ctx) }()
	var v, owner string
	if err := conn.QueryRow(ctx, "SELECT v, pg_get_userbyid(relowner) FROM notes, pg_class WHERE relname = 'notes'").Scan(&v, &owner); err != nil || v != "kept" || owner != srv.User {
		t.Errorf("scratch's table after Delete: %q owned by %q (%v); want its row kept, owned by the administrator", v, owner, err)
	}
	if obs, _ := p.Observe(ctx, d.Identifier); obs.Exists {
		t.Error("the object's master is still there")
	}
}
