package emulator

import (
	"context"
	"database/sql"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/go-sql-driver/mysql"
	"github.com/google/go-cmp/cmp"

	"github.com/matrixmind-cloud/aws-rds-operator/internal/mariaserver"
)

// mysqlInput is a valid CreateDBInstance request for a MySQL instance.
func mysqlInput(id string) *rds.CreateDBInstanceInput {
	in := createInput(id)
	in.Engine = aws.String("mysql")
	in.EngineVersion = aws.String("8.0")
	in.DBName = aws.String("shop")
	in.BackupRetentionPeriod = aws.Int32(1)
	return in
}

// mysqlLogin logs in to an instance's endpoint over TLS with the driver applications use.
func mysqlLogin(t *testing.T, c *rds.Client, id, user, password, database string) (*sql.DB, error) {
	t.Helper()
	ep := describe(t, c, id).Endpoint
	if ep == nil {
		t.Fatalf("instance %s has no endpoint", id)
	}
	cfg := mysql.NewConfig()
	cfg.User, cfg.Passwd, cfg.DBName = user, password, database
	cfg.Net = "tcp"
	cfg.Addr = net.JoinHostPort(aws.ToString(ep.Address), strconv.Itoa(int(aws.ToInt32(ep.Port))))
	cfg.TLSConfig = "skip-verify"
	cfg.Timeout = 10 * time.Second
	conn, err := mysql.NewConnector(cfg)
	if err != nil {
		t.Fatal(err)
	}
	db := sql.OpenDB(conn)
	if err := db.Ping(); err != nil {
		db.Close()
		return nil, err
	}
	t.Cleanup(func() { db.Close() })
	return db, nil
}

func TestMySQLInstanceWithEngine(t *testing.T) {
	if err := mariaserver.Installed(); err != nil {
		t.Skipf("MariaDB is not installed: %v", err)
	}
	dataDir := t.TempDir()
	e, c := start(t, Config{DataDir: dataDir})
	ctx := context.Background()

	if _, err := c.CreateDBInstance(ctx, mysqlInput("shop-mysql")); err != nil {
		t.Fatalf("CreateDBInstance: %v", err)
	}
	waitStatus(t, c, "shop-mysql", "available", 60*time.Second)
	got := describe(t, c, "shop-mysql")
	if diff := cmp.Diff([]string{"mysql", "8.0"}, []string{aws.ToString(got.Engine), aws.ToString(got.EngineVersion)}); diff != "" {
		t.Errorf("engine and the version asked for: -want +got:\n%s", diff)
	}

	master, err := mysqlLogin(t, c, "shop-mysql", "master", testPassword, "shop")
	if err != nil {
		t.Fatalf("master login to DBName over TLS: %v", err)
	}
	var supers int
	if err := master.QueryRow("SELECT COUNT(*) FROM information_schema.USER_PRIVILEGES WHERE GRANTEE = '''master''@''%''' AND PRIVILEGE_TYPE = 'SUPER'").Scan(&supers); err != nil || supers != 0 {
		t.Errorf("master holds SUPER (%d, %v); RDS's master does not", supers, err)
	}
	for _, q := range []string{
		"CREATE TABLE invoices (n varchar(40))",
		"INSERT INTO invoices VALUES ('invoice-row-9001')",
		"CREATE USER 'app'@'%' IDENTIFIED BY 'app-Passw0rd'",
		"GRANT SELECT ON shop.* TO 'app'@'%'",
	} {
		if _, err := master.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	master.Close()

	t.Run("MasterPasswordChange", func(t *testing.T) {
		const newPassword = "Another-Passw0rd"
		if _, err := c.ModifyDBInstance(ctx, &rds.ModifyDBInstanceInput{DBInstanceIdentifier: aws.String("shop-mysql"), MasterUserPassword: aws.String(newPassword)}); err != nil {
			t.Fatalf("ModifyDBInstance password: %v", err)
		}
		if _, err := mysqlLogin(t, c, "shop-mysql", "master", newPassword, "shop"); err != nil {
			t.Errorf("login with the new password: %v", err)
		}
		var me *mysql.MySQLError
		if _, err := mysqlLogin(t, c, "shop-mysql", "master", testPassword, "shop"); !errors.As(err, &me) || me.Number != 1045 {
			t.Errorf("login with the old password: got %v, want refused (1045)", err)
		}
	})

	t.Run("SnapshotAndRestore", func(t *testing.T) {
		if _, err := c.CreateDBSnapshot(ctx, &rds.CreateDBSnapshotInput{DBInstanceIdentifier: aws.String("shop-mysql"), DBSnapshotIdentifier: aws.String("shop-mysql-snap")}); err != nil {
			t.Fatalf("CreateDBSnapshot: %v", err)
		}
		snap := waitSnapshot(t, c, "shop-mysql-snap", "available", 30*time.Second)
		if aws.ToString(snap.Engine) != "mysql" {
			t.Errorf("snapshot engine %q, want mysql", aws.ToString(snap.Engine))
		}
		if _, err := c.RestoreDBInstanceFromDBSnapshot(ctx, &rds.RestoreDBInstanceFromDBSnapshotInput{DBInstanceIdentifier: aws.String("shop-copy"), DBSnapshotIdentifier: aws.String("shop-mysql-snap")}); err != nil {
			t.Fatalf("RestoreDBInstanceFromDBSnapshot: %v", err)
		}
		waitStatus(t, c, "shop-copy", "available", 60*time.Second)
		// The copy has the snapshot's master password, which was the new one.
		copyDB, err := mysqlLogin(t, c, "shop-copy", "master", "Another-Passw0rd", "shop")
		if err != nil {
			t.Fatalf("master login to the restored copy: %v", err)
		}
		var n string
		if err := copyDB.QueryRow("SELECT n FROM invoices").Scan(&n); err != nil || n != "invoice-row-9001" {
			t.Errorf("restored row: %q, %v", n, err)
		}
		app, err := mysqlLogin(t, c, "shop-copy", "app", "app-Passw0rd", "shop")
		if err != nil {
			t.Fatalf("a user created in the source logs in to the copy: %v", err)
		}
		if err := app.QueryRow("SELECT n FROM invoices").Scan(&n); err != nil {
			t.Errorf("the user's grant came back: %v", err)
		}
	})

	t.Run("DeleteWithFinalSnapshot", func(t *testing.T) {
		ep := describe(t, c, "shop-mysql").Endpoint
		addr := net.JoinHostPort(aws.ToString(ep.Address), strconv.Itoa(int(aws.ToInt32(ep.Port))))
		if _, err := c.DeleteDBInstance(ctx, &rds.DeleteDBInstanceInput{DBInstanceIdentifier: aws.String("shop-mysql"), FinalDBSnapshotIdentifier: aws.String("shop-mysql-final")}); err != nil {
			t.Fatalf("DeleteDBInstance: %v", err)
		}
		waitGone(t, c, "shop-mysql", 30*time.Second)
		file, ok := e.SnapshotFile("shop-mysql-final")
		if !ok {
			t.Fatal("final snapshot has no dump file")
		}
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{"CREATE TABLE `invoices`", "invoice-row-9001", "`app`@`%`"} {
			if !strings.Contains(string(b), want) {
				t.Errorf("final snapshot dump lacks %q", want)
			}
		}
		if conn, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			conn.Close()
			t.Errorf("the server still listens on %s after the delete", addr)
		}
		if _, err := os.Stat(filepath.Join(dataDir, "instances", "shop-mysql")); !os.IsNotExist(err) {
			t.Errorf("instance data directory still there after delete (stat err %v)", err)
		}
	})
}

