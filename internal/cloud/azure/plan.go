package azure

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/matrixmind-cloud/aws-rds-operator/internal/cloud"
)

// High-availability modes: Disabled, or a standby in another zone.
const (
	haDisabled      = "Disabled"
	haZoneRedundant = "ZoneRedundant"
)

func haMode(multiAZ bool) string {
	if multiAZ {
		return haZoneRedundant
	}
	return haDisabled
}

// pgStorageGiB are the storage sizes a PostgreSQL flexible server takes; MySQL takes any
// size from 20 GiB (docs/azure-facts.md).
var pgStorageGiB = []int32{32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384}

const mysqlMinStorageGiB = 20

// storage is the storage Azure makes for a size asked for: PostgreSQL's next size up,
// MySQL's at least 20 GiB; raised when that is more than asked.
func storage(engine string, gib int32) (int32, bool) {
	if engine == engineMySQL {
		if gib < mysqlMinStorageGiB {
			return mysqlMinStorageGiB, true
		}
		return gib, false
	}
	for _, size := range pgStorageGiB {
		if size >= gib {
			return size, size != gib
		}
	}
	return gib, false
}

// tierOf is the pricing tier of a SKU, which Azure wants with it: Standard_B* is
// Burstable, Standard_E* MemoryOptimized, the others GeneralPurpose.
func tierOf(sku string) string {
	switch {
	case strings.HasPrefix(sku, "Standard_B"):
		return "Burstable"
	case strings.HasPrefix(sku, "Standard_E"):
		return "MemoryOptimized"
	}
	return "GeneralPurpose"
}

var versionPattern = regexp.MustCompile(`^(\d+)(?:\.(\d+))?(?:\.\d+)*$`)

// mysqlVersions are the MySQL versions flexible servers take, by major.minor.
var mysqlVersions = map[string]string{"5.7": "5.7", "8.0": "8.0.21"}

// serverVersion is Azure's version of a server for an engine and version as the operator
// names them: PostgreSQL keeps the major ("16.4" is 16), MySQL takes 5.7 or 8.0.21 (Azure's
// name of 8.0). Minor versions are Azure's to choose.
func serverVersion(engine, version string) (string, error) {
	m := versionPattern.FindStringSubmatch(version)
	if m == nil {
		return "", fmt.Errorf("engine version %q is not a version number such as 16, 16.4 or 8.0", version)
	}
	if engine == enginePostgres {
		return m[1], nil
	}
	v, ok := mysqlVersions[m[1]+"."+m[2]]
	if !ok {
		return "", fmt.Errorf("MySQL version %q: Azure flexible servers run MySQL 5.7 and 8.0", version)
	}
	return v, nil
}

// sameVersion reports whether Azure runs the version asked for of engine as the one it
// reports.
func sameVersion(engine, asked, reported string) bool {
	a, err := serverVersion(engine, asked)
	return asked == reported || err == nil && a == reported
}

// Plan implements cloud.Provider with Azure's rules: versions are the same when Azure runs
// them as the same server version, storage only grows and comes in PostgreSQL's sizes,
// and what flexible servers do not have is planned all the same when asked for, for
// Update to refuse with cloud.ErrUnsupported, which says so to the user.
func (p *Provider) Plan(d cloud.Desired, in cloud.Instance, keepVersion bool) cloud.Plan {
	var pl cloud.Plan
	change := func(what string, from, to any) {
		pl.Described = append(pl.Described, fmt.Sprintf("%s %v to %v", what, from, to))
	}
	if !keepVersion && !sameVersion(in.Engine, d.EngineVersion, in.EngineVersion) {
		pl.Changes.EngineVersion = &d.EngineVersion
		change("version", in.EngineVersion, d.EngineVersion)
	}
	if d.InstanceClass != "" && d.InstanceClass != in.InstanceClass {
		pl.Changes.InstanceClass = &d.InstanceClass
		change("SKU", in.InstanceClass, d.InstanceClass)
	}
	if d.StorageType != "" {
		pl.Changes.StorageType = &d.StorageType
		change("storage type", "Azure's", d.StorageType)
	}
	if gib, raised := storage(in.Engine, d.AllocatedStorageGiB); gib > in.AllocatedStorageGiB {
		pl.Changes.AllocatedStorageGiB = &gib
		change("storage", fmt.Sprintf("%d GiB", in.AllocatedStorageGiB), fmt.Sprintf("%d GiB", gib))
		if raised {
			pl.Adjusted = fmt.Sprintf("storage raised from %d to %d GiB, the next size Azure makes", d.AllocatedStorageGiB, gib)
		}
	}
	if d.MaxAllocatedStorageGiB > d.AllocatedStorageGiB {
		pl.Changes.MaxAllocatedStorageGiB = &d.MaxAllocatedStorageGiB
		change("storage autoscaling up to", "off", fmt.Sprintf("%d GiB", d.MaxAllocatedStorageGiB))
	}
	if d.BackupRetentionDays != in.BackupRetentionDays {
		pl.Changes.BackupRetentionDays = &d.BackupRetentionDays
		change("backup retention", fmt.Sprintf("%d days", in.BackupRetentionDays), fmt.Sprintf("%d days", d.BackupRetentionDays))
	}
	if d.BackupWindow != "" {
		pl.Changes.BackupWindow = &d.BackupWindow
		change("backup window", "Azure's", d.BackupWindow)
	}
	if len(d.SecurityGroupIDs) > 0 {
		pl.Changes.SecurityGroupIDs = slices.Clone(d.SecurityGroupIDs)
		change("security groups", "none", strings.Join(d.SecurityGroupIDs, ","))
	}
	if d.MultiAZ != in.MultiAZ {
		pl.Changes.MultiAZ = &d.MultiAZ
		change("zone-redundant high availability", in.MultiAZ, d.MultiAZ)
	}
	if d.PubliclyAccessible && !in.PubliclyAccessible {
		pl.Changes.PubliclyAccessible = &d.PubliclyAccessible
		change("public access", false, true)
	}
	if d.MaintenanceWindow != "" {
		pl.Changes.MaintenanceWindow = &d.MaintenanceWindow
		change("maintenance window", "Azure's", d.MaintenanceWindow)
	}
	if d.AutoMinorVersionUpgrade != nil && !*d.AutoMinorVersionUpgrade {
		pl.Changes.AutoMinorVersionUpgrade = d.AutoMinorVersionUpgrade
		change("automatic minor version upgrades", true, false)
	}
	if d.IAMAuthentication != nil && *d.IAMAuthentication {
		pl.Changes.IAMAuthentication = d.IAMAuthentication
		change("token logins", false, true)
	}
	if d.DeletionProtection != nil && *d.DeletionProtection {
		pl.Changes.DeletionProtection = d.DeletionProtection
		change("deletion protection", false, true)
	}
	if len(d.LogExports) > 0 {
		pl.Changes.EnableLogExports = slices.Clone(d.LogExports)
		change("log exports", "none", strings.Join(d.LogExports, ","))
	}
	return pl
}

// Storage implements cloud.Provider: PostgreSQL's next size up from 32 GiB, MySQL's at
// least 20 GiB.
func (p *Provider) Storage(d cloud.Desired) (int32, bool) {
	return storage(d.Engine, d.AllocatedStorageGiB)
}
