// Package serverproc runs a database server program the way Amazon RDS-like test servers
// need it: as an unprivileged system user that owns the data, in its own process group
// with its output in a log file, on a free loopback port (trying another when the one it
// picked was taken meanwhile), and with a self-signed TLS certificate. It knows nothing of
// any engine: packages pgserver and mariaserver build on it.
package serverproc

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"time"
)

// stopTimeout bounds how long Stop waits for the server to shut down before killing it (a
// variable so that a test need not wait that long).
var stopTimeout = 30 * time.Second

// logTailSize is how much of the end of the log LogTail returns.
const logTailSize = 4096

// Process is a server program run in the background, its output appended to a log file.
// Set Command, LogPath and StopSignal, then Launch or Run it; the same Process may be
// launched again once it has stopped.
type Process struct {
	// Command builds the server's command for one launch: program, arguments, working
	// directory and SysProcAttr (usually Owner.SysProcAttr). Its output goes to the log.
	Command func() *exec.Cmd
	// LogPath is the file the server's output is appended to (created 0644 when absent).
	LogPath string
	// Log, when set, also receives the server's output.
	Log io.Writer
	// StopSignal asks the server to shut down cleanly.
	StopSignal os.Signal
	// LogDir, when set, is the directory the server writes its own log files into (see
	// ListLogFiles): once it does, its messages are there rather than in LogPath, so
	// LogTail shows the end of the newest of them too.
	LogDir string

	cmd     *exec.Cmd
	logFile *os.File
	exited  chan struct{}
	exitErr error
}

// Launch starts the server in the background.
func (p *Process) Launch() error {
	f, err := os.OpenFile(p.LogPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("open server log: %w", err)
	}
	var out io.Writer = f
	if p.Log != nil {
		out = io.MultiWriter(f, p.Log)
	}
	cmd := p.Command()
	cmd.Stdout = out
	cmd.Stderr = out
	if err := cmd.Start(); err != nil {
		_ = f.Close()
		return fmt.Errorf("run %s: %w", filepath.Base(cmd.Path), err)
	}
	exited := make(chan struct{})
	p.cmd, p.logFile, p.exited, p.exitErr = cmd, f, exited, nil
	go func() {
		p.exitErr = cmd.Wait()
		close(exited)
	}()
	return nil
}

// Exited is closed when the last launched server process has exited; ExitErr then says how.
func (p *Process) Exited() <-chan struct{} { return p.exited }

// ExitErr is how the last launched server process exited, once Exited is closed.
func (p *Process) ExitErr() error { return p.exitErr }

// Pid is the process id of the last launched server process, 0 before the first Launch.
func (p *Process) Pid() int {
	if p.cmd == nil {
		return 0
	}
	return p.cmd.Process.Pid
}

// hasExited reports whether the last launched server process has exited.
func (p *Process) hasExited() bool {
	select {
	case <-p.exited:
		return true
	default:
		return false
	}
}

// Stop asks the server to shut down with StopSignal and waits for it to exit, killing it
// when it has not after 30 seconds, then closes the log. Stopping a stopped or never
// launched server does nothing. The error is that of sending the signal, unwrapped.
func (p *Process) Stop() error {
	if p.cmd == nil {
		return nil
	}
	if !p.hasExited() {
		if err := p.cmd.Process.Signal(p.StopSignal); err != nil && !errors.Is(err, os.ErrProcessDone) {
			return err
		}
		select {
		case <-p.exited:
		case <-time.After(stopTimeout):
			_ = p.cmd.Process.Kill()
			<-p.exited
		}
	}
	if p.logFile != nil {
		_ = p.logFile.Close()
		p.logFile = nil
	}
	return nil
}

// LogTail returns the last few kilobytes of the server log, for error messages: of its
// output, and of the newest file of its own log when it has a LogDir.
func (p *Process) LogTail() string {
	b, err := os.ReadFile(p.LogPath)
	if err != nil {
		return "(no log: " + err.Error() + ")"
	}
	if len(b) > logTailSize {
		b = b[len(b)-logTailSize:]
	}
	if p.LogDir == "" {
		return string(b)
	}
	if own := newestLogTail(p.LogDir); own != "" {
		return string(b) + "\n" + own
	}
	return string(b)
}
