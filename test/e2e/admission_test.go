package e2e

import (
	"context"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/matrixmind-cloud/aws-rds-operator/api/v1"
)

// TestAdmissionRejectsBadSpecs proves the apiserver itself (CRD schema and CEL rules, no
// webhook) refuses bad input with a message that says what to fix.
func TestAdmissionRejectsBadSpecs(t *testing.T) {
	ctx := context.Background()
	ns := namespace(t, "admission")
	cases := map[string]struct {
		reason  string
		name    string
		mutate  func(*v1.RDSDatabaseSpec)
		wantMsg string
	}{
		"UnknownType": {
			reason:  "A type the operator cannot serve is refused, not accepted and ignored.",
			mutate:  func(s *v1.RDSDatabaseSpec) { s.Type = "oracle" },
			wantMsg: "type must be postgresql",
		},
		"AuroraSize": {
			reason:  "Aurora storage grows by itself: a size is a mistake to point out.",
			mutate:  func(s *v1.RDSDatabaseSpec) { s.Type = "aurora-postgresql"; s.Size = "100GB" },
			wantMsg: "size does not apply to Aurora",
		},
		"AuroraStorageType": {
			reason:  "Aurora manages its storage.",
			mutate:  func(s *v1.RDSDatabaseSpec) { s.Type = "aurora-mysql"; s.StorageType = "gp3" },
			wantMsg: "storageType does not apply to Aurora",
		},
		"IO1WithoutIOPS": {
			reason:  "RDS refuses io1 and io2 without provisioned IOPS: say so at apply.",
			mutate:  func(s *v1.RDSDatabaseSpec) { s.StorageType = "io1"; s.Size = "100GB" },
			wantMsg: "storageType io1 and io2 need iops",
		},
		"IOPSOnGP2": {
			reason:  "gp2 has no provisioned IOPS.",
			mutate:  func(s *v1.RDSDatabaseSpec) { s.StorageType = "gp2"; s.IOPS = new(int32(3000)) },
			wantMsg: "iops applies to io1, io2 and gp3 storage only",
		},
		"ThroughputOnIO2": {
			reason: "Only gp3 takes a throughput.",
			mutate: func(s *v1.RDSDatabaseSpec) {
				s.StorageType, s.IOPS, s.StorageThroughput = "io2", new(int32(3000)), new(int32(500))
			},
			wantMsg: "storageThroughput applies to gp3 storage only",
		},
		"IOPSTooLow": {
			reason:  "RDS provisions at least 1,000 IOPS.",
			mutate:  func(s *v1.RDSDatabaseSpec) { s.StorageType, s.IOPS = "io1", new(int32(500)) },
			wantMsg: "should be greater than or equal to 1000",
		},
		"AuroraIOPS": {
			reason:  "Aurora manages its storage's performance too.",
			mutate:  func(s *v1.RDSDatabaseSpec) { s.Type = "aurora-postgresql"; s.IOPS = new(int32(3000)) },
			wantMsg: "iops and storageThroughput do not apply to Aurora",
		},
		"AuroraMultiAZ": {
			reason: "Aurora's HA is a reader, not multiAZ.",
			mutate: func(s *v1.RDSDatabaseSpec) {
				s.Type = "aurora-mysql"
				s.HighAvailability = &v1.HighAvailability{MultiAZ: true}
			},
			wantMsg: "multiAZ does not apply to Aurora",
		},
		"AuroraMySQLVersionOnPostgres": {
			reason:  "An Aurora MySQL version on another engine is a mistake.",
			mutate:  func(s *v1.RDSDatabaseSpec) { s.Version = "8.0.mysql_aurora.3.08.0" },
			wantMsg: "only Aurora MySQL versions contain mysql_aurora",
		},
		"TooManyReplicas": {
			reason:  "RDS allows 15 read replicas.",
			mutate:  func(s *v1.RDSDatabaseSpec) { s.HighAvailability = &v1.HighAvailability{ReadReplicas: 16} },
			wantMsg: "readReplicas",
		},
		"NameTooLongForReaderService": {
			reason: "The reader Service <name>-rds-ro must be a DNS label.",
			name:   strings.Repeat("r", 58),
			mutate: func(s *v1.RDSDatabaseSpec) {
				s.HighAvailability = &v1.HighAvailability{ReadReplicas: 1}
			},
			wantMsg: "with read replicas the name must be at most 56",
		},
		"MySQLVersionWithoutMinor": {
			reason:  "MySQL's major versions are 8.0 and 8.4: a bare 8 names neither.",
			mutate:  func(s *v1.RDSDatabaseSpec) { s.Type = "mysql"; s.Version = "8" },
			wantMsg: "a MySQL version is major.minor",
		},
		"MySQLUserTooLong": {
			reason: "MySQL user names have at most 32 characters.",
			mutate: func(s *v1.RDSDatabaseSpec) {
				s.Type = "MySQL"
				s.Users = map[string]v1.UserRoles{strings.Repeat("u", 33): {}}
			},
			wantMsg: "MySQL user names may have at most 32 characters",
		},
		"MySQLReservedDatabase": {
			reason:  "The mysql schema is MySQL's own.",
			mutate:  func(s *v1.RDSDatabaseSpec) { s.Type = "mysql"; s.Databases = map[string]v1.DatabaseUsers{"mysql": {}} },
			wantMsg: "reserved by MySQL",
		},
		"KMSKeyWithoutEncryption": {
			reason:  "A key for an unencrypted database is a contradiction RDS refuses.",
			mutate:  func(s *v1.RDSDatabaseSpec) { s.Encryption = &v1.Encryption{Enabled: new(false), KMSKeyID: "alias/rds"} },
			wantMsg: "kmsKeyId needs encryption enabled",
		},
		"MalformedKMSKey": {
			reason:  "A KMS key is named by ARN, key ID or alias.",
			mutate:  func(s *v1.RDSDatabaseSpec) { s.Encryption = &v1.Encryption{KMSKeyID: "my key"} },
			wantMsg: "kmsKeyId must be a KMS key ARN, key ID, alias ARN or alias name",
		},
		"MalformedSecurityGroup": {
			reason:  "Security groups are named by their sg- ID.",
			mutate:  func(s *v1.RDSDatabaseSpec) { s.Network = &v1.Network{SecurityGroupIDs: []string{"default"}} },
			wantMsg: "securityGroupIds[0]",
		},
		"MalformedSize": {
			reason:  "A size without a gigabyte unit is ambiguous.",
			mutate:  func(s *v1.RDSDatabaseSpec) { s.Size = "10MB" },
			wantMsg: "size must be a whole number of gigabytes",
		},
		"RetentionTooLong": {
			reason:  "RDS keeps automated backups 35 days at most.",
			mutate:  func(s *v1.RDSDatabaseSpec) { s.Backup.Retention = "36d" },
			wantMsg: "retention must be a whole number of days from 1d to 35d",
		},
		"MalformedBackupWindow": {
			reason:  "RDS takes the window as hh24:mi-hh24:mi in UTC.",
			mutate:  func(s *v1.RDSDatabaseSpec) { s.Backup.Window = "3am-4am" },
			wantMsg: "window must be hh24:mi-hh24:mi",
		},
		"MalformedEvery": {
			reason:  "Backups are taken every so many hours or days.",
			mutate:  func(s *v1.RDSDatabaseSpec) { s.Backup.Every = "90m" },
			wantMsg: "every must be a whole number of hours or days",
		},
		"MalformedRetention": {
			reason:  "Retention is counted in days.",
			mutate:  func(s *v1.RDSDatabaseSpec) { s.Backup.Retention = "1w" },
			wantMsg: "retention must be a whole number of days",
		},
		"ReservedMasterUser": {
			reason:  "rdsadmin belongs to RDS.",
			mutate:  func(s *v1.RDSDatabaseSpec) { s.MasterUser = "rdsadmin" },
			wantMsg: "masteruser is a name RDS or PostgreSQL reserves",
		},
		"InvalidMasterUser": {
			reason:  "A master name must be a plain identifier RDS accepts.",
			mutate:  func(s *v1.RDSDatabaseSpec) { s.MasterUser = "Robert'); DROP" },
			wantMsg: "masteruser must be 1 to 16 lowercase letters",
		},
		"SQLInUserName": {
			reason:  "User names must be identifiers that can be quoted safely and named in a Secret.",
			mutate:  func(s *v1.RDSDatabaseSpec) { s.Users = map[string]v1.UserRoles{"x; drop table": {}} },
			wantMsg: "user names must be 1 to 63 lowercase letters",
		},
		"SizeTooLarge": {
			reason:  "RDS allocates at most 65536 GiB.",
			mutate:  func(s *v1.RDSDatabaseSpec) { s.Size = "70000GB" },
			wantMsg: "size must be a whole number of gigabytes from 1 to 65536",
		},
		"KeywordMasterUser": {
			reason:  "RDS refuses SQL keywords as the master's name; say so before calling AWS.",
			mutate:  func(s *v1.RDSDatabaseSpec) { s.MasterUser = "user" },
			wantMsg: "masteruser is a name RDS or PostgreSQL reserves",
		},
		"UserNamedMaster": {
			reason:  "A user named master would share the master's Secret.",
			mutate:  func(s *v1.RDSDatabaseSpec) { s.Users = map[string]v1.UserRoles{"master": {}} },
			wantMsg: "a user may not be named master",
		},
		"ReservedUserName": {
			reason:  "pg_ roles belong to PostgreSQL.",
			mutate:  func(s *v1.RDSDatabaseSpec) { s.Users = map[string]v1.UserRoles{"pg_monitor": {}} },
			wantMsg: "reserved by RDS or PostgreSQL",
		},
		"UnknownRole": {
			reason:  "Only superuser and createdb are roles.",
			mutate:  func(s *v1.RDSDatabaseSpec) { s.Users = map[string]v1.UserRoles{"app": {"owner"}} },
			wantMsg: `supported values: "superuser", "createdb"`,
		},
		"MasterAsUser": {
			reason:  "The master already has its Secret; a user of the same name would clash.",
			mutate:  func(s *v1.RDSDatabaseSpec) { s.Users = map[string]v1.UserRoles{"sysadmin": {}} },
			wantMsg: "users must not contain the master user's name",
		},
		"DatabaseListsUnknownUser": {
			reason: "A database may only list users defined under users.",
			mutate: func(s *v1.RDSDatabaseSpec) {
				s.Users = map[string]v1.UserRoles{"app": {}}
				s.Databases = map[string]v1.DatabaseUsers{"orders": {"app", "ghost"}}
			},
			wantMsg: "every user listed under databases must be defined under users",
		},
		"InvalidDatabaseName": {
			reason:  "Database names must be identifiers.",
			mutate:  func(s *v1.RDSDatabaseSpec) { s.Databases = map[string]v1.DatabaseUsers{"Orders-DB": {}} },
			wantMsg: "database names must be 1 to 63 lowercase letters",
		},
		"ReservedDatabaseName": {
			reason:  "template1 belongs to PostgreSQL.",
			mutate:  func(s *v1.RDSDatabaseSpec) { s.Databases = map[string]v1.DatabaseUsers{"template1": {}} },
			wantMsg: "are reserved",
		},
		"ReservedTag": {
			reason:  "The owner tag is the operator's; a user may not forge it.",
			mutate:  func(s *v1.RDSDatabaseSpec) { s.Tags = map[string]string{"matrixmind.cloud/owner": "other/db"} },
			wantMsg: "tag keys starting with aws: or matrixmind.cloud/ are reserved",
		},
		"UnknownDeletionPolicy": {
			reason:  "Only Snapshot, Delete and Retain exist.",
			mutate:  func(s *v1.RDSDatabaseSpec) { s.DeletionPolicy = "Forget" },
			wantMsg: `supported values: "Snapshot", "Delete", "Retain"`,
		},
		"BadInstanceClass": {
			reason:  "An instance class looks like db.<family>.<size>.",
			mutate:  func(s *v1.RDSDatabaseSpec) { s.InstanceClass = "t4g.micro" },
			wantMsg: "instanceClass must look like db.<family>.<size>",
		},
		"IAMRoleWithoutIAMAuthentication": {
			reason:  "A user who logs in with IAM tokens cannot, unless the database takes them.",
			mutate:  func(s *v1.RDSDatabaseSpec) { s.Users = map[string]v1.UserRoles{"app": {v1.RoleIAM}} },
			wantMsg: "users with the role iam log in with IAM tokens: set iamAuthentication: true",
		},
		"NameTooLongForService": {
			reason:  "The Service <name>-rds must be a DNS label.",
			name:    strings.Repeat("a", 60),
			mutate:  func(s *v1.RDSDatabaseSpec) {},
			wantMsg: "the name must be at most 59",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			db := &v1.RDSDatabase{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "bad-" + strings.ToLower(name)}}
			if tc.name != "" {
				db.Name = tc.name
			}
			tc.mutate(&db.Spec)
			err := stack.Client.Create(ctx, db)
			if err == nil {
				t.Fatalf("%s\nthe apiserver accepted the spec", tc.reason)
			}
			if !strings.Contains(err.Error(), tc.wantMsg) {
				t.Errorf("%s\nerror %q does not say %q", tc.reason, err.Error(), tc.wantMsg)
			}
		})
	}

	// What the rules above refuse is accepted with what they ask for (a dry run: nothing is
	// stored).
	ok := &v1.RDSDatabase{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "io1-with-iops"},
		Spec: v1.RDSDatabaseSpec{StorageType: "io1", Size: "100GB", IOPS: new(int32(3000))}}
	if err := stack.Client.Create(ctx, ok, client.DryRunAll); err != nil {
		t.Errorf("io1 with its IOPS is refused: %v", err)
	}
	iam := &v1.RDSDatabase{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "iam-reader"},
		Spec: v1.RDSDatabaseSpec{IAMAuthentication: new(true), Users: map[string]v1.UserRoles{"reader": {v1.RoleReadOnly, v1.RoleIAM}, "app": {v1.RoleIAM, v1.RoleCreateDB, v1.RoleSuperuser}}}}
	if err := stack.Client.Create(ctx, iam, client.DryRunAll); err != nil {
		t.Errorf("iam users with iamAuthentication are refused: %v", err)
	}
	gp3 := &v1.RDSDatabase{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "gp3-provisioned"},
		Spec: v1.RDSDatabaseSpec{StorageType: "gp3", Size: "500GB", IOPS: new(int32(12000)), StorageThroughput: new(int32(500))}}
	if err := stack.Client.Create(ctx, gp3, client.DryRunAll); err != nil {
		t.Errorf("gp3 with IOPS and throughput is refused: %v", err)
	}
}

