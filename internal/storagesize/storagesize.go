// Package storagesize parses the size a user asks for and applies RDS's storage limits.
package storagesize

import (
	"fmt"
	"regexp"
	"strconv"
)

var sizePattern = regexp.MustCompile(`^([1-9][0-9]{0,4})(GB|GiB|Gi|G)$`)

// MaxGiB is the largest allocated storage RDS accepts for MySQL, MariaDB and PostgreSQL.
const MaxGiB = 65536

// Parse reads a size such as "10GB", "20GiB", "20Gi" or "20G" as a number of GiB (RDS counts
// allocated storage in GiB, and the seed's "GB" means the same).
func Parse(s string) (int32, error) {
	m := sizePattern.FindStringSubmatch(s)
	if m == nil {
		return 0, fmt.Errorf("size %q: want a whole number of gigabytes followed by GB, GiB, Gi or G", s)
	}
	n, err := strconv.Atoi(m[1])
	if err != nil || n > MaxGiB {
		return 0, fmt.Errorf("size %q: at most %d GiB", s, MaxGiB)
	}
	return int32(n), nil
}

// MinimumGiB returns the smallest allocated storage RDS accepts for storageType.
func MinimumGiB(storageType string) int32 {
	switch storageType {
	case "io1", "io2":
		return 100
	case "standard":
		return 5
	default: // gp2, gp3
		return 20
	}
}

// Effective returns the storage to ask RDS for: the requested size, raised to the storage
// type's minimum when below it. raised tells whether that happened.
func Effective(requested int32, storageType string) (gib int32, raised bool) {
	if min := MinimumGiB(storageType); requested < min {
		return min, true
	}
	return requested, false
}
