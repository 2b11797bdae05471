package gcpemulator

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/api/googleapi"
	"google.golang.org/api/option"
	sqladmin "google.golang.org/api/sqladmin/v1"
	storage "google.golang.org/api/storage/v1"
)

const exportBucket = "exports"

// exportEnv is an emulator whose Cloud Storage stand-in is served and holds exportBucket,
// with Google's Cloud Storage client pointed at it.
type exportEnv struct {
	*env
	gcs *storage.Service
}

// startExports serves an emulator as start does, with exportBucket and the Cloud Storage
// stand-in; exports run for export.
func startExports(t *testing.T, cfg Config, export time.Duration) *exportEnv {
	t.Helper()
	cfg.Buckets = []string{exportBucket}
	cfg.Delays = Delays{Create: 50 * time.Millisecond, Update: 50 * time.Millisecond, Delete: 50 * time.Millisecond, Backup: 20 * time.Millisecond, Export: export}
	e := start(t, cfg)
	url, err := e.emu.ListenGCS("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	svc, err := storage.NewService(context.Background(), option.WithEndpoint(url+"/storage/v1/"), option.WithoutAuthentication())
	if err != nil {
		t.Fatal(err)
	}
	return &exportEnv{env: e, gcs: svc}
}

// readObject returns an object's content, or the Cloud Storage error.
func (e *exportEnv) readObject(bucket, name string) ([]byte, error) {
	resp, err := e.gcs.Objects.Get(bucket, name).Download()
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	return io.ReadAll(resp.Body)
}

// export asks for an export of instance and waits until its operation is DONE.
func (e *exportEnv) export(t *testing.T, instance string, c *sqladmin.ExportContext) *sqladmin.Operation {
	t.Helper()
	return e.wait(t)(e.svc.Instances.Export(project, instance, &sqladmin.InstancesExportRequest{ExportContext: c}).Do())
}

func gunzip(t *testing.T, b []byte) []byte {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("the .gz export is not gzip: %v", err)
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		t.Fatalf("gunzip the export: %v", err)
	}
	return out
}

func mysqlInstance(name string) *sqladmin.DatabaseInstance {
	return &sqladmin.DatabaseInstance{
		Name: name, DatabaseVersion: "MYSQL_8_0", Region: "europe-west1", RootPassword: "root-Secret-1",
		Settings: &sqladmin.Settings{Tier: "db-custom-1-3840"},
	}
}