// TestAdmissionRejectsBadUpdates proves the transition rules: storage never shrinks, and what
// RDS cannot change after creation is refused with a message.
func TestAdmissionRejectsBadUpdates(t *testing.T) {
	ctx := context.Background()
	ns := namespace(t, "transitions")
	db := &v1.RDSDatabase{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "grow-only"}}
	db.Spec.Size = "50GB"
	db.Spec.Version = "16.4"
	db.Spec.DeletionPolicy = v1.DeletionDelete
	if err := stack.Client.Create(ctx, db); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = stack.Client.Delete(ctx, db) })
	cases := map[string]struct {
		reason  string
		mutate  func(*v1.RDSDatabaseSpec)
		wantMsg string
	}{
		"Shrink":                  {reason: "RDS cannot shrink storage.", mutate: func(s *v1.RDSDatabaseSpec) { s.Size = "40GiB" }, wantMsg: "size cannot be decreased"},
		"RenameMaster":            {reason: "RDS cannot rename the master.", mutate: func(s *v1.RDSDatabaseSpec) { s.MasterUser = "other" }, wantMsg: "masteruser cannot be changed"},
		"MajorUpgradeWithoutFlag": {reason: "A major upgrade cannot be undone: it needs the flag.", mutate: func(s *v1.RDSDatabaseSpec) { s.Version = "17" }, wantMsg: "needs allowMajorVersionUpgrade: true"},
		"AddEncryption":           {reason: "RDS encrypts only new databases.", mutate: func(s *v1.RDSDatabaseSpec) { s.Encryption = &v1.Encryption{Enabled: new(true)} }, wantMsg: "encryption cannot be added or removed after creation"},
		"ChangeType":              {reason: "An engine is chosen once.", mutate: func(s *v1.RDSDatabaseSpec) { s.Type = v1.TypeMySQL; s.Version = "8.0" }, wantMsg: "type cannot be changed after creation"},
		"Downgrade":               {reason: "RDS cannot downgrade, flag or not.", mutate: func(s *v1.RDSDatabaseSpec) { s.Version = "15"; s.AllowMajorVersionUpgrade = true }, wantMsg: "version cannot be lowered"},
		"MoveToAnotherClass":      {reason: "Moving data between clouds is not the operator's job: the class is chosen once.", mutate: func(s *v1.RDSDatabaseSpec) { s.Class = "gcp-eu" }, wantMsg: "class cannot be changed after creation"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			err := update(ctx, db, tc.mutate)
			if err == nil || !strings.Contains(err.Error(), tc.wantMsg) {
				t.Errorf("%s\nupdate error = %v, want it to say %q", tc.reason, err, tc.wantMsg)
			}
		})
	}
	t.Run("MajorUpgradeWithFlagIsAccepted", func(t *testing.T) {
		if err := update(ctx, db, func(s *v1.RDSDatabaseSpec) { s.Version = "17"; s.AllowMajorVersionUpgrade = true }); err != nil {
			t.Errorf("a major upgrade with allowMajorVersionUpgrade was refused: %v", err)
		}
	})
	t.Run("GrowIsAccepted", func(t *testing.T) {
		if err := update(ctx, db, func(s *v1.RDSDatabaseSpec) { s.Size = "60Gi" }); err != nil {
			t.Errorf("growing storage was refused: %v", err)
		}
	})
}

