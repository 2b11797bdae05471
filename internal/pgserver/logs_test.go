package pgserver

import (
	"context"
	"io"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// rdsLogName is the name RDS gives an hourly PostgreSQL log file.
var rdsLogName = regexp.MustCompile(`^error/postgresql\.log\.\d{4}-\d{2}-\d{2}-\d{2}$`)

// waitLogged waits until one of the server's log files holds want and returns its name.
func waitLogged(t *testing.T, s *Server, want string) string {
	t.Helper()
	var names []string
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		files, err := s.LogFiles()
		if err != nil {
			t.Fatalf("LogFiles: %v", err)
		}
		names = names[:0]
		for _, f := range files {
			names = append(names, f.Name)
			if strings.Contains(readLog(t, s, f.Name), want) {
				return f.Name
			}
		}
	}
	t.Fatalf("no log file of %v holds %q", names, want)
	return ""
}

// readLog reads one of the server's log files.
func readLog(t *testing.T, s *Server, name string) string {
	t.Helper()
	f, err := s.OpenLogFile(name)
	if err != nil {
		t.Fatalf("OpenLogFile %s: %v", name, err)
	}
	defer f.Close()
	b, err := io.ReadAll(f)
	if err != nil {
		t.Fatalf("read %s: %v", name, err)
	}
	return string(b)
}

func TestLogIsWrittenAsRDSWritesIt(t *testing.T) {
	s := startServer(t)
	ctx := context.Background()
	if conn, err := pgx.Connect(ctx, masterDSN(s, "wrong-password", "postgres")); err == nil {
		conn.Close(ctx)
		t.Fatal("a wrong password logged in")
	}
	name := waitLogged(t, s, `FATAL:  password authentication failed for user "`+testMaster+`"`)
	if !rdsLogName.MatchString(name) {
		t.Errorf("the failed login is in %q, not in a file named as RDS names its hourly logs (error/postgresql.log.YYYY-MM-DD-HH)", name)
	}
	// RDS's log_line_prefix %t:%r:%u@%d:[%p]: names the client, the user and the database.
	if !regexp.MustCompile(`(?m)^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} UTC:127\.0\.0\.1\(\d+\):` + testMaster + `@postgres:\[\d+\]:FATAL:`).MatchString(readLog(t, s, name)) {
		t.Errorf("the failed login's line lacks RDS's prefix:\n%s", readLog(t, s, name))
	}
	if strings.HasPrefix(s.LogDir(), filepath.Join(s.Dir(), "data")) {
		t.Errorf("the log directory %s is inside the data directory: base backups would carry it", s.LogDir())
	}
}

func TestReplicaAndRestoredServerKeepTheirOwnLog(t *testing.T) {
	source := startServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	replica, err := StartReplica(ctx, Options{Dir: t.TempDir()}, source)
	if err != nil {
		t.Fatalf("StartReplica: %v", err)
	}
	defer replica.Stop()
	backup := filepath.Join(t.TempDir(), "backup.tar.gz")
	if err := source.Backup(ctx, backup); err != nil {
		t.Fatalf("Backup: %v", err)
	}
	restored, err := StartFromBackup(ctx, Options{Dir: t.TempDir(), MasterUser: testMaster}, backup)
	if err != nil {
		t.Fatalf("StartFromBackup: %v", err)
	}
	defer restored.Stop()

	// A copy of the source's data directory carries its postgresql.conf: each copy must
	// write its own log all the same, and start with none of the source's.
	if conn, err := pgx.Connect(ctx, masterDSN(source, "wrong-password", "postgres")); err == nil {
		conn.Close(ctx)
		t.Fatal("a wrong password logged in")
	}
	cases := map[string]struct {
		reason string
		server *Server
	}{
		"Replica":  {reason: "A streaming replica writes its log into its own log directory.", server: replica},
		"Restored": {reason: "A server restored from a base backup writes its log into its own log directory.", server: restored},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if tc.server.LogDir() == source.LogDir() {
				t.Fatalf("%s\nlog directory is the source's: %s", tc.reason, tc.server.LogDir())
			}
			if conn, err := pgx.Connect(ctx, masterDSN(tc.server, "another-wrong-password", "postgres")); err == nil {
				conn.Close(ctx)
				t.Fatal("a wrong password logged in")
			}
			got := waitLogged(t, tc.server, "password authentication failed")
			if !rdsLogName.MatchString(got) {
				t.Errorf("%s\nlog file %q is not named as RDS names it", tc.reason, got)
			}
		})
	}
	waitLogged(t, source, "password authentication failed")
	for _, s := range []*Server{replica, restored} {
		files, err := s.LogFiles()
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			if n := strings.Count(readLog(t, s, f.Name), "password authentication failed"); n != 1 {
				t.Errorf("%s of the copy on port %d holds %d failed logins, want its own one only", f.Name, s.Port, n)
			}
		}
	}
}

func TestUpgradedServerGoesOnWritingTheSameLog(t *testing.T) {
	builds := perMajorBuilds(t)
	majors := builds.Majors()
	if len(majors) < 2 {
		t.Skipf("upgrades need two majors; the set has %v", majors)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	src := startMajor(t, majors[len(majors)-2])
	if conn, err := pgx.Connect(ctx, masterDSN(src, "before-the-upgrade", "postgres")); err == nil {
		conn.Close(ctx)
		t.Fatal("a wrong password logged in")
	}
	waitLogged(t, src, "password authentication failed")
	dst, err := src.Upgrade(ctx, Options{Dir: t.TempDir(), Major: majors[len(majors)-1]})
	if err != nil {
		t.Fatalf("Upgrade: %v", err)
	}
	defer dst.Stop()
	// RDS keeps an instance's log files across a major version upgrade: the new server
	// writes where the old one did, and what the old one wrote stays listed.
	if dst.LogDir() != src.LogDir() {
		t.Errorf("the upgraded server writes its log to %s, not to the instance's %s", dst.LogDir(), src.LogDir())
	}
	if conn, err := pgx.Connect(ctx, masterDSN(dst, "after-the-upgrade", "postgres")); err == nil {
		conn.Close(ctx)
		t.Fatal("a wrong password logged in")
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		files, err := dst.LogFiles()
		if err != nil {
			t.Fatal(err)
		}
		var all string
		for _, f := range files {
			all += readLog(t, dst, f.Name)
		}
		if strings.Count(all, "password authentication failed") >= 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the log lacks the failed logins of before and after the upgrade:\n%s", all)
		}
	}
}
