package e2e

import (
	"context"
	"database/sql"
	"net/url"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/matrixmind-cloud/aws-rds-operator/api/v1"
)

// mariadbLogin connects with nothing but a Secret's mariadb:// uri. MariaDB speaks MySQL's
// protocol, so past the scheme the uri is read as mysqlLogin reads a mysql:// one.
func mariadbLogin(ctx context.Context, t *testing.T, uri, database string) (*sql.DB, error) {
	t.Helper()
	u, err := url.Parse(uri)
	if err != nil {
		return nil, err
	}
	if u.Scheme != "mariadb" {
		t.Fatalf("uri %s://...: want mariadb://", u.Scheme)
	}
	u.Scheme = "mysql"
	return mysqlLogin(ctx, t, u.String(), database)
}

// TestAdmissionMariaDB proves mariadb is a type of its own: accepted with MariaDB's versions,
// refused with others, never reached from mysql by an edit, and with two-part majors.
func TestAdmissionMariaDB(t *testing.T) {
	ctx := context.Background()
	ns := namespace(t, "admission-mariadb")

	creates := map[string]struct {
		reason  string
		mutate  func(*v1.RDSDatabaseSpec)
		wantMsg string // "" when the spec is accepted
	}{
		"Accepted":         {reason: "mariadb is a type the operator serves.", mutate: func(s *v1.RDSDatabaseSpec) {}},
		"FullVersion":      {reason: "A full MariaDB version is major.minor.patch.", mutate: func(s *v1.RDSDatabaseSpec) { s.Version = "10.11.10" }},
		"BareMajor":        {reason: "MariaDB's majors have two parts: a bare 10 names none.", mutate: func(s *v1.RDSDatabaseSpec) { s.Version = "10" }, wantMsg: "a MariaDB version is major.minor"},
		"AuroraVersion":    {reason: "An Aurora MySQL version is not a MariaDB one.", mutate: func(s *v1.RDSDatabaseSpec) { s.Version = "8.0.mysql_aurora.3.08.0" }, wantMsg: "only Aurora MySQL versions contain mysql_aurora"},
		"ReservedDatabase": {reason: "The mysql schema is MariaDB's own.", mutate: func(s *v1.RDSDatabaseSpec) { s.Databases = map[string]v1.DatabaseUsers{"mysql": {}} }, wantMsg: "reserved by MariaDB"},
		"UserTooLong": {reason: "User names are kept to the 32 characters the MySQL connector manages.", mutate: func(s *v1.RDSDatabaseSpec) {
			s.Users = map[string]v1.UserRoles{strings.Repeat("u", 33): {}}
		}, wantMsg: "MariaDB user names may have at most 32 characters"},
	}
	for name, tc := range creates {
		t.Run("Create"+name, func(t *testing.T) {
			db := &v1.RDSDatabase{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "maria-" + strings.ToLower(name)},
				Spec: v1.RDSDatabaseSpec{Type: v1.TypeMariaDB}}
			tc.mutate(&db.Spec)
			err := stack.Client.Create(ctx, db, client.DryRunAll)
			switch {
			case tc.wantMsg == "" && err != nil:
				t.Errorf("%s\ncreate refused: %v", tc.reason, err)
			case tc.wantMsg != "" && (err == nil || !strings.Contains(err.Error(), tc.wantMsg)):
				t.Errorf("%s\ncreate error = %v, want it to say %q", tc.reason, err, tc.wantMsg)
			}
		})
	}

	// Updates are checked against stored objects, which no operator acts on before the
	// apiserver has judged them; DeletionDelete lets them go without a snapshot.
	mysqlDB := &v1.RDSDatabase{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "was-mysql"},
		Spec: v1.RDSDatabaseSpec{Type: v1.TypeMySQL, Version: "8.0", DeletionPolicy: v1.DeletionDelete}}
	mariaDB := &v1.RDSDatabase{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "maria-rules"},
		Spec: v1.RDSDatabaseSpec{Type: v1.TypeMariaDB, Version: "10.11.10", DeletionPolicy: v1.DeletionDelete}}
	for _, db := range []*v1.RDSDatabase{mysqlDB, mariaDB} {
		if err := stack.Client.Create(ctx, db); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = stack.Client.Delete(ctx, db) })
	}
	updates := []struct {
		name    string
		reason  string
		db      *v1.RDSDatabase
		mutate  func(*v1.RDSDatabaseSpec)
		wantMsg string
	}{
		{"MySQLToMariaDB", "RDS cannot turn a MySQL instance into a MariaDB one: the engine is chosen once.", mysqlDB,
			func(s *v1.RDSDatabaseSpec) { s.Type = v1.TypeMariaDB; s.Version = "10.11" }, "type cannot be changed after creation"},
		{"MariaDBToMySQL", "Nor the other way round.", mariaDB,
			func(s *v1.RDSDatabaseSpec) { s.Type = v1.TypeMySQL; s.Version = "8.0" }, "type cannot be changed after creation"},
		{"MajorUpgradeWithoutFlag", "10.11 to 11.4 is a major upgrade: the second part counts.", mariaDB,
			func(s *v1.RDSDatabaseSpec) { s.Version = "11.4" }, "needs allowMajorVersionUpgrade: true"},
		{"Downgrade", "10.11 to 10.6 lowers the second part of the major.", mariaDB,
			func(s *v1.RDSDatabaseSpec) { s.Version = "10.6"; s.AllowMajorVersionUpgrade = true }, "version cannot be lowered"},
		{"MinorUpgrade", "A minor upgrade needs no flag.", mariaDB,
			func(s *v1.RDSDatabaseSpec) { s.Version = "10.11.11" }, ""},
		{"MajorUpgradeWithFlag", "With the flag, 11.4 is accepted.", mariaDB,
			func(s *v1.RDSDatabaseSpec) { s.Version = "11.4"; s.AllowMajorVersionUpgrade = true }, ""},
	}
	for _, tc := range updates { // in order: the last ones change the stored object
		t.Run("Update"+tc.name, func(t *testing.T) {
			err := update(ctx, tc.db, tc.mutate)
			switch {
			case tc.wantMsg == "" && err != nil:
				t.Errorf("%s\nupdate refused: %v", tc.reason, err)
			case tc.wantMsg != "" && (err == nil || !strings.Contains(err.Error(), tc.wantMsg)):
				t.Errorf("%s\nupdate error = %v, want it to say %q", tc.reason, err, tc.wantMsg)
			}
		})
	}
}

