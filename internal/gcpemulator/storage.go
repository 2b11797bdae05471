package gcpemulator

import (
	"encoding/json"
	"fmt"
	"net/http"
)

// Cloud SQL's automatic storage increase: with settings.storageAutoResize on (the
// default), Cloud SQL checks the free space every 30 seconds and, below a threshold, adds
// as much as the threshold: 5 GB plus one GB per 25 GB of the disk, at most 25 GB; never
// beyond settings.storageAutoResizeLimit (0: its largest disk), and never back. The
// emulator's disks hold nothing that fills up, so GrowStorage (or POST
// /_emulator/grow-storage) says when free space ran low.

// autoResizeStep is how much Cloud SQL adds to a disk of size GB when it runs low.
func autoResizeStep(size int64) int64 { return min(5+size/25, 25) }

// GrowStorage makes Cloud SQL grow an instance's disk by itself once, as it does when the
// free space falls below the threshold, and returns the disk's size afterwards (GB). A disk
// whose auto-resize is off, or that has reached its limit, stays as it is. It changes the
// settings (settingsVersion goes up) without an operation, as Cloud SQL's own increases do
// not answer one to anybody; found is false when there is no such instance.
func (e *Emulator) GrowStorage(project, name string) (sizeGB int64, found bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	in, ok := e.instances[instanceKey{project, name}]
	if !ok {
		return 0, false
	}
	s := &in.settings
	if s.StorageAutoResize != nil && !*s.StorageAutoResize {
		return s.DataDiskSizeGb, true
	}
	limit := int64(maxDiskGB)
	if s.StorageAutoResizeLimit > 0 {
		limit = min(s.StorageAutoResizeLimit, maxDiskGB)
	}
	if grown := min(s.DataDiskSizeGb+autoResizeStep(s.DataDiskSizeGb), limit); grown > s.DataDiskSizeGb {
		s.DataDiskSizeGb = grown
		s.SettingsVersion++
	}
	return s.DataDiskSizeGb, true
}

// serveGrowStorage answers POST /_emulator/grow-storage {"project","instance"} with
// {"dataDiskSizeGb": n}, the disk's size after GrowStorage.
func (e *Emulator) serveGrowStorage(w http.ResponseWriter, r *http.Request) {
	var req struct{ Project, Instance string }
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		http.Error(w, "grow-storage: "+err.Error(), http.StatusBadRequest)
		return
	}
	size, ok := e.GrowStorage(req.Project, req.Instance)
	if !ok {
		http.Error(w, fmt.Sprintf("grow-storage: no instance %s in project %s", req.Instance, req.Project), http.StatusNotFound)
		return
	}
	writeJSON(w, http.StatusOK, map[string]int64{"dataDiskSizeGb": size})
}
