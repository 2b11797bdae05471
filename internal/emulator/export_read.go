package emulator

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// tableReader reads the tables of a server an export started on its snapshot, as the
// snapshot's master user (AWS's export reads as that user too: a table it may not read is
// skipped, PERMISSIONS_DO_NOT_EXIST).
type tableReader interface {
	// list returns the tables of every database, without rows, in a stable order; skipped
	// holds the tables AWS skips, with the reason.
	list(ctx context.Context) (tables []exportTable, skipped []skippedTable, err error)
	// read fills in a table's rows; errPermission when the master user may not read it.
	read(ctx context.Context, t *exportTable) error
	close()
}

// skippedTable is a table an export leaves out, for its WarningMessage.
type skippedTable struct {
	Target string `json:"target"`
	Reason string `json:"reason"`
}

var errPermission = errors.New("permission denied")

// newTableReader connects to the server on port as the snapshot's master user.
func newTableReader(engine string, port int, user, password string) tableReader {
	if engine == "mysql" {
		return &mysqlReader{port: port, user: user, password: password}
	}
	return &postgresReader{port: port, user: user, password: password, conns: map[string]*pgx.Conn{}}
}

// postgresReader reads a PostgreSQL server, one connection per database.
type postgresReader struct {
	port           int
	user, password string
	conns          map[string]*pgx.Conn
}

func (r *postgresReader) conn(ctx context.Context, db string) (*pgx.Conn, error) {
	if c, ok := r.conns[db]; ok {
		return c, nil
	}
	cfg, err := pgx.ParseConfig("sslmode=prefer")
	if err != nil {
		return nil, err
	}
	cfg.Host, cfg.Port, cfg.User, cfg.Password, cfg.Database = "localhost", uint16(r.port), r.user, r.password, db
	// Dates and times are written as text, in UTC.
	cfg.RuntimeParams["TimeZone"] = "UTC"
	cfg.RuntimeParams["DateStyle"] = "ISO"
	c, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connect to database %s: %w", db, err)
	}
	r.conns[db] = c
	return c, nil
}

func (r *postgresReader) close() {
	for _, c := range r.conns {
		_ = c.Close(context.Background())
	}
}

// postgresKinds maps PostgreSQL's base type names to their Parquet kinds; every other type
// (numeric, money, text, dates and times, json, uuid, arrays, domains, ...) is a string.
var postgresKinds = map[string]columnKind{
	"int8": kindInt64, "int4": kindInt32, "int2": kindInt16,
	"float8": kindDouble, "float4": kindFloat, "bool": kindBool, "bytea": kindBytes,
}

func (r *postgresReader) list(ctx context.Context) ([]exportTable, []skippedTable, error) {
	c, err := r.conn(ctx, "postgres")
	if err != nil {
		return nil, nil, err
	}
	rows, _ := c.Query(ctx, `SELECT datname FROM pg_database WHERE datallowconn AND NOT datistemplate AND datname <> 'rdsadmin' ORDER BY datname`)
	dbs, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, nil, fmt.Errorf("list databases: %w", err)
	}
	var tables []exportTable
	var skipped []skippedTable
	for _, db := range dbs {
		c, err := r.conn(ctx, db)
		if err != nil {
			return nil, nil, err
		}
		// Ordinary and partitioned tables (a partition's rows are read through its parent);
		// temporary and unlogged tables are skipped, as AWS skips them.
		rows, _ := c.Query(ctx, `SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
			WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition AND c.relpersistence = 'p'
			AND n.nspname <> 'information_schema' AND n.nspname NOT LIKE 'pg\_%' ORDER BY 1, 2`)
		names, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) ([2]string, error) {
			var n [2]string
			return n, row.Scan(&n[0], &n[1])
		})
		if err != nil {
			return nil, nil, fmt.Errorf("list tables of %s: %w", db, err)
		}
		for _, n := range names {
			t := exportTable{Database: db, Schema: n[0], Name: n[1]}
			if reason, err := r.columns(ctx, c, &t); err != nil {
				return nil, nil, err
			} else if reason != "" {
				skipped = append(skipped, skippedTable{Target: t.target(), Reason: reason})
				continue
			}
			tables = append(tables, t)
		}
	}
	return tables, skipped, nil
}

