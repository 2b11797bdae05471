package mariaserver

import (
	"io"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

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

func TestErrorLogIsWrittenAsRDSWritesIt(t *testing.T) {
	s := startServer(t)
	if _, err := open(t, tcpConfig(s, testMaster, "wrong-password", "")); errNumber(err) != 1045 {
		t.Fatalf("a wrong password was not refused with 1045: %v", err)
	}
	files, err := s.LogFiles()
	if err != nil {
		t.Fatalf("LogFiles: %v", err)
	}
	var names []string
	for _, f := range files {
		names = append(names, f.Name)
	}
	if diff := cmp.Diff([]string{"error/mysql-error.log"}, names); diff != "" {
		t.Errorf("log files, named as RDS names them: -want +got:\n%s", diff)
	}
	want := "Access denied for user '" + testMaster + "'"
	var got string
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if got = readLog(t, s, "error/mysql-error.log"); strings.Contains(got, want) {
			return
		}
	}
	t.Errorf("the error log lacks the failed login %q:\n%s", want, got)
}
