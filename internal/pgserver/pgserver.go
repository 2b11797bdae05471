// Package pgserver runs a real PostgreSQL server set up the way Amazon RDS sets one up:
// an emulator-only superuser (rdsadmin) owns the cluster, the master user is an ordinary
// role with CREATEDB, CREATEROLE and membership of rds_superuser, TCP clients authenticate
// with SCRAM and may use TLS, and only rdsadmin (and, with IAM database authentication,
// the members of rds_iam) may use the unix socket.
package pgserver

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"

	"github.com/matrixmind-cloud/aws-rds-operator/internal/serverproc"
)

// AdminUser is the superuser that owns the cluster, as on RDS. Only the emulator uses it,
// over the unix socket.
const AdminUser = "rdsadmin"

// systemUser is the system user the server runs as when this process is root: PostgreSQL
// refuses to run as root.
const systemUser = "postgres"

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
	// Address is the loopback address the server listens on over TCP, e.g. 127.18.4.2,
	// so that servers on different addresses can share a port (as Cloud SQL instances all
	// serve 5432, each on its own address). Empty means localhost (127.0.0.1 and ::1).
	Address string
	// Log, when set, also receives the server's log output.
	Log io.Writer
	// Major is the PostgreSQL major version to run, e.g. 17; 0 runs Builds.Default.
	Major int
	// Builds are the builds to choose from; nil means DefaultBuilds.
	Builds *Builds
	// CA signs the server's TLS certificate, as the cloud's CA signs a managed database's;
	// nil makes it self-signed. A replica or a restored server keeps the certificate its
	// data directory was copied with.
	CA *serverproc.CA
	// IAM sets the server up for IAM database authentication as RDS sets one up: the role
	// IAMRole, which rds_superuser administers, and access rules under which its members
	// log in without a password over the unix socket and from TokenAddress (for the front
	// that checked their token, package pgfront) and never with a password over TCP. A replica or a restored
	// server has the roles and rules of the data directory it was copied from; an upgraded
	// server is set up as the server it upgrades.
	IAM bool

	// logDir is the directory of the server's own log; empty means Dir/log. Upgrade gives
	// the new server the log directory of the server it upgrades, so that the instance's log
	// goes on across the upgrade.
	logDir string
}

// Server is a running PostgreSQL server.
type Server struct {
	// Host is the host name clients connect to over TCP.
	Host string
	// Port is the TCP port the server listens on.
	Port int
	// MasterUser is the master user name the server was set up with.
	MasterUser string
	// Build is the PostgreSQL build the server runs.
	Build Build

	ca  *serverproc.CA
	bin string
	// clientBin holds the client programs Dump and Restore run: the machine's PostgreSQL
	// (the builds per major have none); empty when the machine has none.
	clientBin string
	owner     *serverproc.Owner
	dir       string
	dataDir   string
	logDir    string
	socketDir string
	tmpSocket bool
	proc      serverproc.Process

	// replMu guards replPassword, the password of ReplicationUser once this server has
	// been the source of a replica.
	replMu       sync.Mutex
	replPassword string

	// iam is Options.IAM, which an upgrade carries to the new server.
	iam bool
	// tlsMu guards tlsConfig, the server's certificate once TLSConfig has read it.
	tlsMu     sync.Mutex
	tlsConfig *tls.Config
}

// Start initialises a new cluster under opts.Dir, starts it and creates the RDS roles and
// the master user. The caller must Stop the server.
func Start(ctx context.Context, opts Options) (*Server, error) {
	if opts.MasterUser == "" || opts.MasterUser == AdminUser {
		return nil, fmt.Errorf("start postgres: invalid master user %q", opts.MasterUser)
	}
	builds, err := opts.builds()
	if err != nil {
		return nil, fmt.Errorf("start postgres: %w", err)
	}
	build, err := builds.ForMajor(opts.Major)
	if err != nil {
		return nil, fmt.Errorf("start postgres: %w", err)
	}
	s, owner, err := newServer(opts, opts.MasterUser, build, builds)
	if err != nil {
		return nil, fmt.Errorf("start postgres: %w", err)
	}
	if err := s.initdb(ctx, owner); err != nil {
		return nil, fmt.Errorf("start postgres: %w", err)
	}
	if err := s.configure(owner); err != nil {
		return nil, fmt.Errorf("start postgres: %w", err)
	}
	if err := s.run(ctx, opts); err != nil {
		return nil, fmt.Errorf("start postgres: %w", err)
	}
	if err := s.bootstrapRoles(ctx, opts.MasterUser, opts.MasterPassword); err != nil {
		_ = s.Stop()
		return nil, fmt.Errorf("start postgres: %w", err)
	}
	return s, nil
}

