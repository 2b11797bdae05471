package password

import (
	"net/url"
	"strings"
	"testing"
)

// rdsAccepts is RDS's master password rule for every engine, written out from the API
// reference independently of Valid: 8 to 41 characters (MySQL and MariaDB's maximum, the
// smallest of all), printable ASCII, none of '/', '"', '@' or space.
func rdsAccepts(p string) bool {
	if len(p) < 8 || len(p) > 41 {
		return false
	}
	for _, r := range p {
		if r < 0x21 || r > 0x7e || strings.ContainsRune(`/"@`, r) {
			return false
		}
	}
	return true
}

// FuzzValid proves Valid is exactly RDS's rule, on any input.
func FuzzValid(f *testing.F) {
	for _, s := range []string{"", "short", "abcdefgh", "abcdefg/", `abcdefg"`, "abcdefg@", "abcd efgh", "abcdefg\x7f",
		"abcdefg\x00", "abcdefgé", strings.Repeat("a", 41), strings.Repeat("a", 42), "~~~~~~~~", "\t\t\t\t\t\t\t\t"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		if got, want := Valid(p), rdsAccepts(p); got != want {
			t.Fatalf("Valid(%q) = %v, RDS accepts it: %v", p, got, want)
		}
	})
}

// FuzzGenerate proves every generated password fits every engine's rules and goes into a
// connection URI, a JDBC query string and a SQL literal unchanged: n is how many to draw.
func FuzzGenerate(f *testing.F) {
	f.Add(uint8(1))
	f.Add(uint8(200))
	f.Fuzz(func(t *testing.T, n uint8) {
		seen := map[string]bool{}
		for i := 0; i < int(n); i++ {
			p, err := Generate("sysadmin")
			if err != nil {
				t.Fatal(err)
			}
			if len(p) != Length || !rdsAccepts(p) {
				t.Fatalf("generated %q: not %d characters RDS accepts", p, Length)
			}
			if strings.Trim(p, alphabet) != "" {
				t.Fatalf("generated %q has characters outside the alphabet", p)
			}
			// Letters, digits and -_.~ are unreserved in URIs: nothing to escape anywhere.
			if url.QueryEscape(p) != p || url.PathEscape(p) != p || strings.ContainsAny(p, `'\$`) {
				t.Fatalf("generated %q needs escaping", p)
			}
			if seen[p] {
				t.Fatalf("generated %q twice", p)
			}
			seen[p] = true
		}
	})
}
