// Package pgfront provides the listener an RDS instance's endpoint is, in front of one
// PostgreSQL server, on a loopback port of its own. Without IAM database authentication it
// relays bytes both ways and understands none of them. With it, it speaks PostgreSQL's
// protocol up to authentication, as RDS's own PAM module takes over a login: a user who
// logs in with an IAM token is asked for it in clear text (over TLS, which the front does
// with the server's own certificate), the token is checked, and the user is handed to the
// server already logged in; every other user is handed to the server, which checks the
// password itself.
package pgfront

import (
	"context"
	"crypto/tls"
	"errors"
	"net"

	"github.com/matrixmind-cloud/aws-rds-operator/internal/endpointfront"
)

// Backend is the server one connection goes to. With IAM, its Dial serves only cancel
// requests: logins go through IAM's DialTrusted and DialPassword.
type Backend = endpointfront.Backend[IAM]

// IAM is what the front needs to log users in with IAM database authentication. Its
// functions are all required: the front turns away a client of a Backend that lacks one
// (and says so in the log) rather than let it in unchecked.
type IAM struct {
	// TLS is the server's own certificate and key, with which the front answers a client
	// that asks for TLS, so that SCRAM's channel binding computed against the front matches
	// the server's; nil refuses TLS.
	TLS *tls.Config
	// UsesIAM reports whether user logs in with a token rather than a password. It is asked
	// at each login.
	UsesIAM func(ctx context.Context, user string) (bool, error)
	// Verify checks the token user sent as its password. Its error goes to the log, never
	// to the client, and must not hold the token.
	Verify func(user, token string) error
	// DialTrusted connects to the server where it lets a user in without a password: the
	// way of a user whose token the front accepted.
	DialTrusted func(ctx context.Context) (net.Conn, error)
	// DialPassword connects to the server over TCP for a user who logs in with a password,
	// which the server checks through the relay.
	DialPassword func(ctx context.Context) (net.Conn, error)
}

// Check implements endpointfront.IAM.
func (iam IAM) Check() error {
	if iam.UsesIAM == nil || iam.Verify == nil || iam.DialTrusted == nil || iam.DialPassword == nil {
		return errors.New("IAM lacks one of UsesIAM, Verify, DialTrusted and DialPassword")
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
	return endpointfront.Listen("pgfront", cfg, serveIAM)
}
