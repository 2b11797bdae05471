package gcp

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/matrixmind-cloud/aws-rds-operator/internal/cloud"
)

// minDiskGiB is the smallest disk Cloud SQL makes (docs/cloudsql-facts.md).
const minDiskGiB = 10

// Plan implements cloud.Provider with Cloud SQL's rules: versions are the same when Cloud
// SQL runs them as the same databaseVersion ("16.4" is POSTGRES_16, as "16" is), an empty
// storage type is PD_SSD, the disk only grows (Cloud SQL grows it by itself when it fills
// up, and never shrinks it), and an empty backup window is Cloud SQL's choice. Changes
// Cloud SQL cannot make (a security group, an RDS storage type) are planned all the same:
// Update refuses them with cloud.ErrUnsupported, which says so to the user.
func (p *Provider) Plan(d cloud.Desired, in cloud.Instance, keepVersion bool) cloud.Plan {
	var pl cloud.Plan
	change := func(what string, from, to any) {
		pl.Described = append(pl.Described, fmt.Sprintf("%s %v to %v", what, from, to))
	}
	if !keepVersion && !sameVersion(in.Engine, d.EngineVersion, in.EngineVersion) {
		pl.Changes.EngineVersion = &d.EngineVersion
		change("version", in.EngineVersion, d.EngineVersion)
	}
	if d.InstanceClass != in.InstanceClass {
		pl.Changes.InstanceClass = &d.InstanceClass
		change("tier", in.InstanceClass, d.InstanceClass)
	}
	if want, err := dataDiskType(d.StorageType); err != nil || want != in.StorageType {
		pl.Changes.StorageType = &d.StorageType
		change("disk type", in.StorageType, d.StorageType)
	}
	if d.AllocatedStorageGiB > in.AllocatedStorageGiB {
		pl.Changes.AllocatedStorageGiB = &d.AllocatedStorageGiB
		change("disk", fmt.Sprintf("%d GiB", in.AllocatedStorageGiB), fmt.Sprintf("%d GiB", d.AllocatedStorageGiB))
	}
	// Compared by how far the disk may still grow, so that a disk Cloud SQL grew up to its
	// limit, or beyond a limit asked for since, plans nothing.
	// No maximum asked for leaves the instance's auto-resize as it is (Google's default grows
	// without a limit): turning off a growth the team may count on is not the operator's to
	// do behind its back.
	size := max(in.AllocatedStorageGiB, d.AllocatedStorageGiB)
	if want, have := growable(d.MaxAllocatedStorageGiB, size), growable(in.MaxAllocatedStorageGiB, size); d.MaxAllocatedStorageGiB > 0 && want != have {
		// The contract's way to turn autoscaling off is the current size.
		limit := cmp.Or(want, size)
		pl.Changes.MaxAllocatedStorageGiB = &limit
		change("storage autoscaling", autoscaling(have), autoscaling(want))
	}
	if d.BackupRetentionDays != in.BackupRetentionDays {
		pl.Changes.BackupRetentionDays = &d.BackupRetentionDays
		change("backup retention", fmt.Sprintf("%d days", in.BackupRetentionDays), fmt.Sprintf("%d days", d.BackupRetentionDays))
	}
	if d.BackupWindow != "" && d.BackupWindow != in.BackupWindow {
		pl.Changes.BackupWindow = &d.BackupWindow
		change("backup window", in.BackupWindow, d.BackupWindow)
	}
	if len(d.SecurityGroupIDs) > 0 && !slices.Equal(slices.Sorted(slices.Values(d.SecurityGroupIDs)), slices.Sorted(slices.Values(in.SecurityGroupIDs))) {
		pl.Changes.SecurityGroupIDs = d.SecurityGroupIDs
		change("security groups", strings.Join(in.SecurityGroupIDs, ","), strings.Join(d.SecurityGroupIDs, ","))
	}
	if d.MultiAZ != in.MultiAZ {
		pl.Changes.MultiAZ = &d.MultiAZ
		change("high availability (REGIONAL)", in.MultiAZ, d.MultiAZ)
	}
	if d.PubliclyAccessible != in.PubliclyAccessible {
		pl.Changes.PubliclyAccessible = &d.PubliclyAccessible
		change("public IP address", in.PubliclyAccessible, d.PubliclyAccessible)
	}
	if d.MaintenanceWindow != "" && d.MaintenanceWindow != in.MaintenanceWindow {
		pl.Changes.MaintenanceWindow = &d.MaintenanceWindow
		change("maintenance window", in.MaintenanceWindow, d.MaintenanceWindow)
	}
	if d.AutoMinorVersionUpgrade != nil && *d.AutoMinorVersionUpgrade != in.AutoMinorVersionUpgrade {
		pl.Changes.AutoMinorVersionUpgrade = d.AutoMinorVersionUpgrade // for Update to refuse
		change("automatic minor version upgrades", in.AutoMinorVersionUpgrade, *d.AutoMinorVersionUpgrade)
	}
	if d.IAMAuthentication != nil && *d.IAMAuthentication {
		pl.Changes.IAMAuthentication = d.IAMAuthentication // for Update to refuse
		change("IAM database authentication", false, true)
	}
	// Protection the spec leaves unsaid is left as the cloud has it.
	if d.DeletionProtection != nil && *d.DeletionProtection != in.DeletionProtection {
		pl.Changes.DeletionProtection = d.DeletionProtection
		change("deletion protection", in.DeletionProtection, *d.DeletionProtection)
	}
	return pl
}

// sameVersion reports whether Cloud SQL runs the version asked for of engine as the one
// it reports: both map to the same databaseVersion.
func sameVersion(engine, asked, reported string) bool {
	a, errA := databaseVersion(engine, asked)
	r, errR := databaseVersion(engine, reported)
	return asked == reported || errA == nil && errR == nil && a == r
}

// Storage implements cloud.Provider: Cloud SQL's smallest disk is 10 GB, whatever its type.
func (p *Provider) Storage(d cloud.Desired) (int32, bool) {
	if d.AllocatedStorageGiB < minDiskGiB {
		return minDiskGiB, true
	}
	return d.AllocatedStorageGiB, false
}
