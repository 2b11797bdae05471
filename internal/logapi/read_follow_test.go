package logapi

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"strconv"
	"testing"
	"time"

	gocmp "github.com/google/go-cmp/cmp"

	"github.com/matrixmind-cloud/aws-rds-operator/internal/cloud"
)

// errDenied is an error no later call mends (the cloud refused the operator's credentials).
var errDenied = errors.New("access denied")

// TestReaderFollow: a follower prints what the database logs as it comes, at one cloud call
// a poll. Each case ends when the fake cloud answers its stopAt-th call (the client goes
// away), so the calls it lists are every call the follower made, poll by poll.
func TestReaderFollow(t *testing.T) {
	now := time.Date(2026, 12, 2, 8, 12, 4, 0, time.UTC)
	// The database has an older file, a.log, and b.log, the newest, where it logs.
	a := logFile{name: "a.log", written: now.Add(-time.Hour), lines: []string{"old\n"}}
	b := logFile{name: "b.log", written: now.Add(-time.Minute), lines: []string{"one\n"}}
	cases := []struct {
		reason    string
		query     Query
		page      int
		before    map[int]func(c *logCloud)
		errs      map[int]error
		stopAt    int
		wantOut   string
		wantCalls []string
		wantErr   error
	}{
		{reason: "What the file gains is printed as it comes, one read a poll; at the file's end every sixth poll looks for a newer file instead of reading.",
			query:  Query{TailLines: -1, Follow: true},
			before: map[int]func(*logCloud){3: grow("b.log", "two\n"), 5: grow("b.log", "three\n"), 9: grow("b.log", "four\n")},
			stopAt: 9, wantOut: "one\ntwo\nthree\nfour\n",
			wantCalls: []string{"files", "read b.log from 0",
				"read b.log from 1", "read b.log from 2", "read b.log from 2", "read b.log from 3", "read b.log from 3", // polls 1-5
				"files",             // poll 6
				"read b.log from 3", // poll 7
			}},
		{reason: "A sixth poll that finds the file not read to its end reads on; the look for files waits for a sixth poll at the end.",
			query: Query{TailLines: -1, Follow: true}, page: 1,
			before: map[int]func(*logCloud){7: grow("b.log", "two\n", "three\n")},
			stopAt: 14, wantOut: "one\ntwo\nthree\n",
			wantCalls: []string{"files", "read b.log from 0",
				// polls 1-4:
				"read b.log from 1", "read b.log from 1", "read b.log from 1", "read b.log from 1",
				// poll 5 prints two, and there is more; poll 6 reads on (three), not a look:
				"read b.log from 1", "read b.log from 2",
				// polls 7-11:
				"read b.log from 3", "read b.log from 3", "read b.log from 3", "read b.log from 3", "read b.log from 3",
				"files", // poll 12
			}},
		{reason: "A newer file is found at the sixth poll (not before: a look costs a call); the current file is read to its end once more (what the server wrote there just before is not lost), then the newer one is followed from its start (marker 0).",
			query: Query{TailLines: -1, Follow: true},
			before: map[int]func(*logCloud){
				4:  add("c.log", now, "c one\n"),
				5:  grow("b.log", "two\n"),
				9:  grow("b.log", "last\n"),
				10: grow("c.log", "c two\n"),
			},
			stopAt: 10, wantOut: "one\ntwo\nlast\nc one\nc two\n",
			wantCalls: []string{"files", "read b.log from 0",
				"read b.log from 1", "read b.log from 1", "read b.log from 1", "read b.log from 2", "read b.log from 2", // polls 1-5
				"files",             // poll 6
				"read b.log from 2", // poll 7: b.log to its end
				"read c.log from 0", // poll 8
			}},
		{reason: "A file that vanished (ErrNoLogFile) makes the next poll a look for files, which finds the newer one.",
			query:  Query{TailLines: -1, Follow: true},
			before: map[int]func(*logCloud){4: func(c *logCloud) { remove("b.log")(c); add("c.log", now, "c one\n")(c) }},
			stopAt: 6, wantOut: "one\nc one\n",
			wantCalls: []string{"files", "read b.log from 0",
				"read b.log from 1", // poll 1
				"read b.log from 1", // poll 2: gone
				"files",             // poll 3
				"read c.log from 0", // poll 4
			}},
		{reason: "With a tail the follower goes on from the tail's marker.",
			query:  Query{TailLines: 1, Follow: true},
			before: map[int]func(*logCloud){2: grow("b.log", "two\n"), 3: grow("b.log", "three\n")},
			stopAt: 3, wantOut: "two\nthree\n",
			wantCalls: []string{"files", "read b.log from end lines 1", "read b.log from 2"}},
		{reason: "Since with nothing logged since then follows from the newest file's end, printing nothing older.",
			query:  Query{TailLines: -1, Since: time.Second, Follow: true},
			before: map[int]func(*logCloud){3: grow("b.log", "new\n")},
			stopAt: 3, wantOut: "new\n",
			wantCalls: []string{"files", "read b.log from end lines 1", "read b.log from 1"}},
		{reason: "A throttled call is tried again at the next poll.",
			query:  Query{TailLines: -1, Follow: true},
			errs:   map[int]error{4: cloud.ErrTransient},
			before: map[int]func(*logCloud){5: grow("b.log", "two\n")},
			stopAt: 5, wantOut: "one\ntwo\n",
			wantCalls: []string{"files", "read b.log from 0", "read b.log from 1", "read b.log from 1", "read b.log from 1"}},
		{reason: "A cloud error that asking again cannot mend ends the follow with it.",
			query:   Query{TailLines: -1, Follow: true},
			errs:    map[int]error{4: errDenied},
			wantOut: "one\n", wantErr: errDenied,
			wantCalls: []string{"files", "read b.log from 0", "read b.log from 1", "read b.log from 1"}},
	}
	for i, tc := range cases {
		t.Run(strconv.Itoa(i), func(t *testing.T) {
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			first := b
			first.lines = slices.Clone(b.lines)
			c := &logCloud{files: []logFile{a, first}, page: tc.page, before: tc.before, errs: tc.errs, stop: cancel, stopAt: tc.stopAt}
			rd := &Reader{Cloud: c.provider(), Identifier: logDB, Query: tc.query, Now: func() time.Time { return now }, Poll: time.Millisecond}
			var out bytes.Buffer
			if err := rd.Run(ctx, &out); !errors.Is(err, tc.wantErr) {
				t.Errorf("%s\nRun() = %v; want %v", tc.reason, err, tc.wantErr)
			}
			if diff := gocmp.Diff(tc.wantOut, out.String()); diff != "" {
				t.Errorf("%s\nprinted, -want +got:\n%s", tc.reason, diff)
			}
			if diff := gocmp.Diff(tc.wantCalls, c.calls); diff != "" {
				t.Errorf("%s\ncloud calls, -want +got:\n%s", tc.reason, diff)
			}
		})
	}
}
