package mariaserver

import (
	"bytes"
	"context"
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/matrixmind-cloud/aws-rds-operator/internal/serverproc"
)

// MasterPrivileges are the global privileges RDS gives the MySQL and MariaDB master user
// (AWS's "Master user account privileges" page), which it holds WITH GRANT OPTION. SUPER,
// FILE and SHUTDOWN are not among them.
const MasterPrivileges = "SELECT, INSERT, UPDATE, DELETE, CREATE, DROP, RELOAD, PROCESS, REFERENCES, INDEX, ALTER, " +
	"SHOW DATABASES, CREATE TEMPORARY TABLES, LOCK TABLES, EXECUTE, REPLICATION SLAVE, REPLICATION CLIENT, " +
	"CREATE VIEW, SHOW VIEW, CREATE ROUTINE, ALTER ROUTINE, CREATE USER, EVENT, TRIGGER"

// mariaDBPrivileges are what the master holds beyond MasterPrivileges here. On MariaDB,
// ALL PRIVILEGES at database level includes DELETE HISTORY (for system-versioned tables),
// which MySQL does not have: without it the master could not GRANT ALL PRIVILEGES ON
// `db`.* as an RDS MySQL master can.
const mariaDBPrivileges = "DELETE HISTORY"

// configure writes the TLS certificate, the server's option file and AdminUser's client
// option file.
func (s *Server) configure(o *serverproc.Owner) error {
	certPath := filepath.Join(s.dir, "server.crt")
	keyPath := filepath.Join(s.dir, "server.key")
	if err := s.ca.WriteServerCert(certPath, keyPath, s.address); err != nil {
		return err
	}
	if err := o.Chown(keyPath); err != nil {
		return fmt.Errorf("chown server.key: %w", err)
	}
	if err := s.writeServerConf(); err != nil {
		return err
	}
	client := fmt.Sprintf("[client]\nuser=%s\npassword=%s\nsocket=%q\n", AdminUser, s.adminPassword, filepath.Join(s.socketDir, socketName))
	if err := os.WriteFile(s.clientConf, []byte(client), 0o600); err != nil {
		return fmt.Errorf("write client options: %w", err)
	}
	return nil
}

// writeServerConf writes the server's option file for s.Port: loopback TCP with TLS, the
// socket, a temporary directory of its own (servers sharing /tmp, their bootstraps run at
// once, remove each other's temporary tables: mariadb-install-db then fails with "Unknown
// table mysql.tmp_user_sys"), no name resolution, no general log, and a footprint small
// enough for tests to run many servers at once. The error log goes to the log directory
// (logs.go), with failed logins in it. The binary log is on, with a server id of its own, as on RDS
// with automated backups: it is what a read replica replicates from. The parameters set
// since (params.go) come last, overriding the base settings.
func (s *Server) writeServerConf() error {
	conf := fmt.Sprintf(`# Written by mariaserver: an RDS-like server with a small footprint.
[mariadbd]
datadir=%q
socket=%q
pid-file=%q
tmpdir=%q
port=%d
bind-address=%s
skip-name-resolve
skip-external-locking
local-infile=0
ssl-cert=%q
ssl-key=%q
character-set-server=utf8mb4
collation-server=utf8mb4_general_ci
log-error=%q
log-warnings=2
general-log=0
slow-query-log=0
log-bin=mariadb-bin
server-id=%d
binlog-format=ROW
expire-logs-days=1
relay-log=relay-bin
log-bin-trust-function-creators=1
performance-schema=OFF
max-connections=50
key-buffer-size=1M
innodb-buffer-pool-size=8M
innodb-log-file-size=4M
innodb-log-buffer-size=2M
innodb-flush-log-at-trx-commit=0
innodb-doublewrite=0
innodb-use-native-aio=0
`, s.dataDir, filepath.Join(s.socketDir, socketName), filepath.Join(s.socketDir, "mysqld.pid"), s.socketDir, s.Port, s.address,
		filepath.Join(s.dir, "server.crt"), filepath.Join(s.dir, "server.key"), s.errorLogPath(), s.serverID)
	conf += s.params.options()
	if err := os.WriteFile(s.confPath, []byte(conf), 0o644); err != nil {
		return fmt.Errorf("write server options: %w", err)
	}
	return nil
}

