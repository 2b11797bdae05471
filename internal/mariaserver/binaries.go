package mariaserver

import (
	"fmt"
	"os/exec"
	"path/filepath"
)

// binaries are the MariaDB programs a server needs.
type binaries struct {
	server, installDB, client, dump string
}

// searchDirs are where distributions put MariaDB's programs when they are not on PATH
// (Debian puts mariadbd in /usr/sbin, which an ordinary user's PATH often lacks).
var searchDirs = []string{"/usr/sbin", "/usr/bin", "/usr/local/mysql/bin", "/usr/local/bin"}

// findBinaries finds mariadbd, mariadb-install-db, mariadb and mariadb-dump.
func findBinaries() (*binaries, error) {
	var b binaries
	for _, p := range []struct {
		dst  *string
		name string
	}{{&b.server, "mariadbd"}, {&b.installDB, "mariadb-install-db"}, {&b.client, "mariadb"}, {&b.dump, "mariadb-dump"}} {
		path, err := lookPath(p.name)
		if err != nil {
			return nil, err
		}
		*p.dst = path
	}
	return &b, nil
}

func lookPath(name string) (string, error) {
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	for _, d := range searchDirs {
		if p, err := exec.LookPath(filepath.Join(d, name)); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("no MariaDB program %s on PATH or in %v (hack/deps.sh installs mariadb-server and mariadb-client)", name, searchDirs)
}

// Installed reports whether the MariaDB server and client programs are installed, so that
// tests can say why they skip.
func Installed() error {
	_, err := findBinaries()
	return err
}
