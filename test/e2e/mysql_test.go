package e2e

import (
	"context"
	"database/sql"
	"errors"
	"net"
	"net/url"
	"strconv"
	"strings"
	"testing"

	gomysql "github.com/go-sql-driver/mysql"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/matrixmind-cloud/aws-rds-operator/api/v1"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/engine"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/engine/mysql"
)

// mysqlLogin connects with nothing but a Secret's mysql:// uri (TLS required, as the uri
// says), optionally to another database than the uri's.
func mysqlLogin(ctx context.Context, t *testing.T, uri, database string) (*sql.DB, error) {
	t.Helper()
	u, err := url.Parse(uri)
	if err != nil {
		return nil, err
	}
	if u.Scheme != "mysql" || u.Query().Get("ssl-mode") != "REQUIRED" {
		t.Fatalf("uri %s://...?%s: want mysql:// with ssl-mode=REQUIRED", u.Scheme, u.RawQuery)
	}
	host, portText, err := net.SplitHostPort(u.Host)
	if err != nil {
		return nil, err
	}
	port, err := strconv.Atoi(portText)
	if err != nil {
		return nil, err
	}
	pw, _ := u.User.Password()
	if database == "" {
		database = strings.TrimPrefix(u.Path, "/")
	}
	db, err := sql.Open("mysql", mysql.DSN(engine.Endpoint{Host: host, Port: int32(port), User: u.User.Username(), Password: pw}, database))
	if err != nil {
		return nil, err
	}
	if err := db.PingContext(ctx); err != nil {
		_ = db.Close()
		return nil, err
	}
	return db, nil
}

// everyUserLogsIn logs in with the uri of each Secret of a MySQL-family database (with login)
// and checks it lands as the Secret's user on its database, and that its jdbc-uri has the
// connector's scheme.
func everyUserLogsIn(ctx context.Context, t *testing.T, ns string, secrets []string, jdbcPrefix string,
	login func(context.Context, *testing.T, string, string) (*sql.DB, error)) {
	t.Helper()
	for _, name := range secrets {
		data := secretData(t, ns, name)
		if !strings.HasPrefix(string(data["jdbc-uri"]), jdbcPrefix) {
			t.Errorf("secret %s jdbc-uri does not start with %s", name, jdbcPrefix)
		}
		conn, err := login(ctx, t, string(data["uri"]), "")
		if err != nil {
			t.Errorf("log in with secret %s: %v", name, err)
			continue
		}
		var user, database sql.NullString
		if err := conn.QueryRowContext(ctx, "SELECT SUBSTRING_INDEX(CURRENT_USER(), '@', 1), DATABASE()").Scan(&user, &database); err != nil {
			t.Error(err)
		}
		if user.String != string(data["username"]) || database.String != string(data["dbname"]) {
			t.Errorf("secret %s logged in as %s on %q, want %s on %q", name, user.String, database.String, data["username"], data["dbname"])
		}
		_ = conn.Close()
	}
}

func mysqlErrNumber(err error) uint16 {
	var me *gomysql.MySQLError
	if errors.As(err, &me) {
		return me.Number
	}
	return 0
}

