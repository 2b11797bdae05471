package pgserver

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/matrixmind-cloud/aws-rds-operator/internal/serverproc"
)

// ReplicationUser is the role replicas stream from, as RDS's own rdsrepladmin: LOGIN
// REPLICATION, created on a source the first time a replica of it starts. Its password
// is random and known only to this process and the replicas' configuration.
const ReplicationUser = "rdsrepladmin"

// StartReplica starts a streaming replica of source under opts.Dir, as RDS does for a read
// replica of RDS for PostgreSQL: a base backup of the source (BASE_BACKUP with its WAL, as
// pg_basebackup takes it), standby.signal and a primary_conninfo that keeps streaming the
// source's WAL over loopback TCP as ReplicationUser. The replica runs the source's build. It
// is a hot standby: it accepts read-only sessions, refuses every write, and has the
// source's roles (the master user with its password) and data. Its master user is the
// source's; opts.MasterUser, opts.MasterPassword and opts.Major are not used. The caller
// must Stop the replica; Promote makes it a standalone server.
func StartReplica(ctx context.Context, opts Options, source *Server) (*Server, error) {
	if source == nil {
		return nil, fmt.Errorf("start postgres replica: no source server")
	}
	builds, err := opts.builds()
	if err != nil {
		return nil, fmt.Errorf("start postgres replica: %w", err)
	}
	password, err := source.replicationPassword(ctx)
	if err != nil {
		return nil, fmt.Errorf("start postgres replica: %w", err)
	}
	s, owner, err := newServer(opts, source.MasterUser, source.Build, builds)
	if err != nil {
		return nil, fmt.Errorf("start postgres replica: %w", err)
	}
	s.iam = source.iam // the copy has its source's roles and access rules
	if err := s.copyDataOf(ctx, owner, source); err != nil {
		return nil, fmt.Errorf("start postgres replica: %w", err)
	}
	if err := s.configureStandby(owner, source, password); err != nil {
		return nil, fmt.Errorf("start postgres replica: %w", err)
	}
	if err := s.run(ctx, opts); err != nil {
		return nil, fmt.Errorf("start postgres replica: %w", err)
	}
	return s, nil
}

// copyDataOf unpacks a base backup of source into s.dataDir as it streams in.
func (s *Server) copyDataOf(ctx context.Context, o *serverproc.Owner, source *Server) error {
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		err := extractArchive(pr, s.dataDir, o)
		// Drain what the sender still writes once the archive has ended, and make it stop
		// when extraction failed.
		if err == nil {
			_, err = io.Copy(io.Discard, pr)
		}
		pr.CloseWithError(err)
		done <- err
	}()
	err := source.baseBackup(ctx, pw)
	pw.CloseWithError(err)
	if xerr := <-done; err == nil {
		err = xerr
	}
	if err != nil {
		return fmt.Errorf("base backup of the server on port %d: %w", source.Port, err)
	}
	return nil
}

// configureStandby makes the copied data directory a hot standby of source: its own
// address, port and socket directory (the copy carries the source's postgresql.conf, and a
// later setting overrides an earlier one), standby.signal, and a primary_conninfo that
// streams the source's WAL as ReplicationUser. The password lands in postgresql.conf,
// readable by the server's owner only, as pg_basebackup -R would write it.
func (s *Server) configureStandby(o *serverproc.Owner, source *Server, password string) error {
	conninfo := fmt.Sprintf("host=%s port=%d user=%s password=%s application_name=%s sslmode=prefer",
		source.Host, source.Port, ReplicationUser, password, filepath.Base(s.dir))
	settings := s.ownSettings(fmt.Sprintf("a hot standby of the server on port %d", source.Port)) +
		"hot_standby = on\nprimary_conninfo = " + quoteLiteral(conninfo) + "\n"
	if err := s.appendSettings(settings); err != nil {
		return err
	}
	signal := filepath.Join(s.dataDir, "standby.signal")
	if err := os.WriteFile(signal, nil, 0o600); err != nil {
		return fmt.Errorf("write standby.signal: %w", err)
	}
	if err := o.Chown(signal); err != nil {
		return fmt.Errorf("chown standby.signal: %w", err)
	}
	return nil
}

// appendSettings appends lines to postgresql.conf; later lines override earlier ones.
func (s *Server) appendSettings(lines string) error {
	f, err := os.OpenFile(filepath.Join(s.dataDir, "postgresql.conf"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return fmt.Errorf("open postgresql.conf: %w", err)
	}
	if _, err := f.WriteString(lines); err != nil {
		_ = f.Close()
		return fmt.Errorf("write postgresql.conf: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write postgresql.conf: %w", err)
	}
	return nil
}

// replicationPassword returns the password of ReplicationUser on this server, creating
// the role (or, on a promoted replica, which has the role of its old source, resetting
// its password) the first time a replica needs it.
func (s *Server) replicationPassword(ctx context.Context) (string, error) {
	s.replMu.Lock()
	defer s.replMu.Unlock()
	if s.replPassword != "" {
		return s.replPassword, nil
	}
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("replication password: %w", err)
	}
	password := hex.EncodeToString(b)
	conn, err := s.adminConn(ctx)
	if err != nil {
		return "", fmt.Errorf("create %s: %w", ReplicationUser, err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	var exists bool
	if err := conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1)`, ReplicationUser).Scan(&exists); err != nil {
		return "", fmt.Errorf("create %s: %w", ReplicationUser, err)
	}
	verb := "CREATE"
	if exists {
		verb = "ALTER"
	}
	q := verb + ` ROLE ` + pgx.Identifier{ReplicationUser}.Sanitize() + ` WITH LOGIN REPLICATION NOSUPERUSER PASSWORD ` + quoteLiteral(password)
	if _, err := conn.Exec(ctx, q); err != nil {
		// The statement holds the password: never echo it.
		return "", fmt.Errorf("%s role %s: %w", strings.ToLower(verb), ReplicationUser, err)
	}
	s.replPassword = password
	return password, nil
}

// InRecovery reports whether the server is a standby (a replica not yet promoted).
func (s *Server) InRecovery(ctx context.Context) (bool, error) {
	conn, err := s.adminConn(ctx)
	if err != nil {
		return false, err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	var standby bool
	if err := conn.QueryRow(ctx, `SELECT pg_is_in_recovery()`).Scan(&standby); err != nil {
		return false, fmt.Errorf("pg_is_in_recovery: %w", err)
	}
	return standby, nil
}

// Promote makes a replica a standalone, writable server that no longer follows its
// source, as RDS does when it promotes a read replica. Promoting a server that is not a
// replica does nothing.
func (s *Server) Promote(ctx context.Context) error {
	standby, err := s.InRecovery(ctx)
	if err != nil {
		return fmt.Errorf("promote: %w", err)
	}
	if !standby {
		return nil
	}
	conn, err := s.adminConn(ctx)
	if err != nil {
		return fmt.Errorf("promote: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	var done bool
	if err := conn.QueryRow(ctx, `SELECT pg_promote(true, 60)`).Scan(&done); err != nil {
		return fmt.Errorf("promote: %w", err)
	}
	if !done {
		return fmt.Errorf("promote: the server did not leave recovery within 60 seconds")
	}
	return nil
}
