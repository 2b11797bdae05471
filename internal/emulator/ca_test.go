package emulator

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5"

	"github.com/matrixmind-cloud/aws-rds-operator/internal/mariaserver"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/serverproc"
)

// verifyFull is the TLS configuration of a client that trusts only caPEM and checks the
// server's host name: libpq's sslmode=verify-full.
func verifyFull(t *testing.T, caPEM []byte, host string) *tls.Config {
	t.Helper()
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(caPEM) {
		t.Fatal("the CA PEM holds no certificate")
	}
	return &tls.Config{RootCAs: pool, ServerName: host, MinVersion: tls.VersionTLS12}
}

// servedCA fetches the CA the emulator serves at /_emulator/ca.pem.
func servedCA(t *testing.T, e *Emulator) []byte {
	t.Helper()
	srv := httptest.NewServer(e)
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/_emulator/ca.pem")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /_emulator/ca.pem: %d, %v", resp.StatusCode, err)
	}
	return body
}

// TestServersVerifyAgainstTheCA: each server's certificate is signed by the CA the emulator
// serves and names the endpoint's address, so a client with sslmode=verify-full logs in,
// and a client trusting another CA refuses the server before it sends a password.
func TestServersVerifyAgainstTheCA(t *testing.T) {
	ctx := context.Background()
	other, err := serverproc.NewCA("another CA")
	if err != nil {
		t.Fatal(err)
	}
	type login func(t *testing.T, c *rds.Client, id string, tlsConfig func(host string) *tls.Config) error
	pgLogin := func(t *testing.T, c *rds.Client, id string, tlsConfig func(host string) *tls.Config) error {
		ep := describe(t, c, id).Endpoint
		host := aws.ToString(ep.Address)
		cfg, err := pgx.ParseConfig(fmt.Sprintf("host=%s port=%d user=master password=%s dbname=postgres sslmode=require", host, aws.ToInt32(ep.Port), testPassword))
		if err != nil {
			t.Fatal(err)
		}
		cfg.TLSConfig = tlsConfig(host)
		conn, err := pgx.ConnectConfig(ctx, cfg)
		if err != nil {
			return err
		}
		return conn.Close(ctx)
	}
	myLogin := func(t *testing.T, c *rds.Client, id string, tlsConfig func(host string) *tls.Config) error {
		ep := describe(t, c, id).Endpoint
		host := aws.ToString(ep.Address)
		cfg := mysql.NewConfig()
		cfg.User, cfg.Passwd, cfg.Net = "master", testPassword, "tcp"
		cfg.Addr = net.JoinHostPort(host, strconv.Itoa(int(aws.ToInt32(ep.Port))))
		cfg.TLS = tlsConfig(host)
		cfg.Timeout = 10 * time.Second
		conn, err := mysql.NewConnector(cfg)
		if err != nil {
			t.Fatal(err)
		}
		db := sql.OpenDB(conn)
		defer db.Close()
		return db.PingContext(ctx)
	}
	cases := []struct {
		reason string
		engine string
		skip   func() error
		login  login
	}{
		{"PostgreSQL presents a certificate of the CA", "postgres", func() error {
			if !havePostgres() {
				return errors.New("PostgreSQL is not installed")
			}
			return nil
		}, pgLogin},
		{"MariaDB (engine mysql) presents a certificate of the CA", "mysql", mariaserver.Installed, myLogin},
	}
	for _, tc := range cases {
		t.Run(tc.engine, func(t *testing.T) {
			if err := tc.skip(); err != nil {
				t.Skip(err)
			}
			e, c := start(t, Config{})
			ca := servedCA(t, e)
			in := createInput("tls-" + tc.engine)
			if tc.engine == "mysql" {
				in = mysqlInput("tls-" + tc.engine)
			}
			if _, err := c.CreateDBInstance(ctx, in); err != nil {
				t.Fatal(err)
			}
			waitStatus(t, c, "tls-"+tc.engine, "available", 90*time.Second)
			ids := []string{"tls-" + tc.engine}
			if tc.engine == "postgres" { // a restored server keeps a certificate of the CA
				if _, err := c.CreateDBSnapshot(ctx, &rds.CreateDBSnapshotInput{DBInstanceIdentifier: aws.String(ids[0]), DBSnapshotIdentifier: aws.String("tls-snap")}); err != nil {
					t.Fatal(err)
				}
				waitSnapshot(t, c, "tls-snap", "available", 60*time.Second)
				if _, err := c.RestoreDBInstanceFromDBSnapshot(ctx, &rds.RestoreDBInstanceFromDBSnapshotInput{
					DBInstanceIdentifier: aws.String("tls-restored"), DBSnapshotIdentifier: aws.String("tls-snap")}); err != nil {
					t.Fatal(err)
				}
				waitStatus(t, c, "tls-restored", "available", 90*time.Second)
				ids = append(ids, "tls-restored")
			}
			for _, id := range ids {
				if err := tc.login(t, c, id, func(host string) *tls.Config { return verifyFull(t, ca, host) }); err != nil {
					t.Errorf("%s: %s: login with verify-full against /_emulator/ca.pem: %v", tc.reason, id, err)
				}
				err := tc.login(t, c, id, func(host string) *tls.Config { return verifyFull(t, other.PEM, host) })
				var unknown x509.UnknownAuthorityError
				if !errors.As(err, &unknown) {
					t.Errorf("%s: %s: a client trusting another CA must refuse the server's certificate, got %v", tc.reason, id, err)
				}
			}
		})
	}
}
