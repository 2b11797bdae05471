package cloudnativepg

import (
	"errors"
	"slices"
	"strings"
	"testing"

	cnpgv1 "github.com/cloudnative-pg/api/pkg/api/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	"github.com/matrixmind-cloud/aws-rds-operator/internal/cloud"
)

func newFake(t *testing.T, objs ...client.Object) (*Provider, client.Client) {
	t.Helper()
	scheme := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	if err := cnpgv1.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	c := fake.NewClientBuilder().WithScheme(scheme).WithObjects(objs...).WithStatusSubresource(&cnpgv1.Cluster{}, &cnpgv1.Backup{}).Build()
	p, err := New(Config{Class: "onprem", Client: c, Reader: c, Instances: 2, StorageClass: "fast"})
	if err != nil {
		t.Fatal(err)
	}
	return p, c
}

func desired() cloud.Desired {
	return cloud.Desired{Identifier: "shop-orders-1a2b3c4d", Engine: "postgres", EngineVersion: "17", AllocatedStorageGiB: 10,
		MasterUser: "sysadmin", MasterPassword: "secret-Aa1!", BackupRetentionDays: 7,
		Tags: map[string]string{ownerTag: "shop/orders", "team": "shop"}}
}

func TestCreateMakesTheClusterCloudNativePGExpects(t *testing.T) {
	p, c := newFake(t)
	ctx := t.Context()
	for range 2 {
		if err := p.Create(ctx, desired()); err != nil {
			t.Fatalf("Create: %v (and again: Create is idempotent)", err)
		}
	}
	var got cnpgv1.Cluster
	if err := c.Get(ctx, client.ObjectKey{Namespace: "shop", Name: "shop-orders-1a2b3c4d"}, &got); err != nil {
		t.Fatalf("the Cluster is not in the object's namespace under the identifier: %v", err)
	}
	s := got.Spec
	init := s.Bootstrap.InitDB
	checks := []struct {
		ok     bool
		reason string
	}{
		{s.Instances == 2, "the class's instances"},
		{s.ImageName == "ghcr.io/cloudnative-pg/postgresql:17", "CloudNativePG's image of the version asked for"},
		{s.StorageConfiguration.Size == "10Gi" && ptr.Deref(s.StorageConfiguration.StorageClass, "") == "fast", "storage from size, in the class's storage class"},
		{init.Owner == "sysadmin" && init.Database == "sysadmin" && init.Secret.Name == "orders.rds.master",
			"the master is the application owner, made at bootstrap with the password of its Secret, which CloudNativePG keeps it in line with"},
		{slices.Equal(init.PostInitSQL, []string{`ALTER ROLE "sysadmin" CREATEDB CREATEROLE`}), "the master gets what the engine layer needs, and no superuser"},
		{s.Managed == nil, "no managed role: CloudNativePG would revoke the master's memberships in the roles it makes"},
		{!ptr.Deref(s.EnableSuperuserAccess, true), "no superuser password is published"},
		{got.Labels[LabelDatabase] == "shop-orders-1a2b3c4d" && got.Labels[LabelManagedBy] == ManagedBy, "labels find it again"},
		{strings.Contains(got.Annotations[AnnotationTags], `"matrixmind.cloud/owner":"shop/orders"`), "the owner is recorded"},
		{len(got.OwnerReferences) == 0, "no owner reference: deleting the object must not delete the Cluster behind the deletion policy"},
	}
	for _, c := range checks {
		if !c.ok {
			t.Errorf("Cluster spec %+v: want %s", s, c.reason)
		}
	}
}

