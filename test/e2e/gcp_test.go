package e2e

import (
	"compress/gzip"
	"context"
	"io"
	"net/url"
	"slices"
	"strings"
	"testing"

	"google.golang.org/api/option"
	storage "google.golang.org/api/storage/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/matrixmind-cloud/aws-rds-operator/api/v1"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/cloud/gcp"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/naming"
	"github.com/matrixmind-cloud/aws-rds-operator/test/harness"
)

// TestGoogleCloudSQL is the user's story on another cloud: the same RDSDatabase, on a
// DatabaseClass with provider gcp, becomes a Cloud SQL instance (the emulator's, backed by a
// real PostgreSQL) with its users, databases and Secrets; it grows, rotates a password, and
// its deletion with deletionPolicy Snapshot leaves a final backup that outlives it.
func TestGoogleCloudSQL(t *testing.T) {
	ctx := context.Background()
	class := &v1.DatabaseClass{ObjectMeta: metav1.ObjectMeta{Name: "e2e-gcp"}, Spec: v1.DatabaseClassSpec{
		Provider: v1.ProviderGCP, GCP: &v1.GCPClassParameters{Project: harness.GCPProject, Region: "us-central1", Tier: "db-custom-1-3840"},
	}}
	if err := stack.Client.Create(ctx, class); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = stack.Client.Delete(ctx, class) })
	ns := namespace(t, "gcp")
	db := &v1.RDSDatabase{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "orders"}}
	db.Spec.Class = class.Name
	db.Spec.Size = "20GB"
	db.Spec.DeletionPolicy = v1.DeletionSnapshot
	db.Spec.Users = map[string]v1.UserRoles{"app": {v1.RoleCreateDB}, "admin": {v1.RoleSuperuser}, "reporting": {}}
	db.Spec.Databases = map[string]v1.DatabaseUsers{"orders": {"app", "reporting"}}
	if err := stack.Client.Create(ctx, db); err != nil {
		t.Fatalf("apply: %v", err)
	}
	got := waitReady(t, db)
	id := naming.Identifier(ns, db.Name)

	t.Run("SecretsExistedBeforeTheFirstCloudCall", func(t *testing.T) {
		secretsWereFirst(t, id, "Cloud SQL", []string{"orders.rds.admin", "orders.rds.app", "orders.rds.master", "orders.rds.reporting"})
	})

	t.Run("StatusSaysWhereItIs", func(t *testing.T) {
		placedOn(t, got, class.Name, v1.ProviderGCP, id)
		if c := got.Status.Cloud; c == nil || c.Identifier != id || c.Status != "RUNNABLE" || c.InstanceClass != "db-custom-1-3840" || c.AllocatedStorageGiB != 20 || c.Endpoint == "" {
			t.Errorf("status.cloud = %+v, want Cloud SQL instance %s RUNNABLE, tier db-custom-1-3840, 20 GiB, with an endpoint", c, id)
		}
	})

	t.Run("EachUserCanDoWhatItsRolesSay", func(t *testing.T) {
		everyUserHasItsRoles(ctx, t, ns, "orders", "cloudsqlsuperuser", "orders", roleChecks{
			"app": {createdb: true}, "admin": {admin: true}, "reporting": {}, "sysadmin": {admin: true, createdb: true},
		})
		// app owns orders: what it writes there is what the final backup must keep.
		app, err := loginWith(ctx, string(secretData(t, ns, "orders.rds.app")["uri"]), "orders")
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = app.Close(ctx) }()
		if _, err := app.Exec(ctx, "create table payments (v text); insert into payments values ('kept in the final backup')"); err != nil {
			t.Errorf("app cannot write to the database it owns: %v", err)
		}
	})

	t.Run("ServerVerifiedAgainstItsOwnCA", func(t *testing.T) {
		// Cloud SQL publishes each instance's own server CA (serverCaCert); the operator
		// verified the server against it to get here, and each Secret carries it, so an
		// application verifies the chain too (verify-ca: the certificate names the
		// instance, not its address).
		verifiesOnlyWithItsCA(ctx, t, secretData(t, ns, "orders.rds.app"), "verify-ca")
	})

	t.Run("Grows", func(t *testing.T) {
		if err := update(ctx, db, func(s *v1.RDSDatabaseSpec) { s.Size = "30GB" }); err != nil {
			t.Fatal(err)
		}
		err := harness.WaitFor(ctx, readyTimeout, func(ctx context.Context) (bool, error) {
			cur := &v1.RDSDatabase{}
			if err := stack.Client.Get(ctx, client.ObjectKeyFromObject(db), cur); err != nil {
				return false, err
			}
			return cur.Status.Cloud != nil && cur.Status.Cloud.AllocatedStorageGiB == 30, nil
		})
		if err != nil {
			t.Fatalf("the instance never reached 30 GB: %v", err)
		}
		waitReady(t, db)
	})

	t.Run("DatabaseFlags", func(t *testing.T) {
		// spec.parameters are Cloud SQL database flags; Cloud SQL restarts the instance by
		// itself for one that needs it (max_connections), whatever rebootPolicy says.
		master := string(secretData(t, ns, "orders.rds.master")["uri"])
		show := func(name string) string { return setting(ctx, master, name) }
		if err := update(ctx, db, func(s *v1.RDSDatabaseSpec) {
			s.Parameters = map[string]string{"work_mem": "8192", "max_connections": "120"}
		}); err != nil {
			t.Fatal(err)
		}
		err := harness.WaitFor(ctx, readyTimeout, func(ctx context.Context) (bool, error) {
			return show("work_mem") == "8MB" && show("max_connections") == "120", nil
		})
		if err != nil {
			t.Fatalf("the flags never reached the server: work_mem %s, max_connections %s", show("work_mem"), show("max_connections"))
		}
		waitCondition(t, db, v1.ConditionParametersApplied, v1.ReasonParametersInSync)
		if err := update(ctx, db, func(s *v1.RDSDatabaseSpec) { s.Parameters = nil }); err != nil {
			t.Fatal(err)
		}
		err = harness.WaitFor(ctx, readyTimeout, func(ctx context.Context) (bool, error) {
			return show("work_mem") == "4MB" && show("max_connections") != "120", nil
		})
		if err != nil {
			t.Fatalf("the flags removed stayed on the server: work_mem %s, max_connections %s", show("work_mem"), show("max_connections"))
		}
		waitReady(t, db)
	})

	t.Run("RotatesAPassword", func(t *testing.T) {
		old := secretData(t, ns, "orders.rds.app")
		if err := annotate(ctx, db, map[string]string{v1.AnnotationRotatePrefix + "app": "1"}); err != nil {
			t.Fatal(err)
		}
		waitRotated(t, ns, "orders.rds.app", "1")
		now := secretData(t, ns, "orders.rds.app")
		if err := logsIn(ctx, string(now["uri"]), ""); err != nil {
			t.Errorf("the new password does not log in: %v", err)
		}
		if err := logsIn(ctx, string(old["uri"]), ""); sqlState(err) != "28P01" {
			t.Errorf("the old password still logs in (or fails oddly): %v", err)
		}
	})

	t.Run("ReadReplica", func(t *testing.T) {
		if err := update(ctx, db, func(s *v1.RDSDatabaseSpec) { s.HighAvailability = &v1.HighAvailability{ReadReplicas: 1} }); err != nil {
			t.Fatal(err)
		}
		waitCondition(t, db, v1.ConditionReplicasReady, v1.ReasonReplicasAvailable)
		data := secretData(t, ns, "orders.rds.app")
		svc := &corev1.Service{}
		if err := stack.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: "orders-rds-ro"}, svc); err != nil {
			t.Fatalf("reader Service: %v", err)
		}
		if string(data["ro-host"]) == "" || svc.Spec.ExternalName != string(data["ro-host"]) || string(data["ro-host"]) == string(data["host"]) {
			t.Fatalf("reader Service %s and Secret ro-host %q: want the Cloud SQL replica's own address, not the primary's %s", svc.Spec.ExternalName, data["ro-host"], data["host"])
		}
		readerURI := (&url.URL{Scheme: "postgresql", User: url.UserPassword("app", string(data["password"])),
			Host: string(data["ro-host"]) + ":" + string(data["ro-port"]), Path: "/orders", RawQuery: "sslmode=require"}).String()
		err := harness.WaitFor(ctx, readyTimeout, func(ctx context.Context) (bool, error) {
			conn, err := loginWith(ctx, readerURI, "")
			if err != nil {
				return false, nil
			}
			defer func() { _ = conn.Close(ctx) }()
			var v string
			if err := conn.QueryRow(ctx, "select v from payments").Scan(&v); err != nil {
				return false, nil // not replayed yet
			}
			return v == "kept in the final backup", nil
		})
		if err != nil {
			t.Fatalf("the row app wrote on the primary is not read on the replica: %v", err)
		}
		conn, err := loginWith(ctx, readerURI, "")
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = conn.Close(ctx) }()
		if _, err := conn.Exec(ctx, "insert into payments values ('written on a replica')"); sqlState(err) != "25006" {
			t.Errorf("a write on the replica answered %v, want read-only (25006)", err)
		}
	})

	t.Run("DeleteLeavesAFinalBackup", func(t *testing.T) {
		// Exports to a bucket on: Cloud SQL exports the live instance, so the final export
		// runs before the delete, one database at a time.
		if err := update(ctx, db, func(s *v1.RDSDatabaseSpec) {
			s.Backup.Export = &v1.BackupExport{Bucket: harness.ExportBucket, Prefix: "cloudsql"}
		}); err != nil {
			t.Fatal(err)
		}
		cur := &v1.RDSDatabase{}
		if err := stack.Client.Get(ctx, client.ObjectKeyFromObject(db), cur); err != nil {
			t.Fatal(err)
		}
		final := naming.FinalSnapshotIdentifier(id, string(cur.UID))
		if err := stack.Client.Delete(ctx, cur); err != nil {
			t.Fatal(err)
		}
		waitGone(t, cur)

		t.Run("ExportedBeforeItWent", func(t *testing.T) {
			gcsURL := stack.CloudSQL.GCSEndpoint()
			if gcsURL == "" {
				var err error
				if gcsURL, err = stack.CloudSQL.ListenGCS("127.0.0.1:0"); err != nil {
					t.Fatal(err)
				}
			}
			gcs, err := storage.NewService(ctx, option.WithEndpoint(gcsURL+"/storage/v1/"), option.WithoutAuthentication())
			if err != nil {
				t.Fatal(err)
			}
			folder := "cloudsql/" + naming.ExportIdentifier(id, final) + "/"
			list, err := gcs.Objects.List(harness.ExportBucket).Prefix(folder).Do()
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, o := range list.Items {
				names = append(names, strings.TrimPrefix(o.Name, folder))
			}
			if want := []string{"1-of-2-orders.sql.gz", "2-of-2-postgres.sql.gz"}; !slices.Equal(names, want) {
				t.Fatalf("the final export wrote %v under gs://%s/%s, want %v: one file per database", names, harness.ExportBucket, folder, want)
			}
			resp, err := gcs.Objects.Get(harness.ExportBucket, folder+names[0]).Download()
			if err != nil {
				t.Fatal(err)
			}
			defer func() { _ = resp.Body.Close() }()
			zr, err := gzip.NewReader(resp.Body)
			if err != nil {
				t.Fatal(err)
			}
			dump, err := io.ReadAll(zr)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(dump), "kept in the final backup") {
				t.Errorf("the export of orders lacks the row app wrote before the delete:\n%s", dump)
			}
		})
		p, err := gcp.New(ctx, gcp.Config{Project: harness.GCPProject, Region: "us-central1", Endpoint: stack.CloudSQLURL})
		if err != nil {
			t.Fatal(err)
		}
		if obs, err := p.Observe(ctx, id); err != nil || obs.Exists {
			t.Errorf("the instance is still there after the object went (exists %t, err %v)", obs.Exists, err)
		}
		snap, found, err := p.Snapshot(ctx, final)
		if err != nil || !found || !snap.Available {
			t.Fatalf("final backup %s: found %t, %+v, err %v; want it complete", final, found, snap, err)
		}
		if owner := snap.Tags[v1.TagOwner]; owner != naming.Owner(ns, db.Name) {
			t.Errorf("the final backup names owner %q, want %s: it decides who may restore it", owner, naming.Owner(ns, db.Name))
		}
		// The Secrets outlive the object, as on AWS.
		sec := &corev1.Secret{}
		if err := stack.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: "orders.rds.app"}, sec); err != nil {
			t.Errorf("the app Secret went with the object: %v", err)
		}

		t.Run("RestoresIntoANewObject", func(t *testing.T) {
			back := &v1.RDSDatabase{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "orders-back"}}
			back.Spec.Class = class.Name
			back.Spec.Size = "30GB"
			back.Spec.DeletionPolicy = v1.DeletionDelete
			back.Spec.RestoreFrom = &v1.RestoreFrom{Snapshot: final}
			back.Spec.Users = map[string]v1.UserRoles{"app": {}}
			back.Spec.Databases = map[string]v1.DatabaseUsers{"orders": {"app"}}
			if err := stack.Client.Create(ctx, back); err != nil {
				t.Fatal(err)
			}
			waitReady(t, back)
			conn, err := loginWith(ctx, string(secretData(t, ns, "orders-back.rds.app")["uri"]), "orders")
			if err != nil {
				t.Fatalf("app of the restored object cannot log in with its own Secret: %v", err)
			}
			defer func() { _ = conn.Close(ctx) }()
			var v string
			if err := conn.QueryRow(ctx, "select v from payments").Scan(&v); err != nil || v != "kept in the final backup" {
				t.Errorf("the restored database reads %q, %v; want the row written before the delete", v, err)
			}
			if err := stack.Client.Delete(ctx, back); err != nil {
				t.Fatal(err)
			}
			waitGone(t, back)
		})
	})
	if t.Failed() {
		t.Logf("operator log lines about %s:\n%s", id, grepLines(stack.Logs(), id))
	}
}

// grepLines returns the lines of text containing s.
func grepLines(text, s string) string {
	var out []string
	for _, line := range strings.Split(text, "\n") {
		if strings.Contains(line, s) {
			out = append(out, line)
		}
	}
	return strings.Join(out, "\n")
}