func TestCreateEngineVersions(t *testing.T) {
	_, c := start(t, Config{NoEngine: true})
	ctx := context.Background()
	cases := map[string]struct {
		reason      string
		engine      string
		version     string
		wantCode    string
		wantVersion string
	}{
		"MySQLDefault":    {reason: "Without a version MySQL is reported as RDS's default 8.0 release.", engine: "mysql", wantVersion: "8.0.45"},
		"MySQL80":         {reason: "8.0 is offered and reported as asked.", engine: "mysql", version: "8.0", wantVersion: "8.0"},
		"MySQL84Patch":    {reason: "An 8.4 release is offered.", engine: "mysql", version: "8.4.3", wantVersion: "8.4.3"},
		"MySQL81":         {reason: "MySQL 8.1 is an innovation release RDS does not offer.", engine: "mysql", version: "8.1.0", wantCode: codeInvalidCombination},
		"MySQLMajorOnly":  {reason: "MySQL versions name at least major and minor.", engine: "mysql", version: "8", wantCode: codeInvalidCombination},
		"MariaDB":         {reason: "MariaDB 10.11 is offered.", engine: "mariadb", version: "10.11.10", wantVersion: "10.11.10"},
		"MariaDBRetired":  {reason: "MariaDB 10.11.9 is no longer offered.", engine: "mariadb", version: "10.11.9", wantCode: codeInvalidCombination},
		"PostgresDefault": {reason: "Without a version PostgreSQL is RDS's default, the newest 17.", engine: "postgres", wantVersion: "17.10"},
		"MariaDB107":      {reason: "MariaDB 10.7 is not offered.", engine: "mariadb", version: "10.7.8", wantCode: codeInvalidCombination},
		"PostgresWords":   {reason: "A version that is not numbers is unknown for any engine.", engine: "postgres", version: "latest", wantCode: codeInvalidCombination},
		"UnknownEngine":   {reason: "An engine RDS does not have is an invalid value.", engine: "oracle-xe", version: "1", wantCode: codeInvalidValue},
	}
	i := 0
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			i++
			id := "versions-" + strconv.Itoa(i)
			in := createInput(id)
			in.Engine = aws.String(tc.engine)
			in.EngineVersion = nil
			if tc.version != "" {
				in.EngineVersion = aws.String(tc.version)
			}
			out, err := c.CreateDBInstance(ctx, in)
			version := ""
			if err == nil {
				version = aws.ToString(out.DBInstance.EngineVersion)
			}
			if diff := cmp.Diff([]string{tc.wantCode, tc.wantVersion}, []string{errorCode(err), version}); diff != "" {
				t.Errorf("%s\ncode, reported version: -want +got:\n%s", tc.reason, diff)
			}
		})
	}
}

func TestCheckDBName(t *testing.T) {
	cases := map[string]struct {
		reason string
		engine string
		name   string
		ok     bool
	}{
		"MySQL64":       {reason: "MySQL database names may have 64 characters.", engine: "mysql", name: strings.Repeat("d", 64), ok: true},
		"Postgres64":    {reason: "PostgreSQL database names stop at 63.", engine: "postgres", name: strings.Repeat("d", 64)},
		"MySQLSchema":   {reason: "mysql is MySQL's own schema.", engine: "mysql", name: "mysql"},
		"PostgresMySQL": {reason: "mysql is an ordinary name on PostgreSQL.", engine: "postgres", name: "mysql", ok: true},
		"MySQLTemplate": {reason: "template1 is only PostgreSQL's.", engine: "mysql", name: "template1", ok: true},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if err := checkDBName(tc.engine, tc.name); (err == nil) != tc.ok {
				t.Errorf("%s\ngot %v", tc.reason, err)
			}
		})
	}
}
