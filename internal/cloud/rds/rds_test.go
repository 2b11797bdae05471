package rds

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/matrixmind-cloud/aws-rds-operator/internal/cloud"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/emulator"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/emulator/emulatortest"
)

// newProvider returns a Provider built exactly as the manager builds it (the SDK's default
// configuration from the environment) against an emulator without engines.
func newProvider(t *testing.T) (*Provider, *emulator.Emulator) {
	t.Helper()
	em := emulatortest.Serve(t, emulator.Config{NoEngine: true, Delays: emulatortest.FastDelays})
	// Many machines (this one too) set AWS_CA_BUNDLE; the SDK must still build its client.
	t.Setenv("AWS_CA_BUNDLE", "/etc/ssl/certs/ca-certificates.crt")
	p, err := NewFromEnvironment(context.Background())
	if err != nil {
		t.Fatalf("NewFromEnvironment with AWS_CA_BUNDLE set: %v", err)
	}
	return p, em
}

func desired() cloud.Desired {
	return cloud.Desired{
		Identifier: "shop-orders-1a2b3c4d", Engine: "postgres", EngineVersion: "17", InstanceClass: "db.t4g.micro",
		StorageType: "gp3", AllocatedStorageGiB: 20, BackupRetentionDays: 7, MasterUser: "sysadmin",
		MasterPassword: "Secret-Password-1", Tags: map[string]string{"matrixmind.cloud/owner": "shop/orders", "team": "payments"},
	}
}

