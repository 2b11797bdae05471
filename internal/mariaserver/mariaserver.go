// Package mariaserver runs a real MariaDB server set up the way Amazon RDS sets up MySQL
// and MariaDB: an emulator-only superuser (rdsadmin) that can log in over the unix socket
// only, and a master user '<master>'@'%' with RDS's master privileges WITH GRANT OPTION
// but without SUPER, FILE or SHUTDOWN. TCP clients reach it on loopback and may use TLS.
// It is the MySQL counterpart of package pgserver.
package mariaserver

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"database/sql"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/matrixmind-cloud/aws-rds-operator/internal/serverproc"
)

// AdminUser is the superuser of the server, as on RDS. Only the emulator uses it, over the
// unix socket ('rdsadmin'@'localhost' matches socket connections only, since the server
// resolves no host names).
const AdminUser = "rdsadmin"

// systemUser is the system user the server runs as when this process is root: mariadbd
// refuses to run as root without --user, and running it unprivileged is safer anyway.
const systemUser = "mysql"

// socketName is the server's unix socket inside its socket directory.
const socketName = "mysqld.sock"

// Options configures Start.
type Options struct {
	// Dir is the directory holding the data directory, the socket directory, the
	// configuration and the server's log. It is created when absent.
	Dir string
	// MasterUser is the RDS master user name; it must not be AdminUser.
	MasterUser string
	// MasterPassword is the master user's password. It never appears in errors or logs: the
	// server only ever sees its hash.
	MasterPassword string
	// Port is the TCP port on loopback; 0 picks a free one.
	Port int
	// Address is the loopback address the server listens on over TCP, e.g. 127.18.4.2,
	// so that servers on different addresses can share a port (as Cloud SQL instances all
	// serve 3306, each on its own address). Empty means 127.0.0.1.
	Address string
	// Log, when set, also receives the server's log output.
	Log io.Writer
	// CA signs the server's TLS certificate, as the cloud's CA signs a managed database's;
	// nil makes it self-signed.
	CA *serverproc.CA
}

// Server is a running MariaDB server.
type Server struct {
	// Host is the host name clients connect to over TCP.
	Host string
	// Port is the TCP port the server listens on.
	Port int
	// MasterUser is the master user name the server was set up with.
	MasterUser string

	// address is the address the server binds (bind-address).
	address       string
	ca            *serverproc.CA
	bin           *binaries
	dir           string
	dataDir       string
	logDir        string
	socketDir     string
	tmpSocket     bool
	confPath      string
	clientConf    string
	adminPassword string
	// serverID identifies the server in replication; every server has its own.
	serverID uint32
	// repl is the account replicas of this server replicate as.
	repl replication
	// params are the variables set beyond the option file's base settings (params.go).
	params parameters
	proc   serverproc.Process

	// tlsMu guards tlsConfig, the server's certificate as TLSConfig loaded it.
	tlsMu     sync.Mutex
	tlsConfig *tls.Config
}

