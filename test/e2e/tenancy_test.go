package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsrds "github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/rds/types"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/matrixmind-cloud/aws-rds-operator/api/v1"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/naming"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/operator"
	"github.com/matrixmind-cloud/aws-rds-operator/test/harness"
)

// tenant is a person whose RBAC allows RDSDatabases and Secrets only in their own namespace,
// as a platform team grants an application team.
type tenant struct {
	namespace string
	client    client.Client
}

// newTenant makes a namespace and a user who may manage RDSDatabases and read Secrets and
// Events there, and nothing else; its client acts as that user.
func newTenant(t *testing.T, prefix string) tenant {
	t.Helper()
	ns := namespace(t, prefix)
	user := prefix + "-user"
	grant(t, ns, "databases", user,
		rbacv1.PolicyRule{APIGroups: []string{v1.GroupVersion.Group}, Resources: []string{"rdsdatabases"}, Verbs: []string{"*"}},
		rbacv1.PolicyRule{APIGroups: []string{""}, Resources: []string{"secrets"}, Verbs: []string{"get", "list"}},
		rbacv1.PolicyRule{APIGroups: []string{"events.k8s.io"}, Resources: []string{"events"}, Verbs: []string{"get", "list"}})
	cfg := rest.CopyConfig(stack.Config)
	cfg.Impersonate = rest.ImpersonationConfig{UserName: user}
	scheme, err := operator.Scheme()
	if err != nil {
		t.Fatal(err)
	}
	c, err := client.New(cfg, client.Options{Scheme: scheme})
	if err != nil {
		t.Fatal(err)
	}
	return tenant{namespace: ns, client: c}
}

