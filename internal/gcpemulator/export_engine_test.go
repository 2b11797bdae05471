package gcpemulator

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	sqladmin "google.golang.org/api/sqladmin/v1"

	"github.com/matrixmind-cloud/aws-rds-operator/internal/mariaserver"
)

// exportCase is one export of a real server and what its file holds.
type exportCase struct {
	reason string
	ctx    *sqladmin.ExportContext
	// want are strings the file holds, absent strings it does not.
	want, absent []string
	// failure is part of the operation's error message when the export must fail.
	failure string
}

// run exports instance as each case asks and checks the file (gunzipped) or the failure.
func (e *exportEnv) run(t *testing.T, instance string, cases map[string]exportCase) {
	t.Helper()
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			op := e.export(t, instance, tc.ctx)
			if tc.failure != "" {
				if op.Error == nil || op.Error.Errors[0].Code != codeExportFailed || !strings.Contains(op.Error.Errors[0].Message, tc.failure) {
					t.Fatalf("%s\noperation error = %+v, want %s mentioning %q", tc.reason, op.Error, codeExportFailed, tc.failure)
				}
				return
			}
			if op.Error != nil {
				t.Fatalf("%s\nexport failed: %+v", tc.reason, op.Error.Errors[0])
			}
			obj, err := parseGCSURI(tc.ctx.Uri)
			if err != nil {
				t.Fatal(err)
			}
			body, err := e.readObject(obj.bucket, obj.name)
			if err != nil {
				t.Fatalf("%s\nread %s: %v", tc.reason, tc.ctx.Uri, err)
			}
			if strings.HasSuffix(obj.name, ".gz") {
				body = gunzip(t, body)
			}
			for _, w := range tc.want {
				if !strings.Contains(string(body), w) {
					t.Errorf("%s\n%s lacks %q:\n%s", tc.reason, tc.ctx.Uri, w, body)
				}
			}
			for _, a := range tc.absent {
				if strings.Contains(string(body), a) {
					t.Errorf("%s\n%s holds %q:\n%s", tc.reason, tc.ctx.Uri, a, body)
				}
			}
		})
	}
}

