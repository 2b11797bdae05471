package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/matrixmind-cloud/aws-rds-operator/api/v1"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/azureemulator"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/naming"
	"github.com/matrixmind-cloud/aws-rds-operator/test/harness"
)

// azureClass makes an azure DatabaseClass on the stack's Azure emulator for the length of t.
func azureClass(t *testing.T, name string) *v1.DatabaseClass {
	t.Helper()
	class := &v1.DatabaseClass{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: v1.DatabaseClassSpec{
		Provider: v1.ProviderAzure, Azure: &v1.AzureClassParameters{
			SubscriptionID: harness.AzureSubscription, ResourceGroup: harness.AzureResourceGroup, Location: "westeurope", SKU: "Standard_B2s",
		},
	}}
	if err := stack.Client.Create(context.Background(), class); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = stack.Client.Delete(context.Background(), class) })
	return class
}

// azureServerExists reports whether the Azure emulator holds a server named id.
func azureServerExists(id string) bool {
	for _, s := range stack.Azure.Servers() {
		if s.Name == id {
			return true
		}
	}
	return false
}

// TestAzureFlexibleServer is the user's story on a third cloud: the same RDSDatabase, on a
// DatabaseClass with provider azure, becomes an Azure Database for PostgreSQL flexible
// server (the emulator's, backed by a real PostgreSQL) with its users, databases and
// Secrets; it grows. Azure keeps nothing of a deleted server that could be restored: an
// object that leaves deletionPolicy unset gets the class's default, Retain (Snapshot is
// refused: TestAdmissionRefusesSnapshotWhereNothingIsKept).
func TestAzureFlexibleServer(t *testing.T) {
	ctx := context.Background()
	class := azureClass(t, "e2e-azure")
	ns := namespace(t, "azure")
	db := &v1.RDSDatabase{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "orders"}}
	db.Spec.Class = class.Name
	db.Spec.Size = "20GB"
	db.Spec.Users = map[string]v1.UserRoles{"app": {v1.RoleCreateDB}, "admin": {v1.RoleSuperuser}, "reporting": {}}
	db.Spec.Databases = map[string]v1.DatabaseUsers{"orders": {"app", "reporting"}}
	if err := stack.Client.Create(ctx, db); err != nil {
		t.Fatalf("apply: %v", err)
	}
	got := waitReady(t, db)
	id := naming.Identifier(ns, db.Name)

	t.Run("SecretsExistedBeforeTheFirstCloudCall", func(t *testing.T) {
		secretsWereFirst(t, id, "Azure", []string{"orders.rds.admin", "orders.rds.app", "orders.rds.master", "orders.rds.reporting"})
	})

	t.Run("StatusSaysWhereItIs", func(t *testing.T) {
		placedOn(t, got, class.Name, v1.ProviderAzure, id)
		// 20 GB is below Azure PostgreSQL's smallest storage, 32 GiB.
		if c := got.Status.Cloud; c == nil || c.Identifier != id || c.Status != "Ready" || c.InstanceClass != "Standard_B2s" || c.AllocatedStorageGiB != 32 || c.Endpoint == "" {
			t.Errorf("status.cloud = %+v, want flexible server %s Ready, SKU Standard_B2s, 32 GiB, with an endpoint", c, id)
		}
	})

	t.Run("EachUserCanDoWhatItsRolesSay", func(t *testing.T) {
		everyUserHasItsRoles(ctx, t, ns, "orders", "azure_pg_admin", "orders", roleChecks{
			"app": {createdb: true}, "admin": {admin: true}, "reporting": {}, "sysadmin": {admin: true, createdb: true},
		})
	})

	t.Run("ServerVerifiedAgainstTheCA", func(t *testing.T) {
		// Azure's servers' certificates chain to public roots the operator is given
		// (--azure-ca-bundle; here the emulator's CA): it verified the server to get here,
		// and each Secret carries the bundle, so an application verifies it too, its name
		// included.
		verifiesOnlyWithItsCA(ctx, t, secretData(t, ns, "orders.rds.app"), "verify-full")
	})

	t.Run("Grows", func(t *testing.T) {
		if err := update(ctx, db, func(s *v1.RDSDatabaseSpec) { s.Size = "64GB" }); err != nil {
			t.Fatal(err)
		}
		err := harness.WaitFor(ctx, readyTimeout, func(ctx context.Context) (bool, error) {
			cur := &v1.RDSDatabase{}
			if err := stack.Client.Get(ctx, client.ObjectKeyFromObject(db), cur); err != nil {
				return false, err
			}
			return cur.Status.Cloud != nil && cur.Status.Cloud.AllocatedStorageGiB == 64, nil
		})
		if err != nil {
			t.Fatalf("the server never reached 64 GiB: %v", err)
		}
		waitReady(t, db)
	})

	t.Run("DeleteWithTheClassDefaultRetains", func(t *testing.T) {
		deleteAndWait(ctx, t, db)
		if !azureServerExists(id) {
			t.Fatal("the server went although deletionPolicy was unset, which is Retain on an azure class")
		}
		if err := logsIn(ctx, string(secretData(t, ns, "orders.rds.app")["uri"]), "orders"); err != nil {
			t.Errorf("app cannot log in to the retained server with its Secret, which stays: %v", err)
		}
	})
}

