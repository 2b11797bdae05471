package e2e

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsrds "github.com/aws/aws-sdk-go-v2/service/rds"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/matrixmind-cloud/aws-rds-operator/api/v1"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/naming"
	"github.com/matrixmind-cloud/aws-rds-operator/test/harness"
)

// zones are where the test's Nodes run: the emulator's region is us-east-1.
var zones = []string{"us-east-1a", "us-east-1b", "us-east-1c"}

// addNodes registers Nodes in zones (and one in another region, which must be ignored), as
// a cluster spread over three zones would have.
func addNodes(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	for i, z := range append(slices.Clone(zones), "eu-west-1a") {
		n := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("node-%d", i), Labels: map[string]string{"topology.kubernetes.io/zone": z}}}
		if err := stack.Client.Create(ctx, n); client.IgnoreAlreadyExists(err) != nil {
			t.Fatal(err)
		}
	}
}

// TestReadReplicasFollowTheSpec asks for a Multi-AZ database with two read replicas: they are
// placed in two different zones of the cluster's Nodes, a row written on the primary is read
// through the reader Service's host, and scaling down deletes replicas without touching the
// primary.
func TestReadReplicasFollowTheSpec(t *testing.T) {
	ctx := context.Background()
	addNodes(t)
	ns := namespace(t, "replicas")
	db := &v1.RDSDatabase{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "catalog"}}
	db.Spec.Users = map[string]v1.UserRoles{"app": {}}
	db.Spec.Databases = map[string]v1.DatabaseUsers{"catalog": {"app"}}
	db.Spec.HighAvailability = &v1.HighAvailability{MultiAZ: true, ReadReplicas: 2}
	db.Spec.DeletionPolicy = v1.DeletionSnapshot
	if err := stack.Client.Create(ctx, db); err != nil {
		t.Fatal(err)
	}
	got := waitReady(t, db)
	primary := naming.Identifier(ns, db.Name)

	t.Run("ReplicasSpreadOverTheNodesZones", func(t *testing.T) {
		if !got.Status.Cloud.MultiAZ {
			t.Errorf("status.cloud.multiAZ = false, want true")
		}
		if len(got.Status.Replicas) != 2 {
			t.Fatalf("status.replicas = %+v, want 2", got.Status.Replicas)
		}
		seen := map[string]bool{}
		for i, r := range got.Status.Replicas {
			if want := naming.ReplicaIdentifier(ns, db.Name, i+1); r.Identifier != want || r.Status != "available" {
				t.Errorf("replica %d = %+v, want %s available", i+1, r, want)
			}
			if !slices.Contains(zones, r.AvailabilityZone) || seen[r.AvailabilityZone] {
				t.Errorf("replica %s in zone %q: want a distinct zone among %v", r.Identifier, r.AvailabilityZone, zones)
			}
			seen[r.AvailabilityZone] = true
		}
	})

	t.Run("ARowWrittenOnThePrimaryIsReadThroughTheReaders", func(t *testing.T) {
		data := secretData(t, ns, "catalog.rds.app")
		conn, err := loginWith(ctx, string(data["uri"]), "")
		if err != nil {
			t.Fatal(err)
		}
		for _, sql := range []string{"CREATE TABLE items (id int)", "INSERT INTO items VALUES (42)"} {
			if _, err := conn.Exec(ctx, sql); err != nil {
				t.Fatalf("%s: %v", sql, err)
			}
		}
		conn.Close(ctx)
		svc := &corev1.Service{}
		if err := stack.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: "catalog-rds-ro"}, svc); err != nil {
			t.Fatalf("reader Service: %v", err)
		}
		if string(data["ro-host"]) == "" || svc.Spec.ExternalName != string(data["ro-host"]) || strconv.Itoa(int(svc.Spec.Ports[0].Port)) != string(data["ro-port"]) {
			t.Fatalf("reader Service %s:%d and Secret ro-host %s:%s disagree", svc.Spec.ExternalName, svc.Spec.Ports[0].Port, data["ro-host"], data["ro-port"])
		}
		readerURI := (&url.URL{Scheme: "postgresql", User: url.UserPassword("app", string(data["password"])),
			Host: string(data["ro-host"]) + ":" + string(data["ro-port"]), Path: "/catalog", RawQuery: "sslmode=require"}).String()
		err = harness.WaitFor(ctx, readyTimeout, func(ctx context.Context) (bool, error) {
			conn, err := loginWith(ctx, readerURI, "")
			if err != nil {
				return false, nil
			}
			defer conn.Close(ctx)
			var id int
			if err := conn.QueryRow(ctx, "SELECT id FROM items").Scan(&id); err != nil {
				return false, nil // not replayed yet
			}
			return id == 42, nil
		})
		if err != nil {
			t.Errorf("the row written on the primary was not read on the replica: %v", err)
		}
		conn, err = loginWith(ctx, readerURI, "")
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "INSERT INTO items VALUES (1)"); sqlState(err) != "25006" {
			t.Errorf("a write on the replica: %v, want read_only_sql_transaction (25006)", err)
		}
	})

	t.Run("ScalingDownNeverTouchesThePrimary", func(t *testing.T) {
		stack.Emulator.ResetStats()
		if err := update(ctx, db, func(s *v1.RDSDatabaseSpec) { s.HighAvailability.ReadReplicas = 0 }); err != nil {
			t.Fatal(err)
		}
		got := waitReady(t, db)
		err := harness.WaitFor(ctx, readyTimeout, func(ctx context.Context) (bool, error) {
			err := stack.Client.Get(ctx, client.ObjectKeyFromObject(db), got)
			return err == nil && len(got.Status.Replicas) == 0 && got.Status.ReaderService == "", err
		})
		if err != nil {
			t.Fatalf("replicas still listed: %+v", got.Status.Replicas)
		}
		for _, c := range stack.Emulator.Stats().Log {
			if c.ID == primary && c.Action != "DescribeDBInstances" {
				t.Errorf("scaling down called %s on the primary", c.Action)
			}
		}
		// The Secret follows within a pass or two (the cache may show it a moment late).
		err = harness.WaitFor(ctx, readyTimeout, func(ctx context.Context) (bool, error) {
			sec := &corev1.Secret{}
			if err := stack.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: "catalog.rds.app"}, sec); err != nil {
				return false, err
			}
			_, stale := sec.Data["ro-host"]
			return !stale, nil
		})
		if err != nil {
			t.Errorf("the Secret still has ro-host without readers: %v", err)
		}
		err = harness.WaitFor(ctx, readyTimeout, func(ctx context.Context) (bool, error) {
			err := stack.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: "catalog-rds-ro"}, &corev1.Service{})
			return apierrors.IsNotFound(err), client.IgnoreNotFound(err)
		})
		if err != nil {
			t.Errorf("the reader Service is still there without readers: %v", err)
		}
	})

	t.Run("DeleteRemovesTheReplicasFirstAndSnapshotsThePrimary", func(t *testing.T) {
		if err := update(ctx, db, func(s *v1.RDSDatabaseSpec) { s.HighAvailability.ReadReplicas = 1 }); err != nil {
			t.Fatal(err)
		}
		got := waitReady(t, db)
		if len(got.Status.Replicas) != 1 {
			t.Fatalf("status.replicas = %+v, want 1", got.Status.Replicas)
		}
		replica := got.Status.Replicas[0].Identifier
		if err := stack.Client.Delete(ctx, db); err != nil {
			t.Fatal(err)
		}
		waitGone(t, db)
		api, err := stack.RDS(ctx)
		if err != nil {
			t.Fatal(err)
		}
		// Had the primary gone first, RDS would have promoted the replica: it would be left.
		for _, id := range []string{primary, replica} {
			out, err := api.DescribeDBInstances(ctx, &awsrds.DescribeDBInstancesInput{DBInstanceIdentifier: aws.String(id)})
			if err == nil && len(out.DBInstances) > 0 && aws.ToString(out.DBInstances[0].DBInstanceStatus) != "deleting" {
				t.Errorf("%s is still there (%s) after the object was deleted", id, aws.ToString(out.DBInstances[0].DBInstanceStatus))
			}
		}
		final := naming.FinalSnapshotIdentifier(primary, string(got.UID))
		snaps, err := api.DescribeDBSnapshots(ctx, &awsrds.DescribeDBSnapshotsInput{DBSnapshotIdentifier: aws.String(final)})
		if err != nil || len(snaps.DBSnapshots) != 1 {
			t.Errorf("final snapshot %s: %v", final, err)
		}
	})
}

