package emulator

import (
	"cmp"
	"time"
)

type xmlClusterMember struct {
	DBInstanceIdentifier          string
	IsClusterWriter               bool
	DBClusterParameterGroupStatus string
	PromotionTier                 int
}

type xmlClusterPending struct {
	EngineVersion                    string `xml:",omitempty"`
	IAMDatabaseAuthenticationEnabled *bool  `xml:",omitempty"`
}

type xmlCluster struct {
	AllocatedStorage           int
	AvailabilityZones          []string `xml:"AvailabilityZones>AvailabilityZone"`
	BackupRetentionPeriod      int
	DatabaseName               string `xml:",omitempty"`
	DBClusterIdentifier        string
	DBClusterParameterGroup    string
	DBSubnetGroup              string `xml:",omitempty"`
	Status                     string
	EarliestRestorableTime     string `xml:",omitempty"`
	Endpoint                   string `xml:",omitempty"`
	ReaderEndpoint             string `xml:",omitempty"`
	MultiAZ                    bool
	Engine                     string
	EngineVersion              string
	LatestRestorableTime       string `xml:",omitempty"`
	Port                       int    `xml:",omitempty"`
	MasterUsername             string
	PreferredBackupWindow      string
	PreferredMaintenanceWindow string
	AutoMinorVersionUpgrade    bool
	DBClusterMembers           []xmlClusterMember    `xml:"DBClusterMembers>DBClusterMember"`
	VpcSecurityGroups          []xmlVpcSecurityGroup `xml:"VpcSecurityGroups>VpcSecurityGroupMembership"`
	HostedZoneId               string
	StorageEncrypted           bool
	KmsKeyId                   string `xml:",omitempty"`
	DbClusterResourceId        string
	DBClusterArn               string
	ClusterCreateTime          string
	EngineMode                 string
	PendingModifiedValues      *xmlClusterPending `xml:",omitempty"`
	StorageType                string
	DeletionProtection         bool
	CopyTagsToSnapshot         bool
	TagList                    []xmlTag `xml:"TagList>Tag"`
	// IAMDatabaseAuthenticationEnabled says whether users may log in with IAM tokens.
	IAMDatabaseAuthenticationEnabled bool
	// EnabledCloudwatchLogsExports are the logs the cluster ships to CloudWatch Logs.
	EnabledCloudwatchLogsExports []string `xml:"EnabledCloudwatchLogsExports>member"`
}

type xmlClusterSnapshot struct {
	AvailabilityZones           []string `xml:"AvailabilityZones>AvailabilityZone"`
	DBClusterSnapshotIdentifier string
	DBClusterIdentifier         string
	SnapshotCreateTime          string
	Engine                      string
	EngineMode                  string
	AllocatedStorage            int
	Status                      string
	Port                        int
	ClusterCreateTime           string
	MasterUsername              string
	EngineVersion               string
	SnapshotType                string
	PercentProgress             int
	StorageEncrypted            bool
	KmsKeyId                    string `xml:",omitempty"`
	DBClusterSnapshotArn        string
	StorageType                 string
	DbClusterResourceId         string
	TagList                     []xmlTag `xml:"TagList>Tag"`
	// IAMDatabaseAuthenticationEnabled is the source's setting when the snapshot was taken.
	IAMDatabaseAuthenticationEnabled bool
}

// clusterZones are the zones of the region a cluster's volume spans, as Aurora reports.
func (e *Emulator) clusterZones() []string {
	return []string{e.cfg.Region + "a", e.cfg.Region + "b", e.cfg.Region + "c"}
}

