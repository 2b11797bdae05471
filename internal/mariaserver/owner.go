package mariaserver

import (
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"syscall"
)

// systemUser is the system user the server runs as when this process is root: mariadbd
// refuses to run as root without --user, and running it unprivileged is safer anyway.
const systemUser = "mysql"

// owner is the system user the server runs as.
type owner struct {
	uid, gid int
	name     string
	switched bool
}

// lookupOwner picks the user the server runs as: this process's user, or the mysql system
// user when this process is root.
func lookupOwner() (*owner, error) {
	if os.Geteuid() != 0 {
		u, err := user.Current()
		if err != nil {
			return nil, fmt.Errorf("current user: %w", err)
		}
		return &owner{uid: os.Geteuid(), gid: os.Getegid(), name: u.Username}, nil
	}
	u, err := user.Lookup(systemUser)
	if err != nil {
		return nil, fmt.Errorf("running as root needs a %s system user (the mariadb-server package creates it): %w", systemUser, err)
	}
	uid, err := strconv.Atoi(u.Uid)
	if err != nil {
		return nil, fmt.Errorf("uid of %s: %w", systemUser, err)
	}
	gid, err := strconv.Atoi(u.Gid)
	if err != nil {
		return nil, fmt.Errorf("gid of %s: %w", systemUser, err)
	}
	return &owner{uid: uid, gid: gid, name: systemUser, switched: true}, nil
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

// prepareDirs creates the server's directories: the data and socket directories belong to
// the owner; the directory itself, with the configuration, certificate and the client
// option file that holds AdminUser's password, stays this process's.
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
	if len(sock)+len("/"+socketName) > 100 {
		d, err := os.MkdirTemp("", "mds")
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
