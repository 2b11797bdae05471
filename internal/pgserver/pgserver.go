// Package pgserver runs a real PostgreSQL server set up the way Amazon RDS sets one up:
// an emulator-only superuser (rdsadmin) owns the cluster, the master user is an ordinary
// role with CREATEDB, CREATEROLE and membership of rds_superuser, TCP clients authenticate
// with SCRAM and may use TLS, and only rdsadmin may use the unix socket.
package pgserver

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"time"
)

// AdminUser is the superuser that owns the cluster, as on RDS. Only the emulator uses it,
// over the unix socket.
const AdminUser = "rdsadmin"

// readyTimeout bounds how long Start waits for the server to accept connections.
const readyTimeout = 60 * time.Second

// Options configures Start.
type Options struct {
	// Dir is the directory holding the data directory, the socket directory and the
	// server's log. It is created when absent.
	Dir string
	// MasterUser is the RDS master user name; it must not be AdminUser.
	MasterUser string
	// MasterPassword is the master user's password. It never appears in errors or logs.
	MasterPassword string
	// Port is the TCP port on loopback; 0 picks a free one.
	Port int
	// Log, when set, also receives the server's log output.
	Log io.Writer
}

// Server is a running PostgreSQL server.
type Server struct {
	// Host is the host name clients connect to over TCP.
	Host string
	// Port is the TCP port the server listens on.
	Port int
	// MasterUser is the master user name the server was set up with.
	MasterUser string

	bin       string
	dir       string
	dataDir   string
	socketDir string
	tmpSocket bool
	logPath   string
	cmd       *exec.Cmd
	logFile   *os.File
	exited    chan struct{}
	exitErr   error

	// replMu guards replPassword, the password of ReplicationUser once this server has
	// been the source of a replica.
	replMu       sync.Mutex
	replPassword string
}

// Start initialises a new cluster under opts.Dir, starts it and creates the RDS roles and
// the master user. The caller must Stop the server.
func Start(ctx context.Context, opts Options) (*Server, error) {
	if opts.MasterUser == "" || opts.MasterUser == AdminUser {
		return nil, fmt.Errorf("start postgres: invalid master user %q", opts.MasterUser)
	}
	bin, err := findBinDir()
	if err != nil {
		return nil, fmt.Errorf("start postgres: %w", err)
	}
	dir, err := filepath.Abs(opts.Dir)
	if err != nil {
		return nil, fmt.Errorf("start postgres: %w", err)
	}
	port := opts.Port
	if port == 0 {
		if port, err = pickPort(); err != nil {
			return nil, fmt.Errorf("start postgres: pick a port: %w", err)
		}
	}
	s := &Server{
		Host:       "localhost",
		Port:       port,
		MasterUser: opts.MasterUser,
		bin:        bin,
		dir:        dir,
		dataDir:    filepath.Join(dir, "data"),
		logPath:    filepath.Join(dir, "postgres.log"),
		exited:     make(chan struct{}),
	}
	owner, err := lookupOwner()
	if err != nil {
		return nil, fmt.Errorf("start postgres: %w", err)
	}
	if err := s.prepareDirs(owner); err != nil {
		return nil, fmt.Errorf("start postgres: %w", err)
	}
	if err := s.initdb(ctx, owner); err != nil {
		return nil, fmt.Errorf("start postgres: %w", err)
	}
	if err := s.configure(owner); err != nil {
		return nil, fmt.Errorf("start postgres: %w", err)
	}
	if err := s.run(ctx, owner, opts); err != nil {
		return nil, fmt.Errorf("start postgres: %w", err)
	}
	if err := s.bootstrapRoles(ctx, opts.MasterUser, opts.MasterPassword); err != nil {
		_ = s.Stop()
		return nil, fmt.Errorf("start postgres: %w", err)
	}
	return s, nil
}

// startAttempts is how many ports Start tries before giving up.
const startAttempts = 3

// run launches the configured server and waits until it accepts connections. A port
// picked free can be taken by another process before postgres binds it (tests start many
// servers at once): when postgres exits during start-up on a port it picked, run tries
// another one.
func (s *Server) run(ctx context.Context, owner *owner, opts Options) error {
	for attempt := 1; ; attempt++ {
		if err := s.launch(owner, opts.Log); err != nil {
			return err
		}
		err := s.waitReady(ctx)
		if err == nil {
			return nil
		}
		early := s.exitedEarly()
		_ = s.Stop()
		if !early || opts.Port != 0 || attempt == startAttempts {
			return fmt.Errorf("%w; log tail:\n%s", err, s.logTail())
		}
		if s.Port, err = pickPort(); err != nil {
			return fmt.Errorf("pick a port: %w", err)
		}
		if err := s.setPort(); err != nil {
			return err
		}
	}
}

// exitedEarly reports whether the last launched postgres process has exited.
func (s *Server) exitedEarly() bool {
	select {
	case <-s.exited:
		return true
	default:
		return false
	}
}

// launch starts the postgres process in the background.
func (s *Server) launch(owner *owner, log io.Writer) error {
	s.exited = make(chan struct{})
	f, err := os.OpenFile(s.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("open server log: %w", err)
	}
	var out io.Writer = f
	if log != nil {
		out = io.MultiWriter(f, log)
	}
	cmd := exec.Command(filepath.Join(s.bin, "postgres"), "-D", s.dataDir)
	cmd.Dir = s.dir
	cmd.Stdout = out
	cmd.Stderr = out
	cmd.SysProcAttr = owner.sysProcAttr()
	if err := cmd.Start(); err != nil {
		_ = f.Close()
		return fmt.Errorf("run postgres: %w", err)
	}
	s.cmd = cmd
	s.logFile = f
	go func() {
		s.exitErr = cmd.Wait()
		close(s.exited)
	}()
	return nil
}

// Stop shuts the server down with PostgreSQL's fast shutdown and waits for it to exit.
// Stopping a stopped server does nothing.
func (s *Server) Stop() error {
	if s.cmd == nil {
		return nil
	}
	select {
	case <-s.exited:
	default:
		if err := s.cmd.Process.Signal(syscall.SIGINT); err != nil && !errors.Is(err, os.ErrProcessDone) {
			return fmt.Errorf("stop postgres: %w", err)
		}
		select {
		case <-s.exited:
		case <-time.After(30 * time.Second):
			_ = s.cmd.Process.Kill()
			<-s.exited
		}
	}
	if s.logFile != nil {
		_ = s.logFile.Close()
		s.logFile = nil
	}
	if s.tmpSocket {
		_ = os.RemoveAll(s.socketDir)
	}
	return nil
}

// Dir is the directory holding the server's data, socket and log.
func (s *Server) Dir() string { return s.dir }

// SuperuserDSN is a connection string for AdminUser over the unix socket, for tests and
// the emulator's own administration.
func (s *Server) SuperuserDSN() string {
	return fmt.Sprintf("host=%s port=%d user=%s dbname=postgres sslmode=disable", s.socketDir, s.Port, AdminUser)
}

// pickPort chooses the port of a server started with Port 0 (a variable so a test can make
// it choose a taken one).
var pickPort = freePort

// freePort asks the kernel for a free loopback TCP port.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// logTail returns the last few kilobytes of the server log, for error messages.
func (s *Server) logTail() string {
	b, err := os.ReadFile(s.logPath)
	if err != nil {
		return "(no log: " + err.Error() + ")"
	}
	const max = 4096
	if len(b) > max {
		b = b[len(b)-max:]
	}
	return string(b)
}
