package gcp

import (
	"fmt"

	sqladmin "google.golang.org/api/sqladmin/v1"

	"github.com/matrixmind-cloud/aws-rds-operator/internal/cloud"
)

// Cloud SQL grows a disk by itself when settings.storageAutoResize is on (its default, for
// an instance made without saying), up to settings.storageAutoResizeLimit GB, or without
// limit (to its largest disk) when the limit is 0; it never shrinks one. The operator's
// MaxAllocatedStorageGiB maps to it: above the disk's size, auto-resize on with that limit;
// one not above the disk, auto-resize off; 0 leaves Cloud SQL's own setting (on without a
// limit for a new instance), which the provider reports as growing up to the largest disk.

// maxDiskGiB is Cloud SQL's largest disk (64 TB), how far an instance with auto-resize on
// and no limit grows (docs/cloudsql-facts.md).
const maxDiskGiB = 65536

// maxStorage is how far Cloud SQL may grow the disk of an instance with settings s by
// itself: its auto-resize limit, Cloud SQL's largest disk when auto-resize is on without a
// limit (or not reported, since on is the default), 0 when auto-resize is off.
func maxStorage(s *sqladmin.Settings) int32 {
	if s.StorageAutoResize != nil && !*s.StorageAutoResize {
		return 0
	}
	if s.StorageAutoResizeLimit > 0 {
		return int32(min(s.StorageAutoResizeLimit, maxDiskGiB))
	}
	return maxDiskGiB
}

// growable is how far a disk of size GiB may grow under the limit max: max when above
// size, 0 when the disk cannot grow (autoscaling off, or a limit the disk has reached).
// Desired and reported limits compare by it, so that a disk Cloud SQL grew up to its limit
// plans no change.
func growable(max, size int32) int32 {
	if max > size {
		return max
	}
	return 0
}

// setAutoResize sets auto-resize in a new instance's settings s for d: on, up to d's
// MaxAllocatedStorageGiB, when that is above the disk; off when it is not; Cloud SQL's own
// setting when it is 0. A limit below the
// disk asked for, or above Cloud SQL's largest disk, is an error naming FieldMaxStorage.
func setAutoResize(op string, s *sqladmin.Settings, d cloud.Desired) error {
	limit := d.MaxAllocatedStorageGiB
	switch {
	case limit > maxDiskGiB:
		return &cloud.Error{Op: op, Code: "InvalidParameterValue", Field: cloud.FieldMaxStorage,
			Message: fmt.Sprintf("the storage autoscaling limit %d GiB is above Cloud SQL's largest disk, %d GiB", limit, maxDiskGiB)}
	case limit > 0 && limit < d.AllocatedStorageGiB:
		return &cloud.Error{Op: op, Code: "InvalidParameterValue", Field: cloud.FieldMaxStorage,
			Message: fmt.Sprintf("the storage autoscaling limit %d GiB is below the storage asked for, %d GiB", limit, d.AllocatedStorageGiB)}
	}
	if limit == 0 {
		return nil // Cloud SQL's own setting
	}
	on := growable(limit, d.AllocatedStorageGiB) > 0
	s.StorageAutoResize = &on
	if on {
		s.StorageAutoResizeLimit = int64(limit)
	}
	return nil
}

// resizeChange sets in the patch settings s what makes auto-resize grow the disk up to
// limit GiB, or turns it off when limit is not above the disk (size, its size once the
// patch applies); cur are the instance's settings. It reports whether anything changed.
func resizeChange(s, cur *sqladmin.Settings, limit, size int64) bool {
	on := cur.StorageAutoResize == nil || *cur.StorageAutoResize
	if limit <= size {
		if !on {
			return false
		}
		s.StorageAutoResize = new(false)
		return true
	}
	if on && cur.StorageAutoResizeLimit == limit {
		return false
	}
	s.StorageAutoResize, s.StorageAutoResizeLimit = new(true), limit
	return true
}

// autoscaling says a limit in words for a plan.
func autoscaling(limit int32) string {
	if limit == 0 {
		return "off"
	}
	return fmt.Sprintf("up to %d GiB", limit)
}
