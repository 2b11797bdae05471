package mysql

import (
	"context"
	"testing"
	"time"

	"github.com/matrixmind-cloud/aws-rds-operator/internal/engine"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/mariaserver"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/serverproc"
)

// TestConnectorVerifiesTheServer: with a CA bundle the connector logs in only to a server
// whose certificate chains to it and names the host connected to, and says so when it
// refuses one; without a bundle it still requires TLS.
func TestConnectorVerifiesTheServer(t *testing.T) {
	if err := mariaserver.Installed(); err != nil {
		t.Skipf("MariaDB is not installed: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	ca, err := serverproc.NewCA("cloud CA")
	if err != nil {
		t.Fatal(err)
	}
	other, err := serverproc.NewCA("an impostor's CA")
	if err != nil {
		t.Fatal(err)
	}
	srv, err := mariaserver.Start(ctx, mariaserver.Options{Dir: t.TempDir(), MasterUser: master, MasterPassword: masterPassword, CA: ca})
	if err != nil {
		t.Fatalf("start MariaDB: %v", err)
	}
	t.Cleanup(func() { _ = srv.Stop() })
	bundle := func(pem []byte) *engine.CABundle {
		b, err := engine.ParseCABundle(pem)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	cases := []struct {
		reason  string
		host    string
		ca      *engine.CABundle
		refused bool
	}{
		{"the cloud's CA verifies the server for its endpoint name", "localhost", bundle(ca.PEM), false},
		{"and for its address", "127.0.0.1", bundle(ca.PEM), false},
		{"a bundle of other CAs refuses the server: someone posing as the database", "localhost", bundle(other.PEM), true},
		{"no bundle: encrypted without verification, as before", "localhost", nil, false},
	}
	for _, c := range cases {
		ep := engine.Endpoint{Host: c.host, Port: int32(srv.Port), User: master, Password: masterPassword, CA: c.ca}
		admin, err := Connector{}.Connect(ctx, ep)
		if c.refused {
			if !engine.IsCertificateRefused(err) || engine.IsPasswordRefused(err) {
				t.Errorf("%s: Connect = %v, want a refused certificate", c.reason, err)
			}
			if err := (Connector{}).Verify(ctx, ep, ""); !engine.IsCertificateRefused(err) {
				t.Errorf("%s: Verify = %v, want a refused certificate", c.reason, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: Connect: %v", c.reason, err)
			continue
		}
		_ = admin.Close(ctx)
	}
}