// columns fills in a table's columns; it returns why AWS skips the table, if it does.
func (r *postgresReader) columns(ctx context.Context, c *pgx.Conn, t *exportTable) (string, error) {
	if strings.Contains(t.Name, "/") {
		return "TABLE_NAME_HAS_SLASH", nil
	}
	rows, _ := c.Query(ctx, `SELECT a.attname, format_type(a.atttypid, a.atttypmod), t.typname
		FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
		WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum`,
		pgx.Identifier{t.Schema, t.Name}.Sanitize())
	cols, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (exportColumn, error) {
		var col exportColumn
		var typname string
		if err := row.Scan(&col.Name, &col.OriginalType, &typname); err != nil {
			return col, err
		}
		col.Kind = postgresKinds[typname]
		return col, nil
	})
	if err != nil {
		return "", fmt.Errorf("list columns of %s: %w", t.target(), err)
	}
	for _, col := range cols {
		if skippedColumnName(col.Name) {
			return "UNSUPPORTED_COLUMN_NAME", nil
		}
	}
	t.Columns = cols
	return "", nil
}

func (r *postgresReader) read(ctx context.Context, t *exportTable) error {
	c, err := r.conn(ctx, t.Database)
	if err != nil {
		return err
	}
	exprs := make([]string, len(t.Columns))
	for i, col := range t.Columns {
		exprs[i] = pgx.Identifier{col.Name}.Sanitize()
		if col.Kind == kindString {
			exprs[i] += "::text"
		}
	}
	rows, err := c.Query(ctx, "SELECT "+strings.Join(exprs, ", ")+" FROM "+pgx.Identifier{t.Schema, t.Name}.Sanitize())
	if err != nil {
		return pgReadError(t, err)
	}
	defer rows.Close()
	for rows.Next() {
		vals, err := rows.Values()
		if err != nil {
			return pgReadError(t, err)
		}
		t.Rows = append(t.Rows, vals)
	}
	return pgReadError(t, rows.Err())
}

func pgReadError(t *exportTable, err error) error {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "42501" { // insufficient_privilege
		return errPermission
	}
	if err != nil {
		return fmt.Errorf("read %s: %w", t.target(), err)
	}
	return nil
}

// mysqlReader reads a MySQL (MariaDB) server; a database is also the schema of its tables.
type mysqlReader struct {
	port           int
	user, password string
	db             *sql.DB
}

func (r *mysqlReader) open() (*sql.DB, error) {
	if r.db != nil {
		return r.db, nil
	}
	cfg := mysql.NewConfig()
	cfg.User, cfg.Passwd, cfg.Net, cfg.Addr = r.user, r.password, "tcp", "127.0.0.1:"+strconv.Itoa(r.port)
	cfg.ParseTime, cfg.Loc = true, time.UTC
	cfg.Params = map[string]string{"time_zone": "'+00:00'"}
	cfg.TLSConfig = "preferred"
	c, err := mysql.NewConnector(cfg)
	if err != nil {
		return nil, err
	}
	r.db = sql.OpenDB(c)
	return r.db, nil
}

func (r *mysqlReader) close() {
	if r.db != nil {
		_ = r.db.Close()
	}
}

// mysqlKind maps a MySQL column to its Parquet kind, after AWS's table.
func mysqlKind(dataType, columnType string, precision, scale int) columnKind {
	unsigned := strings.Contains(columnType, "unsigned")
	switch dataType {
	case "bigint":
		if unsigned {
			return kindString // AWS: FIXED_LEN_BYTE_ARRAY(9) DECIMAL(20,0); see docs/rds-export-facts.md
		}
		return kindInt64
	case "int", "mediumint":
		if unsigned {
			return kindInt64
		}
		return kindInt32
	case "smallint", "tinyint", "year":
		return kindInt32
	case "double", "float":
		return kindDouble
	case "decimal", "numeric":
		switch {
		case precision <= 9:
			return kindDecimal32
		case precision <= 18:
			return kindDecimal64
		}
		return kindString
	case "datetime", "timestamp":
		return kindTimestamp
	case "binary", "varbinary", "blob", "tinyblob", "mediumblob", "longblob", "bit",
		"geometry", "point", "linestring", "polygon", "multipoint", "multilinestring", "multipolygon", "geometrycollection":
		return kindBytes
	}
	return kindString
}

