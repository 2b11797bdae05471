package e2e

import (
	"context"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsrds "github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/rds/types"

	eventsv1 "k8s.io/api/events/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/matrixmind-cloud/aws-rds-operator/api/v1"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/emulator"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/naming"
	"github.com/matrixmind-cloud/aws-rds-operator/test/harness"
)

// TestFallbackOnQuota is the story of a DatabaseClass with a fallback: an aws class whose
// account has run out of DB instances (the RDS emulator refuses creates with RDS's
// InstanceQuotaExceeded) falling back to an azure class. A new RDSDatabase on the aws class
// ends Ready on Azure, says so in status.class and an Event, and every user logs in with only
// its Secret; an object already Ready on the aws class stays there, and is still managed
// there.
func TestFallbackOnQuota(t *testing.T) {
	ctx := context.Background()
	azure := azureClass(t, "fallback-azure")
	onAWS := &v1.DatabaseClass{ObjectMeta: metav1.ObjectMeta{Name: "fallback-aws"}, Spec: v1.DatabaseClassSpec{
		Provider: v1.ProviderAWS, Fallback: azure.Name,
	}}
	if err := stack.Client.Create(ctx, onAWS); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = stack.Client.Delete(context.Background(), onAWS) })
	ns := namespace(t, "fallback")
	// Objects that may land on Azure say Delete: Azure keeps nothing a Snapshot could name.
	object := func(name string) *v1.RDSDatabase {
		db := &v1.RDSDatabase{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}
		db.Spec.Class, db.Spec.Size, db.Spec.DeletionPolicy = onAWS.Name, "20GB", v1.DeletionDelete
		return db
	}

	steady := object("steady")
	if err := stack.Client.Create(ctx, steady); err != nil {
		t.Fatalf("apply: %v", err)
	}
	if got := waitReady(t, steady); got.Status.Class != onAWS.Name || got.Status.Provider != v1.ProviderAWS {
		t.Fatalf("before the quota: status.class %q provider %q, want %s on aws", got.Status.Class, got.Status.Provider, onAWS.Name)
	}

	// The account's DB instance quota is 1, which steady's instance uses: RDS refuses every
	// new instance, as an account at its quota does.
	if err := stack.Emulator.SetQuotas(emulator.Quotas{DBInstances: 1}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = stack.Emulator.SetQuotas(emulator.Quotas{}) })

	orders := object("orders")
	orders.Spec.Users = map[string]v1.UserRoles{"app": {v1.RoleCreateDB}, "admin": {v1.RoleSuperuser}, "reporting": {}}
	orders.Spec.Databases = map[string]v1.DatabaseUsers{"orders": {"app", "reporting"}}
	if err := stack.Client.Create(ctx, orders); err != nil {
		t.Fatalf("apply: %v", err)
	}
	got := waitReady(t, orders)
	id := naming.Identifier(ns, orders.Name)

	t.Run("MadeOnTheFallback", func(t *testing.T) {
		if got.Status.Class != azure.Name || got.Status.Provider != v1.ProviderAzure {
			t.Errorf("status.class %q provider %q, want %s on azure", got.Status.Class, got.Status.Provider, azure.Name)
		}
		if !azureServerExists(id) {
			t.Errorf("no Azure flexible server %s", id)
		}
		refused := false
		for _, c := range stack.Emulator.Stats().Log {
			if c.ID == id && c.Action == "CreateDBInstance" {
				if c.Code != "InstanceQuotaExceeded" {
					t.Errorf("RDS answered the create %q; every create was to be refused for the quota", c.Code)
				}
				refused = true
			}
		}
		if !refused {
			t.Error("the object never asked RDS: it was to try its own class first")
		}
		api, err := stack.RDS(ctx)
		if err != nil {
			t.Fatal(err)
		}
		_, err = api.DescribeDBInstances(ctx, &awsrds.DescribeDBInstancesInput{DBInstanceIdentifier: aws.String(id)})
		var notFound *types.DBInstanceNotFoundFault
		if !errors.As(err, &notFound) {
			t.Errorf("DescribeDBInstances %s = %v; want DBInstanceNotFound: a refused create makes nothing", id, err)
		}
	})

	t.Run("EventSaysFromWhereToWhereAndWhy", func(t *testing.T) {
		for _, words := range []string{"DatabaseClass " + onAWS.Name + " (provider aws)", "InstanceQuotaExceeded", "DatabaseClass " + azure.Name + " (provider azure)"} {
			if !eventSays(t, ns, orders.Name, v1.ReasonFellBack, words) {
				t.Errorf("no FellBack Event saying %q", words)
			}
		}
	})

	t.Run("EachUserLogsInWithOnlyItsSecret", func(t *testing.T) {
		everyUserHasItsRoles(ctx, t, ns, orders.Name, "azure_pg_admin", "orders", roleChecks{
			"app": {createdb: true}, "admin": {admin: true}, "reporting": {}, "sysadmin": {admin: true, createdb: true},
		})
	})

	t.Run("AnExistingDatabaseNeverMoves", func(t *testing.T) {
		// The quota refuses new instances, not changes to one that exists: steady grows
		// where it is.
		if err := update(ctx, steady, func(s *v1.RDSDatabaseSpec) { s.Size = "30GB" }); err != nil {
			t.Fatal(err)
		}
		cur := &v1.RDSDatabase{}
		err := harness.WaitFor(ctx, readyTimeout, func(ctx context.Context) (bool, error) {
			if err := stack.Client.Get(ctx, client.ObjectKeyFromObject(steady), cur); err != nil {
				return false, err
			}
			return cur.Status.Cloud != nil && cur.Status.Cloud.AllocatedStorageGiB == 30, nil
		})
		if err != nil {
			t.Fatalf("steady never grew to 30 GiB on RDS: %v; status %+v", err, cur.Status)
		}
		cur = waitReady(t, steady)
		if cur.Status.Class != onAWS.Name || cur.Status.Provider != v1.ProviderAWS {
			t.Errorf("status.class %q provider %q, want %s on aws: a database that exists never moves", cur.Status.Class, cur.Status.Provider, onAWS.Name)
		}
		if azureServerExists(naming.Identifier(ns, steady.Name)) {
			t.Error("an Azure server was made for steady, whose database is on RDS")
		}
		var list eventsv1.EventList
		if err := stack.Client.List(ctx, &list, client.InNamespace(ns)); err != nil {
			t.Fatal(err)
		}
		for _, e := range list.Items {
			if e.Regarding.Name == steady.Name && e.Reason == v1.ReasonFellBack {
				t.Errorf("steady has a FellBack Event: %s", e.Note)
			}
		}
	})

	if err := stack.Emulator.SetQuotas(emulator.Quotas{}); err != nil {
		t.Fatal(err)
	}
	for _, db := range []*v1.RDSDatabase{orders, steady} {
		if err := stack.Client.Delete(ctx, db); err != nil {
			t.Fatal(err)
		}
		waitGone(t, db)
	}
	if azureServerExists(id) {
		t.Error("the Azure server is still there after the object with deletionPolicy Delete went")
	}
}