// TestTenantIsolation is two teams sharing one operator: team b, whose RBAC reaches only its
// own namespace, tries every path by which the operator's wider cloud rights could give it
// team a's data or open a database wider than the platform allows. Each is refused with a
// condition that says why and what an admin could do, and nothing is sent to the cloud for
// it; team a's own restore still works.
func TestTenantIsolation(t *testing.T) {
	ctx := context.Background()
	api, err := stack.RDS(ctx)
	if err != nil {
		t.Fatal(err)
	}
	a, b := newTenant(t, "team-a"), newTenant(t, "team-b")

	// RBAC is what it says: b cannot even read a's objects.
	if err := b.client.List(ctx, &v1.RDSDatabaseList{}, client.InNamespace(a.namespace)); !apierrors.IsForbidden(err) {
		t.Fatalf("team b listed team a's RDSDatabases: %v, want Forbidden", err)
	}

	orders := &v1.RDSDatabase{ObjectMeta: metav1.ObjectMeta{Namespace: a.namespace, Name: "orders"}}
	orders.Spec.Backup = v1.Backup{Every: "6h", Retention: "1d"} // the first scheduled snapshot is taken at once
	orders.Spec.Users = map[string]v1.UserRoles{"app": {}}
	orders.Spec.Databases = map[string]v1.DatabaseUsers{"orders": {"app"}}
	if err := a.client.Create(ctx, orders); err != nil {
		t.Fatal(err)
	}
	ready := waitReady(t, orders)
	aID := ready.Status.Cloud.Identifier
	conn, err := loginWith(ctx, string(secretData(t, a.namespace, "orders.rds.app")["uri"]), "orders")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, "CREATE TABLE secrets (v text); INSERT INTO secrets VALUES ('team a only')"); err != nil {
		t.Fatal(err)
	}
	_ = conn.Close(ctx)
	scheduled := waitLatestSnapshot(t, orders, "")

	// refused applies, as team b, an object restoring snapshot, and checks it is refused
	// with RestoreNotAllowed and an Event, and that no restore reached the cloud.
	refused := func(t *testing.T, name, snapshot string) {
		t.Helper()
		db := &v1.RDSDatabase{ObjectMeta: metav1.ObjectMeta{Namespace: b.namespace, Name: name}}
		db.Spec.DeletionPolicy = v1.DeletionDelete
		db.Spec.RestoreFrom = &v1.RestoreFrom{Snapshot: snapshot}
		if err := b.client.Create(ctx, db); err != nil {
			t.Fatal(err)
		}
		msg := waitProvisionedReason(t, db, v1.ReasonRestoreNotAllowed)
		for _, want := range []string{snapshot, "was not taken for an object in namespace " + b.namespace, "--allow-restore"} {
			if !strings.Contains(msg, want) {
				t.Errorf("the condition does not say %q: %q", want, msg)
			}
		}
		// Whose snapshot it is stays team a's business (the identifier b wrote aside).
		if rest := strings.ReplaceAll(msg, snapshot, ""); strings.Contains(rest, a.namespace) {
			t.Errorf("the condition tells team b whose snapshot it is: %q", msg)
		}
		if !eventSays(t, b.namespace, name, v1.ReasonRestoreNotAllowed, snapshot) {
			t.Errorf("no %s Event names %s", v1.ReasonRestoreNotAllowed, snapshot)
		}
		id := naming.Identifier(b.namespace, name)
		for _, c := range stack.Emulator.Stats().Log {
			if c.ID == id && c.Action != "DescribeDBInstances" && c.Action != "DescribeDBSnapshots" {
				t.Errorf("the operator called %s on %s for a refused restore", c.Action, id)
			}
		}
		if err := b.client.Delete(ctx, db); err != nil {
			t.Fatal(err)
		}
		waitGone(t, db)
	}

	t.Run("RestoreOfAnotherNamespacesScheduledSnapshot", func(t *testing.T) {
		refused(t, "steal-scheduled", scheduled)
	})

	t.Run("AdoptionByNamingTheirObject", func(t *testing.T) {
		// b names its object as a's: the cloud identifier comes from the namespace too, so
		// it is another database, and a's is never looked at for b.
		twin := &v1.RDSDatabase{ObjectMeta: metav1.ObjectMeta{Namespace: b.namespace, Name: "orders"}}
		twin.Spec.DeletionPolicy = v1.DeletionDelete
		if err := b.client.Create(ctx, twin); err != nil {
			t.Fatal(err)
		}
		got := waitReady(t, twin)
		if got.Status.Cloud.Identifier == aID {
			t.Fatalf("team b's object adopted team a's database %s", aID)
		}
		address := func(c *v1.CloudStatus) string { return fmt.Sprintf("%s:%d", c.Endpoint, c.Port) }
		theirs := strings.Replace(string(secretData(t, b.namespace, "orders.rds.master")["uri"]), address(got.Status.Cloud), address(ready.Status.Cloud), 1)
		if !strings.Contains(theirs, address(ready.Status.Cloud)) {
			t.Fatalf("the uri does not name the address %s", address(got.Status.Cloud))
		}
		if err := logsIn(ctx, theirs, ""); err == nil {
			t.Errorf("team b's master password opens team a's database")
		}
		if err := b.client.Delete(ctx, twin); err != nil {
			t.Fatal(err)
		}
		waitGone(t, twin)
	})

	t.Run("ExposureFields", func(t *testing.T) {
		cases := map[string]struct {
			reason string
			mutate func(*v1.RDSDatabaseSpec)
			field  string
		}{
			"Public": {reason: "A public address needs the admin's word.",
				mutate: func(s *v1.RDSDatabaseSpec) { s.Network = &v1.Network{PubliclyAccessible: true} },
				field:  "spec.network.publiclyAccessible: true is not allowed in namespace " + b.namespace},
			"SecurityGroup": {reason: "A security group that is not the platform's could open the database to anyone.",
				mutate: func(s *v1.RDSDatabaseSpec) {
					s.Network = &v1.Network{SecurityGroupIDs: []string{"sg-0123456789abcdef0"}}
				},
				field: "spec.network.securityGroupIds sg-0123456789abcdef0"},
			"SubnetGroup": {reason: "Another subnet group may be public or another team's VPC.",
				mutate: func(s *v1.RDSDatabaseSpec) { s.Network = &v1.Network{SubnetGroup: "public-subnets"} },
				field:  "spec.network.subnetGroup public-subnets"},
			"KMSKey": {reason: "A key of another team or account decides who can read the data.",
				mutate: func(s *v1.RDSDatabaseSpec) {
					s.Encryption = &v1.Encryption{KMSKeyID: "arn:aws:kms:us-east-1:999999999999:key/1234abcd-12ab-34cd-56ef-1234567890ab"}
				},
				field: "spec.encryption.kmsKeyId"},
		}
		for name, tc := range cases {
			t.Run(name, func(t *testing.T) {
				db := &v1.RDSDatabase{ObjectMeta: metav1.ObjectMeta{Namespace: b.namespace, Name: "exposed-" + strings.ToLower(name)}}
				db.Spec.DeletionPolicy = v1.DeletionDelete
				tc.mutate(&db.Spec)
				if err := b.client.Create(ctx, db); err != nil {
					t.Fatal(err)
				}
				msg := waitProvisionedReason(t, db, v1.ReasonSpecInvalid)
				if !strings.Contains(msg, tc.field) || !strings.Contains(msg, "--allow-") {
					t.Errorf("%s\nthe condition does not name %q and the flag that allows it: %q", tc.reason, tc.field, msg)
				}
				id := naming.Identifier(b.namespace, db.Name)
				for _, c := range stack.Emulator.Stats().Log {
					if c.ID == id && c.Action != "DescribeDBInstances" {
						t.Errorf("%s\nthe operator called %s on %s", tc.reason, c.Action, id)
					}
				}
				if err := b.client.Delete(ctx, db); err != nil {
					t.Fatal(err)
				}
				waitGone(t, db)
			})
		}
	})

	t.Run("ExistingPublicDatabaseKeepsWorking", func(t *testing.T) {
		// A database made public before the platform's rules (here: by hand, tagged for the
		// object) is adopted and keeps its address, with a warning, not a breaking change.
		const name = "legacy"
		id := naming.Identifier(b.namespace, name)
		_, err := api.CreateDBInstance(ctx, &awsrds.CreateDBInstanceInput{
			DBInstanceIdentifier: aws.String(id), Engine: aws.String("postgres"), DBInstanceClass: aws.String("db.t4g.micro"),
			AllocatedStorage: aws.Int32(20), MasterUsername: aws.String("sysadmin"), MasterUserPassword: aws.String("Legacy-Password-1"),
			BackupRetentionPeriod: aws.Int32(7), PubliclyAccessible: aws.Bool(true), StorageType: aws.String("gp3"),
			Tags: []types.Tag{{Key: aws.String(v1.TagOwner), Value: aws.String(naming.Owner(b.namespace, name))}},
		})
		if err != nil {
			t.Fatal(err)
		}
		db := &v1.RDSDatabase{ObjectMeta: metav1.ObjectMeta{Namespace: b.namespace, Name: name}}
		db.Spec.DeletionPolicy = v1.DeletionDelete
		db.Spec.Size = "20GB"
		db.Spec.Network = &v1.Network{PubliclyAccessible: true}
		if err := b.client.Create(ctx, db); err != nil {
			t.Fatal(err)
		}
		waitReady(t, db)
		if !eventSays(t, b.namespace, name, v1.EventExposureKept, "a public address") {
			t.Errorf("no %s Event says the database keeps a public address", v1.EventExposureKept)
		}
		out, err := api.DescribeDBInstances(ctx, &awsrds.DescribeDBInstancesInput{DBInstanceIdentifier: aws.String(id)})
		if err != nil || len(out.DBInstances) != 1 || !aws.ToBool(out.DBInstances[0].PubliclyAccessible) {
			t.Errorf("the existing public database was changed: %+v, %v", out, err)
		}
		if err := b.client.Delete(ctx, db); err != nil {
			t.Fatal(err)
		}
		waitGone(t, db)
	})

	// a deletes its object: the final snapshot carries a's owner tag, copied by RDS.
	if err := a.client.Delete(ctx, orders); err != nil {
		t.Fatal(err)
	}
	waitGone(t, orders)
	final := naming.FinalSnapshotIdentifier(aID, string(ready.UID))
	snaps, err := api.DescribeDBSnapshots(ctx, &awsrds.DescribeDBSnapshotsInput{DBSnapshotIdentifier: aws.String(final)})
	if err != nil || len(snaps.DBSnapshots) != 1 {
		t.Fatalf("final snapshot %s: %+v, %v", final, snaps, err)
	}
	owner := ""
	for _, tag := range snaps.DBSnapshots[0].TagList {
		if aws.ToString(tag.Key) == v1.TagOwner {
			owner = aws.ToString(tag.Value)
		}
	}
	if owner != naming.Owner(a.namespace, "orders") {
		t.Fatalf("the final snapshot's owner tag is %q, want %q", owner, naming.Owner(a.namespace, "orders"))
	}

	t.Run("RestoreOfAnotherNamespacesFinalSnapshot", func(t *testing.T) {
		refused(t, "steal-final", final)
		// By ARN, as a snapshot shared from elsewhere is named: refused the same way.
		refused(t, "steal-final-arn", aws.ToString(snaps.DBSnapshots[0].DBSnapshotArn))
	})

	t.Run("OwnNamespaceRestores", func(t *testing.T) {
		back := &v1.RDSDatabase{ObjectMeta: metav1.ObjectMeta{Namespace: a.namespace, Name: "orders-back"}}
		back.Spec.DeletionPolicy = v1.DeletionDelete
		back.Spec.RestoreFrom = &v1.RestoreFrom{Snapshot: final}
		back.Spec.Users = map[string]v1.UserRoles{"app": {}}
		back.Spec.Databases = map[string]v1.DatabaseUsers{"orders": {"app"}}
		if err := a.client.Create(ctx, back); err != nil {
			t.Fatal(err)
		}
		waitReady(t, back)
		conn, err := loginWith(ctx, string(secretData(t, a.namespace, "orders-back.rds.app")["uri"]), "orders")
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(ctx)
		var v string
		if err := conn.QueryRow(ctx, "SELECT v FROM secrets").Scan(&v); err != nil || v != "team a only" {
			t.Errorf("team a's own restore reads %q, %v", v, err)
		}
		if err := a.client.Delete(ctx, back); err != nil {
			t.Fatal(err)
		}
		waitGone(t, back)
	})
	_, _ = api.DeleteDBSnapshot(ctx, &awsrds.DeleteDBSnapshotInput{DBSnapshotIdentifier: aws.String(final)})
}

// waitProvisionedReason waits until db's Provisioned condition has reason and returns its
// message.
func waitProvisionedReason(t *testing.T, db *v1.RDSDatabase, reason string) string {
	t.Helper()
	var c *metav1.Condition
	err := harness.WaitFor(context.Background(), readyTimeout, func(ctx context.Context) (bool, error) {
		got := &v1.RDSDatabase{}
		if err := stack.Client.Get(ctx, client.ObjectKeyFromObject(db), got); err != nil {
			return false, err
		}
		c = meta.FindStatusCondition(got.Status.Conditions, v1.ConditionProvisioned)
		return c != nil && c.Reason == reason, nil
	})
	if err != nil {
		t.Fatalf("%s: Provisioned never had reason %s (last %+v): %v", db.Name, reason, c, err)
	}
	return c.Message
}
