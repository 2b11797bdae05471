package serverproc

import (
	"errors"
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"syscall"
)

// Owner is the system user a server runs as and owns its data as.
type Owner struct {
	// UID and GID are the user's ids.
	UID, GID int
	// Name is the user's name; it is set only when Switched.
	Name string
	// Switched is true when the server runs as another user than this process.
	Switched bool
}

// LookupOwner picks the user a server runs as: this process's user, or, when this process
// is root, the system user named systemUser, since database servers refuse to run as root
// (and running them unprivileged is safer anyway). hint, when set, tells in the error where
// a missing systemUser comes from.
func LookupOwner(systemUser, hint string) (*Owner, error) {
	if os.Geteuid() != 0 {
		return &Owner{UID: os.Geteuid(), GID: os.Getegid()}, nil
	}
	u, err := user.Lookup(systemUser)
	if err != nil {
		if hint != "" {
			return nil, fmt.Errorf("running as root needs a %s system user (%s): %w", systemUser, hint, err)
		}
		return nil, fmt.Errorf("running as root needs a %s system user: %w", systemUser, err)
	}
	uid, err := strconv.Atoi(u.Uid)
	if err != nil {
		return nil, fmt.Errorf("uid of %s: %w", systemUser, err)
	}
	gid, err := strconv.Atoi(u.Gid)
	if err != nil {
		return nil, fmt.Errorf("gid of %s: %w", systemUser, err)
	}
	return &Owner{UID: uid, GID: gid, Name: systemUser, Switched: true}, nil
}

// SysProcAttr makes a child process run as the owner, in its own process group so that a
// terminal's Ctrl-C reaches only this process, which then stops the server in order.
func (o *Owner) SysProcAttr() *syscall.SysProcAttr {
	a := &syscall.SysProcAttr{Setpgid: true}
	if o.Switched {
		a.Credential = &syscall.Credential{Uid: uint32(o.UID), Gid: uint32(o.GID)}
	}
	return a
}

// Chown gives path to the owner; it does nothing when the owner is this process's user.
func (o *Owner) Chown(path string) error {
	if !o.Switched {
		return nil
	}
	return os.Chown(path, o.UID, o.GID)
}

// MakeDirs creates a server's directory dir (0755, created when absent), which stays this
// process's, and its data directory dataDir (0700, which must not exist yet), which
// belongs to the owner. When the owner is another user, dir and each of its parents are
// made traversable so that the owner can reach its files.
func (o *Owner) MakeDirs(dir, dataDir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create %s: %w", dir, err)
	}
	if o.Switched {
		if err := makeTraversable(dir); err != nil {
			return err
		}
	}
	if err := os.Mkdir(dataDir, 0o700); err != nil {
		return fmt.Errorf("create data directory: %w", err)
	}
	if err := o.Chown(dataDir); err != nil {
		return fmt.Errorf("chown data directory: %w", err)
	}
	return nil
}

// MakeReachable gives others search permission on dir and each of its parents when the
// owner is another user than this process, so that the owner can reach what is in dir
// (server programs kept under root's home, say), as MakeDirs does for a data directory.
func (o *Owner) MakeReachable(dir string) error {
	if !o.Switched {
		return nil
	}
	return makeTraversable(dir)
}

// maxSocketPath is the longest unix socket path MakeSocketDir leaves in dir; the kernel's
// limit is 107 bytes.
const maxSocketPath = 100

// MakeSocketDir creates the owner's directory (0755) for a server's unix socket, socket
// being the longest name the server gives a file in it: dir/s, or a new temporary
// directory named tmpPrefix* when that path would be too long for a unix socket. tmp
// reports the latter: the caller removes that directory when the server stops. On error
// there is nothing to remove.
func (o *Owner) MakeSocketDir(dir, socket, tmpPrefix string) (path string, tmp bool, err error) {
	path = filepath.Join(dir, "s")
	if len(path)+len("/"+socket) > maxSocketPath {
		if path, err = os.MkdirTemp("", tmpPrefix); err != nil {
			return "", false, fmt.Errorf("create socket directory: %w", err)
		}
		tmp = true
	} else if err := os.Mkdir(path, 0o755); err != nil {
		return "", false, fmt.Errorf("create socket directory: %w", err)
	}
	if err := os.Chmod(path, 0o755); err != nil {
		return "", false, removeTmp(path, tmp, fmt.Errorf("chmod socket directory: %w", err))
	}
	if err := o.Chown(path); err != nil {
		return "", false, removeTmp(path, tmp, fmt.Errorf("chown socket directory: %w", err))
	}
	return path, tmp, nil
}

// removeTmp removes the temporary directory path, when tmp, on the way out of err.
func removeTmp(path string, tmp bool, err error) error {
	if tmp {
		if rerr := os.RemoveAll(path); rerr != nil {
			return errors.Join(err, rerr)
		}
	}
	return err
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
