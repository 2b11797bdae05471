package logapi

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	v1 "github.com/matrixmind-cloud/aws-rds-operator/api/v1"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/cloud"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/cloud/cloudtest"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/naming"
)

// TestServeBackups: rdsdatabases/backups answers the database's snapshots (by kind), its
// automated backups and its own exports only, oldest first, to a user kube-apiserver allows
// get on rdsdatabases/backups; and refuses the others.
func TestServeBackups(t *testing.T) {
	pki := newFrontProxyPKI(t)
	const path = "/apis/logs.matrixmind.cloud/v1/namespaces/shop/rdsdatabases/orders/backups"
	alice := http.Header{"X-Remote-User": {"alice"}}
	day := time.Date(2026, 12, 2, 3, 0, 0, 0, time.UTC)
	fake := &cloudtest.Provider{
		SnapshotsFn: func(_ context.Context, id string) ([]cloud.Snapshot, error) {
			if id != logDB {
				return nil, errors.New("wrong database " + id)
			}
			return []cloud.Snapshot{
				{Identifier: "orders-sched-2", Status: "available", Available: true, CreatedAt: day.Add(2 * time.Hour), Tags: map[string]string{v1.TagBackup: v1.BackupScheduled}},
				{Identifier: "by-hand", Status: "creating", CreatedAt: day.Add(time.Hour)},
			}, nil
		},
		AutomatedBackupsFn: func(context.Context, string) ([]cloud.Snapshot, error) {
			return []cloud.Snapshot{{Identifier: "rds:orders-2026-12-02", Status: "available", Available: true, CreatedAt: day}}, nil
		},
		ExportsFn: func(context.Context) ([]cloud.Export, error) {
			return []cloud.Export{
				{Identifier: naming.ExportIdentifier(logDB, "orders-sched-2"), Snapshot: "orders-sched-2", Status: "COMPLETE", Percent: 100, Bucket: "cold", Prefix: "rds/", StartedAt: day.Add(3 * time.Hour)},
				{Identifier: naming.ExportIdentifier("another-db", "x"), Status: "FAILED", Bucket: "cold"},
			}, nil
		},
	}
	cases := []struct {
		reason   string
		allow    bool
		wantCode int
	}{
		{reason: "An allowed user gets the list.", allow: true, wantCode: http.StatusOK},
		{reason: "A user without get on rdsdatabases/backups is forbidden.", allow: false, wantCode: http.StatusForbidden},
	}
	for _, tc := range cases {
		t.Run(tc.reason, func(t *testing.T) {
			f := newAPIFixture(t, pki, &logCloud{}, Config{})
			f.server.cfg.Locate = func(context.Context, *v1.RDSDatabase) (cloud.Provider, string, error) { return fake, logDB, nil }
			f.allow = tc.allow
			rec := httptest.NewRecorder()
			f.server.ServeHTTP(rec, request(http.MethodGet, path, &pki.proxy, alice))
			if rec.Code != tc.wantCode {
				t.Fatalf("%s\nanswer %d, want %d\n%s", tc.reason, rec.Code, tc.wantCode, rec.Body)
			}
			if len(f.reviews) != 1 || f.reviews[0].ResourceAttributes.Subresource != "backups" {
				t.Errorf("%s\nreviews %+v, want one about rdsdatabases/backups", tc.reason, f.reviews)
			}
			if !tc.allow {
				if st := statusOf(t, rec); !strings.Contains(st.Message, `"rdsdatabases/backups"`) {
					t.Errorf("%s\nrefusal %q does not name rdsdatabases/backups", tc.reason, st.Message)
				}
				return
			}
			var list BackupList
			if err := json.Unmarshal(rec.Body.Bytes(), &list); err != nil {
				t.Fatal(err)
			}
			var kinds, exports []string
			for _, b := range list.Snapshots {
				kinds = append(kinds, b.Kind+" "+b.Identifier)
			}
			for _, e := range list.Exports {
				exports = append(exports, e.Status+" "+e.Location)
			}
			want := []string{"automated rds:orders-2026-12-02", "other by-hand", "scheduled orders-sched-2"}
			if diff := cmp.Diff(want, kinds); diff != "" {
				t.Errorf("snapshots, oldest first, by kind: -want +got:\n%s", diff)
			}
			wantExports := []string{"COMPLETE cold/rds/" + naming.ExportIdentifier(logDB, "orders-sched-2") + "/"}
			if diff := cmp.Diff(wantExports, exports); diff != "" {
				t.Errorf("exports, its own only: -want +got:\n%s", diff)
			}
			if list.Kind != "RDSDatabaseBackups" || list.APIVersion != "logs.matrixmind.cloud/v1" {
				t.Errorf("kind %s %s", list.APIVersion, list.Kind)
			}
		})
	}
}
