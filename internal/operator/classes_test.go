package operator

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	v1 "github.com/matrixmind-cloud/aws-rds-operator/api/v1"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/cloud"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/cloud/cloudtest"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/cloud/existing"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/controller"
)

// TestClassDefaults: a class's parameters go over the operator's defaults, and the RDS ones
// never reach another cloud.
func TestClassDefaults(t *testing.T) {
	base := controller.DefaultDefaults
	base.KMSKeyID, base.SubnetGroup, base.SecurityGroupIDs = "alias/rds", "private", []string{"sg-0123456789abcdef0"}
	base.Tags = map[string]string{"cost-center": "42"}
	cases := []struct {
		name   string
		reason string
		class  v1.DatabaseClassSpec
		want   func(d *controller.Defaults)
	}{
		{name: "AWSEmpty", reason: "An aws class without parameters is the operator's own settings.",
			class: v1.DatabaseClassSpec{Provider: v1.ProviderAWS}, want: func(*controller.Defaults) {}},
		{name: "AWSParameters", reason: "An aws class's parameters replace the flags' defaults, its instance class Aurora's too; its tags go over the operator's.",
			class: v1.DatabaseClassSpec{Provider: v1.ProviderAWS, AWS: &v1.AWSClassParameters{InstanceClass: "db.r7g.large", StorageType: "io2",
				KMSKeyID: "alias/eu", SubnetGroup: "eu", SecurityGroupIDs: []string{"sg-0fedcba9876543210"}, Tags: map[string]string{"env": "prod"}}},
			want: func(d *controller.Defaults) {
				d.ClassInstanceClass, d.StorageType, d.KMSKeyID, d.SubnetGroup = "db.r7g.large", "io2", "alias/eu", "eu"
				d.SecurityGroupIDs, d.Tags = []string{"sg-0fedcba9876543210"}, map[string]string{"cost-center": "42", "env": "prod"}
			}},
		{name: "GCP", reason: "A gcp class takes its tier; RDS's storage type, key, subnet and security groups mean nothing on Cloud SQL, which encrypts every disk.",
			class: v1.DatabaseClassSpec{Provider: v1.ProviderGCP, GCP: &v1.GCPClassParameters{Project: "acme-prod", Region: "europe-west1", Tier: "db-custom-1-3840",
				Tags: map[string]string{"env": "prod"}}},
			want: func(d *controller.Defaults) {
				d.InstanceClass, d.StorageType, d.StorageEncrypted, d.KMSKeyID, d.SubnetGroup, d.SecurityGroupIDs = "db-custom-1-3840", "", true, "", "", nil
				d.Tags = map[string]string{"cost-center": "42", "env": "prod"}
			}},
		{name: "Existing", reason: "An existing server's storage, size, network and encryption are its own, and it keeps no snapshots.",
			class: v1.DatabaseClassSpec{Provider: v1.ProviderExisting, Existing: &v1.ExistingClassParameters{AdminSecretRef: v1.SecretReference{Namespace: "platform", Name: "db1-admin"}}},
			want: func(d *controller.Defaults) {
				d.InstanceClass, d.StorageType, d.StorageEncrypted, d.KMSKeyID, d.SubnetGroup, d.SecurityGroupIDs = "", "", false, "", "", nil
				d.ServerStorage, d.KeepsNoSnapshots = true, true
			}},
		{name: "ExistingWithDumps", reason: "An existing class naming a place for dumps keeps snapshots: the final one is a dump.",
			class: v1.DatabaseClassSpec{Provider: v1.ProviderExisting, Existing: &v1.ExistingClassParameters{
				AdminSecretRef: v1.SecretReference{Namespace: "platform", Name: "db1-admin"}, Dumps: &v1.DumpParameters{ClaimName: "db-dumps"}}},
			want: func(d *controller.Defaults) {
				d.InstanceClass, d.StorageType, d.StorageEncrypted, d.KMSKeyID, d.SubnetGroup, d.SecurityGroupIDs = "", "", false, "", "", nil
				d.ServerStorage = true
			}},
		{name: "CloudNativePG", reason: "A Cluster's resources, network and encryption are Kubernetes'; without a backup method it keeps no snapshots.",
			class: v1.DatabaseClassSpec{Provider: v1.ProviderCloudNativePG},
			want: func(d *controller.Defaults) {
				d.InstanceClass, d.StorageType, d.StorageEncrypted, d.KMSKeyID, d.SubnetGroup, d.SecurityGroupIDs = "", "", false, "", "", nil
				d.KeepsNoSnapshots = true
			}},
		{name: "CloudNativePGWithBackups", reason: "A cloudnativepg class naming a backup method keeps snapshots: CloudNativePG Backups.",
			class: v1.DatabaseClassSpec{Provider: v1.ProviderCloudNativePG, CloudNativePG: &v1.CloudNativePGClassParameters{
				Backup: &v1.CloudNativePGBackup{VolumeSnapshotClass: "csi-snap"}}},
			want: func(d *controller.Defaults) {
				d.InstanceClass, d.StorageType, d.StorageEncrypted, d.KMSKeyID, d.SubnetGroup, d.SecurityGroupIDs = "", "", false, "", "", nil
			}},
	}
	kube := fakeKube(t, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "platform", Name: "db1-admin"},
		Data: map[string][]byte{"host": []byte("db1.corp"), "username": []byte("admin"), "password": []byte("pw")}})
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			builtin := &cloudtest.Provider{}
			built := map[string]int{}
			c := &classClouds{
				builtin: builtin,
				view:    func(_ string, p cloud.Provider) (cloud.Provider, error) { return p, nil },
				newGCP: func(_ context.Context, project, region string) (cloud.Provider, error) {
					built[project+"/"+region]++
					return &cloudtest.Provider{}, nil
				},
				secrets: kube, kube: kube,
			}
			class := &v1.DatabaseClass{Spec: tc.class}
			p, err := c.For(context.Background(), class, base)
			if err != nil {
				t.Fatalf("%s\nFor: %v", tc.reason, err)
			}
			want := base
			want.SecurityGroupIDs = append([]string(nil), base.SecurityGroupIDs...)
			want.Tags = map[string]string{"cost-center": "42"}
			tc.want(&want)
			if diff := cmp.Diff(want, p.Defaults, cmp.AllowUnexported(controller.Defaults{}, controller.Allowances{})); diff != "" {
				t.Errorf("%s\ndefaults: -want +got:\n%s", tc.reason, diff)
			}
			if base.Tags["env"] != "" {
				t.Errorf("%s\nthe class wrote into the operator's own tags", tc.reason)
			}
			// A second class on the same project and region shares the provider.
			again, err := c.For(context.Background(), class, base)
			if err != nil || again.Cloud != p.Cloud {
				t.Errorf("%s\na second For built another provider (%v)", tc.reason, err)
			}
			for key, n := range built {
				if n != 1 {
					t.Errorf("%s\nprovider %s built %d times, want once", tc.reason, key, n)
				}
			}
		})
	}
}

