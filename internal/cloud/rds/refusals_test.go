package rds

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsrds "github.com/aws/aws-sdk-go-v2/service/rds"

	"github.com/matrixmind-cloud/aws-rds-operator/internal/cloud"
)

// TestRefusalsNameTheField creates, on the emulator, databases RDS refuses to create, and
// checks that each refusal names the part of the request to change.
func TestRefusalsNameTheField(t *testing.T) {
	p, _ := newProvider(t)
	cases := map[string]struct {
		reason    string
		change    func(*cloud.Desired)
		wantCode  string
		wantField cloud.Field
	}{
		"RetiredVersion": {reason: "PostgreSQL 9.6 is no longer offered.",
			change: func(d *cloud.Desired) { d.EngineVersion = "9.6" }, wantCode: "InvalidParameterCombination", wantField: cloud.FieldEngineVersion},
		"UnknownClass": {reason: "db.t4g.micr is no instance class.",
			change: func(d *cloud.Desired) { d.InstanceClass = "db.t4g.micr" }, wantCode: "InvalidParameterCombination", wantField: cloud.FieldInstanceClass},
		"IO1WithoutIOPS": {reason: "io1 needs provisioned IOPS, which the request does not give.",
			change:   func(d *cloud.Desired) { d.StorageType, d.AllocatedStorageGiB = "io1", 100 },
			wantCode: "InvalidParameterCombination", wantField: cloud.FieldIOPS},
		"StorageTooSmall": {reason: "Magnetic storage starts at 5 GiB.",
			change: func(d *cloud.Desired) { d.StorageType = "standard"; d.AllocatedStorageGiB = 4 }, wantCode: "InvalidParameterCombination", wantField: cloud.FieldStorage},
		"UnknownSubnetGroup": {reason: "The account holds no DB subnet group nope.",
			change: func(d *cloud.Desired) { d.SubnetGroup = "nope" }, wantCode: "DBSubnetGroupNotFoundFault", wantField: cloud.FieldSubnetGroup},
		"UnknownKMSKey": {reason: "The account holds no KMS alias alias/doesnotexist.",
			change:   func(d *cloud.Desired) { d.StorageEncrypted, d.KMSKeyID = true, "alias/doesnotexist" },
			wantCode: "KMSKeyNotAccessibleFault", wantField: cloud.FieldKMSKey},
		"GP3IOPSOutOfRange": {reason: "gp3 from 400 GiB takes 12,000 to 64,000 IOPS.",
			change:   func(d *cloud.Desired) { d.StorageType, d.AllocatedStorageGiB, d.IOPS = "gp3", 400, 70000 },
			wantCode: "InvalidParameterCombination", wantField: cloud.FieldIOPS},
		"GP3ThroughputOutOfRange": {reason: "gp3 from 400 GiB takes 500 to 4,000 MiB/s: the storage is what to change.",
			change: func(d *cloud.Desired) {
				d.StorageType, d.AllocatedStorageGiB, d.IOPS, d.StorageThroughput = "gp3", 400, 20000, 4001
			},
			wantCode: "InvalidParameterCombination", wantField: cloud.FieldStorage},
		"BadPassword": {reason: "A refused master password names no field the user can set (the operator makes it).",
			change: func(d *cloud.Desired) { d.MasterPassword = "short" }, wantCode: "InvalidParameterValue"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			d := desired()
			d.Identifier = "refused-" + strings.ToLower(name)
			tc.change(&d)
			err := p.Create(context.Background(), d)
			var ce *cloud.Error
			if !errors.As(err, &ce) || ce.Code != tc.wantCode || ce.Field != tc.wantField {
				t.Fatalf("%s\nCreate: %v (%+v), want code %s naming field %q", tc.reason, err, ce, tc.wantCode, tc.wantField)
			}
			if errors.Is(err, cloud.ErrBusy) || errors.Is(err, cloud.ErrTransient) {
				t.Errorf("%s\na refusal is neither busy nor transient: %v", tc.reason, err)
			}
		})
	}
}