func TestExportRefusals(t *testing.T) {
	t.Parallel()
	// Exports here run for an hour, so that one keeps its instance busy.
	e := startExports(t, Config{NoEngine: true}, time.Hour)
	e.create(t, pgInstance("pg"))
	e.create(t, mysqlInstance("my"))
	e.create(t, pgInstance("stopped"))
	if _, err := e.emu.Tamper(project, "stopped", stateSuspended); err != nil {
		t.Fatal(err)
	}
	e.create(t, pgInstance("busy"))
	sqlTo := func(dbs ...string) *sqladmin.ExportContext {
		return &sqladmin.ExportContext{FileType: "SQL", Uri: "gs://" + exportBucket + "/a.sql", Databases: dbs}
	}
	if _, err := e.svc.Instances.Export(project, "busy", &sqladmin.InstancesExportRequest{ExportContext: sqlTo("postgres")}).Do(); err != nil {
		t.Fatalf("start the export that keeps busy busy: %v", err)
	}

	cases := map[string]struct {
		reason   string
		instance string
		ctx      *sqladmin.ExportContext
		want     apiErr
	}{
		"NoInstance": {
			reason:   "An export of an instance that does not exist is 404 instanceDoesNotExist.",
			instance: "nope", ctx: sqlTo("postgres"),
			want: apiErr{http.StatusNotFound, "instanceDoesNotExist"},
		},
		"NotRunnable": {
			reason:   "An instance that is not RUNNABLE cannot export.",
			instance: "stopped", ctx: sqlTo("postgres"),
			want: apiErr{http.StatusBadRequest, "invalid"},
		},
		"OperationInProgress": {
			reason:   "An instance runs one operation at a time: a second export meanwhile is 409 operationInProgress.",
			instance: "busy", ctx: sqlTo("postgres"),
			want: apiErr{http.StatusConflict, "operationInProgress"},
		},
		"NoExportContext": {
			reason:   "The request needs an exportContext.",
			instance: "pg",
			want:     apiErr{http.StatusBadRequest, "invalid"},
		},
		"NotGCSURI": {
			reason:   "The uri is gs://bucket/object.",
			instance: "pg", ctx: &sqladmin.ExportContext{FileType: "SQL", Uri: "s3://exports/a.sql", Databases: []string{"postgres"}},
			want: apiErr{http.StatusBadRequest, "invalid"},
		},
		"NoObjectName": {
			reason:   "A SQL export writes one object, which the uri must name (a trailing / is a folder).",
			instance: "pg", ctx: &sqladmin.ExportContext{FileType: "SQL", Uri: "gs://exports/dir/", Databases: []string{"postgres"}},
			want: apiErr{http.StatusBadRequest, "invalid"},
		},
		"BadBucketName": {
			reason:   "The bucket part must be a Cloud Storage bucket name.",
			instance: "pg", ctx: &sqladmin.ExportContext{FileType: "SQL", Uri: "gs://Exports!/a.sql", Databases: []string{"postgres"}},
			want: apiErr{http.StatusBadRequest, "invalid"},
		},
		"PostgresNoDatabase": {
			reason:   "A PostgreSQL SQL export that is not parallel names exactly one database.",
			instance: "pg", ctx: sqlTo(),
			want: apiErr{http.StatusBadRequest, "invalid"},
		},
		"PostgresTwoDatabases": {
			reason:   "A PostgreSQL SQL export names one database, not two.",
			instance: "pg", ctx: sqlTo("postgres", "other"),
			want: apiErr{http.StatusBadRequest, "invalid"},
		},
		"PostgresTwoTables": {
			reason:   "A PostgreSQL export can export only one table.",
			instance: "pg", ctx: &sqladmin.ExportContext{FileType: "SQL", Uri: "gs://exports/a.sql", Databases: []string{"postgres"},
				SqlExportOptions: &sqladmin.ExportContextSqlExportOptions{Tables: []string{"a", "b"}}},
			want: apiErr{http.StatusBadRequest, "invalid"},
		},
		"MySQLTablesWithoutDatabase": {
			reason:   "Tables are exported from one and only one database.",
			instance: "my", ctx: &sqladmin.ExportContext{FileType: "SQL", Uri: "gs://exports/a.sql",
				SqlExportOptions: &sqladmin.ExportContextSqlExportOptions{Tables: []string{"a"}}},
			want: apiErr{http.StatusBadRequest, "invalid"},
		},
		"MySQLMasterData": {
			reason:   "masterData is 1 or 2.",
			instance: "my", ctx: &sqladmin.ExportContext{FileType: "SQL", Uri: "gs://exports/a.sql",
				SqlExportOptions: &sqladmin.ExportContextSqlExportOptions{MysqlExportOptions: &sqladmin.ExportContextSqlExportOptionsMysqlExportOptions{MasterData: 3}}},
			want: apiErr{http.StatusBadRequest, "invalid"},
		},
		"CSVWithoutQuery": {
			reason:   "A CSV export needs its selectQuery.",
			instance: "my", ctx: &sqladmin.ExportContext{FileType: "CSV", Uri: "gs://exports/a.csv", Databases: []string{"shop"}},
			want: apiErr{http.StatusBadRequest, "invalid"},
		},
		"BAK": {
			reason:   "BAK files are SQL Server's.",
			instance: "pg", ctx: &sqladmin.ExportContext{FileType: "BAK", Uri: "gs://exports/a.bak", Databases: []string{"postgres"}},
			want: apiErr{http.StatusBadRequest, "invalid"},
		},
		"Parallel": {
			reason:   "Parallel (directory) exports are not emulated, and are refused rather than done otherwise.",
			instance: "pg", ctx: &sqladmin.ExportContext{FileType: "SQL", Uri: "gs://exports/a.sql", Databases: []string{"postgres"},
				SqlExportOptions: &sqladmin.ExportContextSqlExportOptions{Parallel: true}},
			want: apiErr{http.StatusBadRequest, "invalid"},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := e.svc.Instances.Export(project, tc.instance, &sqladmin.InstancesExportRequest{ExportContext: tc.ctx}).Do()
			if diff := cmp.Diff(tc.want, errOf(err)); diff != "" {
				t.Errorf("%s\n(-want +got):\n%s\nerror: %v", tc.reason, diff, err)
			}
		})
	}
}