// fakeKube is a Kubernetes client holding objs, with CloudNativePG's kinds known.
func fakeKube(t *testing.T, objs ...client.Object) client.Client {
	t.Helper()
	scheme, err := Scheme()
	if err != nil {
		t.Fatal(err)
	}
	return fake.NewClientBuilder().WithScheme(scheme).WithObjects(objs...).Build()
}

// TestExistingAdminSecret: an existing class is served only once its admin Secret says how
// to reach the server, and a Secret that does not says what it lacks.
func TestExistingAdminSecret(t *testing.T) {
	ref := types.NamespacedName{Namespace: "platform", Name: "db1-admin"}
	secret := func(data map[string]string) *corev1.Secret {
		s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ref.Namespace, Name: ref.Name}, Data: map[string][]byte{}}
		for k, v := range data {
			s.Data[k] = []byte(v)
		}
		return s
	}
	cases := []struct {
		name    string
		reason  string
		objs    []client.Object
		want    existing.Server
		wantErr string
	}{
		{name: "Missing", reason: "No Secret: the class cannot be served (a fallback takes new objects).", wantErr: "read the admin Secret platform/db1-admin"},
		{name: "LacksKeys", reason: "A Secret without the login says which keys to add.", objs: []client.Object{secret(map[string]string{"host": "db1"})},
			wantErr: "lacks password, username"},
		{name: "BadPort", reason: "A port that is not one is refused before any login.", objs: []client.Object{secret(map[string]string{"host": "db1", "username": "a", "password": "p", "port": "x"})},
			wantErr: `port "x" is not a port number`},
		{name: "PostgresDefaults", reason: "The engine defaults to postgres, the port to the engine's.", objs: []client.Object{secret(map[string]string{"host": "db1", "username": "a", "password": "p"})},
			want: existing.Server{Engine: "postgres", Host: "db1", Port: 5432, User: "a", Password: "p"}},
		{name: "MariaDB", reason: "A MariaDB server's port defaults to 3306; the CA is kept.", objs: []client.Object{secret(map[string]string{"engine": "mariadb", "host": "db1", "username": "a", "password": "p", "ca.crt": "PEM"})},
			want: existing.Server{Engine: "mariadb", Host: "db1", Port: 3306, User: "a", Password: "p", CA: []byte("PEM")}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := readAdminSecret(context.Background(), fakeKube(t, tc.objs...), ref)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Errorf("%s\nerror %v, want one saying %q", tc.reason, err, tc.wantErr)
				}
				return
			}
			if err != nil || !cmp.Equal(got, tc.want) {
				t.Errorf("%s\nreadAdminSecret = %+v, %v; want %+v", tc.reason, got, err, tc.want)
			}
		})
	}
}
