package logapi

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	gocmp "github.com/google/go-cmp/cmp"

	"github.com/matrixmind-cloud/aws-rds-operator/internal/cloud"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/cloud/cloudtest"
)

// logDB is the identifier of the database whose log logCloud serves.
const logDB = "shop-orders"

// logCloud is a database's log files as a fake cloud serves them, and the calls it got, in
// the order it got them: "files" for LogFiles, "read FILE from MARKER [lines N]" for
// ReadLog, MARKER "end" when empty. Its markers count lines: a read from one returns the
// lines after it, at most page of them (0: all). It serves one reader at a time.
type logCloud struct {
	files []logFile
	page  int
	// before[n] runs before the nth call (counting from 1) is answered: what the database
	// does meanwhile.
	before map[int]func(c *logCloud)
	// errs[n] is the error the nth call fails with.
	errs map[int]error
	// stop, when set, is called as the call stopAt is answered: the client goes away.
	stop   context.CancelFunc
	stopAt int

	calls []string
}

// logFile is one log file and its lines, each with its newline.
type logFile struct {
	name    string
	written time.Time
	lines   []string
}

func (c *logCloud) provider() *cloudtest.Provider {
	return &cloudtest.Provider{LogFilesFn: c.logFiles, ReadLogFn: c.readLog}
}

// call records a call, runs what happens before it, and returns the error it fails with.
func (c *logCloud) call(what, id string) error {
	c.calls = append(c.calls, what)
	n := len(c.calls)
	if f := c.before[n]; f != nil {
		f(c)
	}
	if n == c.stopAt && c.stop != nil {
		c.stop()
	}
	if id != logDB {
		return fmt.Errorf("no database %s: %w", id, cloudtest.ErrUnexpected)
	}
	return c.errs[n]
}

func (c *logCloud) logFiles(_ context.Context, id string) ([]cloud.LogFile, error) {
	if err := c.call("files", id); err != nil {
		return nil, err
	}
	// Newest first: the reader must not count on the cloud's order.
	var out []cloud.LogFile
	for _, f := range slices.Backward(c.files) {
		out = append(out, cloud.LogFile{Name: f.name, Size: int64(len(strings.Join(f.lines, ""))), LastWritten: f.written})
	}
	return out, nil
}

func (c *logCloud) readLog(_ context.Context, id, file, marker string, lines int) (cloud.LogPortion, error) {
	what := "read " + file + " from " + cmp.Or(marker, "end")
	if lines > 0 {
		what += " lines " + strconv.Itoa(lines)
	}
	if err := c.call(what, id); err != nil {
		return cloud.LogPortion{}, err
	}
	i := slices.IndexFunc(c.files, func(f logFile) bool { return f.name == file })
	if i < 0 {
		return cloud.LogPortion{}, fmt.Errorf("read %s: %w", file, cloud.ErrNoLogFile)
	}
	all := c.files[i].lines
	if marker == "" {
		from := max(len(all)-lines, 0)
		return cloud.LogPortion{Data: strings.Join(all[from:], ""), Marker: strconv.Itoa(len(all))}, nil
	}
	from, err := strconv.Atoi(marker)
	if err != nil || from > len(all) {
		return cloud.LogPortion{}, fmt.Errorf("marker %q of %s: %w", marker, file, cloudtest.ErrUnexpected)
	}
	to := len(all)
	if c.page > 0 {
		to = min(to, from+c.page)
	}
	return cloud.LogPortion{Data: strings.Join(all[from:to], ""), Marker: strconv.Itoa(to), More: to < len(all)}, nil
}

// add makes a new log file, grow adds lines to one, remove deletes one: what the database
// server does while a follower reads.
func add(name string, written time.Time, lines ...string) func(c *logCloud) {
	return func(c *logCloud) { c.files = append(c.files, logFile{name: name, written: written, lines: lines}) }
}

func grow(name string, lines ...string) func(c *logCloud) {
	return func(c *logCloud) {
		i := slices.IndexFunc(c.files, func(f logFile) bool { return f.name == name })
		c.files[i].lines = append(c.files[i].lines, lines...)
	}
}

func remove(name string) func(c *logCloud) {
	return func(c *logCloud) {
		c.files = slices.DeleteFunc(c.files, func(f logFile) bool { return f.name == name })
	}
}

