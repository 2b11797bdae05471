package emulator

import (
	"context"
	"database/sql"
	"fmt"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5"

	"github.com/matrixmind-cloud/aws-rds-operator/internal/mariaserver"
)

// pgConnect logs in as the master at host:port.
func pgConnect(host string, port int32, password, database string) (*pgx.Conn, error) {
	dsn := fmt.Sprintf("postgres://master:%s@%s/%s?sslmode=require", password, net.JoinHostPort(host, fmt.Sprint(port)), database)
	return pgx.Connect(context.Background(), dsn)
}

func TestAuroraPostgresWithEngine(t *testing.T) {
	if !havePostgres() {
		t.Skip("PostgreSQL server binaries (initdb) are not installed")
	}
	e, c := start(t, Config{})
	ctx := context.Background()
	in := clusterInput("ledger", "aurora-postgresql")
	in.DatabaseName = aws.String("ledger")
	if _, err := c.CreateDBCluster(ctx, in); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"ledger-1", "ledger-2"} {
		if _, err := c.CreateDBInstance(ctx, clusterInstanceInput(id, "ledger", "aurora-postgresql")); err != nil {
			t.Fatal(err)
		}
	}
	waitClusterStatus(t, c, "ledger", "available", 60*time.Second)
	waitStatus(t, c, "ledger-1", "available", 60*time.Second)
	waitStatus(t, c, "ledger-2", "available", 60*time.Second)
	cl := describeCluster(t, c, "ledger")
	port := aws.ToInt32(cl.Port)

	writer, err := pgConnect(aws.ToString(cl.Endpoint), port, testPassword, "ledger")
	if err != nil {
		t.Fatalf("master login at the cluster endpoint: %v", err)
	}
	defer writer.Close(ctx)
	for _, q := range []string{`CREATE TABLE entries (n text)`, `INSERT INTO entries VALUES ('entry-written-at-the-writer')`} {
		if _, err := writer.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	// The reader endpoint and every instance's endpoint reach the cluster's volume.
	hosts := map[string]struct {
		host string
		port int32
	}{"reader endpoint": {aws.ToString(cl.ReaderEndpoint), port}}
	for _, id := range []string{"ledger-1", "ledger-2"} {
		ep := describe(t, c, id).Endpoint
		hosts[id] = struct {
			host string
			port int32
		}{aws.ToString(ep.Address), aws.ToInt32(ep.Port)}
	}
	for name, h := range hosts {
		conn, err := pgConnect(h.host, h.port, testPassword, "ledger")
		if err != nil {
			t.Errorf("master login at %s: %v", name, err)
			continue
		}
		var got string
		if err := conn.QueryRow(ctx, `SELECT n FROM entries`).Scan(&got); err != nil || got != "entry-written-at-the-writer" {
			t.Errorf("read at %s: %q (err %v)", name, got, err)
		}
		conn.Close(ctx)
	}

	const newPassword = "N3w-cluster-pass"
	if _, err := c.ModifyDBCluster(ctx, &rds.ModifyDBClusterInput{DBClusterIdentifier: aws.String("ledger"), MasterUserPassword: aws.String(newPassword)}); err != nil {
		t.Fatal(err)
	}
	if conn, err := pgConnect(aws.ToString(cl.Endpoint), port, newPassword, "ledger"); err != nil {
		t.Errorf("login with the cluster's new master password: %v", err)
	} else {
		conn.Close(ctx)
	}

	for _, id := range []string{"ledger-1", "ledger-2"} {
		if _, err := c.DeleteDBInstance(ctx, &rds.DeleteDBInstanceInput{DBInstanceIdentifier: aws.String(id)}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.DeleteDBCluster(ctx, &rds.DeleteDBClusterInput{DBClusterIdentifier: aws.String("ledger"), FinalDBSnapshotIdentifier: aws.String("ledger-final")}); err != nil {
		t.Fatal(err)
	}
	waitClusterGone(t, c, "ledger", 30*time.Second)
	file, ok := e.ClusterSnapshotFile("ledger-final")
	if !ok {
		t.Fatal("final cluster snapshot has no dump")
	}
	backupHas(t, file, "entry-written-at-the-writer")
	if conn, err := pgConnect(aws.ToString(cl.Endpoint), port, newPassword, "ledger"); err == nil {
		conn.Close(ctx)
		t.Errorf("the deleted cluster's server still answers")
	}

	// A cluster restored from the final snapshot has the data and the password the
	// snapshot was taken with.
	if _, err := c.RestoreDBClusterFromSnapshot(ctx, &rds.RestoreDBClusterFromSnapshotInput{
		DBClusterIdentifier: aws.String("ledger-copy"), SnapshotIdentifier: aws.String("ledger-final"), Engine: aws.String("aurora-postgresql"),
	}); err != nil {
		t.Fatal(err)
	}
	waitClusterStatus(t, c, "ledger-copy", "available", 60*time.Second)
	cp := describeCluster(t, c, "ledger-copy")
	conn, err := pgConnect(aws.ToString(cp.Endpoint), aws.ToInt32(cp.Port), newPassword, "ledger")
	if err != nil {
		t.Fatalf("login to the restored cluster: %v", err)
	}
	defer conn.Close(ctx)
	var got string
	if err := conn.QueryRow(ctx, `SELECT n FROM entries`).Scan(&got); err != nil || got != "entry-written-at-the-writer" {
		t.Errorf("restored cluster's row: %q (err %v)", got, err)
	}
}

func TestAuroraMySQLWithEngine(t *testing.T) {
	if err := mariaserver.Installed(); err != nil {
		t.Skipf("MariaDB is not installed: %v", err)
	}
	_, c := start(t, Config{})
	ctx := context.Background()
	in := clusterInput("shop", "aurora-mysql")
	in.DatabaseName = aws.String("shop")
	if _, err := c.CreateDBCluster(ctx, in); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateDBInstance(ctx, clusterInstanceInput("shop-1", "shop", "aurora-mysql")); err != nil {
		t.Fatal(err)
	}
	waitClusterStatus(t, c, "shop", "available", 60*time.Second)
	waitStatus(t, c, "shop-1", "available", 60*time.Second)
	cl := describeCluster(t, c, "shop")
	for _, host := range []string{aws.ToString(cl.Endpoint), aws.ToString(cl.ReaderEndpoint)} {
		cfg := mysql.NewConfig()
		cfg.User, cfg.Passwd, cfg.DBName = "master", testPassword, "shop"
		cfg.Net, cfg.Addr = "tcp", net.JoinHostPort(host, strconv.Itoa(int(aws.ToInt32(cl.Port))))
		cfg.TLSConfig = "skip-verify"
		connector, err := mysql.NewConnector(cfg)
		if err != nil {
			t.Fatal(err)
		}
		db := sql.OpenDB(connector)
		if _, err := db.Exec("CREATE TABLE IF NOT EXISTS orders (item VARCHAR(64))"); err != nil {
			t.Errorf("master writes at %s: %v", host, err)
		}
		db.Close()
	}
}