// builds returns opts.Builds, or DefaultBuilds.
func (opts Options) builds() (*Builds, error) {
	if opts.Builds != nil {
		return opts.Builds, nil
	}
	return DefaultBuilds()
}

// newServer lays out a server with the given master user and build under opts.Dir, on
// opts.Port or a free port: its directories made, not yet initialised nor running. It
// returns the system user the server runs as too.
func newServer(opts Options, master string, build Build, builds *Builds) (*Server, *serverproc.Owner, error) {
	dir, err := filepath.Abs(opts.Dir)
	if err != nil {
		return nil, nil, err
	}
	port := opts.Port
	if port == 0 {
		if port, err = pickPort(); err != nil {
			return nil, nil, fmt.Errorf("pick a port: %w", err)
		}
	}
	host := "localhost"
	if opts.Address != "" {
		host = opts.Address
	}
	s := &Server{
		ca:         opts.CA,
		Host:       host,
		Port:       port,
		MasterUser: master,
		Build:      build,
		bin:        build.Bin,
		dir:        dir,
		dataDir:    filepath.Join(dir, "data"),
		logDir:     opts.logDir,
		iam:        opts.IAM,
	}
	if s.logDir == "" {
		s.logDir = defaultLogDir(dir)
	}
	if builds.machine != nil {
		s.clientBin = builds.machine.Bin
	}
	owner, err := serverproc.LookupOwner(systemUser, "")
	if err != nil {
		return nil, nil, err
	}
	s.owner = owner
	// A build kept under root's home (the cache of hack/postgres.sh) must be reachable by
	// the system user the server runs as, as its data directory is.
	if build.Bin != "" {
		if err := owner.MakeReachable(filepath.Dir(build.Bin)); err != nil {
			return nil, nil, err
		}
	}
	s.proc = serverproc.Process{
		Command: func() *exec.Cmd {
			cmd := exec.Command(filepath.Join(s.bin, "postgres"), "-D", s.dataDir)
			cmd.Dir = s.dir
			cmd.SysProcAttr = owner.SysProcAttr()
			return cmd
		},
		// Once the logging collector runs, the server's messages go to its own log files
		// (logs.go); only what it says before goes here.
		LogPath: filepath.Join(dir, "postgres.log"),
		LogDir:  s.logDir,
		Log:     opts.Log,
		// SIGINT is PostgreSQL's fast shutdown.
		StopSignal: syscall.SIGINT,
	}
	if err := owner.MakeDirs(s.dir, s.dataDir); err != nil {
		return nil, nil, err
	}
	if err := owner.MakeLogDir(s.logDir, errorLogDir); err != nil {
		return nil, nil, err
	}
	if s.socketDir, s.tmpSocket, err = owner.MakeSocketDir(s.dir, ".s.PGSQL.65535", "pgs"); err != nil {
		return nil, nil, err
	}
	return s, owner, nil
}

// run launches the configured server and waits until it accepts connections, moving it
// to another port when the one it picked was taken. A failed start leaves no process and
// no temporary socket directory behind.
func (s *Server) run(ctx context.Context, opts Options) error {
	movePort := func() error {
		port, err := pickPort()
		if err != nil {
			return fmt.Errorf("pick a port: %w", err)
		}
		s.Port = port
		return s.setPort()
	}
	if err := s.proc.Run(ctx, s.ping, opts.Port == 0, movePort); err != nil {
		_ = s.Stop()
		return err
	}
	return nil
}

// Stop shuts the server down with PostgreSQL's fast shutdown and waits for it to exit.
// Stopping a stopped server does nothing.
func (s *Server) Stop() error {
	if err := s.proc.Stop(); err != nil {
		return fmt.Errorf("stop postgres: %w", err)
	}
	if s.tmpSocket {
		_ = os.RemoveAll(s.socketDir)
	}
	return nil
}

// Dir is the directory holding the server's data, socket and log (the log directory may
// be another, see LogDir).
func (s *Server) Dir() string { return s.dir }

// SuperuserDSN is a connection string for AdminUser over the unix socket, for tests and
// the emulator's own administration.
func (s *Server) SuperuserDSN() string {
	return fmt.Sprintf("host=%s port=%d user=%s dbname=postgres sslmode=disable", s.socketDir, s.Port, AdminUser)
}

// pickPort chooses the port of a server started with Port 0 (a variable so a test can make
// it choose a taken one).
var pickPort = serverproc.FreePort
