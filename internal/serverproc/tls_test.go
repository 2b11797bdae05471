package serverproc

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestWriteSelfSignedCert(t *testing.T) {
	dir := t.TempDir()
	certPath, keyPath := filepath.Join(dir, "server.crt"), filepath.Join(dir, "server.key")
	var noCA *CA
	if err := noCA.WriteServerCert(certPath, keyPath, ""); err != nil {
		t.Fatal(err)
	}
	pair, err := tls.LoadX509KeyPair(certPath, keyPath)
	if err != nil {
		t.Fatalf("the certificate and key do not make a pair: %v", err)
	}
	cert, err := x509.ParseCertificate(pair.Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	if now := time.Now(); now.Before(cert.NotBefore) || now.After(cert.NotAfter) {
		t.Errorf("certificate valid from %v to %v, not now", cert.NotBefore, cert.NotAfter)
	}
	roots := x509.NewCertPool()
	roots.AddCert(cert)
	for _, host := range []string{"localhost", "127.0.0.1", "::1"} {
		if _, err := cert.Verify(x509.VerifyOptions{DNSName: host, Roots: roots}); err != nil {
			t.Errorf("a client that trusts the certificate cannot verify %s: %v", host, err)
		}
	}

	cases := map[string]struct {
		reason string
		path   string
		want   os.FileMode
	}{
		"Certificate": {reason: "Anyone may read the certificate.", path: certPath, want: 0o644},
		"Key":         {reason: "Only its owner may read the key; servers refuse a key others can read.", path: keyPath, want: 0o600},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			fi, err := os.Stat(tc.path)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, fi.Mode().Perm()); diff != "" {
				t.Errorf("%s\n-want +got:\n%s", tc.reason, diff)
			}
		})
	}
}

func TestWriteSelfSignedCertFailsInAMissingDirectory(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "missing")
	var noCA *CA
	err := noCA.WriteServerCert(filepath.Join(missing, "server.crt"), filepath.Join(missing, "server.key"), "")
	if err == nil {
		t.Fatal("WriteServerCert into a missing directory succeeded")
	}
}

// leaf reads the certificate at path.
func leaf(t *testing.T, path string) *x509.Certificate {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(data)
	if block == nil {
		t.Fatalf("%s holds no PEM block", path)
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return cert
}

func TestCASignsServerCertificates(t *testing.T) {
	ca, err := NewCA("test CA")
	if err != nil {
		t.Fatal(err)
	}
	other, err := NewCA("another CA")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certPath, keyPath := filepath.Join(dir, "server.crt"), filepath.Join(dir, "server.key")
	if err := ca.WriteServerCert(certPath, keyPath, "127.18.0.2"); err != nil {
		t.Fatal(err)
	}
	if _, err := tls.LoadX509KeyPair(certPath, keyPath); err != nil {
		t.Fatalf("the certificate and key do not make a pair: %v", err)
	}
	cert := leaf(t, certPath)
	pool := func(c *CA) *x509.CertPool {
		p := x509.NewCertPool()
		if !p.AppendCertsFromPEM(c.PEM) {
			t.Fatal("the CA's PEM holds no certificate")
		}
		return p
	}
	cases := []struct {
		reason string
		roots  *CA
		host   string
		ok     bool
	}{
		{"a client trusting the CA verifies the endpoint's name", ca, "localhost", true},
		{"and its loopback addresses", ca, "127.0.0.1", true},
		{"and its IPv6 loopback", ca, "::1", true},
		{"and the address the server was given", ca, "127.18.0.2", true},
		{"another host name is refused (verify-full checks the name)", ca, "db.example.com", false},
		{"a client trusting another CA refuses the server", other, "localhost", false},
	}
	for _, c := range cases {
		_, err := cert.Verify(x509.VerifyOptions{DNSName: c.host, Roots: pool(c.roots)})
		if (err == nil) != c.ok {
			t.Errorf("%s: verify %s: %v", c.reason, c.host, err)
		}
	}
	if cert.IsCA {
		t.Errorf("a server certificate signed by the CA must not itself be a CA")
	}
}

func TestLoadOrCreateCAKeepsItsCA(t *testing.T) {
	dir := t.TempDir()
	first, err := LoadOrCreateCA(dir, "test CA")
	if err != nil {
		t.Fatal(err)
	}
	again, err := LoadOrCreateCA(dir, "test CA")
	if err != nil {
		t.Fatal(err)
	}
	if string(first.PEM) != string(again.PEM) {
		t.Errorf("a second start made another CA: servers signed before a restart would no longer verify")
	}
	if fi, err := os.Stat(filepath.Join(dir, "ca.key")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("ca.key: %v, %v; want mode 0600", fi, err)
	}
	other, err := NewCA("another CA")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "ca.pem"), other.PEM, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadOrCreateCA(dir, "test CA"); err == nil {
		t.Errorf("a CA certificate with another CA's key was accepted")
	}
}
