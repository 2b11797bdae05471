package gcpemulator

import (
	"regexp"
	"strconv"
)

// databaseVersions are the versions the emulator accepts: Cloud SQL's PostgreSQL and
// MySQL versions (SQL Server cannot be emulated here).
var databaseVersions = map[string]string{
	"POSTGRES_9_6": "POSTGRES_9_6_24", "POSTGRES_10": "POSTGRES_10_23", "POSTGRES_11": "POSTGRES_11_22",
	"POSTGRES_12": "POSTGRES_12_22", "POSTGRES_13": "POSTGRES_13_20", "POSTGRES_14": "POSTGRES_14_17",
	"POSTGRES_15": "POSTGRES_15_12", "POSTGRES_16": "POSTGRES_16_8", "POSTGRES_17": "POSTGRES_17_4",
	"POSTGRES_18": "POSTGRES_18_0",
	"MYSQL_5_6":   "MYSQL_5_6_51", "MYSQL_5_7": "MYSQL_5_7_44", "MYSQL_8_0": "MYSQL_8_0_41",
	"MYSQL_8_4": "MYSQL_8_4_4",
}

var (
	// instanceName: lowercase letters, digits and hyphens, starting with a letter.
	instanceName = regexp.MustCompile(`^[a-z]([-a-z0-9]*[a-z0-9])?$`)
	// tierPattern matches Cloud SQL's machine types: shared-core, custom, legacy
	// predefined and Enterprise Plus tiers.
	tierPattern = regexp.MustCompile(`^(db-f1-micro|db-g1-small|db-custom-(\d+)-(\d+)|db-n1-(standard|highmem)-(1|2|4|8|16|32|64|96)|db-perf-optimized-N-(2|4|8|16|32|48|64|80|96|128))$`)
	// labelKey and labelValue: lowercase letters (international ones too), digits,
	// underscores and dashes, at most 63 characters; a key starts with a lowercase letter.
	labelKey      = regexp.MustCompile(`^\p{Ll}[\p{Ll}\p{Lo}\p{N}_-]{0,62}$`)
	labelValue    = regexp.MustCompile(`^[\p{Ll}\p{Lo}\p{N}_-]{0,63}$`)
	startTimeRe   = regexp.MustCompile(`^([01]\d|2[0-3]):[0-5]\d$`)
	regionPattern = regexp.MustCompile(`^[a-z]+-[a-z]+\d+$`)
)

// Disk limits of Cloud SQL, in GB.
const (
	minDiskGB = 10
	maxDiskGB = 65536
)

// validateName checks an instance ID. Cloud SQL allows at most 98 characters for
// "project:instance".
func validateName(project, name string) error {
	if !instanceName.MatchString(name) || len(project)+1+len(name) > 98 {
		return errInvalid("Invalid instance name %q: use lowercase letters, numbers and hyphens, start with a letter, and keep project:instance within 98 characters.", name)
	}
	return nil
}

func validateVersion(v string) error {
	if _, ok := databaseVersions[v]; !ok {
		return errInvalid("Invalid value for databaseVersion: %q.", v)
	}
	return nil
}

// validateTier checks a machine type; a custom one needs 1 or an even number of vCPUs up
// to 96 and 0.9 to 6.5 GB of memory per vCPU in multiples of 256 MB.
func validateTier(tier string) error {
	m := tierPattern.FindStringSubmatch(tier)
	if m == nil {
		return errInvalid("Invalid Tier (%s) for (ENTERPRISE) Edition. Use a predefined Tier like db-custom-CPU-RAM instead.", tier)
	}
	if m[2] != "" {
		cpus, _ := strconv.Atoi(m[2])
		mem, _ := strconv.Atoi(m[3])
		perCPU := float64(mem) / float64(cpus)
		if cpus < 1 || cpus > 96 || (cpus > 1 && cpus%2 != 0) || mem%256 != 0 || perCPU < 921.6 || perCPU > 6656 {
			return errInvalid("Invalid Tier (%s) for (ENTERPRISE) Edition. Custom machine types need 1 or an even number of vCPUs and 0.9 to 6.5 GB of memory per vCPU in multiples of 256 MB.", tier)
		}
	}
	return nil
}

func validateDisk(gb int64) error {
	if gb < minDiskGB || gb > maxDiskGB {
		return errInvalid("Disk size must be between %d and %d GB, got %d.", minDiskGB, maxDiskGB, gb)
	}
	return nil
}

