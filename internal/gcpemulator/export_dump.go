package gcpemulator

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"

	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5"

	"github.com/matrixmind-cloud/aws-rds-operator/internal/pgserver"
)

// The engines' exports: pg_dump of one database (the machine's PostgreSQL client, which
// pgserver's Dump uses too), mariadb-dump of the databases asked for, and each engine's
// own way of writing a query's rows as CSV. Each runs as the emulator's superuser over
// the server's unix socket, as Cloud SQL's export runs as its own administrative user.
// Failures of the dump itself are exportErrors, which the operation reports.

// ExportSQL writes pg_dump's plain-format dump of the job's database: schema and data,
// ownership and privileges, as Cloud SQL's PostgreSQL SQL export does. pg_dump refuses
// servers of a newer major than its own; the export then fails, saying so, instead of
// producing a dump some other way that would differ from pg_dump's.
func (e *pgEngine) ExportSQL(ctx context.Context, w io.Writer, job *exportJob) error {
	pgDump, err := pgDumpFor(e.srv.Build.Major)
	if err != nil {
		return err
	}
	dsn, err := e.databaseDSN(job.databases[0])
	if err != nil {
		return err
	}
	args := []string{"--format=plain", "--dbname=" + dsn}
	if job.schemaOnly {
		args = append(args, "--schema-only")
	}
	for _, t := range job.tables {
		args = append(args, "--table="+t)
	}
	if job.clean {
		args = append(args, "--clean")
	}
	if job.ifExists {
		args = append(args, "--if-exists")
	}
	return runDump(ctx, w, pgDump, args)
}

// pgDumpFor finds the machine's pg_dump and checks that it can dump a server of major.
func pgDumpFor(major int) (string, error) {
	builds, err := pgserver.DefaultBuilds()
	if err != nil {
		return "", err
	}
	client, err := builds.Default()
	path := filepath.Join(client.Bin, "pg_dump")
	if _, statErr := os.Stat(path); err != nil || statErr != nil {
		return "", exportFailed("The emulator cannot export PostgreSQL: this machine has no pg_dump (hack/deps.sh installs the PostgreSQL client).")
	}
	if client.Major < major {
		return "", exportFailed("The emulator cannot export this PostgreSQL %d instance: this machine's pg_dump is PostgreSQL %d's, and pg_dump cannot dump a server of a newer major version.", major, client.Major)
	}
	return path, nil
}

// databaseDSN is a libpq connection string for the superuser's session on a database.
func (e *pgEngine) databaseDSN(database string) (string, error) {
	cfg, err := pgx.ParseConfig(e.srv.SuperuserDSN())
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("host=%s port=%d user=%s dbname=%s sslmode=disable",
		libpqValue(cfg.Host), cfg.Port, libpqValue(cfg.User), libpqValue(database)), nil
}

// libpqValue quotes a connection string value.
func libpqValue(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}

// ExportCSV writes the rows of the job's query with COPY ... TO STDOUT in CSV format, run
// on the job's database by the superuser, as pg_dump is, in a read-only transaction: the
// query can read what the SQL export would dump and change nothing.
func (e *pgEngine) ExportCSV(ctx context.Context, w io.Writer, job *exportJob) error {
	dsn, err := e.databaseDSN(job.databases[0])
	if err != nil {
		return err
	}
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return exportFailed("CSV export from database %q failed: %v", job.databases[0], pgMessage(err))
	}
	defer conn.Close(context.WithoutCancel(ctx))
	tx, err := conn.BeginTx(ctx, pgx.TxOptions{AccessMode: pgx.ReadOnly})
	if err != nil {
		return err
	}
	// Nothing to keep: the transaction only reads.
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	q := strings.TrimRight(strings.TrimSpace(job.selectQuery), ";")
	if _, err := tx.Conn().PgConn().CopyTo(ctx, w, `COPY (`+q+`) TO STDOUT WITH (FORMAT csv)`); err != nil {
		return exportFailed("CSV export query failed: %v", pgMessage(err))
	}
	return nil
}

// pgMessage is the server's message of a PostgreSQL error, without the connection details
// pgx puts around it.
func pgMessage(err error) string {
	msg := err.Error()
	if i := strings.LastIndex(msg, "FATAL: "); i >= 0 {
		return msg[i:]
	}
	if i := strings.LastIndex(msg, "ERROR: "); i >= 0 {
		return msg[i:]
	}
	return msg
}

// ExportSQL writes mariadb-dump's dump of the job's databases (every user database when it
// names none), or of its tables of its one database: as Cloud SQL's MySQL export,
// --single-transaction and --hex-blob, with routines, events and triggers, and with
// CHANGE MASTER TO when masterData asks.
func (e *mariaEngine) ExportSQL(ctx context.Context, w io.Writer, job *exportJob) error {
	dbs := job.databases
	if len(dbs) == 0 {
		all, err := e.userDatabases(ctx)
		if err != nil {
			return err
		}
		if len(all) == 0 {
			_, err := fmt.Fprintf(w, "-- Cloud SQL emulator export of instance %s: it has no user databases.\n", job.instance)
			return err
		}
		dbs = all
	}
	bin, err := mariaDumpPath()
	if err != nil {
		return err
	}
	conf, err := e.clientOptions()
	if err != nil {
		return err
	}
	defer os.Remove(conf)
	args := []string{"--defaults-file=" + conf, "--single-transaction", "--hex-blob", "--routines", "--events", "--triggers", "--default-character-set=utf8mb4"}
	if job.schemaOnly {
		args = append(args, "--no-data")
	}
	if job.masterData > 0 {
		args = append(args, fmt.Sprintf("--master-data=%d", job.masterData))
	}
	if len(job.tables) > 0 {
		args = append(append(args, "--", dbs[0]), job.tables...)
	} else {
		args = append(append(args, "--databases", "--"), dbs...)
	}
	return runDump(ctx, w, bin, args)
}

