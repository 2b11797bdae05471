package password

import "testing"

func TestGenerate(t *testing.T) {
	seen := map[string]bool{}
	for i := 0; i < 200; i++ {
		p, err := Generate()
		if err != nil {
			t.Fatalf("Generate() error: %v", err)
		}
		if !Valid(p) {
			t.Fatalf("Generate() = a password RDS would refuse (length %d)", len(p))
		}
		if seen[p] {
			t.Fatalf("Generate() repeated a password")
		}
		seen[p] = true
	}
}

func TestValid(t *testing.T) {
	cases := map[string]struct {
		reason string
		in     string
		want   bool
	}{
		"Good":     {reason: "Letters, digits and URI-safe symbols pass.", in: "abcDEF123-_.~", want: true},
		"Short":    {reason: "RDS needs at least 8 characters.", in: "abc1234", want: false},
		"Long":     {reason: "MySQL masters allow at most 41 characters.", in: "abcdefghijabcdefghijabcdefghijabcdefghij12", want: false},
		"Slash":    {reason: "RDS refuses /.", in: "abcdefgh/", want: false},
		"Quote":    {reason: "RDS refuses \".", in: "abcdefgh\"", want: false},
		"At":       {reason: "RDS refuses @.", in: "abcdefgh@", want: false},
		"Space":    {reason: "RDS refuses spaces.", in: "abcd efgh", want: false},
		"NonASCII": {reason: "Only printable ASCII is allowed.", in: "abcdefghé", want: false},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if got := Valid(tc.in); got != tc.want {
				t.Errorf("%s\nValid(%q) = %v, want %v", tc.reason, tc.in, got, tc.want)
			}
		})
	}
}
