// Package enginetest holds what the engines' tests share.
package enginetest

import (
	"testing"

	"github.com/matrixmind-cloud/aws-rds-operator/internal/engine"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/serverproc"
)

// TLSCase is a session a connector opens to a server whose certificate a cloud's CA issued
// for localhost, and whether the connector must refuse the server's certificate.
type TLSCase struct {
	Reason  string
	Host    string
	CA      *engine.CABundle
	Refused bool
}

// TLSCases returns a cloud's CA, for the server under test to present a certificate of, and
// the cases every connector must pass against that server.
func TLSCases(t testing.TB) (*serverproc.CA, []TLSCase) {
	t.Helper()
	cloud, err := serverproc.NewCA("cloud CA")
	if err != nil {
		t.Fatal(err)
	}
	impostor, err := serverproc.NewCA("an impostor's CA")
	if err != nil {
		t.Fatal(err)
	}
	bundle := func(pem []byte) *engine.CABundle {
		b, err := engine.ParseCABundle(pem)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	return cloud, []TLSCase{
		{"the cloud's CA verifies the server for its endpoint name", "localhost", bundle(cloud.PEM), false},
		{"and for its address", "127.0.0.1", bundle(cloud.PEM), false},
		{"a bundle of other CAs refuses the server: someone posing as the database", "localhost", bundle(impostor.PEM), true},
		{"no bundle: encrypted without verification, as before", "localhost", nil, false},
	}
}
