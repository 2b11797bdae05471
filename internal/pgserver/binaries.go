package pgserver

import (
	"errors"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
)

// findBinDir finds the directory of the PostgreSQL server binaries: the newest
// /usr/lib/postgresql/<major>/bin (Debian's layout), else the directory of postgres on PATH.
func findBinDir() (string, error) {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return majorOf(dirs[i]) > majorOf(dirs[j]) })
	for _, d := range dirs {
		if _, err := exec.LookPath(filepath.Join(d, "initdb")); err == nil {
			return d, nil
		}
	}
	p, err := exec.LookPath("initdb")
	if err != nil {
		return "", errors.New("no PostgreSQL server binaries (initdb) in /usr/lib/postgresql/*/bin or PATH")
	}
	return filepath.Dir(p), nil
}

// majorOf returns the major version in /usr/lib/postgresql/<major>/bin, or 0.
func majorOf(binDir string) int {
	n, err := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	if err != nil {
		return 0
	}
	return n
}
