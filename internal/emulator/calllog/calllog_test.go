package calllog

import (
	"fmt"
	"testing"
)

func TestLog(t *testing.T) {
	var l Log[string]
	if s := l.Stats(); len(s.Calls) != 0 || len(s.Errors) != 0 || len(s.Log) != 0 || s.Calls == nil {
		t.Fatalf("a new log: %+v, want empty, non-nil maps", s)
	}
	l.Record("Create", "", false, "a")
	l.Record("Create", "Throttling", false, "b")
	l.Record("Describe", "", false, "c")
	l.Record("Describe", "", true, "d")
	s := l.Stats()
	cases := []struct {
		reason string
		ok     bool
	}{
		{"calls are counted by name, retries included", s.Calls["Create"] == 2 && s.Calls["Describe"] == 2},
		{"retries are counted apart too", len(s.Retries) == 1 && s.Retries["Describe"] == 1},
		{"operations are the calls less the retries", s.Operations("Describe") == 1 && s.Operations("Create") == 2},
		{"errors are counted by code, successes not", len(s.Errors) == 1 && s.Errors["Throttling"] == 1},
		{"entries are kept in order", fmt.Sprint(s.Log) == "[a b c d]"},
	}
	for _, c := range cases {
		if !c.ok {
			t.Errorf("%s: %+v", c.reason, s)
		}
	}
	s.Calls["Create"] = 99 // a copy: the log is not changed through it
	if l.Stats().Calls["Create"] != 2 {
		t.Errorf("Stats shares its map with the log")
	}
	l.Reset()
	if s := l.Stats(); len(s.Calls)+len(s.Retries)+len(s.Errors)+len(s.Log) != 0 {
		t.Errorf("after Reset: %+v, want empty", s)
	}
}

func TestLogKeepsTheLatest(t *testing.T) {
	var l Log[int]
	for i := range MaxEntries + 5 {
		l.Record("Describe", "", false, i)
	}
	s := l.Stats()
	if len(s.Log) != MaxEntries || s.Log[0] != 5 || s.Log[MaxEntries-1] != MaxEntries+4 {
		t.Errorf("log holds %d entries from %d to %d, want the latest %d", len(s.Log), s.Log[0], s.Log[len(s.Log)-1], MaxEntries)
	}
	if s.Calls["Describe"] != MaxEntries+5 {
		t.Errorf("calls = %d, want every call counted (%d)", s.Calls["Describe"], MaxEntries+5)
	}
}
