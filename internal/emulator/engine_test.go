package emulator

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/jackc/pgx/v5"
)

// havePostgres reports whether PostgreSQL server binaries are installed.
func havePostgres() bool {
	if m, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb"); len(m) > 0 {
		return true
	}
	_, err := exec.LookPath("initdb")
	return err == nil
}

func TestRealEngine(t *testing.T) {
	if !havePostgres() {
		t.Skip("PostgreSQL server binaries (initdb) are not installed")
	}
	dataDir := t.TempDir()
	e, c := start(t, Config{DataDir: dataDir, Delays: Delays{Create: 100 * time.Millisecond, BackingUp: 100 * time.Millisecond, Modify: 100 * time.Millisecond, Delete: 100 * time.Millisecond}})
	ctx := context.Background()

	in := createInput("real-pg")
	in.DBName = aws.String("shop")
	if _, err := c.CreateDBInstance(ctx, in); err != nil {
		t.Fatalf("CreateDBInstance: %v", err)
	}
	waitStatus(t, c, "real-pg", "available", 60*time.Second)
	ep := describe(t, c, "real-pg").Endpoint
	if ep == nil {
		t.Fatal("available instance has no Endpoint")
	}

	connect := func(password string) (*pgx.Conn, error) {
		dsn := fmt.Sprintf("host=%s port=%d user=master password=%s dbname=shop sslmode=require", aws.ToString(ep.Address), aws.ToInt32(ep.Port), password)
		return pgx.Connect(ctx, dsn)
	}
	conn, err := connect(testPassword)
	if err != nil {
		t.Fatalf("master login over TLS: %v", err)
	}
	var super bool
	if err := conn.QueryRow(ctx, `SELECT rolsuper FROM pg_roles WHERE rolname = current_user`).Scan(&super); err != nil || super {
		t.Errorf("master rolsuper = %v (err %v), want false", super, err)
	}
	for _, q := range []string{`CREATE TABLE invoices (n text)`, `INSERT INTO invoices VALUES ('invoice-row-9001')`} {
		if _, err := conn.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	conn.Close(ctx)

	const newPassword = "Another-Passw0rd"
	if _, err := c.ModifyDBInstance(ctx, &rds.ModifyDBInstanceInput{DBInstanceIdentifier: aws.String("real-pg"), MasterUserPassword: aws.String(newPassword)}); err != nil {
		t.Fatalf("ModifyDBInstance password: %v", err)
	}
	if conn, err := connect(newPassword); err != nil {
		t.Errorf("login with the new password: %v", err)
	} else {
		conn.Close(ctx)
	}

	if _, err := c.DeleteDBInstance(ctx, &rds.DeleteDBInstanceInput{DBInstanceIdentifier: aws.String("real-pg"), FinalDBSnapshotIdentifier: aws.String("real-pg-final")}); err != nil {
		t.Fatalf("DeleteDBInstance: %v", err)
	}
	waitGone(t, c, "real-pg", 30*time.Second)
	file, ok := e.SnapshotFile("real-pg-final")
	if !ok {
		t.Fatal("final snapshot has no data file")
	}
	backupHas(t, file, "invoices", "invoice-row-9001")
	if _, err := os.Stat(filepath.Join(dataDir, "instances", "real-pg")); !os.IsNotExist(err) {
		t.Errorf("instance data directory still there after delete (stat err %v)", err)
	}
}