// installDB creates the system tables and, in the same bootstrap, the accounts RDS has:
// AdminUser on the socket and the master user over TCP, and no others (no root, no
// anonymous users, no test database). The setup file holds password hashes only and is
// removed when done.
func (s *Server) installDB(ctx context.Context, o *serverproc.Owner, masterPassword string) error {
	setup, err := os.CreateTemp(s.dir, "setup-*.sql")
	if err != nil {
		return fmt.Errorf("write account setup: %w", err)
	}
	defer os.Remove(setup.Name())
	if _, err := setup.WriteString(setupSQL(s.MasterUser, nativePasswordHash(masterPassword), nativePasswordHash(s.adminPassword))); err != nil {
		_ = setup.Close()
		return fmt.Errorf("write account setup: %w", err)
	}
	if err := setup.Close(); err != nil {
		return fmt.Errorf("write account setup: %w", err)
	}
	args := []string{
		"--defaults-file=" + s.confPath,
		"--datadir=" + s.dataDir,
		"--skip-test-db",
		"--skip-name-resolve",
		"--auth-root-authentication-method=socket",
		"--extra-file=" + setup.Name(),
	}
	if o.Switched {
		// The script runs the bootstrap server as this user and gives it the files.
		args = append(args, "--user="+o.Name)
	}
	cmd := exec.CommandContext(ctx, s.bin.installDB, args...)
	cmd.Dir = s.dir
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	if err := cmd.Run(); err != nil {
		// The output names failed statements by number, never their text.
		return fmt.Errorf("mariadb-install-db: %w: %s", err, strings.TrimSpace(firstLines(out.String(), 5)))
	}
	return nil
}

// setupSQL is the bootstrap's account setup. The bootstrap runs without grant tables
// loaded: FLUSH PRIVILEGES loads them so that account statements work.
func setupSQL(master, masterHash, adminHash string) string {
	m := quoteString(master) + "@'%'"
	admin := quoteString(AdminUser) + "@'localhost'"
	return strings.Join([]string{
		"FLUSH PRIVILEGES",
		// mariadb-install-db makes root and the installing system user superusers over the
		// socket; RDS has no such accounts. mariadb.sys owns the mysql.user view and stays.
		"DELETE FROM mysql.global_priv WHERE NOT (User = 'mariadb.sys' AND Host = 'localhost')",
		"DELETE FROM mysql.proxies_priv",
		"DELETE FROM mysql.db WHERE User = ''",
		"FLUSH PRIVILEGES",
		"CREATE USER " + admin + " IDENTIFIED BY PASSWORD " + quoteString(adminHash),
		"GRANT ALL PRIVILEGES ON *.* TO " + admin + " WITH GRANT OPTION",
		"CREATE USER " + m + " IDENTIFIED BY PASSWORD " + quoteString(masterHash),
		"GRANT " + MasterPrivileges + ", " + mariaDBPrivileges + " ON *.* TO " + m + " WITH GRANT OPTION",
	}, ";\n") + ";\n"
}

// ping connects as AdminUser, to see whether the server is ready.
func (s *Server) ping(ctx context.Context) error {
	db, err := s.adminDB()
	if err != nil {
		return err
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	return db.PingContext(ctx)
}

// nativePasswordHash returns the mysql_native_password hash of password, in the form
// IDENTIFIED BY PASSWORD accepts: "*" and the upper-case hex of SHA1(SHA1(password)).
// Sending the hash keeps the password itself out of the server and its logs.
func nativePasswordHash(password string) string {
	first := sha1.Sum([]byte(password))
	second := sha1.Sum(first[:])
	return "*" + strings.ToUpper(hex.EncodeToString(second[:]))
}

// quoteString quotes s as a MySQL string literal, escaping backslashes too, since the
// server treats them as escapes unless NO_BACKSLASH_ESCAPES is set.
func quoteString(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `''`, "\x00", `\0`).Replace(s) + "'"
}

// firstLines returns at most n lines of s.
func firstLines(s string, n int) string {
	lines := strings.SplitN(s, "\n", n+1)
	if len(lines) > n {
		lines = lines[:n]
	}
	return strings.Join(lines, "\n")
}
