package emulator

import (
	"context"
	"crypto/sha1"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/go-sql-driver/mysql"

	"github.com/matrixmind-cloud/aws-rds-operator/internal/mariaserver"
)

// mysqlLoginResult is how one login to a MySQL endpoint went: the session's CURRENT_USER()
// or the server's refusal.
type mysqlLoginResult struct {
	User    string
	Code    uint16
	Message string
}

// mysqlLoginAt logs in to addr as user over TLS with the driver applications use, with
// cleartext passwords allowed, as an application with IAM tokens does.
func mysqlLoginAt(t *testing.T, addr, user, password string) mysqlLoginResult {
	t.Helper()
	cfg := mysql.NewConfig()
	cfg.User, cfg.Passwd, cfg.Net, cfg.Addr = user, password, "tcp", addr
	cfg.TLSConfig, cfg.AllowCleartextPasswords, cfg.Timeout = "skip-verify", true, 10*time.Second
	conn, err := mysql.NewConnector(cfg)
	if err != nil {
		t.Fatal(err)
	}
	db := sql.OpenDB(conn)
	defer db.Close()
	var got mysqlLoginResult
	if err := db.QueryRow("SELECT CURRENT_USER()").Scan(&got.User); err != nil {
		var me *mysql.MySQLError
		if !errors.As(err, &me) {
			t.Fatalf("login of %s at %s: %v", user, addr, err)
		}
		return mysqlLoginResult{Code: me.Number, Message: me.Message}
	}
	return got
}

// mysqlNativeHash is the mysql_native_password hash of a password, as the operator sends it.
func mysqlNativeHash(password string) string {
	first := sha1.Sum([]byte(password))
	second := sha1.Sum(first[:])
	return "*" + strings.ToUpper(hex.EncodeToString(second[:]))
}

// TestIAMLoginToMySQL is the story of an application that logs in to an RDS for MySQL
// instance with IAM: the master creates its user with AWSAuthenticationPlugin, the user logs
// in with a token from BuildAuthToken while the master keeps its password; switching the
// user back to a password, or IAM off, refuses the token.
func TestIAMLoginToMySQL(t *testing.T) {
	if err := mariaserver.Installed(); err != nil {
		t.Skipf("MariaDB is not installed: %v", err)
	}
	_, c := start(t, Config{DataDir: t.TempDir()})
	ctx := context.Background()
	in := mysqlInput("iam-mysql")
	in.EnableIAMDatabaseAuthentication, in.BackupRetentionPeriod = aws.Bool(true), aws.Int32(0)
	if _, err := c.CreateDBInstance(ctx, in); err != nil {
		t.Fatalf("CreateDBInstance: %v", err)
	}
	waitStatus(t, c, "iam-mysql", "available", time.Minute)
	ep := describe(t, c, "iam-mysql").Endpoint
	addr := net.JoinHostPort(aws.ToString(ep.Address), strconv.Itoa(int(aws.ToInt32(ep.Port))))

	master, err := mysqlLogin(t, c, "iam-mysql", "master", testPassword, "shop")
	if err != nil {
		t.Fatalf("master login: %v", err)
	}
	for _, q := range []string{
		"CREATE USER 'app'@'%' IDENTIFIED WITH AWSAuthenticationPlugin AS 'RDS'",
		"GRANT SELECT ON *.* TO 'app'@'%'",
	} {
		if _, err := master.Exec(q); err != nil {
			t.Fatalf("as the master, %s: %v", q, err)
		}
	}

	token := buildToken(t, addr, "us-east-1", "app", "local", "local", "")
	denied := func(user string) mysqlLoginResult {
		return mysqlLoginResult{Code: 1045, Message: fmt.Sprintf("Access denied for user '%s'@'127.0.0.1' (using password: YES)", user)}
	}
	cases := []struct {
		reason         string
		user, password string
		want           mysqlLoginResult
	}{
		{reason: "app logs in with its token over TLS.", user: "app", password: token, want: mysqlLoginResult{User: "app@%"}},
		{reason: "A wrong password gets RDS's refusal.", user: "app", password: "Passw0rd-of-app", want: denied("app")},
		{reason: "A token made for app is not master's: the server refuses it.", user: "master", password: token, want: denied("master")},
		{reason: "The master logs in with its password through the front.", user: "master", password: testPassword, want: mysqlLoginResult{User: "master@%"}},
	}
	for _, tc := range cases {
		if got := mysqlLoginAt(t, addr, tc.user, tc.password); got != tc.want {
			t.Errorf("%s\nlogin of %s: got %+v, want %+v", tc.reason, tc.user, got, tc.want)
		}
	}

	// The operator switches app back to a password.
	if _, err := master.Exec("ALTER USER 'app'@'%' IDENTIFIED WITH mysql_native_password AS '" + mysqlNativeHash("app-Passw0rd") + "' ACCOUNT UNLOCK"); err != nil {
		t.Fatalf("ALTER USER app to a password: %v", err)
	}
	if got := mysqlLoginAt(t, addr, "app", token); got != denied("app") {
		t.Errorf("app's token once app has a password: %+v; want refused", got)
	}
	if got := mysqlLoginAt(t, addr, "app", "app-Passw0rd"); got.User != "app@%" {
		t.Errorf("app's password: %+v; want logged in", got)
	}
	// And to IAM again, as RDS documents it.
	if _, err := master.Exec("alter user 'app'@'%'  identified  with `AWSAuthenticationPlugin` as 'RDS' ACCOUNT UNLOCK"); err != nil {
		t.Fatalf("ALTER USER app to IAM: %v", err)
	}
	if got := mysqlLoginAt(t, addr, "app", token); got.User != "app@%" {
		t.Errorf("app's token once app is an IAM user again: %+v", got)
	}

	if _, err := c.ModifyDBInstance(ctx, &rds.ModifyDBInstanceInput{DBInstanceIdentifier: aws.String("iam-mysql"),
		EnableIAMDatabaseAuthentication: aws.Bool(false), ApplyImmediately: aws.Bool(true)}); err != nil {
		t.Fatalf("ModifyDBInstance IAM off: %v", err)
	}
	waitStatus(t, c, "iam-mysql", "modifying", 10*time.Second)
	waitStatus(t, c, "iam-mysql", "available", 10*time.Second)
	if aws.ToBool(describe(t, c, "iam-mysql").IAMDatabaseAuthenticationEnabled) {
		t.Fatalf("IAMDatabaseAuthenticationEnabled still true after ModifyDBInstance")
	}
	if got := mysqlLoginAt(t, addr, "app", token); got.Code != 1045 {
		t.Errorf("app's token with IAM off: %+v; want refused (1045)", got)
	}
	if got := mysqlLoginAt(t, addr, "master", testPassword); got.User != "master@%" {
		t.Errorf("master's login with IAM off: %+v", got)
	}
}

