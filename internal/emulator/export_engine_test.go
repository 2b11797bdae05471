package emulator

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"
	"github.com/parquet-go/parquet-go"

	"github.com/matrixmind-cloud/aws-rds-operator/internal/mariaserver"
)

// parquetTable is what a Parquet file holds, in comparable form: each column's name with
// its Parquet type ("INT64", "BYTE_ARRAY STRING", "INT32 INT(16)"...), and each row as text
// per column ("NULL" for null).
type parquetTable struct {
	Columns []string
	Rows    []map[string]string
}

// readParquet reads an export's Parquet file with parquet-go's reader.
func readParquet(t *testing.T, data []byte) parquetTable {
	t.Helper()
	r := parquet.NewReader(bytes.NewReader(data))
	defer r.Close()
	var out parquetTable
	fields := r.Schema().Fields()
	for _, f := range fields {
		typ := f.Type().Kind().String()
		if lt := logicalType(f); lt != "" {
			typ += " " + lt
		}
		out.Columns = append(out.Columns, f.Name()+" "+typ)
	}
	rows := make([]parquet.Row, r.NumRows())
	n, err := r.ReadRows(rows)
	if err != nil && n < len(rows) {
		t.Fatalf("read parquet rows: %v", err)
	}
	for _, row := range rows[:n] {
		m := map[string]string{}
		for _, v := range row {
			name := fields[v.Column()].Name()
			switch {
			case v.IsNull():
				m[name] = "NULL"
			case v.Kind() == parquet.ByteArray && logicalType(fields[v.Column()]) == "STRING":
				m[name] = string(v.ByteArray())
			case v.Kind() == parquet.ByteArray:
				m[name] = fmt.Sprintf("%x", v.ByteArray())
			case v.Kind() == parquet.Boolean:
				m[name] = strconv.FormatBool(v.Boolean())
			case v.Kind() == parquet.Int32:
				m[name] = strconv.Itoa(int(v.Int32()))
			case v.Kind() == parquet.Int64:
				m[name] = strconv.FormatInt(v.Int64(), 10)
			case v.Kind() == parquet.Float:
				m[name] = strconv.FormatFloat(float64(v.Float()), 'g', -1, 32)
			case v.Kind() == parquet.Double:
				m[name] = strconv.FormatFloat(v.Double(), 'g', -1, 64)
			}
		}
		out.Rows = append(out.Rows, m)
	}
	return out
}

// logicalType is a column's logical type annotation, "" for none.
func logicalType(f parquet.Field) string {
	if lt := f.Type().LogicalType(); lt != nil {
		return lt.String()
	}
	return ""
}

// uuidInName matches the random part of an export's Parquet file name.
var uuidInName = regexp.MustCompile(`part-(\d{5})-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}-c000\.gz\.parquet$`)

// exportedFiles reads what an export wrote under prefix: the keys (with the uuid of
// Parquet file names as *) and the Parquet files' content by key.
func exportedFiles(t *testing.T, s3URL, prefix string) ([]string, map[string]parquetTable, map[string][]byte) {
	t.Helper()
	c := newS3Client(t, s3URL)
	var keys []string
	tables := map[string]parquetTable{}
	raw := map[string][]byte{}
	for _, k := range listKeys(t, c, prefix) {
		short := uuidInName.ReplaceAllString(k, "part-$1-*-c000.gz.parquet")
		keys = append(keys, short)
		body := getObject(t, c, k)
		if short != k {
			tables[short] = readParquet(t, body)
		} else {
			raw[short] = body
		}
	}
	return keys, tables, raw
}