// TestAdmissionMySQLAndEncryptionTransitions proves the transition rules that depend on the
// engine (MySQL's major version is major.minor) and on encryption (fixed at creation).
func TestAdmissionMySQLAndEncryptionTransitions(t *testing.T) {
	ctx := context.Background()
	ns := namespace(t, "transitions-mysql")
	db := &v1.RDSDatabase{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "mysql-rules"}}
	db.Spec.Type = v1.TypeMySQLSeed
	db.Spec.Version = "8.0.40"
	db.Spec.DeletionPolicy = v1.DeletionDelete
	db.Spec.Encryption = &v1.Encryption{KMSKeyID: "alias/rds-data"}
	db.Spec.Network = &v1.Network{SubnetGroup: "private"}
	if err := stack.Client.Create(ctx, db); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = stack.Client.Delete(ctx, db) })
	cases := map[string]struct {
		reason  string
		mutate  func(*v1.RDSDatabaseSpec)
		wantMsg string
	}{
		"MajorUpgradeWithoutFlag": {reason: "8.0 to 8.4 is a major upgrade on MySQL.", mutate: func(s *v1.RDSDatabaseSpec) { s.Version = "8.4" }, wantMsg: "needs allowMajorVersionUpgrade: true"},
		"Downgrade":               {reason: "Nor can MySQL go back.", mutate: func(s *v1.RDSDatabaseSpec) { s.Version = "5.7"; s.AllowMajorVersionUpgrade = true }, wantMsg: "version cannot be lowered"},
		"ChangeKey":               {reason: "The key is fixed at creation.", mutate: func(s *v1.RDSDatabaseSpec) { s.Encryption.KMSKeyID = "alias/other" }, wantMsg: "encryption cannot be changed after creation"},
		"RemoveEncryption":        {reason: "Nor can the block go.", mutate: func(s *v1.RDSDatabaseSpec) { s.Encryption = nil }, wantMsg: "encryption cannot be added or removed"},
		"MoveSubnetGroup":         {reason: "The subnet group is fixed at creation.", mutate: func(s *v1.RDSDatabaseSpec) { s.Network.SubnetGroup = "public" }, wantMsg: "subnetGroup cannot be changed"},
		"SeedSpellingIsNoChange":  {reason: "mysql and MySQL are one type.", mutate: func(s *v1.RDSDatabaseSpec) { s.Type = v1.TypeMySQL }, wantMsg: ""},
		"MinorUpgrade":            {reason: "A minor upgrade needs no flag.", mutate: func(s *v1.RDSDatabaseSpec) { s.Version = "8.0.41" }, wantMsg: ""},
		"MajorUpgradeWithFlag":    {reason: "With the flag, 8.4 is accepted.", mutate: func(s *v1.RDSDatabaseSpec) { s.Version = "8.4"; s.AllowMajorVersionUpgrade = true }, wantMsg: ""},
	}
	for _, name := range []string{"MajorUpgradeWithoutFlag", "Downgrade", "ChangeKey", "RemoveEncryption", "MoveSubnetGroup", "SeedSpellingIsNoChange", "MinorUpgrade", "MajorUpgradeWithFlag"} {
		tc := cases[name]
		t.Run(name, func(t *testing.T) {
			err := update(ctx, db, tc.mutate)
			switch {
			case tc.wantMsg == "" && err != nil:
				t.Errorf("%s\nupdate refused: %v", tc.reason, err)
			case tc.wantMsg != "" && (err == nil || !strings.Contains(err.Error(), tc.wantMsg)):
				t.Errorf("%s\nupdate error = %v, want it to say %q", tc.reason, err, tc.wantMsg)
			}
		})
	}
}

