package serverproc

import (
	"context"
	"fmt"
	"path/filepath"
	"time"
)

// StartAttempts is how many ports Run tries before giving up.
const StartAttempts = 3

// readyTimeout bounds how long Run waits for one launch to accept connections (a variable
// so that a test need not wait that long).
var readyTimeout = 60 * time.Second

// pingInterval is how often Run tries to connect while the server starts.
const pingInterval = 50 * time.Millisecond

// Run launches the server and waits until ping, which connects to it, succeeds. A port
// picked free can be taken by another process before the server binds it (tests start
// many servers at once): when the server exits during start-up and its port was picked
// (portPicked), Run stops it, calls movePort to give it another one, and tries again,
// StartAttempts times in all. Otherwise a failed start is stopped and its error carries
// the tail of the server log.
func (p *Process) Run(ctx context.Context, ping func(context.Context) error, portPicked bool, movePort func() error) error {
	for attempt := 1; ; attempt++ {
		if err := p.Launch(); err != nil {
			return err
		}
		err := p.waitReady(ctx, ping)
		if err == nil {
			return nil
		}
		early := p.hasExited()
		_ = p.Stop()
		if !early || !portPicked || attempt == StartAttempts {
			return fmt.Errorf("%w; log tail:\n%s", err, p.LogTail())
		}
		if err := movePort(); err != nil {
			return err
		}
	}
}

// waitReady calls ping until it succeeds, the server exits, or readyTimeout passes.
func (p *Process) waitReady(ctx context.Context, ping func(context.Context) error) error {
	ctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	program := filepath.Base(p.cmd.Path)
	for {
		err := ping(ctx)
		if err == nil {
			return nil
		}
		select {
		case <-p.exited:
			return fmt.Errorf("%s exited during start-up: %v", program, p.exitErr)
		case <-ctx.Done():
			return fmt.Errorf("%s not ready: %w", program, err)
		case <-time.After(pingInterval):
		}
	}
}
