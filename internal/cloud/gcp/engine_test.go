package gcp

import (
	"database/sql"
	"fmt"
	"net"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5"

	"github.com/matrixmind-cloud/aws-rds-operator/internal/cloud"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/gcpemulator"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/mariaserver"
)

// engineDelays are short: the servers' own start-up is the wait.
var engineDelays = gcpemulator.Delays{Create: 10 * time.Millisecond, Update: 10 * time.Millisecond, Delete: 10 * time.Millisecond, Backup: 10 * time.Millisecond}

// serveEngines serves an emulator with real servers for t and returns a provider on it.
func serveEngines(t *testing.T) *Provider {
	t.Helper()
	serve(t, gcpemulator.Config{DataDir: t.TempDir(), Delays: engineDelays})
	return newProvider(t)
}

// makeMaster creates d through p, makes its master user with Update(MasterPassword) as the
// controller does once Observe reports Incomplete, and returns the instance as
// Observe then reports it.
func makeMaster(t *testing.T, p *Provider, d cloud.Desired) cloud.Instance {
	t.Helper()
	if err := p.Create(t.Context(), d); err != nil {
		t.Fatalf("Create: %v", err)
	}
	if in := waitAvailable(t, p, d.Identifier); !in.Incomplete || in.MasterUser != d.MasterUser {
		t.Fatalf("a new instance reports master user %q, pending %t; want %s, pending", in.MasterUser, in.Incomplete, d.MasterUser)
	}
	return setMaster(t, p, d.Identifier, d.MasterPassword)
}

// setMaster sends Update(MasterPassword) and waits until the master user is no longer
// pending.
func setMaster(t *testing.T, p *Provider, id, password string) cloud.Instance {
	t.Helper()
	if err := p.Update(t.Context(), id, cloud.Changes{MasterPassword: &password}, cloud.UpdateOptions{ApplyImmediately: true}); err != nil {
		t.Fatalf("Update(MasterPassword): %v", err)
	}
	var in cloud.Instance
	eventually(t, "the master user made", func() (bool, string) {
		in = waitAvailable(t, p, id)
		return !in.Incomplete, fmt.Sprintf("pending %t", in.Incomplete)
	})
	if ip := net.ParseIP(in.Endpoint); ip == nil || !ip.IsLoopback() || in.Endpoint == "127.0.0.1" {
		t.Errorf("endpoint %q: want the instance's own loopback address", in.Endpoint)
	}
	return in
}

// requirePostgres skips when this machine has no PostgreSQL server binaries.
func requirePostgres(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("initdb"); err != nil {
		if m, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb"); len(m) == 0 {
			t.Skip("no PostgreSQL server binaries (initdb) on this machine")
		}
	}
}

// pgConnect logs in to the instance's database db as user.
func pgConnect(t *testing.T, in cloud.Instance, user, password, db string) (*pgx.Conn, error) {
	t.Helper()
	return pgx.Connect(t.Context(), fmt.Sprintf("host=%s port=%d user=%s password=%s dbname=%s sslmode=require", in.Endpoint, in.Port, user, password, db))
}

func TestMasterUserOnPostgreSQL(t *testing.T) {
	requirePostgres(t)
	d := desiredCloudSQL("orders", map[string]string{"team": "payments"})
	in := makeMaster(t, serveEngines(t), d)
	if in.Port != 5432 {
		t.Errorf("port %d; want PostgreSQL's 5432", in.Port)
	}
	ctx := t.Context()
	conn, err := pgConnect(t, in, d.MasterUser, d.MasterPassword, "postgres")
	if err != nil {
		t.Fatalf("log in as the master user on %s:%d: %v", in.Endpoint, in.Port, err)
	}
	defer conn.Close(ctx)
	var super, member, createRole, createDB bool
	err = conn.QueryRow(ctx, `SELECT rolsuper, pg_has_role(current_user, $1, 'MEMBER'), rolcreaterole, rolcreatedb
		FROM pg_roles WHERE rolname = current_user`, in.AdminRole).Scan(&super, &member, &createRole, &createDB)
	if err != nil {
		t.Fatal(err)
	}
	if super || !member || !createRole || !createDB {
		t.Errorf("master user: superuser %t, member of %s %t, CREATEROLE %t, CREATEDB %t; want a member of %s with CREATEROLE and CREATEDB that is no superuser",
			super, in.AdminRole, member, createRole, createDB, in.AdminRole)
	}
}

