package mysqlfront

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"time"

	"github.com/matrixmind-cloud/aws-rds-operator/internal/endpointfront"
)

// session is one client connection, and its connection to the server, while the front
// logs it in.
type session struct {
	client, server   net.Conn
	clientR, serverR *bufio.Reader
	// clientTLS and serverTLS tell which sides are encrypted.
	clientTLS, serverTLS bool
	// clientSeq is the sequence id of the next packet to the client.
	clientSeq byte
}

// errHandled is an error the client has already been told about: the connection ends
// without more to log.
var errHandled = errors.New("handled")

// serveIAM serves a client of a front with IAM: it passes the server's greeting on, does
// TLS, reads the client's HandshakeResponse41 and logs an IAM user in with its token, any
// other user with what it sent; then it relays, rewriting the statements that make IAM
// users.
func serveIAM(ctx context.Context, f *Front, client net.Conn, b Backend) {
	server, err := b.Dial(ctx)
	if err != nil {
		f.Logf("client from %s: %v", client.RemoteAddr(), err)
		return
	}
	if !f.Track(server) {
		return
	}
	defer f.Untrack(server)
	iam := b.IAM
	deadline, _ := ctx.Deadline()
	if client.SetDeadline(deadline) != nil || server.SetDeadline(deadline) != nil {
		return
	}
	s := &session{client: client, server: server, clientR: bufio.NewReader(client), serverR: bufio.NewReader(server)}
	user, err := s.handshake(ctx, iam)
	if err != nil {
		if !errors.Is(err, io.EOF) && !errors.Is(err, errHandled) {
			f.Logf("login of %q from %s: %v", user, client.RemoteAddr(), err)
		}
		return
	}
	if s.client.SetDeadline(time.Time{}) != nil || s.server.SetDeadline(time.Time{}) != nil {
		return
	}
	rewrite := func(query []byte) []byte { return rewriteIAMUsers(query, iam.Password) }
	endpointfront.PipeWith(s.client, s.server, func() { _ = relayCommands(s.server, s.clientR, rewrite) }, s.serverR)
}

// handshake logs the client in and returns its user name.
func (s *session) handshake(ctx context.Context, iam *IAM) (string, error) {
	hello, err := readPacket(s.serverR, maxLoginPacket)
	if err != nil {
		return "", fmt.Errorf("read the server's greeting: %w", err)
	}
	if len(hello.payload) > 0 && hello.payload[0] == headerERR {
		// The server turns the connection away (too many connections, say): so does the front.
		_ = writePacket(s.client, hello.seq, hello.payload)
		return "", errHandled
	}
	g, err := parseGreeting(hello.payload)
	if err != nil {
		return "", err
	}
	// Compression would hide the statements the front rewrites; TLS is the front's to offer.
	offer := g.withCaps(0, capCompress|capSSL)
	if iam.TLS != nil {
		offer = g.withCaps(capSSL, capCompress)
	}
	if err := writePacket(s.client, hello.seq, offer); err != nil {
		return "", err
	}
	p, err := readPacket(s.clientR, maxLoginPacket)
	if err != nil {
		return "", err
	}
	if isSSLRequest(p.payload) && iam.TLS != nil {
		conn := tls.Server(endpointfront.BufferedConn{Conn: s.client, R: s.clientR}, iam.TLS.Clone())
		if err := conn.HandshakeContext(ctx); err != nil {
			return "", fmt.Errorf("TLS handshake: %w", err)
		}
		s.client, s.clientR, s.clientTLS = conn, bufio.NewReader(conn), true
		if p, err = readPacket(s.clientR, maxLoginPacket); err != nil {
			return "", err
		}
	}
	s.clientSeq = p.seq + 1
	r, err := parseResponse(p.payload)
	if err != nil {
		s.refuse(errHandshake, stateHandshake, "Bad handshake")
		return "", fmt.Errorf("%w: %v", errHandled, err)
	}
	usesIAM, err := iam.UsesIAM(ctx, r.user)
	if err != nil {
		s.refuse(errAccessDenied, stateAccessDenied, accessDenied(r.user, s.client, len(r.auth) > 0))
		return r.user, fmt.Errorf("look up the user: %w", err)
	}
	serverSeq, err := s.serverTLSIfClient(ctx, g, r.head)
	if err != nil {
		s.refuse(errHandshake, stateHandshake, "Bad handshake")
		return r.user, err
	}
	if !usesIAM {
		caps := r.caps &^ capSSL
		if s.serverTLS {
			caps |= capSSL
		}
		raw := p.payload
		binary.LittleEndian.PutUint32(raw, caps)
		return r.user, s.relayAuth(serverSeq, raw)
	}
	return r.user, s.loginWithToken(ctx, iam, g, r, serverSeq)
}

// serverTLSIfClient does TLS with the server when the client did and the server offers it,
// and returns the sequence id of the HandshakeResponse41 to the server.
func (s *session) serverTLSIfClient(ctx context.Context, g greeting, head []byte) (byte, error) {
	if !s.clientTLS || g.caps&capSSL == 0 {
		return 1, nil
	}
	// An SSLRequest is the head of the HandshakeResponse41 that follows it.
	req := bytes.Clone(head)
	binary.LittleEndian.PutUint32(req, binary.LittleEndian.Uint32(req)|capSSL)
	if err := writePacket(s.server, 1, req); err != nil {
		return 0, err
	}
	// The server is on loopback, where the front dialled it: there is no one to verify its
	// certificate against.
	conn := tls.Client(s.server, &tls.Config{InsecureSkipVerify: true, MinVersion: tls.VersionTLS12})
	if err := conn.HandshakeContext(ctx); err != nil {
		return 0, fmt.Errorf("TLS to the server: %w", err)
	}
	s.server, s.serverR, s.serverTLS = conn, bufio.NewReader(conn), true
	return 2, nil
}

