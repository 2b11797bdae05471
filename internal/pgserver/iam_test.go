package pgserver

import (
	"context"
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// startIAM starts a server set up for IAM database authentication for one test.
func startIAM(t *testing.T, major int) *Server {
	t.Helper()
	skipWithoutPostgres(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	s, err := Start(ctx, Options{Dir: t.TempDir(), MasterUser: testMaster, MasterPassword: testPassword, Major: major, IAM: true})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Stop(); err != nil {
			t.Errorf("Stop: %v", err)
		}
	})
	return s
}

// iamMajors are the majors to check IAM roles on: the default build, or with builds per
// major the oldest and the newest, on both sides of 16, where granting a role came to need
// ADMIN OPTION.
func iamMajors(t *testing.T) []int {
	builds, err := DefaultBuilds()
	if err != nil {
		t.Fatalf("look up PostgreSQL builds: %v", err)
	}
	majors := builds.Majors()
	if !builds.PerMajor() || len(majors) < 2 {
		return []int{0}
	}
	return []int{majors[0], majors[len(majors)-1]}
}

// iamFixture is what the master runs: a user that logs in with IAM, one that does through
// a group, an administrator (a member of rds_superuser), a user with a password, and a
// role that created a user who logs in with IAM (from 16 on, a member of it WITH ADMIN
// OPTION only).
var iamFixture = []string{
	`CREATE ROLE app LOGIN PASSWORD 'app-Passw0rd'`,
	`GRANT rds_iam TO app`,
	`CREATE ROLE iam_group NOLOGIN`,
	`GRANT rds_iam TO iam_group`,
	`CREATE ROLE nested LOGIN IN ROLE iam_group`,
	`CREATE ROLE admin2 LOGIN PASSWORD 'adm-Passw0rd' IN ROLE rds_superuser`,
	`CREATE ROLE plain LOGIN PASSWORD 'plain-Passw0rd'`,
	`CREATE ROLE creator LOGIN PASSWORD 'cre-Passw0rd' CREATEROLE`,
	`\c creator cre-Passw0rd`,
	`CREATE ROLE made LOGIN`,
	`\c ` + testMaster + ` ` + testPassword,
	`GRANT rds_iam TO made`,
}

// applyIAMFixture runs iamFixture over TCP; `\c user password` logs in as another user.
func applyIAMFixture(ctx context.Context, t *testing.T, s *Server) {
	t.Helper()
	login := func(user, password string) *pgx.Conn {
		conn, err := pgx.Connect(ctx, fmt.Sprintf("host=%s port=%d user=%s password=%s dbname=postgres sslmode=require", s.Host, s.Port, user, quoteDSN(password)))
		if err != nil {
			t.Fatalf("%s's login: %v", user, err)
		}
		return conn
	}
	conn := login(testMaster, testPassword)
	defer func() { conn.Close(ctx) }()
	for _, q := range iamFixture {
		if who, ok := strings.CutPrefix(q, `\c `); ok {
			user, password, _ := strings.Cut(who, " ")
			conn.Close(ctx)
			conn = login(user, password)
			continue
		}
		if _, err := conn.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}

// TestIAMRoles checks that the master administers rds_iam as on RDS, that UsesIAM tells
// who logs in with a token, and that pg_hba.conf keeps rds_iam's members from logging in
// with a password over TCP while the socket lets them in without one.
func TestIAMRoles(t *testing.T) {
	for _, major := range iamMajors(t) {
		t.Run(fmt.Sprint(major), func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			s := startIAM(t, major)
			applyIAMFixture(ctx, t, s)
			master, err := pgx.Connect(ctx, masterDSN(s, testPassword, "postgres"))
			if err != nil {
				t.Fatalf("master login: %v", err)
			}
			defer master.Close(ctx)

			usesIAM := func() map[string]bool {
				got := map[string]bool{}
				for _, u := range []string{testMaster, "app", "nested", "admin2", "plain", "creator", "made", "nobody"} {
					iam, err := s.UsesIAM(ctx, u)
					if err != nil {
						t.Fatalf("UsesIAM(%s): %v", u, err)
					}
					got[u] = iam
				}
				return got
			}
			want := map[string]bool{testMaster: false, "app": true, "nested": true, "admin2": false, "plain": false, "creator": false, "made": true, "nobody": false}
			if diff := cmp.Diff(want, usesIAM()); diff != "" {
				t.Errorf("UsesIAM: -want +got:\n%s", diff)
			}

			tcp := func(user, password string) error {
				conn, err := pgx.Connect(ctx, fmt.Sprintf("host=%s port=%d user=%s password=%s dbname=postgres sslmode=require", s.Host, s.Port, user, password))
				if err == nil {
					conn.Close(ctx)
				}
				return err
			}
			socket := func(user string) error {
				conn, err := pgx.Connect(ctx, fmt.Sprintf("host=%s port=%d user=%s dbname=postgres", s.socketDir, s.Port, user))
				if err == nil {
					conn.Close(ctx)
				}
				return err
			}
			if err := tcp("app", "app-Passw0rd"); sqlState(err) != "28000" {
				t.Errorf("app's password login over TCP: %v; want refused by pg_hba.conf (28000)", err)
			}
			for user, password := range map[string]string{testMaster: testPassword, "admin2": "adm-Passw0rd", "plain": "plain-Passw0rd"} {
				if err := tcp(user, password); err != nil {
					t.Errorf("%s's password login over TCP: %v", user, err)
				}
			}
			for _, user := range []string{"app", "nested"} {
				if err := socket(user); err != nil {
					t.Errorf("%s's login over the socket: %v", user, err)
				}
			}
			if err := socket("plain"); err == nil {
				t.Errorf("plain logged in over the socket; only rdsadmin and rds_iam's members may")
			}
			// A front lets those that do not use IAM log in with a password, whatever
			// pg_hba.conf's +rds_iam thinks of the roles that created IAM users.
			for user, password := range map[string]string{testMaster: testPassword, "creator": "cre-Passw0rd", "plain": "plain-Passw0rd"} {
				cfg, err := pgx.ParseConfig(fmt.Sprintf("host=%s port=%d user=%s password=%s dbname=postgres sslmode=require", s.Host, s.Port, user, password))
				if err != nil {
					t.Fatal(err)
				}
				cfg.DialFunc = func(ctx context.Context, _, _ string) (net.Conn, error) { return s.DialPassword(ctx) }
				conn, err := pgx.ConnectConfig(ctx, cfg)
				if err != nil {
					t.Errorf("%s's password login from the front's address: %v", user, err)
					continue
				}
				var addr string
				if err := conn.QueryRow(ctx, `SELECT host(inet_client_addr())`).Scan(&addr); err != nil || addr != PasswordAddress {
					t.Errorf("%s logged in from %q (err %v), want %s", user, addr, err, PasswordAddress)
				}
				conn.Close(ctx)
			}
			trusted := func(user string) (bool, error) {
				cfg, err := pgx.ParseConfig(fmt.Sprintf("host=%s port=%d user=%s dbname=postgres sslmode=require", s.Host, s.Port, user))
				if err != nil {
					t.Fatal(err)
				}
				cfg.DialFunc = func(ctx context.Context, _, _ string) (net.Conn, error) { return s.DialTrusted(ctx) }
				conn, err := pgx.ConnectConfig(ctx, cfg)
				if err != nil {
					return false, err
				}
				defer conn.Close(ctx)
				var ssl bool
				err = conn.QueryRow(ctx, `SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()`).Scan(&ssl)
				return ssl, err
			}
			if ssl, err := trusted("app"); err != nil || !ssl {
				t.Errorf("app's login without a password the front's trusted way: ssl %v, %v; want over TLS", ssl, err)
			}
			if _, err := trusted("plain"); sqlState(err) != "28000" {
				t.Errorf("plain's login without a password the front's trusted way: %v; want refused (28000)", err)
			}
			if err := tcp("made", ""); sqlState(err) != "28000" {
				t.Errorf("made's login over TCP: %v; want refused by pg_hba.conf (28000)", err)
			}

			// A REVOKE counts for the next login.
			if _, err := master.Exec(ctx, `REVOKE rds_iam FROM app`); err != nil {
				t.Fatalf("REVOKE as the master: %v", err)
			}
			if iam, err := s.UsesIAM(ctx, "app"); err != nil || iam {
				t.Errorf("UsesIAM(app) after REVOKE = %v, %v; want false", iam, err)
			}
			if err := tcp("app", "app-Passw0rd"); err != nil {
				t.Errorf("app's password login after REVOKE: %v", err)
			}
		})
	}
}

