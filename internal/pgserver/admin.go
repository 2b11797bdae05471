package pgserver

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/jackc/pgx/v5"
)

// SetMasterPassword changes the master user's password, as RDS does for
// ModifyDBInstance's MasterUserPassword.
func (s *Server) SetMasterPassword(ctx context.Context, password string) error {
	conn, err := s.adminConn(ctx)
	if err != nil {
		return fmt.Errorf("set master password: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	q := `ALTER ROLE ` + pgx.Identifier{s.MasterUser}.Sanitize() + ` PASSWORD ` + quoteLiteral(password)
	if _, err := conn.Exec(ctx, q); err != nil {
		return fmt.Errorf("set master password: %w", err)
	}
	return nil
}

// CreateDatabase creates a database owned by the master user, as RDS does for
// CreateDBInstance's DBName.
func (s *Server) CreateDatabase(ctx context.Context, name string) error {
	conn, err := s.adminConn(ctx)
	if err != nil {
		return fmt.Errorf("create database %s: %w", name, err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	q := `CREATE DATABASE ` + pgx.Identifier{name}.Sanitize() + ` OWNER ` + pgx.Identifier{s.MasterUser}.Sanitize()
	if _, err := conn.Exec(ctx, q); err != nil {
		return fmt.Errorf("create database %s: %w", name, err)
	}
	return nil
}

// Dump writes a pg_dumpall of every database, role and setting to path, taken as
// AdminUser with the machine's pg_dumpall, which dumps servers of its own major and older
// ones only. The Cloud SQL emulator uses it for backups; Backup works for every major.
func (s *Server) Dump(ctx context.Context, path string) error {
	if err := s.runClient(ctx, "pg_dumpall", "-f", path); err != nil {
		return fmt.Errorf("dump to %s: %w", path, err)
	}
	return nil
}

// Restore replays a file written by Dump into the server, as AdminUser. Statements that
// fail because the object already exists (the RDS roles and the master user, which Start
// created) are skipped, as psql does by default; any other failed statement makes Restore
// fail, naming the errors but never the statements, which may carry password hashes.
func (s *Server) Restore(ctx context.Context, dumpPath string) error {
	stderr, err := s.clientOutput(ctx, "psql", "-X", "-q", "-d", "postgres", "-f", dumpPath)
	if err != nil {
		return fmt.Errorf("restore from %s: %w", dumpPath, err)
	}
	if failed := restoreErrors(stderr); len(failed) > 0 {
		return fmt.Errorf("restore from %s: %d statements failed: %s", dumpPath, len(failed), strings.Join(failed, "; "))
	}
	return nil
}

// restoreErrors returns psql's ERROR lines other than "already exists".
func restoreErrors(stderr string) []string {
	var out []string
	for _, line := range strings.Split(stderr, "\n") {
		if strings.Contains(line, "ERROR:") && !strings.Contains(line, "already exists") {
			out = append(out, strings.TrimSpace(line))
		}
	}
	return out
}

// runClient runs a PostgreSQL client program as AdminUser over the unix socket.
func (s *Server) runClient(ctx context.Context, program string, args ...string) error {
	_, err := s.clientOutput(ctx, program, args...)
	return err
}

// clientOutput runs one of the machine's PostgreSQL client programs as AdminUser over the
// unix socket and returns what it wrote to stderr.
func (s *Server) clientOutput(ctx context.Context, program string, args ...string) (string, error) {
	if s.clientBin == "" {
		return "", fmt.Errorf("%s: the machine has no PostgreSQL client programs (hack/deps.sh installs them)", program)
	}
	base := []string{"-h", s.socketDir, "-p", fmt.Sprint(s.Port), "-U", AdminUser}
	cmd := exec.CommandContext(ctx, filepath.Join(s.clientBin, program), append(base, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return stderr.String(), fmt.Errorf("%s: %w: %s", program, err, strings.TrimSpace(stderr.String()))
	}
	return stderr.String(), nil
}
