package e2e

import (
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/matrixmind-cloud/aws-rds-operator/api/v1"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/cloud/existing"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/cloud/existing/existingtest"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/naming"
	"github.com/matrixmind-cloud/aws-rds-operator/test/harness"
)

// dumpingClass is existingClass with dumps into a claim "dumps" of the admin Secret's
// namespace (made here), run with image ("" is the server's engine and version).
func dumpingClass(t *testing.T, name string, srv existing.Server, image string) *v1.DatabaseClass {
	t.Helper()
	ctx := context.Background()
	class := existingClass(t, name, srv)
	adminNS := class.Spec.Existing.AdminSecretRef.Namespace
	claim := &corev1.PersistentVolumeClaim{ObjectMeta: metav1.ObjectMeta{Namespace: adminNS, Name: "dumps"}, Spec: corev1.PersistentVolumeClaimSpec{
		AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
		Resources:   corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("1Gi")}},
	}}
	if err := stack.Client.Create(ctx, claim); err != nil {
		t.Fatal(err)
	}
	class.Spec.Existing.Dumps = &v1.DumpParameters{ClaimName: claim.Name, Image: image}
	if err := stack.Client.Update(ctx, class); err != nil {
		t.Fatal(err)
	}
	return class
}

// TestExistingDumps: on an existing class that names a place for dumps, deletionPolicy
// Snapshot (the class's default then) is a logical dump of each of the object's databases,
// written by a Job into the class's claim before anything is dropped; the dump holds the
// users' tables and rows, and after it the object's databases and users are gone. A dump
// that cannot run holds the delete, with the database and its data untouched.
func TestExistingDumps(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name   string
		engine string
		start  func(t *testing.T) existing.Server
		// file is the dump of database "orders" in the object's dump directory; holds
		// reads it as SQL text.
		file  string
		holds func(t *testing.T, path string) string
	}{{
		name: "PostgreSQL", engine: "postgres", start: func(t *testing.T) existing.Server { return existingtest.StartPostgres(t, 0) },
		file: "orders.dump",
		holds: func(t *testing.T, path string) string {
			dir, ok := harness.PGClient()
			if !ok {
				t.Skip("no pg_restore 17 (hack/pgclient.sh fetches it; make test sets AWS_RDS_OPERATOR_PGCLIENT)")
			}
			out, err := exec.Command(filepath.Join(dir, "pg_restore"), "--file=-", path).CombinedOutput()
			if err != nil {
				t.Fatalf("pg_restore of the dump: %v: %s", err, out)
			}
			return string(out)
		},
	}, {
		name: "MariaDB", engine: "mariadb", start: func(t *testing.T) existing.Server { return existingtest.StartMariaDB(t) },
		file: "orders.sql",
		holds: func(t *testing.T, path string) string {
			out, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			return string(out)
		},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.engine == "postgres" {
				if _, ok := harness.PGClient(); !ok {
					t.Skip("no pg_dump 17 (hack/pgclient.sh fetches it; make test sets AWS_RDS_OPERATOR_PGCLIENT)")
				}
			}
			srv := tc.start(t)
			class := dumpingClass(t, "e2e-dumps-"+strings.ToLower(tc.name), srv, "")
			adminNS := class.Spec.Existing.AdminSecretRef.Namespace
			ns := namespace(t, "dumps")
			typ := v1.TypePostgreSQL
			if tc.engine == "mariadb" {
				typ = v1.TypeMariaDB
			}
			got := applyOrders(t, ns, class.Name, typ, "")
			uri := string(secretData(t, ns, "orders.rds.app")["uri"])
			write := "create table orders (id int); insert into orders values (4242)"
			if tc.engine == "postgres" {
				conn, err := loginWith(ctx, uri, "orders")
				if err != nil {
					t.Fatal(err)
				}
				_, err = conn.Exec(ctx, write)
				_ = conn.Close(ctx)
				if err != nil {
					t.Fatal(err)
				}
			} else {
				conn, err := mariadbLogin(ctx, t, uri, "orders")
				if err != nil {
					t.Fatal(err)
				}
				for _, q := range strings.Split(write, "; ") {
					if _, err := conn.ExecContext(ctx, q); err != nil {
						t.Fatal(err)
					}
				}
				_ = conn.Close()
			}

			deleteAndWait(ctx, t, got)
			id := naming.Identifier(ns, got.Name)
			final := naming.FinalSnapshotIdentifier(id, string(got.UID))
			var job batchv1.Job
			if err := stack.Client.Get(ctx, client.ObjectKey{Namespace: adminNS, Name: final}, &job); err != nil {
				t.Fatalf("no dump Job %s/%s: %v", adminNS, final, err)
			}
			if !jobDone(&job, batchv1.JobComplete) {
				t.Errorf("the object went with its dump Job not complete: %+v", job.Status)
			}
			path := filepath.Join(stack.Jobs.VolumeDir(adminNS, "dumps"), existing.DumpDir(id, final), tc.file)
			sql := tc.holds(t, path)
			for _, want := range []string{"orders", "4242"} {
				if !strings.Contains(sql, want) {
					t.Errorf("the dump lacks %q (the table and its row); the Job's log:\n%s", want, stack.Jobs.Logs(adminNS, final))
				}
			}
			if err := logsInAs(ctx, t, tc.engine, uri); err == nil {
				t.Error("the dumped object's user still logs in: its databases and users go after the dump")
			}
		})
	}

	t.Run("ADumpThatCannotRunHoldsTheDelete", func(t *testing.T) {
		srv := existingtest.StartPostgres(t, 0)
		// No image of that name runs here: the Job stays pending, as with an image that
		// cannot be pulled.
		class := dumpingClass(t, "e2e-dumps-stuck", srv, "registry.invalid/no-such-image:1")
		ns := namespace(t, "dumps-stuck")
		got := applyOrders(t, ns, class.Name, v1.TypePostgreSQL, v1.DeletionSnapshot)
		uri := string(secretData(t, ns, "orders.rds.app")["uri"])
		if err := stack.Client.Delete(ctx, got); err != nil {
			t.Fatal(err)
		}
		err := harness.WaitFor(ctx, readyTimeout, func(ctx context.Context) (bool, error) {
			cur := &v1.RDSDatabase{}
			if err := stack.Client.Get(ctx, client.ObjectKeyFromObject(got), cur); err != nil {
				return false, err
			}
			c := meta.FindStatusCondition(cur.Status.Conditions, v1.ConditionProvisioned)
			return c != nil && strings.Contains(c.Message, "dump") && strings.Contains(c.Message, "Job"), nil
		})
		if err != nil {
			t.Fatalf("the deleting object never said it waits for its dump Job: %v", err)
		}
		// Its users are locked out for the dump; the database and its data stay.
		if err := logsIn(ctx, uri, "orders"); err == nil {
			t.Error("the object's user still logs in while its final dump is pending")
		}
		admin := string(secretData(t, class.Spec.Existing.AdminSecretRef.Namespace, class.Spec.Existing.AdminSecretRef.Name)["password"])
		adminURI := "postgres://" + srv.User + ":" + admin + "@" + net.JoinHostPort(srv.Host, strconv.Itoa(int(srv.Port))) + "/orders?sslmode=require"
		if err := logsIn(ctx, adminURI, "orders"); err != nil {
			t.Errorf("the database went while its dump could not run: %v", err)
		}
		// The owner gives up on the dump: Retain lets the object go and keeps it all.
		if err := update(ctx, got, func(s *v1.RDSDatabaseSpec) { s.DeletionPolicy = v1.DeletionRetain }); err != nil {
			t.Fatal(err)
		}
		waitGone(t, got)
		if err := logsIn(ctx, adminURI, "orders"); err != nil {
			t.Errorf("Retain dropped the database: %v", err)
		}
	})

	t.Run("AdmissionFollowsTheClass", func(t *testing.T) {
		srv := existingtest.StartPostgres(t, 0)
		plain := existingClass(t, "e2e-adm-existing", srv)
		dumping := dumpingClass(t, "e2e-adm-existing-dumps", srv, "")
		ns := namespace(t, "adm-dumps")
		dryRun := func(class string) error {
			db := &v1.RDSDatabase{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "orders"}}
			db.Spec.Class, db.Spec.DeletionPolicy = class, v1.DeletionSnapshot
			return stack.Client.Create(ctx, db, client.DryRunAll)
		}
		// The apiserver loads a new policy parameter within a second or so.
		err := harness.WaitFor(ctx, readyTimeout, func(context.Context) (bool, error) { return dryRun(plain.Name) != nil, nil })
		if err != nil {
			t.Fatal("deletionPolicy Snapshot was never refused on an existing class naming no place for dumps")
		}
		if err := dryRun(plain.Name); !strings.Contains(err.Error(), "deletionPolicy Snapshot: DatabaseClass "+plain.Name) {
			t.Errorf("the refusal must name the class and the fix: %v", err)
		}
		// The dumping class was made plain, then given dumps: the policy sees that within
		// a second or so.
		err = harness.WaitFor(ctx, readyTimeout, func(context.Context) (bool, error) { return dryRun(dumping.Name) == nil, nil })
		if err != nil {
			t.Errorf("deletionPolicy Snapshot refused on a class with a place for dumps: %v", dryRun(dumping.Name))
		}
	})
}

