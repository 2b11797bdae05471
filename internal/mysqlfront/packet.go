package mysqlfront

import (
	"bytes"
	"crypto/sha1"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Capability flags of the MySQL protocol (include/mysql_com.h) the front reads or changes.
const (
	capConnectWithDB        = 1 << 3
	capCompress             = 1 << 5
	capProtocol41           = 1 << 9
	capSSL                  = 1 << 11
	capSecureConnection     = 1 << 15
	capPluginAuth           = 1 << 19
	capConnectAttrs         = 1 << 20
	capPluginAuthLenencData = 1 << 21
)

// Packet framing and the first bytes of the packets the front tells apart.
const (
	maxPayload       = 1<<24 - 1 // a payload this long continues in the next packet
	maxLoginPacket   = 1 << 20   // what a client may send while it logs in
	headerOK         = 0x00
	headerERR        = 0xff
	headerAuthSwitch = 0xfe
	comQuery         = 0x03
	sslRequestLen    = 32
	pluginNative     = "mysql_native_password"
	pluginClear      = "mysql_clear_password"
)

// The refusal RDS sends a login it does not let in (include/mysqld_error.h).
const (
	errAccessDenied   = 1045 // ER_ACCESS_DENIED_ERROR
	stateAccessDenied = "28000"
	errHandshake      = 1043 // ER_HANDSHAKE_ERROR
	stateHandshake    = "08S01"
)

// packet is one MySQL packet: its sequence id and payload.
type packet struct {
	seq     byte
	payload []byte
}

// readPacket reads one packet of at most limit bytes of payload.
func readPacket(r io.Reader, limit int) (packet, error) {
	var head [4]byte
	if _, err := io.ReadFull(r, head[:]); err != nil {
		return packet{}, err
	}
	n := int(head[0]) | int(head[1])<<8 | int(head[2])<<16
	if n > limit {
		return packet{}, fmt.Errorf("packet of %d bytes while logging in", n)
	}
	p := packet{seq: head[3], payload: make([]byte, n)}
	if _, err := io.ReadFull(r, p.payload); err != nil {
		return packet{}, err
	}
	return p, nil
}

// writePacket writes a payload shorter than maxPayload as one packet.
func writePacket(w io.Writer, seq byte, payload []byte) error {
	n := len(payload)
	buf := make([]byte, 4, 4+n)
	buf[0], buf[1], buf[2], buf[3] = byte(n), byte(n>>8), byte(n>>16), seq
	_, err := w.Write(append(buf, payload...))
	return err
}

// errPacket is an ERR packet's payload, as a server speaking protocol 4.1 sends it.
func errPacket(code uint16, state, message string) []byte {
	b := []byte{headerERR, byte(code), byte(code >> 8), '#'}
	b = append(b, state...)
	return append(b, message...)
}

// greeting is the server's HandshakeV10, with where its capability flags are.
type greeting struct {
	payload []byte
	// capsAt is the offset of the lower two bytes of the capability flags.
	capsAt int
	// caps are the server's capability flags, lower and upper halves.
	caps uint32
	// scramble is the 20 bytes a password's proof is computed over.
	scramble []byte
}

// parseGreeting reads a HandshakeV10.
func parseGreeting(p []byte) (greeting, error) {
	bad := errors.New("invalid server greeting")
	if len(p) < 1 || p[0] != 10 {
		return greeting{}, bad
	}
	end := bytes.IndexByte(p[1:], 0)
	if end < 0 {
		return greeting{}, bad
	}
	i := 1 + end + 1 + 4 // server version, connection id
	if len(p) < i+8+1+2+1+2+2+1+10 {
		return greeting{}, bad
	}
	g := greeting{payload: p, scramble: append([]byte(nil), p[i:i+8]...)}
	i += 8 + 1
	g.capsAt = i
	g.caps = uint32(binary.LittleEndian.Uint16(p[i:]))
	i += 2 + 1 + 2 // lower flags, character set, status
	g.caps |= uint32(binary.LittleEndian.Uint16(p[i:])) << 16
	i += 2
	authLen := int(p[i])
	i += 1 + 10
	if g.caps&capSecureConnection != 0 {
		n := max(13, authLen-8) - 1 // the rest of the scramble, then a NUL
		if len(p) < i+n {
			return greeting{}, bad
		}
		g.scramble = append(g.scramble, p[i:i+n]...)
	}
	return g, nil
}

// withCaps returns the greeting's payload with the lower capability flags in set added and
// those in clear taken away.
func (g greeting) withCaps(set, clear uint16) []byte {
	p := bytes.Clone(g.payload)
	lower := binary.LittleEndian.Uint16(p[g.capsAt:])
	binary.LittleEndian.PutUint16(p[g.capsAt:], lower&^clear|set)
	return p
}

// response is a client's HandshakeResponse41.
type response struct {
	caps uint32
	// head is what comes before the user name: flags, maximum packet size, character set
	// and the filler (where MariaDB keeps its extended flags).
	head     []byte
	user     string
	auth     []byte
	database string
	plugin   string
	attrs    []byte
}

// isSSLRequest tells a client's SSLRequest from its HandshakeResponse41.
func isSSLRequest(p []byte) bool {
	return len(p) == sslRequestLen && binary.LittleEndian.Uint32(p)&capSSL != 0
}

// parseResponse reads a HandshakeResponse41.
func parseResponse(p []byte) (response, error) {
	bad := errors.New("invalid handshake response")
	if len(p) < sslRequestLen+1 {
		return response{}, bad
	}
	r := response{caps: binary.LittleEndian.Uint32(p), head: bytes.Clone(p[:sslRequestLen])}
	if r.caps&capProtocol41 == 0 {
		return response{}, errors.New("client does not speak protocol 4.1")
	}
	rest := p[sslRequestLen:]
	user, rest, ok := cutNUL(rest)
	if !ok {
		return response{}, bad
	}
	r.user = user
	switch {
	case r.caps&capPluginAuthLenencData != 0:
		n, m := lenenc(rest)
		if m == 0 || uint64(len(rest)-m) < n {
			return response{}, bad
		}
		r.auth, rest = rest[m:m+int(n)], rest[m+int(n):]
	case r.caps&capSecureConnection != 0:
		if len(rest) < 1 || len(rest) < 1+int(rest[0]) {
			return response{}, bad
		}
		r.auth, rest = rest[1:1+int(rest[0])], rest[1+int(rest[0]):]
	default:
		var auth string
		if auth, rest, ok = cutNUL(rest); !ok {
			return response{}, bad
		}
		r.auth = []byte(auth)
	}
	if r.caps&capConnectWithDB != 0 && len(rest) > 0 {
		if r.database, rest, ok = cutNUL(rest); !ok {
			return response{}, bad
		}
	}
	if r.caps&capPluginAuth != 0 && len(rest) > 0 {
		if r.plugin, rest, ok = cutNUL(rest); !ok {
			return response{}, bad
		}
	}
	if r.caps&capConnectAttrs != 0 {
		r.attrs = rest
	}
	return r, nil
}

// encode writes the response back with caps in place of the client's flags.
func (r response) encode(caps uint32) []byte {
	b := bytes.Clone(r.head)
	binary.LittleEndian.PutUint32(b, caps)
	b = append(append(b, r.user...), 0)
	switch {
	case caps&capPluginAuthLenencData != 0:
		b = append(appendLenenc(b, uint64(len(r.auth))), r.auth...)
	case caps&capSecureConnection != 0:
		b = append(append(b, byte(len(r.auth))), r.auth...)
	default:
		b = append(append(b, r.auth...), 0)
	}
	if caps&capConnectWithDB != 0 {
		b = append(append(b, r.database...), 0)
	}
	if caps&capPluginAuth != 0 {
		b = append(append(b, r.plugin...), 0)
	}
	if caps&capConnectAttrs != 0 {
		b = append(b, r.attrs...)
	}
	return b
}

// cutNUL splits a NUL-terminated string off b.
func cutNUL(b []byte) (string, []byte, bool) {
	s, rest, ok := bytes.Cut(b, []byte{0})
	return string(s), rest, ok
}

// lenenc reads a length-encoded integer and returns it with the bytes it took (0: invalid).
func lenenc(b []byte) (uint64, int) {
	if len(b) == 0 {
		return 0, 0
	}
	switch b[0] {
	case 0xfc:
		if len(b) >= 3 {
			return uint64(binary.LittleEndian.Uint16(b[1:])), 3
		}
	case 0xfd:
		if len(b) >= 4 {
			return uint64(b[1]) | uint64(b[2])<<8 | uint64(b[3])<<16, 4
		}
	case 0xfe:
		if len(b) >= 9 {
			return binary.LittleEndian.Uint64(b[1:]), 9
		}
	case 0xfb, 0xff:
	default:
		return uint64(b[0]), 1
	}
	return 0, 0
}

func appendLenenc(b []byte, n uint64) []byte {
	switch {
	case n < 0xfb:
		return append(b, byte(n))
	case n < 1<<16:
		return append(b, 0xfc, byte(n), byte(n>>8))
	case n < 1<<24:
		return append(b, 0xfd, byte(n), byte(n>>8), byte(n>>16))
	}
	return binary.LittleEndian.AppendUint64(append(b, 0xfe), n)
}

// nativeProof is mysql_native_password's answer to scramble:
// SHA1(password) XOR SHA1(scramble + SHA1(SHA1(password))).
func nativeProof(scramble []byte, password string) []byte {
	first := sha1.Sum([]byte(password))
	second := sha1.Sum(first[:])
	h := sha1.New()
	h.Write(scramble[:20])
	h.Write(second[:])
	proof := h.Sum(nil)
	for i := range proof {
		proof[i] ^= first[i]
	}
	return proof
}

// nativeHash is the mysql_native_password hash of password as the server keeps it and
// IDENTIFIED BY PASSWORD takes it: "*" and the upper-case hex of SHA1(SHA1(password)).
func nativeHash(password string) string {
	first := sha1.Sum([]byte(password))
	second := sha1.Sum(first[:])
	return "*" + strings.ToUpper(hex.EncodeToString(second[:]))
}
