// Package password generates database passwords that every engine and cloud accept.
package password

import (
	"crypto/rand"
	"fmt"
	"math/big"
	"strings"
)

// Length is the length of generated passwords: well within RDS's limits for every engine
// (MySQL and MariaDB masters allow at most 41 characters) and about 190 bits of entropy.
const Length = 32

// alphabet holds letters, digits and a few symbols that need no escaping in a URI, a JDBC
// URL, a shell or SQL, and that RDS allows (it refuses "/", "\"", "@" and space).
const alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.~"

// Generate returns a new password for user of Length characters drawn uniformly from a
// cryptographically secure random source, drawn again (rarely: about one draw in 200 for
// an 8-letter name) until it holds an uppercase letter, a lowercase letter and a digit and
// no three consecutive letters or digits of user, in any case: the complexity rule of Azure's
// flexible servers (docs/azure-facts.md), which a password must meet from the start since it
// is kept in its Secret before it is sent.
func Generate(user string) (string, error) {
	for {
		p, err := draw()
		if err != nil {
			return "", err
		}
		if strong(p, user) {
			return p, nil
		}
	}
}

func draw() (string, error) {
	var b strings.Builder
	max := big.NewInt(int64(len(alphabet)))
	for b.Len() < Length {
		n, err := rand.Int(rand.Reader, max)
		if err != nil {
			return "", fmt.Errorf("read random source: %w", err)
		}
		b.WriteByte(alphabet[n.Int64()])
	}
	return b.String(), nil
}

// strong reports whether p holds an uppercase letter, a lowercase letter and a digit, and
// no three consecutive letters or digits of user, case aside.
func strong(p, user string) bool {
	if !strings.ContainsAny(p, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") || !strings.ContainsAny(p, "abcdefghijklmnopqrstuvwxyz") || !strings.ContainsAny(p, "0123456789") {
		return false
	}
	lower := strings.ToLower(p)
	for _, part := range strings.FieldsFunc(strings.ToLower(user), func(r rune) bool {
		return !('a' <= r && r <= 'z' || '0' <= r && r <= '9')
	}) {
		for i := 0; i+3 <= len(part); i++ {
			if strings.Contains(lower, part[i:i+3]) {
				return false
			}
		}
	}
	return true
}

// Valid reports whether p satisfies RDS's master password rules for every engine: 8 to 41
// printable ASCII characters other than "/", "\"", "@" and space.
func Valid(p string) bool {
	if len(p) < 8 || len(p) > 41 {
		return false
	}
	for i := 0; i < len(p); i++ {
		c := p[i]
		if c <= ' ' || c > '~' || c == '/' || c == '"' || c == '@' {
			return false
		}
	}
	return true
}