// TestQuery: what a request's URL query asks, both ways, and the queries refused with what
// is wrong with them.
func TestQuery(t *testing.T) {
	cases := []struct {
		reason string
		query  Query
		values url.Values
		// encodeOnly: only Values is checked (its answer parses to another Query).
		encodeOnly bool
		// wantErr: ParseQuery refuses values with this message.
		wantErr string
	}{
		{reason: "No query is the newest file, whole: no tail (-1), nothing else.",
			query: Query{TailLines: -1}, values: url.Values{}},
		{reason: "A tail of 0 lines is a tail, not 'no tail': it is sent and read back.",
			query: Query{TailLines: 0}, values: url.Values{"tailLines": {"0"}}},
		{reason: "A file, a tail and follow travel together.",
			query:  Query{File: "error/postgresql.log.2026-12-02-03", TailLines: 20, Follow: true},
			values: url.Values{"file": {"error/postgresql.log.2026-12-02-03"}, "tailLines": {"20"}, "follow": {"true"}}},
		{reason: "A duration since travels in whole seconds.",
			query: Query{TailLines: -1, Since: 90 * time.Second, Follow: true}, values: url.Values{"sinceSeconds": {"90"}, "follow": {"true"}}},
		{reason: "List travels as list=true.",
			query: Query{TailLines: -1, List: true}, values: url.Values{"list": {"true"}}},
		{reason: "A duration under a second is sent as one second (as kubectl logs --since rounds up), never as 0, which ParseQuery refuses.",
			query: Query{TailLines: -1, Since: 400 * time.Millisecond}, values: url.Values{"sinceSeconds": {"1"}}, encodeOnly: true},
		{reason: "A fraction of a second is rounded up: --since says how far back at least.",
			query: Query{TailLines: -1, Since: 1500 * time.Millisecond}, values: url.Values{"sinceSeconds": {"2"}}, encodeOnly: true},
		{reason: "A negative tail is refused, not read as 'no tail'.",
			values: url.Values{"tailLines": {"-1"}}, wantErr: `tailLines "-1": give a number of lines, 0 or more`},
		{reason: "A tail that is not a number is refused.",
			values: url.Values{"tailLines": {"ten"}}, wantErr: `tailLines "ten": give a number of lines, 0 or more`},
		{reason: "sinceSeconds 0 is refused: it would mean 'from now', which prints nothing.",
			values: url.Values{"sinceSeconds": {"0"}}, wantErr: `sinceSeconds "0": give a number of seconds, 1 or more`},
		{reason: "sinceSeconds is seconds, not a Go duration.",
			values: url.Values{"sinceSeconds": {"1h"}}, wantErr: `sinceSeconds "1h": give a number of seconds, 1 or more`},
		{reason: "A tail and a duration since together are refused: they pick different lines.",
			values: url.Values{"tailLines": {"5"}, "sinceSeconds": {"60"}}, wantErr: "give tailLines or sinceSeconds, not both"},
		{reason: "A tail of 0 with a duration since is refused too.",
			values: url.Values{"tailLines": {"0"}, "sinceSeconds": {"60"}}, wantErr: "give tailLines or sinceSeconds, not both"},
		{reason: "follow is a boolean.",
			values: url.Values{"follow": {"maybe"}}, wantErr: `follow "maybe": give true or false`},
		{reason: "list is a boolean.",
			values: url.Values{"list": {"2"}}, wantErr: `list "2": give true or false`},
	}
	for i, tc := range cases {
		t.Run(strconv.Itoa(i), func(t *testing.T) {
			if tc.wantErr == "" && !tc.encodeOnly {
				got, err := ParseQuery(tc.values)
				if err != nil {
					t.Fatalf("%s\nParseQuery(%v): %v", tc.reason, tc.values, err)
				}
				if diff := gocmp.Diff(tc.query, got); diff != "" {
					t.Errorf("%s\nParseQuery(%v), -want +got:\n%s", tc.reason, tc.values, diff)
				}
			}
			if tc.wantErr != "" {
				got, err := ParseQuery(tc.values)
				if err == nil || err.Error() != tc.wantErr {
					t.Errorf("%s\nParseQuery(%v) = %+v, %v; want the error %q", tc.reason, tc.values, got, err, tc.wantErr)
				}
				return
			}
			if diff := gocmp.Diff(tc.values, tc.query.Values()); diff != "" {
				t.Errorf("%s\n%+v.Values(), -want +got:\n%s", tc.reason, tc.query, diff)
			}
		})
	}
}

