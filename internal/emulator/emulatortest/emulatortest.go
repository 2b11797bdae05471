// Package emulatortest serves an RDS emulator for one test and points the AWS SDK's
// environment at it, the way the local stack points the operator at it.
package emulatortest

import (
	"net/http/httptest"
	"testing"
	"time"

	"github.com/matrixmind-cloud/aws-rds-operator/internal/emulator"
)

// FastDelays are status delays short enough for unit tests.
var FastDelays = emulator.Delays{
	Create: 10 * time.Millisecond, BackingUp: 10 * time.Millisecond, Modify: 10 * time.Millisecond, Delete: 10 * time.Millisecond,
}

// Serve starts an emulator with cfg on a loopback HTTP server for the length of t and sets
// AWS_ENDPOINT_URL_RDS, AWS_REGION and dummy credentials for it.
func Serve(t *testing.T, cfg emulator.Config) *emulator.Emulator {
	t.Helper()
	em, err := emulator.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(em)
	t.Cleanup(func() { srv.Close(); _ = em.Close() })
	t.Setenv("AWS_ENDPOINT_URL_RDS", srv.URL)
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_ACCESS_KEY_ID", "local")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "local")
	return em
}
