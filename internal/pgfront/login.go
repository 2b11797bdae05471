package pgfront

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

	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/matrixmind-cloud/aws-rds-operator/internal/endpointfront"
)

// The codes that open a connection in place of a protocol version (PostgreSQL's
// pqcomm.h), and the limits PostgreSQL puts on what a client sends before it is logged in.
const (
	codeCancel       = 80877102
	codeSSL          = 80877103
	codeGSSEnc       = 80877104
	maxStartupPacket = 10000 // MAX_STARTUP_PACKET_LENGTH
	maxAuthMessage   = 65535 // PG_MAX_AUTH_TOKEN_LENGTH
	tlsHandshakeByte = 0x16  // the first byte of a TLS record carrying a handshake
	alpnPostgres     = "postgresql"
)

// SQLSTATE codes of the refusals the front sends, as PostgreSQL sends them.
const (
	stateInvalidAuthorization = "28000" // invalid_authorization_specification
	stateProtocolViolation    = "08P01" // protocol_violation
	stateCannotConnectNow     = "57P03" // cannot_connect_now
)

// session is one client connection while the front logs it in.
type session struct {
	conn net.Conn
	r    *bufio.Reader
	tls  bool
}

// startup is a client's StartupMessage: its bytes as sent and its user and database.
type startup struct {
	raw            []byte
	user, database string
}

// serveIAM serves a client of a front with IAM: TLS and the other requests that may come
// first, the StartupMessage, then the token of a user who logs in with IAM; then it hands
// the client to the server and relays.
func serveIAM(ctx context.Context, f *Front, client net.Conn, b Backend) {
	deadline, _ := ctx.Deadline()
	if err := client.SetDeadline(deadline); err != nil {
		return
	}
	s := &session{conn: client, r: bufio.NewReader(client)}
	st, err := negotiate(ctx, s, b)
	if err != nil {
		if !errors.Is(err, io.EOF) && !errors.Is(err, errHandled) {
			f.Logf("client from %s: %v", client.RemoteAddr(), err)
		}
		return
	}
	server, err := handOver(ctx, s, b.IAM, st)
	if err != nil {
		if !errors.Is(err, io.EOF) && !errors.Is(err, errHandled) {
			f.Logf("login of %q from %s: %v", st.user, client.RemoteAddr(), err)
		}
		return
	}
	if !f.Track(server) {
		return
	}
	defer f.Untrack(server)
	if err := s.conn.SetDeadline(time.Time{}); err != nil {
		return
	}
	endpointfront.Pipe(s.conn, s.r, server, server)
}

// errHandled is an error the client has already been told about, or a request served: the
// connection ends without more to log.
var errHandled = errors.New("handled")

// negotiate serves what may come before the StartupMessage (TLS, GSSAPI encryption, which
// the front refuses as RDS does, and cancel requests, which go to the server as they are)
// and returns the StartupMessage.
func negotiate(ctx context.Context, s *session, b Backend) (startup, error) {
	for {
		first, err := s.r.Peek(1)
		if err != nil {
			return startup{}, err
		}
		if first[0] == tlsHandshakeByte && !s.tls {
			// PostgreSQL 17's sslnegotiation=direct: TLS at once, with ALPN.
			if err := startTLS(s, b.IAM.TLS, true); err != nil {
				return startup{}, err
			}
			continue
		}
		raw, err := readPacket(s.r)
		if err != nil {
			return startup{}, err
		}
		switch code := binary.BigEndian.Uint32(raw[4:8]); {
		case code == codeSSL && len(raw) == 8 && !s.tls:
			if b.IAM.TLS == nil {
				if _, err := s.conn.Write([]byte{'N'}); err != nil {
					return startup{}, err
				}
				continue
			}
			if s.r.Buffered() > 0 {
				// PostgreSQL refuses it too: bytes sent in the clear after asking for TLS
				// could be an attacker's.
				return startup{}, errors.New("unencrypted data after SSLRequest")
			}
			if _, err := s.conn.Write([]byte{'S'}); err != nil {
				return startup{}, err
			}
			if err := startTLS(s, b.IAM.TLS, false); err != nil {
				return startup{}, err
			}
		case code == codeGSSEnc && len(raw) == 8 && !s.tls:
			if _, err := s.conn.Write([]byte{'N'}); err != nil {
				return startup{}, err
			}
		case code == codeCancel:
			return startup{}, forwardCancel(ctx, b, raw)
		case code>>16 == 3:
			st, err := parseStartup(raw)
			if err != nil {
				s.refuse(stateInvalidAuthorization, err.Error())
				return startup{}, errHandled
			}
			return st, nil
		default:
			s.refuse(stateProtocolViolation, fmt.Sprintf("unsupported frontend protocol %d.%d: server supports 3.0 to 3.2", code>>16, code&0xffff))
			return startup{}, errHandled
		}
	}
}

