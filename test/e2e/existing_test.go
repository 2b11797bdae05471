package e2e

import (
	"context"
	"database/sql"
	"slices"
	"strconv"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/matrixmind-cloud/aws-rds-operator/api/v1"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/cloud/existing"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/cloud/existing/existingtest"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/engine"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/engine/mysql"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/naming"
)

// existingClass makes, for the length of t, an existing DatabaseClass on srv: its admin
// Secret in a namespace of its own (the platform team's, not the application's), and the
// class naming it.
func existingClass(t *testing.T, name string, srv existing.Server) *v1.DatabaseClass {
	t.Helper()
	ctx := context.Background()
	adminNS := namespace(t, "dba")
	secret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: adminNS, Name: "server-admin"}, Data: map[string][]byte{
		"engine": []byte(srv.Engine), "host": []byte(srv.Host), "port": []byte(strconv.Itoa(int(srv.Port))),
		"username": []byte(srv.User), "password": []byte(srv.Password), "ca.crt": srv.CA,
	}}
	if err := stack.Client.Create(ctx, secret); err != nil {
		t.Fatal(err)
	}
	class := &v1.DatabaseClass{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: v1.DatabaseClassSpec{
		Provider: v1.ProviderExisting, Existing: &v1.ExistingClassParameters{AdminSecretRef: v1.SecretReference{Namespace: adminNS, Name: secret.Name}},
	}}
	if err := stack.Client.Create(ctx, class); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = stack.Client.Delete(context.Background(), class) })
	return class
}

// TestExistingPostgreSQL is the user's story on a server that exists already: the same
// RDSDatabase, on a DatabaseClass with provider existing, gets its own master, users,
// databases and Secrets on the shared server, verified against the CA of the class's
// Secret; a second object on the same server cannot take the first one's names; deleting an
// object with deletionPolicy Delete drops what it owns and nothing else, and the class's
// default policy, Retain, keeps everything.
func TestExistingPostgreSQL(t *testing.T) {
	ctx := context.Background()
	srv := existingtest.StartPostgres(t, 0)
	class := existingClass(t, "e2e-existing-pg", srv)
	ns := namespace(t, "existing")
	db := &v1.RDSDatabase{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "orders"}}
	db.Spec.Class = class.Name
	db.Spec.MasterUser = "orders_admin"
	db.Spec.Users = map[string]v1.UserRoles{"app": {v1.RoleCreateDB}, "reporting": {v1.RoleReadOnly}}
	db.Spec.Databases = map[string]v1.DatabaseUsers{"orders": {"app", "reporting"}}
	if err := stack.Client.Create(ctx, db); err != nil {
		t.Fatalf("apply: %v", err)
	}
	got := waitReady(t, db)
	id := naming.Identifier(ns, db.Name)

	t.Run("SecretsExistedBeforeTheServerWasTouched", func(t *testing.T) {
		secretsWereFirst(t, id, "existing server", []string{"orders.rds.app", "orders.rds.master", "orders.rds.reporting"})
	})

	t.Run("StatusSaysWhereItIs", func(t *testing.T) {
		placedOn(t, got, class.Name, v1.ProviderExisting, id)
		if c := got.Status.Cloud; c == nil || c.Identifier != id || c.Endpoint != srv.Host || c.Port != srv.Port || c.EngineVersion == "" {
			t.Errorf("status.cloud = %+v; want %s at the server's address %s:%d with the server's version", c, id, srv.Host, srv.Port)
		}
	})

	t.Run("EachUserCanDoWhatItsRolesSay", func(t *testing.T) {
		usersHaveTheirRoles(ctx, t, ns, "orders", "orders_admin", "orders", map[string]bool{"orders_admin": true, "app": true, "reporting": false})
		app, err := loginWith(ctx, string(secretData(t, ns, "orders.rds.app")["uri"]), "orders")
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = app.Close(ctx) }()
		if _, err := app.Exec(ctx, "create table orders (id int); insert into orders values (1)"); err != nil {
			t.Errorf("app cannot write to its database: %v", err)
		}
		reporting, err := loginWith(ctx, string(secretData(t, ns, "orders.rds.reporting")["uri"]), "orders")
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = reporting.Close(ctx) }()
		var n int
		if err := reporting.QueryRow(ctx, "select count(*) from orders").Scan(&n); err != nil || n != 1 {
			t.Errorf("reporting cannot read app's table: %d rows, %v", n, err)
		}
		if _, err := reporting.Exec(ctx, "insert into orders values (2)"); sqlState(err) != "42501" {
			t.Errorf("read-only reporting wrote to the table (err %v)", err)
		}
	})

	t.Run("ServerVerifiedAgainstTheClassCA", func(t *testing.T) {
		verifiesOnlyWithItsCA(ctx, t, secretData(t, ns, "orders.rds.app"), "verify-ca")
	})

	t.Run("AnotherObjectCannotTakeItsNames", func(t *testing.T) {
		other := &v1.RDSDatabase{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "carts"}}
		other.Spec.Class = class.Name
		other.Spec.MasterUser = "carts_admin"
		other.Spec.DeletionPolicy = v1.DeletionDelete
		other.Spec.Users = map[string]v1.UserRoles{"app": {}}
		other.Spec.Databases = map[string]v1.DatabaseUsers{"carts": {"app"}}
		if err := stack.Client.Create(ctx, other); err != nil {
			t.Fatal(err)
		}
		waitCondition(t, other, v1.ConditionUsersReady, v1.ReasonNameTaken)
		cur := &v1.RDSDatabase{}
		if err := stack.Client.Get(ctx, client.ObjectKeyFromObject(other), cur); err != nil {
			t.Fatal(err)
		}
		if c := meta.FindStatusCondition(cur.Status.Conditions, v1.ConditionUsersReady); !strings.Contains(c.Message, naming.Owner(ns, "orders")) {
			t.Errorf("the condition says %q; want it to name the object that owns the name", c.Message)
		}
		if err := logsIn(ctx, string(secretData(t, ns, "orders.rds.app")["uri"]), "orders"); err != nil {
			t.Errorf("the first object's app lost its login to the second object's attempt: %v", err)
		}
		// Renamed, it is made; deleted with deletionPolicy Delete, what it owns goes and
		// the first object's users and data stay.
		if err := update(ctx, other, func(s *v1.RDSDatabaseSpec) {
			s.Users = map[string]v1.UserRoles{"carts_app": {}}
			s.Databases = map[string]v1.DatabaseUsers{"carts": {"carts_app"}}
		}); err != nil {
			t.Fatal(err)
		}
		cur = waitReady(t, other)
		cartsURI := string(secretData(t, ns, naming.UserSecretName("carts", "carts_app"))["uri"])
		if err := logsIn(ctx, cartsURI, "carts"); err != nil {
			t.Fatalf("carts_app cannot log in: %v", err)
		}
		if err := stack.Client.Delete(ctx, cur); err != nil {
			t.Fatal(err)
		}
		waitGone(t, cur)
		if err := logsIn(ctx, cartsURI, "carts"); err == nil {
			t.Error("the deleted object's user still logs in: deletionPolicy Delete drops what the object owns")
		}
		if err := logsIn(ctx, string(secretData(t, ns, "orders.rds.app")["uri"]), "orders"); err != nil {
			t.Errorf("deleting another object took the first object's login: %v", err)
		}
	})

	t.Run("DeleteWithTheClassDefaultRetains", func(t *testing.T) {
		deleteAndWait(ctx, t, db)
		app, err := loginWith(ctx, string(secretData(t, ns, "orders.rds.app")["uri"]), "orders")
		if err != nil {
			t.Fatalf("app cannot log in to the retained database with its Secret, which stays: %v", err)
		}
		defer func() { _ = app.Close(ctx) }()
		var n int
		if err := app.QueryRow(ctx, "select count(*) from orders").Scan(&n); err != nil || n != 1 {
			t.Errorf("the retained database lost its data: %d rows, %v", n, err)
		}
	})
}