// TestAzureMySQL: a MySQL RDSDatabase on an azure class becomes an Azure Database for
// MySQL flexible server (the emulator's MariaDB), and every user logs in with only its
// Secret.
func TestAzureMySQL(t *testing.T) {
	ctx := context.Background()
	class := azureClass(t, "e2e-azure-mysql")
	ns := namespace(t, "azure-mysql")
	db := &v1.RDSDatabase{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "shop"}}
	db.Spec.Class = class.Name
	db.Spec.Type = v1.TypeMySQL
	db.Spec.Size = "20GB"
	db.Spec.DeletionPolicy = v1.DeletionDelete
	db.Spec.Users = map[string]v1.UserRoles{"app": {}, "ops": {v1.RoleSuperuser}}
	db.Spec.Databases = map[string]v1.DatabaseUsers{"shop": {"app"}}
	if err := stack.Client.Create(ctx, db); err != nil {
		t.Fatalf("apply: %v", err)
	}
	got := waitReady(t, db)
	if c := got.Status.Cloud; got.Status.Provider != v1.ProviderAzure || c == nil || c.Status != "Ready" || c.AllocatedStorageGiB != 20 {
		t.Errorf("status provider %q cloud %+v, want azure, Ready, 20 GiB", got.Status.Provider, c)
	}
	for _, user := range []string{"app", "ops", "master"} {
		data := secretData(t, ns, "shop.rds."+user)
		conn, err := mysqlLogin(ctx, t, string(data["uri"]), "")
		if err != nil {
			t.Errorf("%s cannot log in with only its Secret: %v", user, err)
			continue
		}
		_ = conn.Close()
	}
	app, err := mysqlLogin(ctx, t, string(secretData(t, ns, "shop.rds.app")["uri"]), "shop")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = app.Close() }()
	if _, err := app.ExecContext(ctx, "create table orders (v text)"); err != nil {
		t.Errorf("app cannot write to its database: %v", err)
	}
	if err := stack.Client.Delete(ctx, got); err != nil {
		t.Fatal(err)
	}
	waitGone(t, got)
	if azureServerExists(naming.Identifier(ns, db.Name)) {
		t.Error("the MySQL server is still there after the object with deletionPolicy Delete went")
	}
}

