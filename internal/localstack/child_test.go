package localstack

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestChildStop(t *testing.T) {
	cases := map[string]struct {
		reason  string
		script  string
		wantErr bool
	}{
		"Graceful": {
			reason: "A process that exits on SIGTERM stops without error.",
			script: "exec sleep 60",
		},
		"IgnoresTerm": {
			reason:  "A process that ignores SIGTERM is killed after the timeout, and that is reported.",
			script:  "trap '' TERM; sleep 60 & wait; sleep 60",
			wantErr: true,
		},
		"AlreadyExited": {
			reason: "A process that already exited is not an error: it was reported when it died.",
			script: "exit 0",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			c, err := startChild(name, filepath.Join(t.TempDir(), "log"), os.Environ(), "/bin/sh", "-c", tc.script)
			if err != nil {
				t.Fatal(err)
			}
			if name == "AlreadyExited" {
				<-c.exited()
			} else {
				time.Sleep(100 * time.Millisecond) // let the shell install its trap
			}
			err = c.stop(500 * time.Millisecond)
			if (err != nil) != tc.wantErr {
				t.Errorf("%s\nstop() error = %v, want error %t", tc.reason, err, tc.wantErr)
			}
			select {
			case <-c.exited():
			default:
				t.Errorf("%s\nprocess still running after stop()", tc.reason)
			}
		})
	}
}

// TestChildStopKillsGroup proves that what a child started (as the emulator starts database
// servers) does not outlive it.
func TestChildStopKillsGroup(t *testing.T) {
	dir := t.TempDir()
	pidFile := filepath.Join(dir, "grandchild.pid")
	c, err := startChild("parent", filepath.Join(dir, "log"), os.Environ(), "/bin/sh", "-c",
		`sleep 60 & echo $! > "$0"; wait`, pidFile)
	if err != nil {
		t.Fatal(err)
	}
	var pid int
	for deadline := time.Now().Add(5 * time.Second); pid == 0 && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		b, _ := os.ReadFile(pidFile)
		pid, _ = strconv.Atoi(strings.TrimSpace(string(b)))
	}
	if pid == 0 {
		t.Fatal("grandchild did not start")
	}
	_ = c.stop(2 * time.Second)
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if syscall.Kill(pid, 0) != nil || isZombie(pid) {
			return
		}
	}
	t.Errorf("grandchild %d still running after its parent was stopped", pid)
}

// isZombie tells whether pid has exited and waits only for its parent to reap it.
func isZombie(pid int) bool {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return false
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i >= 0 && i+2 < len(s) && s[i+2] == 'Z'
}