func TestExportPostgres(t *testing.T) {
	requirePostgres(t)
	e := startExports(t, Config{}, 20*time.Millisecond)
	in := e.create(t, pgInstance("pg"))
	if op := e.wait(t)(e.svc.Databases.Insert(project, "pg", &sqladmin.Database{Name: "shop"}).Do()); op.Error != nil {
		t.Fatalf("databases.insert: %+v", op.Error.Errors[0])
	}
	ctx := context.Background()
	dsn := func(in *sqladmin.DatabaseInstance) string {
		return fmt.Sprintf("host=%s port=5432 user=postgres password=root-Secret-1 dbname=shop sslmode=require", primaryAddress(t, in))
	}
	conn, err := pgx.Connect(ctx, dsn(in))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `CREATE TABLE orders (id int PRIMARY KEY, item text);
		INSERT INTO orders VALUES (1, 'widget'), (2, 'gadget "deluxe"');
		CREATE TABLE customers (name text); INSERT INTO customers VALUES ('ada-lovelace')`); err != nil {
		t.Fatal(err)
	}
	sqlTo := func(uri string) *sqladmin.ExportContext {
		return &sqladmin.ExportContext{FileType: "SQL", Uri: uri, Databases: []string{"shop"}}
	}
	withOptions := func(c *sqladmin.ExportContext, o *sqladmin.ExportContextSqlExportOptions) *sqladmin.ExportContext {
		c.SqlExportOptions = o
		return c
	}
	e.run(t, "pg", map[string]exportCase{
		"SQL": {
			reason: "A SQL export is pg_dump's plain dump of the database: its tables and their rows.",
			ctx:    sqlTo("gs://exports/dir/shop.sql"),
			want:   []string{"CREATE TABLE public.orders", "1\twidget", "2\tgadget \"deluxe\"", "ada-lovelace"},
		},
		"Gzip": {
			reason: "A .gz export is the same dump, gzipped.",
			ctx:    sqlTo("gs://exports/dir/shop.sql.gz"),
			want:   []string{"CREATE TABLE public.orders", "1\twidget"},
		},
		"SchemaOnly": {
			reason: "schemaOnly leaves the rows out.",
			ctx:    withOptions(sqlTo("gs://exports/schema.sql"), &sqladmin.ExportContextSqlExportOptions{SchemaOnly: true}),
			want:   []string{"CREATE TABLE public.orders"},
			absent: []string{"widget"},
		},
		"Table": {
			reason: "tables limits the dump to the table named.",
			ctx:    withOptions(sqlTo("gs://exports/orders.sql"), &sqladmin.ExportContextSqlExportOptions{Tables: []string{"orders"}}),
			want:   []string{"1\twidget"},
			absent: []string{"ada-lovelace"},
		},
		"Clean": {
			reason: "postgresExportOptions clean and ifExists put DROP ... IF EXISTS first.",
			ctx: withOptions(sqlTo("gs://exports/clean.sql"), &sqladmin.ExportContextSqlExportOptions{
				PostgresExportOptions: &sqladmin.ExportContextSqlExportOptionsPostgresExportOptions{Clean: true, IfExists: true}}),
			want: []string{"DROP TABLE IF EXISTS public.orders"},
		},
		"CSV": {
			reason: "A CSV export writes the query's rows as CSV.",
			ctx: &sqladmin.ExportContext{FileType: "CSV", Uri: "gs://exports/orders.csv", Databases: []string{"shop"},
				CsvExportOptions: &sqladmin.ExportContextCsvExportOptions{SelectQuery: "SELECT id, item FROM orders ORDER BY id"}},
			want: []string{"1,widget\n2,\"gadget \"\"deluxe\"\"\"\n"},
		},
		"NoDatabase": {
			reason:  "A database the server does not have fails the operation with pg_dump's reason.",
			ctx:     &sqladmin.ExportContext{FileType: "SQL", Uri: "gs://exports/nope.sql", Databases: []string{"nope"}},
			failure: `database "nope" does not exist`,
		},
		"NoTable": {
			reason:  "A table the database does not have fails the operation.",
			ctx:     withOptions(sqlTo("gs://exports/notable.sql"), &sqladmin.ExportContextSqlExportOptions{Tables: []string{"nope"}}),
			failure: "no matching tables",
		},
	})

	// Replaying the export into a fresh instance gives the rows back.
	psql, err := exec.LookPath("psql")
	if err != nil {
		t.Skip("no psql on this machine to replay the export with")
	}
	body, err := e.readObject(exportBucket, "dir/shop.sql")
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "shop.sql")
	if err := os.WriteFile(file, body, 0o600); err != nil {
		t.Fatal(err)
	}
	fresh := e.create(t, pgInstance("fresh"))
	if op := e.wait(t)(e.svc.Databases.Insert(project, "fresh", &sqladmin.Database{Name: "shop"}).Do()); op.Error != nil {
		t.Fatalf("databases.insert: %+v", op.Error.Errors[0])
	}
	if out, err := exec.Command(psql, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", dsn(fresh), "-f", file).CombinedOutput(); err != nil {
		t.Fatalf("replay the export into a fresh instance: %v\n%s", err, out)
	}
	replayed, err := pgx.Connect(ctx, dsn(fresh))
	if err != nil {
		t.Fatal(err)
	}
	defer replayed.Close(ctx)
	var item string
	if err := replayed.QueryRow(ctx, `SELECT item FROM orders WHERE id = 2`).Scan(&item); err != nil || item != `gadget "deluxe"` {
		t.Errorf("after replaying the export, order 2 = %q, %v; want gadget \"deluxe\"", item, err)
	}
}

