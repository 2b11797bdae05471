package emulator

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/rds/types"
	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"

	"github.com/matrixmind-cloud/aws-rds-operator/internal/mariaserver"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/serverproc"
)

// downloadAll pages through a log file from marker "0", lines lines a call, until
// AdditionalDataPending is false, and returns what it got and the calls it took.
func downloadAll(t *testing.T, c *rds.Client, id, name string, lines int32) (string, int) {
	t.Helper()
	var all strings.Builder
	marker := "0"
	for calls := 1; ; calls++ {
		out, err := c.DownloadDBLogFilePortion(context.Background(), &rds.DownloadDBLogFilePortionInput{
			DBInstanceIdentifier: aws.String(id), LogFileName: aws.String(name), Marker: aws.String(marker), NumberOfLines: aws.Int32(lines),
		})
		if err != nil {
			t.Fatalf("DownloadDBLogFilePortion %s from %s: %v", name, marker, err)
		}
		if n := len(aws.ToString(out.LogFileData)); n > logPortionCap {
			t.Fatalf("one portion of %s has %d bytes, more than 1 MB", name, n)
		}
		all.WriteString(aws.ToString(out.LogFileData))
		if !aws.ToBool(out.AdditionalDataPending) {
			return all.String(), calls
		}
		if aws.ToString(out.Marker) == marker {
			t.Fatalf("the marker of %s stays %s while data is pending", name, marker)
		}
		marker = aws.ToString(out.Marker)
	}
}

// logFiles lists an instance's log files by name with their sizes.
func logFiles(t *testing.T, c *rds.Client, in *rds.DescribeDBLogFilesInput) (map[string]int64, string) {
	t.Helper()
	out, err := c.DescribeDBLogFiles(context.Background(), in)
	if err != nil {
		t.Fatalf("DescribeDBLogFiles: %v", err)
	}
	files := map[string]int64{}
	for _, f := range out.DescribeDBLogFiles {
		files[aws.ToString(f.LogFileName)] = aws.ToInt64(f.Size)
	}
	return files, aws.ToString(out.Marker)
}

// serverLogDir is the log directory of an instance's server.
func serverLogDir(t *testing.T, e *Emulator, id string) string {
	t.Helper()
	e.mu.Lock()
	defer e.mu.Unlock()
	s, ok := e.instances[id].server.(interface{ LogDir() string })
	if !ok {
		t.Fatalf("instance %s has no server with a log directory", id)
	}
	return s.LogDir()
}

// wrongLogin tries to log in to an instance with a wrong password, as an intruder would.
type wrongLogin func(t *testing.T, c *rds.Client, id string)

func postgresWrongLogin(t *testing.T, c *rds.Client, id string) {
	ep := describe(t, c, id).Endpoint
	dsn := fmt.Sprintf("host=%s port=%d user=master password=wrong-password dbname=postgres sslmode=require", aws.ToString(ep.Address), aws.ToInt32(ep.Port))
	if conn, err := pgx.Connect(context.Background(), dsn); err == nil {
		conn.Close(context.Background())
		t.Fatal("a wrong password logged in")
	}
}

func mysqlWrongLogin(t *testing.T, c *rds.Client, id string) {
	if _, err := mysqlLogin(t, c, id, "master", "wrong-password", ""); err == nil {
		t.Fatal("a wrong password logged in")
	}
}