func TestProviderLifecycle(t *testing.T) {
	p, em := newProvider(t)
	ctx := context.Background()
	d := desired()

	obs, err := p.Observe(ctx, d.Identifier)
	if err != nil || obs.Exists {
		t.Fatalf("Observe before create = %+v, %v; want not found, no error", obs, err)
	}
	if err := p.Create(ctx, d); err != nil {
		t.Fatalf("Create: %v", err)
	}
	if err := p.Create(ctx, d); err != nil {
		t.Errorf("a retried Create must not fail with already-exists: %v", err)
	}
	if n := em.Stats().Operations("CreateDBInstance"); n != 2 {
		t.Errorf("CreateDBInstance calls = %d, want 2", n)
	}

	var inst cloud.Instance
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		obs, err := p.Observe(ctx, d.Identifier)
		if err != nil || !obs.Exists {
			t.Fatalf("Observe after create = %+v, %v", obs, err)
		}
		if inst = obs.Instance; inst.Phase == cloud.PhaseAvailable {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	want := cloud.Instance{
		Identifier: d.Identifier, ARN: "arn:aws:rds:us-east-1:123456789012:db:" + d.Identifier, Status: "available", Phase: cloud.PhaseAvailable,
		Engine: "postgres", InstanceClass: "db.t4g.micro", StorageType: "gp3", AllocatedStorageGiB: 20,
		// gp3 below 400 GiB: RDS reports its baseline.
		IOPS: 3000, StorageThroughput: 125,
		BackupRetentionDays: 7, BackupWindow: "03:00-03:30", MasterUser: "sysadmin", Tags: d.Tags,
		AvailabilityZone: "us-east-1a",
		// Snapshots carry the owner tag: it decides who may restore them.
		TagsCopiedToSnapshots: true,
		Region:                "us-east-1", AdminRole: "rds_superuser",
	}
	got := inst
	got.EngineVersion, got.Endpoint, got.Port, got.LatestRestorableTime = "", "", 0, time.Time{}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("observed instance: -want +got:\n%s", diff)
	}
	if inst.Endpoint == "" || inst.Port == 0 {
		t.Errorf("an available instance has an endpoint: %+v", inst)
	}

	if err := p.Delete(ctx, d.Identifier, cloud.DeleteOptions{FinalSnapshotIdentifier: d.Identifier + "-final"}); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if err := p.Delete(ctx, d.Identifier, cloud.DeleteOptions{FinalSnapshotIdentifier: d.Identifier + "-final"}); err != nil {
		t.Errorf("Delete of a database already deleting must succeed: %v", err)
	}
	deadline = time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if obs, err := p.Observe(ctx, d.Identifier); err == nil && !obs.Exists {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := p.Delete(ctx, d.Identifier, cloud.DeleteOptions{}); err != nil {
		t.Errorf("Delete of a database that is gone must succeed: %v", err)
	}
}

func TestProviderErrorsCarryTheCode(t *testing.T) {
	p, em := newProvider(t)
	ctx := context.Background()
	// A database the cloud is rebooting (set so with the emulator's tamper hook, once its
	// creation is over, so the state holds).
	rebooting := desired()
	rebooting.Identifier = "rebooting"
	if err := p.Create(ctx, rebooting); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		obs, err := p.Observe(ctx, rebooting.Identifier)
		if err == nil && obs.Instance.Phase == cloud.PhaseAvailable {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s never available: %+v, %v", rebooting.Identifier, obs, err)
		}
	}
	if err := em.Tamper(rebooting.Identifier, func(tp *emulator.Tampering) { tp.Status = "rebooting" }); err != nil {
		t.Fatal(err)
	}
	cases := map[string]struct {
		reason   string
		call     func() error
		wantCode string
		wantKind error
	}{
		"Refused": {reason: "A request that must change carries RDS's code and no kind.",
			call: func() error {
				d := desired()
				d.MasterPassword = "Xq7zZ"
				return p.Create(ctx, d)
			},
			wantCode: "InvalidParameterValue"},
		"Busy": {reason: "A modification of a database being rebooted waits for its state: ErrBusy.",
			call: func() error {
				class := "db.r6g.large"
				return p.Update(ctx, rebooting.Identifier, cloud.Changes{InstanceClass: &class}, cloud.UpdateOptions{ApplyImmediately: true})
			},
			wantCode: "InvalidDBInstanceState", wantKind: cloud.ErrBusy},
		"Throttled": {reason: "Throttling goes away by itself: ErrTransient.",
			call: func() error {
				em.SetFaults(emulator.Faults{ThrottleEvery: 1})
				defer em.SetFaults(emulator.Faults{})
				_, err := p.Observe(ctx, "anything")
				return err
			},
			wantCode: "Throttling", wantKind: cloud.ErrTransient},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			err := tc.call()
			var ce *cloud.Error
			if !errors.As(err, &ce) || ce.Code != tc.wantCode {
				t.Fatalf("%s\nerror %v, want a *cloud.Error with code %s", tc.reason, err, tc.wantCode)
			}
			if tc.wantKind != nil && !errors.Is(err, tc.wantKind) || tc.wantKind == nil && (errors.Is(err, cloud.ErrBusy) || errors.Is(err, cloud.ErrTransient)) {
				t.Errorf("%s\nerror %v is of kind %v, want %v", tc.reason, err, ce.Kind, tc.wantKind)
			}
			if strings.Contains(err.Error(), "Xq7zZ") {
				t.Errorf("%s\nthe error repeats the password: %v", tc.reason, err)
			}
		})
	}
}

func TestZones(t *testing.T) {
	p := &Provider{}
	cases := map[string]struct {
		reason string
		arn    string
		zone   string
		want   bool
	}{
		"Zone":        {reason: "A zone is its region and a letter.", arn: "arn:aws:rds:us-east-1:123456789012:db:shop", zone: "us-east-1b", want: true},
		"OtherRegion": {reason: "A zone of another region is not one of this region.", arn: "arn:aws:rds:eu-west-1:123456789012:cluster:shop", zone: "us-east-1b"},
		"NotAZone":    {reason: "A region is not a zone.", arn: "arn:aws:rds:us-east-1:123456789012:db:shop", zone: "us-east-1"},
		"LocalZone":   {reason: "A Local Zone (us-east-1-bos-1a) is not where RDS places these databases.", arn: "arn:aws:rds:us-east-1:1:db:x", zone: "us-east-1-bos-1a"},
		"NoARN":       {reason: "No ARN, no region, no zone.", arn: "not-an-arn", zone: "us-east-1a"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if got := p.ZoneIn(regionOf(tc.arn), tc.zone); got != tc.want {
				t.Errorf("%s\nZoneIn(%q, %q) = %t, want %t", tc.reason, regionOf(tc.arn), tc.zone, got, tc.want)
			}
		})
	}
}
