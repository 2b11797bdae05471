package mariaserver

import (
	"context"
	"crypto/tls"
	"fmt"
	"path/filepath"
)

// TLSConfig is the server's own certificate and key as a TLS server configuration, for a
// front that answers the server's clients in its name (package mysqlfront).
func (s *Server) TLSConfig() (*tls.Config, error) {
	s.tlsMu.Lock()
	defer s.tlsMu.Unlock()
	if s.tlsConfig == nil {
		cert, err := tls.LoadX509KeyPair(filepath.Join(s.dir, "server.crt"), filepath.Join(s.dir, "server.key"))
		if err != nil {
			return nil, fmt.Errorf("load the certificate of the server on port %d: %w", s.Port, err)
		}
		s.tlsConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}
	return s.tlsConfig.Clone(), nil
}

// HasPassword reports whether an account named user logs in with mysql_native_password and
// password, whatever its host. It asks as AdminUser; password never reaches the server,
// only its hash.
func (s *Server) HasPassword(ctx context.Context, user, password string) (bool, error) {
	db, err := s.adminDB()
	if err != nil {
		return false, err
	}
	defer db.Close()
	var n int
	err = db.QueryRowContext(ctx, "SELECT COUNT(*) FROM mysql.user WHERE User = ? AND plugin = 'mysql_native_password' AND authentication_string = ?",
		user, nativePasswordHash(password)).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("look up the account of %q: %w", user, redact(err))
	}
	return n > 0, nil
}