func TestLogFilesOfAnInstanceWithEngine(t *testing.T) {
	cases := map[string]struct {
		reason string
		// skip says why the engine cannot run here, "" when it can.
		skip      func() string
		input     *rds.CreateDBInstanceInput
		login     wrongLogin
		wantName  *regexp.Regexp
		wantInLog string
	}{
		"Postgres": {
			reason: "A postgres instance's log is PostgreSQL's own, one file an hour named as RDS names it, with failed logins in it.",
			skip: func() string {
				if !havePostgres() {
					return "PostgreSQL server binaries (initdb) are not installed"
				}
				return ""
			},
			input:     createInput("logs-pg"),
			login:     postgresWrongLogin,
			wantName:  regexp.MustCompile(`^error/postgresql\.log\.\d{4}-\d{2}-\d{2}-\d{2}$`),
			wantInLog: `FATAL:  password authentication failed for user "master"`,
		},
		"MySQL": {
			reason: "A mysql instance's log is MariaDB's own error log, named as RDS names MySQL's, with failed logins in it.",
			skip: func() string {
				if err := mariaserver.Installed(); err != nil {
					return "MariaDB is not installed: " + err.Error()
				}
				return ""
			},
			input:     mysqlInput("logs-mysql"),
			login:     mysqlWrongLogin,
			wantName:  regexp.MustCompile(`^error/mysql-error\.log$`),
			wantInLog: "Access denied for user 'master'",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if why := tc.skip(); why != "" {
				t.Skip(why)
			}
			t.Parallel()
			_, c := start(t, Config{})
			ctx := context.Background()
			id := aws.ToString(tc.input.DBInstanceIdentifier)
			if _, err := c.CreateDBInstance(ctx, tc.input); err != nil {
				t.Fatalf("CreateDBInstance: %v", err)
			}
			waitStatus(t, c, id, "available", 60*time.Second)
			tc.login(t, c, id)

			// The failed login shows in what is downloaded, once the server has written it.
			var logName string
			eventually(t, tc.reason+": a downloaded log file holds the failed login", "true", func() (string, error) {
				files, _ := logFiles(t, c, &rds.DescribeDBLogFilesInput{DBInstanceIdentifier: aws.String(id)})
				for n := range files {
					if !tc.wantName.MatchString(n) {
						return "", fmt.Errorf("log file %q is not named as RDS names it (%s)", n, tc.wantName)
					}
					if whole, _ := downloadAll(t, c, id, n, 10000); strings.Contains(whole, tc.wantInLog) {
						logName = n
						return "true", nil
					}
				}
				return "false", fmt.Errorf("no file of %v holds %q", files, tc.wantInLog)
			})

			// Paging from the start gives the whole file, whatever the page size, and its
			// size is the one DescribeDBLogFiles reports (unless the server wrote meanwhile).
			for attempt := 0; ; attempt++ {
				before, _ := logFiles(t, c, &rds.DescribeDBLogFilesInput{DBInstanceIdentifier: aws.String(id), FilenameContains: aws.String(logName)})
				whole, _ := downloadAll(t, c, id, logName, 10000)
				paged, calls := downloadAll(t, c, id, logName, 3)
				after, _ := logFiles(t, c, &rds.DescribeDBLogFilesInput{DBInstanceIdentifier: aws.String(id), FilenameContains: aws.String(logName)})
				if before[logName] != after[logName] && attempt < 5 {
					continue // the server wrote to the file meanwhile: look again
				}
				if diff := cmp.Diff(before[logName], int64(len(whole))); diff != "" {
					t.Errorf("%s\nsize of %s: DescribeDBLogFiles -want, downloaded +got:\n%s", tc.reason, logName, diff)
				}
				if diff := cmp.Diff(whole, paged); diff != "" {
					t.Errorf("%s\npaging 3 lines a call (%d calls) gives another file than paging 10000: -want +got:\n%s", tc.reason, calls, diff)
				}
				if lines := strings.Count(whole, "\n"); calls < lines/3 {
					t.Errorf("%s\n%d lines came in %d calls of 3 lines", tc.reason, lines, calls)
				}
				// NumberOfLines without a Marker is the end of the file.
				out, err := c.DownloadDBLogFilePortion(ctx, &rds.DownloadDBLogFilePortionInput{DBInstanceIdentifier: aws.String(id), LogFileName: aws.String(logName), NumberOfLines: aws.Int32(2)})
				if err != nil {
					t.Fatalf("DownloadDBLogFilePortion of the last 2 lines: %v", err)
				}
				all := strings.SplitAfter(whole, "\n")
				all = all[:len(all)-1] // after the last line end
				if diff := cmp.Diff(strings.Join(all[len(all)-2:], ""), aws.ToString(out.LogFileData)); diff != "" && before[logName] == after[logName] {
					t.Errorf("%s\nthe last 2 lines: -want +got:\n%s", tc.reason, diff)
				}
				if aws.ToBool(out.AdditionalDataPending) {
					t.Errorf("%s\nthe end of the file leaves data pending", tc.reason)
				}
				break
			}
		})
	}
}

