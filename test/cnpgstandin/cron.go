package cnpgstandin

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// This file reads a ScheduledBackup's schedule as CloudNativePG does with
// github.com/robfig/cron v1's Parse (which this module does not require): six fields,
// seconds first (second minute hour day-of-month month day-of-week), the day of week
// optional; each field a list of *, ?, a value, a range a-b, each with an optional /step;
// months and days of week also by their English three-letter names; or a descriptor
// (@yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly, @every <duration>).
// Times are UTC, the time zone of CloudNativePG's operator image.

// schedule is a parsed schedule: the values each field allows, as bit sets, or a constant
// interval.
type schedule struct {
	second, minute, hour, dom, month, dow uint64
	// anyDay is true when the day of month or the day of week is * or ?: the day then
	// matches both fields, else either.
	anyDay bool
	// every is the interval of @every; zero for a field schedule.
	every time.Duration
}

// field is the range of one of a schedule's fields, and the names its values may have.
type field struct {
	name     string
	min, max int
	names    map[string]int
}

var (
	secondField = field{name: "second", min: 0, max: 59}
	minuteField = field{name: "minute", min: 0, max: 59}
	hourField   = field{name: "hour", min: 0, max: 23}
	domField    = field{name: "day of month", min: 1, max: 31}
	monthField  = field{name: "month", min: 1, max: 12, names: map[string]int{
		"jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6, "jul": 7, "aug": 8, "sep": 9, "oct": 10, "nov": 11, "dec": 12,
	}}
	dowField = field{name: "day of week", min: 0, max: 6, names: map[string]int{
		"sun": 0, "mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6,
	}}
)

// descriptors are the named schedules, as six fields.
var descriptors = map[string]string{
	"@yearly": "0 0 0 1 1 *", "@annually": "0 0 0 1 1 *", "@monthly": "0 0 0 1 * *",
	"@weekly": "0 0 0 * * 0", "@daily": "0 0 0 * * *", "@midnight": "0 0 0 * * *", "@hourly": "0 0 * * * *",
}

// parseSchedule reads spec as CloudNativePG's ScheduledBackup controller does.
func parseSchedule(spec string) (*schedule, error) {
	spec = strings.TrimSpace(spec)
	if rest, ok := strings.CutPrefix(spec, "@every "); ok {
		d, err := time.ParseDuration(strings.TrimSpace(rest))
		if err != nil {
			return nil, fmt.Errorf("schedule %q: %w", spec, err)
		}
		// As robfig/cron's Every: at least a second, whole seconds.
		return &schedule{every: max(d.Truncate(time.Second), time.Second)}, nil
	}
	if d, ok := descriptors[spec]; ok {
		spec = d
	} else if strings.HasPrefix(spec, "@") {
		return nil, fmt.Errorf("schedule %q: unknown descriptor", spec)
	}
	fields := strings.Fields(spec)
	if len(fields) == 5 {
		fields = append(fields, "*") // the day of week is optional
	}
	if len(fields) != 6 {
		return nil, fmt.Errorf("schedule %q: want 6 fields (second minute hour day-of-month month day-of-week), got %d", spec, len(fields))
	}
	s := &schedule{}
	var domStar, dowStar bool
	for i, f := range []struct {
		field
		bits *uint64
		star *bool
	}{
		{secondField, &s.second, nil}, {minuteField, &s.minute, nil}, {hourField, &s.hour, nil},
		{domField, &s.dom, &domStar}, {monthField, &s.month, nil}, {dowField, &s.dow, &dowStar},
	} {
		set, star, err := f.parse(fields[i])
		if err != nil {
			return nil, fmt.Errorf("schedule %q: %w", spec, err)
		}
		*f.bits = set
		if f.star != nil {
			*f.star = star
		}
	}
	s.anyDay = domStar || dowStar
	return s, nil
}

// parse reads one field: the values it allows, and whether it is a bare * or ?.
func (f field) parse(expr string) (set uint64, star bool, err error) {
	for _, item := range strings.Split(expr, ",") {
		rangeExpr, stepExpr, stepped := strings.Cut(item, "/")
		step := 1
		if stepped {
			if step, err = strconv.Atoi(stepExpr); err != nil || step < 1 {
				return 0, false, fmt.Errorf("%s %q: bad step %q", f.name, item, stepExpr)
			}
		}
		var low, high int
		switch lowExpr, highExpr, isRange := strings.Cut(rangeExpr, "-"); {
		case rangeExpr == "*" || rangeExpr == "?":
			low, high = f.min, f.max
			star = !stepped && len(expr) == 1
		case isRange:
			if low, err = f.value(lowExpr); err == nil {
				high, err = f.value(highExpr)
			}
		default:
			low, err = f.value(rangeExpr)
			high = low
			if stepped { // a/n is a to the end, every n
				high = f.max
			}
		}
		if err != nil {
			return 0, false, err
		}
		if low > high {
			return 0, false, fmt.Errorf("%s %q: %d is after %d", f.name, item, low, high)
		}
		for v := low; v <= high; v += step {
			set |= 1 << uint(v)
		}
	}
	return set, star, nil
}

// value reads one value of the field, a number or a name, within its range.
func (f field) value(s string) (int, error) {
	if v, ok := f.names[strings.ToLower(s)]; ok {
		return v, nil
	}
	v, err := strconv.Atoi(s)
	if err != nil || v < f.min || v > f.max {
		return 0, fmt.Errorf("%s %q: want %d to %d", f.name, s, f.min, f.max)
	}
	return v, nil
}

// next is the first time the schedule allows after t, to the second; zero when none comes
// within five years (the 30th of February).
func (s *schedule) next(t time.Time) time.Time {
	t = t.UTC()
	if s.every > 0 {
		return t.Truncate(time.Second).Add(s.every)
	}
	t = t.Truncate(time.Second).Add(time.Second)
	has := func(set uint64, v int) bool { return set&(1<<uint(v)) != 0 }
	// Each step moves to the start of the next unit that may match, then checks again
	// from the largest field.
	for limit := t.Year() + 5; t.Year() <= limit; {
		switch {
		case !has(s.month, int(t.Month())):
			t = time.Date(t.Year(), t.Month()+1, 1, 0, 0, 0, 0, time.UTC)
		case !s.dayMatches(t):
			t = time.Date(t.Year(), t.Month(), t.Day()+1, 0, 0, 0, 0, time.UTC)
		case !has(s.hour, t.Hour()):
			t = t.Truncate(time.Hour).Add(time.Hour)
		case !has(s.minute, t.Minute()):
			t = t.Truncate(time.Minute).Add(time.Minute)
		case !has(s.second, t.Second()):
			t = t.Add(time.Second)
		default:
			return t
		}
	}
	return time.Time{}
}

// dayMatches reports whether t's day is allowed: by both day fields when one is * or ?,
// else by either, as cron has it.
func (s *schedule) dayMatches(t time.Time) bool {
	dom := s.dom&(1<<uint(t.Day())) != 0
	dow := s.dow&(1<<uint(t.Weekday())) != 0
	if s.anyDay {
		return dom && dow
	}
	return dom || dow
}
