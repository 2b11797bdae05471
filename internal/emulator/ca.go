package emulator

import (
	"net/http"

	"github.com/matrixmind-cloud/aws-rds-operator/internal/serverproc"
)

// caName names the emulator's CA, as "Amazon RDS us-east-1 Root CA RSA2048 G1" names one of
// the CAs in AWS's RDS certificate bundle.
const caName = "rds-emulator Root CA"

// newCA returns the CA that signs the servers' certificates, as AWS's regional RDS CAs sign
// an instance's: the one kept in dataDir (so servers started before a restart still verify),
// or a fresh one held in memory when there is no dataDir (no servers run then).
func newCA(dataDir string) (*serverproc.CA, error) {
	if dataDir == "" {
		return serverproc.NewCA(caName)
	}
	return serverproc.LoadOrCreateCA(dataDir, caName)
}

// CA returns the PEM certificate of the CA that signs every server's TLS certificate: the
// emulator's counterpart of AWS's RDS certificate bundle (global-bundle.pem). A client that
// trusts it verifies a server's certificate and its host name, the endpoint's address.
func (e *Emulator) CA() []byte { return e.ca.PEM }

// serveCA answers GET /_emulator/ca.pem with the CA's certificate.
func (e *Emulator) serveCA(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/x-pem-file")
	_, _ = w.Write(e.ca.PEM)
}
