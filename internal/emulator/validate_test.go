package emulator

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestValidIdentifier(t *testing.T) {
	cases := map[string]struct {
		reason string
		id     string
		want   bool
	}{
		"Simple":        {reason: "Letters, digits and single hyphens are fine.", id: "orders-db-1", want: true},
		"Empty":         {reason: "An identifier has at least one character.", id: "", want: false},
		"DigitFirst":    {reason: "The first character is a letter.", id: "1orders", want: false},
		"TrailingDash":  {reason: "No trailing hyphen.", id: "orders-", want: false},
		"DoubleDash":    {reason: "No two hyphens in a row.", id: "orders--db", want: false},
		"Underscore":    {reason: "Underscores are not allowed.", id: "orders_db", want: false},
		"Max63":         {reason: "63 characters are allowed.", id: "a" + string(make63('b')), want: true},
		"TooLong":       {reason: "64 characters are too many.", id: "ab" + string(make63('b')), want: false},
		"SingleLetter":  {reason: "One letter is enough.", id: "a", want: true},
		"UpperCaseOkay": {reason: "Upper case is accepted (and stored lowercase by the caller).", id: "Orders", want: true},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, validIdentifier(tc.id)); diff != "" {
				t.Errorf("%s\nvalidIdentifier(%q): -want +got:\n%s", tc.reason, tc.id, diff)
			}
		})
	}
}

func make63(c byte) []byte {
	b := make([]byte, 62)
	for i := range b {
		b[i] = c
	}
	return b
}

func TestCheckPassword(t *testing.T) {
	cases := map[string]struct {
		reason string
		engine string
		pw     string
		ok     bool
	}{
		"Good":          {reason: "Printable ASCII of a fine length passes.", engine: "postgres", pw: "Abc-123_xyz!", ok: true},
		"Short":         {reason: "At least 8 characters.", engine: "postgres", pw: "Abc-123", ok: false},
		"At":            {reason: "'@' is refused.", engine: "postgres", pw: "abc@12345", ok: false},
		"Slash":         {reason: "'/' is refused.", engine: "postgres", pw: "abc/12345", ok: false},
		"Quote":         {reason: "'\"' is refused.", engine: "postgres", pw: "abc\"12345", ok: false},
		"Space":         {reason: "A space is refused.", engine: "postgres", pw: "abc 12345", ok: false},
		"NonASCII":      {reason: "Only ASCII is allowed.", engine: "postgres", pw: "abcé12345", ok: false},
		"MySQLTooLong":  {reason: "MySQL passwords stop at 41 characters.", engine: "mysql", pw: string(make63('a'))[:42], ok: false},
		"PostgresLong":  {reason: "PostgreSQL passwords go up to 128 characters.", engine: "postgres", pw: string(make63('a'))[:42], ok: true},
		"SingleQuoteOK": {reason: "A single quote is allowed (and must be escaped in SQL).", engine: "postgres", pw: "it's-fine-1", ok: true},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			err := checkPassword(tc.engine, tc.pw)
			if diff := cmp.Diff(tc.ok, err == nil); diff != "" {
				t.Errorf("%s\ncheckPassword ok: -want +got:\n%s (err %v)", tc.reason, diff, err)
			}
		})
	}
}

func TestGrownStorage(t *testing.T) {
	cases := map[string]struct {
		reason             string
		current, requested int
		want               int
	}{
		"SmallIncrease": {reason: "Less than 10% more is rounded up to 10%.", current: 100, requested: 105, want: 110},
		"ExactlyTen":    {reason: "10% more is taken as is.", current: 100, requested: 110, want: 110},
		"BigIncrease":   {reason: "A larger increase is taken as is.", current: 100, requested: 200, want: 200},
		"RoundsUpGiB":   {reason: "10% of 20 GiB is 2 GiB; of 25 GiB, 2.5 rounds up to 3.", current: 25, requested: 26, want: 28},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, grownStorage(tc.current, tc.requested)); diff != "" {
				t.Errorf("%s\ngrownStorage(%d, %d): -want +got:\n%s", tc.reason, tc.current, tc.requested, diff)
			}
		})
	}
}
