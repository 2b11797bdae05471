package engineparams

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"

	"github.com/matrixmind-cloud/aws-rds-operator/internal/mariaserver"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/pgserver"
)

var update = flag.Bool("update", false, "rewrite catalogs/*.json from the real engines")

// TestCatalogsMatchEngines reads every engine this machine has and compares what it says
// with the checked-in catalogs; with -update it rewrites them instead (see the package
// comment).
func TestCatalogsMatchEngines(t *testing.T) {
	t.Run("postgres", func(t *testing.T) {
		builds, err := pgserver.DefaultBuilds()
		if err != nil {
			t.Fatalf("look up PostgreSQL builds: %v", err)
		}
		if !builds.PerMajor() {
			t.Skipf("no PostgreSQL build per major in $%s (hack/postgres.sh): the catalogs are read from those builds", pgserver.EnvBuilds)
		}
		for _, major := range builds.Majors() {
			t.Run(fmt.Sprint(major), func(t *testing.T) {
				t.Parallel()
				f := readPostgres(t, major)
				checkOrUpdate(t, postgresCatalog(major), f, "")
			})
		}
	})
	t.Run("mariadb", func(t *testing.T) {
		if err := mariaserver.Installed(); err != nil {
			t.Skipf("MariaDB is not installed (hack/deps.sh): %v", err)
		}
		t.Parallel()
		f := readMariaDB(t)
		checkOrUpdate(t, mariadbCatalog, f, majorMinor(f.Engine))
	})
}

