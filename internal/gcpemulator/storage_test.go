package gcpemulator

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	sqladmin "google.golang.org/api/sqladmin/v1"
)

func TestAutoResizeStep(t *testing.T) {
	for _, tc := range []struct {
		reason     string
		size, want int64
	}{
		{"The smallest disk grows by 5 GB.", 10, 5},
		{"One more GB per 25 GB of disk.", 50, 7},
		{"250 GB grows by 15 GB.", 250, 15},
		{"From 500 GB on, by 25 GB.", 500, 25},
		{"Never by more than 25 GB.", 5000, 25},
	} {
		if got := autoResizeStep(tc.size); got != tc.want {
			t.Errorf("%s\nautoResizeStep(%d) = %d; want %d", tc.reason, tc.size, got, tc.want)
		}
	}
}

// TestStorageAutoResize: auto-resize and its limit are taken at insert and patch, checked
// and echoed; Cloud SQL grows a disk by itself within the limit, never with auto-resize off.
func TestStorageAutoResize(t *testing.T) {
	e := start(t, Config{NoEngine: true})
	type resize struct {
		On          bool
		Limit, Disk int64
	}
	get := func(name string) resize {
		t.Helper()
		db, err := e.svc.Instances.Get(project, name).Do()
		if err != nil {
			t.Fatal(err)
		}
		return resize{db.Settings.StorageAutoResize == nil || *db.Settings.StorageAutoResize, db.Settings.StorageAutoResizeLimit, db.Settings.DataDiskSizeGb}
	}
	e.create(t, pgInstance("default"))
	if diff := cmp.Diff(resize{true, 0, 20}, get("default")); diff != "" {
		t.Errorf("an instance made without saying has Cloud SQL's default, auto-resize on without limit (-want +got):\n%s", diff)
	}
	if got, _ := e.emu.GrowStorage(project, "default"); got != 25 {
		t.Errorf("a 20 GB disk without limit grows to %d GB; want 25", got)
	}

	limited := pgInstance("limited")
	limited.Settings.StorageAutoResize, limited.Settings.StorageAutoResizeLimit = new(true), 30
	e.create(t, limited)
	for _, want := range []int64{25, 30, 30} {
		if got, _ := e.emu.GrowStorage(project, "limited"); got != want {
			t.Errorf("growing a disk limited to 30 GB: %d GB; want %d", got, want)
		}
	}

	off := pgInstance("off")
	off.Settings.StorageAutoResize = new(false)
	e.create(t, off)
	if got, _ := e.emu.GrowStorage(project, "off"); got != 20 {
		t.Errorf("a disk with auto-resize off grew to %d GB", got)
	}
	if _, found := e.emu.GrowStorage(project, "nobody"); found {
		t.Error("GrowStorage found an instance that does not exist")
	}

	below := pgInstance("below")
	below.Settings.StorageAutoResizeLimit = 15
	if _, err := e.svc.Instances.Insert(project, below).Do(); errOf(err) != (apiErr{http.StatusBadRequest, "invalid"}) {
		t.Errorf("insert with a limit below the disk = %v; want 400 invalid", err)
	}
	above := pgInstance("above")
	above.Settings.StorageAutoResizeLimit = maxDiskGB + 1
	if _, err := e.svc.Instances.Insert(project, above).Do(); errOf(err) != (apiErr{http.StatusBadRequest, "invalid"}) {
		t.Errorf("insert with a limit above the largest disk = %v; want 400 invalid", err)
	}

	op := e.wait(t)(e.svc.Instances.Patch(project, "off", &sqladmin.DatabaseInstance{Settings: &sqladmin.Settings{StorageAutoResize: new(true), StorageAutoResizeLimit: 100}}).Do())
	if op.Error != nil {
		t.Fatalf("patch failed: %+v", op.Error.Errors[0])
	}
	if diff := cmp.Diff(resize{true, 100, 20}, get("off")); diff != "" {
		t.Errorf("auto-resize turned on with a limit by a patch (-want +got):\n%s", diff)
	}

	// The side channel does the same.
	resp, err := http.Post(e.url+"/_emulator/grow-storage", "application/json", strings.NewReader(`{"project":"`+project+`","instance":"off"}`))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct {
		DataDiskSizeGb int64 `json:"dataDiskSizeGb"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || resp.StatusCode != http.StatusOK || body.DataDiskSizeGb != 25 {
		t.Errorf("POST /_emulator/grow-storage = %d, %+v, %v; want 200 and 25 GB", resp.StatusCode, body, err)
	}
}
