package mysqlfront

import (
	"io"
	"regexp"
	"strings"
)

// An account statement that makes an IAM user, as RDS documents it:
// CREATE USER 'app'@'%' IDENTIFIED WITH AWSAuthenticationPlugin AS 'RDS'. The plugin name is
// an identifier, so it may be quoted; keywords and the name go in any case.
var (
	accountStatement = regexp.MustCompile(`(?i)^\s*(?:CREATE(?:\s+OR\s+REPLACE)?|ALTER)\s+USER\s`)
	iamClause        = regexp.MustCompile("(?i)\\bIDENTIFIED\\s+WITH\\s+(?:AWSAuthenticationPlugin|'AWSAuthenticationPlugin'|\"AWSAuthenticationPlugin\"|`AWSAuthenticationPlugin`)\\s+AS\\s+(?:'RDS'|\"RDS\")")
	// accountBefore is the account the clause belongs to, right before it: a user name,
	// quoted or not, and its host, if any.
	accountBefore = regexp.MustCompile(`(` + quotedOrBare + `)(?:\s*@\s*(?:` + quotedOrBare + `))?\s+$`)
)

const quotedOrBare = `'(?:[^'\\]|\\.|'')*'|"(?:[^"\\]|\\.|"")*"|` + "`(?:[^`]|``)*`" + `|[A-Za-z0-9_$.%-]+`

// rewriteIAMUsers turns each IDENTIFIED WITH AWSAuthenticationPlugin AS 'RDS' of a CREATE
// USER or ALTER USER statement into IDENTIFIED BY PASSWORD with the hash of the user's
// password (password(user)), which MariaDB takes. Any other query comes back as it is.
func rewriteIAMUsers(query []byte, password func(user string) string) []byte {
	if !accountStatement.Match(query) {
		return query
	}
	clauses := iamClause.FindAllIndex(query, -1)
	if clauses == nil {
		return query
	}
	var out []byte
	last := 0
	for _, c := range clauses {
		m := accountBefore.FindSubmatchIndex(query[last:c[0]])
		if m == nil {
			// No account before the clause: MariaDB refuses the statement as it came.
			return query
		}
		user := unquote(string(query[last+m[2] : last+m[3]]))
		out = append(out, query[last:c[0]]...)
		out = append(out, "IDENTIFIED BY PASSWORD '"+nativeHash(password(user))+"'"...)
		last = c[1]
	}
	return append(out, query[last:]...)
}

// unquote is the name a quoted or bare identifier or string stands for.
func unquote(s string) string {
	if len(s) < 2 {
		return s
	}
	switch q := s[0]; q {
	case '`':
		return strings.ReplaceAll(s[1:len(s)-1], "``", "`")
	case '\'', '"':
		body := s[1 : len(s)-1]
		var b strings.Builder
		for i := 0; i < len(body); i++ {
			switch c := body[i]; {
			case c == '\\' && i+1 < len(body):
				i++
				b.WriteByte(unescape(body[i]))
			case c == q && i+1 < len(body) && body[i+1] == q:
				i++
				b.WriteByte(q)
			default:
				b.WriteByte(c)
			}
		}
		return b.String()
	}
	return s
}

// unescape is the character a backslash escape in a MySQL string stands for.
func unescape(c byte) byte {
	switch c {
	case '0':
		return 0
	case 'n':
		return '\n'
	case 'r':
		return '\r'
	case 't':
		return '\t'
	case 'Z':
		return 0x1a
	case 'b':
		return '\b'
	}
	return c
}

// relayCommands copies the client's packets to the server once it is logged in, passing
// each complete COM_QUERY through rewrite. A payload of 16 MiB or more, split over
// packets, passes as it came, as does a query that would grow to it.
func relayCommands(dst io.Writer, src io.Reader, rewrite func(query []byte) []byte) error {
	var head [4]byte
	continued := false
	for {
		if _, err := io.ReadFull(src, head[:]); err != nil {
			return err
		}
		n := int(head[0]) | int(head[1])<<8 | int(head[2])<<16
		part := continued || n == maxPayload
		continued = n == maxPayload
		if part {
			if _, err := dst.Write(head[:]); err != nil {
				return err
			}
			if _, err := io.CopyN(dst, src, int64(n)); err != nil {
				return err
			}
			continue
		}
		buf := make([]byte, 4+n)
		copy(buf, head[:])
		if _, err := io.ReadFull(src, buf[4:]); err != nil {
			return err
		}
		if n > 1 && buf[4] == comQuery {
			if q := rewrite(buf[5:]); len(q)+1 < maxPayload && &q[0] != &buf[5] {
				m := len(q) + 1
				buf = append([]byte{byte(m), byte(m >> 8), byte(m >> 16), head[3], comQuery}, q...)
			}
		}
		if _, err := dst.Write(buf); err != nil {
			return err
		}
	}
}
