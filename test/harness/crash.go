package harness

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/matrixmind-cloud/aws-rds-operator/internal/engine"
)

// errCrashed is what the step after which the operator "crashed" returns: the call itself
// went through (the cloud or the database did what was asked), but the operator never got
// to act on its answer.
var errCrashed = errors.New("operator crashed (test)")

// crashSwitch stops the operator right after a chosen call went through, the way a SIGKILL
// would: the manager's context is cancelled, so nothing the interrupted reconcile tries
// afterwards reaches the apiserver, the cloud or the database.
type crashSwitch struct {
	mu      sync.Mutex
	step    string // BeforeCreate, Create, Update, Delete, Observe, EnsureUser, EnsureDatabase
	subject string // the cloud identifier or user name it applies to; empty: any
	cancel  context.CancelFunc
	crashed chan struct{}
}

// arm sets the step to crash after; cancel stops the running operator.
func (c *crashSwitch) arm(step, subject string, cancel context.CancelFunc) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.step, c.subject = step, subject
	if cancel != nil {
		c.cancel = cancel
	}
	if step != "" {
		c.crashed = make(chan struct{})
	}
}

// after is called when step completed for subject with err. When the switch is armed for
// it, the operator is stopped and the caller gets an error in place of the answer.
func (c *crashSwitch) after(step, subject string, err error) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.step == "" || c.step != step || (c.subject != "" && c.subject != subject) || err != nil {
		return err
	}
	c.step = ""
	c.cancel()
	close(c.crashed)
	return errCrashed
}

// CrashAfter arms the operator to crash right after step (Create, Update, Delete, Observe,
// StartExport, EnsureUser, EnsureDatabase) goes through for subject (a cloud identifier or a user name);
// BeforeCreate crashes just before CreateDBInstance would be sent.
// WaitCrash waits for it; StartOperator then starts a new operator.
func (s *Stack) CrashAfter(step, subject string) {
	s.crash.arm(step, subject, nil)
}

// WaitCrash waits until the armed crash happened and the operator stopped.
func (s *Stack) WaitCrash(timeout time.Duration) error {
	s.crash.mu.Lock()
	crashed := s.crash.crashed
	s.crash.mu.Unlock()
	select {
	case <-crashed:
	case <-time.After(timeout):
		return fmt.Errorf("the operator did not reach the step to crash after within %s", timeout)
	}
	<-s.done
	s.cancel = nil
	return nil
}

// crashingConnector is the real engine connector with the crash switch on its steps.
type crashingConnector struct {
	engine.Connector
	crash *crashSwitch
}

// Connect implements engine.Connector.
func (c crashingConnector) Connect(ctx context.Context, ep engine.Endpoint) (engine.Admin, error) {
	admin, err := c.Connector.Connect(ctx, ep)
	if err != nil {
		return nil, err
	}
	return crashingAdmin{Admin: admin, crash: c.crash}, nil
}

// crashingAdmin is the real engine admin with the crash switch on its steps.
type crashingAdmin struct {
	engine.Admin
	crash *crashSwitch
}

// EnsureUser implements engine.Admin.
func (a crashingAdmin) EnsureUser(ctx context.Context, u engine.User) error {
	return a.crash.after("EnsureUser", u.Name, a.Admin.EnsureUser(ctx, u))
}

// EnsureDatabase implements engine.Admin.
func (a crashingAdmin) EnsureDatabase(ctx context.Context, d engine.Database) error {
	return a.crash.after("EnsureDatabase", d.Name, a.Admin.EnsureDatabase(ctx, d))
}
