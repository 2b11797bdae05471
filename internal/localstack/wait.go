package localstack

import (
	"context"
	"fmt"
	"time"
)

// waitFor polls check every 200 ms until it reports done, printing a progress line every few
// seconds. It gives up when timeout passes, ctx is done, or the child it waits on exits, so a
// crashing binary fails the start at once instead of after the timeout.
func (s *stack) waitFor(ctx context.Context, what string, c *child, timeout time.Duration, check func() (bool, error)) error {
	start := time.Now()
	poll := time.NewTicker(200 * time.Millisecond)
	defer poll.Stop()
	report := time.NewTicker(3 * time.Second)
	defer report.Stop()
	deadline := time.After(timeout)
	for {
		done, err := check()
		if err != nil {
			return fmt.Errorf("wait for %s: %w", what, err)
		}
		if done {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("wait for %s: %w", what, context.Cause(ctx))
		case <-c.exited():
			s.log.logf("%s exited; its last lines:\n%s", c.name, c.logTail(logTailLines))
			return fmt.Errorf("%s exited while waiting for %s (%v); see %s", c.name, what, c.exitErr(), c.logPath)
		case <-deadline:
			return fmt.Errorf("%s: no %s within %s; see %s", c.name, what, timeout, c.logPath)
		case <-report.C:
			s.log.logf("still waiting for %s (%.0fs)", what, time.Since(start).Seconds())
		case <-poll.C:
		}
	}
}
