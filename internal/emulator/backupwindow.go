package emulator

import (
	"fmt"
	"regexp"
	"strconv"
)

// defaultBackupWindow is the window given to an instance created without one. (RDS picks
// a random half hour from a block of its region; a fixed one keeps tests repeatable.)
const defaultBackupWindow = "03:00-03:30"

var backupWindowPattern = regexp.MustCompile(`^([01][0-9]|2[0-3]):([0-5][0-9])-([01][0-9]|2[0-3]):([0-5][0-9])$`)

// checkBackupWindow applies RDS's rules for PreferredBackupWindow: hh24:mi-hh24:mi in UTC,
// at least 30 minutes long.
func checkBackupWindow(w string) error {
	m := backupWindowPattern.FindStringSubmatch(w)
	if m == nil {
		return newError(codeInvalidValue, "The parameter PreferredBackupWindow must be in the format hh24:mi-hh24:mi.")
	}
	minutes := func(h, mi string) int {
		hh, _ := strconv.Atoi(h)
		mm, _ := strconv.Atoi(mi)
		return hh*60 + mm
	}
	length := (minutes(m[3], m[4]) - minutes(m[1], m[2]) + 24*60) % (24 * 60)
	if length < 30 {
		return newError(codeInvalidValue, "%s", fmt.Sprintf("The backup window must be at least 30 minutes: %s.", w))
	}
	return nil
}
