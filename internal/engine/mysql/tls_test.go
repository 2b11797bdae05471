package mysql

import (
	"context"
	"testing"
	"time"

	"github.com/matrixmind-cloud/aws-rds-operator/internal/engine"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/engine/enginetest"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/mariaserver"
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
	ca, cases := enginetest.TLSCases(t)
	srv, err := mariaserver.Start(ctx, mariaserver.Options{Dir: t.TempDir(), MasterUser: master, MasterPassword: masterPassword, CA: ca})
	if err != nil {
		t.Fatalf("start MariaDB: %v", err)
	}
	t.Cleanup(func() { _ = srv.Stop() })
	for _, c := range cases {
		ep := engine.Endpoint{Host: c.Host, Port: int32(srv.Port), User: master, Password: masterPassword, CA: c.CA}
		admin, err := Connector{}.Connect(ctx, ep)
		if c.Refused {
			if !engine.IsCertificateRefused(err) || engine.IsPasswordRefused(err) {
				t.Errorf("%s: Connect = %v, want a refused certificate", c.Reason, err)
			}
			if err := (Connector{}).Verify(ctx, ep, ""); !engine.IsCertificateRefused(err) {
				t.Errorf("%s: Verify = %v, want a refused certificate", c.Reason, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: Connect: %v", c.Reason, err)
			continue
		}
		_ = admin.Close(ctx)
	}
}
