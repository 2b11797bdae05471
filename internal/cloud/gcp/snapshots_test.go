package gcp

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/matrixmind-cloud/aws-rds-operator/internal/cloud"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/gcpemulator"
)

// backupRunPages serves backupRuns.list of instance shop from pages, as Cloud SQL answers
// it (newest first, ids as JSON strings), and 404 for any other instance.
func backupRunPages(t *testing.T, pages [][]map[string]any) (*Provider, *[]string) {
	t.Helper()
	var asked []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		asked = append(asked, r.Method+" "+r.URL.Path+"?pageToken="+r.URL.Query().Get("pageToken"))
		if r.Method != http.MethodGet || r.URL.Path != "/v1/projects/shop-project/instances/shop/backupRuns" {
			w.WriteHeader(http.StatusNotFound)
			_, _ = w.Write([]byte(`{"error":{"code":404,"message":"The Cloud SQL instance does not exist.","errors":[{"reason":"instanceDoesNotExist"}]}}`))
			return
		}
		i := 0
		if tok := r.URL.Query().Get("pageToken"); tok != "" {
			i = int(tok[0] - '0')
		}
		page := map[string]any{"kind": "sql#backupRunsList", "items": pages[i]}
		if i+1 < len(pages) {
			page["nextPageToken"] = string(rune('0' + i + 1))
		}
		if err := json.NewEncoder(w).Encode(page); err != nil {
			t.Errorf("encode: %v", err)
		}
	}))
	t.Cleanup(srv.Close)
	t.Setenv(EnvAccessToken, "unit-test")
	p, err := New(t.Context(), Config{Project: "shop-project", Region: testRegion, Endpoint: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	return p, &asked
}

// TestAutomatedBackups: Cloud SQL's own (AUTOMATED) backup runs of an instance, from every
// page, oldest first, without the on-demand and final backups that are snapshots.
func TestAutomatedBackups(t *testing.T) {
	run := func(id, typ, status, start string) map[string]any {
		r := map[string]any{"kind": "sql#backupRun", "id": id, "instance": "shop", "type": typ, "status": status}
		if start != "" {
			r["startTime"] = start
		}
		return r
	}
	p, asked := backupRunPages(t, [][]map[string]any{
		{
			run("5", "AUTOMATED", "ENQUEUED", ""),
			run("4", "ON_DEMAND", "SUCCESSFUL", "2026-12-03T10:00:00.000Z"),
			run("3", "AUTOMATED", "SUCCESSFUL", "2026-12-03T03:00:00.000Z"),
		},
		{
			run("2", "AUTOMATED", "FAILED", "2026-12-02T03:00:00.000Z"),
			run("1", "AUTOMATED", "SUCCESSFUL", "2026-12-01T03:00:00.123Z"),
		},
	})
	got, err := p.AutomatedBackups(t.Context(), "shop")
	if err != nil {
		t.Fatal(err)
	}
	backup := func(id, status string, available bool, start time.Time) cloud.Snapshot {
		return cloud.Snapshot{Identifier: id, ARN: "projects/shop-project/instances/shop/backupRuns/" + id, Status: status,
			Available: available, CreatedAt: start, Tags: map[string]string{}}
	}
	want := []cloud.Snapshot{
		backup("1", "SUCCESSFUL", true, time.Date(2026, 12, 1, 3, 0, 0, 123e6, time.UTC)),
		backup("2", "FAILED", false, time.Date(2026, 12, 2, 3, 0, 0, 0, time.UTC)),
		backup("3", "SUCCESSFUL", true, time.Date(2026, 12, 3, 3, 0, 0, 0, time.UTC)),
		// Not started yet: the newest.
		backup("5", "ENQUEUED", false, time.Time{}),
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("automated backups: -want +got:\n%s", diff)
	}
	if len(*asked) != 2 {
		t.Errorf("asked %v, want both pages", *asked)
	}

	if none, err := p.AutomatedBackups(t.Context(), "gone"); err != nil || len(none) != 0 {
		t.Errorf("an instance that does not exist has no automated backups: %+v, %v", none, err)
	}
}

// TestAutomatedBackupsOnTheEmulator: an on-demand backup (a snapshot) is no automated
// backup; the emulator takes no scheduled backups, so there are none.
func TestAutomatedBackupsOnTheEmulator(t *testing.T) {
	serve(t, gcpemulator.Config{NoEngine: true, Delays: conformanceDelays})
	p := newProvider(t)
	d := desiredCloudSQL("shop", nil)
	if err := p.Create(t.Context(), d); err != nil {
		t.Fatal(err)
	}
	waitAvailable(t, p, d.Identifier)
	if err := p.CreateSnapshot(t.Context(), d.Identifier, "by-hand", nil); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the snapshot", func() (bool, string) {
		s, found, err := p.Snapshot(t.Context(), "by-hand")
		return err == nil && found && s.Available, s.Status
	})
	if got, err := p.AutomatedBackups(t.Context(), d.Identifier); err != nil || len(got) != 0 {
		t.Errorf("an on-demand backup is listed as automated: %+v, %v", got, err)
	}
}
