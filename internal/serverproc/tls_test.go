package serverproc

import (
	"crypto/tls"
	"crypto/x509"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestWriteSelfSignedCert(t *testing.T) {
	dir := t.TempDir()
	certPath, keyPath := filepath.Join(dir, "server.crt"), filepath.Join(dir, "server.key")
	if err := WriteSelfSignedCert(certPath, keyPath); err != nil {
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
	err := WriteSelfSignedCert(filepath.Join(missing, "server.crt"), filepath.Join(missing, "server.key"))
	if err == nil {
		t.Fatal("WriteSelfSignedCert into a missing directory succeeded")
	}
}
