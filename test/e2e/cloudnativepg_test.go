package e2e

import (
	"context"
	"strings"
	"testing"

	cnpgv1 "github.com/cloudnative-pg/api/pkg/api/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/matrixmind-cloud/aws-rds-operator/api/v1"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/cloud/cloudnativepg"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/naming"
	"github.com/matrixmind-cloud/aws-rds-operator/test/harness"
)

// cnpgClass makes a cloudnativepg DatabaseClass for the length of t.
func cnpgClass(t *testing.T, name string, params v1.CloudNativePGClassParameters) *v1.DatabaseClass {
	t.Helper()
	class := &v1.DatabaseClass{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: v1.DatabaseClassSpec{
		Provider: v1.ProviderCloudNativePG, CloudNativePG: &params,
	}}
	if err := stack.Client.Create(context.Background(), class); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = stack.Client.Delete(context.Background(), class) })
	return class
}

// cluster reads the CloudNativePG Cluster of the object ns/name; false when there is none.
func cluster(ctx context.Context, t *testing.T, ns, name string) (*cnpgv1.Cluster, bool) {
	t.Helper()
	c := &cnpgv1.Cluster{}
	err := stack.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: cloudnativepg.ClusterName(naming.Identifier(ns, name))}, c)
	if client.IgnoreNotFound(err) != nil {
		t.Fatal(err)
	}
	return c, err == nil
}