// Start initialises a new data directory under opts.Dir with AdminUser and the master
// user, and starts the server. The caller must Stop the server.
func Start(ctx context.Context, opts Options) (*Server, error) {
	if opts.MasterUser == "" || opts.MasterUser == AdminUser {
		return nil, fmt.Errorf("start mariadb: invalid master user %q", opts.MasterUser)
	}
	bin, err := findBinaries()
	if err != nil {
		return nil, fmt.Errorf("start mariadb: %w", err)
	}
	dir, err := filepath.Abs(opts.Dir)
	if err != nil {
		return nil, fmt.Errorf("start mariadb: %w", err)
	}
	port := opts.Port
	if port == 0 {
		if port, err = pickPort(); err != nil {
			return nil, fmt.Errorf("start mariadb: pick a port: %w", err)
		}
	}
	s := &Server{
		ca:            opts.CA,
		Host:          "localhost",
		address:       "127.0.0.1",
		Port:          port,
		MasterUser:    opts.MasterUser,
		bin:           bin,
		dir:           dir,
		dataDir:       filepath.Join(dir, "data"),
		logDir:        filepath.Join(dir, "log"),
		confPath:      filepath.Join(dir, "my.cnf"),
		clientConf:    filepath.Join(dir, "rdsadmin.cnf"),
		adminPassword: randomPassword(),
		serverID:      randomServerID(),
	}
	if opts.Address != "" {
		s.Host, s.address = opts.Address, opts.Address
	}
	owner, err := serverproc.LookupOwner(systemUser, "the mariadb-server package creates it")
	if err != nil {
		return nil, fmt.Errorf("start mariadb: %w", err)
	}
	s.proc = serverproc.Process{
		Command: func() *exec.Cmd {
			// --defaults-file must come first; it makes the server read no other option file.
			cmd := exec.Command(s.bin.server, "--defaults-file="+s.confPath)
			cmd.Dir = s.dir
			cmd.SysProcAttr = owner.SysProcAttr()
			return cmd
		},
		// The server writes its error log into its log directory (logs.go); only what it
		// says before it opens that file, and what mariadbd's wrapper says, goes to its
		// stderr, which goes to the log file here (a file the owner need not be able to
		// open).
		LogPath:    filepath.Join(dir, "mariadb.log"),
		LogDir:     s.logDir,
		Log:        opts.Log,
		StopSignal: syscall.SIGTERM,
	}
	if err := s.prepareDirs(owner); err != nil {
		return nil, fmt.Errorf("start mariadb: %w", err)
	}
	if err := s.configure(owner); err != nil {
		return nil, fmt.Errorf("start mariadb: %w", err)
	}
	if err := s.installDB(ctx, owner, opts.MasterPassword); err != nil {
		return nil, fmt.Errorf("start mariadb: %w", err)
	}
	movePort := func() error {
		port, err := pickPort()
		if err != nil {
			return fmt.Errorf("pick a port: %w", err)
		}
		s.Port = port
		return s.writeServerConf()
	}
	if err := s.proc.Run(ctx, s.ping, opts.Port == 0, movePort); err != nil {
		_ = s.Stop()
		return nil, fmt.Errorf("start mariadb: %w", err)
	}
	return s, nil
}

// prepareDirs creates the server's directories: the data, log and socket directories belong to
// the owner; the directory itself, with the configuration, certificate and the client
// option file that holds AdminUser's password, stays this process's.
func (s *Server) prepareDirs(o *serverproc.Owner) error {
	if err := o.MakeDirs(s.dir, s.dataDir); err != nil {
		return err
	}
	if err := o.MakeLogDir(s.logDir, errorLogDir); err != nil {
		return err
	}
	var err error
	s.socketDir, s.tmpSocket, err = o.MakeSocketDir(s.dir, socketName, "mds")
	return err
}

// Stop shuts the server down cleanly (SIGTERM) and waits for the process to exit, killing
// it if it takes too long. Stopping a stopped server does nothing.
func (s *Server) Stop() error {
	if err := s.proc.Stop(); err != nil {
		return fmt.Errorf("stop mariadb: %w", err)
	}
	if s.tmpSocket {
		_ = os.RemoveAll(s.socketDir)
	}
	return nil
}

// Dir is the directory holding the server's data, socket, configuration and log (LogDir).
func (s *Server) Dir() string { return s.dir }

// SuperuserDSN is a go-sql-driver/mysql data source name for AdminUser over the unix
// socket, for tests and the emulator's own administration. It holds AdminUser's password:
// never log it.
func (s *Server) SuperuserDSN() string {
	return s.adminConfig().FormatDSN()
}

// adminConfig is the driver configuration of a session as AdminUser.
func (s *Server) adminConfig() *mysql.Config {
	cfg := mysql.NewConfig()
	cfg.User = AdminUser
	cfg.Passwd = s.adminPassword
	cfg.Net = "unix"
	cfg.Addr = filepath.Join(s.socketDir, socketName)
	cfg.Timeout = 10 * time.Second
	return cfg
}

// adminDB opens a single-connection pool as AdminUser over the unix socket.
func (s *Server) adminDB() (*sql.DB, error) {
	c, err := mysql.NewConnector(s.adminConfig())
	if err != nil {
		return nil, fmt.Errorf("connect as %s: %w", AdminUser, err)
	}
	db := sql.OpenDB(c)
	db.SetMaxOpenConns(1)
	return db, nil
}

// pickPort chooses the port of a server started with Port 0 (a variable so a test can make
// it choose a taken one).
var pickPort = serverproc.FreePort

// randomPassword returns AdminUser's password: 128 random bits, hex-encoded.
func randomPassword() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// randomServerID returns a server id for replication: 1 to 2^32-1, random so that no two
// servers of one machine are likely to share one.
func randomServerID() uint32 {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return binary.BigEndian.Uint32(b)%(1<<32-1) + 1
}
