package emulator

import (
	"fmt"
	"hash/fnv"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// RDS's weekly maintenance window (PreferredMaintenanceWindow, ddd:hh24:mi-ddd:hh24:mi in
// UTC) beside the daily backup window (backupwindow.go). Both apply as soon as they are
// set, never as pending modifications, and RDS refuses two that overlap. The messages are
// RDS's where public evidence quotes them; docs/rds-emulator-errors.md says which.

// weekDays are a maintenance window's day names in RDS's order: its week starts on Monday.
var weekDays = []string{"mon", "tue", "wed", "thu", "fri", "sat", "sun"}

const (
	dayMinutes  = 24 * 60
	weekMinutes = 7 * dayMinutes
	// windowSlot is the length of the windows RDS picks by default.
	windowSlot = 30
)

// maintenanceBlocks is where in the day (minutes after midnight UTC) the 8-hour block
// starts from which RDS picks a region's default maintenance windows (RDS User Guide, "The
// Amazon RDS maintenance window"; eu-west-1 from the guide's 2012 edition). A region not
// listed gets us-east-1's block.
var maintenanceBlocks = map[string]int{
	"us-east-1": 3 * 60, "us-east-2": 3 * 60, "us-west-1": 6 * 60, "us-west-2": 6 * 60,
	"af-south-1": 3 * 60, "ap-east-1": 6 * 60, "ap-south-2": 6*60 + 30, "ap-southeast-3": 8 * 60,
	"ap-southeast-4": 11 * 60, "ap-southeast-5": 9 * 60, "eu-west-1": 22 * 60,
}

// span is a stretch of time that comes back every period (a day for a backup window, a
// week for a maintenance window): it starts start minutes into the period and lasts length
// minutes, maybe into the next period.
type span struct{ start, length int }

// overlaps reports whether two spans that come back every period minutes share a minute.
// Spans that only touch (one ends when the other starts) do not overlap.
func (a span) overlaps(b span, period int) bool {
	return mod(b.start-a.start, period) < a.length || mod(a.start-b.start, period) < b.length
}

// daily is a weekly span seen in the day: where it meets a daily window.
func (a span) daily() span { return span{a.start % dayMinutes, a.length} }

func mod(n, m int) int { return ((n % m) + m) % m }

var maintenanceWindowPattern = regexp.MustCompile(`^([A-Za-z]{3}):([0-9]{2}):([0-9]{2})-([A-Za-z]{3}):([0-9]{2}):([0-9]{2})$`)

// parseMaintenanceWindow applies RDS's rules for PreferredMaintenanceWindow: the format,
// days mon to sun (any case), at least 30 minutes, less than 24 hours. It returns the
// window as a weekly span and as RDS reports it (lowercase).
func parseMaintenanceWindow(w string) (span, string, error) {
	m := maintenanceWindowPattern.FindStringSubmatch(w)
	if m == nil {
		return span{}, "", newError(codeInvalidValue, "Invalid maintenance window format: %s. Should be specified as a range ddd:hh24:mi-ddd:hh24:mi (24H Clock UTC). Example: Sun:23:45-Mon:00:15", w)
	}
	start, err := weekMinute(m[1], m[2], m[3])
	if err != nil {
		return span{}, "", err
	}
	end, err := weekMinute(m[4], m[5], m[6])
	if err != nil {
		return span{}, "", err
	}
	if strings.EqualFold(m[1], m[4]) && end < start {
		return span{}, "", newError(codeInvalidValue, "Maintenance window cannot end before it begins.")
	}
	length := mod(end-start, weekMinutes)
	switch {
	case length < windowSlot:
		return span{}, "", newError(codeInvalidValue, "The maintenance window must be at least 30 minutes.")
	case length >= dayMinutes:
		return span{}, "", newError(codeInvalidValue, "Maintenance window must be less than 24 hours.")
	}
	return span{start, length}, strings.ToLower(w), nil
}

// weekMinute is the minute of the week of ddd:hh:mi; RDS names a bad one the way it read
// it (mon:24:0).
func weekMinute(day, hour, minute string) (int, error) {
	d := slices.Index(weekDays, strings.ToLower(day))
	h, _ := strconv.Atoi(hour)
	mi, _ := strconv.Atoi(minute)
	if d < 0 || h > 23 || mi > 59 {
		return 0, newError(codeInvalidValue, "Invalid day:hour:minute value: %s:%d:%d", strings.ToLower(day), h, mi)
	}
	return d*dayMinutes + h*60 + mi, nil
}

// formatMaintenanceWindow writes a weekly span as RDS reports it.
func formatMaintenanceWindow(s span) string {
	end := mod(s.start+s.length, weekMinutes)
	at := func(m int) string { return fmt.Sprintf("%s:%02d:%02d", weekDays[m/dayMinutes], m%dayMinutes/60, m%60) }
	return at(s.start) + "-" + at(end)
}

// errWindowsOverlap is RDS's refusal of a maintenance window that overlaps the backup
// window, whichever of the two the request sets.
func errWindowsOverlap() error {
	return newError(codeInvalidValue, "The backup window and maintenance window must not overlap.")
}

// checkWindowsApart refuses a backup window and a maintenance window that overlap. Both
// must be valid.
func checkWindowsApart(backup, maintenance string) error {
	b, err := parseBackupWindow(backup)
	if err != nil {
		return err
	}
	m, _, err := parseMaintenanceWindow(maintenance)
	if err != nil {
		return err
	}
	if m.daily().overlaps(b, dayMinutes) {
		return errWindowsOverlap()
	}
	return nil
}

// settleWindows returns the backup and maintenance windows of a new instance or cluster
// id: a window the request gives is checked, a missing one is RDS's default clear of the
// other, and the two must not overlap.
func (e *Emulator) settleWindows(id, backup, maintenance string) (string, string, error) {
	var b, m span
	var err error
	if backup != "" {
		if b, err = parseBackupWindow(backup); err != nil {
			return "", "", err
		}
	}
	if maintenance != "" {
		if m, maintenance, err = parseMaintenanceWindow(maintenance); err != nil {
			return "", "", err
		}
	}
	switch {
	case backup != "" && maintenance != "":
		if m.daily().overlaps(b, dayMinutes) {
			return "", "", errWindowsOverlap()
		}
	case maintenance != "":
		backup, err = defaultBackupWindowClearOf(m)
	default:
		if backup == "" {
			backup, b = defaultBackupWindow, span{defaultBackupStart, windowSlot}
		}
		maintenance, err = e.defaultMaintenanceWindow(id, b)
	}
	return backup, maintenance, err
}

// defaultMaintenanceWindow is the window RDS gives an instance or cluster created without
// one: 30 minutes from its region's 8-hour block on some day of the week, clear of the
// daily backup window. RDS picks at random; the emulator picks by a hash of the identifier,
// so that one identifier always gets the same window and several are spread over the week
// as on RDS. When the backup window covers the whole block the window leaves it.
func (e *Emulator) defaultMaintenanceWindow(id string, backup span) (string, error) {
	block, ok := maintenanceBlocks[e.cfg.Region]
	if !ok {
		block = maintenanceBlocks["us-east-1"]
	}
	h := fnv.New32a()
	_, _ = h.Write([]byte(id))
	sum := h.Sum32()
	const inBlock, inDay = 8 * 60 / windowSlot, dayMinutes / windowSlot
	day, first := int(sum%7), int(sum/7%inBlock)
	for i := range inDay {
		slot := i
		if i < inBlock {
			slot = (first + i) % inBlock
		}
		w := span{mod(day*dayMinutes+block+slot*windowSlot, weekMinutes), windowSlot}
		if !w.daily().overlaps(backup, dayMinutes) {
			return formatMaintenanceWindow(w), nil
		}
	}
	return "", newError(codeInvalidValue, "The specified backup window overlaps all available default maintenance windows. Shrink the backup window or specify a non-overlapping maintenance window.")
}

// defaultBackupWindowClearOf is the backup window of an instance or cluster created with a
// maintenance window and without a backup window: defaultBackupWindow unless that overlaps
// the maintenance window, else the next half hour that does not.
func defaultBackupWindowClearOf(maintenance span) (string, error) {
	for i := range dayMinutes / windowSlot {
		b := span{mod(defaultBackupStart+i*windowSlot, dayMinutes), windowSlot}
		if !maintenance.daily().overlaps(b, dayMinutes) {
			end := b.start + b.length
			return fmt.Sprintf("%02d:%02d-%02d:%02d", b.start/60, b.start%60, end/60%24, end%60), nil
		}
	}
	return "", newError(codeInvalidValue, "The specified maintenance window overlaps all available default backup windows. Shrink the maintenance window or specify a non-overlapping backup window.")
}
