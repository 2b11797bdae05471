package localstack

import (
	"time"

	"github.com/matrixmind-cloud/aws-rds-operator/internal/serverproc"
)

// Process is a child process started the way the stack starts its own: in its own process
// group, its output in a log file. Other harnesses (the soak test) use it to run the
// operator binary and to kill it outright.
type Process struct {
	c *child
}

// StartProcess starts path with args and env, its stdout and stderr written to logPath.
func StartProcess(name, logPath string, env []string, path string, args ...string) (*Process, error) {
	c, err := startChild(name, logPath, env, path, args...)
	if err != nil {
		return nil, err
	}
	return &Process{c: c}, nil
}

// Exited is closed when the process has exited.
func (p *Process) Exited() <-chan struct{} { return p.c.exited() }

// Kill sends SIGKILL to the process and everything in its group, as an out-of-memory kill
// or a node failure would end it, and waits until it has exited.
func (p *Process) Kill() {
	p.c.killGroup()
	<-p.c.exited()
}

// Stop asks the process to end with SIGTERM and kills its group after timeout.
func (p *Process) Stop(timeout time.Duration) error { return p.c.stop(timeout) }

// LogTail returns the last n lines of the process's log.
func (p *Process) LogTail(n int) string { return p.c.logTail(n) }

// FreePort returns a free TCP port on 127.0.0.1 for a child to bind.
func FreePort() (int, error) { return serverproc.FreePort() }