// TestAdmissionRejectsBadClasses proves a DatabaseClass that cannot work is refused with a
// message saying what to fix, and that a class's provider is fixed.
func TestAdmissionRejectsBadClasses(t *testing.T) {
	ctx := context.Background()
	cases := map[string]struct {
		reason  string
		spec    v1.DatabaseClassSpec
		wantMsg string
	}{
		"UnservedProvider": {reason: "A provider this version does not serve is refused, not accepted and ignored.",
			spec: v1.DatabaseClassSpec{Provider: "crunchy"}, wantMsg: "provider must be aws, gcp, azure, existing or cloudnativepg"},
		"ExistingWithoutItsServer": {reason: "An existing class cannot make anything without the Secret saying which server and as whom.",
			spec: v1.DatabaseClassSpec{Provider: v1.ProviderExisting}, wantMsg: "an existing class needs existing: {adminSecretRef: {namespace, name}}"},
		"AzureWithoutParameters": {reason: "An azure class cannot make anything without its subscription, resource group and location.",
			spec: v1.DatabaseClassSpec{Provider: v1.ProviderAzure}, wantMsg: "an azure class needs azure: {subscriptionId, resourceGroup, location}"},
		"BadSubscription": {reason: "A subscription ID is a UUID: anything else would fail at the first call, far from the class.",
			spec:    v1.DatabaseClassSpec{Provider: v1.ProviderAzure, Azure: &v1.AzureClassParameters{SubscriptionID: "acme-prod", ResourceGroup: "databases", Location: "westeurope"}},
			wantMsg: "subscriptionId must be an Azure subscription ID"},
		"BadLocation": {reason: "An Azure location has Azure's form (westeurope, not West Europe or eu-west-1).",
			spec:    v1.DatabaseClassSpec{Provider: v1.ProviderAzure, Azure: &v1.AzureClassParameters{SubscriptionID: "00000000-0000-0000-0000-000000000001", ResourceGroup: "databases", Location: "West Europe"}},
			wantMsg: "location must be an Azure region"},
		"AzureParametersOnAGCPClass": {reason: "azure parameters on a gcp class would be silently ignored.",
			spec: v1.DatabaseClassSpec{Provider: v1.ProviderGCP, GCP: &v1.GCPClassParameters{Project: "acme-prod", Region: "europe-west1"},
				Azure: &v1.AzureClassParameters{SubscriptionID: "00000000-0000-0000-0000-000000000001", ResourceGroup: "databases", Location: "westeurope"}},
			wantMsg: "azure parameters belong to a class with provider: azure"},
		"GCPWithoutProject": {reason: "A gcp class cannot make anything without its project and region.",
			spec: v1.DatabaseClassSpec{Provider: v1.ProviderGCP}, wantMsg: "a gcp class needs gcp: {project, region}"},
		"ParametersOfAnotherProvider": {reason: "aws parameters on a gcp class would be silently ignored.",
			spec: v1.DatabaseClassSpec{Provider: v1.ProviderGCP, GCP: &v1.GCPClassParameters{Project: "acme-prod", Region: "europe-west1"},
				AWS: &v1.AWSClassParameters{InstanceClass: "db.t4g.micro"}}, wantMsg: "aws parameters belong to a class with provider: aws"},
		"BadProject": {reason: "A project ID has Google's form.",
			spec: v1.DatabaseClassSpec{Provider: v1.ProviderGCP, GCP: &v1.GCPClassParameters{Project: "Acme_Prod", Region: "europe-west1"}}, wantMsg: "project must be a Google Cloud project ID"},
		"BadRegion": {reason: "An AWS region has AWS's form.",
			spec: v1.DatabaseClassSpec{Provider: v1.ProviderAWS, AWS: &v1.AWSClassParameters{Region: "europe-west1"}}, wantMsg: "region must be an AWS region"},
		"FallbackToItself": {reason: "A class that falls back to itself would make nothing more: it names another class.",
			spec: v1.DatabaseClassSpec{Provider: v1.ProviderAWS, Fallback: "bad-fallbacktoitself"}, wantMsg: "fallback cannot be the class itself"},
		"FallbackNotAName": {reason: "A fallback is a DatabaseClass's name.",
			spec: v1.DatabaseClassSpec{Provider: v1.ProviderAWS, Fallback: "Azure_EU"}, wantMsg: "fallback must be the name of a DatabaseClass"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			c := &v1.DatabaseClass{ObjectMeta: metav1.ObjectMeta{Name: "bad-" + strings.ToLower(name)}, Spec: tc.spec}
			err := stack.Client.Create(ctx, c)
			if err == nil {
				_ = stack.Client.Delete(ctx, c)
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantMsg) {
				t.Errorf("%s\ncreate error = %v, want it to say %q", tc.reason, err, tc.wantMsg)
			}
		})
	}
	t.Run("ProviderIsFixed", func(t *testing.T) {
		c := &v1.DatabaseClass{ObjectMeta: metav1.ObjectMeta{Name: "admission-fixed-provider"},
			Spec: v1.DatabaseClassSpec{Provider: v1.ProviderAWS, AWS: &v1.AWSClassParameters{Region: "eu-west-1"}}}
		if err := stack.Client.Create(ctx, c); err != nil {
			t.Fatalf("a valid aws class was refused: %v", err)
		}
		t.Cleanup(func() { _ = stack.Client.Delete(ctx, c) })
		c.Spec = v1.DatabaseClassSpec{Provider: v1.ProviderGCP, GCP: &v1.GCPClassParameters{Project: "acme-prod", Region: "europe-west1"}}
		if err := stack.Client.Update(ctx, c); err == nil || !strings.Contains(err.Error(), "provider cannot be changed") {
			t.Errorf("Databases already made on a class stay where they are: changing its provider must be refused; update error = %v", err)
		}
	})
}