// TestMySQLReadReplica gives a MySQL database one read replica: a row written on the primary
// is read through the Secret's ro-host, and the replica refuses writes.
func TestMySQLReadReplica(t *testing.T) {
	ctx := context.Background()
	addNodes(t)
	ns := namespace(t, "mysql-replica")
	db := &v1.RDSDatabase{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "stock"}}
	db.Spec.Type = v1.TypeMySQL
	db.Spec.Users = map[string]v1.UserRoles{"app": {}}
	db.Spec.Databases = map[string]v1.DatabaseUsers{"stock": {"app"}}
	db.Spec.HighAvailability = &v1.HighAvailability{ReadReplicas: 1}
	db.Spec.DeletionPolicy = v1.DeletionDelete
	if err := stack.Client.Create(ctx, db); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = stack.Client.Delete(ctx, db) })
	waitReady(t, db)

	data := secretData(t, ns, "stock.rds.app")
	primary, err := mysqlLogin(ctx, t, string(data["uri"]), "")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = primary.Close() }()
	for _, stmt := range []string{"CREATE TABLE items (id int)", "INSERT INTO items VALUES (7)"} {
		if _, err := primary.ExecContext(ctx, stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	readerURI := (&url.URL{Scheme: "mysql", User: url.UserPassword("app", string(data["password"])),
		Host: string(data["ro-host"]) + ":" + string(data["ro-port"]), Path: "/stock", RawQuery: "ssl-mode=REQUIRED"}).String()
	err = harness.WaitFor(ctx, readyTimeout, func(ctx context.Context) (bool, error) {
		reader, err := mysqlLogin(ctx, t, readerURI, "")
		if err != nil {
			return false, nil
		}
		defer func() { _ = reader.Close() }()
		var id int
		if err := reader.QueryRowContext(ctx, "SELECT id FROM items").Scan(&id); err != nil {
			return false, nil // not replicated yet
		}
		return id == 7, nil
	})
	if err != nil {
		t.Fatalf("the row written on the primary was not read on the replica: %v", err)
	}
	reader, err := mysqlLogin(ctx, t, readerURI, "")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = reader.Close() }()
	if _, err := reader.ExecContext(ctx, "INSERT INTO items VALUES (8)"); mysqlErrNumber(err) != 1290 {
		t.Errorf("a write on the replica: %v, want error 1290 (read-only)", err)
	}
}
