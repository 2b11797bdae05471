package postgres

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// sqlToken is one token of a statement as PostgreSQL's lexer sees it.
type sqlToken struct {
	kind  string // word, ident (quoted identifier), string, number, op, or an escape: comment, dollar, prefixed
	value string // a word's text, an identifier's or string's decoded content
}

// lexSQL splits a statement into tokens the way PostgreSQL's scanner does with
// standard_conforming_strings on (RDS's default): a double-quoted run with doubled double
// quotes inside is one identifier, a single-quoted run with doubled single quotes inside one
// string. Whatever lets text break out of a quoted token (a comment, a dollar quote, an E or
// U& prefix) becomes a token of its own kind, so a
// statement that contains one never equals its template. A NUL byte ends the query string
// on the wire: it is an error.
func lexSQL(stmt string) ([]sqlToken, error) {
	var out []sqlToken
	isWord := func(c byte) bool {
		return c == '_' || c >= 0x80 || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
	}
	isDigit := func(c byte) bool { return c >= '0' && c <= '9' }
	quoted := func(i int, q byte) (string, int, error) { // i is just past the opening quote
		var b strings.Builder
		for i < len(stmt) {
			if stmt[i] == q {
				if i+1 < len(stmt) && stmt[i+1] == q {
					b.WriteByte(q)
					i += 2
					continue
				}
				return b.String(), i + 1, nil
			}
			b.WriteByte(stmt[i])
			i++
		}
		return "", 0, errors.New("unterminated quote")
	}
	for i := 0; i < len(stmt); {
		c := stmt[i]
		switch {
		case c == 0:
			return nil, errors.New("NUL byte in the statement")
		case strings.IndexByte(" \t\n\r\f\v", c) >= 0:
			i++
		case strings.HasPrefix(stmt[i:], "--") || strings.HasPrefix(stmt[i:], "/*"):
			out = append(out, sqlToken{kind: "comment"})
			i = len(stmt)
		case c == '$':
			out = append(out, sqlToken{kind: "dollar"})
			i++
		case c == '"' || c == '\'':
			v, next, err := quoted(i+1, c)
			if err != nil {
				return nil, err
			}
			kind := "ident"
			if c == '\'' {
				kind = "string"
			}
			out = append(out, sqlToken{kind: kind, value: v})
			i = next
		case isWord(c):
			j := i
			for j < len(stmt) && (isWord(stmt[j]) || isDigit(stmt[j]) || stmt[j] == '$') {
				j++
			}
			if j < len(stmt) && (stmt[j] == '\'' || stmt[j] == '"' || stmt[j] == '&') {
				out = append(out, sqlToken{kind: "prefixed", value: stmt[i:j]})
			} else {
				out = append(out, sqlToken{kind: "word", value: strings.ToUpper(stmt[i:j])})
			}
			i = j
		case isDigit(c):
			j := i
			for j < len(stmt) && isDigit(stmt[j]) {
				j++
			}
			out = append(out, sqlToken{kind: "number", value: stmt[i:j]})
			i = j
		default:
			out = append(out, sqlToken{kind: "op", value: string(c)})
			i++
		}
	}
	return out, nil
}

// identStatements are the shapes of every statement admin.go builds around a name; %[1]s is
// the fuzzed name, %[2]s a fixed one.
var identStatements = []string{
	"CREATE ROLE %[1]s LOGIN NOCREATEDB PASSWORD 'x'",
	"ALTER ROLE %[1]s NOLOGIN",
	"GRANT %[2]s TO %[1]s",
	"REVOKE %[1]s FROM %[2]s WITH INHERIT TRUE, SET TRUE",
	"CREATE DATABASE %[1]s OWNER %[2]s",
	"ALTER DATABASE %[2]s OWNER TO %[1]s",
	"REVOKE CONNECT, TEMPORARY ON DATABASE %[1]s FROM PUBLIC",
	"GRANT CONNECT ON DATABASE %[2]s TO %[1]s",
}

