package gcp

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/api/option"
	sqladmin "google.golang.org/api/sqladmin/v1"

	"github.com/matrixmind-cloud/aws-rds-operator/internal/cloud"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/gcpemulator"
)

// eventually calls cond until it holds, for at most ten seconds, and fails the test with
// what cond last said when it does not.
func eventually(t *testing.T, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		ok, state := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not happen within 10s; last seen: %s", what, state)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// waitAvailable waits until Observe reports the instance available, and returns it.
func waitAvailable(t *testing.T, p *Provider, id string) cloud.Instance {
	t.Helper()
	var in cloud.Instance
	eventually(t, id+" available", func() (bool, string) {
		obs, err := p.Observe(t.Context(), id)
		if err != nil {
			t.Fatalf("Observe(%s): %v", id, err)
		}
		in = obs.Instance
		return obs.Exists && in.Phase == cloud.PhaseAvailable, string(in.Phase)
	})
	return in
}

// mutations are the calls the emulator answered that change something, as "METHOD path".
func mutations(em *emulator) []string {
	var out []string
	for _, c := range em.Stats().Log {
		if !strings.HasPrefix(c.Method, "GET ") {
			out = append(out, c.Method)
		}
	}
	return out
}

// adminClient is Google's client on the emulator, for looking behind the provider's back.
func adminClient(t *testing.T, em *emulator) *sqladmin.Service {
	t.Helper()
	svc, err := sqladmin.NewService(t.Context(), option.WithEndpoint(em.url+"/"), option.WithHTTPClient(&http.Client{Transport: bearer{}}))
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

func TestCreateOfAReservedName(t *testing.T) {
	serve(t, gcpemulator.Config{NoEngine: true, Delays: conformanceDelays, NameReservation: time.Hour})
	p := newProvider(t)
	d := desiredCloudSQL("reused", nil)
	if err := p.Create(t.Context(), d); err != nil {
		t.Fatal(err)
	}
	waitAvailable(t, p, "reused")
	if err := p.Delete(t.Context(), "reused", cloud.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "reused gone", func() (bool, string) {
		obs, err := p.Observe(t.Context(), "reused")
		return err == nil && !obs.Exists, obs.Instance.Status
	})
	err := p.Create(t.Context(), d)
	var ce *cloud.Error
	if !errors.As(err, &ce) || ce.Kind != nil || ce.Code != "instanceAlreadyExists" || !strings.Contains(ce.Message, "reserved for about a week") {
		t.Errorf("Create of the name of an instance deleted a moment ago = %v; want a permanent error saying Cloud SQL keeps the name reserved", err)
	}
}

func TestMasterUserIsMadeByTheFirstMasterPassword(t *testing.T) {
	em := serve(t, gcpemulator.Config{NoEngine: true, Delays: conformanceDelays})
	p := newProvider(t)
	if err := p.Create(t.Context(), desiredCloudSQL("orders", nil)); err != nil {
		t.Fatal(err)
	}
	in := waitAvailable(t, p, "orders")
	if in.MasterUser != "sysadmin" || !in.Incomplete || in.AdminRole != "cloudsqlsuperuser" {
		t.Fatalf("a new instance reports master user %q, pending %t, admin role %q; want sysadmin, pending, cloudsqlsuperuser", in.MasterUser, in.Incomplete, in.AdminRole)
	}
	users := func() []string {
		list, err := adminClient(t, em).Users.List(testProject, "orders").Do()
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, u := range list.Items {
			names = append(names, u.Name)
		}
		return names
	}
	if diff := cmp.Diff([]string{"postgres"}, users()); diff != "" {
		t.Errorf("users of a new instance: only Cloud SQL's built-in admin, -want +got:\n%s", diff)
	}

	before := len(mutations(em))
	if err := p.Update(t.Context(), "orders", cloud.Changes{MasterPassword: new("First-Password-1")}, cloud.UpdateOptions{ApplyImmediately: true}); err != nil {
		t.Fatalf("Update(MasterPassword): %v", err)
	}
	if diff := cmp.Diff([]string{"postgres", "sysadmin"}, users()); diff != "" {
		t.Errorf("users once the master password is set, -want +got:\n%s", diff)
	}
	in = waitAvailable(t, p, "orders")
	if in.MasterUser != "sysadmin" || in.Incomplete {
		t.Errorf("after Update(MasterPassword): master user %q, pending %t; want sysadmin, not pending", in.MasterUser, in.Incomplete)
	}
	// A later password is a users.update; nothing else changes, so no patch.
	if err := p.Update(t.Context(), "orders", cloud.Changes{MasterPassword: new("Second-Password-2")}, cloud.UpdateOptions{ApplyImmediately: true}); err != nil {
		t.Fatalf("Update(MasterPassword) again: %v", err)
	}
	want := []string{
		"POST /v1/projects/{project}/instances/{instance}/users",
		"PATCH /v1/projects/{project}/instances/{instance}",
		"PUT /v1/projects/{project}/instances/{instance}/users",
	}
	if diff := cmp.Diff(want, mutations(em)[before:]); diff != "" {
		t.Errorf("calls that change something, -want +got:\n%s", diff)
	}
}

func TestUpdateSendsOnePatch(t *testing.T) {
	em := serve(t, gcpemulator.Config{NoEngine: true, Delays: conformanceDelays})
	p := newProvider(t)
	if err := p.Create(t.Context(), desiredCloudSQL("orders", nil)); err != nil {
		t.Fatal(err)
	}
	waitAvailable(t, p, "orders")
	before := len(mutations(em))
	changes := cloud.Changes{
		InstanceClass: new("db-custom-1-3840"), AllocatedStorageGiB: new(int32(30)), BackupRetentionDays: new(int32(3)),
		BackupWindow: new("02:00-02:30"), MultiAZ: new(true), PubliclyAccessible: new(true), CopyTagsToSnapshots: new(true),
	}
	if err := p.Update(t.Context(), "orders", changes, cloud.UpdateOptions{ApplyImmediately: true}); err != nil {
		t.Fatal(err)
	}
	in := waitAvailable(t, p, "orders")
	if diff := cmp.Diff([]string{"PATCH /v1/projects/{project}/instances/{instance}"}, mutations(em)[before:]); diff != "" {
		t.Errorf("calls Update made that change something, -want +got:\n%s", diff)
	}
	type settings struct {
		Class, Window             string
		Disk, Retention           int32
		MultiAZ, Public, CopyTags bool
	}
	if diff := cmp.Diff(settings{"db-custom-1-3840", "02:00-02:30", 30, 3, true, true, true},
		settings{in.InstanceClass, in.BackupWindow, in.AllocatedStorageGiB, in.BackupRetentionDays, in.MultiAZ, in.PubliclyAccessible, in.TagsCopiedToSnapshots}); diff != "" {
		t.Errorf("instance after Update, -want +got:\n%s", diff)
	}
}

// conflicting serves em, and before the first instances.patch it patches the instance
// itself through other (as another tool would, between the provider's read and its patch),
// so that the provider's patch carries a stale settingsVersion.
type conflicting struct {
	em    *gcpemulator.Emulator
	other *sqladmin.Service
	once  sync.Once
}

func (c *conflicting) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodPatch {
		c.once.Do(func() {
			op, err := c.other.Instances.Patch(testProject, "orders", &sqladmin.DatabaseInstance{Settings: &sqladmin.Settings{UserLabels: map[string]string{"theirs": "x"}}}).Do()
			for err == nil && op.Status != "DONE" {
				time.Sleep(5 * time.Millisecond)
				op, err = c.other.Operations.Get(testProject, op.Name).Do()
			}
			if err != nil {
				http.Error(w, err.Error(), http.StatusInternalServerError)
				return
			}
		})
	}
	c.em.ServeHTTP(w, r)
}

func TestStalePatchIsBuiltAgain(t *testing.T) {
	em := serve(t, gcpemulator.Config{NoEngine: true, Delays: conformanceDelays})
	srv := httptest.NewServer(&conflicting{em: em.Emulator, other: adminClient(t, em)})
	t.Cleanup(srv.Close)
	p, err := New(t.Context(), Config{Project: testProject, Region: testRegion, Endpoint: srv.URL, PollInterval: 5 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Create(t.Context(), desiredCloudSQL("orders", map[string]string{"team": "payments"})); err != nil {
		t.Fatal(err)
	}
	waitAvailable(t, p, "orders")
	if err := p.Tag(t.Context(), instanceName(testProject, "orders"), map[string]string{"cost-centre": "4711"}); err != nil {
		t.Fatalf("Tag while another tool patches the instance: %v", err)
	}
	in := waitAvailable(t, p, "orders")
	want := map[string]string{"theirs": "x", "cost-centre": "4711"}
	if diff := cmp.Diff(want, in.Tags); diff != "" {
		t.Errorf("tags after a patch refused as stale and built again from a new read (the other tool replaced every label), -want +got:\n%s", diff)
	}
	var staleAnswers int
	for _, c := range em.Stats().Log {
		if c.Code == http.StatusPreconditionFailed {
			staleAnswers++
		}
	}
	if staleAnswers != 1 {
		t.Errorf("%d patches refused as stale; want the provider's first one only", staleAnswers)
	}
}

func TestTagThatCannotBeStored(t *testing.T) {
	em := serve(t, gcpemulator.Config{NoEngine: true, Delays: conformanceDelays})
	p := newProvider(t)
	if err := p.Create(t.Context(), desiredCloudSQL("orders", nil)); err != nil {
		t.Fatal(err)
	}
	in := waitAvailable(t, p, "orders")
	before := len(mutations(em))
	key := "Department." + strings.Repeat("X", 20)
	err := p.Tag(t.Context(), in.ARN, map[string]string{key: "sales"})
	var ce *cloud.Error
	if !errors.As(err, &ce) || ce.Kind != nil || !strings.Contains(err.Error(), key) {
		t.Errorf("Tag with a key too long for a label = %v; want a permanent *cloud.Error naming %s", err, key)
	}
	if made := mutations(em)[before:]; len(made) != 0 {
		t.Errorf("a refused Tag sent %v", made)
	}
	d := desiredCloudSQL("other", map[string]string{key: "sales"})
	if err := p.Create(t.Context(), d); !errors.As(err, &ce) || ce.Kind != nil || !strings.Contains(err.Error(), key) {
		t.Errorf("Create with a key too long for a label = %v; want a permanent *cloud.Error naming %s", err, key)
	}
}

func TestWhatCloudSQLDoesNotOffer(t *testing.T) {
	em := serve(t, gcpemulator.Config{NoEngine: true, Delays: conformanceDelays})
	p := newProvider(t)
	ctx := t.Context()
	aurora := desiredCloudSQL("a", nil)
	aurora.Engine = "aurora-postgresql"
	calls := map[string]error{
		// Read replicas are offered (replicas_test.go); Aurora readers and security
		// groups are not.
		"CreateReplica(aurora)":          p.CreateReplica(ctx, cloud.Replica{Identifier: "r", Source: "a", Engine: "aurora-postgresql"}),
		"CreateReplica(security groups)": p.CreateReplica(ctx, cloud.Replica{Identifier: "r", Source: "a", Engine: "postgres", SecurityGroupIDs: []string{"sg-1"}}),
		"Create(aurora)":                 p.Create(ctx, aurora),
		"Update(security groups)":        p.Update(ctx, "a", cloud.Changes{SecurityGroupIDs: []string{"sg-1"}}, cloud.UpdateOptions{}),
	}
	for call, err := range calls {
		if !errors.Is(err, cloud.ErrUnsupported) {
			t.Errorf("%s = %v; want ErrUnsupported", call, err)
		}
	}
	if n := len(em.Stats().Log); n != 0 {
		t.Errorf("calls that cannot succeed reached the API %d times", n)
	}
}

// desiredPostgres is a Desired with everything set that Cloud SQL can do.
func desiredPostgres() cloud.Desired {
	return cloud.Desired{
		Identifier: "shop-orders", Engine: "postgres", EngineVersion: "16.4", InstanceClass: "db-custom-1-3840",
		StorageType: "PD_HDD", AllocatedStorageGiB: 20, BackupRetentionDays: 14, BackupWindow: "03:00-03:30",
		MasterUser: "sysadmin", MasterPassword: "never-sent", StorageEncrypted: true,
		KMSKeyID: "projects/p/locations/europe-west1/keyRings/r/cryptoKeys/k", PubliclyAccessible: true, MultiAZ: true,
		Tags: map[string]string{"matrixmind.cloud/owner": "shop/orders", "team": "payments"},
	}
}

func TestNewInstance(t *testing.T) {
	p := &Provider{project: "acme", region: "europe-west1"}
	d := desiredPostgres()
	d.MaxAllocatedStorageGiB, d.Parameters = 100, map[string]string{"work_mem": "8192", "log_connections": "on"}
	db, err := p.newInstance("op", d)
	if err != nil {
		t.Fatal(err)
	}
	if len(db.RootPassword) < 32 || db.RootPassword == "never-sent" {
		t.Errorf("rootPassword %q: want a long random one, not the master password", db.RootPassword)
	}
	labels := readLabels(db.Settings.UserLabels)
	type summary struct {
		Name, Region, Version, Tier, Disk, Availability, KMS string
		DiskGB, Retained                                     int64
		Backups, Public                                      bool
		Start                                                string
		Tags, Internal                                       map[string]string
		AutoResize                                           bool
		AutoResizeLimit                                      int64
		Flags                                                []*sqladmin.DatabaseFlags
	}
	want := summary{
		Name: "shop-orders", Region: "europe-west1", Version: "POSTGRES_16", Tier: "db-custom-1-3840", Disk: "PD_HDD",
		Availability: "REGIONAL", KMS: "projects/p/locations/europe-west1/keyRings/r/cryptoKeys/k",
		DiskGB: 20, Retained: 14, Backups: true, Public: true, Start: "03:00",
		Tags:       map[string]string{"matrixmind.cloud/owner": "shop/orders", "team": "payments"},
		Internal:   map[string]string{keyMasterUser: "sysadmin", keyMasterPending: "", keyBackupWindow: "03:00-03:30"},
		AutoResize: true, AutoResizeLimit: 100,
		Flags: []*sqladmin.DatabaseFlags{{Name: "log_connections", Value: "on"}, {Name: "work_mem", Value: "8192"}},
	}
	s := db.Settings
	got := summary{
		Name: db.Name, Region: db.Region, Version: db.DatabaseVersion, Tier: s.Tier, Disk: s.DataDiskType,
		Availability: s.AvailabilityType, KMS: db.DiskEncryptionConfiguration.KmsKeyName,
		DiskGB: s.DataDiskSizeGb, Retained: s.BackupConfiguration.BackupRetentionSettings.RetainedBackups,
		Backups: s.BackupConfiguration.Enabled, Public: s.IpConfiguration.Ipv4Enabled, Start: s.BackupConfiguration.StartTime,
		Tags: labels.tags, Internal: labels.internal,
		AutoResize: *s.StorageAutoResize, AutoResizeLimit: s.StorageAutoResizeLimit, Flags: s.DatabaseFlags,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("instances.insert request for a Desired, -want +got:\n%s", diff)
	}

	refused := []struct {
		reason string
		change func(*cloud.Desired)
		kind   error
	}{
		{"Aurora is not Cloud SQL's.", func(d *cloud.Desired) { d.Engine = "aurora-postgresql" }, cloud.ErrUnsupported},
		{"Cloud SQL runs no MariaDB.", func(d *cloud.Desired) { d.Engine = "mariadb"; d.EngineVersion = "10.11" }, cloud.ErrUnsupported},
		{"An RDS storage type is not Cloud SQL's.", func(d *cloud.Desired) { d.StorageType = "gp3" }, cloud.ErrUnsupported},
		{"Cloud SQL has no subnet groups.", func(d *cloud.Desired) { d.SubnetGroup = "private" }, cloud.ErrUnsupported},
		{"Cloud SQL provisions no IOPS: a disk's size and type set them.", func(d *cloud.Desired) { d.IOPS = 3000 }, cloud.ErrUnsupported},
		{"Cloud SQL has no security groups.", func(d *cloud.Desired) { d.SecurityGroupIDs = []string{"sg-1"} }, cloud.ErrUnsupported},
		{"A malformed version must change.", func(d *cloud.Desired) { d.EngineVersion = "latest" }, nil},
		{"A malformed backup window must change.", func(d *cloud.Desired) { d.BackupWindow = "3am" }, nil},
		{"A tag that fits no label must change.", func(d *cloud.Desired) { d.Tags = map[string]string{strings.Repeat("K", 30): ""} }, nil},
		{"A storage autoscaling limit below the storage must change.", func(d *cloud.Desired) { d.MaxAllocatedStorageGiB = 15 }, nil},
	}
	for _, tc := range refused {
		d := desiredPostgres()
		tc.change(&d)
		_, err := p.newInstance("op", d)
		var ce *cloud.Error
		if !errors.As(err, &ce) || ce.Kind != tc.kind {
			t.Errorf("%s\nnewInstance = %v; want a *cloud.Error of kind %v", tc.reason, err, tc.kind)
		}
	}
}

func TestInstanceMapping(t *testing.T) {
	labels, err := encodeLabels(map[string]string{"matrixmind.cloud/owner": "shop/orders"}, map[string]string{keyMasterUser: "sysadmin", keyMasterPending: ""})
	if err != nil {
		t.Fatal(err)
	}
	labels["their-label"] = "x"
	db := &sqladmin.DatabaseInstance{
		Name: "shop-orders", Project: "acme", Region: "europe-west1", GceZone: "europe-west1-c", State: "RUNNABLE",
		DatabaseVersion: "MYSQL_8_0", MasterInstanceName: "acme:shop-primary", ReplicaNames: []string{"shop-orders-r1"},
		IpAddresses:                 []*sqladmin.IpMapping{{Type: "OUTGOING", IpAddress: "203.0.113.9"}, {Type: "PRIVATE", IpAddress: "10.0.0.5"}, {Type: "PRIMARY", IpAddress: "34.1.2.3"}},
		DiskEncryptionConfiguration: &sqladmin.DiskEncryptionConfiguration{KmsKeyName: "key"},
		ServerCaCert:                &sqladmin.SslCert{Cert: "-----BEGIN CERTIFICATE-----\n...", CommonName: "C=US,O=Google\\, Inc,CN=Google Cloud SQL Server CA"},
		Settings: &sqladmin.Settings{
			Tier: "db-f1-micro", DataDiskType: "PD_SSD", DataDiskSizeGb: 25, AvailabilityType: "REGIONAL", UserLabels: labels,
			StorageAutoResize: new(true), StorageAutoResizeLimit: 100,
			DatabaseFlags:   []*sqladmin.DatabaseFlags{{Name: "slow_query_log", Value: "on"}, {Name: "long_query_time", Value: "2"}},
			IpConfiguration: &sqladmin.IpConfiguration{Ipv4Enabled: true},
			BackupConfiguration: &sqladmin.BackupConfiguration{Enabled: true, StartTime: "04:00",
				BackupRetentionSettings: &sqladmin.BackupRetentionSettings{RetainedBackups: 9, RetentionUnit: "COUNT"}},
		},
	}
	want := cloud.Instance{
		Identifier: "shop-orders", ARN: "projects/acme/instances/shop-orders", Status: "RUNNABLE", Phase: cloud.PhaseAvailable,
		Engine: "mysql", EngineVersion: "8.0", InstanceClass: "db-f1-micro", StorageType: "PD_SSD", AllocatedStorageGiB: 25,
		BackupRetentionDays: 9, BackupWindow: "04:00-08:00", MasterUser: "sysadmin", Incomplete: true,
		StorageEncrypted: true, KMSKeyID: "key", PubliclyAccessible: true, MultiAZ: true, AvailabilityZone: "europe-west1-c",
		ReplicaSource: "shop-primary", ReplicaIDs: []string{"shop-orders-r1"}, Endpoint: "34.1.2.3", Port: 3306,
		Tags:                  map[string]string{"matrixmind.cloud/owner": "shop/orders", "their-label": "x"},
		TagsCopiedToSnapshots: true, Region: "europe-west1", ServerCA: "-----BEGIN CERTIFICATE-----\n...",
		AutoMinorVersionUpgrade: true, MaxAllocatedStorageGiB: 100,
		Parameters: cloud.ParameterStatus{Values: map[string]string{"slow_query_log": "on", "long_query_time": "2"}},
	}
	if diff := cmp.Diff(want, instance(db, "acme", false)); diff != "" {
		t.Errorf("a MySQL instance with everything set, -want +got:\n%s", diff)
	}

	// PostgreSQL: the admin role, the private address when there is no public one, and
	// backups off.
	db.DatabaseVersion = "POSTGRES_17"
	db.IpAddresses = db.IpAddresses[:2]
	db.Settings.BackupConfiguration.Enabled = false
	got := instance(db, "acme", true)
	type pg struct {
		AdminRole, Endpoint string
		Port, Retention     int32
		Phase               cloud.Phase
	}
	if diff := cmp.Diff(pg{"cloudsqlsuperuser", "10.0.0.5", 5432, 0, cloud.PhaseChanging}, pg{got.AdminRole, got.Endpoint, got.Port, got.BackupRetentionDays, got.Phase}); diff != "" {
		t.Errorf("a PostgreSQL instance with a private address only, backups off, being patched, -want +got:\n%s", diff)
	}
}

// TestDeletionProtection: the provider sets Cloud SQL's deletion protection at create and
// in place, reports it, and the protected instance is not deleted until it is turned off.
func TestDeletionProtection(t *testing.T) {
	serve(t, gcpemulator.Config{NoEngine: true, Delays: conformanceDelays})
	p := newProvider(t)
	d := desiredPostgres()
	d.SecurityGroupIDs, d.KMSKeyID = nil, ""
	on, off := true, false
	d.DeletionProtection = &on
	if err := p.Create(t.Context(), d); err != nil {
		t.Fatal(err)
	}
	if in := waitAvailable(t, p, d.Identifier); !in.DeletionProtection {
		t.Fatalf("a protected instance reports deletion protection %t", in.DeletionProtection)
	}
	err := p.Delete(t.Context(), d.Identifier, cloud.DeleteOptions{})
	if err == nil {
		t.Fatal("a protected instance was deleted")
	}
	if obs, _ := p.Observe(t.Context(), d.Identifier); !obs.Exists {
		t.Fatal("the protected instance is gone")
	}
	if err := p.Update(t.Context(), d.Identifier, cloud.Changes{DeletionProtection: &off}, cloud.UpdateOptions{ApplyImmediately: true}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the protection off", func() (bool, string) {
		in := waitAvailable(t, p, d.Identifier)
		return !in.DeletionProtection, fmt.Sprint(in.DeletionProtection)
	})
	eventually(t, "the delete accepted", func() (bool, string) {
		err := p.Delete(t.Context(), d.Identifier, cloud.DeleteOptions{})
		return err == nil, fmt.Sprint(err)
	})
}