func TestObserveFollowsTheCluster(t *testing.T) {
	p, c := newFake(t)
	ctx := t.Context()
	if err := p.Create(ctx, desired()); err != nil {
		t.Fatal(err)
	}
	obs, err := p.Observe(ctx, "shop-orders-1a2b3c4d")
	if err != nil || !obs.Exists || obs.Instance.Phase != cloud.PhaseCreating || obs.Instance.Endpoint != "" {
		t.Fatalf("Observe of a new Cluster = %+v, %v; want it Creating without an address", obs, err)
	}
	var cl cnpgv1.Cluster
	_ = c.Get(ctx, client.ObjectKey{Namespace: "shop", Name: "shop-orders-1a2b3c4d"}, &cl)
	cl.Status.Phase, cl.Status.ReadyInstances, cl.Status.WriteService = cnpgv1.PhaseHealthy, 2, "shop-orders-1a2b3c4d-rw"
	cl.Status.Certificates.ServerCASecret = "shop-orders-1a2b3c4d-ca"
	if err := c.Status().Update(ctx, &cl); err != nil {
		t.Fatal(err)
	}
	obs, _ = p.Observe(ctx, "shop-orders-1a2b3c4d")
	if obs.Instance.Phase != cloud.PhaseCreating {
		t.Errorf("healthy without its CA Secret: phase %s; want Creating: nothing to verify the server against yet", obs.Instance.Phase)
	}
	ca := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "shop-orders-1a2b3c4d-ca"}, Data: map[string][]byte{"ca.crt": []byte("PEM")}}
	if err := c.Create(ctx, ca); err != nil {
		t.Fatal(err)
	}
	obs, _ = p.Observe(ctx, "shop-orders-1a2b3c4d")
	in := obs.Instance
	if in.Phase != cloud.PhaseAvailable || in.Endpoint != "shop-orders-1a2b3c4d-rw.shop.svc" || in.ReaderEndpoint != "shop-orders-1a2b3c4d-ro.shop.svc" ||
		in.Port != 5432 || in.ServerCA != "PEM" || in.MasterUser != "sysadmin" || in.EngineVersion != "17" || in.AllocatedStorageGiB != 10 || in.Tags[ownerTag] != "shop/orders" {
		t.Errorf("Observe of a healthy Cluster = %+v; want it available at its -rw Service (readers at -ro), with its CA, master, version, storage and owner", in)
	}
	if err := p.Tag(ctx, in.ARN, map[string]string{"team": "billing", ownerTag: "evil/other"}); err != nil {
		t.Fatal(err)
	}
	obs, _ = p.Observe(ctx, "shop-orders-1a2b3c4d")
	if obs.Instance.Tags["team"] != "billing" || obs.Instance.Tags[ownerTag] != "shop/orders" {
		t.Errorf("tags after Tag = %v; want team overwritten and the owner kept", obs.Instance.Tags)
	}
	plan := p.Plan(desired(), in, false)
	if !plan.Changes.Empty() {
		t.Errorf("Plan of an unchanged database = %+v; want nothing", plan)
	}
	d := desired()
	d.AllocatedStorageGiB, d.EngineVersion = 20, "18"
	plan = p.Plan(d, in, false)
	if ptr.Deref(plan.Changes.AllocatedStorageGiB, 0) != 20 || ptr.Deref(plan.Changes.EngineVersion, "") != "18" {
		t.Errorf("Plan = %+v; want storage grown to 20 GiB and the image of version 18", plan)
	}
	if err := p.Update(ctx, in.Identifier, plan.Changes, cloud.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	_ = c.Get(ctx, client.ObjectKey{Namespace: "shop", Name: "shop-orders-1a2b3c4d"}, &cl)
	if cl.Spec.StorageConfiguration.Size != "20Gi" || cl.Spec.ImageName != "ghcr.io/cloudnative-pg/postgresql:18" {
		t.Errorf("after Update the Cluster has %s, %s", cl.Spec.StorageConfiguration.Size, cl.Spec.ImageName)
	}
	d.AllocatedStorageGiB = 5
	if plan := p.Plan(d, cloud.Instance{AllocatedStorageGiB: 20, EngineVersion: "18"}, false); plan.Changes.AllocatedStorageGiB != nil {
		t.Errorf("Plan shrinks storage: %+v; a volume never shrinks", plan)
	}
	if err := p.Delete(ctx, in.Identifier, cloud.DeleteOptions{FinalSnapshotIdentifier: "final"}); !errors.Is(err, cloud.ErrUnsupported) {
		t.Errorf("Delete with a final snapshot = %v; want ErrUnsupported: nothing may be deleted without the snapshot the policy promises", err)
	}
	for range 2 {
		if err := p.Delete(ctx, in.Identifier, cloud.DeleteOptions{}); err != nil {
			t.Fatalf("Delete: %v", err)
		}
	}
	if obs, _ := p.Observe(ctx, in.Identifier); obs.Exists {
		t.Error("the Cluster is still there after Delete")
	}
}

