package gcpemulator

import (
	"context"
	"database/sql"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	sqladmin "google.golang.org/api/sqladmin/v1"

	"github.com/matrixmind-cloud/aws-rds-operator/internal/mariaserver"
)

func TestPostgresReplica(t *testing.T) {
	requirePostgres(t)
	t.Parallel()
	e := start(t, Config{})
	primary := e.create(t, replicable("pg"))
	replica := e.create(t, replicaOf("pg-r", "pg", "POSTGRES_17"))
	// Made on the primary after the replica: streamed to it, not copied at its start.
	if op := e.wait(t)(e.svc.Databases.Insert(project, "pg", &sqladmin.Database{Name: "shop"}).Do()); op.Error != nil {
		t.Fatalf("databases.insert failed: %+v", op.Error.Errors[0])
	}
	ctx := context.Background()
	connect := func(in *sqladmin.DatabaseInstance) (*pgx.Conn, error) {
		// The replica's postgres has the primary's password: it is a physical copy.
		conn, err := pgx.Connect(ctx, fmt.Sprintf("host=%s port=5432 user=postgres password=root-Secret-1 dbname=shop sslmode=require", primaryAddress(t, in)))
		if err == nil {
			t.Cleanup(func() { conn.Close(ctx) })
		}
		return conn, err
	}
	onPrimary, err := connect(primary)
	if err != nil {
		t.Fatalf("log in to the primary: %v", err)
	}
	if _, err := onPrimary.Exec(ctx, `CREATE TABLE orders (id int); INSERT INTO orders VALUES (42)`); err != nil {
		t.Fatal(err)
	}
	var onReplica *pgx.Conn
	eventually(t, 10*time.Second, func() bool {
		if onReplica == nil {
			if onReplica, err = connect(replica); err != nil {
				return false
			}
		}
		var id int
		return onReplica.QueryRow(ctx, `SELECT id FROM orders`).Scan(&id) == nil && id == 42
	})
	if _, err := onReplica.Exec(ctx, `INSERT INTO orders VALUES (1)`); err == nil {
		t.Error("a write on the replica succeeded; want it refused (a hot standby is read-only)")
	}
}

func TestMySQLReplica(t *testing.T) {
	if err := mariaserver.Installed(); err != nil {
		t.Skipf("no MariaDB server on this machine: %v", err)
	}
	t.Parallel()
	e := start(t, Config{})
	spec := replicable("my")
	spec.DatabaseVersion = "MYSQL_8_0"
	spec.Settings.BackupConfiguration.BinaryLogEnabled = true
	primary := e.create(t, spec)
	if op := e.wait(t)(e.svc.Users.Insert(project, "my", &sqladmin.User{Name: "app", Password: "app-pw"}).Do()); op.Error != nil {
		t.Fatalf("users.insert failed: %+v", op.Error.Errors[0])
	}
	replica := e.create(t, replicaOf("my-r", "my", "MYSQL_8_0"))
	open := func(in *sqladmin.DatabaseInstance) *sql.DB {
		t.Helper()
		db, err := sql.Open("mysql", fmt.Sprintf("app:app-pw@tcp(%s:3306)/", primaryAddress(t, in)))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	}
	onPrimary, onReplica := open(primary), open(replica)
	for _, q := range []string{`CREATE DATABASE shop`, `CREATE TABLE shop.orders (id int)`, `INSERT INTO shop.orders VALUES (42)`} {
		if _, err := onPrimary.Exec(q); err != nil {
			t.Fatalf("%s on the primary: %v", q, err)
		}
	}
	eventually(t, 10*time.Second, func() bool {
		var id int
		return onReplica.QueryRow(`SELECT id FROM shop.orders`).Scan(&id) == nil && id == 42
	})
	if _, err := onReplica.Exec(`INSERT INTO shop.orders VALUES (1)`); err == nil {
		t.Error("a write on the replica succeeded; want it refused (read_only)")
	}
}
