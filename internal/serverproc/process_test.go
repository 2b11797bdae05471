package serverproc

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// shell returns a Process running script with sh, logging to a file in a test directory.
func shell(t *testing.T, script string) *Process {
	t.Helper()
	return &Process{
		Command: func() *exec.Cmd {
			cmd := exec.Command("/bin/sh", "-c", script)
			cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
			return cmd
		},
		LogPath:    filepath.Join(t.TempDir(), "server.log"),
		StopSignal: syscall.SIGTERM,
	}
}

// waitLog waits until the log holds want, as the process writes it in its own time.
func waitLog(t *testing.T, p *Process, want string) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if strings.Contains(p.LogTail(), want) {
			return
		}
	}
	t.Fatalf("log lacks %q:\n%s", want, p.LogTail())
}

// assertGone fails when the process pid still exists (a zombie counts as existing).
func assertGone(t *testing.T, pid int) {
	t.Helper()
	if _, err := os.Stat(filepath.Join("/proc", strconv.Itoa(pid))); !os.IsNotExist(err) {
		t.Errorf("process %d still there after Stop (stat err %v)", pid, err)
	}
}

func TestStopLeavesNoProcess(t *testing.T) {
	cases := map[string]struct {
		reason   string
		script   string
		wantLog  string
		wantExit string
	}{
		"ShutsDownOnTheSignal": {
			reason:   "A server that shuts down on StopSignal is asked to, and exits by itself.",
			script:   `trap 'echo shutting down; exit 0' TERM; echo up; while :; do sleep 0.05; done`,
			wantLog:  "shutting down",
			wantExit: "<nil>",
		},
		"IgnoresTheSignal": {
			reason:   "A server that ignores StopSignal is killed once stopTimeout has passed.",
			script:   `trap '' TERM; echo up; exec sleep 60`,
			wantExit: "signal: killed",
		},
	}
	defer func(d time.Duration) { stopTimeout = d }(stopTimeout)
	stopTimeout = 300 * time.Millisecond
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			p := shell(t, tc.script)
			if err := p.Launch(); err != nil {
				t.Fatal(err)
			}
			waitLog(t, p, "up")
			pid := p.Pid()
			if err := p.Stop(); err != nil {
				t.Fatalf("%s\nStop: %v", tc.reason, err)
			}
			assertGone(t, pid)
			if diff := cmp.Diff(tc.wantExit, errString(p.ExitErr())); diff != "" {
				t.Errorf("%s\nexit: -want +got:\n%s", tc.reason, diff)
			}
			if !strings.Contains(p.LogTail(), tc.wantLog) {
				t.Errorf("%s\nlog lacks %q:\n%s", tc.reason, tc.wantLog, p.LogTail())
			}
			if err := p.Stop(); err != nil {
				t.Errorf("second Stop: %v, want nothing done", err)
			}
		})
	}
}

func TestStopOfAProcessNeverLaunchedDoesNothing(t *testing.T) {
	var p Process
	if err := p.Stop(); err != nil {
		t.Errorf("Stop: %v", err)
	}
}

func TestLaunchWritesTheLogAndLog(t *testing.T) {
	p := shell(t, `echo to-stdout; echo to-stderr >&2`)
	var also bytes.Buffer
	p.Log = &also
	if err := os.WriteFile(p.LogPath, []byte("earlier run\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := p.Launch(); err != nil {
		t.Fatal(err)
	}
	<-p.Exited()
	if err := p.Stop(); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff("earlier run\nto-stdout\nto-stderr\n", p.LogTail()); diff != "" {
		t.Errorf("the log file keeps earlier runs and gets stdout and stderr: -want +got:\n%s", diff)
	}
	if diff := cmp.Diff("to-stdout\nto-stderr\n", also.String()); diff != "" {
		t.Errorf("Log gets the output too: -want +got:\n%s", diff)
	}
}

func TestLaunchOfAMissingProgram(t *testing.T) {
	p := shell(t, "")
	p.Command = func() *exec.Cmd { return exec.Command(filepath.Join(t.TempDir(), "mariadbd")) }
	err := p.Launch()
	if err == nil || !strings.HasPrefix(err.Error(), "run mariadbd: ") {
		t.Errorf("Launch: got %v, want an error naming the program", err)
	}
}

func TestLogTail(t *testing.T) {
	long := strings.Repeat("a", 10000) + strings.Repeat("z", logTailSize)
	cases := map[string]struct {
		reason string
		log    *string
		want   string
	}{
		"NoLog":    {reason: "A missing log is said to be missing.", want: "(no log: "},
		"Short":    {reason: "A short log comes whole.", log: ptr("one line\n"), want: "one line\n"},
		"Long":     {reason: "A long log comes as its last logTailSize bytes.", log: &long, want: strings.Repeat("z", logTailSize)},
		"Boundary": {reason: "A log of exactly logTailSize bytes comes whole.", log: ptr(strings.Repeat("b", logTailSize)), want: strings.Repeat("b", logTailSize)},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			p := &Process{LogPath: filepath.Join(t.TempDir(), "server.log")}
			if tc.log != nil {
				if err := os.WriteFile(p.LogPath, []byte(*tc.log), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			got := p.LogTail()
			if tc.log == nil {
				got = got[:min(len(got), len(tc.want))]
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s\n-want +got:\n%s", tc.reason, diff)
			}
		})
	}
}

func errString(err error) string {
	if err == nil {
		return "<nil>"
	}
	return err.Error()
}

func ptr[T any](v T) *T { return &v }
