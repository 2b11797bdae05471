package gcpemulator

import (
	"context"
	"database/sql"
	"fmt"
	"testing"

	"github.com/jackc/pgx/v5"
	sqladmin "google.golang.org/api/sqladmin/v1"

	"github.com/matrixmind-cloud/aws-rds-operator/internal/mariaserver"
)

// TestDatabaseFlagsOnPostgres: flags given at insert reach the server; a patch setting a
// flag that needs a restart restarts the server within its UPDATE operation; a dynamic one
// applies without; instances.restart restarts the server, keeping the flags.
func TestDatabaseFlagsOnPostgres(t *testing.T) {
	requirePostgres(t)
	t.Parallel()
	e := start(t, Config{})
	spec := pgInstance("pg")
	spec.Settings.DatabaseFlags = []*sqladmin.DatabaseFlags{{Name: "work_mem", Value: "8192"}, {Name: "max_connections", Value: "120"}}
	in := e.create(t, spec)
	ctx := context.Background()
	connect := func() *pgx.Conn {
		t.Helper()
		conn, err := pgx.Connect(ctx, fmt.Sprintf("host=%s port=5432 user=postgres password=root-Secret-1 dbname=postgres sslmode=require", primaryAddress(t, in)))
		if err != nil {
			t.Fatalf("log in: %v", err)
		}
		return conn
	}
	show := func(conn *pgx.Conn, q string) string {
		t.Helper()
		var v string
		if err := conn.QueryRow(ctx, q).Scan(&v); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		return v
	}
	conn := connect()
	if got := show(conn, `SHOW work_mem`) + " " + show(conn, `SHOW max_connections`); got != "8MB 120" {
		t.Errorf("flags given at insert: work_mem and max_connections %s; want 8MB 120", got)
	}
	started := show(conn, `SELECT pg_postmaster_start_time()::text`)

	patch := func(flags ...*sqladmin.DatabaseFlags) *sqladmin.Operation {
		t.Helper()
		op := e.wait(t)(e.svc.Instances.Patch(project, "pg", &sqladmin.DatabaseInstance{Settings: &sqladmin.Settings{DatabaseFlags: flags}}).Do())
		if op.Error != nil {
			t.Fatalf("patch failed: %+v", op.Error.Errors[0])
		}
		return op
	}
	patch(&sqladmin.DatabaseFlags{Name: "work_mem", Value: "16384"}, &sqladmin.DatabaseFlags{Name: "max_connections", Value: "120"})
	if got := show(conn, `SELECT pg_postmaster_start_time()::text`); got != started {
		t.Errorf("a dynamic flag restarted the server")
	}
	if got := show(connect(), `SHOW work_mem`); got != "16MB" {
		t.Errorf("work_mem after the patch: %s; want 16MB", got)
	}

	if op := patch(&sqladmin.DatabaseFlags{Name: "work_mem", Value: "16384"}, &sqladmin.DatabaseFlags{Name: "max_connections", Value: "150"}); op.OperationType != "UPDATE" {
		t.Errorf("a patch is an %s operation; want UPDATE", op.OperationType)
	}
	if err := conn.Ping(ctx); err == nil {
		t.Error("a session survived the restart a flag needs")
	}
	conn = connect()
	if got := show(conn, `SHOW max_connections`); got != "150" {
		t.Errorf("max_connections after the patch: %s; want 150", got)
	}
	if got := show(conn, `SELECT pg_postmaster_start_time()::text`); got == started {
		t.Error("a flag that needs a restart did not restart the server")
	} else {
		started = got
	}

	// Flags left out of the list go back to the engine's default.
	patch(&sqladmin.DatabaseFlags{Name: "max_connections", Value: "150"})
	if got := show(connect(), `SHOW work_mem`); got != "4MB" {
		t.Errorf("work_mem once its flag is removed: %s; want the default 4MB", got)
	}

	if op := e.wait(t)(e.svc.Instances.Restart(project, "pg").Do()); op.Error != nil || op.OperationType != "RESTART" {
		t.Fatalf("restart: %+v", op)
	}
	conn = connect()
	defer conn.Close(ctx)
	if got := show(conn, `SELECT pg_postmaster_start_time()::text`); got == started {
		t.Error("instances.restart did not restart the server")
	}
	if got := show(conn, `SHOW max_connections`); got != "150" {
		t.Errorf("max_connections after the restart: %s; want the flag's 150", got)
	}
}

// TestDatabaseFlagsOnMySQL: a MySQL flag applies to the MariaDB server without a restart,
// and instances.restart restarts it, keeping the flag.
func TestDatabaseFlagsOnMySQL(t *testing.T) {
	if err := mariaserver.Installed(); err != nil {
		t.Skipf("no MariaDB server on this machine: %v", err)
	}
	t.Parallel()
	e := start(t, Config{})
	spec := pgInstance("my")
	spec.DatabaseVersion = "MYSQL_8_0"
	in := e.create(t, spec)
	db, err := sql.Open("mysql", fmt.Sprintf("root:root-Secret-1@tcp(%s:3306)/", primaryAddress(t, in)))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	// One session held throughout: a restart ends it.
	held, err := db.Conn(ctx)
	if err != nil {
		t.Fatalf("log in: %v", err)
	}
	defer held.Close()
	op := e.wait(t)(e.svc.Instances.Patch(project, "my", &sqladmin.DatabaseInstance{Settings: &sqladmin.Settings{
		DatabaseFlags: []*sqladmin.DatabaseFlags{{Name: "max_connections", Value: "321"}}}}).Do())
	if op.Error != nil {
		t.Fatalf("patch failed: %+v", op.Error.Errors[0])
	}
	var max string
	if err := held.QueryRowContext(ctx, `SELECT @@GLOBAL.max_connections`).Scan(&max); err != nil || max != "321" {
		t.Errorf("max_connections after the patch, in a session from before it: %s, %v; want 321 without a restart", max, err)
	}

	if op := e.wait(t)(e.svc.Instances.Restart(project, "my").Do()); op.Error != nil {
		t.Fatalf("restart failed: %+v", op.Error.Errors[0])
	}
	if err := held.PingContext(ctx); err == nil {
		t.Error("a session survived instances.restart")
	}
	if err := db.QueryRowContext(ctx, `SELECT @@GLOBAL.max_connections`).Scan(&max); err != nil || max != "321" {
		t.Errorf("max_connections after the restart: %s, %v; want the flag's 321", max, err)
	}
}
