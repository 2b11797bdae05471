package pgserver

import (
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"syscall"
)

// owner is the system user the server runs as. PostgreSQL refuses to run as root, so when
// this process is root the server runs as the "postgres" system user.
type owner struct {
	uid, gid int
	switched bool
}

// lookupOwner picks the user the server runs as.
func lookupOwner() (*owner, error) {
	if os.Geteuid() != 0 {
		return &owner{uid: os.Geteuid(), gid: os.Getegid()}, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("running as root needs a postgres system user: %w", err)
	}
	uid, err := strconv.Atoi(u.Uid)
	if err != nil {
		return nil, fmt.Errorf("uid of postgres: %w", err)
	}
	gid, err := strconv.Atoi(u.Gid)
	if err != nil {
		return nil, fmt.Errorf("gid of postgres: %w", err)
	}
	return &owner{uid: uid, gid: gid, switched: true}, nil
}

// sysProcAttr makes a child process run as the owner, in its own process group so that a
// terminal's Ctrl-C reaches only the emulator, which then stops the server in order.
func (o *owner) sysProcAttr() *syscall.SysProcAttr {
	a := &syscall.SysProcAttr{Setpgid: true}
	if o.switched {
		a.Credential = &syscall.Credential{Uid: uint32(o.uid), Gid: uint32(o.gid)}
	}
	return a
}

// chown gives path to the owner.
func (o *owner) chown(path string) error {
	if !o.switched {
		return nil
	}
	return os.Chown(path, o.uid, o.gid)
}

// prepareDirs creates the server's directories, owned by the owner, and makes every
// parent traversable so that the owner can reach them.
func (s *Server) prepareDirs(o *owner) error {
	if err := os.MkdirAll(s.dir, 0o755); err != nil {
		return fmt.Errorf("create %s: %w", s.dir, err)
	}
	if o.switched {
		if err := makeTraversable(s.dir); err != nil {
			return err
		}
	}
	if err := os.Mkdir(s.dataDir, 0o700); err != nil {
		return fmt.Errorf("create data directory: %w", err)
	}
	if err := o.chown(s.dataDir); err != nil {
		return fmt.Errorf("chown data directory: %w", err)
	}
	// A unix socket path is limited to 107 bytes; fall back to /tmp for deep directories.
	sock := filepath.Join(s.dir, "s")
	if len(sock)+len("/.s.PGSQL.65535") > 100 {
		d, err := os.MkdirTemp("", "pgs")
		if err != nil {
			return fmt.Errorf("create socket directory: %w", err)
		}
		sock = d
		s.tmpSocket = true
	} else if err := os.Mkdir(sock, 0o755); err != nil {
		return fmt.Errorf("create socket directory: %w", err)
	}
	if err := os.Chmod(sock, 0o755); err != nil {
		return fmt.Errorf("chmod socket directory: %w", err)
	}
	if err := o.chown(sock); err != nil {
		return fmt.Errorf("chown socket directory: %w", err)
	}
	s.socketDir = sock
	return nil
}

// makeTraversable adds search permission for others on dir and each of its parents.
func makeTraversable(dir string) error {
	for d := dir; ; d = filepath.Dir(d) {
		fi, err := os.Stat(d)
		if err != nil {
			return fmt.Errorf("stat %s: %w", d, err)
		}
		if fi.Mode().Perm()&0o001 == 0 {
			if err := os.Chmod(d, fi.Mode().Perm()|0o011); err != nil {
				return fmt.Errorf("make %s traversable: %w", d, err)
			}
		}
		if d == filepath.Dir(d) {
			return nil
		}
	}
}