func TestLogPortionsAreCappedAtOneMegabyte(t *testing.T) {
	if !havePostgres() {
		t.Skip("PostgreSQL server binaries (initdb) are not installed")
	}
	_, c := start(t, Config{})
	ctx := context.Background()
	if _, err := c.CreateDBInstance(ctx, createInput("logs-big")); err != nil {
		t.Fatalf("CreateDBInstance: %v", err)
	}
	waitStatus(t, c, "logs-big", "available", 60*time.Second)
	// The server's own messages fill its log: 3000 lines of 1000 characters, about 3 MB.
	ep := describe(t, c, "logs-big").Endpoint
	conn, err := pgx.Connect(ctx, fmt.Sprintf("host=%s port=%d user=master password=%s dbname=postgres sslmode=require", aws.ToString(ep.Address), aws.ToInt32(ep.Port), testPassword))
	if err != nil {
		t.Fatalf("master login: %v", err)
	}
	if _, err := conn.Exec(ctx, `DO $$ BEGIN FOR i IN 1..3000 LOOP RAISE LOG 'filler % %', i, repeat('x', 1000); END LOOP; RAISE LOG 'filled'; END $$`); err != nil {
		t.Fatalf("RAISE LOG: %v", err)
	}
	conn.Close(ctx)
	var name string
	eventually(t, "the log holds the filler", "true", func() (string, error) {
		files, _ := logFiles(t, c, &rds.DescribeDBLogFilesInput{DBInstanceIdentifier: aws.String("logs-big"), FileSize: aws.Int64(2 << 20)})
		for n := range files {
			out, err := c.DownloadDBLogFilePortion(ctx, &rds.DownloadDBLogFilePortionInput{DBInstanceIdentifier: aws.String("logs-big"), LogFileName: aws.String(n), NumberOfLines: aws.Int32(5)})
			if err == nil && strings.Contains(aws.ToString(out.LogFileData), "LOG:  filled") {
				name = n
				return "true", nil
			}
		}
		return "false", nil
	})

	cases := map[string]struct {
		reason      string
		in          rds.DownloadDBLogFilePortionInput
		wantPending bool
	}{
		"FromTheStart": {
			reason:      "10000 lines of 1000 characters from the start are more than 1 MB: the portion stops at 1 MB, at a line's end, with more pending.",
			in:          rds.DownloadDBLogFilePortionInput{Marker: aws.String("0"), NumberOfLines: aws.Int32(10000)},
			wantPending: true,
		},
		"TheEndByDefault": {
			reason: "Without Marker and NumberOfLines, RDS returns the most recent 10000 lines at most: here the last 1 MB, from a line's start, up to the file's end.",
			in:     rds.DownloadDBLogFilePortionInput{},
		},
	}
	for caseName, tc := range cases {
		t.Run(caseName, func(t *testing.T) {
			in := tc.in
			in.DBInstanceIdentifier, in.LogFileName = aws.String("logs-big"), aws.String(name)
			out, err := c.DownloadDBLogFilePortion(ctx, &in)
			if err != nil {
				t.Fatalf("%s\nDownloadDBLogFilePortion: %v", tc.reason, err)
			}
			data := aws.ToString(out.LogFileData)
			if len(data) > logPortionCap || len(data) < logPortionCap-2000 {
				t.Errorf("%s\ngot %d bytes, want just under %d", tc.reason, len(data), logPortionCap)
			}
			if !strings.HasSuffix(data, "\n") || !regexp.MustCompile(`^\d{4}-\d{2}-\d{2} `).MatchString(data) {
				t.Errorf("%s\nthe portion does not hold whole lines: starts %q, ends %q", tc.reason, data[:40], data[len(data)-40:])
			}
			if diff := cmp.Diff(tc.wantPending, aws.ToBool(out.AdditionalDataPending)); diff != "" {
				t.Errorf("%s\nAdditionalDataPending: -want +got:\n%s", tc.reason, diff)
			}
		})
	}
	whole, calls := downloadAll(t, c, "logs-big", name, 10000)
	if calls < 3 || strings.Count(whole, "LOG:  filler") != 3000 {
		t.Errorf("paging a 3 MB file took %d calls and gave %d of the 3000 filler lines", calls, strings.Count(whole, "LOG:  filler"))
	}
}