// TestMySQLUserStory is the PostgreSQL user's story on MySQL: apply, wait for Ready, and log
// in as every user with nothing but its Secret; each can do what its roles say and no more.
func TestMySQLUserStory(t *testing.T) {
	ctx := context.Background()
	ns := namespace(t, "mysql")
	db := &v1.RDSDatabase{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "shop"}}
	db.Spec = v1.RDSDatabaseSpec{
		Type: v1.TypeMySQLSeed, Size: "20GB", MasterUser: "sysadmin",
		Users: map[string]v1.UserRoles{"app": {v1.RoleCreateDB}, "admin": {v1.RoleSuperuser}, "reporting": {}},
		Databases: map[string]v1.DatabaseUsers{
			"orders": {"app", "reporting"},
			"audit":  {"admin"},
		},
		Encryption:     &v1.Encryption{KMSKeyID: "alias/shop-data"},
		DeletionPolicy: v1.DeletionSnapshot,
	}
	if err := stack.Client.Create(ctx, db); err != nil {
		t.Fatalf("apply: %v", err)
	}
	got := waitReady(t, db)

	t.Run("StatusMirrorsAnEncryptedMySQL", func(t *testing.T) {
		c := got.Status.Cloud
		if c == nil || c.Engine != "mysql" || !strings.HasPrefix(c.EngineVersion, "8.0") {
			t.Fatalf("status.cloud = %+v, want engine mysql at 8.0 (the default)", c)
		}
		if !c.StorageEncrypted || !strings.HasPrefix(c.KMSKeyID, "arn:aws:kms:") {
			t.Errorf("encryption: storageEncrypted %v, kmsKeyId %q; want encrypted with a key ARN for alias/shop-data", c.StorageEncrypted, c.KMSKeyID)
		}
	})

	t.Run("ServiceHasTheMySQLPort", func(t *testing.T) {
		svc := &corev1.Service{}
		if err := stack.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: "shop-rds"}, svc); err != nil {
			t.Fatal(err)
		}
		if len(svc.Spec.Ports) != 1 || svc.Spec.Ports[0].Name != "mysql" || svc.Spec.Ports[0].Port != got.Status.Cloud.Port {
			t.Errorf("service ports = %+v, want one named mysql on port %d", svc.Spec.Ports, got.Status.Cloud.Port)
		}
	})

	t.Run("EveryUserLogsInWithOnlyItsSecret", func(t *testing.T) {
		everyUserLogsIn(ctx, t, ns, []string{"shop.rds.master", "shop.rds.app", "shop.rds.admin", "shop.rds.reporting"}, "jdbc:mysql://", mysqlLogin)
	})

	t.Run("UsersCanDoWhatTheirRolesSayAndNoMore", func(t *testing.T) {
		app := string(secretData(t, ns, "shop.rds.app")["uri"])
		reporting := string(secretData(t, ns, "shop.rds.reporting")["uri"])
		admin := string(secretData(t, ns, "shop.rds.admin")["uri"])

		// app owns orders: it creates tables, grants on them, and (createdb) databases.
		conn, err := mysqlLogin(ctx, t, app, "orders")
		if err != nil {
			t.Fatal(err)
		}
		for _, stmt := range []string{"CREATE TABLE items (id int)", "INSERT INTO items VALUES (1)", "GRANT SELECT ON orders.items TO 'reporting'@'%'", "CREATE DATABASE app_scratch"} {
			if _, err := conn.ExecContext(ctx, stmt); err != nil {
				t.Errorf("app: %s: %v", stmt, err)
			}
		}
		if _, err := conn.ExecContext(ctx, "SELECT COUNT(*) FROM audit.events"); mysqlErrNumber(err) != 1142 && mysqlErrNumber(err) != 1044 && mysqlErrNumber(err) != 1146 {
			t.Errorf("app read audit, which it is not listed on: %v", err)
		}
		_ = conn.Close()

		// reporting works in orders, and nowhere else; it may not create databases.
		conn, err = mysqlLogin(ctx, t, reporting, "orders")
		if err != nil {
			t.Fatal(err)
		}
		var n int
		if err := conn.QueryRowContext(ctx, "SELECT COUNT(*) FROM items").Scan(&n); err != nil || n != 1 {
			t.Errorf("reporting: read items: %d, %v", n, err)
		}
		if _, err := conn.ExecContext(ctx, "CREATE DATABASE reporting_scratch"); mysqlErrNumber(err) != 1044 {
			t.Errorf("reporting created a database without createdb: %v", err)
		}
		_ = conn.Close()
		if _, err := mysqlLogin(ctx, t, reporting, "audit"); mysqlErrNumber(err) != 1044 {
			t.Errorf("reporting opened audit, which it is not listed on: %v", err)
		}

		// admin (superuser) can make users and grant, as far as the master can.
		conn, err = mysqlLogin(ctx, t, admin, "audit")
		if err != nil {
			t.Fatal(err)
		}
		for _, stmt := range []string{"CREATE TABLE events (id int)", "CREATE USER 'helper'@'%' IDENTIFIED BY 'Helper-pw-123'", "GRANT SELECT ON audit.* TO 'helper'@'%'"} {
			if _, err := conn.ExecContext(ctx, stmt); err != nil {
				t.Errorf("admin: %s: %v", stmt, err)
			}
		}
		if _, err := conn.ExecContext(ctx, "SET GLOBAL max_connections = 200"); err == nil {
			t.Errorf("admin changed a global variable: on RDS no user has SUPER")
		}
		_ = conn.Close()
	})

	t.Run("RemovedUserLosesItsLoginNotItsData", func(t *testing.T) {
		reportingURI := string(secretData(t, ns, "shop.rds.reporting")["uri"])
		if err := update(ctx, db, func(s *v1.RDSDatabaseSpec) {
			delete(s.Users, "reporting")
			s.Databases["orders"] = v1.DatabaseUsers{"app"}
		}); err != nil {
			t.Fatal(err)
		}
		waitReady(t, db)
		if conn, err := mysqlLogin(ctx, t, reportingURI, "orders"); err == nil {
			_ = conn.Close()
			t.Errorf("the removed user still logs in")
		}
		conn, err := mysqlLogin(ctx, t, string(secretData(t, ns, "shop.rds.app")["uri"]), "orders")
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = conn.Close() }()
		var n int
		if err := conn.QueryRowContext(ctx, "SELECT COUNT(*) FROM items").Scan(&n); err != nil || n != 1 {
			t.Errorf("orders.items after removing a user: %d rows, %v; want 1", n, err)
		}
	})
}