// TestAdmissionRefusesSnapshotWhereNothingIsKept: the API's admission policy
// (config/admission) refuses, at kubectl apply, deletionPolicy Snapshot for an object whose
// class keeps nothing of a deleted database (an azure class, or the default class when it is
// one), with a message saying what to set; Retain and Delete, and objects of other classes,
// are admitted; a change that leaves the policy as it is is never refused.
func TestAdmissionRefusesSnapshotWhereNothingIsKept(t *testing.T) {
	ctx := context.Background()
	az := azureClass(t, "adm-azure")
	ns := namespace(t, "adm-snapshot")
	object := func(class string, policy v1.DeletionPolicy) *v1.RDSDatabase {
		db := &v1.RDSDatabase{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "orders"}}
		db.Spec.Class, db.Spec.Size, db.Spec.DeletionPolicy = class, "20GB", policy
		return db
	}
	dryRun := func(db *v1.RDSDatabase) error { return stack.Client.Create(ctx, db, client.DryRunAll) }
	// The apiserver loads a new policy's parameters within a second or so.
	err := harness.WaitFor(ctx, readyTimeout, func(context.Context) (bool, error) {
		return dryRun(object(az.Name, v1.DeletionSnapshot)) != nil, nil
	})
	if err != nil {
		t.Fatal("the policy never refused deletionPolicy Snapshot on an azure class")
	}
	cases := []struct {
		name, class string
		policy      v1.DeletionPolicy
		refused     bool
		reason      string
	}{
		{name: "SnapshotOnAzure", class: az.Name, policy: v1.DeletionSnapshot, refused: true, reason: "Snapshot promises a copy Azure does not keep"},
		{name: "RetainOnAzure", class: az.Name, policy: v1.DeletionRetain, reason: "Retain is the azure class's default"},
		{name: "DeleteOnAzure", class: az.Name, policy: v1.DeletionDelete, reason: "Delete promises no copy"},
		{name: "UnsetOnAzure", class: az.Name, reason: "unset is the class's default, Retain"},
		{name: "SnapshotOnAWS", policy: v1.DeletionSnapshot, reason: "the operator's own AWS keeps final snapshots"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := dryRun(object(tc.class, tc.policy))
			if tc.refused != (err != nil) {
				t.Fatalf("%s: create = %v, want refused %t", tc.reason, err, tc.refused)
			}
			if tc.refused && (!strings.Contains(err.Error(), "deletionPolicy Snapshot: DatabaseClass "+az.Name+" (provider azure)") || !strings.Contains(err.Error(), "Retain")) {
				t.Errorf("%s: the refusal must name the class and the fix: %v", tc.reason, err)
			}
		})
	}

	t.Run("DefaultClass", func(t *testing.T) {
		// The class an object with no spec.class lands on is the default class.
		cur := &v1.DatabaseClass{}
		if err := stack.Client.Get(ctx, client.ObjectKeyFromObject(az), cur); err != nil {
			t.Fatal(err)
		}
		cur.Annotations = map[string]string{v1.AnnotationDefaultClass: "true"}
		if err := stack.Client.Update(ctx, cur); err != nil {
			t.Fatal(err)
		}
		defer func() {
			cur.Annotations = nil
			_ = stack.Client.Update(ctx, cur)
		}()
		err := harness.WaitFor(ctx, readyTimeout, func(context.Context) (bool, error) {
			return dryRun(object("", v1.DeletionSnapshot)) != nil, nil
		})
		if err != nil {
			t.Error("Snapshot on an object without spec.class, the default class being azure, was admitted")
		}
	})

	t.Run("UnchangedPolicyNeverRefused", func(t *testing.T) {
		// An object admitted before its class existed, with Snapshot, stays manageable once
		// the class turns out to be azure's: a change that leaves its policy as it is (a
		// label, the operator's finalizer) is admitted, and the operator refuses it itself
		// (Provisioned=False SpecInvalid) before anything is made.
		early := object("adm-later", v1.DeletionSnapshot)
		early.Name = "early"
		if err := stack.Client.Create(ctx, early); err != nil {
			t.Fatal(err)
		}
		later := azureClass(t, "adm-later")
		err := harness.WaitFor(ctx, readyTimeout, func(context.Context) (bool, error) {
			return dryRun(object(later.Name, v1.DeletionSnapshot)) != nil, nil
		})
		if err != nil {
			t.Fatal("the policy never refused Snapshot on the new azure class")
		}
		err = retry.RetryOnConflict(retry.DefaultRetry, func() error {
			cur := &v1.RDSDatabase{}
			if err := stack.Client.Get(ctx, client.ObjectKeyFromObject(early), cur); err != nil {
				return err
			}
			cur.Labels = map[string]string{"team": "payments"}
			return stack.Client.Update(ctx, cur)
		})
		if err != nil {
			t.Errorf("a label change, the policy unchanged, was refused: %v", err)
		}
		waitCondition(t, early, v1.ConditionProvisioned, v1.ReasonSpecInvalid)
		if azureServerExists(naming.Identifier(ns, early.Name)) {
			t.Error("a server was made for an object whose deletionPolicy its class cannot honour")
		}
		if err := stack.Client.Delete(ctx, early); err != nil {
			t.Fatal(err)
		}
		waitGone(t, early)
	})
}

// TestAzureCreateFailedAfterItWasTaken: Azure takes a create (201, Provisioning) and then
// fails its operation and removes the server. The object reports Azure's failure (from the
// operation, followed the Azure way) instead of taking the server for one deleted by hand,
// and once Azure can make it, the server is made and the object is Ready.
func TestAzureCreateFailedAfterItWasTaken(t *testing.T) {
	ctx := context.Background()
	class := azureClass(t, "e2e-azure-failing")
	ns := namespace(t, "azure-failing")
	if err := stack.Azure.SetFaults(azureemulator.Faults{FailOperations: true}); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = stack.Azure.SetFaults(azureemulator.Faults{}) }()
	db := &v1.RDSDatabase{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "orders"}}
	db.Spec.Class, db.Spec.Size, db.Spec.DeletionPolicy = class.Name, "20GB", v1.DeletionDelete
	if err := stack.Client.Create(ctx, db); err != nil {
		t.Fatal(err)
	}
	err := harness.WaitFor(ctx, readyTimeout, func(ctx context.Context) (bool, error) {
		cur := &v1.RDSDatabase{}
		if err := stack.Client.Get(ctx, client.ObjectKeyFromObject(db), cur); err != nil {
			return false, err
		}
		c := meta.FindStatusCondition(cur.Status.Conditions, v1.ConditionProvisioned)
		if c != nil && c.Reason == v1.ReasonCloudDatabaseMissing {
			return false, fmt.Errorf("a server Azure failed to make was taken for one deleted by hand: %s", c.Message)
		}
		return c != nil && c.Reason == v1.ReasonCloudError && strings.Contains(c.Message, "InternalServerError") && strings.Contains(c.Message, "its operation"), nil
	})
	if err != nil {
		t.Fatalf("the failure of the operation Azure took was never reported: %v", err)
	}
	if err := stack.Azure.SetFaults(azureemulator.Faults{}); err != nil {
		t.Fatal(err)
	}
	waitReady(t, db)
	cur := &v1.RDSDatabase{}
	if err := stack.Client.Get(ctx, client.ObjectKeyFromObject(db), cur); err != nil {
		t.Fatal(err)
	}
	if err := stack.Client.Delete(ctx, cur); err != nil {
		t.Fatal(err)
	}
	waitGone(t, cur)
}
