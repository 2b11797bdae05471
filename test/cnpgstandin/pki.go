package cnpgstandin

import (
	"crypto/ecdsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	cnpgv1 "github.com/cloudnative-pg/api/pkg/api/v1"

	"github.com/matrixmind-cloud/aws-rds-operator/internal/serverproc"
)

// pki is a Cluster's CA and the certificates it signs, as CloudNativePG keeps them in the
// Secrets <cluster>-ca, <cluster>-server and <cluster>-replication.
type pki struct {
	ca *serverproc.CA
	// caKey is the CA's key as CloudNativePG writes ca.key: PEM "EC PRIVATE KEY".
	caKey []byte
	// serverCert and serverKey are the server's certificate, for every name of the
	// cluster's Services (CommonName <cluster>-rw, as CloudNativePG issues it).
	serverCert, serverKey []byte
	// replicationCert and replicationKey are streaming_replica's client certificate.
	replicationCert, replicationKey []byte
}

// newPKI makes a Cluster's CA, kept in dir, and issues its certificates.
func newPKI(dir string, c *cnpgv1.Cluster) (*pki, error) {
	ca, err := serverproc.LoadOrCreateCA(dir, c.Name)
	if err != nil {
		return nil, err
	}
	key, err := ecKey(filepath.Join(dir, "ca.key"))
	if err != nil {
		return nil, err
	}
	p := &pki{ca: ca, caKey: key}
	if p.serverCert, p.serverKey, err = ca.Issue(serverproc.Leaf{CommonName: c.Name + suffixRW, DNSNames: serverDNSNames(c)}); err != nil {
		return nil, err
	}
	if p.replicationCert, p.replicationKey, err = ca.Issue(serverproc.Leaf{CommonName: replicationUser, Client: true}); err != nil {
		return nil, err
	}
	return p, nil
}

// ecKey reads the PKCS #8 key serverproc keeps a CA's in and returns it as SEC 1.
func ecKey(path string) ([]byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read the CA's key: %w", err)
	}
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, errors.New("the CA's key holds no PEM block")
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("parse the CA's key: %w", err)
	}
	ec, ok := k.(*ecdsa.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("the CA's key is a %T, not an ECDSA key", k)
	}
	der, err := x509.MarshalECPrivateKey(ec)
	if err != nil {
		return nil, fmt.Errorf("encode the CA's key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der}), nil
}
