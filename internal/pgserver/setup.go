package pgserver

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/matrixmind-cloud/aws-rds-operator/internal/serverproc"
)

// initdb creates the cluster with AdminUser as its bootstrap superuser.
func (s *Server) initdb(ctx context.Context, o *serverproc.Owner) error {
	cmd := exec.CommandContext(ctx, filepath.Join(s.bin, "initdb"),
		"-D", s.dataDir, "-U", AdminUser,
		"--auth-local=trust", "--auth-host=scram-sha-256",
		"-E", "UTF8", "--no-locale", "--no-sync")
	cmd.Dir = s.dir
	cmd.SysProcAttr = o.SysProcAttr()
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("initdb: %w: %s", err, strings.TrimSpace(out.String()))
	}
	return nil
}

// hbaConf lets AdminUser in over the socket only (for sessions and for the base backups
// of Backup and replicas) and everyone else over loopback TCP with SCRAM, as RDS does
// (where the socket is out of reach of customers). ReplicationUser streams to replicas
// over loopback TCP, also with SCRAM. With iam (see iamHBA), the members of IAMRole log in
// only through a front that checked their token.
func hbaConf(iam bool) string {
	var b strings.Builder
	b.WriteString("# Written by pgserver: RDS-like access rules.\n")
	b.WriteString("local   all " + AdminUser + " trust\n")
	b.WriteString("local   replication " + AdminUser + " trust\n")
	if iam {
		b.WriteString(iamHBA)
	}
	for _, cidr := range []string{"127.0.0.1/32", "::1/128"} {
		b.WriteString("host    all all " + cidr + " scram-sha-256\n")
	}
	for _, cidr := range []string{"127.0.0.1/32", "::1/128"} {
		b.WriteString("host    replication " + ReplicationUser + " " + cidr + " scram-sha-256\n")
	}
	return b.String()
}

// configure writes the TLS certificate, pg_hba.conf and the server settings.
func (s *Server) configure(o *serverproc.Owner) error {
	certPath := filepath.Join(s.dataDir, "server.crt")
	keyPath := filepath.Join(s.dataDir, "server.key")
	if err := s.ca.WriteServerCert(certPath, keyPath, s.Host); err != nil {
		return err
	}
	for _, p := range []string{certPath, keyPath} {
		if err := o.Chown(p); err != nil {
			return fmt.Errorf("chown %s: %w", filepath.Base(p), err)
		}
	}
	if err := os.WriteFile(filepath.Join(s.dataDir, "pg_hba.conf"), []byte(hbaConf(s.iam)), 0o600); err != nil {
		return fmt.Errorf("write pg_hba.conf: %w", err)
	}
	settings := fmt.Sprintf(`
# Written by pgserver: an RDS-like server with a small footprint.
listen_addresses = '%s'
port = %d
unix_socket_directories = '%s'
ssl = on
ssl_cert_file = 'server.crt'
ssl_key_file = 'server.key'
password_encryption = 'scram-sha-256'
shared_buffers = 16MB
max_connections = 50
fsync = off
synchronous_commit = off
full_page_writes = off
wal_keep_size = 128MB
`, s.Host, s.Port, s.socketDir)
	return s.appendSettings(settings + s.logSettings())
}

// setPort makes the server listen on s.Port from its next start: a later setting in
// postgresql.conf overrides an earlier one.
func (s *Server) setPort() error {
	return s.appendSettings(fmt.Sprintf("port = %d\n", s.Port))
}

// ping connects as AdminUser, to see whether the server is ready.
func (s *Server) ping(ctx context.Context) error {
	conn, err := pgx.Connect(ctx, s.SuperuserDSN())
	if err != nil {
		return err
	}
	return conn.Close(ctx)
}

// bootstrapRoles creates rds_superuser and the master user as RDS does (and IAMRole, when
// the server is set up for IAM database authentication): the master is not a superuser but
// administers rds_superuser, and owns the postgres database. That makes it
// able to create tables in that database's schema public from PostgreSQL 15 on, where the
// schema belongs to pg_database_owner and PUBLIC may no longer create in it: AWS's guide
// "Controlling user access to the PostgreSQL database" (RDS and Aurora user guides,
// Appendix.PostgreSQL.CommonDBATasks.Access) has the master, connected to postgres, run
// REVOKE CREATE ON SCHEMA public FROM PUBLIC, which only the schema's owner can do.
func (s *Server) bootstrapRoles(ctx context.Context, master, password string) error {
	conn, err := s.adminConn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	m := pgx.Identifier{master}.Sanitize()
	stmts := []string{
		`CREATE ROLE rds_superuser NOLOGIN`,
		`GRANT pg_monitor, pg_signal_backend TO rds_superuser`,
		`CREATE ROLE ` + m + ` LOGIN NOSUPERUSER INHERIT CREATEDB CREATEROLE PASSWORD ` + quoteLiteral(password),
		`GRANT rds_superuser TO ` + m + ` WITH ADMIN OPTION`,
		`ALTER DATABASE postgres OWNER TO ` + m,
	}
	if s.iam {
		stmts = append(stmts, iamRoles(s.Build.Major)...)
	}
	for i, q := range stmts {
		if _, err := conn.Exec(ctx, q); err != nil {
			// Statement 2 holds the password: name the step, never echo the SQL.
			return fmt.Errorf("create RDS roles (step %d): %w", i+1, err)
		}
	}
	if s.Build.Major >= 15 {
		return nil // schema public belongs to pg_database_owner: the owner of each database
	}
	// Before 15, schema public belongs to whoever owns it in template1, the bootstrap
	// superuser on a plain server. On RDS the master owns it (the same guide's REVOKE, run
	// by the master on RDS for PostgreSQL 14 and before, needs that), in postgres and in the
	// databases made from template1 alike.
	if _, err := conn.Exec(ctx, `ALTER SCHEMA public OWNER TO `+m); err != nil {
		return fmt.Errorf("give the master schema public of postgres: %w", err)
	}
	cfg, err := pgx.ParseConfig(s.SuperuserDSN())
	if err != nil {
		return err
	}
	cfg.Database = "template1"
	tmpl, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return fmt.Errorf("connect to template1: %w", err)
	}
	defer tmpl.Close(context.WithoutCancel(ctx))
	if _, err := tmpl.Exec(ctx, `ALTER SCHEMA public OWNER TO `+m); err != nil {
		return fmt.Errorf("give the master schema public of template1: %w", err)
	}
	return nil
}

// adminConn connects as AdminUser over the unix socket. The session never copies a
// failing statement into the server log, since its statements may carry a password.
func (s *Server) adminConn(ctx context.Context) (*pgx.Conn, error) {
	cfg, err := pgx.ParseConfig(s.SuperuserDSN())
	if err != nil {
		return nil, fmt.Errorf("connect as %s: %w", AdminUser, err)
	}
	cfg.RuntimeParams["log_min_error_statement"] = "panic"
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connect as %s: %w", AdminUser, err)
	}
	return conn, nil
}

// quoteLiteral quotes s as a standard SQL string literal.
func quoteLiteral(s string) string {
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}
