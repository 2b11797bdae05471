package gcp

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/api/option"
	sqladmin "google.golang.org/api/sqladmin/v1"
	storage "google.golang.org/api/storage/v1"

	"github.com/matrixmind-cloud/aws-rds-operator/internal/cloud"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/gcpemulator"
)

// TestExportOf: the operations of one folder make one export, whose phase and progress say
// where it is, part by part.
func TestExportOf(t *testing.T) {
	part := func(i, n int, db, status, failure string) exportPart {
		return exportPart{bucket: "cold", folder: "shop/orders-1a2b/", index: i, count: n, database: db, status: status, failure: failure}
	}
	cases := map[string]struct {
		reason  string
		parts   []exportPart
		phase   cloud.ExportPhase
		status  string
		percent int
	}{
		"FirstPartRuns": {
			reason: "A part not DONE makes the export run, with Cloud SQL's word for it.",
			parts:  []exportPart{part(1, 3, "a", "RUNNING", "")},
			phase:  cloud.ExportRunning, status: "RUNNING", percent: 0,
		},
		"WaitsForTheNextPart": {
			reason: "Every part DONE but fewer than counted: the export waits to be asked for the next.",
			parts:  []exportPart{part(2, 3, "b", "DONE", ""), part(1, 3, "a", "DONE", "")},
			phase:  cloud.ExportPartial, status: "PENDING", percent: 66,
		},
		"LastPartDone": {
			reason: "The last part counted is DONE: the export is complete.",
			parts:  []exportPart{part(1, 2, "a", "DONE", ""), part(2, 2, "b", "DONE", "")},
			phase:  cloud.ExportComplete, status: "DONE", percent: 100,
		},
		"ADatabaseDroppedMeanwhile": {
			reason: "A part counts the databases left when it started: fewer later, and its own count ends the export.",
			parts:  []exportPart{part(1, 3, "a", "DONE", ""), part(2, 2, "c", "DONE", "")},
			phase:  cloud.ExportComplete, status: "DONE", percent: 100,
		},
		"APartFailed": {
			reason: "A failed part fails the export, saying which database and why.",
			parts:  []exportPart{part(1, 2, "a", "DONE", ""), part(2, 2, "b", "DONE", "ERROR_RDBMS: no bucket")},
			phase:  cloud.ExportFailed, status: "DONE", percent: 50,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			e := exportOf(tc.parts)
			if e.Phase != tc.phase || e.Status != tc.status || e.Percent != tc.percent {
				t.Errorf("%s\nexport = phase %s status %s %d%%, want %s %s %d%%", tc.reason, e.Phase, e.Status, e.Percent, tc.phase, tc.status, tc.percent)
			}
			if e.Identifier != "orders-1a2b" || e.Prefix != "shop" || e.Bucket != "cold" {
				t.Errorf("export = %s in %s/%s, want orders-1a2b in cold/shop", e.Identifier, e.Bucket, e.Prefix)
			}
			if tc.phase == cloud.ExportFailed && !strings.Contains(e.FailureCause, "b: ERROR_RDBMS") {
				t.Errorf("failure cause %q does not name the database and the error", e.FailureCause)
			}
		})
	}
}

// TestExportRefusals: what Cloud SQL has no place for is refused, naming the part of the
// request to change, before any call.
func TestExportRefusals(t *testing.T) {
	em := serve(t, gcpemulator.Config{NoEngine: true})
	p := newProvider(t)
	cases := map[string]struct {
		reason string
		req    cloud.ExportRequest
		field  cloud.Field
		kind   error
	}{
		"Role": {
			reason: "Cloud SQL writes as the instance's service account.",
			req:    cloud.ExportRequest{Identifier: "x-1", Database: "x", Bucket: "cold", Role: "arn:aws:iam::111122223333:role/export"},
			field:  cloud.FieldExportRole,
		},
		"Key": {
			reason: "Cloud SQL exports take no key.",
			req:    cloud.ExportRequest{Identifier: "x-1", Database: "x", Bucket: "cold", KMSKeyID: "alias/export"},
			field:  cloud.FieldExportKMSKey,
		},
		"NoInstance": {
			reason: "Cloud SQL exports live instances only: a gone one never will be.",
			req:    cloud.ExportRequest{Identifier: "x-1", Database: "x", Bucket: "cold"},
			kind:   cloud.ErrUnsupported,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			err := p.StartExport(t.Context(), tc.req)
			var ce *cloud.Error
			if !errors.As(err, &ce) || ce.Field != tc.field || (tc.kind != nil && !errors.Is(err, tc.kind)) {
				t.Errorf("%s\nStartExport = %v, want a refusal of field %q, kind %v", tc.reason, err, tc.field, tc.kind)
			}
		})
	}
	if m := mutations(em); len(m) != 0 {
		t.Errorf("refused exports sent %v", m)
	}
}