func (r *mysqlReader) list(ctx context.Context) ([]exportTable, []skippedTable, error) {
	db, err := r.open()
	if err != nil {
		return nil, nil, err
	}
	rows, err := db.QueryContext(ctx, `SELECT c.TABLE_SCHEMA, c.TABLE_NAME, c.COLUMN_NAME, c.DATA_TYPE, c.COLUMN_TYPE,
		COALESCE(c.NUMERIC_PRECISION, 0), COALESCE(c.NUMERIC_SCALE, 0)
		FROM information_schema.COLUMNS c JOIN information_schema.TABLES t
		ON t.TABLE_SCHEMA = c.TABLE_SCHEMA AND t.TABLE_NAME = c.TABLE_NAME
		WHERE t.TABLE_TYPE = 'BASE TABLE'
		AND c.TABLE_SCHEMA NOT IN ('mysql', 'information_schema', 'performance_schema', 'sys')
		ORDER BY c.TABLE_SCHEMA, c.TABLE_NAME, c.ORDINAL_POSITION`)
	if err != nil {
		return nil, nil, fmt.Errorf("list tables: %w", err)
	}
	defer rows.Close()
	var tables []exportTable
	for rows.Next() {
		var schema, table string
		var col exportColumn
		var dataType string
		if err := rows.Scan(&schema, &table, &col.Name, &dataType, &col.OriginalType, &col.Precision, &col.Scale); err != nil {
			return nil, nil, fmt.Errorf("list tables: %w", err)
		}
		col.Kind = mysqlKind(dataType, col.OriginalType, col.Precision, col.Scale)
		if n := len(tables); n == 0 || tables[n-1].Database != schema || tables[n-1].Name != table {
			tables = append(tables, exportTable{Database: schema, Schema: schema, Name: table})
		}
		tables[len(tables)-1].Columns = append(tables[len(tables)-1].Columns, col)
	}
	if err := rows.Err(); err != nil {
		return nil, nil, fmt.Errorf("list tables: %w", err)
	}
	var kept []exportTable
	var skipped []skippedTable
	for _, t := range tables {
		reason := ""
		if strings.Contains(t.Name, "/") {
			reason = "TABLE_NAME_HAS_SLASH"
		}
		for _, c := range t.Columns {
			if skippedColumnName(c.Name) {
				reason = "UNSUPPORTED_COLUMN_NAME"
			}
		}
		if reason != "" {
			skipped = append(skipped, skippedTable{Target: t.Database + "." + t.Name, Reason: reason})
			continue
		}
		kept = append(kept, t)
	}
	return kept, skipped, nil
}

func (r *mysqlReader) read(ctx context.Context, t *exportTable) error {
	db, err := r.open()
	if err != nil {
		return err
	}
	quote := func(s string) string { return "`" + strings.ReplaceAll(s, "`", "``") + "`" }
	exprs := make([]string, len(t.Columns))
	for i, c := range t.Columns {
		exprs[i] = quote(c.Name)
	}
	rows, err := db.QueryContext(ctx, "SELECT "+strings.Join(exprs, ", ")+" FROM "+quote(t.Database)+"."+quote(t.Name))
	if err != nil {
		return mysqlReadError(t, err)
	}
	defer rows.Close()
	for rows.Next() {
		raw := make([]any, len(t.Columns))
		ptrs := make([]any, len(t.Columns))
		for i := range raw {
			ptrs[i] = &raw[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return mysqlReadError(t, err)
		}
		vals := make([]any, len(t.Columns))
		for i, c := range t.Columns {
			if vals[i], err = mysqlValue(c, raw[i]); err != nil {
				return fmt.Errorf("read %s.%s: %w", t.target(), c.Name, err)
			}
		}
		t.Rows = append(t.Rows, vals)
	}
	return mysqlReadError(t, rows.Err())
}

func mysqlReadError(t *exportTable, err error) error {
	var myErr *mysql.MySQLError
	if errors.As(err, &myErr) && (myErr.Number == 1142 || myErr.Number == 1143) { // table/column access denied
		return errPermission
	}
	if err != nil {
		return fmt.Errorf("read %s: %w", t.target(), err)
	}
	return nil
}

// mysqlValue converts what the driver scanned (bytes, int64, float64, time.Time) to the
// column kind's Go type.
func mysqlValue(c exportColumn, v any) (any, error) {
	if v == nil {
		return nil, nil
	}
	text := func() string {
		if b, ok := v.([]byte); ok {
			return string(b)
		}
		return fmt.Sprint(v)
	}
	parseInt := func() (int64, error) { return strconv.ParseInt(text(), 10, 64) }
	switch c.Kind {
	case kindString:
		return text(), nil
	case kindBytes:
		if b, ok := v.([]byte); ok {
			return append([]byte(nil), b...), nil
		}
		return []byte(text()), nil
	case kindInt64:
		return parseInt()
	case kindInt32:
		n, err := parseInt()
		return int32(n), err
	case kindDouble:
		return strconv.ParseFloat(text(), 64)
	case kindTimestamp:
		if t, ok := v.(time.Time); ok {
			return t.UTC(), nil
		}
		return nil, fmt.Errorf("not a time: %v", v)
	case kindDecimal32, kindDecimal64:
		n, err := decimalUnscaled(text(), c.Scale)
		if err != nil {
			return nil, err
		}
		if c.Kind == kindDecimal32 {
			return int32(n.Int64()), nil
		}
		return n.Int64(), nil
	}
	return nil, fmt.Errorf("no conversion for kind %d", c.Kind)
}
