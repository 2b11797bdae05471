package emulator

import (
	"sort"
	"time"
)

// tag is one resource tag.
type tag struct {
	Key   string
	Value string
}

// pending holds modifications waiting to be applied (PendingModifiedValues).
type pending struct {
	AllocatedStorage      *int
	Iops                  *int
	StorageThroughput     *int
	DBInstanceClass       string
	BackupRetentionPeriod *int
	EngineVersion         string
	StorageType           string
	MultiAZ               *bool
	// IAMAuth is a change of IAMDatabaseAuthenticationEnabled.
	IAMAuth *bool
	// ParamGroup is the DB parameter group the instance takes with a pending major version
	// upgrade; RDS does not report it.
	ParamGroup string
}

func (p pending) empty() bool { return p == pending{} }

// instance is the emulator's record of one DB instance. Its master password lives only
// in masterPassword, in memory: it is never rendered, logged or written to a file.
type instance struct {
	ID               string
	ResourceID       string
	Status           string
	Engine           string
	EngineVersion    string
	Class            string
	AllocatedStorage int
	StorageType      string
	// Iops and StorageThroughput are what was provisioned, 0 for the storage type's
	// baseline (reportedIOPS).
	Iops              int
	StorageThroughput int
	// MaxAllocatedStorage is the most storage autoscaling grows the instance to, in GiB;
	// 0 when autoscaling is off (autoscaling.go).
	MaxAllocatedStorage   int
	MasterUsername        string
	DBName                string
	BackupRetentionPeriod int
	// PreferredBackupWindow is the daily UTC window of automated backups, hh24:mi-hh24:mi.
	PreferredBackupWindow string
	MultiAZ               bool
	StorageEncrypted      bool
	KmsKeyID              string
	PubliclyAccessible    bool
	SubnetGroup           string
	VpcSecurityGroupIDs   []string
	AvailabilityZone      string

	// PreferredMaintenanceWindow is the weekly UTC maintenance window,
	// ddd:hh24:mi-ddd:hh24:mi, lowercase (maintenancewindow.go).
	PreferredMaintenanceWindow string
	// AutoMinorVersionUpgrade is reported only: the emulator has no minor versions to
	// upgrade to by itself.
	AutoMinorVersionUpgrade bool
	// DeletionProtection keeps DeleteDBInstance from deleting the instance; always false
	// for an instance of an Aurora DB cluster (deletionprotection.go).
	DeletionProtection bool
	// IAMAuth is IAMDatabaseAuthenticationEnabled: users log in with IAM tokens through
	// the front of the instance (fronts.go). An instance of an Aurora DB cluster
	// has its cluster's.
	IAMAuth bool

	// SecondaryAZ is the standby's zone of a Multi-AZ instance, "" otherwise.
	SecondaryAZ string
	// ReplicaSource is the identifier of the instance this one is a read replica of, ""
	// for an instance that is not a replica.
	ReplicaSource string
	// ClusterID is the Aurora DB cluster the instance belongs to, "" for none.
	ClusterID string
	// RestoredFrom is the DB snapshot the instance was restored from, "" for one that was
	// not; its creation records RDS-EVENT-0043 too.
	RestoredFrom string
	CreateTime   time.Time
	Tags         []tag
	// CopyTagsToSnapshot gives the instance's snapshots (manual ones taken without tags of
	// their own, automated ones and the final one) a copy of its tags. For an instance of
	// an Aurora DB cluster it is kept and reported but has no effect: the cluster's own
	// setting decides for the cluster's snapshots.
	CopyTagsToSnapshot bool
	Pending            pending
	// Logs are the logs the instance ships to CloudWatch Logs.
	Logs logExports
	// ParamGroup is the instance's DB parameter group, "" for its family's default group
	// (instanceParamGroup); ParamApply is its ParameterApplyStatus, "" for in-sync.
	ParamGroup string
	ParamApply string
	// ClusterParamApply is, for an instance of an Aurora DB cluster, its
	// DBClusterParameterGroupStatus: whether its engine runs with its cluster's DB cluster
	// parameter group (cluster_paramgroups_apply.go); "" for in-sync.
	ClusterParamApply string

	// EndpointPort is set once the engine is up; 0 means no endpoint yet.
	EndpointPort int
	// FirstBackup is when the first automated backup finished; zero before. From then on,
	// with backups enabled, the instance reports a LatestRestorableTime.
	FirstBackup time.Time
	server      engineServer
	// front is the endpoint of an instance with a server (fronts.go), nil for others;
	// EndpointPort is its port.
	front endpointFront
	// masterPassword is the current master password, kept so that a snapshot can carry
	// it to the instances restored from it, as RDS does.
	masterPassword string
	// serverParams are the engine parameter values the emulator has written to the
	// server's configuration (applied, or waiting for a restart), by name; a reboot resets
	// those its group no longer sets.
	serverParams map[string]string
}

// snapshot is the emulator's record of one DB snapshot.
type snapshot struct {
	ID               string
	InstanceID       string
	ResourceID       string
	Type             string
	Status           string
	Engine           string
	EngineVersion    string
	AllocatedStorage int
	StorageType      string
	MasterUsername   string
	Encrypted        bool
	KmsKeyID         string
	AvailabilityZone string
	Port             int
	// IAMAuth is the source's IAMDatabaseAuthenticationEnabled, which an instance restored
	// from the snapshot gets unless the request says otherwise.
	IAMAuth        bool
	InstanceCreate time.Time
	CreateTime     time.Time
	Tags           []tag
	// Class, DBName and BackupRetentionPeriod are the source's, the defaults of an
	// instance restored from the snapshot.
	Class                 string
	DBName                string
	BackupRetentionPeriod int
	// File is the engine's copy of the data and users (a PostgreSQL base backup or a
	// mariadb-dump), "" without an engine.
	File string
	// masterPassword is the source's master password when the snapshot was taken, which
	// an instance restored from it gets. It lives only in memory.
	masterPassword string
	// serverParams are the source's server's engine parameter values, which its data file
	// may carry to a restored instance's server.
	serverParams map[string]string
}

// setTags adds or overwrites tags by key, keeping the existing order.
func setTags(have []tag, add []tag) []tag {
	out := append([]tag(nil), have...)
	for _, t := range add {
		replaced := false
		for i := range out {
			if out[i].Key == t.Key {
				out[i].Value = t.Value
				replaced = true
			}
		}
		if !replaced {
			out = append(out, t)
		}
	}
	return out
}

// removeTags drops the tags with the given keys.
func removeTags(have []tag, keys []string) []tag {
	drop := map[string]bool{}
	for _, k := range keys {
		drop[k] = true
	}
	var out []tag
	for _, t := range have {
		if !drop[t.Key] {
			out = append(out, t)
		}
	}
	return out
}

// page returns the sorted keys of one page: those from marker on, at most max, and the
// marker of the next page ("" on the last).
func page(keys []string, marker string, max int) ([]string, string) {
	sort.Strings(keys)
	start := sort.SearchStrings(keys, marker)
	keys = keys[start:]
	if len(keys) > max {
		return keys[:max], keys[max]
	}
	return keys, ""
}
