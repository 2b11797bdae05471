package e2e

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsrds "github.com/aws/aws-sdk-go-v2/service/rds"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/matrixmind-cloud/aws-rds-operator/api/v1"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/naming"
	"github.com/matrixmind-cloud/aws-rds-operator/test/harness"
)

// TestAuroraClusters applies one object of each Aurora engine, at once: each becomes a DB
// cluster with a writer instance (and a reader when asked), Services on the writer and reader
// endpoints, and Secrets users log in with; deleting takes a final cluster snapshot.
func TestAuroraClusters(t *testing.T) {
	ctx := context.Background()
	addNodes(t)
	ns := namespace(t, "aurora")
	pg := &v1.RDSDatabase{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "ledger"}}
	pg.Spec.Type = v1.TypeAuroraPostgreSQL
	pg.Spec.Users = map[string]v1.UserRoles{"app": {v1.RoleCreateDB}}
	pg.Spec.Databases = map[string]v1.DatabaseUsers{"ledger": {"app"}}
	pg.Spec.HighAvailability = &v1.HighAvailability{ReadReplicas: 1}
	pg.Spec.DeletionPolicy = v1.DeletionSnapshot
	my := &v1.RDSDatabase{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "carts"}}
	my.Spec.Type = v1.TypeAuroraMySQL
	my.Spec.Users = map[string]v1.UserRoles{"app": {}}
	my.Spec.Databases = map[string]v1.DatabaseUsers{"carts": {"app"}}
	my.Spec.DeletionPolicy = v1.DeletionDelete
	for _, db := range []*v1.RDSDatabase{pg, my} {
		if err := stack.Client.Create(ctx, db); err != nil {
			t.Fatal(err)
		}
	}
	gotPG, gotMy := waitReady(t, pg), waitReady(t, my)
	id := naming.Identifier(ns, pg.Name)
	api, err := stack.RDS(ctx)
	if err != nil {
		t.Fatal(err)
	}

	t.Run("StatusMirrorsTheClusterAndItsMembers", func(t *testing.T) {
		c := gotPG.Status.Cloud
		if c == nil || c.Engine != "aurora-postgresql" || c.Identifier != id || c.Status != "available" || !c.StorageEncrypted {
			t.Fatalf("status.cloud = %+v, want an available, encrypted aurora-postgresql cluster %s", c, id)
		}
		roles := map[string]int{}
		for _, m := range gotPG.Status.Members {
			roles[m.Role]++
			if m.Status != "available" {
				t.Errorf("member %+v is not available", m)
			}
		}
		if roles["writer"] != 1 || roles["reader"] != 1 {
			t.Errorf("members = %+v, want one writer and one reader", gotPG.Status.Members)
		}
		if len(gotMy.Status.Members) != 1 || gotMy.Status.Members[0].Role != "writer" || gotMy.Status.ReaderService != "" {
			t.Errorf("aurora-mysql without readers: members %+v, reader service %q; want only a writer and no reader Service", gotMy.Status.Members, gotMy.Status.ReaderService)
		}
	})

	t.Run("ServicesAndSecretsPointAtTheClusterEndpoints", func(t *testing.T) {
		out, err := api.DescribeDBClusters(ctx, &awsrds.DescribeDBClustersInput{DBClusterIdentifier: aws.String(id)})
		if err != nil || len(out.DBClusters) != 1 {
			t.Fatalf("describe cluster: %v", err)
		}
		cluster := out.DBClusters[0]
		writer, reader := aws.ToString(cluster.Endpoint), aws.ToString(cluster.ReaderEndpoint)
		for name, want := range map[string]string{"ledger-rds": writer, "ledger-rds-ro": reader} {
			svc := &corev1.Service{}
			if err := stack.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, svc); err != nil {
				t.Fatalf("service %s: %v", name, err)
			}
			if svc.Spec.ExternalName != want {
				t.Errorf("service %s points at %s, want %s", name, svc.Spec.ExternalName, want)
			}
		}
		data := secretData(t, ns, "ledger.rds.app")
		if string(data["host"]) != writer || string(data["ro-host"]) != reader {
			t.Errorf("secret host %s, ro-host %s; want the writer %s and reader %s endpoints", data["host"], data["ro-host"], writer, reader)
		}
	})

	t.Run("UsersLogInWithTheirSecrets", func(t *testing.T) {
		if err := logsIn(ctx, string(secretData(t, ns, "ledger.rds.app")["uri"]), ""); err != nil {
			t.Errorf("aurora-postgresql app: %v", err)
		}
		conn, err := mysqlLogin(ctx, t, string(secretData(t, ns, "carts.rds.app")["uri"]), "")
		if err != nil {
			t.Errorf("aurora-mysql app: %v", err)
		} else {
			_ = conn.Close()
		}
	})

	t.Run("MasterRotationGoesThroughTheCluster", func(t *testing.T) {
		old := string(secretData(t, ns, "ledger.rds.master")["uri"])
		if err := annotate(ctx, pg, map[string]string{v1.AnnotationRotatePrefix + v1.RotateMaster: "aurora-1"}); err != nil {
			t.Fatal(err)
		}
		waitRotated(t, ns, "ledger.rds.master", "aurora-1")
		if err := logsIn(ctx, string(secretData(t, ns, "ledger.rds.master")["uri"]), ""); err != nil {
			t.Errorf("the new master password: %v", err)
		}
		if err := logsIn(ctx, old, ""); err == nil {
			t.Errorf("the old master password still works")
		}
	})

	t.Run("InstanceClassChangesEveryMember", func(t *testing.T) {
		if err := update(ctx, pg, func(s *v1.RDSDatabaseSpec) { s.InstanceClass = "db.r6g.large" }); err != nil {
			t.Fatal(err)
		}
		got := waitReady(t, pg)
		for _, m := range got.Status.Members {
			out, err := api.DescribeDBInstances(ctx, &awsrds.DescribeDBInstancesInput{DBInstanceIdentifier: aws.String(m.Identifier)})
			if err != nil || len(out.DBInstances) != 1 {
				t.Fatalf("describe %s: %v", m.Identifier, err)
			}
			if class := aws.ToString(out.DBInstances[0].DBInstanceClass); class != "db.r6g.large" {
				t.Errorf("%s %s has class %s, want db.r6g.large", m.Role, m.Identifier, class)
			}
		}
	})

	t.Run("VersionUpgradeGoesThroughTheCluster", func(t *testing.T) {
		if err := update(ctx, pg, func(s *v1.RDSDatabaseSpec) { s.Version = "16.8" }); err != nil {
			t.Fatal(err)
		}
		err := harness.WaitFor(ctx, readyTimeout, func(ctx context.Context) (bool, error) {
			got := &v1.RDSDatabase{}
			if err := stack.Client.Get(ctx, client.ObjectKeyFromObject(pg), got); err != nil {
				return false, err
			}
			return got.Status.Cloud != nil && got.Status.Cloud.EngineVersion == "16.8", nil
		})
		if err != nil {
			t.Fatalf("the cluster never reported 16.8: %v", err)
		}
		waitReady(t, pg)
	})

	t.Run("WriteARowToKeep", func(t *testing.T) {
		conn, err := loginWith(ctx, string(secretData(t, ns, "ledger.rds.app")["uri"]), "")
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = conn.Close(ctx) }()
		if _, err := conn.Exec(ctx, "create table entries (v text); insert into entries values ('in the final cluster snapshot')"); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("DeleteTakesAFinalClusterSnapshot", func(t *testing.T) {
		for _, db := range []*v1.RDSDatabase{pg, my} {
			if err := stack.Client.Delete(ctx, db); err != nil {
				t.Fatal(err)
			}
		}
		waitGone(t, pg)
		waitGone(t, my)
		for _, db := range []*v1.RDSDatabase{gotPG, gotMy} {
			cid := naming.Identifier(ns, db.Name)
			out, err := api.DescribeDBClusters(ctx, &awsrds.DescribeDBClustersInput{DBClusterIdentifier: aws.String(cid)})
			if err == nil && len(out.DBClusters) > 0 && aws.ToString(out.DBClusters[0].Status) != "deleting" {
				t.Errorf("cluster %s is still there", cid)
			}
		}
		final := naming.FinalSnapshotIdentifier(id, string(gotPG.UID))
		snaps, err := api.DescribeDBClusterSnapshots(ctx, &awsrds.DescribeDBClusterSnapshotsInput{DBClusterSnapshotIdentifier: aws.String(final)})
		if err != nil || len(snaps.DBClusterSnapshots) != 1 {
			t.Fatalf("final cluster snapshot %s: %v", final, err)
		}

		t.Run("RestoresIntoANewObject", func(t *testing.T) {
			back := &v1.RDSDatabase{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "ledger-back"}}
			back.Spec.Type = v1.TypeAuroraPostgreSQL
			back.Spec.DeletionPolicy = v1.DeletionDelete
			back.Spec.RestoreFrom = &v1.RestoreFrom{Snapshot: final}
			back.Spec.Users = map[string]v1.UserRoles{"app": {v1.RoleCreateDB}}
			back.Spec.Databases = map[string]v1.DatabaseUsers{"ledger": {"app"}}
			if err := stack.Client.Create(ctx, back); err != nil {
				t.Fatalf("an Aurora restore was refused: %v", err)
			}
			waitReady(t, back)
			if err := logsIn(ctx, string(secretData(t, ns, "ledger-back.rds.master")["uri"]), ""); err != nil {
				t.Errorf("the master Secret does not open the restored cluster: %v", err)
			}
			conn, err := loginWith(ctx, string(secretData(t, ns, "ledger-back.rds.app")["uri"]), "")
			if err != nil {
				t.Fatal(err)
			}
			defer func() { _ = conn.Close(ctx) }()
			var v string
			if err := conn.QueryRow(ctx, "select v from entries").Scan(&v); err != nil || v != "in the final cluster snapshot" {
				t.Errorf("the restored cluster reads %q, %v; want the row written before the delete", v, err)
			}
			if err := stack.Client.Delete(ctx, back); err != nil {
				t.Fatal(err)
			}
			waitGone(t, back)
		})
	})
}
