package emulator

import (
	"cmp"
	"time"
)

// The shapes below mirror the RDS API's XML; only the members the emulator knows are
// written.

type xmlTag struct {
	Key   string
	Value string
}

type xmlEndpoint struct {
	Address      string
	Port         int
	HostedZoneId string
}

type xmlPending struct {
	AllocatedStorage      *int   `xml:",omitempty"`
	Iops                  *int   `xml:",omitempty"`
	StorageThroughput     *int   `xml:",omitempty"`
	BackupRetentionPeriod *int   `xml:",omitempty"`
	DBInstanceClass       string `xml:",omitempty"`
	EngineVersion         string `xml:",omitempty"`
	StorageType           string `xml:",omitempty"`
	MultiAZ               *bool  `xml:",omitempty"`
	// IAMDatabaseAuthenticationEnabled is a change of it waiting for the maintenance window.
	IAMDatabaseAuthenticationEnabled *bool `xml:",omitempty"`
	// PendingCloudwatchLogsExports are the logs being turned on and off.
	PendingCloudwatchLogsExports *xmlPendingLogs `xml:",omitempty"`
}

type xmlSubnetGroup struct {
	DBSubnetGroupName string
}

type xmlVpcSecurityGroup struct {
	VpcSecurityGroupId string
	Status             string
}

type xmlInstance struct {
	DBInstanceIdentifier  string
	DBInstanceArn         string
	DBInstanceClass       string
	DBInstanceStatus      string
	Engine                string
	EngineVersion         string
	AllocatedStorage      int
	StorageType           string
	Iops                  *int `xml:",omitempty"`
	StorageThroughput     *int `xml:",omitempty"`
	MaxAllocatedStorage   *int `xml:",omitempty"`
	MasterUsername        string
	DBName                string `xml:",omitempty"`
	BackupRetentionPeriod int
	PreferredBackupWindow string       `xml:",omitempty"`
	Endpoint              *xmlEndpoint `xml:",omitempty"`
	PendingModifiedValues xmlPending
	InstanceCreateTime    string `xml:",omitempty"`
	LatestRestorableTime  string `xml:",omitempty"`
	DbiResourceId         string
	MultiAZ               bool
	StorageEncrypted      bool
	KmsKeyId              string `xml:",omitempty"`
	PubliclyAccessible    bool
	AvailabilityZone      string
	DBSubnetGroup         *xmlSubnetGroup       `xml:",omitempty"`
	VpcSecurityGroups     []xmlVpcSecurityGroup `xml:"VpcSecurityGroups>VpcSecurityGroupMembership"`
	TagList               []xmlTag              `xml:"TagList>Tag"`
	CopyTagsToSnapshot    bool
	// EnabledCloudwatchLogsExports are the logs shipped to CloudWatch Logs.
	EnabledCloudwatchLogsExports []string `xml:"EnabledCloudwatchLogsExports>member"`

	// PreferredMaintenanceWindow, AutoMinorVersionUpgrade and DeletionProtection are
	// reported for every instance, as RDS does.
	PreferredMaintenanceWindow string
	AutoMinorVersionUpgrade    bool
	DeletionProtection         bool
	// IAMDatabaseAuthenticationEnabled says whether users may log in with IAM tokens (for
	// an instance of an Aurora DB cluster, its cluster's setting).
	IAMDatabaseAuthenticationEnabled bool

	SecondaryAvailabilityZone             string                  `xml:",omitempty"`
	ReadReplicaSourceDBInstanceIdentifier string                  `xml:",omitempty"`
	ReadReplicaDBInstanceIdentifiers      []string                `xml:"ReadReplicaDBInstanceIdentifiers>ReadReplicaDBInstanceIdentifier"`
	StatusInfos                           []xmlInstanceStatusInfo `xml:"StatusInfos>DBInstanceStatusInfo"`
	DBClusterIdentifier                   string                  `xml:",omitempty"`
	// DBParameterGroups is the instance's one DB parameter group and whether its values
	// are applied (paramgroups_apply.go).
	DBParameterGroups []xmlParamGroupStatus `xml:"DBParameterGroups>DBParameterGroup"`
}

