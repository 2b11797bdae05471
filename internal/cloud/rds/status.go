package rds

import (
	"strings"

	"github.com/matrixmind-cloud/aws-rds-operator/internal/cloud"
)

// statusDeleting is RDS's status word of an instance or cluster being deleted.
const statusDeleting = "deleting"

// phases maps RDS's status words of DB instances and DB clusters (DBInstanceStatus,
// DBCluster.Status) to phases. A word not listed (RDS adds some now and then) is taken as a
// change in progress: looked at again soon, relied on for nothing.
var phases = map[string]cloud.Phase{
	"creating":                            cloud.PhaseCreating,
	"available":                           cloud.PhaseAvailable,
	"backing-up":                          cloud.PhaseBackingUp,
	"storage-optimization":                cloud.PhaseBusy,
	"storage-full":                        cloud.PhaseStorageFull,
	"modifying":                           cloud.PhaseChanging,
	"rebooting":                           cloud.PhaseChanging,
	"upgrading":                           cloud.PhaseChanging,
	"renaming":                            cloud.PhaseChanging,
	"resetting-master-credentials":        cloud.PhaseChanging,
	"configuring-enhanced-monitoring":     cloud.PhaseChanging,
	"configuring-iam-database-auth":       cloud.PhaseChanging,
	"configuring-log-exports":             cloud.PhaseChanging,
	"converting-to-vpc":                   cloud.PhaseChanging,
	"maintenance":                         cloud.PhaseChanging,
	"migrating":                           cloud.PhaseChanging,
	"promoting":                           cloud.PhaseChanging,
	"starting":                            cloud.PhaseChanging,
	"stopping":                            cloud.PhaseChanging,
	"stopped":                             cloud.PhaseStopped,
	"deleting":                            cloud.PhaseDeleting,
	"failed":                              cloud.PhaseFailed,
	"incompatible-network":                cloud.PhaseFailed,
	"incompatible-option-group":           cloud.PhaseFailed,
	"incompatible-parameters":             cloud.PhaseFailed,
	"incompatible-restore":                cloud.PhaseFailed,
	"inaccessible-encryption-credentials": cloud.PhaseFailed,
	"restore-error":                       cloud.PhaseFailed,
}

// phaseOf is the phase of an instance or cluster in RDS status word status.
func phaseOf(status string) cloud.Phase {
	if p, ok := phases[status]; ok {
		return p
	}
	return cloud.PhaseChanging
}

// snapshotAvailable is the status word of a finished snapshot.
const snapshotAvailable = "available"

// errorKinds classifies RDS's error codes: a state that forbids the request for now, a
// throttled or failed request, or a quota or capacity that refuses a new database or
// instance (docs/rds-emulator-errors.md, "Quotas"). Others need the request to change.
var errorKinds = map[string]error{
	"DBLogFileNotFoundFault":             cloud.ErrNoLogFile,
	"InvalidDBInstanceState":             cloud.ErrBusy,
	"InvalidDBInstanceStateFault":        cloud.ErrBusy,
	"InvalidDBClusterStateFault":         cloud.ErrBusy,
	"InvalidDBSnapshotState":             cloud.ErrBusy,
	"InvalidDBParameterGroupState":       cloud.ErrBusy, // a database still uses the group
	"InvalidDBClusterSnapshotStateFault": cloud.ErrBusy,
	"InvalidExportSourceState":           cloud.ErrBusy, // a snapshot still being taken
	"Throttling":                         cloud.ErrTransient,
	"ThrottlingException":                cloud.ErrTransient,
	"RequestLimitExceeded":               cloud.ErrTransient,
	"InternalFailure":                    cloud.ErrTransient,
	"ServiceUnavailable":                 cloud.ErrTransient,
	"InstanceQuotaExceeded":              cloud.ErrNoCapacity, // the account's DB instances (40 a region by default)
	"DBClusterQuotaExceededFault":        cloud.ErrNoCapacity, // its DB clusters
	"StorageQuotaExceeded":               cloud.ErrNoCapacity, // its storage across all instances
	"InsufficientDBInstanceCapacity":     cloud.ErrNoCapacity, // the class is not available in the zone
	"InsufficientDBClusterCapacityFault": cloud.ErrNoCapacity,
	"InsufficientStorageClusterCapacity": cloud.ErrNoCapacity,
}

// refusedField tells from an RDS error which part of the request was refused, by its code
// and, for RDS's catch-all codes, the words of its message (as RDS words them).
func refusedField(code, message string) cloud.Field {
	switch code {
	case "DBSubnetGroupNotFoundFault", "InvalidDBSubnetGroupStateFault", "InvalidVPCNetworkStateFault":
		return cloud.FieldSubnetGroup
	case "KMSKeyNotAccessibleFault":
		return cloud.FieldKMSKey
	case "InvalidParameterCombination", "InvalidParameterValue":
	default:
		return ""
	}
	m := strings.ToLower(message)
	switch {
	case strings.Contains(m, "engine version is not supported"):
		// RDS's "does not support ... the following combination" names the class, the
		// engine and the version alike and so reads as the class's fault below; a refusal
		// that adds which of them is not supported is taken at its word.
		return cloud.FieldEngineVersion
	case strings.Contains(m, "iops"):
		return cloud.FieldIOPS
	case strings.Contains(m, "dbinstanceclass") || strings.Contains(m, "instance class"):
		return cloud.FieldInstanceClass
	case strings.Contains(m, "cannot find version") || strings.Contains(m, "upgrade path") || strings.Contains(m, "major version"):
		return cloud.FieldEngineVersion
	case strings.Contains(m, "max storage") || strings.Contains(m, "maxallocatedstorage") || strings.Contains(m, "maximum storage"):
		return cloud.FieldMaxStorage
	case strings.Contains(m, "storage size") || strings.Contains(m, "allocated storage") || strings.Contains(m, "storage type"):
		return cloud.FieldStorage
	case strings.Contains(m, "security group"):
		return cloud.FieldSecurityGroup
	case strings.Contains(m, "kms"):
		return cloud.FieldKMSKey
	}
	return ""
}

// regionOf returns the region of an ARN (arn:aws:rds:us-east-1:...), "" when it has none.
func regionOf(arn string) string {
	parts := strings.SplitN(arn, ":", 5)
	if len(parts) < 5 {
		return ""
	}
	return parts[3]
}

// adminRoleOf is the role RDS gives the master user of an engine in place of a superuser:
// rds_superuser on PostgreSQL and Aurora PostgreSQL; MySQL has privileges, not a role.
func adminRoleOf(engine string) string {
	if engine == "postgres" || engine == "aurora-postgresql" {
		return "rds_superuser"
	}
	return ""
}

// ZoneIn implements cloud.Provider: an AWS availability zone is its region's name and one
// letter (us-east-1a).
func (p *Provider) ZoneIn(region, zone string) bool {
	rest, ok := strings.CutPrefix(zone, region)
	return region != "" && ok && len(rest) == 1 && rest[0] >= 'a' && rest[0] <= 'z'
}
