package cloud

import (
	"errors"
	"fmt"
	"time"
)

// WaitError says a call was not made, and need not be made, before After has passed: the
// operator's own AWS rate limit has given the caller a later turn, or the shared view of the
// cloud has not yet seen a change the operator just made. It is not a failure: a caller
// comes back after After, without announcing anything and without backing off.
type WaitError struct {
	// Op is what waits, e.g. "create db instance shop-orders-1a2b3c4d".
	Op string
	// Why says what is waited for.
	Why string
	// After is how long to wait before trying again.
	After time.Duration
}

// Error implements error.
func (e *WaitError) Error() string {
	return fmt.Sprintf("%s: %s: try again in %s", e.Op, e.Why, e.After.Round(time.Millisecond))
}

// RetryAfter reports whether err is (or wraps) a *WaitError, and how long to wait.
func RetryAfter(err error) (time.Duration, bool) {
	var w *WaitError
	if errors.As(err, &w) {
		return w.After, true
	}
	return 0, false
}
