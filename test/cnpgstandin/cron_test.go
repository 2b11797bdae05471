package cnpgstandin

import (
	"testing"
	"time"
)

func TestScheduleNext(t *testing.T) {
	at := func(s string) time.Time {
		t.Helper()
		v, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	cases := []struct {
		spec, from, want string
		reason           string
	}{
		{"0 0 3 * * *", "2026-03-10T12:00:00Z", "2026-03-11T03:00:00Z", "the provider's daily schedule: 03:00:00 the next day once past it"},
		{"0 0 3 * * *", "2026-03-10T02:59:59.5Z", "2026-03-10T03:00:00Z", "the same day when before it, to the second"},
		{"0 0 3 * * *", "2026-03-10T03:00:00Z", "2026-03-11T03:00:00Z", "strictly after the time given"},
		{"0 0 3 * * *", "2026-03-10T04:00:00+02:00", "2026-03-10T03:00:00Z", "in UTC: 04:00 at +02:00 is 02:00 UTC, before 03:00"},
		{"*/2 * * * * *", "2026-03-10T10:00:01Z", "2026-03-10T10:00:02Z", "seconds come first; */2 is every even second"},
		{"*/2 * * * * *", "2026-03-10T10:00:02Z", "2026-03-10T10:00:04Z", "the next even second after an even one"},
		{"0 30 9 * * mon-fri", "2026-03-14T12:00:00Z", "2026-03-16T09:30:00Z", "days of week by name: Saturday to Monday"},
		{"0 0 0 1 JAN *", "2026-03-10T00:00:00Z", "2027-01-01T00:00:00Z", "months by name, over the year's end"},
		{"0 0 12 * * 0", "2026-03-10T00:00:00Z", "2026-03-15T12:00:00Z", "0 is Sunday"},
		{"0 0 0 13 * 5", "2026-03-01T00:00:00Z", "2026-03-06T00:00:00Z", "a day of month and a day of week, neither *: either matches (a Friday first)"},
		{"0 0 0 13 * *", "2026-03-01T00:00:00Z", "2026-03-13T00:00:00Z", "a day of week of *: the day of month alone"},
		{"0 15,45 8-9 * * *", "2026-03-10T08:50:00Z", "2026-03-10T09:15:00Z", "lists and ranges"},
		{"0 5/20 * * * *", "2026-03-10T08:46:00Z", "2026-03-10T09:05:00Z", "a/n runs from a to the end of the field"},
		{"0 0 3 * *", "2026-03-10T12:00:00Z", "2026-03-11T03:00:00Z", "five fields: the day of week is optional"},
		{"0 0 0 29 2 *", "2026-03-01T00:00:00Z", "2028-02-29T00:00:00Z", "a leap day, two years on"},
		{"0 0 0 30 2 *", "2026-03-01T00:00:00Z", "", "the 30th of February never comes"},
		{"@daily", "2026-03-10T12:00:00Z", "2026-03-11T00:00:00Z", "a descriptor"},
		{"@every 90m", "2026-03-10T10:00:00.7Z", "2026-03-10T11:30:00Z", "@every: a constant interval from the time given, to the second"},
	}
	for _, c := range cases {
		s, err := parseSchedule(c.spec)
		if err != nil {
			t.Errorf("%q: %s: %v", c.spec, c.reason, err)
			continue
		}
		got := s.next(at(c.from))
		var want time.Time
		if c.want != "" {
			want = at(c.want)
		}
		if !got.Equal(want) {
			t.Errorf("%q after %s = %s, want %s: %s", c.spec, c.from, got, want, c.reason)
		}
	}
}

func TestParseScheduleRefuses(t *testing.T) {
	for _, c := range []struct{ spec, reason string }{
		{"0 0 3 * * * *", "seven fields"},
		{"0 3 * *", "four fields"},
		{"60 * * * * *", "a second past 59"},
		{"0 0 0 0 * *", "day of month 0"},
		{"0 0 0 * * 7", "day of week 7 (robfig/cron v1 knows 0 to 6)"},
		{"5-1 * * * * *", "a range backwards"},
		{"*/0 * * * * *", "a step of 0"},
		{"0 0 0 * foo *", "an unknown month name"},
		{"@fortnightly", "an unknown descriptor"},
		{"@every soon", "@every without a duration"},
	} {
		if s, err := parseSchedule(c.spec); err == nil {
			t.Errorf("%q parsed (%+v): want refused, %s", c.spec, s, c.reason)
		}
	}
}
