package rds_test

import (
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	awsrds "github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/rds/types"

	"github.com/matrixmind-cloud/aws-rds-operator/internal/cloud"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/cloud/cloudtest"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/cloud/rds"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/emulator"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/emulator/emulatortest"
)

// conformanceDelays keep a new database creating long enough for the suite to see it
// creating, and everything else as short as the unit tests' delays.
var conformanceDelays = emulator.Delays{
	Create: 100 * time.Millisecond, BackingUp: 10 * time.Millisecond, Modify: 10 * time.Millisecond, Delete: 10 * time.Millisecond,
}

// TestConformance runs the provider conformance suite against the RDS emulator, without
// database engines.
func TestConformance(t *testing.T) {
	cloudtest.Conformance(t, cloudtest.Harness{
		Start:   startRDS,
		Desired: desiredRDS,
	})
}

// TestConformanceAurora runs the same suite with Aurora PostgreSQL databases: a DB cluster
// and its instances, which the provider shows as one database.
func TestConformanceAurora(t *testing.T) {
	start := func(t *testing.T) cloudtest.Cloud {
		em, c := serveRDS(t)
		c.CreateDirectly = createClusterWithSDK
		c.MakeBusy = func(t *testing.T, id string) {
			t.Helper()
			// A cluster under maintenance refuses modifications until it is done.
			if err := em.TamperClusterStatus(id, "maintenance"); err != nil {
				t.Fatalf("make %s busy: %v", id, err)
			}
		}
		return c
	}
	cloudtest.Conformance(t, cloudtest.Harness{Start: start, Desired: desiredAurora})
}

// desiredAurora is an Aurora PostgreSQL database, with backups on.
func desiredAurora(id string, tags map[string]string) cloud.Desired {
	return cloud.Desired{
		Identifier: id, Engine: "aurora-postgresql", EngineVersion: "16.6", InstanceClass: "db.r6g.large",
		BackupRetentionDays: 7, MasterUser: "sysadmin", MasterPassword: "Conformance-Password-1", StorageEncrypted: true, Tags: tags,
	}
}

// createClusterWithSDK creates the Aurora cluster d with the AWS SDK's own client, as another
// tool would.
func createClusterWithSDK(t *testing.T, d cloud.Desired) {
	t.Helper()
	cfg, err := config.LoadDefaultConfig(t.Context())
	if err != nil {
		t.Fatalf("load AWS configuration: %v", err)
	}
	in := &awsrds.CreateDBClusterInput{
		DBClusterIdentifier: aws.String(d.Identifier), Engine: aws.String(d.Engine), EngineVersion: aws.String(d.EngineVersion),
		MasterUsername: aws.String(d.MasterUser), MasterUserPassword: aws.String(d.MasterPassword),
		BackupRetentionPeriod: aws.Int32(d.BackupRetentionDays),
	}
	for k, v := range d.Tags {
		in.Tags = append(in.Tags, types.Tag{Key: aws.String(k), Value: aws.String(v)})
	}
	if _, err := awsrds.NewFromConfig(cfg).CreateDBCluster(t.Context(), in); err != nil {
		t.Fatalf("create cluster %s with the SDK: %v", d.Identifier, err)
	}
}

// desiredRDS is the smallest PostgreSQL instance RDS makes, with backups on.
func desiredRDS(id string, tags map[string]string) cloud.Desired {
	return cloud.Desired{
		Identifier: id, Engine: "postgres", EngineVersion: "17", InstanceClass: "db.t4g.micro",
		StorageType: "gp3", AllocatedStorageGiB: 20, BackupRetentionDays: 7, MasterUser: "sysadmin",
		MasterPassword: "Conformance-Password-1", Tags: tags,
	}
}

// startRDS serves an emulator for t and builds the provider as the manager does, from the
// environment emulatortest.Serve sets.
func startRDS(t *testing.T) cloudtest.Cloud {
	_, c := serveRDS(t)
	return c
}

// serveRDS is startRDS that also returns the emulator, for hooks of its own.
func serveRDS(t *testing.T) (*emulator.Emulator, cloudtest.Cloud) {
	em := emulatortest.Serve(t, emulator.Config{NoEngine: true, Delays: conformanceDelays})
	build := func(t *testing.T) cloud.Provider {
		t.Helper()
		p, err := rds.NewFromEnvironment(t.Context())
		if err != nil {
			t.Fatalf("NewFromEnvironment: %v", err)
		}
		return p
	}
	return em, cloudtest.Cloud{
		Provider:       build(t),
		Restart:        build,
		CreateDirectly: createWithSDK,
		Mutations: func() []string {
			var out []string
			for _, c := range em.Stats().Log {
				if !strings.HasPrefix(c.Action, "Describe") && !strings.HasPrefix(c.Action, "List") {
					out = append(out, c.Action+" "+c.ID)
				}
			}
			return out
		},
		MakeBusy: func(t *testing.T, id string) {
			t.Helper()
			// Rebooting is a state RDS refuses modifications in; the emulator keeps it
			// until told otherwise.
			if err := em.Tamper(id, func(tp *emulator.Tampering) { tp.Status = "rebooting" }); err != nil {
				t.Fatalf("make %s busy: %v", id, err)
			}
		},
		Throttle: func(t *testing.T, on bool) {
			f := emulator.Faults{}
			if on {
				f.ThrottleEvery = 1
			}
			em.SetFaults(f)
		},
	}
}

// createWithSDK creates d with the AWS SDK's own client, as another tool would: no
// Provider, and no tags but d's.
func createWithSDK(t *testing.T, d cloud.Desired) {
	t.Helper()
	cfg, err := config.LoadDefaultConfig(t.Context())
	if err != nil {
		t.Fatalf("load AWS configuration: %v", err)
	}
	in := &awsrds.CreateDBInstanceInput{
		DBInstanceIdentifier:  aws.String(d.Identifier),
		Engine:                aws.String(d.Engine),
		EngineVersion:         aws.String(d.EngineVersion),
		DBInstanceClass:       aws.String(d.InstanceClass),
		StorageType:           aws.String(d.StorageType),
		AllocatedStorage:      aws.Int32(d.AllocatedStorageGiB),
		BackupRetentionPeriod: aws.Int32(d.BackupRetentionDays),
		MasterUsername:        aws.String(d.MasterUser),
		MasterUserPassword:    aws.String(d.MasterPassword),
	}
	for k, v := range d.Tags {
		in.Tags = append(in.Tags, types.Tag{Key: aws.String(k), Value: aws.String(v)})
	}
	if _, err := awsrds.NewFromConfig(cfg).CreateDBInstance(t.Context(), in); err != nil {
		t.Fatalf("create %s with the SDK: %v", d.Identifier, err)
	}
}