// TestExportPostgresDatabaseByDatabase: a PostgreSQL instance is exported one database
// after another, each part started by asking again once the last is done; asking while a
// part runs starts nothing; the files hold each database's rows.
func TestExportPostgresDatabaseByDatabase(t *testing.T) {
	requirePostgres(t)
	em := serve(t, gcpemulator.Config{DataDir: t.TempDir(), Delays: gcpemulator.Delays{
		Create: 10 * time.Millisecond, Update: 10 * time.Millisecond, Delete: 10 * time.Millisecond, Backup: 10 * time.Millisecond, Export: 300 * time.Millisecond,
	}, Buckets: []string{"cold"}})
	p := newProvider(t)
	d := desiredPostgres()
	in := makeMaster(t, p, d)
	// shop is made through the API, billing with SQL: Cloud SQL lists, and so exports, both.
	if _, err := adminClient(t, em).Databases.Insert(testProject, d.Identifier, &sqladmin.Database{Name: "shop"}).Do(); err != nil {
		t.Fatal(err)
	}
	conn, err := pgConnect(t, in, d.MasterUser, d.MasterPassword, "postgres")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(t.Context(), "CREATE DATABASE billing"); err != nil {
		t.Fatal(err)
	}
	conn.Close(t.Context())
	for _, name := range []string{"shop", "billing"} {
		conn, err := pgConnect(t, in, d.MasterUser, d.MasterPassword, name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := conn.Exec(t.Context(), fmt.Sprintf("CREATE TABLE rows_of (v text); INSERT INTO rows_of VALUES ('row-of-%s')", name)); err != nil {
			t.Fatal(err)
		}
		conn.Close(t.Context())
	}
	req := cloud.ExportRequest{Identifier: "pg-orders-1a2b", Snapshot: "pg-orders-daily", Database: d.Identifier, Bucket: "cold", Prefix: "shop/"}
	exportsStarted := func() int {
		return len(slices.DeleteFunc(mutations(em), func(m string) bool { return !strings.HasSuffix(m, "/export") }))
	}
	var e cloud.Export
	asks := 0
	deadline := time.Now().Add(60 * time.Second)
	for e.Phase != cloud.ExportComplete {
		if time.Now().After(deadline) {
			t.Fatalf("the export did not complete within 60s; last seen %+v", e)
		}
		if e.Phase == "" || e.Phase == cloud.ExportPartial || e.Phase == cloud.ExportRunning {
			if err := p.StartExport(t.Context(), req); err != nil {
				t.Fatalf("StartExport: %v", err)
			}
			asks++
		}
		list, err := p.Exports(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if i := slices.IndexFunc(list, func(x cloud.Export) bool { return x.Identifier == req.Identifier }); i >= 0 {
			e = list[i]
		}
		if e.Phase == cloud.ExportFailed {
			t.Fatalf("the export failed: %s", e.FailureCause)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if got := exportsStarted(); got != 3 {
		t.Errorf("%d exports started over %d asks, want 3: postgres, billing and shop, one each", got, asks)
	}
	if e.Bucket != "cold" || e.Prefix != "shop" || e.Status != "DONE" || e.Percent != 100 {
		t.Errorf("export = %+v, want DONE 100%% in cold/shop", e)
	}

	gcsURL, err := em.ListenGCS("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	gcs, err := storage.NewService(t.Context(), option.WithEndpoint(gcsURL+"/storage/v1/"), option.WithoutAuthentication())
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []struct{ object, row string }{
		{"shop/pg-orders-1a2b/1-of-3-billing.sql.gz", "row-of-billing"},
		{"shop/pg-orders-1a2b/2-of-3-postgres.sql.gz", ""},
		{"shop/pg-orders-1a2b/3-of-3-shop.sql.gz", "row-of-shop"},
	} {
		resp, err := gcs.Objects.Get("cold", f.object).Download()
		if err != nil {
			t.Errorf("read %s: %v", f.object, err)
			continue
		}
		zr, err := gzip.NewReader(resp.Body)
		if err != nil {
			t.Fatalf("%s is not gzip: %v", f.object, err)
		}
		body, err := io.ReadAll(zr)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Contains(body, []byte("PostgreSQL database dump")) || !bytes.Contains(body, []byte(f.row)) {
			t.Errorf("%s lacks pg_dump's header or the row %q:\n%s", f.object, f.row, body)
		}
	}
	if err := p.StartExport(t.Context(), req); err != nil || exportsStarted() != 3 {
		t.Errorf("asking again for a complete export: %v, %d exports started; want nil and none more", err, exportsStarted())
	}
}

// TestExportMySQLWhole: a MySQL instance is exported in one file, every database in it.
func TestExportMySQLWhole(t *testing.T) {
	em := serve(t, gcpemulator.Config{NoEngine: true, Delays: gcpemulator.Delays{Create: 10 * time.Millisecond, Export: 10 * time.Millisecond}, Buckets: []string{"cold"}})
	p := newProvider(t)
	d := desiredPostgres()
	d.Engine, d.EngineVersion = "mysql", "8.0"
	if err := p.Create(t.Context(), d); err != nil {
		t.Fatal(err)
	}
	waitAvailable(t, p, d.Identifier)
	req := cloud.ExportRequest{Identifier: "my-orders-1a2b", Database: d.Identifier, Bucket: "cold"}
	if err := p.StartExport(t.Context(), req); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the export complete", func() (bool, string) {
		list, err := p.Exports(t.Context())
		if err != nil || len(list) != 1 {
			return false, fmt.Sprintf("%+v, %v", list, err)
		}
		return list[0].Phase == cloud.ExportComplete && list[0].Identifier == req.Identifier && list[0].Prefix == "", fmt.Sprintf("%+v", list[0])
	})
	ops, err := adminClient(t, em).Operations.List(testProject).Instance(d.Identifier).Do()
	if err != nil {
		t.Fatal(err)
	}
	var uris []string
	for _, o := range ops.Items {
		if o.OperationType == "EXPORT" {
			uris = append(uris, o.ExportContext.Uri+fmt.Sprint(o.ExportContext.Databases))
		}
	}
	if want := []string{"gs://cold/my-orders-1a2b/1-of-1-all-databases.sql.gz[]"}; !slices.Equal(uris, want) {
		t.Errorf("exports sent %v, want %v: one file, no database named (all of them)", uris, want)
	}
}
