package harness

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
)

// EnvPGClient names the directory of PostgreSQL 17's pg_dump, pg_restore and psql, which
// hack/pgclient.sh fetches and make exports: the Job stand-in runs the operator's dump Jobs
// of PostgreSQL images with them.
const EnvPGClient = "AWS_RDS_OPERATOR_PGCLIENT"

// pgClientMajor is the major of the pg_dump in EnvPGClient, the newest server it dumps.
const pgClientMajor = 17

// PGClient returns the directory EnvPGClient names when its pg_dump runs here; ok false
// without it, for a test to skip, saying that hack/pgclient.sh fetches it.
func PGClient() (dir string, ok bool) { return pgClient() }

var pgClient = sync.OnceValues(func() (string, bool) {
	dir := os.Getenv(EnvPGClient)
	if dir == "" {
		return "", false
	}
	if err := exec.Command(filepath.Join(dir, "pg_dump"), "--version").Run(); err != nil {
		return "", false
	}
	return dir, true
})

// mariaDBClient returns the directory of this machine's mariadb-dump (or mysqldump).
var mariaDBClient = sync.OnceValues(func() (string, bool) {
	for _, name := range []string{"mariadb-dump", "mysqldump"} {
		if path, err := exec.LookPath(name); err == nil {
			return filepath.Dir(path), true
		}
	}
	return "", false
})

// jobImages resolves the image of a Job's container for the Job stand-in: a PostgreSQL
// image (postgres:<major>, or any image named for postgres) of major 17 or below, or of no
// major in its tag, to PGClient's directory; a MariaDB or MySQL image to the directory of
// this machine's mariadb-dump. Any other image, or one whose programs are missing here,
// cannot be pulled: its Job stays active, as the stand-in's log says.
func jobImages(image string) (string, bool) {
	name, tag := imageName(image)
	switch {
	case strings.Contains(name, "postgres"):
		if major, err := strconv.Atoi(leadingDigits(tag)); err == nil && major > pgClientMajor {
			return "", false // pg_dump 17 refuses a newer server; the image's own would not
		}
		return PGClient()
	case strings.Contains(name, "mariadb"), strings.Contains(name, "mysql"):
		return mariaDBClient()
	}
	return "", false
}

// imageName returns the last path component of an image reference and its tag (empty for
// none or a digest).
func imageName(image string) (name, tag string) {
	image, _, _ = strings.Cut(image, "@")
	name = image[strings.LastIndex(image, "/")+1:]
	name, tag, _ = strings.Cut(name, ":")
	return name, tag
}

func leadingDigits(s string) string {
	end := 0
	for end < len(s) && '0' <= s[end] && s[end] <= '9' {
		end++
	}
	return s[:end]
}
