package engine

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
)

// CABundle holds the certificates of the CAs a database server's certificate must chain
// to: the cloud's bundle (AWS publishes RDS's as global-bundle.pem). A session to a server
// whose certificate does not chain to one of them, or does not name the host connected to,
// is refused before the password is sent (libpq's sslmode=verify-full).
type CABundle struct {
	// PEM is the bundle as read, what a user's Secret carries as ca.crt.
	PEM  []byte
	pool *x509.CertPool
}

// ParseCABundle reads a PEM bundle; one holding no certificate is an error.
func ParseCABundle(pem []byte) (*CABundle, error) {
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, errors.New("the CA bundle holds no PEM certificate")
	}
	return &CABundle{PEM: pem, pool: pool}, nil
}

// TLSConfig is the client TLS configuration for a session to host: the server's certificate
// verified against the bundle and for host. A nil bundle gives nil: the connector's own
// encrypted, unverified default (sslmode=require).
func (b *CABundle) TLSConfig(host string) *tls.Config {
	if b == nil {
		return nil
	}
	return &tls.Config{RootCAs: b.pool, ServerName: host, MinVersion: tls.VersionTLS12}
}

// CertificateRefused reports whether err is a server certificate failing verification:
// signed by no CA of the bundle, for another host, or expired.
func CertificateRefused(err error) bool {
	var unknown x509.UnknownAuthorityError
	var host x509.HostnameError
	var invalid x509.CertificateInvalidError
	var verify *tls.CertificateVerificationError
	return errors.As(err, &unknown) || errors.As(err, &host) || errors.As(err, &invalid) || errors.As(err, &verify)
}

// IsCertificateRefused reports whether err says the server's TLS certificate did not
// verify against the CA bundle.
func IsCertificateRefused(err error) bool {
	var ee *Error
	return errors.As(err, &ee) && ee.CertificateRefused
}
