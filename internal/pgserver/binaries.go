package pgserver

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// EnvBuilds names the directory of PostgreSQL server builds, one per major version:
// <dir>/<major>/bin/{initdb,postgres} with their lib and share beside bin, as
// hack/postgres.sh fetches them.
const EnvBuilds = "AWS_RDS_OPERATOR_POSTGRES"

// Build is one PostgreSQL server build: initdb and postgres in Bin.
type Build struct {
	// Major is the major version, e.g. 17.
	Major int
	// Version is the version postgres -V reports, e.g. 17.10.
	Version string
	// Bin is the directory of the build's programs.
	Bin string
}

// Builds are the PostgreSQL server builds a server can start with: a set of one build per
// major version (EnvBuilds), and the machine's own PostgreSQL (Debian's
// /usr/lib/postgresql/<major>/bin, else initdb on PATH), which also has the client programs
// (pg_dumpall, psql) that Dump and Restore use.
type Builds struct {
	// Dir is the directory the set was read from; empty when there is none.
	Dir     string
	set     map[int]Build
	machine *Build
}

// LookupBuilds reads the set of builds in dir (none when dir is empty or holds none) and
// finds the machine's own PostgreSQL. It runs each build's postgres -V once.
func LookupBuilds(dir string) (*Builds, error) {
	b := &Builds{set: map[int]Build{}}
	if dir != "" {
		bins, err := filepath.Glob(filepath.Join(dir, "*", "bin", "postgres"))
		if err != nil {
			return nil, fmt.Errorf("find PostgreSQL builds in %s: %w", dir, err)
		}
		for _, p := range bins {
			build, err := readBuild(filepath.Dir(p))
			if err != nil {
				return nil, err
			}
			if other, dup := b.set[build.Major]; dup {
				return nil, fmt.Errorf("two PostgreSQL %d builds: %s and %s", build.Major, other.Bin, build.Bin)
			}
			b.set[build.Major] = build
		}
		if len(b.set) > 0 {
			b.Dir = dir
		}
	}
	if bin, ok := machineBinDir(); ok {
		build, err := readBuild(bin)
		if err != nil {
			return nil, err
		}
		b.machine = &build
	}
	return b, nil
}

var defaultBuilds = sync.OnceValues(func() (*Builds, error) { return LookupBuilds(os.Getenv(EnvBuilds)) })

// DefaultBuilds returns the builds named by EnvBuilds and the machine's PostgreSQL, looked
// up on the first call.
func DefaultBuilds() (*Builds, error) { return defaultBuilds() }

// Majors lists the major versions of the set, oldest first; nil without a set.
func (b *Builds) Majors() []int {
	var out []int
	for m := range b.set {
		out = append(out, m)
	}
	sort.Ints(out)
	return out
}

// PerMajor reports whether a set of builds is there, so that a server runs the major it
// asks for; without one the machine's PostgreSQL stands in for every major.
func (b *Builds) PerMajor() bool { return len(b.set) > 0 }

// ErrNoBuild is the error of ForMajor for a major the set has no build of.
var ErrNoBuild = errors.New("no PostgreSQL build of that major")

// ForMajor returns the build that runs a major version: the set's build of it, or, without
// a set, the machine's PostgreSQL, whatever its major. With a set and no build of major it
// fails with ErrNoBuild; major 0 asks for Default.
func (b *Builds) ForMajor(major int) (Build, error) {
	if major == 0 {
		return b.Default()
	}
	if b.PerMajor() {
		if build, ok := b.set[major]; ok {
			return build, nil
		}
		return Build{}, fmt.Errorf("%w %d in %s (it has %v)", ErrNoBuild, major, b.Dir, b.Majors())
	}
	return b.Default()
}

// Default returns the build of a server that asks for no major: the machine's PostgreSQL,
// which every server ran before there were builds per major, else the set's newest.
func (b *Builds) Default() (Build, error) {
	if b.machine != nil {
		return *b.machine, nil
	}
	if majors := b.Majors(); len(majors) > 0 {
		return b.set[majors[len(majors)-1]], nil
	}
	return Build{}, errors.New("no PostgreSQL server binaries: no builds in $" + EnvBuilds + " (hack/postgres.sh), none in /usr/lib/postgresql/*/bin or on PATH (hack/deps.sh)")
}

// String says which PostgreSQL a server gets, for logs.
func (b *Builds) String() string {
	if b.PerMajor() {
		var vs []string
		for _, m := range b.Majors() {
			vs = append(vs, b.set[m].Version)
		}
		return fmt.Sprintf("PostgreSQL %s from %s, one build per major", strings.Join(vs, ", "), b.Dir)
	}
	if b.machine != nil {
		return fmt.Sprintf("the machine's PostgreSQL %s (%s) for every major", b.machine.Version, b.machine.Bin)
	}
	return "no PostgreSQL"
}

// machineBinDir finds the machine's PostgreSQL: the newest /usr/lib/postgresql/<major>/bin
// (Debian's layout), else the directory of initdb on PATH.
func machineBinDir() (string, bool) {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return majorOf(dirs[i]) > majorOf(dirs[j]) })
	for _, d := range dirs {
		if _, err := exec.LookPath(filepath.Join(d, "initdb")); err == nil {
			return d, true
		}
	}
	p, err := exec.LookPath("initdb")
	if err != nil {
		return "", false
	}
	return filepath.Dir(p), true
}

// majorOf returns the major version in /usr/lib/postgresql/<major>/bin, or 0.
func majorOf(binDir string) int {
	n, err := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	if err != nil {
		return 0
	}
	return n
}

// readBuild asks the postgres in bin for its version.
func readBuild(bin string) (Build, error) {
	out, err := exec.Command(filepath.Join(bin, "postgres"), "-V").Output()
	if err != nil {
		return Build{}, fmt.Errorf("%s/postgres -V: %w", bin, err)
	}
	version, major, err := parseVersion(string(out))
	if err != nil {
		return Build{}, fmt.Errorf("%s/postgres -V: %w", bin, err)
	}
	return Build{Major: major, Version: version, Bin: bin}, nil
}

// parseVersion reads the version and major of postgres -V's answer, such as
// "postgres (PostgreSQL) 17.10" or "postgres (PostgreSQL) 15.14 (Debian 15.14-0+deb12u1)".
func parseVersion(out string) (string, int, error) {
	_, rest, ok := strings.Cut(out, "(PostgreSQL) ")
	fields := strings.Fields(rest)
	if !ok || len(fields) == 0 {
		return "", 0, fmt.Errorf("unexpected version %q", strings.TrimSpace(out))
	}
	version := fields[0]
	// The major is the leading number: 17 of 17.10, 18 of a pre-release's 18beta1.
	digits := strings.IndexFunc(version, func(r rune) bool { return r < '0' || r > '9' })
	if digits < 0 {
		digits = len(version)
	}
	major, err := strconv.Atoi(version[:digits])
	if err != nil {
		return "", 0, fmt.Errorf("unexpected version %q", strings.TrimSpace(out))
	}
	return version, major, nil
}