// sameTokens compares a statement built with the fuzzed text against its template built
// with a plain placeholder, which must lex as the same tokens but for that one.
func sameTokens(t *testing.T, stmt, template string, placeholder, want sqlToken) {
	t.Helper()
	got, err := lexSQL(stmt)
	if err != nil {
		t.Fatalf("statement %q does not lex: %v", stmt, err)
	}
	tmpl, err := lexSQL(template)
	if err != nil {
		t.Fatalf("template %q does not lex: %v", template, err)
	}
	if len(got) != len(tmpl) {
		t.Fatalf("statement %q has %d tokens, its template %d: the quoted text escaped", stmt, len(got), len(tmpl))
	}
	found := 0
	for i := range tmpl {
		if tmpl[i] == placeholder {
			if got[i] != want {
				t.Fatalf("statement %q: token %d is %+v, want %+v", stmt, i, got[i], want)
			}
			found++
		} else if got[i] != tmpl[i] {
			t.Fatalf("statement %q: token %d is %+v, the template's %+v", stmt, i, got[i], tmpl[i])
		}
	}
	if found != 1 {
		t.Fatalf("template %q holds the placeholder %d times", template, found)
	}
}

// FuzzIdent proves no name can escape its quoting: every name checkName lets through comes
// out of every statement shape as exactly one quoted identifier equal to the name, short
// enough that the server does not cut it into another name, with the rest of the statement
// unchanged. Names checkName refuses are never put into a statement.
func FuzzIdent(f *testing.F) {
	for _, s := range []string{"app", `a"b`, `"; DROP TABLE x; --`, "a`b", "app\x00", "аpp", "app; DROP TABLE x",
		"$$", "/*", "--", "'", `""`, "", strings.Repeat("a", 63), strings.Repeat("a", 64), strings.Repeat("é", 32),
		"\xff\xfe", "U&\"", "E'"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		if err := checkName("role", name); err != nil {
			if !strings.Contains(err.Error(), "role name") {
				t.Fatalf("checkName(%q) refuses without naming what: %v", name, err)
			}
			return
		}
		if len(name) > maxIdentifier {
			t.Fatalf("checkName accepts %q, %d bytes: PostgreSQL would cut it to %d", name, len(name), maxIdentifier)
		}
		placeholder := sqlToken{kind: "ident", value: "placeholder"}
		for _, shape := range identStatements {
			sameTokens(t, fmt.Sprintf(shape, ident(name), ident("other")), fmt.Sprintf(shape, ident("placeholder"), ident("other")),
				placeholder, sqlToken{kind: "ident", value: name})
		}
	})
}

// FuzzLiteral proves a password cannot escape CREATE ROLE ... PASSWORD: what is quoted is the
// SCRAM verifier of the password (never the password), and it comes out as exactly one
// string equal to the verifier. Any text without a NUL byte quotes safely as well.
func FuzzLiteral(f *testing.F) {
	for _, s := range []string{"secret", "it's", `'; DROP ROLE app; --`, `\'`, "$$x$$", "pw\x00", "\xff", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		const shape = "CREATE ROLE %s LOGIN NOCREATEDB PASSWORD %s"
		placeholder := sqlToken{kind: "string", value: "placeholder"}
		verifier, err := scramVerifierWithSalt(s, []byte("0123456789abcdef"), 1)
		if err != nil {
			t.Fatal(err)
		}
		sameTokens(t, fmt.Sprintf(shape, ident("app"), literal(verifier)), fmt.Sprintf(shape, ident("app"), literal("placeholder")),
			placeholder, sqlToken{kind: "string", value: verifier})
		if strings.IndexByte(s, 0) < 0 {
			sameTokens(t, fmt.Sprintf(shape, ident("app"), literal(s)), fmt.Sprintf(shape, ident("app"), literal("placeholder")),
				placeholder, sqlToken{kind: "string", value: s})
		}
	})
}