func TestDescribeDBLogFilesFiltersAndPages(t *testing.T) {
	if !havePostgres() {
		t.Skip("PostgreSQL server binaries (initdb) are not installed")
	}
	e, c := start(t, Config{})
	ctx := context.Background()
	if _, err := c.CreateDBInstance(ctx, createInput("logs-many")); err != nil {
		t.Fatalf("CreateDBInstance: %v", err)
	}
	waitStatus(t, c, "logs-many", "available", 60*time.Second)
	// Files of earlier hours, as the server rotates one an hour; one older than
	// rds.log_retention_period (3 days), which RDS has removed.
	dir := filepath.Join(serverLogDir(t, e, "logs-many"), "error")
	now := time.Now()
	for h := 1; h <= 24; h++ {
		at := now.Add(-time.Duration(h) * time.Hour)
		p := filepath.Join(dir, "postgresql.log."+at.UTC().Format("2006-01-02-15"))
		if err := os.WriteFile(p, bytes.Repeat([]byte("x\n"), h), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(p, at, at); err != nil {
			t.Fatal(err)
		}
	}
	old := now.Add(-4 * 24 * time.Hour)
	expired := "postgresql.log." + old.UTC().Format("2006-01-02-15")
	if err := os.WriteFile(filepath.Join(dir, expired), []byte("gone\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(filepath.Join(dir, expired), old, old); err != nil {
		t.Fatal(err)
	}

	all, marker := logFiles(t, c, &rds.DescribeDBLogFilesInput{DBInstanceIdentifier: aws.String("logs-many")})
	if len(all) != 25 || marker != "" {
		t.Fatalf("DescribeDBLogFiles lists %d files (marker %q), want the current one and 24 earlier ones: %v", len(all), marker, all)
	}
	cases := map[string]struct {
		reason string
		in     rds.DescribeDBLogFilesInput
		want   int
	}{
		"FileSize":         {reason: "FileSize keeps the files larger than it: those of 11 to 24 lines of 2 bytes, and the current one.", in: rds.DescribeDBLogFilesInput{FileSize: aws.Int64(20)}, want: 15},
		"FileLastWritten":  {reason: "FileLastWritten (milliseconds) keeps the files written since: the current one and those of the last 5 hours.", in: rds.DescribeDBLogFilesInput{FileLastWritten: aws.Int64(now.Add(-5*time.Hour - time.Minute).UnixMilli())}, want: 6},
		"FilenameContains": {reason: "FilenameContains keeps the names that contain it.", in: rds.DescribeDBLogFilesInput{FilenameContains: aws.String("postgresql.log." + now.Add(-3*time.Hour).UTC().Format("2006-01-02-15"))}, want: 1},
		"NoMatch":          {reason: "A filter nothing matches lists no files.", in: rds.DescribeDBLogFilesInput{FilenameContains: aws.String("mysql")}, want: 0},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			in := tc.in
			in.DBInstanceIdentifier = aws.String("logs-many")
			got, _ := logFiles(t, c, &in)
			if len(got) != tc.want {
				t.Errorf("%s\ngot %d files, want %d: %v", tc.reason, len(got), tc.want, got)
			}
		})
	}

	// Paging: MaxRecords at a time, the Marker leading to the rest.
	first, marker := logFiles(t, c, &rds.DescribeDBLogFilesInput{DBInstanceIdentifier: aws.String("logs-many"), MaxRecords: aws.Int32(20)})
	if len(first) != 20 || marker == "" {
		t.Fatalf("first page: %d files, marker %q; want 20 and a marker", len(first), marker)
	}
	rest, last := logFiles(t, c, &rds.DescribeDBLogFilesInput{DBInstanceIdentifier: aws.String("logs-many"), MaxRecords: aws.Int32(20), Marker: aws.String(marker)})
	if len(rest) != 5 || last != "" {
		t.Errorf("second page: %d files, marker %q; want the other 5 and no marker", len(rest), last)
	}
	for n := range rest {
		if _, dup := first[n]; dup {
			t.Errorf("%s is on both pages", n)
		}
	}

	// The expired file is gone for downloads too.
	_, err := c.DownloadDBLogFilePortion(ctx, &rds.DownloadDBLogFilePortionInput{DBInstanceIdentifier: aws.String("logs-many"), LogFileName: aws.String("error/" + expired)})
	var nf *types.DBLogFileNotFoundFault
	if !errors.As(err, &nf) {
		t.Errorf("downloading a file older than the retention period: got %v, want DBLogFileNotFoundFault", err)
	}
}