// relayAuth sends the client's HandshakeResponse41 to the server and relays the exchange
// that follows until the server lets the client in or refuses it. Sequence ids differ by
// the SSLRequest one side had and the other had not.
func (s *session) relayAuth(serverSeq byte, response []byte) error {
	shift := s.clientSeq - serverSeq - 1
	if err := writePacket(s.server, serverSeq, response); err != nil {
		return err
	}
	for {
		p, err := readPacket(s.serverR, maxLoginPacket)
		if err != nil {
			return err
		}
		if err := writePacket(s.client, p.seq+shift, p.payload); err != nil {
			return err
		}
		switch {
		case len(p.payload) == 0:
			return errors.New("empty packet from the server while logging in")
		case p.payload[0] == headerOK:
			return nil
		case p.payload[0] == headerERR:
			return errHandled
		case len(p.payload) == 2 && p.payload[0] == 0x01 && p.payload[1] == 0x03:
			// caching_sha2_password's fast authentication: the OK follows unasked.
			continue
		}
		c, err := readPacket(s.clientR, maxLoginPacket)
		if err != nil {
			return err
		}
		if err := writePacket(s.server, c.seq-shift, c.payload); err != nil {
			return err
		}
	}
}

// loginWithToken asks an IAM user for its token in clear text, as AWSAuthenticationPlugin
// does, checks it, and logs the user in to the server with the password the front keeps
// for it.
func (s *session) loginWithToken(ctx context.Context, iam *IAM, g greeting, r response, serverSeq byte) error {
	token, err := s.token(g, r)
	if err != nil {
		return err
	}
	denied := accessDenied(r.user, s.client, token != "")
	if !s.clientTLS {
		s.refuse(errAccessDenied, stateAccessDenied, denied)
		return errors.New("IAM token refused: sent without TLS")
	}
	if err := iam.Verify(r.user, token); err != nil {
		s.refuse(errAccessDenied, stateAccessDenied, denied)
		return fmt.Errorf("IAM token refused: %w", err)
	}
	caps := r.caps&^(capSSL|capCompress) | capPluginAuth | capSecureConnection
	if s.serverTLS {
		caps |= capSSL
	}
	password := iam.Password(r.user)
	r.auth, r.plugin = nativeProof(g.scramble, password), pluginNative
	if err := writePacket(s.server, serverSeq, r.encode(caps)); err != nil {
		return err
	}
	for range 2 {
		p, err := readPacket(s.serverR, maxLoginPacket)
		if err != nil {
			return err
		}
		switch {
		case len(p.payload) > 0 && p.payload[0] == headerOK:
			return writePacket(s.client, s.clientSeq, p.payload)
		case len(p.payload) > 1 && p.payload[0] == headerAuthSwitch:
			// The server asks again with a scramble of its own for the same plugin.
			plugin, data, _ := cutNUL(p.payload[1:])
			if plugin != pluginNative || len(data) < 20 {
				break
			}
			if err := writePacket(s.server, p.seq+1, nativeProof(data, password)); err != nil {
				return err
			}
			continue
		}
		s.refuse(errAccessDenied, stateAccessDenied, denied)
		return fmt.Errorf("the server refused an IAM user's login: %s", serverError(p.payload))
	}
	s.refuse(errAccessDenied, stateAccessDenied, denied)
	return errors.New("the server kept asking an IAM user to authenticate")
}

// token gets the token an IAM user sends as its password: already in the response when
// the client chose mysql_clear_password, else after an AuthSwitchRequest to it.
func (s *session) token(g greeting, r response) (string, error) {
	if r.plugin == pluginClear {
		return trimNUL(r.auth), nil
	}
	if r.caps&capPluginAuth == 0 {
		s.refuse(errAccessDenied, stateAccessDenied, accessDenied(r.user, s.client, len(r.auth) > 0))
		return "", fmt.Errorf("%w: the client cannot switch to %s", errHandled, pluginClear)
	}
	req := append(append([]byte{headerAuthSwitch}, pluginClear...), 0)
	req = append(append(req, g.scramble...), 0)
	if err := writePacket(s.client, s.clientSeq, req); err != nil {
		return "", err
	}
	p, err := readPacket(s.clientR, maxLoginPacket)
	if err != nil {
		return "", err
	}
	s.clientSeq = p.seq + 1
	return trimNUL(p.payload), nil
}

// refuse sends the client an ERR packet; the caller then closes the connection.
func (s *session) refuse(code uint16, state, message string) {
	_ = writePacket(s.client, s.clientSeq, errPacket(code, state, message))
}

// accessDenied is ER_ACCESS_DENIED_ERROR's message, which names the client's address as
// a server that resolves no host names does.
func accessDenied(user string, c net.Conn, withPassword bool) string {
	host, _, err := net.SplitHostPort(c.RemoteAddr().String())
	if err != nil {
		host = c.RemoteAddr().String()
	}
	using := "NO"
	if withPassword {
		using = "YES"
	}
	return fmt.Sprintf("Access denied for user '%s'@'%s' (using password: %s)", user, host, using)
}

// serverError names an ERR packet by its code alone: its message may quote what was sent.
func serverError(p []byte) string {
	if len(p) >= 3 && p[0] == headerERR {
		return fmt.Sprintf("server error %d", binary.LittleEndian.Uint16(p[1:]))
	}
	if len(p) == 0 {
		return "an empty packet"
	}
	return fmt.Sprintf("a packet of type 0x%02x", p[0])
}

func trimNUL(b []byte) string {
	if n := len(b); n > 0 && b[n-1] == 0 {
		b = b[:n-1]
	}
	return string(b)
}
