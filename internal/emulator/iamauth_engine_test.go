package emulator

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// loginResult is how one login to an endpoint went: the session's user and whether it is
// encrypted, or the server's refusal.
type loginResult struct {
	User    string
	SSL     bool
	Code    string
	Message string
}

// loginAt logs in to host:port as user with password over TLS, verifying the server's
// certificate against the emulator's CA (as a client given /_emulator/ca.pem does).
func loginAt(t *testing.T, caFile, host string, port int32, user, password, db string) loginResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cfg, err := pgx.ParseConfig(fmt.Sprintf("host=%s port=%d user=%s dbname=%s sslmode=verify-full sslrootcert=%s", host, port, user, db, caFile))
	if err != nil {
		t.Fatal(err)
	}
	cfg.Password = password // a token holds characters a connection string would need quoted
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		var pgErr *pgconn.PgError
		if !errors.As(err, &pgErr) {
			t.Fatalf("login of %s at %s:%d: %v", user, host, port, err)
		}
		return loginResult{Code: pgErr.Code, Message: pgErr.Message}
	}
	defer conn.Close(ctx)
	var got loginResult
	if err := conn.QueryRow(ctx, `SELECT current_user::text, ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()`).Scan(&got.User, &got.SSL); err != nil {
		t.Fatalf("query the session: %v", err)
	}
	return got
}

// asMaster runs statements as the master user at host:port.
func asMaster(t *testing.T, caFile, host string, port int32, db string, stmts ...string) {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, fmt.Sprintf("host=%s port=%d user=master password=%s dbname=%s sslmode=verify-full sslrootcert=%s", host, port, testPassword, db, caFile))
	if err != nil {
		t.Fatalf("master login: %v", err)
	}
	defer conn.Close(ctx)
	for _, q := range stmts {
		if _, err := conn.Exec(ctx, q); err != nil {
			t.Fatalf("as the master, %s: %v", q, err)
		}
	}
}

