package emulator

import (
	"fmt"
	"regexp"
	"strconv"
)

// defaultBackupWindow is the window given to an instance created without one. (RDS picks
// a random half hour from a block of its region; a fixed one keeps tests repeatable.) It
// starts defaultBackupStart minutes after midnight; when it overlaps the maintenance window
// asked for, the next half hour clear of it is taken (defaultBackupWindowClearOf).
const (
	defaultBackupWindow = "03:00-03:30"
	defaultBackupStart  = 3 * 60
)

var backupWindowPattern = regexp.MustCompile(`^([01][0-9]|2[0-3]):([0-5][0-9])-([01][0-9]|2[0-3]):([0-5][0-9])$`)

// checkBackupWindow applies RDS's rules for PreferredBackupWindow: hh24:mi-hh24:mi in UTC,
// at least 30 minutes long.
func checkBackupWindow(w string) error {
	_, err := parseBackupWindow(w)
	return err
}

// parseBackupWindow checks a backup window (checkBackupWindow) and returns it as a daily
// span.
func parseBackupWindow(w string) (span, error) {
	m := backupWindowPattern.FindStringSubmatch(w)
	if m == nil {
		return span{}, newError(codeInvalidValue, "The parameter PreferredBackupWindow must be in the format hh24:mi-hh24:mi.")
	}
	minutes := func(h, mi string) int {
		hh, _ := strconv.Atoi(h)
		mm, _ := strconv.Atoi(mi)
		return hh*60 + mm
	}
	start := minutes(m[1], m[2])
	length := mod(minutes(m[3], m[4])-start, dayMinutes)
	if length < 30 {
		return span{}, newError(codeInvalidValue, "%s", fmt.Sprintf("The backup window must be at least 30 minutes: %s.", w))
	}
	return span{start, length}, nil
}