// startTLS makes the session's connection a TLS server connection with the server's
// certificate. direct is PostgreSQL 17's direct negotiation, which must agree on ALPN
// "postgresql".
func startTLS(s *session, cfg *tls.Config, direct bool) error {
	if cfg == nil {
		return errors.New("TLS asked for and no certificate to answer with")
	}
	cfg = cfg.Clone()
	if direct {
		cfg.NextProtos = []string{alpnPostgres}
	}
	conn := tls.Server(endpointfront.BufferedConn{Conn: s.conn, R: s.r}, cfg)
	if err := conn.Handshake(); err != nil {
		return fmt.Errorf("TLS handshake: %w", err)
	}
	if direct && conn.ConnectionState().NegotiatedProtocol != alpnPostgres {
		return errors.New("direct TLS without ALPN postgresql")
	}
	s.conn, s.r, s.tls = conn, bufio.NewReader(conn), true
	return nil
}

// forwardCancel sends a CancelRequest to the server as it came: the key in it is the
// server's, which the front relayed to the client.
func forwardCancel(ctx context.Context, b Backend, raw []byte) error {
	server, err := b.Dial(ctx)
	if err != nil {
		return fmt.Errorf("forward a cancel request: %w", err)
	}
	defer server.Close()
	if _, err := server.Write(raw); err != nil {
		return fmt.Errorf("forward a cancel request: %w", err)
	}
	return errHandled
}

// handOver logs the client in at the server: a user who logs in with IAM with the token
// it sends, checked here, over a connection where the server asks for nothing; any other
// user over TCP, where the server asks for the password. It returns the connection to the
// server once the StartupMessage is sent.
func handOver(ctx context.Context, s *session, iam *IAM, st startup) (net.Conn, error) {
	usesIAM, err := iam.UsesIAM(ctx, st.user)
	if err != nil {
		s.refuse(stateCannotConnectNow, "the database system is not accepting connections")
		return nil, err
	}
	if !usesIAM {
		server, err := iam.DialPassword(ctx)
		if err != nil {
			s.refuse(stateCannotConnectNow, "the database system is not accepting connections")
			return nil, err
		}
		if server, err = sendStartup(ctx, server, st, s.tls); err != nil {
			s.refuse(stateCannotConnectNow, "the database system is not accepting connections")
			return nil, err
		}
		return server, nil
	}
	if !s.tls {
		// RDS: "IAM database authentication requires an SSL connection". PostgreSQL words
		// a login no pg_hba.conf rule admits this way.
		s.refuse(stateInvalidAuthorization, fmt.Sprintf("no pg_hba.conf entry for host %q, user %q, database %q, no encryption", remoteHost(s.conn), st.user, st.database))
		return nil, errHandled
	}
	token, err := s.askPassword()
	if err != nil {
		return nil, err
	}
	if err := iam.Verify(st.user, token); err != nil {
		// RDS checks the token through PAM; PostgreSQL's auth_failed words the refusal.
		s.refuse(stateInvalidAuthorization, fmt.Sprintf("PAM authentication failed for user %q", st.user))
		return nil, fmt.Errorf("IAM token refused: %w", err)
	}
	server, err := iam.DialTrusted(ctx)
	if err != nil {
		s.refuse(stateCannotConnectNow, "the database system is not accepting connections")
		return nil, err
	}
	if server, err = sendStartup(ctx, server, st, true); err != nil {
		s.refuse(stateCannotConnectNow, "the database system is not accepting connections")
		return nil, err
	}
	return server, nil
}

