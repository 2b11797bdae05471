package localstack

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

// child is a process the stack started and owns. It runs in its own process group, so a
// Ctrl-C in the terminal reaches only local-stack, which then stops the children in order,
// and so a forced stop also takes down whatever the child started (database servers).
type child struct {
	name    string
	logPath string
	cmd     *exec.Cmd
	done    chan struct{}
	err     error // the result of Wait; read only after done is closed
}

// startChild starts path with args and env, its stdout and stderr appended to logPath.
func startChild(name, logPath string, env []string, path string, args ...string) (*child, error) {
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, fmt.Errorf("create %s log: %w", name, err)
	}
	cmd := exec.Command(path, args...)
	cmd.Env = env
	cmd.Stdout = logFile
	cmd.Stderr = logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		_ = logFile.Close()
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	c := &child{name: name, logPath: logPath, cmd: cmd, done: make(chan struct{})}
	go func() {
		c.err = cmd.Wait()
		_ = logFile.Close()
		close(c.done)
	}()
	return c, nil
}

// exited is closed when the process has exited.
func (c *child) exited() <-chan struct{} { return c.done }

// exitErr is how the process ended; call it only after exited is closed.
func (c *child) exitErr() error {
	if c.err == nil {
		return errors.New("exit status 0")
	}
	return c.err
}

// stop asks the process to end with SIGTERM and waits up to timeout, then kills its whole
// process group. A process that already exited is not an error: the stack reported it when
// it happened. Whatever the child left in its group is killed either way.
func (c *child) stop(timeout time.Duration) error {
	defer c.killGroup()
	select {
	case <-c.done:
		return nil
	default:
	}
	if err := c.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("signal %s: %w", c.name, err)
	}
	select {
	case <-c.done:
		return nil
	case <-time.After(timeout):
	}
	c.killGroup()
	select {
	case <-c.done:
		return fmt.Errorf("%s did not stop within %s after SIGTERM and was killed", c.name, timeout)
	case <-time.After(5 * time.Second):
		return fmt.Errorf("%s (pid %d) survived SIGKILL", c.name, c.cmd.Process.Pid)
	}
}

// logTail returns the last n lines of the child's log, for an error message that shows why
// it died without sending the user to the file.
func (c *child) logTail(n int) string {
	out, err := os.ReadFile(c.logPath)
	if err != nil {
		return ""
	}
	return lastLines(out, n)
}

// lastLines returns the last n lines of out, without the final newline.
func lastLines(out []byte, n int) string {
	lines := strings.Split(strings.TrimRight(string(out), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// killGroup sends SIGKILL to the child's process group; ESRCH (nothing left) is the
// expected outcome after a clean stop.
func (c *child) killGroup() {
	_ = syscall.Kill(-c.cmd.Process.Pid, syscall.SIGKILL)
}