// TestReaderRun: what a log request prints, and the cloud calls it costs, without follow.
func TestReaderRun(t *testing.T) {
	now := time.Date(2026, 12, 2, 8, 12, 4, 500_000_000, time.UTC)
	older := logFile{name: "a.log", written: now.Add(-2 * time.Hour), lines: []string{"old one\n", "old two\n"}}
	newer := logFile{name: "b.log", written: now.Add(-time.Minute), lines: []string{"one\n", "two\n", "three\n"}}
	// The server's hourly files around 10 minutes ago (07:02:04.5, with Since 70m): the
	// first is all older, the second holds the cutoff, the third is all newer.
	hourly := func(format string, before, at, after []string) []logFile {
		name := func(h int) string { return fmt.Sprintf(format, h) }
		return []logFile{
			{name: name(6), written: time.Date(2026, 12, 2, 6, 59, 59, 0, time.UTC), lines: before},
			{name: name(7), written: time.Date(2026, 12, 2, 7, 59, 58, 0, time.UTC), lines: at},
			{name: name(8), written: time.Date(2026, 12, 2, 8, 12, 0, 0, time.UTC), lines: after},
		}
	}
	const since = 70 * time.Minute
	postgres := hourly("error/postgresql.log.2026-12-02-%02d",
		[]string{"2026-12-02 06:30:00 UTC::@:[40]:LOG:  checkpoint starting: time\n"},
		[]string{
			"2026-12-02 07:01:59 UTC:10.0.0.7(5432):app@orders:[41]:LOG:  statement: SELECT 1\n",
			"\tFROM too_early\n",
			"2026-12-02 07:02:04 UTC:10.0.0.7(5432):app@orders:[41]:LOG:  statement: SELECT 2\n",
			"\tFROM in_time\n",
			"2026-12-02 07:30:00 UTC::@:[40]:LOG:  checkpoint complete\n",
		},
		[]string{"2026-12-02 08:00:00 UTC::@:[40]:LOG:  checkpoint starting: time\n"})
	header := fmt.Sprintf("%-48s %12s  %s\n", "FILE", "SIZE", "LAST WRITTEN")
	cases := []struct {
		reason    string
		query     Query
		files     []logFile
		page      int
		wantOut   string
		wantCalls []string
		wantErr   error
	}{
		{reason: "Without a query the newest file is printed whole, page after page from marker 0 until the cloud says there is no more.",
			query: Query{TailLines: -1}, files: []logFile{older, newer}, page: 1,
			wantOut:   "one\ntwo\nthree\n",
			wantCalls: []string{"files", "read b.log from 0", "read b.log from 1", "read b.log from 2"}},
		{reason: "File picks the file printed.",
			query: Query{TailLines: -1, File: "a.log"}, files: []logFile{older, newer},
			wantOut: "old one\nold two\n", wantCalls: []string{"files", "read a.log from 0"}},
		{reason: "A file the database does not have is ErrNoLogFile (a 404), read from nowhere.",
			query: Query{TailLines: -1, File: "c.log"}, files: []logFile{older, newer},
			wantCalls: []string{"files"}, wantErr: cloud.ErrNoLogFile},
		{reason: "TailLines N is one read from the end (marker \"\") of N lines.",
			query: Query{TailLines: 2}, files: []logFile{older, newer},
			wantOut: "two\nthree\n", wantCalls: []string{"files", "read b.log from end lines 2"}},
		{reason: "TailLines 0 prints nothing (its read, of 1 line, only finds the end for a follower).",
			query: Query{TailLines: 0}, files: []logFile{older, newer},
			wantCalls: []string{"files", "read b.log from end lines 1"}},
		{reason: "TailLines with File tails that file.",
			query: Query{TailLines: 1, File: "a.log"}, files: []logFile{older, newer},
			wantOut: "old two\n", wantCalls: []string{"files", "read a.log from end lines 1"}},
		{reason: "List prints the files, oldest first, with their size and when they were last written, and reads none.",
			query: Query{TailLines: -1, List: true}, files: []logFile{older, newer},
			wantOut: header +
				fmt.Sprintf("%-48s %12s  %s\n", "a.log", "16", "2026-12-02T06:12:04Z") +
				fmt.Sprintf("%-48s %12s  %s\n", "b.log", "14", "2026-12-02T08:11:04Z"),
			wantCalls: []string{"files"}},
		{reason: "List of a database without log files is an empty table, not an error.",
			query: Query{TailLines: -1, List: true}, wantOut: header, wantCalls: []string{"files"}},
		{reason: "A database without log files is ErrNoLogFile.",
			query: Query{TailLines: -1}, wantCalls: []string{"files"}, wantErr: cloud.ErrNoLogFile},
		{reason: "Since reads only the files written since the cutoff, and drops the lines before it: a PostgreSQL line logged in the cutoff's second is kept, a statement's continuation goes with its line.",
			query: Query{TailLines: -1, Since: since},
			files: postgres,
			wantOut: "2026-12-02 07:02:04 UTC:10.0.0.7(5432):app@orders:[41]:LOG:  statement: SELECT 2\n" +
				"\tFROM in_time\n" +
				"2026-12-02 07:30:00 UTC::@:[40]:LOG:  checkpoint complete\n" +
				"2026-12-02 08:00:00 UTC::@:[40]:LOG:  checkpoint starting: time\n",
			wantCalls: []string{"files", "read error/postgresql.log.2026-12-02-07 from 0", "read error/postgresql.log.2026-12-02-08 from 0"}},
		{reason: "Since with File prints the lines of that file logged since the cutoff (--since is not ignored).",
			query: Query{TailLines: -1, Since: since, File: "error/postgresql.log.2026-12-02-07"}, files: postgres,
			wantOut: "2026-12-02 07:02:04 UTC:10.0.0.7(5432):app@orders:[41]:LOG:  statement: SELECT 2\n" +
				"\tFROM in_time\n" +
				"2026-12-02 07:30:00 UTC::@:[40]:LOG:  checkpoint complete\n",
			wantCalls: []string{"files", "read error/postgresql.log.2026-12-02-07 from 0"}},
		{reason: "Since knows MySQL's time (2026-12-02T08:02:04.123456Z), and keeps dropping across the pages of a file until it reaches the cutoff.",
			query: Query{TailLines: -1, Since: since}, page: 1,
			files: hourly("error/mysql-error.log.%d",
				nil,
				[]string{
					"2026-12-02T07:01:59.999999Z 12 [Warning] [MY-010055] [Server] IP address '10.0.0.9' could not be resolved\n",
					"2026-12-02T07:02:04.000001Z 13 [Note] [MY-010914] [Server] Aborted connection 13 to db: 'orders'\n",
				},
				[]string{"2026-12-02T08:00:00.000000Z 0 [System] [MY-010931] [Server] ready for connections\n"}),
			wantOut: "2026-12-02T07:02:04.000001Z 13 [Note] [MY-010914] [Server] Aborted connection 13 to db: 'orders'\n" +
				"2026-12-02T08:00:00.000000Z 0 [System] [MY-010931] [Server] ready for connections\n",
			wantCalls: []string{"files",
				"read error/mysql-error.log.7 from 0", "read error/mysql-error.log.7 from 1",
				"read error/mysql-error.log.8 from 0"}},
		{reason: "Since knows MariaDB's time, whose hour is padded with a space (2026-12-02  7:02:04); a line without a time before the first kept one is dropped, one after it kept.",
			query: Query{TailLines: -1, Since: since}, page: 1,
			files: hourly("error/mysql-error-running.log.%d",
				nil,
				[]string{
					"2026-12-02  7:01:59 0 [Note] InnoDB: Buffer pool(s) load completed\n",
					"  continued too early\n",
					"2026-12-02  7:02:04 0 [Note] mariadbd: ready for connections.\n",
					"Version: '10.11.9-MariaDB'  socket: '/tmp/mysql.sock'  port: 3306\n",
				},
				[]string{"2026-12-02  8:00:00 0 [Note] InnoDB: Buffer pool(s) dump started\n"}),
			wantOut: "2026-12-02  7:02:04 0 [Note] mariadbd: ready for connections.\n" +
				"Version: '10.11.9-MariaDB'  socket: '/tmp/mysql.sock'  port: 3306\n" +
				"2026-12-02  8:00:00 0 [Note] InnoDB: Buffer pool(s) dump started\n",
			wantCalls: []string{"files",
				"read error/mysql-error-running.log.7 from 0", "read error/mysql-error-running.log.7 from 1",
				"read error/mysql-error-running.log.7 from 2", "read error/mysql-error-running.log.7 from 3",
				"read error/mysql-error-running.log.8 from 0"}},
		{reason: "Since with no file written since then prints nothing and reads nothing.",
			query: Query{TailLines: -1, Since: time.Minute}, files: []logFile{older},
			wantCalls: []string{"files"}},
	}
	for i, tc := range cases {
		t.Run(strconv.Itoa(i), func(t *testing.T) {
			c := &logCloud{files: tc.files, page: tc.page}
			rd := &Reader{Cloud: c.provider(), Identifier: logDB, Query: tc.query, Now: func() time.Time { return now }, Poll: time.Millisecond}
			var out bytes.Buffer
			err := rd.Run(t.Context(), &out)
			if !errors.Is(err, tc.wantErr) {
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
