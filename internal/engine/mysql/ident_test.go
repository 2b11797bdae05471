package mysql

import (
	"strings"
	"testing"
)

func TestNameRules(t *testing.T) {
	cases := map[string]struct {
		reason string
		check  func(string) error
		name   string
		ok     bool
	}{
		"User":           {reason: "A lower-case name with digits and underscores is fine.", check: checkUserName, name: "app_2", ok: true},
		"User32":         {reason: "32 characters is MySQL 8's limit.", check: checkUserName, name: strings.Repeat("a", 32), ok: true},
		"User33":         {reason: "33 characters is too long for MySQL 8.", check: checkUserName, name: strings.Repeat("a", 33)},
		"UserDigitFirst": {reason: "A name starts with a letter.", check: checkUserName, name: "1app"},
		"UserEmpty":      {reason: "An empty name is refused.", check: checkUserName, name: ""},
		"UserHyphen":     {reason: "A hyphen is not allowed.", check: checkUserName, name: "app-1"},
		"Database63":     {reason: "63 characters is the API's limit.", check: checkDatabaseName, name: strings.Repeat("d", 63), ok: true},
		"Database64":     {reason: "64 characters is refused.", check: checkDatabaseName, name: strings.Repeat("d", 64)},
		"DatabaseQuote":  {reason: "A quote is not allowed.", check: checkDatabaseName, name: "d`b"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if err := tc.check(tc.name); (err == nil) != tc.ok {
				t.Errorf("%s\ngot %v", tc.reason, err)
			}
		})
	}
}

func TestNativePasswordHash(t *testing.T) {
	// MySQL's documented example: PASSWORD('mypass').
	if got, want := nativePasswordHash("mypass"), "*6C8989366EAF75BB670AD8EA7A7FC1176A95CEF4"; got != want {
		t.Errorf("nativePasswordHash(mypass) = %s, want %s", got, want)
	}
}
