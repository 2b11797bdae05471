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
	// chainOnly checks the certificate's chain and not the name it is issued for.
	chainOnly bool
}

// ParseCABundle reads a PEM bundle; one holding no certificate is an error.
func ParseCABundle(pem []byte) (*CABundle, error) {
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, errors.New("the CA bundle holds no PEM certificate")
	}
	return &CABundle{PEM: pem, pool: pool}, nil
}

// ChainOnly returns the bundle verifying a server's certificate chain but not the name it
// is issued for (libpq's sslmode=verify-ca): for a CA of one database's own, which issues
// its certificate for the database's name rather than for the address connected to.
func (b *CABundle) ChainOnly() *CABundle {
	c := *b
	c.chainOnly = true
	return &c
}

// TLSConfig is the client TLS configuration for a session to host: the server's certificate
// verified against the bundle and for host (for host's name only unless ChainOnly). A nil
// bundle gives nil: the connector's own encrypted, unverified default (sslmode=require). A
// bundle whose PEM did not parse trusts nothing, never the system's roots.
func (b *CABundle) TLSConfig(host string) *tls.Config {
	if b == nil {
		return nil
	}
	pool := b.pool
	if pool == nil {
		pool = x509.NewCertPool()
	}
	if !b.chainOnly {
		return &tls.Config{RootCAs: pool, ServerName: host, MinVersion: tls.VersionTLS12}
	}
	return &tls.Config{
		ServerName: host, MinVersion: tls.VersionTLS12,
		// Go checks the name with the chain; the chain is checked here instead.
		InsecureSkipVerify: true,
		VerifyConnection: func(cs tls.ConnectionState) error {
			if len(cs.PeerCertificates) == 0 {
				return errors.New("the server sent no certificate")
			}
			intermediates := x509.NewCertPool()
			for _, c := range cs.PeerCertificates[1:] {
				intermediates.AddCert(c)
			}
			_, err := cs.PeerCertificates[0].Verify(x509.VerifyOptions{Roots: pool, Intermediates: intermediates})
			return err
		},
	}
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