// TestMariaDBUserStory is the user's story on RDS for MariaDB: apply, wait for Ready, and
// log in as every user with nothing but its Secret, which speaks MariaDB's schemes.
func TestMariaDBUserStory(t *testing.T) {
	ctx := context.Background()
	ns := namespace(t, "mariadb")
	db := &v1.RDSDatabase{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "shop"}}
	db.Spec = v1.RDSDatabaseSpec{
		Type: v1.TypeMariaDB, Size: "20GB", MasterUser: "sysadmin",
		Users: map[string]v1.UserRoles{"app": {v1.RoleCreateDB}, "reporting": {v1.RoleReadOnly}},
		Databases: map[string]v1.DatabaseUsers{
			"orders": {"app", "reporting"},
		},
		DeletionPolicy: v1.DeletionDelete,
	}
	if err := stack.Client.Create(ctx, db); err != nil {
		t.Fatalf("apply: %v", err)
	}
	t.Cleanup(func() { _ = stack.Client.Delete(ctx, db) })
	got := waitReady(t, db)

	t.Run("StatusMirrorsAMariaDB", func(t *testing.T) {
		c := got.Status.Cloud
		if c == nil || c.Engine != "mariadb" || c.EngineVersion != "10.11" && !strings.HasPrefix(c.EngineVersion, "10.11.") {
			t.Fatalf("status.cloud = %+v, want engine mariadb at 10.11 (the default) or one of its releases", c)
		}
		conn, err := mariadbLogin(ctx, t, string(secretData(t, ns, "shop.rds.master")["uri"]), "")
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = conn.Close() }()
		var version string
		if err := conn.QueryRowContext(ctx, "SELECT VERSION()").Scan(&version); err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(version, "10.11.") || !strings.Contains(version, "MariaDB") {
			t.Errorf("the server runs %q, want a MariaDB 10.11 release", version)
		}
	})

	t.Run("ServiceHasTheMariaDBPort", func(t *testing.T) {
		svc := &corev1.Service{}
		if err := stack.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: "shop-rds"}, svc); err != nil {
			t.Fatal(err)
		}
		if len(svc.Spec.Ports) != 1 || svc.Spec.Ports[0].Name != "mariadb" || svc.Spec.Ports[0].Port != got.Status.Cloud.Port {
			t.Errorf("service ports = %+v, want one named mariadb on port %d", svc.Spec.Ports, got.Status.Cloud.Port)
		}
	})

	t.Run("EveryUserLogsInWithOnlyItsSecret", func(t *testing.T) {
		// mariadbLogin refuses a uri that is not mariadb://.
		everyUserLogsIn(ctx, t, ns, []string{"shop.rds.master", "shop.rds.app", "shop.rds.reporting"}, "jdbc:mariadb://", mariadbLogin)
	})

	t.Run("UsersCanDoWhatTheirRolesSay", func(t *testing.T) {
		app, err := mariadbLogin(ctx, t, string(secretData(t, ns, "shop.rds.app")["uri"]), "orders")
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = app.Close() }()
		for _, stmt := range []string{"CREATE TABLE items (id int)", "INSERT INTO items VALUES (1)"} {
			if _, err := app.ExecContext(ctx, stmt); err != nil {
				t.Errorf("app: %s: %v", stmt, err)
			}
		}
		reporting, err := mariadbLogin(ctx, t, string(secretData(t, ns, "shop.rds.reporting")["uri"]), "orders")
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = reporting.Close() }()
		var n int
		if err := reporting.QueryRowContext(ctx, "SELECT COUNT(*) FROM items").Scan(&n); err != nil || n != 1 {
			t.Errorf("reporting (readonly) read items: %d, %v; want 1", n, err)
		}
		if _, err := reporting.ExecContext(ctx, "INSERT INTO items VALUES (2)"); mysqlErrNumber(err) != 1142 {
			t.Errorf("reporting (readonly) wrote a row: %v; want error 1142", err)
		}
	})
}