// TestExistingMariaDB: a mariadb RDSDatabase on an existing MariaDB server; every user
// logs in with only its Secret, cloud-only fields are refused, and deletionPolicy Delete
// drops what the object owns.
func TestExistingMariaDB(t *testing.T) {
	ctx := context.Background()
	srv := existingtest.StartMariaDB(t)
	class := existingClass(t, "e2e-existing-maria", srv)
	ns := namespace(t, "existing-maria")

	sized := &v1.RDSDatabase{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "sized"}}
	sized.Spec.Class, sized.Spec.Type, sized.Spec.Size = class.Name, v1.TypeMariaDB, "20GB"
	if err := stack.Client.Create(ctx, sized); err != nil {
		t.Fatal(err)
	}
	waitCondition(t, sized, v1.ConditionProvisioned, v1.ReasonSpecInvalid)

	db := &v1.RDSDatabase{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "shop"}}
	db.Spec.Class, db.Spec.Type = class.Name, v1.TypeMariaDB
	db.Spec.MasterUser = "shop_admin"
	db.Spec.DeletionPolicy = v1.DeletionDelete
	db.Spec.Users = map[string]v1.UserRoles{"shop_app": {}, "shop_ro": {v1.RoleReadOnly}}
	db.Spec.Databases = map[string]v1.DatabaseUsers{"shop": {"shop_app", "shop_ro"}}
	if err := stack.Client.Create(ctx, db); err != nil {
		t.Fatalf("apply: %v", err)
	}
	got := waitReady(t, db)
	placedOn(t, got, class.Name, v1.ProviderExisting, naming.Identifier(ns, db.Name))
	for _, secret := range []string{naming.MasterSecretName("shop"), naming.UserSecretName("shop", "shop_app"), naming.UserSecretName("shop", "shop_ro")} {
		conn, err := mariadbLogin(ctx, t, string(secretData(t, ns, secret)["uri"]), "shop")
		if err != nil {
			t.Errorf("%s cannot log in with only its Secret: %v", secret, err)
			continue
		}
		_ = conn.Close()
	}
	app, err := mariadbLogin(ctx, t, string(secretData(t, ns, naming.UserSecretName("shop", "shop_app"))["uri"]), "shop")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := app.ExecContext(ctx, "create table orders (v text)"); err != nil {
		t.Errorf("shop_app cannot write to its database: %v", err)
	}
	_ = app.Close()
	if err := stack.Client.Delete(ctx, got); err != nil {
		t.Fatal(err)
	}
	waitGone(t, got)
	admin, err := sql.Open("mysql", mysql.DSN(engine.Endpoint{Host: srv.Host, Port: srv.Port, User: srv.User, Password: srv.Password}, ""))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = admin.Close() }()
	rows, err := admin.QueryContext(ctx, "SELECT User FROM mysql.user WHERE User LIKE 'shop%' UNION SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = 'shop'")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = rows.Close() }()
	var left []string
	for rows.Next() {
		var name string
		_ = rows.Scan(&name)
		left = append(left, name)
	}
	if len(left) > 0 {
		slices.Sort(left)
		t.Errorf("left on the server after a Delete: %v; want the object's users and database dropped", left)
	}
}