// TestIAMLoginToAuroraMySQL checks IAM logins at an Aurora MySQL cluster's writer and
// reader endpoints.
func TestIAMLoginToAuroraMySQL(t *testing.T) {
	if err := mariaserver.Installed(); err != nil {
		t.Skipf("MariaDB is not installed: %v", err)
	}
	_, c := start(t, Config{DataDir: t.TempDir()})
	ctx := context.Background()
	cl := clusterInput("iam-aurora-mysql", "aurora-mysql")
	cl.EnableIAMDatabaseAuthentication = aws.Bool(true)
	if _, err := c.CreateDBCluster(ctx, cl); err != nil {
		t.Fatalf("CreateDBCluster: %v", err)
	}
	waitClusterStatus(t, c, "iam-aurora-mysql", "available", time.Minute)
	got := describeCluster(t, c, "iam-aurora-mysql")
	port := strconv.Itoa(int(aws.ToInt32(got.Port)))
	writer := net.JoinHostPort(aws.ToString(got.Endpoint), port)
	if got := mysqlLoginAt(t, writer, "master", testPassword); got.User != "master@%" {
		t.Fatalf("master login at the writer: %+v", got)
	}
	cfg := mysql.NewConfig()
	cfg.User, cfg.Passwd, cfg.Net, cfg.Addr, cfg.TLSConfig = "master", testPassword, "tcp", writer, "skip-verify"
	conn, err := mysql.NewConnector(cfg)
	if err != nil {
		t.Fatal(err)
	}
	master := sql.OpenDB(conn)
	defer master.Close()
	if _, err := master.Exec("CREATE USER 'app'@'%' IDENTIFIED WITH AWSAuthenticationPlugin AS 'RDS'"); err != nil {
		t.Fatalf("create the IAM user: %v", err)
	}
	for _, endpoint := range []string{aws.ToString(got.Endpoint), aws.ToString(got.ReaderEndpoint)} {
		addr := net.JoinHostPort(endpoint, port)
		token := buildToken(t, addr, "us-east-1", "app", "local", "local", "")
		if got := mysqlLoginAt(t, addr, "app", token); got.User != "app@%" {
			t.Errorf("app's token at %s: %+v", endpoint, got)
		}
	}
}