func TestPhaseOf(t *testing.T) {
	tests := []struct {
		phase  string
		ready  int
		want   cloud.Phase
		reason string
	}{
		{"", 0, cloud.PhaseCreating, "no status yet: being made"},
		{cnpgv1.PhaseFirstPrimary, 0, cloud.PhaseCreating, "its primary is being set up"},
		{cnpgv1.PhaseHealthy, 1, cloud.PhaseAvailable, "healthy serves"},
		{cnpgv1.PhaseSwitchover, 1, cloud.PhaseChanging, "a switchover ends by itself"},
		{cnpgv1.PhaseUpgrade, 1, cloud.PhaseChanging, "an upgrade ends by itself"},
		{cnpgv1.PhaseWaitingForInstancesToBeActive, 1, cloud.PhaseChanging, "an instance restarting while another serves"},
		{cnpgv1.PhaseUnrecoverable, 0, cloud.PhaseFailed, "a person must look"},
		{cnpgv1.PhaseDefinitionInvalid, 0, cloud.PhaseFailed, "CloudNativePG refused the definition"},
	}
	for _, tc := range tests {
		c := &cnpgv1.Cluster{Status: cnpgv1.ClusterStatus{Phase: tc.phase, ReadyInstances: tc.ready}}
		if got := phaseOf(c); got != tc.want {
			t.Errorf("phaseOf(%q, %d ready) = %s, want %s: %s", tc.phase, tc.ready, got, tc.want, tc.reason)
		}
	}
}

func TestVersionOfAndClusterName(t *testing.T) {
	for image, want := range map[string]string{
		"ghcr.io/cloudnative-pg/postgresql:17":                      "17",
		"ghcr.io/cloudnative-pg/postgresql:16.4-standard-bookworm":  "16.4",
		"registry.local:5000/pg/postgresql:15.8":                    "15.8",
		"registry.local:5000/pg/postgresql":                         "",
		"ghcr.io/cloudnative-pg/postgresql@sha256:0123456789abcdef": "",
	} {
		if got := versionOf(image); got != want {
			t.Errorf("versionOf(%q) = %q, want %q", image, got, want)
		}
	}
	long := "a-very-long-namespace-name-and-a-very-long-object-na-1a2b3c4d"
	if got := ClusterName(long); len(got) > maxClusterName || !strings.HasSuffix(got, "-1a2b3c4d") {
		t.Errorf("ClusterName(%q) = %q; want at most %d characters keeping the identifier's hash", long, got, maxClusterName)
	}
	if got := ClusterName("shop-orders-1a2b3c4d"); got != "shop-orders-1a2b3c4d" {
		t.Errorf("ClusterName of a short identifier = %q; want it as it is", got)
	}
}

func TestCloudOnlyFieldsAreRefused(t *testing.T) {
	p, _ := newFake(t)
	tests := map[string]func(*cloud.Desired){
		"mysql":                          func(d *cloud.Desired) { d.Engine = "mysql" },
		"instance class":                 func(d *cloud.Desired) { d.InstanceClass = "db.t4g.micro" },
		"storage type":                   func(d *cloud.Desired) { d.StorageType = "gp3" },
		"multi-AZ":                       func(d *cloud.Desired) { d.MultiAZ = true },
		"restore from another namespace": func(d *cloud.Desired) { d.RestoreFromSnapshot = "cloudnativepg:other/final-1" },
		"parameters":                     func(d *cloud.Desired) { d.Parameters = map[string]string{"work_mem": "8MB"} },
	}
	for name, change := range tests {
		d := desired()
		change(&d)
		if err := p.Create(t.Context(), d); !errors.Is(err, cloud.ErrUnsupported) {
			t.Errorf("%s: Create = %v; want ErrUnsupported, before anything is made", name, err)
		}
	}
}

