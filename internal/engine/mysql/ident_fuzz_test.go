package mysql

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// token is one lexical token of a MySQL statement: a backtick-quoted identifier (with its
// value unescaped), a string literal, a word or a punctuation character.
type token struct {
	kind  string // "ident", "string", "word", "punct"
	value string
}

// lex tokenises the statements this package builds the way the server's lexer does for
// them: `...` with “ inside an identifier, '...' with ” and backslash escapes inside a
// string, words and single punctuation characters. It fails on an unterminated quote.
func lex(s string) ([]token, bool) {
	var out []token
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ':
			i++
		case c == '`':
			var b strings.Builder
			i++
			for {
				if i >= len(s) {
					return nil, false
				}
				if s[i] == '`' {
					if i+1 < len(s) && s[i+1] == '`' {
						b.WriteByte('`')
						i += 2
						continue
					}
					i++
					break
				}
				b.WriteByte(s[i])
				i++
			}
			out = append(out, token{"ident", b.String()})
		case c == '\'':
			var b strings.Builder
			i++
			for {
				if i >= len(s) {
					return nil, false
				}
				if s[i] == '\\' && i+1 < len(s) {
					b.WriteByte(s[i+1])
					i += 2
					continue
				}
				if s[i] == '\'' {
					if i+1 < len(s) && s[i+1] == '\'' {
						b.WriteByte('\'')
						i += 2
						continue
					}
					i++
					break
				}
				b.WriteByte(s[i])
				i++
			}
			out = append(out, token{"string", b.String()})
		case c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z':
			j := i
			for j < len(s) && (s[j] >= 'A' && s[j] <= 'Z' || s[j] >= 'a' && s[j] <= 'z') {
				j++
			}
			out = append(out, token{"word", s[i:j]})
			i = j
		default:
			out = append(out, token{"punct", string(c)})
			i++
		}
	}
	return out, true
}

// FuzzQuoteIdentifier proves that no name, valid or not, escapes its quotes: in a GRANT
// built from it, the database and the account are each exactly one token whose value is
// the name, and the statement's structure around them is intact.
func FuzzQuoteIdentifier(f *testing.F) {
	for _, seed := range []string{"orders", "my_db", "a`b", "``", "`; DROP DATABASE x; --", "x' OR '1'='1", `back\slash`, "100%", "", "naïve"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, name string) {
		if !utf8.ValidString(name) || strings.ContainsRune(name, 0) {
			t.Skip("MySQL identifiers are UTF-8 without NUL")
		}
		stmt := "GRANT ALL PRIVILEGES ON " + quoteIdentifier(name) + ".* TO " + account(name) + " WITH GRANT OPTION"
		toks, ok := lex(stmt)
		if !ok {
			t.Fatalf("unterminated quote in %q", stmt)
		}
		want := []token{{"word", "GRANT"}, {"word", "ALL"}, {"word", "PRIVILEGES"}, {"word", "ON"}, {"ident", name}, {"punct", "."}, {"punct", "*"},
			{"word", "TO"}, {"string", name}, {"punct", "@"}, {"string", "%"}, {"word", "WITH"}, {"word", "GRANT"}, {"word", "OPTION"}}
		if len(toks) != len(want) {
			t.Fatalf("%q lexes into %d tokens, want %d: %q", stmt, len(toks), len(want), toks)
		}
		for i := range want {
			if toks[i] != want[i] {
				t.Fatalf("%q: token %d is %q, want %q", stmt, i, toks[i], want[i])
			}
		}
		// In a grant the database name is a pattern: once unescaped it is the name, and no
		// '_' or '%' is left to match other databases.
		p := grantPattern(name)
		var b strings.Builder
		for i := 0; i < len(p); i++ {
			if p[i] == '\\' && i+1 < len(p) {
				i++
			} else if p[i] == '_' || p[i] == '%' {
				t.Fatalf("grantPattern(%q) = %q leaves a wildcard", name, p)
			}
			b.WriteByte(p[i])
		}
		if b.String() != name {
			t.Fatalf("grantPattern(%q) = %q unescapes to %q", name, p, b.String())
		}
	})
}
