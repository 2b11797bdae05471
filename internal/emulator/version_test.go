package emulator

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestCheckVersionChange(t *testing.T) {
	cases := map[string]struct {
		reason     string
		engine     string
		from, to   string
		allowMajor bool
		wantChange bool
		wantCode   string
	}{
		"MinorUpgrade": {
			reason: "A newer minor version needs no flag.",
			engine: "postgres", from: "16.9", to: "16.11", wantChange: true,
		},
		"MajorWithoutFlag": {
			reason: "A new major version needs AllowMajorVersionUpgrade.",
			engine: "postgres", from: "16.4", to: "17", wantCode: codeInvalidCombination,
		},
		"MajorWithFlag": {
			reason: "With the flag a major upgrade is accepted.",
			engine: "postgres", from: "16.4", to: "17", allowMajor: true, wantChange: true,
		},
		"MajorNumericNotLexical": {
			reason: "Versions compare as numbers: 9.6 is older than 14.",
			engine: "postgres", from: "9.6.22", to: "14.20", allowMajor: true, wantChange: true,
		},
		"OldPostgresMajorHasTwoParts": {
			reason: "PostgreSQL 9.6 is no longer offered: no path leads to it.",
			engine: "postgres", from: "9.5.25", to: "9.6.1", allowMajor: true, wantCode: codeInvalidCombination,
		},
		"MySQLMajorHasTwoParts": {
			reason: "MySQL 5.7 to 8.0 is a major upgrade.",
			engine: "mysql", from: "5.7.44", to: "8.0.40", wantCode: codeInvalidCombination,
		},
		"MySQLMinor": {
			reason: "MySQL 8.0.39 to 8.0.40 is a minor upgrade.",
			engine: "mysql", from: "8.0.39", to: "8.0.40", wantChange: true,
		},
		"MySQLNotOffered": {
			reason: "MySQL 9.1 is not offered by RDS, even with the flag.",
			engine: "mysql", from: "8.0.40", to: "9.1.0", allowMajor: true, wantCode: codeInvalidCombination,
		},
		"MySQL84WithFlag": {
			reason: "MySQL 8.0 to 8.4 is a major upgrade RDS offers.",
			engine: "mysql", from: "8.0.40", to: "8.4.3", allowMajor: true, wantChange: true,
		},
		"MinorDowngrade": {
			reason: "A lower minor version is refused.",
			engine: "postgres", from: "16.11", to: "16.9", wantCode: codeInvalidCombination,
		},
		"MajorDowngrade": {
			reason: "A lower major version is refused even with the flag.",
			engine: "postgres", from: "17.4", to: "16", allowMajor: true, wantCode: codeInvalidCombination,
		},
		"MajorOnlyOfCurrent": {
			reason: "Asking for 17 on 17.4 is the same major and changes nothing.",
			engine: "postgres", from: "17.4", to: "17",
		},
		"PinMinorOfMajorOnly": {
			reason: "Asking for 17.6 on an instance created as 17 pins the minor version.",
			engine: "postgres", from: "17", to: "17.6", wantChange: true,
		},
		"RetiredMinor": {
			reason: "A minor RDS no longer offers (17.4, retired in May 2026) has no upgrade path.",
			engine: "postgres", from: "17", to: "17.4", wantCode: codeInvalidCombination,
		},
		"NotAVersion": {
			reason: "A version that is not numbers has no upgrade path.",
			engine: "postgres", from: "17.4", to: "latest", wantCode: codeInvalidCombination,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			changed, err := checkVersionChange(tc.engine, tc.from, tc.to, tc.allowMajor)
			code := ""
			if err != nil {
				code = err.(*apiError).Code
			}
			if diff := cmp.Diff([]any{tc.wantChange, tc.wantCode}, []any{changed, code}); diff != "" {
				t.Errorf("%s\nchanged, code: -want +got:\n%s", tc.reason, diff)
			}
		})
	}
}