// clusterXML renders a cluster as DescribeDBClusters shows it. It runs under the lock.
func (e *Emulator) clusterXML(c *cluster) xmlCluster {
	x := xmlCluster{
		AllocatedStorage:           1,
		AvailabilityZones:          e.clusterZones(),
		BackupRetentionPeriod:      c.BackupRetentionPeriod,
		DatabaseName:               c.DatabaseName,
		DBClusterIdentifier:        c.ID,
		DBClusterParameterGroup:    e.clusterParamGroup(c),
		DBSubnetGroup:              c.SubnetGroup,
		Status:                     c.Status,
		Engine:                     c.Engine,
		EngineVersion:              c.EngineVersion,
		MasterUsername:             c.MasterUsername,
		PreferredBackupWindow:      c.PreferredBackupWindow,
		PreferredMaintenanceWindow: c.PreferredMaintenanceWindow,
		AutoMinorVersionUpgrade:    c.AutoMinorVersionUpgrade,
		DeletionProtection:         c.DeletionProtection,
		HostedZoneId:               hostedZoneID,
		StorageEncrypted:           c.StorageEncrypted,
		KmsKeyId:                   c.KmsKeyID,
		DbClusterResourceId:        c.ResourceID,
		DBClusterArn:               e.clusterARN(c.ID),
		ClusterCreateTime:          awsTime(c.CreateTime),
		EngineMode:                 "provisioned",
		StorageType:                "aurora",
		CopyTagsToSnapshot:         c.CopyTagsToSnapshot,
		TagList:                    xmlTags(c.Tags),

		IAMDatabaseAuthenticationEnabled: c.IAMAuth,

		EnabledCloudwatchLogsExports: c.Logs.Enabled,
	}
	if c.Port != 0 {
		x.Endpoint, x.ReaderEndpoint, x.Port = clusterEndpoint, clusterReaderEndpoint, c.Port
	}
	if !c.FirstBackup.IsZero() {
		x.EarliestRestorableTime = awsTime(c.FirstBackup)
		latest := time.Now().Add(-restorableLag)
		if latest.Before(c.FirstBackup) {
			latest = c.FirstBackup
		}
		x.LatestRestorableTime = awsTime(latest)
	}
	if c.PendingEngineVersion != "" || c.PendingIAMAuth != nil {
		x.PendingModifiedValues = &xmlClusterPending{EngineVersion: c.PendingEngineVersion, IAMDatabaseAuthenticationEnabled: c.PendingIAMAuth}
	}
	zones := map[string]bool{}
	for _, in := range e.members(c.ID) {
		x.DBClusterMembers = append(x.DBClusterMembers, xmlClusterMember{
			DBInstanceIdentifier:          in.ID,
			IsClusterWriter:               in.ID == c.Writer,
			DBClusterParameterGroupStatus: cmp.Or(in.ClusterParamApply, paramsInSync),
			PromotionTier:                 1,
		})
		zones[in.AvailabilityZone] = true
	}
	// Aurora reports a cluster as Multi-AZ when its instances span more than one zone.
	x.MultiAZ = len(zones) > 1
	for _, sg := range c.VpcSecurityGroupIDs {
		x.VpcSecurityGroups = append(x.VpcSecurityGroups, xmlVpcSecurityGroup{VpcSecurityGroupId: sg, Status: "active"})
	}
	return x
}

// clusterSnapshotXML renders a cluster snapshot as DescribeDBClusterSnapshots shows it.
func (e *Emulator) clusterSnapshotXML(s *clusterSnapshot) xmlClusterSnapshot {
	progress := 0
	if s.Status == "available" {
		progress = 100
	}
	return xmlClusterSnapshot{
		AvailabilityZones:           e.clusterZones(),
		DBClusterSnapshotIdentifier: s.ID,
		DBClusterIdentifier:         s.ClusterID,
		SnapshotCreateTime:          awsTime(s.CreateTime),
		Engine:                      s.Engine,
		EngineMode:                  "provisioned",
		AllocatedStorage:            1,
		Status:                      s.Status,
		Port:                        s.Port,
		ClusterCreateTime:           awsTime(s.ClusterCreate),
		MasterUsername:              s.MasterUsername,
		EngineVersion:               s.EngineVersion,
		SnapshotType:                s.Type,
		PercentProgress:             progress,
		StorageEncrypted:            s.Encrypted,
		KmsKeyId:                    s.KmsKeyID,
		DBClusterSnapshotArn:        e.clusterSnapshotARN(s.ID),
		StorageType:                 "aurora",
		DbClusterResourceId:         s.ClusterResourceID,
		TagList:                     xmlTags(s.Tags),

		IAMDatabaseAuthenticationEnabled: s.IAMAuth,
	}
}