func TestLogErrors(t *testing.T) {
	_, c := start(t, Config{NoEngine: true, NoEnginePort: 1})
	ctx := context.Background()
	if _, err := c.CreateDBInstance(ctx, createInput("no-server")); err != nil {
		t.Fatalf("CreateDBInstance: %v", err)
	}
	waitStatus(t, c, "no-server", "available", 10*time.Second)

	files, _ := logFiles(t, c, &rds.DescribeDBLogFilesInput{DBInstanceIdentifier: aws.String("no-server")})
	if len(files) != 0 {
		t.Errorf("an instance without a server lists log files: %v", files)
	}
	notFound := http.StatusNotFound
	cases := map[string]struct {
		reason     string
		call       func() error
		wantCode   string
		wantStatus int
	}{
		"UnknownInstanceList": {
			reason: "Listing the log files of an unknown instance is DBInstanceNotFound, 404.",
			call: func() error {
				_, err := c.DescribeDBLogFiles(ctx, &rds.DescribeDBLogFilesInput{DBInstanceIdentifier: aws.String("nope")})
				return err
			}, wantCode: codeInstanceNotFound, wantStatus: notFound},
		"UnknownInstanceDownload": {
			reason: "Downloading a log file of an unknown instance is DBInstanceNotFound, 404.",
			call: func() error {
				_, err := c.DownloadDBLogFilePortion(ctx, &rds.DownloadDBLogFilePortionInput{DBInstanceIdentifier: aws.String("nope"), LogFileName: aws.String("error/mysql-error.log")})
				return err
			}, wantCode: codeInstanceNotFound, wantStatus: notFound},
		"MissingFile": {
			reason: "A log file the instance does not have is DBLogFileNotFoundFault, 404: an instance without a server has none.",
			call: func() error {
				_, err := c.DownloadDBLogFilePortion(ctx, &rds.DownloadDBLogFilePortionInput{DBInstanceIdentifier: aws.String("no-server"), LogFileName: aws.String("error/postgresql.log.2025-01-01-00")})
				return err
			}, wantCode: codeLogFileNotFound, wantStatus: notFound},
		"BadMarker": {
			reason: "A Marker that no call returned is InvalidParameterValue, 400.",
			call: func() error {
				_, err := c.DownloadDBLogFilePortion(ctx, &rds.DownloadDBLogFilePortionInput{DBInstanceIdentifier: aws.String("no-server"), LogFileName: aws.String("error/postgresql.log"), Marker: aws.String("yesterday")})
				return err
			}, wantCode: codeInvalidValue, wantStatus: http.StatusBadRequest},
		"SmallMaxRecords": {
			reason: "MaxRecords below 20 is InvalidParameterValue, 400, as for the other Describe calls.",
			call: func() error {
				_, err := c.DescribeDBLogFiles(ctx, &rds.DescribeDBLogFilesInput{DBInstanceIdentifier: aws.String("no-server"), MaxRecords: aws.Int32(5)})
				return err
			}, wantCode: codeInvalidValue, wantStatus: http.StatusBadRequest},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			err := tc.call()
			var re *awshttp.ResponseError
			status := 0
			if errors.As(err, &re) {
				status = re.HTTPStatusCode()
			}
			if diff := cmp.Diff([]any{tc.wantCode, tc.wantStatus}, []any{errorCode(err), status}); diff != "" {
				t.Errorf("%s\ncode and status: -want +got:\n%s", tc.reason, diff)
			}
		})
	}
	var nf *types.DBLogFileNotFoundFault
	if _, err := c.DownloadDBLogFilePortion(ctx, &rds.DownloadDBLogFilePortionInput{DBInstanceIdentifier: aws.String("no-server"), LogFileName: aws.String("error/x")}); !errors.As(err, &nf) {
		t.Errorf("the SDK does not see DBLogFileNotFoundFault as its typed error: %v", err)
	}
}

