// Package password generates database passwords that every engine and RDS accept.
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

// Generate returns a new password of Length characters drawn uniformly from a
// cryptographically secure random source.
func Generate() (string, error) {
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
