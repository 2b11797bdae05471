// Package mysqlfront provides the listener an RDS for MySQL or MariaDB endpoint is, in front
// of one MariaDB server, on a loopback port of its own: the MySQL counterpart of package
// pgfront. Without IAM database authentication it relays bytes both ways and understands
// none of them. With it, it plays RDS's AWSAuthenticationPlugin, which MariaDB does not
// have: it hands each client the server's own greeting (so that a password login is
// computed over the server's scramble and passes unchanged), does TLS with the server's own
// certificate, asks an IAM user for its token in clear text, checks it and logs the user in
// to the server with the password only the front knows; every other login goes to the
// server as it came. In every session it turns the clause that makes an IAM user,
// IDENTIFIED WITH AWSAuthenticationPlugin AS 'RDS', into that password (rewrite.go).
package mysqlfront

import (
	"context"
	"crypto/tls"
	"errors"

	"github.com/matrixmind-cloud/aws-rds-operator/internal/endpointfront"
)

// Backend is the server one connection goes to.
type Backend = endpointfront.Backend[IAM]

// IAM is what the front needs to log users in with IAM database authentication. Its
// functions are all required: the front turns away a client of a Backend that lacks one
// (and says so in the log) rather than let it in unchecked.
type IAM struct {
	// TLS is the server's own certificate and key, with which the front answers a client
	// that asks for TLS; nil offers no TLS (and so refuses every IAM user, as RDS refuses
	// a token sent in the clear).
	TLS *tls.Config
	// Password is the password the server knows IAM user by: the front logs such users in
	// with it and gives it to the accounts that CREATE USER or ALTER USER make IAM users.
	// Nobody but the front must know it.
	Password func(user string) string
	// UsesIAM reports whether user logs in with a token rather than a password. It is asked
	// at each login.
	UsesIAM func(ctx context.Context, user string) (bool, error)
	// Verify checks the token user sent as its password. Its error goes to the log, never
	// to the client, and must not hold the token.
	Verify func(user, token string) error
}

// Check implements endpointfront.IAM.
func (iam IAM) Check() error {
	if iam.Password == nil || iam.UsesIAM == nil || iam.Verify == nil {
		return errors.New("IAM lacks one of Password, UsesIAM and Verify")
	}
	return nil
}

// Config configures Listen.
type Config = endpointfront.Config[IAM]

// Front is a running front. Close stops it.
type Front = endpointfront.Front

// Listen starts a front on a free port of loopback, 127.0.0.1 and, where the machine has
// it, ::1 (the port of both), as a server listening on localhost does.
func Listen(cfg Config) (*Front, error) {
	return endpointfront.Listen("mysqlfront", cfg, serveIAM)
}
