package emulator

import (
	"strconv"
	"strings"
)

// checkVersionChange applies ModifyDBInstance's rules for a new EngineVersion and reports
// whether it changes the version at all. Versions compare by their numeric dot-separated
// parts, as far as both go: asking for "17" on "17.4" changes nothing (RDS keeps a minor
// version that is not older than the default), while asking for "17.4" on an instance
// created as "17" pins that minor version.
func checkVersionChange(engine, from, to string, allowMajor bool) (bool, error) {
	want, ok := parseVersion(to)
	if !ok || !offered(engine, want) {
		return false, newError(codeInvalidCombination, "Cannot find upgrade path from %s to %s.", from, to)
	}
	have, ok := parseVersion(from)
	if !ok {
		// Only a tampered record holds an unreadable version; any other is a change.
		return to != from, nil
	}
	switch c := compareVersions(want, have); {
	case c == 0:
		return len(want) > len(have), nil
	case c < 0:
		return false, newError(codeInvalidCombination, "Cannot upgrade %s from %s to %s", engine, from, to)
	}
	if !sameMajor(engine, have, want) && !allowMajor {
		return false, newError(codeInvalidCombination, "The AllowMajorVersionUpgrade flag must be present when upgrading to a new major version.")
	}
	return true, nil
}

// checkEngineVersion applies CreateDBInstance's rule for EngineVersion: RDS must offer it.
func checkEngineVersion(engine, version string) error {
	v, ok := parseVersion(version)
	if !ok || !offered(engine, v) {
		return newError(codeInvalidCombination, "Cannot find version %s for %s", version, engine)
	}
	return nil
}

// parseVersion splits a version such as "16.4" into its numbers; false when a part is
// not a number.
func parseVersion(v string) ([]int, bool) {
	if v == "" {
		return nil, false
	}
	var parts []int
	for _, s := range strings.Split(v, ".") {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			return nil, false
		}
		parts = append(parts, n)
	}
	return parts, true
}

// compareVersions compares a and b on the parts both have: -1, 0 or 1.
func compareVersions(a, b []int) int {
	for i := 0; i < len(a) && i < len(b); i++ {
		switch {
		case a[i] < b[i]:
			return -1
		case a[i] > b[i]:
			return 1
		}
	}
	return 0
}

// sameMajor reports whether two versions of an engine share a major version: the first
// part for PostgreSQL 10 and later, the first two for older PostgreSQL (9.6), MySQL (8.0)
// and MariaDB (10.11).
func sameMajor(engine string, a, b []int) bool {
	n := 2
	if (engine == "postgres" || engine == "aurora-postgresql") && a[0] >= 10 {
		n = 1
	}
	for i := 0; i < n && i < len(a) && i < len(b); i++ {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