// checkOrUpdate writes f as catalog name with -update, else compares it with the
// embedded one. When series is set (the engine's release series, e.g. "10.11") and the
// embedded catalog was read from another series, the test skips: the machine's MariaDB may
// be another than the one the catalog was read from.
func checkOrUpdate(t *testing.T, name string, f catalogFile, series string) {
	t.Helper()
	path := filepath.Join("catalogs", name+".json")
	if *update {
		if err := os.WriteFile(path, encodeCatalog(f), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s: %d parameters of %s", path, len(f.Parameters), f.Engine)
		return
	}
	want, ok := loadCatalogs()[name]
	if !ok {
		t.Fatalf("no checked-in catalog %s for %s: run go test ./internal/engineparams/ -run TestCatalogsMatchEngines -update", path, f.Engine)
	}
	if series != "" && majorMinor(want.engine) != series {
		t.Skipf("the machine has %s, the catalog %s was read from %s: not comparable", f.Engine, path, want.engine)
	}
	got := newCatalog(f)
	if diff := cmp.Diff(want.params, got.params); diff != "" {
		t.Errorf("catalog %s (from %s) differs from %s; rerun with -update (see the package comment): -checked-in +engine:\n%s", path, want.engine, f.Engine, diff)
	}
}

// encodeCatalog writes one parameter a line, so that a regenerated catalog diffs well.
func encodeCatalog(f catalogFile) []byte {
	var b bytes.Buffer
	engine, _ := json.Marshal(f.Engine)
	fmt.Fprintf(&b, "{\"engine\":%s,\"parameters\":[\n", engine)
	for i, p := range newCatalog(f).params {
		line, err := json.Marshal(p)
		if err != nil {
			panic(err) // a Parameter of strings and bools always marshals
		}
		b.Write(line)
		if i < len(f.Parameters)-1 {
			b.WriteByte(',')
		}
		b.WriteByte('\n')
	}
	b.WriteString("]}\n")
	return b.Bytes()
}

// readPostgres starts a server of a PostgreSQL major and reads its pg_settings.
func readPostgres(t *testing.T, major int) catalogFile {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	s, err := pgserver.Start(ctx, pgserver.Options{Dir: t.TempDir(), MasterUser: "catalog_master", MasterPassword: "catalog-pass", Major: major})
	if err != nil {
		t.Fatalf("start PostgreSQL %d: %v", major, err)
	}
	defer func() {
		if err := s.Stop(); err != nil {
			t.Errorf("stop PostgreSQL %d: %v", major, err)
		}
	}()
	conn, err := pgx.Connect(ctx, s.SuperuserDSN())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	rows, err := conn.Query(ctx, `
		SELECT name, vartype, context, coalesce(min_val, ''), coalesce(max_val, ''),
		       coalesce(array_to_string(enumvals, ','), ''), coalesce(boot_val, ''),
		       coalesce(unit, ''), coalesce(short_desc, '')
		FROM pg_settings ORDER BY name`)
	if err != nil {
		t.Fatalf("read pg_settings: %v", err)
	}
	f := catalogFile{Engine: "PostgreSQL " + s.Build.Version}
	for rows.Next() {
		var r pgSetting
		if err := rows.Scan(&r.Name, &r.VarType, &r.Context, &r.MinVal, &r.MaxVal, &r.EnumVals, &r.BootVal, &r.Unit, &r.ShortDesc); err != nil {
			t.Fatalf("read pg_settings: %v", err)
		}
		f.Parameters = append(f.Parameters, fromPostgres(r))
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("read pg_settings: %v", err)
	}
	return f
}

// readMariaDB starts the machine's MariaDB and reads its SYSTEM_VARIABLES.
func readMariaDB(t *testing.T) catalogFile {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	s, err := mariaserver.Start(ctx, mariaserver.Options{Dir: t.TempDir(), MasterUser: "catalog_master", MasterPassword: "catalog-pass"})
	if err != nil {
		t.Fatalf("start MariaDB: %v", err)
	}
	defer func() {
		if err := s.Stop(); err != nil {
			t.Errorf("stop MariaDB: %v", err)
		}
	}()
	cfg, err := mysql.ParseDSN(s.SuperuserDSN())
	if err != nil {
		t.Fatal(err)
	}
	connector, err := mysql.NewConnector(cfg)
	if err != nil {
		t.Fatal(err)
	}
	db := sql.OpenDB(connector)
	defer db.Close()
	var version string
	if err := db.QueryRowContext(ctx, `SELECT VERSION()`).Scan(&version); err != nil {
		t.Fatalf("read the MariaDB version: %v", err)
	}
	rows, err := db.QueryContext(ctx, `
		SELECT VARIABLE_NAME, VARIABLE_SCOPE, VARIABLE_TYPE, coalesce(VARIABLE_COMMENT, ''),
		       coalesce(NUMERIC_MIN_VALUE, ''), coalesce(NUMERIC_MAX_VALUE, ''),
		       coalesce(ENUM_VALUE_LIST, ''), READ_ONLY, coalesce(DEFAULT_VALUE, ''),
		       COMMAND_LINE_ARGUMENT IS NOT NULL
		FROM information_schema.SYSTEM_VARIABLES ORDER BY VARIABLE_NAME`)
	if err != nil {
		t.Fatalf("read SYSTEM_VARIABLES: %v", err)
	}
	defer rows.Close()
	f := catalogFile{Engine: "MariaDB " + strings.SplitN(version, "-", 2)[0]}
	for rows.Next() {
		var v mariaVariable
		if err := rows.Scan(&v.Name, &v.Scope, &v.Type, &v.Comment, &v.Min, &v.Max, &v.Enum, &v.ReadOnly, &v.Default, &v.CommandLine); err != nil {
			t.Fatalf("read SYSTEM_VARIABLES: %v", err)
		}
		if strings.HasPrefix(v.Default, s.Dir()) {
			// Defaults that name the server's own files (datadir, aria_log_dir_path) follow
			// its option file, not the engine.
			v.Default = ""
		}
		if p, ok := fromMariaDB(v); ok {
			f.Parameters = append(f.Parameters, p)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("read SYSTEM_VARIABLES: %v", err)
	}
	return f
}

var seriesPattern = regexp.MustCompile(`[0-9]+\.[0-9]+`)

// majorMinor is the release series of "MariaDB 10.11.19": "10.11".
func majorMinor(engine string) string { return seriesPattern.FindString(engine) }
