package postgres

import (
	"context"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/matrixmind-cloud/aws-rds-operator/internal/engine"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/pgserver"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/serverproc"
)

// TestConnectorVerifiesTheServer: with a CA bundle the connector logs in only to a server
// whose certificate chains to it and names the host connected to (sslmode=verify-full),
// and says so when it refuses one; without a bundle it still requires TLS.
func TestConnectorVerifiesTheServer(t *testing.T) {
	if found, _ := filepath.Glob("/usr/lib/postgresql/*/bin/postgres"); len(found) == 0 {
		if _, err := exec.LookPath("postgres"); err != nil {
			t.Skip("PostgreSQL is not installed (make deps installs it)")
		}
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
	srv, err := pgserver.Start(ctx, pgserver.Options{Dir: t.TempDir(), MasterUser: master, MasterPassword: masterPassword, CA: ca})
	if err != nil {
		t.Fatalf("start PostgreSQL: %v", err)
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
		reason   string
		host     string
		ca       *engine.CABundle
		refused  bool
		database string
	}{
		{"the cloud's CA verifies the server for its endpoint name", "localhost", bundle(ca.PEM), false, "by_name"},
		{"and for its address", "127.0.0.1", bundle(ca.PEM), false, "by_address"},
		{"a bundle of other CAs refuses the server: someone posing as the database", "localhost", bundle(other.PEM), true, ""},
		{"no bundle: encrypted without verification, as before", "localhost", nil, false, "unverified"},
	}
	for _, c := range cases {
		ep := engine.Endpoint{Host: c.host, Port: int32(srv.Port), User: master, Password: masterPassword, AdminRole: "rds_superuser", CA: c.ca}
		admin, err := Connector{}.Connect(ctx, ep)
		if c.refused {
			if !engine.IsCertificateRefused(err) || engine.IsPasswordRefused(err) {
				t.Errorf("%s: Connect = %v, want a refused certificate", c.reason, err)
			}
			if err := (Connector{}).Verify(ctx, ep, "postgres"); !engine.IsCertificateRefused(err) {
				t.Errorf("%s: Verify = %v, want a refused certificate", c.reason, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: Connect: %v", c.reason, err)
			continue
		}
		// A database's grants are applied over a second session, made the same way.
		if err := admin.EnsureDatabase(ctx, engine.Database{Name: c.database}); err != nil {
			t.Errorf("%s: EnsureDatabase: %v", c.reason, err)
		}
		_ = admin.Close(ctx)
	}
}