// TestRefusedField: RDS's catch-all codes name the part of the request to change by their
// messages' words; its combination refusal names the class, the engine and the version
// alike, and is the class's fault unless the refusal says the version is what is not
// supported.
func TestRefusedField(t *testing.T) {
	cases := []struct {
		reason, code, message string
		want                  cloud.Field
	}{
		{"RDS's own words for a class it no longer offers (elastic/beats#38473).", "InvalidParameterCombination",
			"RDS does not support creating a DB instance with the following combination: DBInstanceClass=db.t2.micro, Engine=mysql, EngineVersion=8.0.35, LicenseModel=general-public-license. For supported combinations of instance class and database engine version, see the documentation.",
			cloud.FieldInstanceClass},
		{"A combination refused for its version names the version.", "InvalidParameterCombination",
			"RDS does not support creating a DB instance with the following combination: DBInstanceClass=db.serverless, Engine=aurora-postgresql, EngineVersion=13.4, LicenseModel=postgresql-license. For supported combinations of instance class and database engine version, see the documentation. The engine version is not supported with this instance class: db.serverless needs aurora-postgresql 13.6 or later.",
			cloud.FieldEngineVersion},
		{"A retired version (sidpalas/devops-directive-terraform-course#8).", "InvalidParameterCombination", "Cannot find version 9.5 for postgres", cloud.FieldEngineVersion},
		{"A size out of range (convox/rack#2846).", "InvalidParameterCombination", "Invalid storage size for engine name postgres and storage type gp2: 10", cloud.FieldStorage},
		{"gp3 throughput out of range is the storage's.", "InvalidParameterCombination", "Invalid storage throughput value for engine name postgres and storage type gp3: 4001", cloud.FieldStorage},
		{"gp3 IOPS below 400 GiB (crossplane-contrib/provider-aws#1630).", "InvalidParameterCombination",
			"You can't specify IOPS or storage throughput for engine postgres and a storage size less than 400.", cloud.FieldIOPS},
		{"A subnet group the account does not hold.", "DBSubnetGroupNotFoundFault", "DBSubnetGroup 'nope' not found.", cloud.FieldSubnetGroup},
		{"A busy instance names no field.", "InvalidDBInstanceState", "Database instance is not in available state.", ""},
	}
	for _, tc := range cases {
		if got := refusedField(tc.code, tc.message); got != tc.want {
			t.Errorf("%s\nrefusedField(%s, %q) = %q, want %q", tc.reason, tc.code, tc.message, got, tc.want)
		}
	}
}

// TestProvisionedIOPS: IOPS asked for are created, observed, and grown together with the
// storage, as RDS wants them.
func TestProvisionedIOPS(t *testing.T) {
	p, _ := newProvider(t)
	ctx := context.Background()
	d := desired()
	d.Identifier, d.StorageType, d.AllocatedStorageGiB, d.IOPS = "fast-disk", "io1", 100, 3000
	if err := p.Create(ctx, d); err != nil {
		t.Fatalf("Create io1 with IOPS: %v", err)
	}
	available := func() cloud.Instance {
		t.Helper()
		var in cloud.Instance
		waitFor(t, func() bool {
			obs, err := p.Observe(ctx, d.Identifier)
			in = obs.Instance
			return err == nil && obs.Exists && in.Phase == cloud.PhaseAvailable && in.Pending.Empty()
		})
		return in
	}
	in := available()
	if in.IOPS != 3000 || in.StorageType != "io1" {
		t.Fatalf("observed %s with %d IOPS, want io1 with 3000", in.StorageType, in.IOPS)
	}
	d.AllocatedStorageGiB = 200
	plan := p.Plan(d, in, false)
	if plan.Changes.IOPS == nil || *plan.Changes.IOPS != 3000 || plan.Changes.AllocatedStorageGiB == nil {
		t.Fatalf("plan to grow io1 storage: %+v, want the size with the IOPS", plan.Changes)
	}
	if err := p.Update(ctx, d.Identifier, plan.Changes, cloud.UpdateOptions{ApplyImmediately: true}); err != nil {
		t.Fatalf("Update: %v (RDS takes a new size of storage with IOPS only with its IOPS)", err)
	}
	in = available()
	if in.AllocatedStorageGiB != 200 || in.IOPS != 3000 {
		t.Errorf("after growing: %d GiB with %d IOPS, want 200 GiB with 3000", in.AllocatedStorageGiB, in.IOPS)
	}
}

