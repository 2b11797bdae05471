package localstack

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestProcessKill proves Kill ends even a process that ignores SIGTERM, at once.
func TestProcessKill(t *testing.T) {
	p, err := StartProcess("stubborn", filepath.Join(t.TempDir(), "log"), os.Environ(), "/bin/sh", "-c", "trap '' TERM; sleep 60 & wait")
	if err != nil {
		t.Fatal(err)
	}
	p.Kill()
	select {
	case <-p.Exited():
	case <-time.After(5 * time.Second):
		t.Fatal("process still running after Kill")
	}
}
