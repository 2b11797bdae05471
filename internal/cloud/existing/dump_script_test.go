package existing_test

import (
	"database/sql"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/matrixmind-cloud/aws-rds-operator/internal/cloud/existing"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/engine"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/engine/mysql"
)

// TestDumpScriptsTakeNamesAsNames runs the dump Jobs' scripts, as their containers would,
// against real servers with databases named to break them: a database's name never
// becomes an option of mysqldump nor a connection string of pg_dump, and its dump lands in
// the Job's directory under a name safe in a path.
func TestDumpScriptsTakeNamesAsNames(t *testing.T) {
	for _, tc := range []struct {
		name, database, ext string
		start               func(t *testing.T) existing.Server
		// bin is where the dump program is; "" skips.
		bin  func() string
		make func(t *testing.T, srv existing.Server, database string)
	}{{
		name: "PostgreSQL", database: "dbname=postgres host=192.0.2.1", ext: ".dump",
		start: func(t *testing.T) existing.Server { return startPostgres(t) },
		bin: func() string {
			dir := os.Getenv("AWS_RDS_OPERATOR_PGCLIENT")
			if _, err := os.Stat(filepath.Join(dir, "pg_dump")); dir == "" || err != nil {
				return ""
			}
			return dir
		},
		make: func(t *testing.T, srv existing.Server, database string) {
			ctx := t.Context()
			admin := pgConfig(t, srv, "postgres")
			conn, err := pgx.ConnectConfig(ctx, admin)
			if err != nil {
				t.Fatal(err)
			}
			defer func() { _ = conn.Close(ctx) }()
			if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{database}.Sanitize()); err != nil {
				t.Fatal(err)
			}
			in, err := pgx.ConnectConfig(ctx, pgConfig(t, srv, database))
			if err != nil {
				t.Fatal(err)
			}
			defer func() { _ = in.Close(ctx) }()
			if _, err := in.Exec(ctx, "CREATE TABLE marker (v text); INSERT INTO marker VALUES ('row-4242')"); err != nil {
				t.Fatal(err)
			}
		},
	}, {
		name: "MariaDB", database: "--host=192.0.2.1", ext: ".sql",
		start: func(t *testing.T) existing.Server { return servers[1].start(t) },
		bin: func() string {
			path, err := exec.LookPath("mariadb-dump")
			if err != nil {
				return ""
			}
			return filepath.Dir(path)
		},
		make: func(t *testing.T, srv existing.Server, database string) {
			ctx := t.Context()
			db, err := sql.Open("mysql", mysql.DSN(engine.Endpoint{Host: srv.Host, Port: srv.Port, User: srv.User, Password: srv.Password}, ""))
			if err != nil {
				t.Fatal(err)
			}
			defer func() { _ = db.Close() }()
			q := "`" + strings.ReplaceAll(database, "`", "``") + "`"
			for _, stmt := range []string{"CREATE DATABASE " + q, "CREATE TABLE " + q + ".marker (v text)", "INSERT INTO " + q + ".marker VALUES ('row-4242')"} {
				if _, err := db.ExecContext(ctx, stmt); err != nil {
					t.Fatal(err)
				}
			}
		},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			bin := tc.bin()
			if bin == "" {
				t.Skip("no dump program for this engine here (hack/pgclient.sh fetches pg_dump 17; make deps installs mariadb-dump)")
			}
			srv := tc.start(t)
			tc.make(t, srv, tc.database)
			job, err := existing.DumpJob(dumpingProvider(t, srv, nil), srv, "17.0", "shop-orders", "shop/orders", "final", []string{tc.database})
			if err != nil {
				t.Fatal(err)
			}
			dir, ca := t.TempDir(), filepath.Join(t.TempDir(), "ca.crt")
			if err := os.WriteFile(ca, srv.CA, 0o600); err != nil {
				t.Fatal(err)
			}
			// The container's environment, with the admin Secret's keys and the mounts
			// put where they are here.
			secret := map[string]string{"host": srv.Host, "port": strconv.Itoa(int(srv.Port)), "username": srv.User, "password": srv.Password}
			env := []string{"PATH=" + bin + ":/usr/bin:/bin", "HOME=" + t.TempDir()}
			c := job.Spec.Template.Spec.Containers[0]
			for _, e := range c.Env {
				v := e.Value
				if e.ValueFrom != nil {
					v = secret[e.ValueFrom.SecretKeyRef.Key]
				}
				v = strings.Replace(v, "/dumps", dir, 1)
				v = strings.Replace(v, "/admin/ca.crt", ca, 1)
				env = append(env, e.Name+"="+v)
			}
			cmd := exec.CommandContext(t.Context(), c.Command[0], c.Command[1:]...)
			cmd.Env = env
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("the dump script failed: %v\n%s", err, out)
			}
			files, _ := filepath.Glob(filepath.Join(dir, "shop-orders", "final", "*"+tc.ext))
			if len(files) != 1 || !strings.HasPrefix(filepath.Base(files[0]), "database-") {
				t.Fatalf("dump files %v; want one, named for a hash of the unsafe name\n%s", files, out)
			}
			if info, err := os.Stat(files[0]); err != nil || info.Mode().Perm() != 0o600 {
				t.Errorf("the dump's mode is %v (%v); want 0600, readable by the Job's user only", info.Mode().Perm(), err)
			}
			text := readDump(t, bin, files[0])
			if !strings.Contains(text, "row-4242") {
				t.Errorf("the dump lacks the database's row:\n%s", text)
			}
		})
	}
}

// pgConfig is how the administrator logs in to database on srv, verifying its certificate.
func pgConfig(t *testing.T, srv existing.Server, database string) *pgx.ConnConfig {
	t.Helper()
	cfg, err := pgx.ParseConfig("host=" + srv.Host + " port=" + strconv.Itoa(int(srv.Port)) + " user=" + srv.User + " sslmode=require")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Password, cfg.Database = srv.Password, database
	return cfg
}

// readDump reads a dump as SQL text: a custom-format one through pg_restore.
func readDump(t *testing.T, bin, path string) string {
	t.Helper()
	if strings.HasSuffix(path, ".dump") {
		out, err := exec.Command(filepath.Join(bin, "pg_restore"), "--file=-", path).CombinedOutput()
		if err != nil {
			t.Fatalf("pg_restore: %v\n%s", err, out)
		}
		return string(out)
	}
	out, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}