func validateDiskType(t string) error {
	switch t {
	case "PD_SSD", "PD_HDD", "HYPERDISK_BALANCED":
		return nil
	}
	return errInvalid("Invalid value for dataDiskType: %q.", t)
}

func validateLabels(labels map[string]string) error {
	if len(labels) > 64 {
		return errInvalid("Too many labels: at most 64.")
	}
	for k, v := range labels {
		if !labelKey.MatchString(k) || !labelValue.MatchString(v) {
			return errInvalid("Invalid label %q=%q: keys start with a lowercase letter; keys and values hold at most 63 lowercase letters, digits, underscores and dashes.", k, v)
		}
	}
	return nil
}

func validateBackup(b *BackupConfiguration) error {
	if b == nil {
		return nil
	}
	if b.StartTime != "" && !startTimeRe.MatchString(b.StartTime) {
		return errInvalid("Invalid backup start time %q: use HH:MM.", b.StartTime)
	}
	if r := b.BackupRetentionSettings; r != nil && r.RetainedBackups != 0 && (r.RetainedBackups < 1 || r.RetainedBackups > 365) {
		return errInvalid("retainedBackups must be between 1 and 365, got %d.", r.RetainedBackups)
	}
	return nil
}

// validateMaintenanceWindow checks a maintenance window: day 0 (any day) or 1 (Monday)
// to 7 (Sunday), hour 0 to 23, both UTC, and one of Cloud SQL's update tracks.
func validateMaintenanceWindow(w *MaintenanceWindow) error {
	if w == nil {
		return nil
	}
	if w.Day < 0 || w.Day > 7 {
		return errInvalid("Invalid maintenanceWindow.day %d: use 1 (Monday) to 7 (Sunday), or 0 for any day.", w.Day)
	}
	if w.Hour < 0 || w.Hour > 23 {
		return errInvalid("Invalid maintenanceWindow.hour %d: use 0 to 23 (UTC).", w.Hour)
	}
	switch w.UpdateTrack {
	case "", "SQL_UPDATE_TRACK_UNSPECIFIED", "canary", "stable", "week5":
		return nil
	}
	return errInvalid("Invalid maintenanceWindow.updateTrack %q: use canary, stable or week5.", w.UpdateTrack)
}

// validateSettings checks the settings of an insert (all of them) or a patch (those set).
func validateSettings(s *Settings) error {
	checks := []func() error{
		func() error { return optional(s.Tier != "", func() error { return validateTier(s.Tier) }) },
		func() error {
			return optional(s.DataDiskSizeGb != 0, func() error { return validateDisk(s.DataDiskSizeGb) })
		},
		func() error {
			return optional(s.DataDiskType != "", func() error { return validateDiskType(s.DataDiskType) })
		},
		func() error {
			if s.StorageAutoResizeLimit < 0 || s.StorageAutoResizeLimit > maxDiskGB {
				return errInvalid("storageAutoResizeLimit must be between 0 (no limit) and %d GB, got %d.", maxDiskGB, s.StorageAutoResizeLimit)
			}
			return nil
		},
		func() error { return validateLabels(s.UserLabels) },
		func() error { return validateBackup(s.BackupConfiguration) },
		func() error { return validateMaintenanceWindow(s.MaintenanceWindow) },
		func() error {
			if f := s.FinalBackupConfig; f != nil && f.RetentionDays != 0 && (f.RetentionDays < 1 || f.RetentionDays > 365) {
				return errInvalid("finalBackupConfig.retentionDays must be between 1 and 365.")
			}
			return nil
		},
	}
	for _, c := range checks {
		if err := c(); err != nil {
			return err
		}
	}
	return nil
}

func optional(set bool, check func() error) error {
	if !set {
		return nil
	}
	return check()
}

// validateRegion checks a region's shape (europe-west1, us-central1).
func validateRegion(r string) error {
	if !regionPattern.MatchString(r) {
		return errInvalid("Invalid region %q.", r)
	}
	return nil
}

// validateResizeLimit checks an auto-resize limit against the disk it would grow: a limit
// (0 is none) below the disk's size is refused.
func validateResizeLimit(limit, diskGB int64) error {
	if limit != 0 && limit < diskGB {
		return errInvalid("storageAutoResizeLimit (%d GB) must not be below the disk size (%d GB).", limit, diskGB)
	}
	return nil
}