// xmlInstanceStatusInfo is one DBInstanceStatusInfo: RDS reports the state of a read
// replica's replication this way.
type xmlInstanceStatusInfo struct {
	StatusType string
	Normal     bool
	Status     string
}

type xmlSnapshot struct {
	DBSnapshotIdentifier string
	DBSnapshotArn        string
	DBInstanceIdentifier string
	DbiResourceId        string
	SnapshotType         string
	Status               string
	Engine               string
	EngineVersion        string
	AllocatedStorage     int
	StorageType          string
	MasterUsername       string
	Encrypted            bool
	KmsKeyId             string `xml:",omitempty"`
	AvailabilityZone     string
	Port                 int
	PercentProgress      int
	InstanceCreateTime   string
	SnapshotCreateTime   string
	TagList              []xmlTag `xml:"TagList>Tag"`
	// IAMDatabaseAuthenticationEnabled is the source's setting when the snapshot was taken.
	IAMDatabaseAuthenticationEnabled bool
}

// hostedZoneID is the Route 53 zone RDS endpoints of us-east-1 live in; the emulator
// reports it for every region.
const hostedZoneID = "Z2R2ITUGPM61AM"

func awsTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// restorableLag is how far LatestRestorableTime trails the present. RDS ships
// transaction logs every few minutes; the emulator keeps tests quick with a few seconds.
const restorableLag = 5 * time.Second

// latestRestorableTime is the instance's LatestRestorableTime at now, "" while RDS
// reports none: before the first automated backup finished, or with backups disabled.
// The window only grows: it is never earlier than that first backup.
func (in *instance) latestRestorableTime(now time.Time) string {
	if in.BackupRetentionPeriod == 0 || in.FirstBackup.IsZero() {
		return ""
	}
	t := now.Add(-restorableLag)
	if t.Before(in.FirstBackup) {
		t = in.FirstBackup
	}
	return awsTime(t)
}