func TestBackupsAreCloudNativePGBackups(t *testing.T) {
	p, c := newFake(t)
	p.cfg.VolumeSnapshotClass = "csi-snap"
	ctx := t.Context()
	if err := p.Create(ctx, desired()); err != nil {
		t.Fatal(err)
	}
	var cl cnpgv1.Cluster
	if err := c.Get(ctx, client.ObjectKey{Namespace: "shop", Name: "shop-orders-1a2b3c4d"}, &cl); err != nil {
		t.Fatal(err)
	}
	if b := cl.Spec.Backup; b == nil || b.VolumeSnapshot == nil || b.VolumeSnapshot.ClassName != "csi-snap" || b.VolumeSnapshot.SnapshotOwnerReference != cnpgv1.SnapshotOwnerReferenceNone {
		t.Errorf("Cluster backup %+v; want volume snapshots of the class's VolumeSnapshotClass, owned by nothing so that they outlive the Cluster", b)
	}
	var daily cnpgv1.ScheduledBackup
	if err := c.Get(ctx, client.ObjectKey{Namespace: "shop", Name: "shop-orders-1a2b3c4d-daily"}, &daily); err != nil {
		t.Fatalf("no daily ScheduledBackup while backups are retained: %v", err)
	}
	if daily.Spec.Cluster.Name != cl.Name || daily.Spec.Method != cnpgv1.BackupMethodVolumeSnapshot || daily.Spec.BackupOwnerReference != "none" {
		t.Errorf("ScheduledBackup %+v; want the Cluster's, by volume snapshots, its Backups owned by nothing", daily.Spec)
	}

	if err := p.CreateSnapshot(ctx, "shop-orders-1a2b3c4d", "manual-1", map[string]string{ownerTag: "shop/orders"}); err != nil {
		t.Fatal(err)
	}
	snaps, err := p.Snapshots(ctx, "shop-orders-1a2b3c4d")
	if err != nil || len(snaps) != 1 || snaps[0].Identifier != "manual-1" || snaps[0].Available || snaps[0].Tags[ownerTag] != "shop/orders" {
		t.Fatalf("Snapshots = %+v, %v; want the manual Backup, not complete yet, with its owner", snaps, err)
	}

	// The final snapshot: the Cluster stays until its Backup completes.
	final := cloud.DeleteOptions{FinalSnapshotIdentifier: "final-shop-orders"}
	if err := p.Delete(ctx, "shop-orders-1a2b3c4d", final); !errors.Is(err, cloud.ErrBusy) {
		t.Fatalf("Delete with a final snapshot = %v; want ErrBusy while the final Backup runs", err)
	}
	if obs, _ := p.Observe(ctx, "shop-orders-1a2b3c4d"); !obs.Exists {
		t.Fatal("the Cluster went before its final Backup completed")
	}
	var b cnpgv1.Backup
	if err := c.Get(ctx, client.ObjectKey{Namespace: "shop", Name: "final-shop-orders"}, &b); err != nil {
		t.Fatalf("no final Backup: %v", err)
	}
	b.Status.Phase = cnpgv1.BackupPhaseFailed
	if err := c.Status().Update(ctx, &b); err != nil {
		t.Fatal(err)
	}
	if err := p.Delete(ctx, "shop-orders-1a2b3c4d", final); err == nil || errors.Is(err, cloud.ErrBusy) {
		t.Fatalf("Delete after the final Backup failed = %v; want an error saying so", err)
	}
	if err := p.Delete(ctx, "shop-orders-1a2b3c4d", final); !errors.Is(err, cloud.ErrBusy) {
		t.Fatalf("Delete again = %v; want the final Backup taken again (ErrBusy)", err)
	}
	_ = c.Get(ctx, client.ObjectKey{Namespace: "shop", Name: "final-shop-orders"}, &b)
	b.Status.Phase = cnpgv1.BackupPhaseCompleted
	b.Status.StartedAt = &metav1.Time{}
	if err := c.Status().Update(ctx, &b); err != nil {
		t.Fatal(err)
	}
	if err := p.Delete(ctx, "shop-orders-1a2b3c4d", final); err != nil {
		t.Fatalf("Delete once the final Backup completed: %v", err)
	}
	if obs, _ := p.Observe(ctx, "shop-orders-1a2b3c4d"); obs.Exists {
		t.Error("the Cluster is still there after its final Backup completed")
	}
	if err := c.Get(ctx, client.ObjectKey{Namespace: "shop", Name: "shop-orders-1a2b3c4d-daily"}, &daily); err == nil {
		t.Error("the daily ScheduledBackup outlived its Cluster")
	}
	snap, ok, err := p.Snapshot(ctx, "final-shop-orders")
	if err != nil || !ok || !snap.Available || snap.Tags[ownerTag] != "shop/orders" {
		t.Fatalf("Snapshot(final) = %+v, %t, %v; want the completed final Backup with the owner, after the Cluster went", snap, ok, err)
	}

	// A restore is a new Cluster bootstrapped from the Backup.
	d := desired()
	d.Identifier, d.RestoreFromSnapshot = "shop-restored-5e6f7a8b", snap.ARN
	if err := p.Create(ctx, d); err != nil {
		t.Fatal(err)
	}
	var restored cnpgv1.Cluster
	if err := c.Get(ctx, client.ObjectKey{Namespace: "shop", Name: "shop-restored-5e6f7a8b"}, &restored); err != nil {
		t.Fatal(err)
	}
	if r := restored.Spec.Bootstrap.Recovery; r == nil || r.Backup == nil || r.Backup.Name != "final-shop-orders" || restored.Spec.Bootstrap.InitDB != nil {
		t.Errorf("restored Cluster bootstrap %+v; want a recovery from the final Backup", restored.Spec.Bootstrap)
	}
}

