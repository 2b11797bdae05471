package serverproc

import (
	"context"
	"errors"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestRunTriesAnotherPortWhenTheServerExitsAtOnce(t *testing.T) {
	type result struct {
		Launches, Moves int
		// Err is the first line of Run's error.
		Err string
		// LogTail is whether the error carries the log's tail.
		LogTail bool
	}
	cases := map[string]struct {
		reason     string
		exiting    int // how many launches exit at once, as on a taken port
		neverReady bool
		portPicked bool
		want       result
	}{
		"ReadyAtOnce": {
			reason:     "A server that comes up is launched once.",
			portPicked: true,
			want:       result{Launches: 1},
		},
		"PickedPortTaken": {
			reason:     "A server that exits on a picked port is moved to another and launched again.",
			exiting:    1,
			portPicked: true,
			want:       result{Launches: 2, Moves: 1},
		},
		"AskedForPortTaken": {
			reason:  "A port the caller asked for is not replaced: the error says the server exited and carries the log tail.",
			exiting: 1,
			want:    result{Launches: 1, Err: "sh exited during start-up: exit status 1; log tail:", LogTail: true},
		},
		"EveryPortTaken": {
			reason:     "Run gives up after StartAttempts launches.",
			exiting:    StartAttempts,
			portPicked: true,
			want:       result{Launches: StartAttempts, Moves: StartAttempts - 1, Err: "sh exited during start-up: exit status 1; log tail:", LogTail: true},
		},
		"RunningButNotReady": {
			reason:     "A server that runs but never accepts connections is not on a taken port: no other is tried.",
			neverReady: true,
			portPicked: true,
			want:       result{Launches: 1, Err: "sh not ready: connection refused; log tail:", LogTail: true},
		},
	}
	defer func(d time.Duration) { readyTimeout = d }(readyTimeout)
	readyTimeout = 300 * time.Millisecond
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			var got result
			p := shell(t, "")
			p.Command = func() *exec.Cmd {
				got.Launches++
				script := `echo launch-` + strconv.Itoa(got.Launches) + `; exec sleep 60`
				if got.Launches <= tc.exiting {
					script = `echo launch-` + strconv.Itoa(got.Launches) + ` port taken; exit 1`
				}
				return exec.Command("/bin/sh", "-c", script)
			}
			ping := func(context.Context) error {
				if tc.neverReady || got.Launches <= tc.exiting {
					return errors.New("connection refused")
				}
				return nil
			}
			err := p.Run(context.Background(), ping, tc.portPicked, func() error { got.Moves++; return nil })
			t.Cleanup(func() { _ = p.Stop() })
			if err != nil {
				got.Err, _, _ = strings.Cut(err.Error(), "\n")
				got.LogTail = strings.Contains(err.Error(), "\nlaunch-"+strconv.Itoa(got.Launches))
				assertGone(t, p.Pid())
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s\n-want +got:\n%s\nerr: %v", tc.reason, diff, err)
			}
		})
	}
}

func TestRunReturnsTheMovePortError(t *testing.T) {
	p := shell(t, "exit 1")
	moveErr := errors.New("pick a port: none left")
	refuse := func(context.Context) error { return errors.New("connection refused") }
	if err := p.Run(context.Background(), refuse, true, func() error { return moveErr }); !errors.Is(err, moveErr) {
		t.Errorf("Run: got %v, want the movePort error", err)
	}
}

func TestRunStopsWaitingWhenTheContextEnds(t *testing.T) {
	p := shell(t, "exec sleep 60")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	refuse := func(context.Context) error { return errors.New("connection refused") }
	err := p.Run(ctx, refuse, true, func() error { t.Error("movePort called for a server that did not exit"); return nil })
	if err == nil || !strings.HasPrefix(err.Error(), "sh not ready: ") {
		t.Errorf("Run: got %v, want not ready", err)
	}
	assertGone(t, p.Pid())
}
