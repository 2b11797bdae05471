package password

import "testing"

func TestGenerate(t *testing.T) {
	seen := map[string]bool{}
	for i := 0; i < 200; i++ {
		p, err := Generate("sysadmin")
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

// TestGenerateMeetsAzuresRule: Azure's flexible servers refuse a password without three of
// upper, lower, digit and symbol, or with three consecutive letters or digits of the login
// (1 in 200 random passwords for "sysadmin" did): every generated password meets the rule,
// whatever the user.
func TestGenerateMeetsAzuresRule(t *testing.T) {
	cases := []struct{ user, reason string }{
		{user: "sysadmin", reason: "the operator's default master user"},
		{user: "app_RW-2", reason: "parts split at non-alphanumerics, case aside"},
		{user: "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", reason: "a long name: one trigram, but a likely one"},
	}
	for _, tc := range cases {
		for range 2000 {
			p, err := Generate(tc.user)
			if err != nil {
				t.Fatal(err)
			}
			if !strong(p, tc.user) {
				t.Fatalf("%s: %q breaks the rule for %q", tc.reason, p, tc.user)
			}
		}
	}
	for _, c := range []struct {
		p, user string
		want    bool
		reason  string
	}{
		{"abcDEF123", "sysadmin", true, "three categories, nothing of the login"},
		{"abcDEFghi", "sysadmin", false, "no digit: two categories of the three the alphabet has"},
		{"xxSYSxx1a", "sysadmin", false, "SYS is three consecutive letters of sysadmin, case aside"},
		{"xxADMxx1a", "sys.admin", false, "each part of the login counts"},
		{"xxSYxx1aA", "sysadmin", true, "two letters of the login are allowed"},
	} {
		if got := strong(c.p, c.user); got != c.want {
			t.Errorf("%s: strong(%q, %q) = %t", c.reason, c.p, c.user, got)
		}
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