func TestReadersAreMoreStandbys(t *testing.T) {
	p, c := newFake(t)
	ctx := t.Context()
	if err := p.Create(ctx, desired()); err != nil {
		t.Fatal(err)
	}
	key := client.ObjectKey{Namespace: "shop", Name: "shop-orders-1a2b3c4d"}
	r := cloud.Replica{Identifier: "shop-orders-r1-5e6f7a8b", Source: "shop-orders-1a2b3c4d", Engine: "postgres",
		Tags: map[string]string{ownerTag: "shop/orders", "matrixmind.cloud/role": "replica"}}
	for range 2 {
		if err := p.CreateReplica(ctx, r); err != nil {
			t.Fatalf("CreateReplica: %v (and again: it is idempotent)", err)
		}
	}
	var cl cnpgv1.Cluster
	_ = c.Get(ctx, key, &cl)
	if cl.Spec.Instances != 3 {
		t.Errorf("the Cluster runs %d instances; want the class's 2 and one for the reader", cl.Spec.Instances)
	}
	obs, err := p.Observe(ctx, r.Identifier)
	if err != nil || !obs.Exists || obs.Instance.ReplicaSource != "shop-orders-1a2b3c4d" || obs.Instance.Tags["matrixmind.cloud/role"] != "replica" || obs.Instance.Phase != cloud.PhaseCreating {
		t.Fatalf("Observe(reader) = %+v, %v; want the reader of its source with its tags, creating while the Cluster has no third ready instance", obs, err)
	}
	if primary, _ := p.Observe(ctx, "shop-orders-1a2b3c4d"); !slices.Equal(primary.Instance.ReplicaIDs, []string{r.Identifier}) {
		t.Errorf("the primary's readers are %v", primary.Instance.ReplicaIDs)
	}
	if list, _ := p.List(ctx); len(list) != 2 {
		t.Errorf("List = %d databases; want the Cluster and its reader", len(list))
	}
	if err := p.Delete(ctx, r.Identifier, cloud.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	_ = c.Get(ctx, key, &cl)
	if obs, _ := p.Observe(ctx, r.Identifier); obs.Exists || cl.Spec.Instances != 2 {
		t.Errorf("after deleting the reader: exists %t, %d instances; want it gone and the class's 2", obs.Exists, cl.Spec.Instances)
	}
}