func TestReadLogPortion(t *testing.T) {
	lines := func(n, width int) string {
		var b strings.Builder
		for i := 0; i < n; i++ {
			fmt.Fprintf(&b, "%0*d\n", width-1, i)
		}
		return b.String()
	}
	big := lines(3000, 1000)                                     // 3 MB of 1000-byte lines
	long := "a" + strings.Repeat("é", logPortionCap/2+10) + "\n" // the 1 MB cut falls inside an é
	at := func(n int64) *int64 { return &n }
	cases := map[string]struct {
		reason      string
		file        string
		from        *int64
		lines       int
		want        string
		wantEnd     int64
		wantPending bool
	}{
		"FirstLines":     {reason: "From marker 0, NumberOfLines lines from the start.", file: "a\nb\nc\n", from: at(0), lines: 2, want: "a\nb\n", wantEnd: 4, wantPending: true},
		"FromAMarker":    {reason: "From a marker, the lines after it.", file: "a\nb\nc\n", from: at(4), lines: 2, want: "c\n", wantEnd: 6},
		"AtTheEnd":       {reason: "At the end of the file, nothing, and nothing pending.", file: "a\n", from: at(2), lines: 5, want: "", wantEnd: 2},
		"BeyondTheEnd":   {reason: "A marker beyond the end (the file was cut) returns nothing and keeps the marker.", file: "a\n", from: at(9), lines: 5, want: "", wantEnd: 9},
		"UnfinishedLine": {reason: "The file's last line, still without its line end, is returned too.", file: "a\nb", from: at(0), lines: 5, want: "a\nb", wantEnd: 3},
		"Tail":           {reason: "Without a marker, the last lines of the file.", file: "a\nb\nc\n", lines: 2, want: "b\nc\n", wantEnd: 6},
		"TailOfAll":      {reason: "Without a marker, a file shorter than NumberOfLines whole.", file: "a\nb\n", lines: 5, want: "a\nb\n", wantEnd: 4},
		"CapAtLineEnd": {reason: "From the start of a 3 MB file, 1 MB at most, cut at a line's end.",
			file: big, from: at(0), lines: 10000, want: big[:1048000], wantEnd: 1048000, wantPending: true},
		"TailCapAtLineStart": {reason: "The end of a 3 MB file, 1 MB at most, from a line's start.",
			file: big, lines: 10000, want: big[len(big)-1048000:], wantEnd: int64(len(big))},
		"LongLine": {reason: "A line longer than 1 MB comes in 1 MB pieces, never splitting a character.",
			file: long, from: at(0), lines: 1, want: long[:logPortionCap-1], wantEnd: logPortionCap - 1, wantPending: true},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			r := strings.NewReader(tc.file)
			got, err := readLogPortion(r, int64(len(tc.file)), tc.from, tc.lines)
			if err != nil {
				t.Fatalf("%s: %v", tc.reason, err)
			}
			if diff := cmp.Diff(tc.want, string(got.data)); diff != "" {
				t.Errorf("%s\ndata: -want +got:\n%.500s", tc.reason, diff)
			}
			if diff := cmp.Diff([]any{tc.wantEnd, tc.wantPending}, []any{got.end, got.pending}); diff != "" {
				t.Errorf("%s\nend and pending: -want +got:\n%s", tc.reason, diff)
			}
		})
	}
}

func TestServedLogFilesKeepRDSRetention(t *testing.T) {
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	files := []serverproc.LogFile{
		{Name: "error/postgresql.log.2025-06-01-11", LastWritten: now.Add(-time.Hour)},
		{Name: "error/postgresql.log.2025-05-28-11", LastWritten: now.Add(-4 * 24 * time.Hour)},
	}
	srv := fakeLogServer{files: files}
	cases := map[string]struct {
		reason string
		engine string
		want   []string
	}{
		"Postgres": {reason: "RDS for PostgreSQL removes log files older than rds.log_retention_period, 3 days.", engine: "postgres",
			want: []string{"error/postgresql.log.2025-06-01-11"}},
		"AuroraPostgres": {reason: "The same holds for an Aurora PostgreSQL instance's server.", engine: "aurora-postgresql",
			want: []string{"error/postgresql.log.2025-06-01-11"}},
		"MySQL": {reason: "MySQL's error log is one file the server keeps writing: it is always there.", engine: "mysql",
			want: []string{"error/postgresql.log.2025-06-01-11", "error/postgresql.log.2025-05-28-11"}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := servedLogFiles(srv, tc.engine, now)
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, f := range got {
				names = append(names, f.Name)
			}
			if diff := cmp.Diff(tc.want, names); diff != "" {
				t.Errorf("%s\n-want +got:\n%s", tc.reason, diff)
			}
		})
	}
	if got, err := servedLogFiles(nil, "postgres", now); err != nil || len(got) != 0 {
		t.Errorf("an instance without a server has log files: %v, %v", got, err)
	}
}

// fakeLogServer lists fixed log files and opens none.
type fakeLogServer struct{ files []serverproc.LogFile }

func (f fakeLogServer) LogFiles() ([]serverproc.LogFile, error) { return f.files, nil }

func (f fakeLogServer) OpenLogFile(name string) (*os.File, error) { return nil, os.ErrNotExist }
