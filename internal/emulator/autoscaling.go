package emulator

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// Storage autoscaling, as RDS does it (RDS User Guide, "Managing capacity automatically
// with Amazon RDS storage autoscaling"): CreateDBInstance and ModifyDBInstance take
// MaxAllocatedStorage, the most RDS may grow the instance to, at least 10% above its
// allocated storage; setting it equal to the allocated storage turns autoscaling off. The
// setting applies at once, whatever ApplyImmediately says. When free space stays at or
// below 10% for five minutes, RDS grows the storage by the greatest of 10 GiB, 10% and the
// predicted growth, never beyond the maximum: the instance modifies, then goes through
// storage-optimization, during which it cannot grow again. Without autoscaling, or at its
// maximum, it ends storage-full. The emulator cannot tell how full its servers' disks are,
// so FillStorage (or POST /_emulator/fill-storage) says when the storage runs low.

// autoscaleIncrement is how much RDS's autoscaler adds to allocated GiB: the greater of
// 10 GiB and 10% (rounded up). The emulator predicts no growth of its own.
func autoscaleIncrement(allocated int) int {
	return max(10, (allocated+9)/10)
}

// checkMaxStorage applies RDS's rules for MaxAllocatedStorage against the allocated storage
// the instance has (or will have): within the storage type's limit, not for magnetic
// storage, above the allocated storage (equal is refused at create and turns autoscaling
// off at modify: atCreate tells which) by at least 10%. The words are RDS's where public
// material quotes them (docs/rds-emulator-errors.md).
func checkMaxStorage(engine, storageType string, allocated, maxStorage int, atCreate bool) error {
	if maxStorage == allocated && !atCreate {
		return nil
	}
	if _, limit, ok := storageLimits(storageType); ok && maxStorage > limit {
		return newError(codeInvalidCombination, "Invalid max storage size for engine name %s and storage type %s: %d", engine, storageType, maxStorage)
	}
	if storageType == "standard" {
		return newError(codeInvalidCombination, "Storage autoscaling is not supported for storage type standard.")
	}
	if maxStorage <= allocated {
		return newError(codeInvalidCombination, "Max storage size must be greater than storage size")
	}
	if maxStorage*10 < allocated*11 {
		return newError(codeInvalidCombination, "The maximum allocated storage must be increased by at least 10 percent.")
	}
	return nil
}

// Errors FillStorage wraps, which the HTTP route turns into status codes.
var errNotFillable = errors.New("storage can't run low now")

// FillStorage makes an instance's storage run low, as a workload filling its disk would:
// with autoscaling on and room below MaxAllocatedStorage, RDS's autoscaler grows it (the
// instance modifies for Delays.Modify, then reports the new AllocatedStorage and is in
// storage-optimization for Delays.Modify, then available); without autoscaling, at its
// maximum, or while the last storage change is still being optimized, the instance ends
// storage-full, as on RDS, until a storage increase or a later FillStorage grows it. It
// fails for an unknown instance, an instance of an Aurora DB cluster (Aurora grows its
// storage by itself) and an instance in any status but available, storage-optimization
// and storage-full. It is not an API call: the call log does not count it.
func (e *Emulator) FillStorage(id string) error {
	id = strings.ToLower(id)
	e.mu.Lock()
	in, ok := e.instances[id]
	if !ok {
		e.mu.Unlock()
		return fmt.Errorf("fill storage of %s: %w", id, errNoInstance)
	}
	if in.ClusterID != "" {
		e.mu.Unlock()
		return fmt.Errorf("fill storage of %s: %w: Aurora manages the storage of cluster %s", id, errNotFillable, in.ClusterID)
	}
	grow := 0
	switch in.Status {
	case "available", "storage-full":
		if in.MaxAllocatedStorage > in.AllocatedStorage {
			grow = min(in.MaxAllocatedStorage, in.AllocatedStorage+autoscaleIncrement(in.AllocatedStorage))
		}
	case "storage-optimization":
		// RDS grows storage again only once the last change is optimized.
	default:
		e.mu.Unlock()
		return fmt.Errorf("fill storage of %s: %w: the instance is %s", id, errNotFillable, in.Status)
	}
	if grow == 0 {
		if in.Status != "storage-full" {
			e.instanceEvent(id, evStorageExhausted)
		}
		in.Status = "storage-full"
		e.mu.Unlock()
		return nil
	}
	in.Status = "modifying"
	e.instanceEvent(id, evAutoscaleApplying)
	e.mu.Unlock()

	e.background(func(ctx context.Context) { e.runAutoscale(ctx, in, grow) })
	return nil
}

// runAutoscale takes an instance the autoscaler grows through modifying, then
// storage-optimization with its new size, then available.
func (e *Emulator) runAutoscale(ctx context.Context, self *instance, gib int) {
	if !sleep(ctx, e.cfg.Delays.Modify) {
		return
	}
	e.mu.Lock()
	in, ok := e.instances[self.ID]
	if !ok || in != self || in.Status != "modifying" {
		e.mu.Unlock()
		return
	}
	in.AllocatedStorage = max(in.AllocatedStorage, gib)
	if p := in.Pending.AllocatedStorage; p != nil && *p <= in.AllocatedStorage {
		// A deferred increase the growth overtook would shrink the storage: it is done.
		in.Pending.AllocatedStorage = nil
	}
	in.Status = "storage-optimization"
	e.instanceEvent(in.ID, evAutoscaleFinished)
	e.mu.Unlock()

	if sleep(ctx, e.cfg.Delays.Modify) {
		e.setStatus(self.ID, "storage-optimization", "available")
	}
}

// serveFillStorage answers POST /_emulator/fill-storage with {"id": "<instance>"}: 204
// when done, 404 for an unknown instance, 409 when its storage can't run low now, 400 for
// a bad body.
func (e *Emulator) serveFillStorage(w http.ResponseWriter, r *http.Request) {
	var body struct {
		ID string `json:"id"`
	}
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&body); err != nil || body.ID == "" {
		http.Error(w, `fill-storage: the body must be {"id": "<instance>"}`, http.StatusBadRequest)
		return
	}
	err := e.FillStorage(body.ID)
	switch {
	case err == nil:
		w.WriteHeader(http.StatusNoContent)
	case errors.Is(err, errNoInstance):
		http.Error(w, err.Error(), http.StatusNotFound)
	case errors.Is(err, errNotFillable):
		http.Error(w, err.Error(), http.StatusConflict)
	default:
		http.Error(w, err.Error(), http.StatusInternalServerError)
	}
}