// applyOrders applies RDSDatabase orders of type typ on class in namespace ns (master
// orders_admin, user app on database orders) and waits for it to be Ready.
func applyOrders(t *testing.T, ns, class string, typ v1.DatabaseType, policy v1.DeletionPolicy) *v1.RDSDatabase {
	t.Helper()
	db := &v1.RDSDatabase{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "orders"}}
	db.Spec.Class, db.Spec.Type, db.Spec.DeletionPolicy = class, typ, policy
	db.Spec.MasterUser = "orders_admin"
	db.Spec.Users = map[string]v1.UserRoles{"app": {}}
	db.Spec.Databases = map[string]v1.DatabaseUsers{"orders": {"app"}}
	if err := stack.Client.Create(context.Background(), db); err != nil {
		t.Fatalf("apply: %v", err)
	}
	return waitReady(t, db)
}

// jobDone reports whether the Job has the condition kind.
func jobDone(job *batchv1.Job, kind batchv1.JobConditionType) bool {
	for _, c := range job.Status.Conditions {
		if c.Type == kind && c.Status == corev1.ConditionTrue {
			return true
		}
	}
	return false
}

// logsInAs logs in with uri to database orders on engine.
func logsInAs(ctx context.Context, t *testing.T, engineName, uri string) error {
	if engineName == "postgres" {
		return logsIn(ctx, uri, "orders")
	}
	conn, err := mariadbLogin(ctx, t, uri, "orders")
	if err != nil {
		return err
	}
	return conn.Close()
}
