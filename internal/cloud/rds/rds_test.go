package rds

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsrds "github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/rds/types"
	"github.com/google/go-cmp/cmp"

	"github.com/matrixmind-cloud/aws-rds-operator/internal/cloud"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/emulator"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/emulator/emulatortest"
)

// newProvider returns a Provider built exactly as the manager builds it (the SDK's default
// configuration from the environment) against an emulator without engines.
func newProvider(t *testing.T) (*Provider, *emulator.Emulator) {
	t.Helper()
	return newProviderWith(t, emulator.Config{NoEngine: true, Delays: emulatortest.FastDelays})
}

// newProviderWith is newProvider against an emulator configured with cfg.
func newProviderWith(t *testing.T, cfg emulator.Config) (*Provider, *emulator.Emulator) {
	t.Helper()
	em := emulatortest.Serve(t, cfg)
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
		// RDS picks a maintenance window in the region's block, and upgrades minor
		// versions by default.
		MaintenanceWindow: "mon:07:00-mon:07:30", AutoMinorVersionUpgrade: true,
		// Snapshots carry the owner tag: it decides who may restore them.
		TagsCopiedToSnapshots: true,
		Region:                "us-east-1", AdminRole: "rds_superuser", TokenRole: "rds_iam",
		// Without parameters asked for, the engine's default group.
		Parameters: cloud.ParameterStatus{Set: "default.postgres17"},
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
		"OverQuota": {reason: "A create over the account's DB instance quota made nothing and may be made elsewhere: ErrNoCapacity.",
			call: func() error {
				if err := em.SetQuotas(emulator.Quotas{DBInstances: 1}); err != nil {
					return err
				}
				defer func() { _ = em.SetQuotas(emulator.Quotas{}) }()
				d := desired()
				d.Identifier = "over-quota"
				return p.Create(ctx, d)
			},
			wantCode: "InstanceQuotaExceeded", wantKind: cloud.ErrNoCapacity},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			err := tc.call()
			var ce *cloud.Error
			if !errors.As(err, &ce) || ce.Code != tc.wantCode {
				t.Fatalf("%s\nerror %v, want a *cloud.Error with code %s", tc.reason, err, tc.wantCode)
			}
			if tc.wantKind != nil && !errors.Is(err, tc.wantKind) || tc.wantKind == nil && ce.Kind != nil {
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

// TestAutomatedBackups: the automated snapshots RDS takes of an instance, and of an Aurora
// cluster, are listed apart from the manual ones.
func TestAutomatedBackups(t *testing.T) {
	p, em := newProvider(t)
	ctx := context.Background()
	automated := func(id string) []cloud.Snapshot {
		t.Helper()
		var got []cloud.Snapshot
		waitFor(t, func() bool {
			var err error
			got, err = p.AutomatedBackups(ctx, id)
			if err != nil {
				t.Fatalf("AutomatedBackups(%s): %v", id, err)
			}
			return len(got) == 1 && got[0].Available
		})
		return got
	}

	t.Run("Instance", func(t *testing.T) {
		d := desired()
		if err := p.Create(ctx, d); err != nil {
			t.Fatal(err)
		}
		got := automated(d.Identifier)
		if !strings.HasPrefix(got[0].Identifier, "rds:"+d.Identifier+"-") || !strings.Contains(got[0].ARN, ":snapshot:rds:") || got[0].CreatedAt.IsZero() {
			t.Errorf("RDS names an automated snapshot rds:<instance>-<time> and says when it took it: %+v", got[0])
		}
		if err := p.CreateSnapshot(ctx, d.Identifier, "by-hand", nil); err != nil {
			t.Fatal(err)
		}
		waitFor(t, func() bool {
			s, found, err := p.Snapshot(ctx, "by-hand")
			return err == nil && found && s.Available
		})
		if again, err := p.AutomatedBackups(ctx, d.Identifier); err != nil || len(again) != 1 || again[0].Identifier != got[0].Identifier {
			t.Errorf("a manual snapshot is no automated backup: %+v, %v", again, err)
		}
		if manual, err := p.Snapshots(ctx, d.Identifier); err != nil || len(manual) != 1 || manual[0].Identifier != "by-hand" {
			t.Errorf("an automated backup is no manual snapshot: %+v, %v", manual, err)
		}
	})

	t.Run("AuroraCluster", func(t *testing.T) {
		d := cloud.Desired{Identifier: "ledger-a1b2c3d4", Engine: "aurora-postgresql", EngineVersion: "16.6", InstanceClass: "db.r6g.large",
			BackupRetentionDays: 7, MasterUser: "sysadmin", MasterPassword: "Aurora-Password-1", StorageEncrypted: true}
		if err := p.Create(ctx, d); err != nil {
			t.Fatal(err)
		}
		em.ResetStats()
		got := automated(d.Identifier)
		if !strings.Contains(got[0].ARN, ":cluster-snapshot:rds:"+d.Identifier+"-") {
			t.Errorf("an Aurora database's automated backups are its cluster's snapshots: %+v", got[0])
		}
		if n := em.Stats().Operations("DescribeDBSnapshots"); n != 0 {
			t.Errorf("%d DescribeDBSnapshots for a database known to be a cluster, want none", n)
		}
	})

	t.Run("Gone", func(t *testing.T) {
		if got, err := p.AutomatedBackups(ctx, "never-made"); err != nil || len(got) != 0 {
			t.Errorf("a database that does not exist has no automated backups: %+v, %v", got, err)
		}
	})
}

// snapshotPages is the RDS API answering DescribeDBSnapshots from pages, and nothing else.
type snapshotPages struct {
	API
	pages [][]types.DBSnapshot
	asked []*awsrds.DescribeDBSnapshotsInput
}

func (f *snapshotPages) DescribeDBSnapshots(_ context.Context, in *awsrds.DescribeDBSnapshotsInput, _ ...func(*awsrds.Options)) (*awsrds.DescribeDBSnapshotsOutput, error) {
	f.asked = append(f.asked, in)
	i, _ := strconv.Atoi(aws.ToString(in.Marker))
	out := &awsrds.DescribeDBSnapshotsOutput{DBSnapshots: f.pages[i]}
	if i+1 < len(f.pages) {
		out.Marker = aws.String(strconv.Itoa(i + 1))
	}
	return out, nil
}

// TestAutomatedBackupsOrder: every page is read, and the backups come oldest first, the one
// being taken (no creation time yet) last, in whatever order RDS gave them.
func TestAutomatedBackupsOrder(t *testing.T) {
	at := func(day int) *time.Time { v := time.Date(2026, 12, day, 3, 0, 0, 0, time.UTC); return &v }
	snap := func(id string, created *time.Time) types.DBSnapshot {
		return types.DBSnapshot{DBSnapshotIdentifier: aws.String(id), SnapshotCreateTime: created, Status: aws.String("available")}
	}
	api := &snapshotPages{pages: [][]types.DBSnapshot{
		{snap("rds:shop-03", at(3)), snap("rds:shop-now", nil)},
		{snap("rds:shop-01", at(1)), snap("rds:shop-02", at(2))},
	}}
	got, err := New(api).AutomatedBackups(context.Background(), "shop")
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, s := range got {
		ids = append(ids, s.Identifier)
	}
	if diff := cmp.Diff([]string{"rds:shop-01", "rds:shop-02", "rds:shop-03", "rds:shop-now"}, ids); diff != "" {
		t.Errorf("newest last: -want +got:\n%s", diff)
	}
	for _, in := range api.asked {
		if aws.ToString(in.DBInstanceIdentifier) != "shop" || aws.ToString(in.SnapshotType) != "automated" {
			t.Errorf("asked %+v, want the automated snapshots of shop", in)
		}
	}
	if len(api.asked) != 2 {
		t.Errorf("%d pages asked for, want 2", len(api.asked))
	}
}
