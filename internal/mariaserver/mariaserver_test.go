package mariaserver

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/google/go-cmp/cmp"

	"github.com/matrixmind-cloud/aws-rds-operator/internal/serverproc"
)

const (
	testMaster   = "master_user"
	testPassword = `s3cret'pass\`
)

// startServer starts a server for one test, skipping only when MariaDB is not installed.
func startServer(t *testing.T) *Server {
	t.Helper()
	if err := Installed(); err != nil {
		t.Skipf("MariaDB is not installed: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	began := time.Now()
	s, err := Start(ctx, Options{Dir: t.TempDir(), MasterUser: testMaster, MasterPassword: testPassword})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Logf("mariadb started in %v", time.Since(began).Round(time.Millisecond))
	t.Cleanup(func() {
		if err := s.Stop(); err != nil {
			t.Errorf("Stop: %v", err)
		}
	})
	return s
}

// tcpConfig is a driver configuration for user over TCP with TLS, as a client of RDS uses.
func tcpConfig(s *Server, user, password, database string) *mysql.Config {
	cfg := mysql.NewConfig()
	cfg.User, cfg.Passwd, cfg.DBName = user, password, database
	cfg.Net = "tcp"
	cfg.Addr = net.JoinHostPort(s.Host, strconv.Itoa(s.Port))
	cfg.TLSConfig = "skip-verify"
	cfg.Timeout = 10 * time.Second
	return cfg
}

// open opens a one-connection pool and pings it, so that login errors show at once.
func open(t *testing.T, cfg *mysql.Config) (*sql.DB, error) {
	t.Helper()
	c, err := mysql.NewConnector(cfg)
	if err != nil {
		t.Fatal(err)
	}
	db := sql.OpenDB(c)
	db.SetMaxOpenConns(1)
	if err := db.Ping(); err != nil {
		db.Close()
		return nil, err
	}
	t.Cleanup(func() { db.Close() })
	return db, nil
}

func mustOpen(t *testing.T, cfg *mysql.Config) *sql.DB {
	t.Helper()
	db, err := open(t, cfg)
	if err != nil {
		t.Fatalf("log in as %s: %v", cfg.User, err)
	}
	return db
}

func mustExec(t *testing.T, db *sql.DB, stmts ...string) {
	t.Helper()
	for _, q := range stmts {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}

func queryStrings(t *testing.T, db *sql.DB, q string) []string {
	t.Helper()
	rows, err := db.Query(q)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			t.Fatal(err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func errNumber(err error) uint16 {
	var me *mysql.MySQLError
	if errors.As(err, &me) {
		return me.Number
	}
	return 0
}

func TestSetUpLikeRDS(t *testing.T) {
	s := startServer(t)
	admin := mustOpen(t, s.adminConfig())
	master := mustOpen(t, tcpConfig(s, testMaster, testPassword, ""))

	t.Run("Accounts", func(t *testing.T) {
		got := queryStrings(t, admin, "SELECT CONCAT(User, '@', Host) FROM mysql.user ORDER BY 1")
		want := []string{"mariadb.sys@localhost", testMaster + "@%", "rdsadmin@localhost"}
		sort.Strings(want)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("RDS has the master, rdsadmin and the server's own mariadb.sys; no root, no anonymous users.\n-want +got:\n%s", diff)
		}
		if dbs := queryStrings(t, admin, "SHOW DATABASES LIKE 'test'"); len(dbs) != 0 {
			t.Errorf("a test database exists: %v", dbs)
		}
	})
	t.Run("MasterPrivileges", func(t *testing.T) {
		got := queryStrings(t, master, "SELECT CONCAT(PRIVILEGE_TYPE, ' ', IS_GRANTABLE) FROM information_schema.USER_PRIVILEGES WHERE GRANTEE = CONCAT('''', SUBSTRING_INDEX(CURRENT_USER(), '@', 1), '''@''%''') ORDER BY 1")
		var want []string
		for _, p := range strings.Split(MasterPrivileges+", "+mariaDBPrivileges, ", ") {
			// MariaDB 10.5 renamed REPLICATION CLIENT to BINLOG MONITOR.
			if p == "REPLICATION CLIENT" {
				p = "BINLOG MONITOR"
			}
			want = append(want, p+" YES")
		}
		sort.Strings(want)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("the master holds RDS's privileges (and MariaDB's DELETE HISTORY) with grant option and nothing else (no SUPER, FILE, SHUTDOWN).\n-want +got:\n%s", diff)
		}
	})
	t.Run("MasterCreatesUsersAndGrants", func(t *testing.T) {
		mustExec(t, master,
			"CREATE DATABASE shop",
			"CREATE USER 'app'@'%' IDENTIFIED BY 'app-Passw0rd'",
			"GRANT ALL PRIVILEGES ON shop.* TO 'app'@'%'",
		)
		app := mustOpen(t, tcpConfig(s, "app", "app-Passw0rd", "shop"))
		mustExec(t, app, "CREATE TABLE t (x int)", "INSERT INTO t VALUES (1)")
	})
	t.Run("MasterCannotBecomeSuper", func(t *testing.T) {
		cases := map[string]struct {
			reason string
			stmt   string
		}{
			"GrantSuper": {reason: "Without SUPER the master cannot grant it.", stmt: "GRANT SUPER ON *.* TO 'app'@'%'"},
			"Shutdown":   {reason: "Without SHUTDOWN the master cannot stop the server.", stmt: "SHUTDOWN"},
			"SetGlobal":  {reason: "Without SUPER the master cannot change global settings.", stmt: "SET GLOBAL general_log = 1"},
			"ReadFiles":  {reason: "Without FILE the master cannot read the server's files.", stmt: "SELECT 1 INTO OUTFILE '/tmp/mariaserver-never-written'"},
		}
		for name, tc := range cases {
			t.Run(name, func(t *testing.T) {
				if _, err := master.Exec(tc.stmt); err == nil {
					t.Errorf("%s\n%s succeeded", tc.reason, tc.stmt)
				}
			})
		}
	})
	t.Run("RDSAdminOnlyOverTheSocket", func(t *testing.T) {
		_, err := open(t, tcpConfig(s, AdminUser, s.adminPassword, ""))
		if got := errNumber(err); got != 1130 && got != 1045 {
			t.Errorf("rdsadmin over TCP: got %v, want refused (1130 or 1045)", err)
		}
	})
	t.Run("TLS", func(t *testing.T) {
		var name, cipher string
		if err := master.QueryRow("SHOW SESSION STATUS LIKE 'Ssl_cipher'").Scan(&name, &cipher); err != nil {
			t.Fatal(err)
		}
		if cipher == "" {
			t.Error("the master's TCP session is not encrypted")
		}
	})
}

func TestMasterLogin(t *testing.T) {
	s := startServer(t)
	cases := map[string]struct {
		reason   string
		password string
		want     uint16
	}{
		"RightPassword": {reason: "The master logs in with its password over TCP and TLS.", password: testPassword},
		"WrongPassword": {reason: "A wrong password is refused with error 1045.", password: "wrong-password", want: 1045},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := open(t, tcpConfig(s, testMaster, tc.password, ""))
			if err != nil && errNumber(err) == 0 {
				t.Fatalf("%s: connect: %v", tc.reason, err)
			}
			if diff := cmp.Diff(tc.want, errNumber(err)); diff != "" {
				t.Errorf("%s\nerror number: -want +got:\n%s", tc.reason, diff)
			}
		})
	}
}

func TestSetMasterPassword(t *testing.T) {
	s := startServer(t)
	ctx := context.Background()
	if err := s.CreateDatabase(ctx, "shop"); err != nil {
		t.Fatal(err)
	}
	// Someone took the master's privileges away; a new password gives them back, as on RDS.
	master := mustOpen(t, tcpConfig(s, testMaster, testPassword, ""))
	mustExec(t, master, "REVOKE CREATE, DROP ON *.* FROM CURRENT_USER()")
	master.Close()

	const newPassword = "n3w-Passw0rd"
	if err := s.SetMasterPassword(ctx, newPassword); err != nil {
		t.Fatal(err)
	}
	if _, err := open(t, tcpConfig(s, testMaster, testPassword, "shop")); errNumber(err) != 1045 {
		t.Errorf("the old password still works or fails oddly: %v", err)
	}
	master = mustOpen(t, tcpConfig(s, testMaster, newPassword, "shop"))
	mustExec(t, master, "CREATE TABLE orders (item text)", "DROP TABLE orders")
	if strings.Contains(s.proc.LogTail(), newPassword) {
		t.Errorf("server log reveals the password:\n%s", s.proc.LogTail())
	}
}

func TestStartRefusesAdminAsMaster(t *testing.T) {
	_, err := Start(context.Background(), Options{Dir: t.TempDir(), MasterUser: AdminUser, MasterPassword: "whatever1"})
	if err == nil {
		t.Fatal("Start with master rdsadmin succeeded; want an error")
	}
	if strings.Contains(err.Error(), "whatever1") {
		t.Errorf("error reveals the password: %v", err)
	}
}

func TestStopLeavesNoProcess(t *testing.T) {
	if err := Installed(); err != nil {
		t.Skipf("MariaDB is not installed: %v", err)
	}
	s, err := Start(context.Background(), Options{Dir: t.TempDir(), MasterUser: testMaster, MasterPassword: testPassword})
	if err != nil {
		t.Fatal(err)
	}
	pid := s.proc.Pid()
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join("/proc", strconv.Itoa(pid))); !os.IsNotExist(err) {
		t.Errorf("mariadbd (pid %d) still there after Stop (stat err %v)", pid, err)
	}
	if conn, err := net.DialTimeout("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(s.Port)), time.Second); err == nil {
		conn.Close()
		t.Errorf("something still listens on port %d after Stop", s.Port)
	}
	if err := s.Stop(); err != nil {
		t.Errorf("second Stop: %v", err)
	}
}

func TestStartTriesAnotherPortWhenItsPortIsTaken(t *testing.T) {
	if err := Installed(); err != nil {
		t.Skipf("MariaDB is not installed: %v", err)
	}
	// Something else listens on the first port Start picks, as when another test's server
	// got there between the pick and the bind.
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	calls := 0
	pickPort = func() (int, error) {
		calls++
		if calls == 1 {
			return taken.Addr().(*net.TCPAddr).Port, nil
		}
		return serverproc.FreePort()
	}
	defer func() { pickPort = serverproc.FreePort }()

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	s, err := Start(ctx, Options{Dir: t.TempDir(), MasterUser: testMaster, MasterPassword: testPassword})
	if err != nil {
		t.Fatalf("Start with its first port taken: %v", err)
	}
	defer s.Stop()
	if calls < 2 || s.Port == taken.Addr().(*net.TCPAddr).Port {
		t.Errorf("Start did not move to another port (picks %d, port %d)", calls, s.Port)
	}
	mustOpen(t, tcpConfig(s, testMaster, testPassword, ""))
}

func TestDumpAndRestore(t *testing.T) {
	src := startServer(t)
	ctx := context.Background()
	if err := src.CreateDatabase(ctx, "shop"); err != nil {
		t.Fatal(err)
	}
	master := mustOpen(t, tcpConfig(src, testMaster, testPassword, "shop"))
	mustExec(t, master,
		"CREATE USER 'app_user'@'%' IDENTIFIED BY 'app-Passw0rd'",
		"CREATE TABLE orders (item varchar(40))",
		"INSERT INTO orders VALUES ('widget-1'), ('widget-2')",
		"GRANT SELECT ON shop.orders TO 'app_user'@'%'",
		"CREATE DATABASE empty_db",
	)
	path := filepath.Join(t.TempDir(), "dump.sql")
	if err := src.Dump(ctx, path); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), adminAccount) {
		t.Error("the dump carries rdsadmin's account, which would reset the target's")
	}
	if strings.Contains(string(b), "CREATE TABLE `user`") {
		t.Error("the dump carries the mysql system schema")
	}

	// The target is set up as RDS sets up an instance restored from a snapshot: with the
	// source's master user and password, before the data comes in.
	dst := startServer(t)
	if err := dst.Restore(ctx, path); err != nil {
		t.Fatalf("Restore: %v", err)
	}
	cases := map[string]struct {
		reason   string
		user     string
		password string
		query    string
		want     []string
	}{
		"MasterReadsRows": {
			reason: "The master logs in with its password and finds the database, table and rows.",
			user:   testMaster, password: testPassword,
			query: "SELECT item FROM orders ORDER BY item",
			want:  []string{"widget-1", "widget-2"},
		},
		"OtherUserComesBack": {
			reason: "A user the master created logs in with its password and keeps its grants.",
			user:   "app_user", password: "app-Passw0rd",
			query: "SELECT item FROM orders ORDER BY item",
			want:  []string{"widget-1", "widget-2"},
		},
		"EmptyDatabaseComesBack": {
			reason: "A database without tables is restored too.",
			user:   testMaster, password: testPassword,
			query: "SHOW DATABASES LIKE 'empty_db'",
			want:  []string{"empty_db"},
		},
		"MasterStaysWithoutSuper": {
			reason: "The restored master still lacks SUPER.",
			user:   testMaster, password: testPassword,
			query: "SELECT COUNT(*) FROM information_schema.USER_PRIVILEGES WHERE GRANTEE = '''" + testMaster + "''@''%''' AND PRIVILEGE_TYPE = 'SUPER'",
			want:  []string{"0"},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			db, err := open(t, tcpConfig(dst, tc.user, tc.password, "shop"))
			if err != nil {
				t.Fatalf("%s\nlogin: %v", tc.reason, err)
			}
			if diff := cmp.Diff(tc.want, queryStrings(t, db, tc.query)); diff != "" {
				t.Errorf("%s\n-want +got:\n%s", tc.reason, diff)
			}
		})
	}
	// The target's rdsadmin is still its own: a second dump works.
	if err := dst.Dump(ctx, filepath.Join(t.TempDir(), "again.sql")); err != nil {
		t.Errorf("dump after restore: %v", err)
	}
}

func TestRestoreErrorHidesTheStatement(t *testing.T) {
	s := startServer(t)
	path := filepath.Join(t.TempDir(), "bad.sql")
	const secret = "*ABCDEF0123456789ABCDEF0123456789ABCDEF01"
	if err := os.WriteFile(path, []byte("CREATE USER 'x'@'%' IDENTIFIED BY PASSWORD '"+secret+"' garbage;\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	err := s.Restore(context.Background(), path)
	if err == nil {
		t.Fatal("Restore of a broken file succeeded")
	}
	if strings.Contains(err.Error(), secret) || !strings.Contains(err.Error(), "ERROR 1064") {
		t.Errorf("want the error number and no statement text, got: %v", err)
	}
}

func TestNativePasswordHash(t *testing.T) {
	// MySQL's documented example: PASSWORD('mypass').
	if got, want := nativePasswordHash("mypass"), "*6C8989366EAF75BB670AD8EA7A7FC1176A95CEF4"; got != want {
		t.Errorf("nativePasswordHash(mypass) = %s, want %s", got, want)
	}
}

// TestServerOnItsOwnLoopbackAddress starts a server on an address of its own with MySQL's
// standard port while another listener holds 127.0.0.1:3306, as a system MariaDB does:
// servers on different loopback addresses share the port.
func TestServerOnItsOwnLoopbackAddress(t *testing.T) {
	if err := Installed(); err != nil {
		t.Skipf("MariaDB is not installed: %v", err)
	}
	if l, err := net.Listen("tcp", "127.0.0.1:3306"); err == nil {
		defer l.Close() // stands in for the system's server; when it fails, that server is there
	}
	addr := freeLoopbackAddress(t, 3306)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	s, err := Start(ctx, Options{Dir: t.TempDir(), MasterUser: testMaster, MasterPassword: testPassword, Address: addr, Port: 3306})
	if err != nil {
		t.Fatalf("Start on %s:3306: %v", addr, err)
	}
	defer s.Stop()
	if s.Host != addr || s.Port != 3306 {
		t.Errorf("server reports %s:%d; want %s:3306", s.Host, s.Port, addr)
	}
	db := mustOpen(t, tcpConfig(s, testMaster, testPassword, ""))
	if got := queryStrings(t, db, `SELECT @@bind_address`); len(got) != 1 || got[0] != addr {
		t.Errorf("@@bind_address = %q; want %s", got, addr)
	}
}

// freeLoopbackAddress returns a random address of 127.0.0.0/8 outside 127.0.0.0/16 on which
// port is free, skipping the test when a listener on every address holds the port.
func freeLoopbackAddress(t *testing.T, port int) string {
	t.Helper()
	var err error
	for range 5 {
		addr := fmt.Sprintf("127.%d.%d.%d", 1+rand.IntN(254), rand.IntN(256), 1+rand.IntN(254))
		var l net.Listener
		if l, err = net.Listen("tcp", net.JoinHostPort(addr, strconv.Itoa(port))); err == nil {
			l.Close()
			return addr
		}
	}
	t.Skipf("port %d is taken on every loopback address tried (a server listening on all addresses?): %v", port, err)
	return ""
}
