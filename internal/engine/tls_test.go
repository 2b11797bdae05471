package engine

import (
	"crypto/x509"
	"errors"
	"fmt"
	"testing"
)

func TestParseCABundle(t *testing.T) {
	cases := []struct {
		reason string
		pem    string
		ok     bool
	}{
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

func TestCertificateRefused(t *testing.T) {
	cases := []struct {
		reason string
		err    error
		want   bool
	}{
		{"a certificate of an unknown CA", fmt.Errorf("tls error: %w", x509.UnknownAuthorityError{}), true},
		{"a certificate for another host", fmt.Errorf("tls error: %w", x509.HostnameError{Host: "db"}), true},
		{"an expired certificate", x509.CertificateInvalidError{Reason: x509.Expired}, true},
		{"a refused connection is no certificate matter", errors.New("connect: connection refused"), false},
	}
	for _, c := range cases {
		if got := CertificateRefused(c.err); got != c.want {
			t.Errorf("%s: CertificateRefused = %v, want %v", c.reason, got, c.want)
		}
	}
}