func TestExportOperationFailures(t *testing.T) {
	t.Parallel()
	e := startExports(t, Config{NoEngine: true}, 20*time.Millisecond)
	e.create(t, pgInstance("pg"))
	if err := e.emu.gcs.put(exportBucket, "taken.sql", "application/sql", []byte("-- someone else's\n")); err != nil {
		t.Fatal(err)
	}

	cases := map[string]struct {
		reason string
		ctx    *sqladmin.ExportContext
		// untouched is an object the failed export must leave as it was ("" for none).
		untouched  gcsObject
		untouchedB []byte
	}{
		"NoBucket": {
			reason: "The request succeeds but the operation fails when the bucket does not exist.",
			ctx:    &sqladmin.ExportContext{FileType: "SQL", Uri: "gs://no-such-bucket/a.sql", Databases: []string{"postgres"}},
		},
		"ObjectExists": {
			reason:    "If the file already exists, the request succeeds but the operation fails, and the file stays.",
			ctx:       &sqladmin.ExportContext{FileType: "SQL", Uri: "gs://exports/taken.sql", Databases: []string{"postgres"}},
			untouched: gcsObject{exportBucket, "taken.sql"}, untouchedB: []byte("-- someone else's\n"),
		},
		"NoDatabase": {
			reason: "A database the instance does not have fails the operation, as the dump would.",
			ctx:    &sqladmin.ExportContext{FileType: "SQL", Uri: "gs://exports/nodb.sql", Databases: []string{"nope"}},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			op := e.export(t, "pg", tc.ctx)
			if op.Error == nil || len(op.Error.Errors) != 1 {
				t.Fatalf("%s\nthe operation did not fail: %+v", tc.reason, op)
			}
			got := op.Error.Errors[0]
			if got.Kind != "sql#operationError" || got.Code != codeExportFailed || got.Message == "" {
				t.Errorf("%s\nerror = %+v, want kind sql#operationError, code %s and a message", tc.reason, got, codeExportFailed)
			}
			if op.Error.Kind != "sql#operationErrors" || op.OperationType != "EXPORT" {
				t.Errorf("%s\noperation = %s with error kind %s, want EXPORT, sql#operationErrors", tc.reason, op.OperationType, op.Error.Kind)
			}
			if tc.untouched != (gcsObject{}) {
				b, err := e.readObject(tc.untouched.bucket, tc.untouched.name)
				if err != nil || !bytes.Equal(b, tc.untouchedB) {
					t.Errorf("%s\n%s = %q, %v; want it untouched", tc.reason, tc.untouched, b, err)
				}
			}
			if e.emu.gcs.bucketExists("no-such-bucket") {
				t.Errorf("%s\na failed export makes no bucket", tc.reason)
			}
			next, err := e.svc.Instances.Patch(project, "pg", &sqladmin.DatabaseInstance{}).Do()
			if err != nil {
				t.Fatalf("a failed export leaves the instance free for the next operation: %v", err)
			}
			e.waitOp(t, next, nil)
		})
	}
}

func TestExportWithoutEngine(t *testing.T) {
	t.Parallel()
	e := startExports(t, Config{NoEngine: true}, 300*time.Millisecond)
	e.create(t, pgInstance("pg"))
	e.create(t, mysqlInstance("my"))

	cases := map[string]struct {
		reason   string
		instance string
		ctx      *sqladmin.ExportContext
		// wantBody is the object's content, gunzipped.
		wantBody string
	}{
		"PostgresSQL": {
			reason:   "Without a server the export runs through its states and writes a SQL file without data.",
			instance: "pg", ctx: &sqladmin.ExportContext{FileType: "SQL", Uri: "gs://exports/dir/pg.sql", Databases: []string{"postgres"}},
			wantBody: "-- Cloud SQL emulator export of instance pg: the instance has no database server, so no data.\n",
		},
		"Gzip": {
			reason:   "A .gz object is gzip-compressed.",
			instance: "pg", ctx: &sqladmin.ExportContext{FileType: "SQL", Uri: "gs://exports/dir/pg.sql.gz", Databases: []string{"postgres"}, Offload: true},
			wantBody: "-- Cloud SQL emulator export of instance pg: the instance has no database server, so no data.\n",
		},
		"MySQLAllDatabases": {
			reason:   "A MySQL SQL export may name no database (all of them).",
			instance: "my", ctx: &sqladmin.ExportContext{Uri: "gs://exports/my.sql"},
			wantBody: "-- Cloud SQL emulator export of instance my: the instance has no database server, so no data.\n",
		},
		"CSV": {
			reason:   "A CSV export without a server writes an empty file.",
			instance: "my", ctx: &sqladmin.ExportContext{FileType: "CSV", Uri: "gs://exports/my.csv",
				CsvExportOptions: &sqladmin.ExportContextCsvExportOptions{SelectQuery: "SELECT 1"}},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			first, err := e.svc.Instances.Export(project, tc.instance, &sqladmin.InstancesExportRequest{ExportContext: tc.ctx}).Do()
			if err != nil {
				t.Fatalf("%s\nexport: %v", tc.reason, err)
			}
			seen := []string{first.Status}
			var op *sqladmin.Operation
			eventually(t, 10*time.Second, func() bool {
				op, err = e.svc.Operations.Get(project, first.Name).Do()
				if err != nil {
					t.Fatalf("get operation: %v", err)
				}
				if seen[len(seen)-1] != op.Status {
					seen = append(seen, op.Status)
				}
				return op.Status == "DONE"
			})
			if diff := cmp.Diff([]string{"PENDING", "RUNNING", "DONE"}, seen); diff != "" {
				t.Errorf("%s\nstatuses (-want +got):\n%s", tc.reason, diff)
			}
			if op.Error != nil {
				t.Fatalf("%s\nexport failed: %+v", tc.reason, op.Error.Errors[0])
			}
			want := *tc.ctx
			want.Kind = "sql#exportContext"
			got := op.ExportContext
			if got == nil {
				t.Fatalf("%s\nthe operation does not echo its exportContext", tc.reason)
			}
			got.ForceSendFields, got.NullFields = nil, nil
			if diff := cmp.Diff(&want, got); diff != "" {
				t.Errorf("%s\nexportContext echoed (-want +got):\n%s", tc.reason, diff)
			}
			if op.OperationType != "EXPORT" || op.TargetId != tc.instance || op.TargetProject != project {
				t.Errorf("%s\noperation %s on %s/%s, want EXPORT on %s/%s", tc.reason, op.OperationType, op.TargetProject, op.TargetId, project, tc.instance)
			}
			list, err := e.svc.Operations.List(project).Instance(tc.instance).Do()
			if err != nil || len(list.Items) == 0 || list.Items[0].Name != op.Name || list.Items[0].ExportContext == nil {
				t.Errorf("%s\noperations.list of the instance lists the export first, with its exportContext: %v", tc.reason, err)
			}
			obj, err := parseGCSURI(tc.ctx.Uri)
			if err != nil {
				t.Fatal(err)
			}
			body, err := e.readObject(obj.bucket, obj.name)
			if err != nil {
				t.Fatalf("%s\nread %s: %v", tc.reason, tc.ctx.Uri, err)
			}
			if obj.name[len(obj.name)-3:] == ".gz" {
				body = gunzip(t, body)
			}
			if diff := cmp.Diff(tc.wantBody, string(body)); diff != "" {
				t.Errorf("%s\n%s (-want +got):\n%s", tc.reason, tc.ctx.Uri, diff)
			}
		})
	}
}

