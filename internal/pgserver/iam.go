package pgserver

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"path/filepath"
	"strconv"
)

// IAMRole is the role whose members log in with an IAM database authentication token
// instead of a password, as on RDS (a server started with Options.IAM has it).
const IAMRole = "rds_iam"

// The loopback addresses a front (package pgfront) connects to the server from, over TCP,
// on behalf of its clients. PasswordAddress is for a user it found does not log in with a
// token (DialPassword): pg_hba.conf lets any user log in from it with a password, since
// the front has sent the members of IAMRole elsewhere. TokenAddress is for a member of
// IAMRole whose token it accepted (DialTrusted): pg_hba.conf lets IAMRole's members in
// from it over TLS without a password, as RDS lets them in once PAM accepted the token.
const (
	PasswordAddress = "127.0.0.2"
	TokenAddress    = "127.0.0.3"
)

// iamHBA are the rules of pg_hba.conf, after AdminUser's, of a server set up for IAM
// database authentication. The members of IAMRole log in without a password from
// TokenAddress and over the socket (where a front falls back to when it cannot bind
// TokenAddress): the front that checked their token uses them. Nothing else enforces that:
// a process of this machine that binds TokenAddress or reaches the socket could use them,
// as it could use AdminUser's socket; the emulator trusts its machine, as it must to run
// servers on it. Over TCP elsewhere they may not log in with a password; from
// PasswordAddress, where the front sends only users it found do not log in with a token
// (UsesIAM), anyone may: pg_hba.conf cannot tell those apart (below), so the front's
// look-up decides, and a grant landing between it and the login lets that one login in
// with the user's password (an RDS user given rds_iam has none). pg_hba.conf's +rds_iam
// counts every membership, also a grant WITH ADMIN OPTION alone, which from PostgreSQL 16
// on rds_superuser holds (iamRoles) and a role holds on each role it creates: rds_superuser's
// members (the master) may still log in with a password over TCP directly, for the
// emulator's own sessions (snapshot exports) and for debugging.
const iamHBA = `local   all +` + IAMRole + ` trust
hostssl all +` + IAMRole + ` ` + TokenAddress + `/32 trust
host    all all ` + PasswordAddress + `/32 scram-sha-256
host    all +rds_superuser 127.0.0.1/32 scram-sha-256
host    all +rds_superuser ::1/128      scram-sha-256
host    all +` + IAMRole + ` 127.0.0.1/32 reject
host    all +` + IAMRole + ` ::1/128      reject
`

// iamRoles are the statements that set IAMRole up on a server of major, run by AdminUser
// after rds_superuser exists. RDS lets the master grant rds_iam. Before PostgreSQL 16 its
// CREATEROLE suffices; from 16 on only a role holding a role WITH ADMIN OPTION may grant
// it, which the master does through rds_superuser: a grant with neither INHERIT nor SET,
// which UsesIAM does not count.
func iamRoles(major int) []string {
	stmts := []string{`CREATE ROLE ` + IAMRole + ` NOLOGIN`}
	if major >= 16 {
		stmts = append(stmts, `GRANT `+IAMRole+` TO rds_superuser WITH ADMIN TRUE, INHERIT FALSE, SET FALSE`)
	}
	return stmts
}

// usesIAMQuery tells whether the role $1 is a member of IAMRole, directly or through other
// roles, counting from PostgreSQL 16 on only the grants that pass the role's privileges or
// let it SET ROLE: a grant WITH ADMIN OPTION alone, such as a role holds on each role it
// creates, does not make the role log in with a token. It is false for a role that does
// not exist and on a server without IAMRole. usesIAMQuery15 is the same before 16, where
// every grant passes privileges or SET ROLE.
const (
	usesIAMQuery = `
WITH RECURSIVE up(role) AS (
	SELECT oid FROM pg_roles WHERE rolname = $1
	UNION
	SELECT m.roleid FROM pg_auth_members m JOIN up ON m.member = up.role WHERE m.inherit_option OR m.set_option)
SELECT EXISTS (SELECT 1 FROM up JOIN pg_roles r ON r.oid = up.role WHERE r.rolname = '` + IAMRole + `')`
	usesIAMQuery15 = `
WITH RECURSIVE up(role) AS (
	SELECT oid FROM pg_roles WHERE rolname = $1
	UNION
	SELECT m.roleid FROM pg_auth_members m JOIN up ON m.member = up.role)
SELECT EXISTS (SELECT 1 FROM up JOIN pg_roles r ON r.oid = up.role WHERE r.rolname = '` + IAMRole + `')`
)