func TestMasterUserOnMySQL(t *testing.T) {
	if err := mariaserver.Installed(); err != nil {
		t.Skipf("no MariaDB server on this machine: %v", err)
	}
	d := desiredCloudSQL("orders", nil)
	d.Engine, d.EngineVersion = "mysql", "8.0"
	in := makeMaster(t, serveEngines(t), d)
	if in.Port != 3306 || in.AdminRole != "" {
		t.Errorf("port %d, admin role %q; want MySQL's 3306 and no role", in.Port, in.AdminRole)
	}
	cfg := mysql.NewConfig()
	cfg.User, cfg.Passwd, cfg.Net, cfg.Addr = d.MasterUser, d.MasterPassword, "tcp", net.JoinHostPort(in.Endpoint, strconv.Itoa(int(in.Port)))
	connector, err := mysql.NewConnector(cfg)
	if err != nil {
		t.Fatal(err)
	}
	db := sql.OpenDB(connector)
	defer db.Close()
	rows, err := db.QueryContext(t.Context(), "SHOW GRANTS")
	if err != nil {
		t.Fatalf("log in as the master user on %s: %v", cfg.Addr, err)
	}
	defer rows.Close()
	var grants []string
	for rows.Next() {
		var g string
		if err := rows.Scan(&g); err != nil {
			t.Fatal(err)
		}
		grants = append(grants, g)
	}
	if all := strings.Join(grants, "\n"); strings.Contains(all, "SUPER") || !strings.Contains(all, "CREATE USER") {
		t.Errorf("master user's grants = %q; want root's privileges (CREATE USER) without SUPER", all)
	}
}

func TestRestoreFromSnapshotOnPostgreSQL(t *testing.T) {
	requirePostgres(t)
	p := serveEngines(t)
	ctx := t.Context()
	src := desiredCloudSQL("orders", map[string]string{"team": "payments"})
	in := makeMaster(t, p, src)
	conn, err := pgConnect(t, in, src.MasterUser, src.MasterPassword, "postgres")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, `CREATE DATABASE shop`); err != nil {
		t.Fatal(err)
	}
	conn.Close(ctx)
	if conn, err = pgConnect(t, in, src.MasterUser, src.MasterPassword, "shop"); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, `CREATE TABLE orders (id int); INSERT INTO orders VALUES (42)`); err != nil {
		t.Fatal(err)
	}
	conn.Close(ctx)
	if err := p.CreateSnapshot(ctx, "orders", "orders-snap", src.Tags); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the snapshot complete", func() (bool, string) {
		snap, found, err := p.Snapshot(ctx, "orders-snap")
		if err != nil {
			t.Fatal(err)
		}
		return found && snap.Available, snap.Status
	})

	copyOf := desiredCloudSQL("orders-copy", map[string]string{"team": "payments-copy"})
	copyOf.MasterPassword, copyOf.RestoreFromSnapshot = "Copy-Password-2", "orders-snap"
	if err := p.Create(ctx, copyOf); err != nil {
		t.Fatalf("Create from a snapshot: %v", err)
	}
	if err := p.Create(ctx, copyOf); err != nil {
		t.Errorf("Create from a snapshot retried = %v; want nil", err)
	}
	restored := waitAvailable(t, p, "orders-copy")
	if !restored.Incomplete || restored.Tags["team"] != "payments-copy" {
		t.Errorf("restored instance: master user pending %t, tags %v; want pending (the controller sets its password) and the Desired's tags", restored.Incomplete, restored.Tags)
	}
	// The master user came back from the backup with its source's password.
	if conn, err := pgConnect(t, restored, src.MasterUser, src.MasterPassword, "shop"); err != nil {
		t.Errorf("log in to the restored instance with the source's master password: %v", err)
	} else {
		conn.Close(ctx)
	}
	restored = setMaster(t, p, "orders-copy", copyOf.MasterPassword)
	conn, err = pgConnect(t, restored, copyOf.MasterUser, copyOf.MasterPassword, "shop")
	if err != nil {
		t.Fatalf("log in to the restored instance with the password the controller set: %v", err)
	}
	defer conn.Close(ctx)
	var id int
	if err := conn.QueryRow(ctx, `SELECT id FROM orders`).Scan(&id); err != nil || id != 42 {
		t.Errorf("SELECT id FROM orders on the restored instance = %d, %v; want the snapshot's 42", id, err)
	}
}
