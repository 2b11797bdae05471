package emulator

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/matrixmind-cloud/aws-rds-operator/internal/mariaserver"
)

// pgLogin logs in to an instance's endpoint as the master over TLS.
func pgLogin(t *testing.T, c *rds.Client, id, password, database string) *pgx.Conn {
	t.Helper()
	ep := describe(t, c, id).Endpoint
	if ep == nil {
		t.Fatalf("instance %s has no endpoint", id)
	}
	ctx := context.Background()
	dsn := fmt.Sprintf("postgres://master:%s@%s/%s?sslmode=require", password,
		net.JoinHostPort(aws.ToString(ep.Address), fmt.Sprint(aws.ToInt32(ep.Port))), database)
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatalf("master login to %s: %v", id, err)
	}
	t.Cleanup(func() { _ = conn.Close(context.Background()) })
	return conn
}

// eventually polls read until it returns want, as replication is asynchronous.
func eventually(t *testing.T, what string, want string, read func() (string, error)) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	var got string
	var err error
	for time.Now().Before(deadline) {
		if got, err = read(); err == nil && got == want {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s: got %q (err %v), want %q", what, got, err, want)
}

func TestPostgresReadReplicaReplicates(t *testing.T) {
	if !havePostgres() {
		t.Skip("PostgreSQL server binaries (initdb) are not installed")
	}
	_, c := start(t, Config{})
	ctx := context.Background()
	in := createInput("pg-src")
	in.DBName = aws.String("shop")
	if _, err := c.CreateDBInstance(ctx, in); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, c, "pg-src", "available", 60*time.Second)
	primary := pgLogin(t, c, "pg-src", testPassword, "shop")
	for _, q := range []string{`CREATE TABLE orders (item text)`, `INSERT INTO orders VALUES ('before-the-replica')`} {
		if _, err := primary.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}

	createReplica(t, c, replicaInput("pg-ro", "pg-src"), 60*time.Second)
	replica := pgLogin(t, c, "pg-ro", testPassword, "shop")
	rows := func() (string, error) {
		var s string
		err := replica.QueryRow(ctx, `SELECT string_agg(item, ',' ORDER BY item) FROM orders`).Scan(&s)
		return s, err
	}
	eventually(t, "rows on the replica", "before-the-replica", rows)
	if _, err := primary.Exec(ctx, `INSERT INTO orders VALUES ('written-on-the-primary')`); err != nil {
		t.Fatal(err)
	}
	eventually(t, "a row written on the primary, read on the replica", "before-the-replica,written-on-the-primary", rows)

	_, err := replica.Exec(ctx, `INSERT INTO orders VALUES ('written-on-the-replica')`)
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != "25006" {
		t.Errorf("write on the replica: %v, want SQLSTATE 25006 (read-only transaction)", err)
	}

	// Deleting the source promotes the replica: it keeps its data and takes writes.
	if _, err := c.DeleteDBInstance(ctx, &rds.DeleteDBInstanceInput{DBInstanceIdentifier: aws.String("pg-src"), SkipFinalSnapshot: aws.Bool(true)}); err != nil {
		t.Fatal(err)
	}
	waitGone(t, c, "pg-src", 30*time.Second)
	eventually(t, "write on the promoted replica", "", func() (string, error) {
		_, err := replica.Exec(ctx, `INSERT INTO orders VALUES ('written-after-promotion')`)
		return "", err
	})
	if src := aws.ToString(describe(t, c, "pg-ro").ReadReplicaSourceDBInstanceIdentifier); src != "" {
		t.Errorf("promoted replica still names source %q", src)
	}
}

func TestMySQLReadReplicaReplicates(t *testing.T) {
	if err := mariaserver.Installed(); err != nil {
		t.Skipf("MariaDB is not installed: %v", err)
	}
	_, c := start(t, Config{})
	ctx := context.Background()
	if _, err := c.CreateDBInstance(ctx, mysqlInput("my-src")); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, c, "my-src", "available", 60*time.Second)
	primary, err := mysqlLogin(t, c, "my-src", "master", testPassword, "shop")
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"CREATE TABLE orders (item VARCHAR(64))", "INSERT INTO orders VALUES ('before-the-replica')"} {
		if _, err := primary.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}

	createReplica(t, c, replicaInput("my-ro", "my-src"), 60*time.Second)
	replica, err := mysqlLogin(t, c, "my-ro", "master", testPassword, "shop")
	if err != nil {
		t.Fatalf("master login to the replica with the source's password: %v", err)
	}
	rows := func() (string, error) {
		var s sql.NullString
		err := replica.QueryRow("SELECT GROUP_CONCAT(item ORDER BY item) FROM orders").Scan(&s)
		return s.String, err
	}
	eventually(t, "rows on the replica", "before-the-replica", rows)
	if _, err := primary.Exec("INSERT INTO orders VALUES ('written-on-the-primary')"); err != nil {
		t.Fatal(err)
	}
	eventually(t, "a row written on the primary, read on the replica", "before-the-replica,written-on-the-primary", rows)

	_, err = replica.Exec("INSERT INTO orders VALUES ('written-on-the-replica')")
	var me *mysql.MySQLError
	if !errors.As(err, &me) || me.Number != 1290 {
		t.Errorf("write on the replica: %v, want error 1290 (read_only)", err)
	}
}