// writeCA writes the emulator's CA, what GET /_emulator/ca.pem serves, for clients.
func writeCA(t *testing.T, e *Emulator) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(path, e.CA(), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestIAMLoginToPostgres is the story of an application that logs in to an RDS for
// PostgreSQL instance with IAM: the master grants rds_iam to its user, which logs in with a
// token from aws-sdk-go-v2's BuildAuthToken, while the master keeps its password; turning
// IAM off refuses the token.
func TestIAMLoginToPostgres(t *testing.T) {
	if !havePostgres() {
		t.Skip("PostgreSQL server binaries (initdb) are not installed")
	}
	e, c := start(t, Config{})
	ctx := context.Background()
	in := createInput("iam-pg")
	in.DBName, in.EnableIAMDatabaseAuthentication, in.BackupRetentionPeriod = aws.String("shop"), aws.Bool(true), aws.Int32(0)
	if _, err := c.CreateDBInstance(ctx, in); err != nil {
		t.Fatalf("CreateDBInstance: %v", err)
	}
	waitStatus(t, c, "iam-pg", "available", time.Minute)
	db := describe(t, c, "iam-pg")
	if !aws.ToBool(db.IAMDatabaseAuthenticationEnabled) {
		t.Errorf("IAMDatabaseAuthenticationEnabled is false")
	}
	host, port := aws.ToString(db.Endpoint.Address), aws.ToInt32(db.Endpoint.Port)
	caFile := writeCA(t, e)
	asMaster(t, caFile, host, port, "shop", `CREATE ROLE app LOGIN`, `GRANT rds_iam TO app`)

	token := buildToken(t, fmt.Sprintf("%s:%d", host, port), "us-east-1", "app", "local", "local", "")
	cases := []struct {
		reason         string
		user, password string
		want           loginResult
	}{
		{reason: "app logs in with its token over TLS.", user: "app", password: token, want: loginResult{User: "app", SSL: true}},
		{reason: "A wrong password gets PAM's refusal, as on RDS.", user: "app", password: "Passw0rd-of-app",
			want: loginResult{Code: "28000", Message: `PAM authentication failed for user "app"`}},
		{reason: "A token made for app is not master's.", user: "master", password: token,
			want: loginResult{Code: "28P01", Message: `password authentication failed for user "master"`}},
		{reason: "The master logs in with its password, over TLS to the server.", user: "master", password: testPassword,
			want: loginResult{User: "master", SSL: true}},
	}
	for _, tc := range cases {
		if got := loginAt(t, caFile, host, port, tc.user, tc.password, "shop"); got != tc.want {
			t.Errorf("%s\nlogin of %s: got %+v, want %+v", tc.reason, tc.user, got, tc.want)
		}
	}

	if psql, err := exec.LookPath("psql"); err == nil {
		// psql prefers SCRAM with channel binding over TLS: the binding to the certificate
		// the front shows must match the server's.
		cmd := exec.Command(psql, "-X", "-A", "-t", "-c", `SELECT current_user, ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()`,
			fmt.Sprintf("host=%s port=%d user=master dbname=shop sslmode=verify-full sslrootcert=%s channel_binding=prefer", host, port, caFile))
		cmd.Env = append(os.Environ(), "PGPASSWORD="+testPassword)
		if out, err := cmd.CombinedOutput(); err != nil || strings.TrimSpace(string(out)) != "master|t" {
			t.Errorf("psql with channel_binding=prefer as the master: %q (%v), want master|t", out, err)
		}
	}

	if _, err := c.ModifyDBInstance(ctx, &rds.ModifyDBInstanceInput{DBInstanceIdentifier: aws.String("iam-pg"),
		EnableIAMDatabaseAuthentication: aws.Bool(false), ApplyImmediately: aws.Bool(true)}); err != nil {
		t.Fatalf("ModifyDBInstance IAM off: %v", err)
	}
	waitStatus(t, c, "iam-pg", "modifying", 10*time.Second)
	waitStatus(t, c, "iam-pg", "available", 10*time.Second)
	if aws.ToBool(describe(t, c, "iam-pg").IAMDatabaseAuthenticationEnabled) {
		t.Errorf("IAMDatabaseAuthenticationEnabled still true after ModifyDBInstance")
	}
	if got := loginAt(t, caFile, host, port, "app", token, "shop"); got.Code != "28000" {
		t.Errorf("app's token with IAM off: %+v; want refused (28000)", got)
	}
	if got := loginAt(t, caFile, host, port, "master", testPassword, "shop"); got != (loginResult{User: "master", SSL: true}) {
		t.Errorf("master's login with IAM off: %+v", got)
	}
}

// TestIAMLoginToAuroraPostgres checks IAM logins at an Aurora PostgreSQL cluster's writer
// and reader endpoints.
func TestIAMLoginToAuroraPostgres(t *testing.T) {
	if !havePostgres() {
		t.Skip("PostgreSQL server binaries (initdb) are not installed")
	}
	e, c := start(t, Config{})
	ctx := context.Background()
	cl := clusterInput("iam-aurora", "aurora-postgresql")
	cl.EnableIAMDatabaseAuthentication = aws.Bool(true)
	if _, err := c.CreateDBCluster(ctx, cl); err != nil {
		t.Fatalf("CreateDBCluster: %v", err)
	}
	waitClusterStatus(t, c, "iam-aurora", "available", time.Minute)
	got := describeCluster(t, c, "iam-aurora")
	writer, reader, port := aws.ToString(got.Endpoint), aws.ToString(got.ReaderEndpoint), aws.ToInt32(got.Port)
	caFile := writeCA(t, e)
	asMaster(t, caFile, writer, port, "postgres", `CREATE ROLE app LOGIN`, `GRANT rds_iam TO app`)
	for _, endpoint := range []string{writer, reader} {
		token := buildToken(t, fmt.Sprintf("%s:%d", endpoint, port), "us-east-1", "app", "local", "local", "")
		if got := loginAt(t, caFile, endpoint, port, "app", token, "postgres"); got != (loginResult{User: "app", SSL: true}) {
			t.Errorf("app's token at %s: %+v", endpoint, got)
		}
	}
	if _, err := c.ModifyDBCluster(ctx, &rds.ModifyDBClusterInput{DBClusterIdentifier: aws.String("iam-aurora"),
		EnableIAMDatabaseAuthentication: aws.Bool(false), ApplyImmediately: aws.Bool(true)}); err != nil {
		t.Fatalf("ModifyDBCluster IAM off: %v", err)
	}
	token := buildToken(t, fmt.Sprintf("%s:%d", writer, port), "us-east-1", "app", "local", "local", "")
	if got := loginAt(t, caFile, writer, port, "app", token, "postgres"); got.Code != "28000" {
		t.Errorf("app's token with IAM off: %+v; want refused (28000)", got)
	}
}
