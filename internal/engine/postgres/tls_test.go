package postgres

import (
	"context"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/matrixmind-cloud/aws-rds-operator/internal/engine"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/engine/enginetest"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/pgserver"
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
	ca, cases := enginetest.TLSCases(t)
	srv, err := pgserver.Start(ctx, pgserver.Options{Dir: t.TempDir(), MasterUser: master, MasterPassword: masterPassword, CA: ca})
	if err != nil {
		t.Fatalf("start PostgreSQL: %v", err)
	}
	t.Cleanup(func() { _ = srv.Stop() })
	for i, c := range cases {
		ep := engine.Endpoint{Host: c.Host, Port: int32(srv.Port), User: master, Password: masterPassword, AdminRole: "rds_superuser", CA: c.CA}
		admin, err := Connector{}.Connect(ctx, ep)
		if c.Refused {
			if !engine.IsCertificateRefused(err) || engine.IsPasswordRefused(err) {
				t.Errorf("%s: Connect = %v, want a refused certificate", c.Reason, err)
			}
			if err := (Connector{}).Verify(ctx, ep, "postgres"); !engine.IsCertificateRefused(err) {
				t.Errorf("%s: Verify = %v, want a refused certificate", c.Reason, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: Connect: %v", c.Reason, err)
			continue
		}
		// A database's grants are applied over a second session, made the same way.
		if err := admin.EnsureDatabase(ctx, engine.Database{Name: "tls_" + string(rune('a'+i))}); err != nil {
			t.Errorf("%s: EnsureDatabase: %v", c.Reason, err)
		}
		_ = admin.Close(ctx)
	}
}