// sendStartup sends the client's StartupMessage to the server, over TLS when withTLS and
// the server takes it (so that the server sees the session encrypted as the client made
// it; a unix socket does not take it), and returns the connection to go on with. It closes
// server when it fails.
func sendStartup(ctx context.Context, server net.Conn, st startup, withTLS bool) (net.Conn, error) {
	if deadline, ok := ctx.Deadline(); ok {
		if err := server.SetDeadline(deadline); err != nil {
			_ = server.Close()
			return nil, err
		}
	}
	if withTLS {
		req, err := (&pgproto3.SSLRequest{}).Encode(nil)
		if err != nil {
			_ = server.Close()
			return nil, err
		}
		answer := make([]byte, 1)
		if _, err := server.Write(req); err != nil {
			_ = server.Close()
			return nil, err
		}
		if _, err := io.ReadFull(server, answer); err != nil {
			_ = server.Close()
			return nil, err
		}
		if answer[0] == 'S' {
			// The server is on loopback, where the front dialled it: there is no one to
			// verify its certificate against.
			conn := tls.Client(server, &tls.Config{InsecureSkipVerify: true, MinVersion: tls.VersionTLS12})
			if err := conn.HandshakeContext(ctx); err != nil {
				_ = server.Close()
				return nil, fmt.Errorf("TLS to the server: %w", err)
			}
			server = conn
		}
	}
	if _, err := server.Write(st.raw); err != nil {
		_ = server.Close()
		return nil, err
	}
	if err := server.SetDeadline(time.Time{}); err != nil {
		_ = server.Close()
		return nil, err
	}
	return server, nil
}

// askPassword asks the client for its password in clear text, as PAM authentication does,
// and returns it.
func (s *session) askPassword() (string, error) {
	req, err := (&pgproto3.AuthenticationCleartextPassword{}).Encode(nil)
	if err != nil {
		return "", err
	}
	if _, err := s.conn.Write(req); err != nil {
		return "", err
	}
	var head [5]byte
	if _, err := io.ReadFull(s.r, head[:]); err != nil {
		return "", err
	}
	n := int(binary.BigEndian.Uint32(head[1:]))
	if head[0] != 'p' || n < 4 || n > maxAuthMessage {
		s.refuse(stateProtocolViolation, fmt.Sprintf("expected password response, got message type %d", head[0]))
		return "", errHandled
	}
	body := make([]byte, n-4)
	if _, err := io.ReadFull(s.r, body); err != nil {
		return "", err
	}
	password, _, ok := bytes.Cut(body, []byte{0})
	if !ok {
		s.refuse(stateProtocolViolation, "invalid password packet")
		return "", errHandled
	}
	return string(password), nil
}

// refuse sends the client a FATAL ErrorResponse; the caller then closes the connection.
func (s *session) refuse(code, message string) {
	msg, err := (&pgproto3.ErrorResponse{Severity: "FATAL", SeverityUnlocalized: "FATAL", Code: code, Message: message}).Encode(nil)
	if err != nil {
		return
	}
	_, _ = s.conn.Write(msg)
}

// readPacket reads a packet of those that open a connection: a length (which counts
// itself), then a code or protocol version, then the rest.
func readPacket(r *bufio.Reader) ([]byte, error) {
	var head [4]byte
	if _, err := io.ReadFull(r, head[:]); err != nil {
		return nil, err
	}
	n := int(binary.BigEndian.Uint32(head[:]))
	if n < 8 || n > maxStartupPacket {
		return nil, fmt.Errorf("invalid length of startup packet: %d", n)
	}
	raw := make([]byte, n)
	copy(raw, head[:])
	if _, err := io.ReadFull(r, raw[4:]); err != nil {
		return nil, err
	}
	return raw, nil
}

// parseStartup reads the user and database of a StartupMessage. The database defaults to
// the user, as PostgreSQL's does.
func parseStartup(raw []byte) (startup, error) {
	st := startup{raw: raw}
	fields := bytes.Split(raw[8:], []byte{0})
	for i := 0; i+1 < len(fields); i += 2 {
		switch string(fields[i]) {
		case "user":
			st.user = string(fields[i+1])
		case "database":
			st.database = string(fields[i+1])
		}
	}
	if st.user == "" {
		return st, errors.New("no PostgreSQL user name specified in startup packet")
	}
	if st.database == "" {
		st.database = st.user
	}
	return st, nil
}

// remoteHost is the client's address without its port, as pg_hba.conf messages name it.
func remoteHost(c net.Conn) string {
	host, _, err := net.SplitHostPort(c.RemoteAddr().String())
	if err != nil {
		return c.RemoteAddr().String()
	}
	return host
}