// TestIAMAcrossCopies checks that a replica, a server restored from a backup and an
// upgraded server keep who logs in with IAM.
func TestIAMAcrossCopies(t *testing.T) {
	majors := iamMajors(t)
	s := startIAM(t, majors[0])
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	applyIAMFixture(ctx, t, s)
	backup := filepath.Join(t.TempDir(), "backup.tar.gz")
	if err := s.Backup(ctx, backup); err != nil {
		t.Fatalf("Backup: %v", err)
	}
	restored, err := StartFromBackup(ctx, Options{Dir: t.TempDir(), MasterUser: testMaster, IAM: true}, backup)
	if err != nil {
		t.Fatalf("StartFromBackup: %v", err)
	}
	t.Cleanup(func() { _ = restored.Stop() })
	copies := map[string]*Server{"restored": restored, "replica": startReplica(t, s)}
	if len(majors) > 1 {
		upgraded, err := restored.Upgrade(ctx, Options{Dir: t.TempDir(), Major: majors[len(majors)-1]})
		if err != nil {
			t.Fatalf("Upgrade: %v", err)
		}
		t.Cleanup(func() { _ = upgraded.Stop() })
		copies["upgraded"] = upgraded
	}
	for name, c := range copies {
		got := map[string]bool{}
		for _, u := range []string{testMaster, "app", "nested", "admin2", "plain", "creator", "made"} {
			if got[u], err = c.UsesIAM(ctx, u); err != nil {
				t.Fatalf("%s: UsesIAM(%s): %v", name, u, err)
			}
		}
		want := map[string]bool{testMaster: false, "app": true, "nested": true, "admin2": false, "plain": false, "creator": false, "made": true}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s: UsesIAM: -want +got:\n%s", name, diff)
		}
		conn, err := pgx.Connect(ctx, fmt.Sprintf("host=%s port=%d user=app dbname=postgres", c.socketDir, c.Port))
		if err != nil {
			t.Errorf("%s: app's login over the socket: %v", name, err)
			continue
		}
		conn.Close(ctx)
	}
	if up, ok := copies["upgraded"]; ok {
		// The master still administers rds_iam on the new major.
		conn, err := pgx.Connect(ctx, masterDSN(up, testPassword, "postgres"))
		if err != nil {
			t.Fatalf("master login to the upgraded server: %v", err)
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, `GRANT rds_iam TO plain`); err != nil {
			t.Errorf("GRANT rds_iam as the master on the upgraded server: %v", err)
		}
	}
}

// sqlState is the SQLSTATE of a server error, "" for none.
func sqlState(err error) string {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code
	}
	return ""
}