func TestExportPostgresSnapshotToParquet(t *testing.T) {
	if !havePostgres() {
		t.Skip("PostgreSQL server binaries (initdb) are not installed")
	}
	e, c := start(t, Config{Account: Account{Buckets: []string{exportBucket}}})
	s3URL, err := e.ListenS3("127.0.0.1:0")
	if err != nil {
		t.Fatalf("ListenS3: %v", err)
	}
	ctx := context.Background()
	in := createInput("shop-pg")
	in.DBName = aws.String("shop")
	if _, err := c.CreateDBInstance(ctx, in); err != nil {
		t.Fatalf("CreateDBInstance: %v", err)
	}
	ep := waitStatusEndpoint(t, c, "shop-pg")
	conn, err := pgx.Connect(ctx, fmt.Sprintf("host=%s port=%d user=master password=%s dbname=shop sslmode=require", ep.host, ep.port, testPassword))
	if err != nil {
		t.Fatalf("master login: %v", err)
	}
	for _, q := range []string{
		`CREATE TABLE customers (id bigint PRIMARY KEY, name text NOT NULL, vip boolean, score real)`,
		`INSERT INTO customers VALUES (1, 'Ada', true, 4.5), (2, 'Grace', NULL, NULL)`,
		`CREATE TABLE orders (id integer, customer_id bigint, qty smallint, total numeric(10,2), placed_at timestamptz,
			placed_on date, note varchar(20), payload jsonb, raw bytea, ratio double precision)`,
		`INSERT INTO orders VALUES (10, 1, 3, 12.30, '2026-01-02 03:04:05+00', '2026-01-02', 'first', '{"a": 1}', '\x0102', 0.25),
			(11, 2, 1, -5.00, NULL, NULL, NULL, NULL, NULL, NULL)`,
	} {
		if _, err := conn.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	_ = conn.Close(ctx)
	if _, err := c.CreateDBSnapshot(ctx, &rds.CreateDBSnapshotInput{DBInstanceIdentifier: aws.String("shop-pg"), DBSnapshotIdentifier: aws.String("shop-snap")}); err != nil {
		t.Fatalf("CreateDBSnapshot: %v", err)
	}
	snapARN := aws.ToString(waitSnapshot(t, c, "shop-snap", "available", 60*time.Second).DBSnapshotArn)

	full := exportInput("shop-full", snapARN)
	full.S3Prefix = aws.String("nightly")
	if _, err := c.StartExportTask(ctx, full); err != nil {
		t.Fatalf("StartExportTask: %v", err)
	}
	task, seen := waitExport(t, c, "shop-full", "COMPLETE", 120*time.Second)
	if diff := cmp.Diff([]string{"STARTING", "IN_PROGRESS", "COMPLETE"}, seen); diff != "" {
		t.Errorf("statuses of an export (-want +got):\n%s", diff)
	}
	if aws.ToInt32(task.PercentProgress) != 100 || task.WarningMessage != nil {
		t.Errorf("complete task: PercentProgress %d, WarningMessage %q", aws.ToInt32(task.PercentProgress), aws.ToString(task.WarningMessage))
	}

	keys, tables, raw := exportedFiles(t, s3URL, "nightly/shop-full/")
	wantKeys := []string{
		"nightly/shop-full/export_info_shop-full.json",
		"nightly/shop-full/export_tables_info_shop-full_from_1_to_2.json",
		"nightly/shop-full/shop/public.customers/1/part-00000-*-c000.gz.parquet",
		"nightly/shop-full/shop/public.orders/1/part-00000-*-c000.gz.parquet",
	}
	if diff := cmp.Diff(wantKeys, keys); diff != "" {
		t.Fatalf("S3 layout of the export (-want +got):\n%s", diff)
	}
	wantTables := map[string]parquetTable{
		wantKeys[2]: {
			Columns: []string{"id INT64 INT(64,true)", "name BYTE_ARRAY STRING", "vip BOOLEAN", "score FLOAT"},
			Rows: []map[string]string{
				{"id": "1", "name": "Ada", "vip": "true", "score": "4.5"},
				{"id": "2", "name": "Grace", "vip": "NULL", "score": "NULL"},
			},
		},
		wantKeys[3]: {
			Columns: []string{"id INT32 INT(32,true)", "customer_id INT64 INT(64,true)", "qty INT32 INT(16,true)", "total BYTE_ARRAY STRING", "placed_at BYTE_ARRAY STRING",
				"placed_on BYTE_ARRAY STRING", "note BYTE_ARRAY STRING", "payload BYTE_ARRAY STRING", "raw BYTE_ARRAY", "ratio DOUBLE"},
			Rows: []map[string]string{
				{"id": "10", "customer_id": "1", "qty": "3", "total": "12.30", "placed_at": "2026-01-02 03:04:05+00", "placed_on": "2026-01-02",
					"note": "first", "payload": `{"a": 1}`, "raw": "0102", "ratio": "0.25"},
				{"id": "11", "customer_id": "2", "qty": "1", "total": "-5.00", "placed_at": "NULL", "placed_on": "NULL",
					"note": "NULL", "payload": "NULL", "raw": "NULL", "ratio": "NULL"},
			},
		},
	}
	if diff := cmp.Diff(wantTables, tables); diff != "" {
		t.Errorf("Parquet files read back: types mapped as AWS maps PostgreSQL's, values as in the database (-want +got):\n%s", diff)
	}

	var info map[string]any
	if err := json.Unmarshal(raw[wantKeys[0]], &info); err != nil {
		t.Fatalf("export_info: %v", err)
	}
	for k, want := range map[string]any{"exportTaskIdentifier": "shop-full", "sourceArn": snapARN, "status": "COMPLETE", "s3Bucket": exportBucket, "s3Prefix": "nightly"} {
		if info[k] != want {
			t.Errorf("export_info %s = %v, want %v", k, info[k], want)
		}
	}
	var tablesInfo struct {
		PerTableStatus []tableStatus `json:"perTableStatus"`
	}
	if err := json.Unmarshal(raw[wantKeys[1]], &tablesInfo); err != nil {
		t.Fatalf("export_tables_info: %v", err)
	}
	var targets []string
	for _, s := range tablesInfo.PerTableStatus {
		targets = append(targets, s.Target+" "+s.Status)
	}
	if diff := cmp.Diff([]string{"shop.public.customers COMPLETE", "shop.public.orders COMPLETE"}, targets); diff != "" {
		t.Errorf("export_tables_info targets (-want +got):\n%s", diff)
	}

	// ExportOnly narrows the export to one table.
	part := exportInput("shop-orders", snapARN)
	part.ExportOnly = []string{"shop.public.orders"}
	if _, err := c.StartExportTask(ctx, part); err != nil {
		t.Fatalf("StartExportTask with ExportOnly: %v", err)
	}
	waitExport(t, c, "shop-orders", "COMPLETE", 120*time.Second)
	keys, _, _ = exportedFiles(t, s3URL, "shop-orders/")
	if diff := cmp.Diff([]string{
		"shop-orders/export_info_shop-orders.json",
		"shop-orders/export_tables_info_shop-orders_from_1_to_1.json",
		"shop-orders/shop/public.orders/1/part-00000-*-c000.gz.parquet",
	}, keys); diff != "" {
		t.Errorf("ExportOnly shop.public.orders (-want +got):\n%s", diff)
	}
}

// endpoint is an instance's address.
type endpoint struct {
	host string
	port int
}

// waitStatusEndpoint waits until an instance with an engine is available and returns its
// endpoint.
func waitStatusEndpoint(t *testing.T, c *rds.Client, id string) endpoint {
	t.Helper()
	waitStatus(t, c, id, "available", 90*time.Second)
	ep := describe(t, c, id).Endpoint
	if ep == nil {
		t.Fatalf("available instance %s has no Endpoint", id)
	}
	return endpoint{host: aws.ToString(ep.Address), port: int(aws.ToInt32(ep.Port))}
}

func TestExportMySQLSnapshotToParquet(t *testing.T) {
	if err := mariaserver.Installed(); err != nil {
		t.Skipf("MariaDB is not installed: %v", err)
	}
	e, c := start(t, Config{Account: Account{Buckets: []string{exportBucket}}})
	s3URL, err := e.ListenS3("127.0.0.1:0")
	if err != nil {
		t.Fatalf("ListenS3: %v", err)
	}
	ctx := context.Background()
	if _, err := c.CreateDBInstance(ctx, mysqlInput("shop-my")); err != nil {
		t.Fatalf("CreateDBInstance: %v", err)
	}
	waitStatus(t, c, "shop-my", "available", 90*time.Second)
	db, err := mysqlLogin(t, c, "shop-my", "master", testPassword, "shop")
	if err != nil {
		t.Fatalf("master login: %v", err)
	}
	for _, q := range []string{
		`CREATE TABLE orders (id BIGINT PRIMARY KEY, qty INT, total DECIMAL(10,2), placed DATETIME, note VARCHAR(20))`,
		`INSERT INTO orders VALUES (1, 3, 12.30, '2026-01-02 03:04:05', 'first'), (2, NULL, -5.00, NULL, NULL)`,
	} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	if _, err := c.CreateDBSnapshot(ctx, &rds.CreateDBSnapshotInput{DBInstanceIdentifier: aws.String("shop-my"), DBSnapshotIdentifier: aws.String("shop-my-snap")}); err != nil {
		t.Fatalf("CreateDBSnapshot: %v", err)
	}
	snapARN := aws.ToString(waitSnapshot(t, c, "shop-my-snap", "available", 60*time.Second).DBSnapshotArn)
	if _, err := c.StartExportTask(ctx, exportInput("shop-my-export", snapARN)); err != nil {
		t.Fatalf("StartExportTask: %v", err)
	}
	waitExport(t, c, "shop-my-export", "COMPLETE", 120*time.Second)
	keys, tables, _ := exportedFiles(t, s3URL, "shop-my-export/")
	wantKeys := []string{
		"shop-my-export/export_info_shop-my-export.json",
		"shop-my-export/export_tables_info_shop-my-export_from_1_to_1.json",
		"shop-my-export/shop/shop.orders/1/part-00000-*-c000.gz.parquet",
	}
	if diff := cmp.Diff(wantKeys, keys); diff != "" {
		t.Fatalf("S3 layout of a MySQL export: the database is the schema (-want +got):\n%s", diff)
	}
	micros := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC).UnixMicro()
	want := parquetTable{
		Columns: []string{"id INT64 INT(64,true)", "qty INT32 INT(32,true)", "total INT64 DECIMAL(10,2)", "placed INT64 TIMESTAMP(isAdjustedToUTC=true,unit=MICROS)", "note BYTE_ARRAY STRING"},
		Rows: []map[string]string{
			{"id": "1", "qty": "3", "total": "1230", "placed": strconv.FormatInt(micros, 10), "note": "first"},
			{"id": "2", "qty": "NULL", "total": "-500", "placed": "NULL", "note": "NULL"},
		},
	}
	if diff := cmp.Diff(want, tables[wantKeys[2]]); diff != "" {
		t.Errorf("Parquet read back: BIGINT INT64, INT INT32, DECIMAL(10,2) as an unscaled INT64 DECIMAL, DATETIME as TIMESTAMP_MICROS (-want +got):\n%s", diff)
	}
}