// UsesIAM reports whether user must log in with an IAM database authentication token: a
// member of IAMRole, directly or by nested grants, as RDS decides ("If the rds_iam role is
// added to the master user, IAM authentication takes precedence over password
// authentication"). It asks the server each time, so a GRANT or REVOKE counts for the next
// login.
func (s *Server) UsesIAM(ctx context.Context, user string) (bool, error) {
	conn, err := s.adminConn(ctx)
	if err != nil {
		return false, fmt.Errorf("look up the login of %s: %w", user, err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	q := usesIAMQuery
	if s.Build.Major < 16 {
		q = usesIAMQuery15
	}
	var iam bool
	if err := conn.QueryRow(ctx, q, user).Scan(&iam); err != nil {
		return false, fmt.Errorf("look up the login of %s: %w", user, err)
	}
	return iam, nil
}

// Addr is the server's TCP address, host:port.
func (s *Server) Addr() string { return net.JoinHostPort(s.Host, strconv.Itoa(s.Port)) }

// DialPassword connects to the server over TCP from PasswordAddress, for a front to log in
// a user that logs in with a password. Where that address cannot be bound it connects from
// the usual one, where pg_hba.conf refuses a password to IAMRole's members, among them (from
// PostgreSQL 16 on) the roles that created one.
func (s *Server) DialPassword(ctx context.Context) (net.Conn, error) {
	conn, err := s.dialFrom(ctx, PasswordAddress)
	if err != nil {
		var d net.Dialer
		if conn, err = d.DialContext(ctx, "tcp", s.ipv4Addr()); err != nil {
			return nil, fmt.Errorf("dial the server on port %d: %w", s.Port, err)
		}
	}
	return conn, nil
}

// DialTrusted connects to the server where (on a server set up with Options.IAM) the
// members of IAMRole log in without a password: over TCP from TokenAddress, where they must
// use TLS, or, where that address cannot be bound, over the unix socket. It is meant for a
// front that checked their token.
func (s *Server) DialTrusted(ctx context.Context) (net.Conn, error) {
	if conn, err := s.dialFrom(ctx, TokenAddress); err == nil {
		return conn, nil
	}
	var d net.Dialer
	conn, err := d.DialContext(ctx, "unix", filepath.Join(s.socketDir, ".s.PGSQL."+strconv.Itoa(s.Port)))
	if err != nil {
		return nil, fmt.Errorf("dial the socket of the server on port %d: %w", s.Port, err)
	}
	return conn, nil
}

// dialFrom connects to the server over TCP from a loopback address of IPv4.
func (s *Server) dialFrom(ctx context.Context, local string) (net.Conn, error) {
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(local)}}
	return d.DialContext(ctx, "tcp", s.ipv4Addr())
}

// ipv4Addr is the server's TCP address on IPv4: 127.0.0.1 for a server on localhost.
func (s *Server) ipv4Addr() string {
	host := s.Host
	if host == "localhost" {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, strconv.Itoa(s.Port))
}

// TLSConfig is a server-side TLS configuration with the server's own certificate and key,
// for a front that does TLS in the server's place: a client sees the certificate the server
// would show, so that SCRAM's channel binding (tls-server-end-point) computed against the
// front matches the server's.
func (s *Server) TLSConfig() (*tls.Config, error) {
	s.tlsMu.Lock()
	defer s.tlsMu.Unlock()
	if s.tlsConfig == nil {
		cert, err := tls.LoadX509KeyPair(filepath.Join(s.dataDir, "server.crt"), filepath.Join(s.dataDir, "server.key"))
		if err != nil {
			return nil, fmt.Errorf("load the certificate of the server on port %d: %w", s.Port, err)
		}
		s.tlsConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}
	return s.tlsConfig.Clone(), nil
}