// userDatabases lists the server's databases other than the system ones.
func (e *mariaEngine) userDatabases(ctx context.Context) ([]string, error) {
	db, err := e.open("")
	if err != nil {
		return nil, err
	}
	defer db.Close()
	rows, err := db.QueryContext(ctx, `SELECT SCHEMA_NAME FROM information_schema.SCHEMATA ORDER BY SCHEMA_NAME`)
	if err != nil {
		return nil, fmt.Errorf("list databases: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, fmt.Errorf("list databases: %w", err)
		}
		if !slices.Contains(mysqlSystemDatabases, n) {
			out = append(out, n)
		}
	}
	return out, rows.Err()
}

// open is a single-connection pool of the superuser's sessions on database ("" for none).
func (e *mariaEngine) open(database string) (*sql.DB, error) {
	cfg, err := mysql.ParseDSN(e.srv.SuperuserDSN())
	if err != nil {
		return nil, err
	}
	cfg.DBName = database
	c, err := mysql.NewConnector(cfg)
	if err != nil {
		return nil, err
	}
	db := sql.OpenDB(c)
	db.SetMaxOpenConns(1)
	return db, nil
}

// clientOptions writes an option file with the superuser's login for mariadb-dump, so that
// the password is never on a command line; the caller removes it.
func (e *mariaEngine) clientOptions() (string, error) {
	cfg, err := mysql.ParseDSN(e.srv.SuperuserDSN())
	if err != nil {
		return "", err
	}
	f, err := os.CreateTemp("", "cloudsql-export-*.cnf") // mode 0600
	if err != nil {
		return "", err
	}
	_, err = fmt.Fprintf(f, "[client]\nuser=%s\npassword=%s\nsocket=%s\n", cfg.User, cfg.Passwd, cfg.Addr)
	if err = errors.Join(err, f.Close()); err != nil {
		_ = os.Remove(f.Name())
		return "", err
	}
	return f.Name(), nil
}

// mariaDumpPath finds mariadb-dump (or mysqldump) where mariaserver finds MariaDB's
// programs.
func mariaDumpPath() (string, error) {
	for _, name := range []string{"mariadb-dump", "mysqldump"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
		for _, d := range []string{"/usr/bin", "/usr/local/mysql/bin", "/usr/local/bin"} {
			if p, err := exec.LookPath(filepath.Join(d, name)); err == nil {
				return p, nil
			}
		}
	}
	return "", exportFailed("The emulator cannot export MySQL: this machine has no mariadb-dump (hack/deps.sh installs the MariaDB client).")
}

// ExportCSV writes the rows of the job's query in the format of SELECT ... INTO OUTFILE
// with FIELDS TERMINATED BY ',' OPTIONALLY ENCLOSED BY '"' ESCAPED BY '"': strings quoted,
// numbers bare, NULL as "N; one line per row. The query runs as the superuser, as
// mariadb-dump does, in a read-only transaction.
func (e *mariaEngine) ExportCSV(ctx context.Context, w io.Writer, job *exportJob) error {
	database := ""
	if len(job.databases) == 1 {
		database = job.databases[0]
	}
	db, err := e.open(database)
	if err != nil {
		return err
	}
	defer db.Close()
	tx, err := db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return err
	}
	// Nothing to keep: the transaction only reads.
	defer func() { _ = tx.Rollback() }()
	rows, err := tx.QueryContext(ctx, job.selectQuery)
	if err != nil {
		return exportFailed("CSV export query failed: %v", err)
	}
	defer rows.Close()
	types, err := rows.ColumnTypes()
	if err != nil {
		return err
	}
	vals := make([]sql.RawBytes, len(types))
	ptrs := make([]any, len(types))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	var line bytes.Buffer
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return err
		}
		line.Reset()
		for i, v := range vals {
			if i > 0 {
				line.WriteByte(',')
			}
			switch {
			case v == nil:
				line.WriteString(`"N`)
			case numericColumn(types[i].DatabaseTypeName()):
				line.Write(v)
			default:
				line.WriteByte('"')
				line.Write(bytes.ReplaceAll(v, []byte(`"`), []byte(`""`)))
				line.WriteByte('"')
			}
		}
		line.WriteByte('\n')
		if _, err := w.Write(line.Bytes()); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return exportFailed("CSV export query failed: %v", err)
	}
	return nil
}

// numericColumn reports whether MySQL writes a column of the type unquoted.
func numericColumn(typ string) bool {
	switch typ {
	case "TINYINT", "SMALLINT", "MEDIUMINT", "INT", "BIGINT", "DECIMAL", "FLOAT", "DOUBLE", "YEAR", "BIT",
		"UNSIGNED TINYINT", "UNSIGNED SMALLINT", "UNSIGNED MEDIUMINT", "UNSIGNED INT", "UNSIGNED BIGINT":
		return true
	}
	return false
}

// runDump runs a dump program writing to w. Its failure is the export's, with the
// program's last words as the operation's message.
func runDump(ctx context.Context, w io.Writer, bin string, args []string) error {
	cmd := exec.CommandContext(ctx, bin, args...)
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = w, &stderr
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return exportFailed("%s failed: %s", filepath.Base(bin), lastLine(stderr.String(), err))
	}
	return nil
}

// lastLine is the last non-empty line of a program's error output, or err without one.
func lastLine(stderr string, err error) string {
	lines := strings.Split(strings.TrimSpace(stderr), "\n")
	if l := strings.TrimSpace(lines[len(lines)-1]); l != "" {
		return pgMessage(errors.New(l))
	}
	return err.Error()
}
