package engine

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"testing"

	"github.com/matrixmind-cloud/aws-rds-operator/internal/serverproc"
)

func TestParseCABundle(t *testing.T) {
	ca, err := serverproc.NewCA("cloud CA")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		reason string
		pem    string
		ok     bool
	}{
		{"a CA certificate is a bundle", string(ca.PEM), true},
		{"an empty file is no bundle", "", false},
		{"text that is no PEM is no bundle", "not a certificate", false},
	}
	for _, c := range cases {
		if _, err := ParseCABundle([]byte(c.pem)); (err == nil) != c.ok {
			t.Errorf("%s: ParseCABundle(%q) = %v", c.reason, c.pem, err)
		}
	}
	var none *CABundle
	if none.TLSConfig("db.example.com") != nil {
		t.Errorf("no bundle must leave the connector's own TLS default")
	}
}

// TestTLSConfigVerifiesTheServer runs real TLS handshakes against a server whose certificate
// the cloud's CA issued for localhost and its loopback addresses.
func TestTLSConfigVerifiesTheServer(t *testing.T) {
	ca, err := serverproc.NewCA("cloud CA")
	if err != nil {
		t.Fatal(err)
	}
	other, err := serverproc.NewCA("an impostor's CA")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certPath, keyPath := filepath.Join(dir, "server.crt"), filepath.Join(dir, "server.key")
	if err := ca.WriteServerCert(certPath, keyPath, ""); err != nil {
		t.Fatal(err)
	}
	pair, err := tls.LoadX509KeyPair(certPath, keyPath)
	if err != nil {
		t.Fatal(err)
	}
	l, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{pair}})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			_ = c.(*tls.Conn).Handshake()
			_ = c.Close()
		}
	}()
	bundle := func(pem []byte) *CABundle {
		b, err := ParseCABundle(pem)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	cases := []struct {
		reason string
		ca     *CABundle
		host   string
		ok     bool
	}{
		{"the cloud's CA, and the certificate names the host: verify-full passes", bundle(ca.PEM), "localhost", true},
		{"a certificate for another name than the host is refused", bundle(ca.PEM), "db.example.com", false},
		{"another CA's bundle refuses the server", bundle(other.PEM), "localhost", false},
		{"a database's own CA checks the chain, not the name (verify-ca)", bundle(ca.PEM).ChainOnly(), "db.example.com", true},
		{"and refuses a server of another CA", bundle(other.PEM).ChainOnly(), "localhost", false},
		{"a CA that did not parse trusts nothing, not the system's roots", (&CABundle{PEM: []byte("garbage")}).ChainOnly(), "localhost", false},
	}
	for _, c := range cases {
		conn, err := tls.Dial("tcp", l.Addr().String(), c.ca.TLSConfig(c.host))
		if err == nil {
			_ = conn.Close()
		}
		if (err == nil) != c.ok {
			t.Errorf("%s: handshake: %v", c.reason, err)
		}
		if err != nil && !CertificateRefused(err) {
			t.Errorf("%s: the refusal is not told apart as a certificate's: %v", c.reason, err)
		}
	}
}

func TestCertificateRefused(t *testing.T) {
	cases := []struct {
		reason string
		err    error
		want   bool
	}{
		{"a certificate of an unknown CA", fmt.Errorf("tls error: %w", x509.UnknownAuthorityError{}), true},
		{"a certificate for another host", fmt.Errorf("tls error: %w", x509.HostnameError{Host: "db"}), true},
		{"an expired certificate", x509.CertificateInvalidError{Reason: x509.Expired}, true},
		{"a refused connection is no certificate matter", &net.OpError{Op: "dial", Err: errors.New("connection refused")}, false},
	}
	for _, c := range cases {
		if got := CertificateRefused(c.err); got != c.want {
			t.Errorf("%s: CertificateRefused = %v, want %v", c.reason, got, c.want)
		}
	}
}