func TestExportMySQL(t *testing.T) {
	if err := mariaserver.Installed(); err != nil {
		t.Skipf("no MariaDB server on this machine: %v", err)
	}
	e := startExports(t, Config{}, 20*time.Millisecond)
	spec := mysqlInstance("my")
	spec.Settings.BackupConfiguration = &sqladmin.BackupConfiguration{Enabled: true, BinaryLogEnabled: true}
	in := e.create(t, spec)
	for _, name := range []string{"shop", "crm"} {
		if op := e.wait(t)(e.svc.Databases.Insert(project, "my", &sqladmin.Database{Name: name}).Do()); op.Error != nil {
			t.Fatalf("databases.insert %s: %+v", name, op.Error.Errors[0])
		}
	}
	db, err := sql.Open("mysql", fmt.Sprintf("root:root-Secret-1@tcp(%s:3306)/?multiStatements=true", primaryAddress(t, in)))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`CREATE TABLE shop.orders (id int PRIMARY KEY, item text, note text);
		INSERT INTO shop.orders VALUES (1, 'widget', NULL), (2, 'gadget "deluxe"', 'x');
		CREATE TABLE shop.stock (sku text); INSERT INTO shop.stock VALUES ('sku-42');
		CREATE TABLE crm.customers (name text); INSERT INTO crm.customers VALUES ('ada-lovelace')`); err != nil {
		t.Fatal(err)
	}
	sqlTo := func(uri string, dbs ...string) *sqladmin.ExportContext {
		return &sqladmin.ExportContext{FileType: "SQL", Uri: uri, Databases: dbs}
	}
	withOptions := func(c *sqladmin.ExportContext, o *sqladmin.ExportContextSqlExportOptions) *sqladmin.ExportContext {
		c.SqlExportOptions = o
		return c
	}
	e.run(t, "my", map[string]exportCase{
		"AllDatabases": {
			reason: "A MySQL SQL export without databases dumps every database but the system ones.",
			ctx:    sqlTo("gs://exports/all.sql"),
			want:   []string{"CREATE DATABASE /*!32312 IF NOT EXISTS*/ `shop`", "CREATE DATABASE /*!32312 IF NOT EXISTS*/ `crm`", "'widget'", "'ada-lovelace'"},
			absent: []string{"CREATE DATABASE /*!32312 IF NOT EXISTS*/ `mysql`"},
		},
		"OneDatabaseGzip": {
			reason: "The databases asked for, gzipped for a .gz object.",
			ctx:    sqlTo("gs://exports/dir/shop.sql.gz", "shop"),
			want:   []string{"CREATE TABLE `orders`", "'widget'"},
			absent: []string{"ada-lovelace"},
		},
		"Tables": {
			reason: "tables limits the dump to those tables of the one database.",
			ctx:    withOptions(sqlTo("gs://exports/stock.sql", "shop"), &sqladmin.ExportContextSqlExportOptions{Tables: []string{"stock"}}),
			want:   []string{"'sku-42'"},
			absent: []string{"widget"},
		},
		"SchemaOnly": {
			reason: "schemaOnly leaves the rows out.",
			ctx:    withOptions(sqlTo("gs://exports/schema.sql", "shop"), &sqladmin.ExportContextSqlExportOptions{SchemaOnly: true}),
			want:   []string{"CREATE TABLE `orders`"},
			absent: []string{"widget"},
		},
		"MasterData": {
			reason: "masterData 2 writes the binary log coordinates as a comment.",
			ctx: withOptions(sqlTo("gs://exports/master.sql", "shop"), &sqladmin.ExportContextSqlExportOptions{
				MysqlExportOptions: &sqladmin.ExportContextSqlExportOptionsMysqlExportOptions{MasterData: 2}}),
			want: []string{"-- CHANGE MASTER TO"},
		},
		"CSV": {
			reason: "A CSV export writes the query's rows as SELECT ... INTO OUTFILE would: numbers bare, strings quoted, NULL as \"N.",
			ctx: &sqladmin.ExportContext{FileType: "CSV", Uri: "gs://exports/orders.csv", Databases: []string{"shop"},
				CsvExportOptions: &sqladmin.ExportContextCsvExportOptions{SelectQuery: "SELECT id, item, note FROM orders ORDER BY id"}},
			want: []string{"1,\"widget\",\"N\n2,\"gadget \"\"deluxe\"\"\",\"x\"\n"},
		},
		"NoDatabase": {
			reason:  "A database the server does not have fails the operation with mariadb-dump's reason.",
			ctx:     sqlTo("gs://exports/nope.sql", "nope"),
			failure: "nope",
		},
	})
}

func TestPgDumpFor(t *testing.T) {
	requirePostgres(t)
	t.Parallel()
	path, err := pgDumpFor(0)
	if err != nil {
		t.Skipf("no pg_dump on this machine: %v", err)
	}
	cases := map[string]struct {
		reason string
		major  int
		want   string
	}{
		"OwnMajor": {reason: "pg_dump dumps servers of its own major and older ones.", major: 0, want: path},
		"Newer":    {reason: "A server of a newer major than pg_dump's fails the export, saying why.", major: 99},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := pgDumpFor(tc.major)
			var failed *exportError
			switch {
			case tc.want != "" && (err != nil || got != tc.want):
				t.Errorf("%s\npgDumpFor(%d) = %q, %v; want %q", tc.reason, tc.major, got, err, tc.want)
			case tc.want == "" && (!errors.As(err, &failed) || !strings.Contains(err.Error(), "newer major")):
				t.Errorf("%s\npgDumpFor(%d) error = %v, want an export failure naming the newer major", tc.reason, tc.major, err)
			}
		})
	}
}