func TestExportOffloadKeepsInstanceFree(t *testing.T) {
	t.Parallel()
	e := startExports(t, Config{NoEngine: true}, time.Hour)
	e.create(t, pgInstance("pg"))
	cases := []struct {
		reason  string
		offload bool
		want    apiErr
	}{
		{reason: "A serverless (offloaded) export lets other operations run on the instance meanwhile.", offload: true},
		{reason: "A standard export keeps the instance busy: a patch meanwhile is 409 operationInProgress.", want: apiErr{http.StatusConflict, "operationInProgress"}},
	}
	for i, tc := range cases {
		t.Run(tc.reason, func(t *testing.T) {
			c := &sqladmin.ExportContext{Uri: "gs://exports/offload-" + string(rune('a'+i)) + ".sql", Databases: []string{"postgres"}, Offload: tc.offload}
			if _, err := e.svc.Instances.Export(project, "pg", &sqladmin.InstancesExportRequest{ExportContext: c}).Do(); err != nil {
				t.Fatalf("export: %v", err)
			}
			op, err := e.svc.Instances.Patch(project, "pg", &sqladmin.DatabaseInstance{}).Do()
			if diff := cmp.Diff(tc.want, errOf(err)); diff != "" {
				t.Fatalf("%s\n(-want +got):\n%s", tc.reason, diff)
			}
			if err == nil {
				e.waitOp(t, op, nil)
			}
		})
	}
}

func TestExportCallLog(t *testing.T) {
	t.Parallel()
	e := startExports(t, Config{NoEngine: true}, 20*time.Millisecond)
	e.create(t, pgInstance("pg"))
	e.emu.ResetStats()
	e.export(t, "pg", &sqladmin.ExportContext{Uri: "gs://exports/a.sql", Databases: []string{"postgres"}})
	_, err := e.svc.Instances.Export(project, "nope", &sqladmin.InstancesExportRequest{}).Do()
	var g *googleapi.Error
	if !errors.As(err, &g) {
		t.Fatalf("export of a missing instance: %v", err)
	}
	const method = "POST /v1/projects/{project}/instances/{instance}/export"
	s := e.emu.Stats()
	if s.Calls[method] != 2 || s.Errors["404"] != 1 {
		t.Errorf("stats count the exports by their method and the 404 by its status: calls %v, errors %v", s.Calls, s.Errors)
	}
	var logged []Call
	for _, c := range s.Log {
		if c.Method == method {
			c.Time = time.Time{}
			logged = append(logged, c)
		}
	}
	want := []Call{{Method: method, Instance: "pg", Code: 200}, {Method: method, Instance: "nope", Code: 404}}
	if diff := cmp.Diff(want, logged); diff != "" {
		t.Errorf("the call log has each export (-want +got):\n%s", diff)
	}
}
