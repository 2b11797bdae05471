package gcpemulator

import (
	"context"
	"database/sql"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	_ "github.com/go-sql-driver/mysql"
	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"
	"google.golang.org/api/googleapi"
	sqladmin "google.golang.org/api/sqladmin/v1"

	"github.com/matrixmind-cloud/aws-rds-operator/internal/mariaserver"
)

// requirePostgres skips when this machine has no PostgreSQL server binaries.
func requirePostgres(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("initdb"); err != nil {
		if m, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb"); len(m) == 0 {
			t.Skip("no PostgreSQL server binaries (initdb) on this machine")
		}
	}
}

func TestPostgresBackedInstance(t *testing.T) {
	requirePostgres(t)
	t.Parallel()
	e := start(t, Config{})
	in := e.create(t, pgInstance("pg"))
	ctx := context.Background()
	connect := func(user, password, db string) (*pgx.Conn, error) {
		return pgx.Connect(ctx, fmt.Sprintf("host=%s port=5432 user=%s password=%s dbname=%s sslmode=require",
			primaryAddress(t, in), user, password, db))
	}
	conn, err := connect("postgres", "root-Secret-1", "postgres")
	if err != nil {
		t.Fatalf("log in as postgres with rootPassword: %v", err)
	}
	defer conn.Close(ctx)

	type role struct{ Super, CreateDB, CreateRole, Member bool }
	roleOf := func(name string) role {
		var r role
		err := conn.QueryRow(ctx, `SELECT rolsuper, rolcreatedb, rolcreaterole, pg_has_role($1, 'cloudsqlsuperuser', 'MEMBER')
			FROM pg_roles WHERE rolname = $1`, name).Scan(&r.Super, &r.CreateDB, &r.CreateRole, &r.Member)
		if err != nil {
			t.Fatalf("role %s: %v", name, err)
		}
		return r
	}
	if diff := cmp.Diff(role{Super: false, CreateDB: true, CreateRole: true, Member: true}, roleOf("postgres")); diff != "" {
		t.Errorf("postgres is a cloudsqlsuperuser member with CREATEDB and CREATEROLE, not a superuser (-want +got):\n%s", diff)
	}
	for _, q := range []string{`CREATE DATABASE made_by_postgres`, `CREATE ROLE made_by_postgres LOGIN`} {
		if _, err := conn.Exec(ctx, q); err != nil {
			t.Errorf("postgres cannot %s: %v", q, err)
		}
	}

	for _, call := range []func(...googleapi.CallOption) (*sqladmin.Operation, error){
		e.svc.Users.Insert(project, "pg", &sqladmin.User{Name: "app", Password: "app-pw"}).Do,
		e.svc.Databases.Insert(project, "pg", &sqladmin.Database{Name: "appdb"}).Do,
	} {
		if op := e.wait(t)(call()); op.Error != nil {
			t.Fatalf("%s failed: %+v", op.OperationType, op.Error.Errors[0])
		}
	}
	if diff := cmp.Diff(role{Super: false, CreateDB: true, CreateRole: true, Member: true}, roleOf("app")); diff != "" {
		t.Errorf("users.insert makes a cloudsqlsuperuser member (-want +got):\n%s", diff)
	}
	app, err := connect("app", "app-pw", "appdb")
	if err != nil {
		t.Fatalf("log in as the user users.insert made, to the database databases.insert made: %v", err)
	}
	if _, err := app.Exec(ctx, `CREATE TABLE t (v int); INSERT INTO t VALUES (1)`); err != nil {
		t.Fatalf("app cannot write its database: %v", err)
	}
	app.Close(ctx)

	// A backup, a change, then a restore brings the backed-up data back.
	if op := e.wait(t)(e.svc.BackupRuns.Insert(project, "pg", &sqladmin.BackupRun{}).Do()); op.Error != nil {
		t.Fatalf("backup failed: %+v", op.Error.Errors[0])
	}
	runs, err := e.svc.BackupRuns.List(project, "pg").Do()
	if err != nil {
		t.Fatal(err)
	}
	if op := e.wait(t)(e.svc.Databases.Delete(project, "pg", "appdb").Do()); op.Error != nil {
		t.Fatalf("databases.delete failed: %+v", op.Error.Errors[0])
	}
	conn.Close(ctx)
	restore := &sqladmin.InstancesRestoreBackupRequest{RestoreBackupContext: &sqladmin.RestoreBackupContext{BackupRunId: runs.Items[0].Id, InstanceId: "pg"}}
	if op := e.wait(t)(e.svc.Instances.RestoreBackup(project, "pg", restore).Do()); op.Error != nil {
		t.Fatalf("restore failed: %+v", op.Error.Errors[0])
	}
	app, err = connect("app", "app-pw", "appdb")
	if err != nil {
		t.Fatalf("after the restore, log in as app to appdb: %v", err)
	}
	defer app.Close(ctx)
	var v int
	if err := app.QueryRow(ctx, `SELECT v FROM t`).Scan(&v); err != nil || v != 1 {
		t.Errorf("after the restore, SELECT v FROM t = %d, %v; want 1", v, err)
	}
}

func TestMySQLBackedInstance(t *testing.T) {
	if err := mariaserver.Installed(); err != nil {
		t.Skipf("no MariaDB server on this machine: %v", err)
	}
	t.Parallel()
	e := start(t, Config{})
	spec := pgInstance("my")
	spec.DatabaseVersion = "MYSQL_8_0"
	in := e.create(t, spec)
	if op := e.wait(t)(e.svc.Users.Insert(project, "my", &sqladmin.User{Name: "app", Password: "app-pw"}).Do()); op.Error != nil {
		t.Fatalf("users.insert failed: %+v", op.Error.Errors[0])
	}
	for _, login := range []struct{ user, password string }{{"root", "root-Secret-1"}, {"app", "app-pw"}} {
		db, err := sql.Open("mysql", fmt.Sprintf("%s:%s@tcp(%s:3306)/", login.user, login.password, primaryAddress(t, in)))
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		var grants []string
		rows, err := db.Query("SHOW GRANTS")
		if err != nil {
			t.Fatalf("log in as %s: %v", login.user, err)
		}
		for rows.Next() {
			var g string
			_ = rows.Scan(&g)
			grants = append(grants, g)
		}
		rows.Close()
		all := strings.Join(grants, "\n")
		if strings.Contains(all, "SUPER") || strings.Contains(all, "ALL PRIVILEGES ON *.*") || !strings.Contains(all, "CREATE USER") {
			t.Errorf("%s's grants = %q, want root's privileges without SUPER", login.user, all)
		}
	}
}
