package mariaserver

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/go-sql-driver/mysql"
)

// SetMasterPassword changes the master user's password, as RDS does for
// ModifyDBInstance's MasterUserPassword. As on RDS, it also gives back the master's
// privileges and login if they were taken away (or the account dropped).
func (s *Server) SetMasterPassword(ctx context.Context, password string) error {
	m := quoteString(s.MasterUser) + "@'%'"
	hash := quoteString(nativePasswordHash(password))
	err := s.execAdmin(ctx,
		"CREATE USER IF NOT EXISTS "+m+" IDENTIFIED BY PASSWORD "+hash,
		"ALTER USER "+m+" IDENTIFIED BY PASSWORD "+hash+" ACCOUNT UNLOCK",
		"GRANT "+MasterPrivileges+", "+mariaDBPrivileges+" ON *.* TO "+m+" WITH GRANT OPTION",
	)
	if err != nil {
		return fmt.Errorf("set master password: %w", err)
	}
	return nil
}

// CreateDatabase creates a database, as RDS does for CreateDBInstance's DBName. The master
// reaches it through its global privileges.
func (s *Server) CreateDatabase(ctx context.Context, name string) error {
	if err := s.execAdmin(ctx, "CREATE DATABASE "+quoteIdent(name)); err != nil {
		return fmt.Errorf("create database %s: %w", name, err)
	}
	return nil
}

// execAdmin runs statements in order as AdminUser. A failure names the step and the
// server's error number, never the statement or the server's message, which may quote it
// (and with it a password hash).
func (s *Server) execAdmin(ctx context.Context, stmts ...string) error {
	db, err := s.adminDB()
	if err != nil {
		return err
	}
	defer db.Close()
	for i, q := range stmts {
		if _, err := db.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("step %d: %w", i+1, redact(err))
		}
	}
	return nil
}

// redact keeps a server error's number and SQLSTATE and drops its message.
func redact(err error) error {
	var me *mysql.MySQLError
	if errors.As(err, &me) {
		return fmt.Errorf("server error %d (SQLSTATE %s)", me.Number, string(me.SQLState[:]))
	}
	return err
}

// systemSchemas are the server's own databases, which neither dumps nor restores touch.
var systemSchemas = []string{"mysql", "information_schema", "performance_schema", "sys"}

// Dump writes the user databases (tables, data, routines, events, triggers) and every
// account with its grants to path, with mariadb-dump as AdminUser. The emulator uses it for
// snapshots. AdminUser's own account is left out: every server has its own.
func (s *Server) Dump(ctx context.Context, path string) error {
	return s.dump(ctx, path)
}

// dump writes the dump Dump describes, with extra mariadb-dump options.
func (s *Server) dump(ctx context.Context, path string, extra ...string) error {
	dbs, err := s.userDatabases(ctx)
	if err != nil {
		return fmt.Errorf("dump to %s: %w", path, err)
	}
	args := []string{
		"--defaults-file=" + s.clientConf,
		"--single-transaction", "--routines", "--events", "--triggers", "--hex-blob",
		// Accounts come back as CREATE USER IF NOT EXISTS and GRANT, so that a restore
		// leaves the accounts the new server already has (the master) in place.
		"--system=users", "--insert-ignore",
	}
	args = append(args, extra...)
	args = append(args, "--databases")
	args = append(args, dbs...)
	tmp, err := os.CreateTemp(filepath.Dir(path), ".dump-*")
	if err != nil {
		return fmt.Errorf("dump to %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	cmd := exec.CommandContext(ctx, s.bin.dump, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		_ = tmp.Close()
		return fmt.Errorf("dump to %s: %w", path, err)
	}
	if err := cmd.Start(); err != nil {
		_ = tmp.Close()
		return fmt.Errorf("dump to %s: run mariadb-dump: %w", path, err)
	}
	filterErr := dropAdminAccount(out, tmp)
	waitErr := cmd.Wait()
	closeErr := tmp.Close()
	if waitErr != nil {
		return fmt.Errorf("dump to %s: mariadb-dump: %w: %s", path, waitErr, strings.TrimSpace(stderr.String()))
	}
	if err := errors.Join(filterErr, closeErr); err != nil {
		return fmt.Errorf("dump to %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("dump to %s: %w", path, err)
	}
	return nil
}

// userDatabases lists the databases other than the system schemas.
func (s *Server) userDatabases(ctx context.Context) ([]string, error) {
	db, err := s.adminDB()
	if err != nil {
		return nil, err
	}
	defer db.Close()
	rows, err := db.QueryContext(ctx, "SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME NOT IN (?, ?, ?, ?) ORDER BY SCHEMA_NAME",
		systemSchemas[0], systemSchemas[1], systemSchemas[2], systemSchemas[3])
	if err != nil {
		return nil, fmt.Errorf("list databases: %w", err)
	}
	defer rows.Close()
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, fmt.Errorf("list databases: %w", err)
		}
		names = append(names, n)
	}
	return names, rows.Err()
}

// adminAccount is how mariadb-dump names AdminUser's account.
var adminAccount = "`" + AdminUser + "`@`localhost`"

// dropAdminAccount copies a dump, leaving out the statements that create AdminUser and
// grant to it: replayed elsewhere they would set that server's AdminUser password to this
// one's. Account statements are one line each and start with CREATE USER or GRANT, which
// no line of table data does.
func dropAdminAccount(r io.Reader, w io.Writer) error {
	br := bufio.NewReaderSize(r, 1<<16)
	bw := bufio.NewWriterSize(w, 1<<16)
	for {
		line, err := br.ReadString('\n')
		if len(line) > 0 {
			account := strings.HasPrefix(line, "CREATE USER ") || strings.HasPrefix(line, "GRANT ")
			if !account || !strings.Contains(line, adminAccount) {
				if _, werr := bw.WriteString(line); werr != nil {
					return werr
				}
			}
		}
		if errors.Is(err, io.EOF) {
			return bw.Flush()
		}
		if err != nil {
			return err
		}
	}
}

// Restore replays a file written by Dump into the server, as AdminUser, stopping at the
// first failed statement. Accounts that exist already (the master, which Start created
// with the snapshot's password) are kept. A failure names the line and the server's error
// number, never the statement, which may carry password hashes.
func (s *Server) Restore(ctx context.Context, dumpPath string) error {
	f, err := os.Open(dumpPath)
	if err != nil {
		return fmt.Errorf("restore from %s: %w", dumpPath, err)
	}
	defer f.Close()
	cmd := exec.CommandContext(ctx, s.bin.client, "--defaults-file="+s.clientConf, "--batch", "--silent")
	cmd.Stdin = f
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("restore from %s: %w: %s", dumpPath, err, restoreError(stderr.String()))
	}
	return nil
}

// clientError matches the start of the mariadb client's report of a failed statement,
// before the server's message.
var clientError = regexp.MustCompile(`ERROR \d+ \([0-9A-Z]{5}\)( at line \d+)?`)

// restoreError keeps only the error number and line of the client's report.
func restoreError(stderr string) string {
	if m := clientError.FindString(stderr); m != "" {
		return m
	}
	return "mariadb client failed"
}

// quoteIdent quotes a MySQL identifier with backticks.
func quoteIdent(name string) string {
	return "`" + strings.ReplaceAll(name, "`", "``") + "`"
}