func xmlTags(tags []tag) []xmlTag {
	out := make([]xmlTag, 0, len(tags))
	for _, t := range tags {
		out = append(out, xmlTag(t))
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// instanceXML renders an instance as DescribeDBInstances shows it.
func (e *Emulator) instanceXML(in *instance) xmlInstance {
	x := xmlInstance{
		DBInstanceIdentifier:  in.ID,
		DBInstanceArn:         e.instanceARN(in.ID),
		DBInstanceClass:       in.Class,
		DBInstanceStatus:      in.Status,
		Engine:                in.Engine,
		EngineVersion:         in.EngineVersion,
		AllocatedStorage:      in.AllocatedStorage,
		StorageType:           in.StorageType,
		Iops:                  nonzero(reportedIOPS(in.StorageType, in.AllocatedStorage, in.Iops)),
		StorageThroughput:     nonzero(reportedThroughput(in.StorageType, in.AllocatedStorage, in.StorageThroughput)),
		MaxAllocatedStorage:   nonzero(in.MaxAllocatedStorage),
		MasterUsername:        in.MasterUsername,
		DBName:                in.DBName,
		BackupRetentionPeriod: in.BackupRetentionPeriod,
		PreferredBackupWindow: in.PreferredBackupWindow,

		PreferredMaintenanceWindow: in.PreferredMaintenanceWindow,
		AutoMinorVersionUpgrade:    in.AutoMinorVersionUpgrade,
		DeletionProtection:         in.DeletionProtection,

		IAMDatabaseAuthenticationEnabled: in.IAMAuth,

		PendingModifiedValues: xmlPending{
			AllocatedStorage:      in.Pending.AllocatedStorage,
			Iops:                  in.Pending.Iops,
			StorageThroughput:     in.Pending.StorageThroughput,
			BackupRetentionPeriod: in.Pending.BackupRetentionPeriod,
			DBInstanceClass:       in.Pending.DBInstanceClass,
			EngineVersion:         in.Pending.EngineVersion,
			StorageType:           in.Pending.StorageType,
			MultiAZ:               in.Pending.MultiAZ,

			IAMDatabaseAuthenticationEnabled: in.Pending.IAMAuth,

			PendingCloudwatchLogsExports: in.Logs.xmlPending(),
		},
		EnabledCloudwatchLogsExports: in.Logs.Enabled,
		LatestRestorableTime:         in.latestRestorableTime(time.Now()),
		DbiResourceId:                in.ResourceID,
		MultiAZ:                      in.MultiAZ,
		StorageEncrypted:             in.StorageEncrypted,
		KmsKeyId:                     in.KmsKeyID,
		PubliclyAccessible:           in.PubliclyAccessible,
		AvailabilityZone:             in.AvailabilityZone,
		TagList:                      xmlTags(in.Tags),
		CopyTagsToSnapshot:           in.CopyTagsToSnapshot,

		ReadReplicaSourceDBInstanceIdentifier: in.ReplicaSource,
		ReadReplicaDBInstanceIdentifiers:      e.replicasOf(in.ID),
		DBClusterIdentifier:                   in.ClusterID,
		DBParameterGroups:                     []xmlParamGroupStatus{{DBParameterGroupName: e.instanceParamGroup(in), ParameterApplyStatus: cmp.Or(in.ParamApply, paramsInSync)}},
	}
	if in.MultiAZ {
		x.SecondaryAvailabilityZone = in.SecondaryAZ
	}
	if c, ok := e.clusters[in.ClusterID]; ok && in.ClusterID != "" {
		x.IAMDatabaseAuthenticationEnabled = c.IAMAuth
	}
	if in.ReplicaSource != "" && in.EndpointPort != 0 {
		x.StatusInfos = []xmlInstanceStatusInfo{{StatusType: "read replication", Normal: true, Status: "replicating"}}
	}
	if in.EndpointPort != 0 {
		x.Endpoint = &xmlEndpoint{Address: "localhost", Port: in.EndpointPort, HostedZoneId: hostedZoneID}
		x.InstanceCreateTime = awsTime(in.CreateTime)
	}
	if in.SubnetGroup != "" {
		x.DBSubnetGroup = &xmlSubnetGroup{DBSubnetGroupName: in.SubnetGroup}
	}
	for _, sg := range in.VpcSecurityGroupIDs {
		x.VpcSecurityGroups = append(x.VpcSecurityGroups, xmlVpcSecurityGroup{VpcSecurityGroupId: sg, Status: "active"})
	}
	return x
}

// snapshotXML renders a snapshot as DescribeDBSnapshots shows it.
func (e *Emulator) snapshotXML(s *snapshot) xmlSnapshot {
	progress := 0
	if s.Status == "available" {
		progress = 100
	}
	return xmlSnapshot{
		DBSnapshotIdentifier: s.ID,
		DBSnapshotArn:        e.snapshotARN(s.ID),
		DBInstanceIdentifier: s.InstanceID,
		DbiResourceId:        s.ResourceID,
		SnapshotType:         s.Type,
		Status:               s.Status,
		Engine:               s.Engine,
		EngineVersion:        s.EngineVersion,
		AllocatedStorage:     s.AllocatedStorage,
		StorageType:          s.StorageType,
		MasterUsername:       s.MasterUsername,
		Encrypted:            s.Encrypted,
		KmsKeyId:             s.KmsKeyID,
		AvailabilityZone:     s.AvailabilityZone,
		Port:                 s.Port,
		PercentProgress:      progress,
		InstanceCreateTime:   awsTime(s.InstanceCreate),
		SnapshotCreateTime:   awsTime(s.CreateTime),
		TagList:              xmlTags(s.Tags),

		IAMDatabaseAuthenticationEnabled: s.IAMAuth,
	}
}