// TestCloudNativePG is the user's story without a cloud: the same RDSDatabase, on a
// DatabaseClass with provider cloudnativepg, becomes a CloudNativePG Cluster in its namespace
// (run here by the harness's stand-in for CloudNativePG's controller, on a real PostgreSQL),
// with its users, databases and Secrets made through the Cluster's read-write Service; the
// Secrets and Services point at CloudNativePG's; it grows; the class's default policy,
// Retain, keeps the Cluster, and Delete deletes it.
func TestCloudNativePG(t *testing.T) {
	ctx := context.Background()
	class := cnpgClass(t, "e2e-cnpg", v1.CloudNativePGClassParameters{Instances: 2, StorageClass: "local-ssd"})
	ns := namespace(t, "cnpg")
	db := &v1.RDSDatabase{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "orders"}}
	db.Spec.Class = class.Name
	db.Spec.Version = "17"
	db.Spec.Users = map[string]v1.UserRoles{"app": {v1.RoleCreateDB}, "reporting": {v1.RoleReadOnly}}
	db.Spec.Databases = map[string]v1.DatabaseUsers{"orders": {"app", "reporting"}}
	if err := stack.Client.Create(ctx, db); err != nil {
		t.Fatalf("apply: %v", err)
	}
	got := waitReady(t, db)
	id := naming.Identifier(ns, db.Name)
	clusterName := cloudnativepg.ClusterName(id)

	t.Run("SecretsExistedBeforeTheCluster", func(t *testing.T) {
		secretsWereFirst(t, id, "CloudNativePG", []string{"orders.rds.app", "orders.rds.master", "orders.rds.reporting"})
	})

	t.Run("TheClusterIsWhatCloudNativePGExpects", func(t *testing.T) {
		placedOn(t, got, class.Name, v1.ProviderCloudNativePG, id)
		c, ok := cluster(ctx, t, ns, db.Name)
		if !ok {
			t.Fatal("no Cluster in the object's namespace")
		}
		if c.Spec.Instances != 2 || c.Spec.ImageName != cloudnativepg.DefaultImageRepository+":17" || c.Spec.StorageConfiguration.Size != "10Gi" ||
			c.Spec.StorageConfiguration.StorageClass == nil || *c.Spec.StorageConfiguration.StorageClass != "local-ssd" || len(c.OwnerReferences) != 0 {
			t.Errorf("Cluster spec %+v; want 2 instances of CloudNativePG's PostgreSQL 17 image, 10Gi of local-ssd, and no owner reference", c.Spec)
		}
		if s := got.Status.Cloud; s == nil || s.Endpoint != clusterName+"-rw."+ns+".svc" || s.Port != 5432 {
			t.Errorf("status.cloud = %+v; want the Cluster's read-write Service", s)
		}
		data := secretData(t, ns, "orders.rds.app")
		if host := string(data["host"]); host != clusterName+"-rw."+ns+".svc" {
			t.Errorf("the app Secret's host is %q; want CloudNativePG's read-write Service", host)
		}
		svc := serviceOf(ctx, t, ns, naming.ServiceName(db.Name))
		if svc.Spec.ExternalName != clusterName+"-rw."+ns+".svc" {
			t.Errorf("Service %s points at %q; want the Cluster's -rw Service", svc.Name, svc.Spec.ExternalName)
		}
	})

	t.Run("EachUserCanDoWhatItsRolesSay", func(t *testing.T) {
		usersHaveTheirRoles(ctx, t, ns, "orders", "sysadmin", "orders", map[string]bool{"sysadmin": true, "app": true, "reporting": false})
		app, err := loginWith(ctx, string(secretData(t, ns, "orders.rds.app")["uri"]), "orders")
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = app.Close(ctx) }()
		if _, err := app.Exec(ctx, "create table orders (id int); insert into orders values (1)"); err != nil {
			t.Errorf("app cannot write to its database: %v", err)
		}
	})

	t.Run("ServerVerifiedAgainstTheClusterCA", func(t *testing.T) {
		verifiesOnlyWithItsCA(ctx, t, secretData(t, ns, "orders.rds.app"), "verify-ca")
	})

	t.Run("Grows", func(t *testing.T) {
		if err := update(ctx, db, func(s *v1.RDSDatabaseSpec) { s.Size = "20GB" }); err != nil {
			t.Fatal(err)
		}
		err := harness.WaitFor(ctx, readyTimeout, func(ctx context.Context) (bool, error) {
			c, ok := cluster(ctx, t, ns, db.Name)
			return ok && c.Spec.StorageConfiguration.Size == "20Gi", nil
		})
		if err != nil {
			t.Fatalf("the Cluster's storage never grew to 20Gi: %v", err)
		}
		waitReady(t, db)
	})

	t.Run("ReadReplicasAreStandbys", func(t *testing.T) {
		if err := update(ctx, db, func(s *v1.RDSDatabaseSpec) { s.HighAvailability = &v1.HighAvailability{ReadReplicas: 1} }); err != nil {
			t.Fatal(err)
		}
		waitCondition(t, db, v1.ConditionReplicasReady, v1.ReasonReplicasAvailable)
		if c, _ := cluster(ctx, t, ns, db.Name); c.Spec.Instances != 3 {
			t.Errorf("the Cluster runs %d instances; want the class's 2 and one more for the reader", c.Spec.Instances)
		}
		ro := serviceOf(ctx, t, ns, naming.ReaderServiceName(db.Name))
		if ro.Spec.ExternalName != clusterName+"-ro."+ns+".svc" {
			t.Errorf("Service %s points at %q; want the Cluster's -ro Service", ro.Name, ro.Spec.ExternalName)
		}
		if err := update(ctx, db, func(s *v1.RDSDatabaseSpec) { s.HighAvailability = nil }); err != nil {
			t.Fatal(err)
		}
		err := harness.WaitFor(ctx, readyTimeout, func(ctx context.Context) (bool, error) {
			c, ok := cluster(ctx, t, ns, db.Name)
			return ok && c.Spec.Instances == 2, nil
		})
		if err != nil {
			t.Fatalf("the Cluster never went back to the class's 2 instances once the reader was no longer asked for: %v", err)
		}
		waitReady(t, db)
	})

	t.Run("DeleteWithTheClassDefaultRetains", func(t *testing.T) {
		deleteAndWait(ctx, t, db)
		if _, ok := cluster(ctx, t, ns, db.Name); !ok {
			t.Fatal("the Cluster went although deletionPolicy was unset, which is Retain on a cloudnativepg class")
		}
		if err := logsIn(ctx, string(secretData(t, ns, "orders.rds.app")["uri"]), "orders"); err != nil {
			t.Errorf("app cannot log in to the retained Cluster with its Secret, which stays: %v", err)
		}
	})

	t.Run("DeleteDeletesTheCluster", func(t *testing.T) {
		gone := &v1.RDSDatabase{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "scratch"}}
		gone.Spec.Class = class.Name
		gone.Spec.DeletionPolicy = v1.DeletionDelete
		if err := stack.Client.Create(ctx, gone); err != nil {
			t.Fatal(err)
		}
		cur := waitReady(t, gone)
		if err := stack.Client.Delete(ctx, cur); err != nil {
			t.Fatal(err)
		}
		waitGone(t, cur)
		if _, ok := cluster(ctx, t, ns, gone.Name); ok {
			t.Error("the Cluster is still there after the object with deletionPolicy Delete went")
		}
	})

	t.Run("CloudOnlyFieldsAreRefused", func(t *testing.T) {
		mysql := &v1.RDSDatabase{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "shop"}}
		mysql.Spec.Class, mysql.Spec.Type = class.Name, v1.TypeMySQL
		if err := stack.Client.Create(ctx, mysql); err != nil {
			t.Fatal(err)
		}
		waitCondition(t, mysql, v1.ConditionProvisioned, v1.ReasonSpecInvalid)
		if _, ok := cluster(ctx, t, ns, mysql.Name); ok {
			t.Error("a Cluster was made for a MySQL object, which CloudNativePG cannot run")
		}
		cur := &v1.RDSDatabase{}
		_ = stack.Client.Get(ctx, client.ObjectKeyFromObject(mysql), cur)
		if c := conditionOf(cur, v1.ConditionProvisioned); !strings.Contains(c, "PostgreSQL only") {
			t.Errorf("the condition says %q; want it to say why", c)
		}
	})
}

// serviceOf reads a Service.
func serviceOf(ctx context.Context, t *testing.T, ns, name string) *corev1.Service {
	t.Helper()
	svc := &corev1.Service{}
	if err := stack.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, svc); err != nil {
		t.Fatalf("Service %s: %v", name, err)
	}
	return svc
}

// conditionOf is the message of db's condition of type condType, "" when it has none.
func conditionOf(db *v1.RDSDatabase, condType string) string {
	if c := meta.FindStatusCondition(db.Status.Conditions, condType); c != nil {
		return c.Message
	}
	return ""
}