// waitFor polls cond until it holds, failing the test after 15 seconds.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 15s")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestAuroraDeleteAfterWriterGoes: a delete interrupted after the writer's DeleteDBInstance
// (a crash, or the rate limiter holding the next call back) finishes on the next try: the
// writer being deleted does not block the cluster's delete.
func TestAuroraDeleteAfterWriterGoes(t *testing.T) {
	p, _ := newProvider(t)
	ctx := context.Background()
	d := cloud.Desired{Identifier: "ledger-a1b2c3d4", Engine: "aurora-postgresql", EngineVersion: "16.6", InstanceClass: "db.r6g.large",
		BackupRetentionDays: 7, MasterUser: "sysadmin", MasterPassword: "Aurora-Password-1", StorageEncrypted: true,
		Tags: map[string]string{"matrixmind.cloud/owner": "shop/ledger"}}
	if err := p.Create(ctx, d); err != nil {
		t.Fatalf("Create: %v", err)
	}
	observe := func(cond func(cloud.Observation) bool) {
		t.Helper()
		waitFor(t, func() bool {
			obs, err := p.Observe(ctx, d.Identifier)
			return err == nil && cond(obs)
		})
	}
	observe(func(o cloud.Observation) bool { return o.Exists && o.Instance.Phase == cloud.PhaseAvailable })
	if err := p.Complete(ctx, d); err != nil {
		t.Fatalf("Complete: %v", err)
	}
	observe(func(o cloud.Observation) bool {
		return !o.Instance.Incomplete && o.Instance.Phase == cloud.PhaseAvailable
	})

	writer := writerIdentifier(d.Identifier)
	if _, err := p.api.DeleteDBInstance(ctx, &awsrds.DeleteDBInstanceInput{DBInstanceIdentifier: aws.String(writer), SkipFinalSnapshot: aws.Bool(true)}); err != nil {
		t.Fatalf("delete the writer as an interrupted Delete did: %v", err)
	}
	waitFor(t, func() bool {
		err := p.Delete(ctx, d.Identifier, cloud.DeleteOptions{})
		if err != nil && !errors.Is(err, cloud.ErrBusy) {
			t.Fatalf("Delete: %v", err)
		}
		return err == nil
	})
	observe(func(o cloud.Observation) bool { return !o.Exists })
}

func TestOwnWriter(t *testing.T) {
	const id = "ledger-a1b2c3d4"
	own := writerIdentifier(id)
	cases := []struct {
		reason   string
		members  []clusterMember
		want     string
		wantBusy bool
	}{
		{"The writer the provider made is deleted with the cluster.", []clusterMember{{id: own, writer: true}}, own, false},
		{"So it is while a failover has taken its flag.", []clusterMember{{id: own}}, own, false},
		{"A lone writer of a cluster made before writers were named is the cluster's.", []clusterMember{{id: "old-writer", writer: true}}, "old-writer", false},
		{"Another instance that became the writer holds the delete back: it may be another owner's.", []clusterMember{{id: own}, {id: "theirs", writer: true}}, "", true},
		{"A reader not yet deleted holds it back.", []clusterMember{{id: own, writer: true}, {id: "reader-1"}}, "", true},
		{"No instance left: nothing to delete first.", nil, "", false},
	}
	for _, tc := range cases {
		got, err := ownWriter(id, tc.members)
		if busy := errors.Is(err, cloud.ErrBusy); busy != tc.wantBusy {
			t.Errorf("%s\nerror %v, want busy %t", tc.reason, err, tc.wantBusy)
		}
		name := ""
		if got != nil {
			name = got.id
		}
		if name != tc.want {
			t.Errorf("%s\nwriter %q, want %q", tc.reason, name, tc.want)
		}
	}
}
