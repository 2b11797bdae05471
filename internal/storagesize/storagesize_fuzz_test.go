package storagesize

import (
	"fmt"
	"regexp"
	"strconv"
	"testing"
)

// admitted is spec.size's admission rule (api/v1, CEL): the same RE2 pattern, and at most
// MaxGiB. The parser must accept exactly what admission accepts: a size admission lets
// through but Parse refuses leaves an object stuck, and one Parse accepts that admission
// would refuse means the two disagree on what a size is.
var admitted = regexp.MustCompile(`^[1-9][0-9]{0,4}(GB|GiB|Gi|G)$`)

func admits(s string) bool {
	if len(s) > 12 || !admitted.MatchString(s) {
		return false
	}
	n, err := strconv.Atoi(regexp.MustCompile(`^[0-9]+`).FindString(s))
	return err == nil && n <= MaxGiB
}

// FuzzParse proves Parse never panics, agrees with admission on every input, returns a size
// RDS accepts, and that Effective never goes below the storage type's minimum or the request.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"10GB", "20GiB", "20Gi", "20G", "65536GB", "65537GB", "99999G", "0GB", "010GB",
		"1e9GB", "-5GB", "+5GB", "5 GB", "5gb", "10GB\n", "\x0010GB", "１０GB", "10ＧB", "9223372036854775808GB", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := Parse(s)
		if ok := err == nil; ok != admits(s) {
			t.Fatalf("Parse(%q) = %d, %v; admission accepts it: %v", s, n, err, admits(s))
		}
		if err != nil {
			if n != 0 {
				t.Errorf("Parse(%q) failed but returned %d", s, n)
			}
			return
		}
		if n < 1 || n > MaxGiB {
			t.Fatalf("Parse(%q) = %d, outside 1..%d", s, n, MaxGiB)
		}
		if again, err := Parse(fmt.Sprintf("%dGiB", n)); err != nil || again != n {
			t.Errorf("Parse(%q) = %d, but %dGiB parses as %d, %v", s, n, n, again, err)
		}
		for _, st := range []string{"gp2", "gp3", "io1", "io2", "standard", ""} {
			gib, raised := Effective(n, st)
			if gib < MinimumGiB(st) || gib < n || raised != (n < MinimumGiB(st)) {
				t.Errorf("Effective(%d, %q) = %d, %v", n, st, gib, raised)
			}
		}
	})
}
