package existing_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	"github.com/matrixmind-cloud/aws-rds-operator/internal/cloud"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/cloud/existing"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/engine"
)

// dumpingProvider is newProvider with dumps into claim "dumps" of namespace platform, its
// Jobs in kube.
func dumpingProvider(t *testing.T, srv existing.Server, kube client.Client) *existing.Provider {
	t.Helper()
	p, err := existing.New(existing.Config{Name: "platform/admin", Stewards: stewards,
		Admin: func(context.Context) (existing.Server, error) { return srv, nil },
		Dumps: &existing.Dumps{Namespace: "platform", Secret: "admin", Claim: "dumps", Jobs: kube, Reader: kube}})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// withDatabases creates d's master and, as it, a user owning each of the databases.
func withDatabases(t *testing.T, p *existing.Provider, srv existing.Server, d cloud.Desired, owner string, databases ...string) {
	t.Helper()
	ctx := t.Context()
	if err := p.Create(ctx, d); err != nil {
		t.Fatal(err)
	}
	obs, _ := p.Observe(ctx, d.Identifier)
	admin, err := engines.Connect(ctx, endpoint(srv, obs.Instance, d.MasterPassword, owner))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = admin.Close(ctx) }()
	user := d.MasterUser + "_app"
	if err := admin.EnsureUser(ctx, engine.User{Name: user, Password: "app-pw-Aa1!"}); err != nil {
		t.Fatal(err)
	}
	for _, db := range databases {
		if err := admin.EnsureDatabase(ctx, engine.Database{Name: db, Owner: user, Users: []string{user}}); err != nil {
			t.Fatal(err)
		}
	}
}

// setJobCondition writes the condition a Job's controller would on its finish.
func setJobCondition(t *testing.T, kube client.Client, name string, kind batchv1.JobConditionType) {
	t.Helper()
	var job batchv1.Job
	if err := kube.Get(t.Context(), client.ObjectKey{Namespace: "platform", Name: name}, &job); err != nil {
		t.Fatal(err)
	}
	job.Status.Conditions = append(job.Status.Conditions, batchv1.JobCondition{Type: kind, Status: corev1.ConditionTrue, Reason: "BackoffLimitExceeded", Message: "Job has reached the specified backoff limit"})
	if err := kube.Status().Update(t.Context(), &job); err != nil {
		t.Fatal(err)
	}
}

// TestFinalSnapshotIsADumpJob: with a place for dumps, a Delete with a final snapshot starts
// a Job that dumps exactly the object's databases, logged in through the admin Secret, and
// drops nothing until that Job completed; a failed Job holds the delete.
func TestFinalSnapshotIsADumpJob(t *testing.T) {
	for _, s := range servers {
		t.Run(s.name, func(t *testing.T) {
			ctx := t.Context()
			srv := s.start(t)
			scheme := runtime.NewScheme()
			_ = clientgoscheme.AddToScheme(scheme)
			kube := fake.NewClientBuilder().WithScheme(scheme).WithStatusSubresource(&batchv1.Job{}).Build()
			p := dumpingProvider(t, srv, kube)
			if !p.KeepsSnapshots() {
				t.Error("KeepsSnapshots = false with a place for dumps")
			}
			orders := desired(srv, "shop-orders-1a2b", "shop/orders", "orders_admin")
			withDatabases(t, p, srv, orders, "shop/orders", "orders_a", "orders_b")
			withDatabases(t, p, srv, desired(srv, "shop-carts-3c4d", "shop/carts", "carts_admin"), "shop/carts", "carts")
			const final = "shop-orders-1a2b-final-0a1b2c3d"

			err := p.Delete(ctx, orders.Identifier, cloud.DeleteOptions{FinalSnapshotIdentifier: final})
			if !errors.Is(err, cloud.ErrBusy) {
				t.Fatalf("first Delete = %v; want ErrBusy while the dump Job runs", err)
			}
			var job batchv1.Job
			if err := kube.Get(ctx, client.ObjectKey{Namespace: "platform", Name: final}, &job); err != nil {
				t.Fatalf("no dump Job: %v", err)
			}
			c := job.Spec.Template.Spec.Containers[0]
			wantImage := map[string]string{existing.EnginePostgres: "postgres:", existing.EngineMariaDB: "mariadb:"}[srv.Engine]
			if !strings.HasPrefix(c.Image, wantImage) {
				t.Errorf("image %s; want %s<server version>", c.Image, wantImage)
			}
			args := c.Command[4:]
			for _, want := range []string{"orders_a", "orders_b"} {
				if !slices.Contains(args, want) {
					t.Errorf("the Job's arguments %v lack the object's database %s", args, want)
				}
			}
			if slices.Contains(args, "carts") {
				t.Errorf("the Job dumps %v: carts is another object's", args)
			}
			for _, e := range c.Env {
				if e.Value == srv.Password || (strings.Contains(e.Name, "PASSWORD") && e.ValueFrom == nil) {
					t.Errorf("env %s carries the password itself; want it read from the admin Secret", e.Name)
				}
			}
			if job.Labels[existing.LabelDumpOf] != orders.Identifier || job.Annotations[existing.AnnotationOwner] != "shop/orders" {
				t.Errorf("labels %v, annotations %v: want the database and its owner named", job.Labels, job.Annotations)
			}
			if err := p.Delete(ctx, orders.Identifier, cloud.DeleteOptions{FinalSnapshotIdentifier: final}); !errors.Is(err, cloud.ErrBusy) {
				t.Errorf("Delete while the Job runs = %v; want ErrBusy", err)
			}
			obs, _ := p.Observe(ctx, orders.Identifier)
			if !obs.Exists {
				t.Fatal("the database went before its dump completed")
			}
			// The object's users write nothing the dump would miss: they are locked out.
			app := endpoint(srv, obs.Instance, "app-pw-Aa1!", "")
			app.User = "orders_admin_app"
			if err := engines.Verify(ctx, app, "orders_a"); err == nil {
				t.Error("the object's user still logs in while its final dump is taken")
			}
			if err := engines.Verify(ctx, endpoint(srv, obs.Instance, orders.MasterPassword, ""), "orders_a"); err == nil {
				t.Error("the object's master still logs in while its final dump is taken")
			}
			carts, _ := p.Observe(ctx, "shop-carts-3c4d")
			other := endpoint(srv, carts.Instance, "app-pw-Aa1!", "")
			other.User = "carts_admin_app"
			if err := engines.Verify(ctx, other, "carts"); err != nil {
				t.Errorf("another object's user was locked out with the first's: %v", err)
			}

			setJobCondition(t, kube, final, batchv1.JobFailed)
			err = p.Delete(ctx, orders.Identifier, cloud.DeleteOptions{FinalSnapshotIdentifier: final})
			var ce *cloud.Error
			if !errors.As(err, &ce) || ce.Code != "DumpFailed" || errors.Is(err, cloud.ErrBusy) || !strings.Contains(ce.Message, "delete the Job") {
				t.Errorf("Delete after the Job failed = %v; want DumpFailed saying how to go on", err)
			}
			if obs, _ := p.Observe(ctx, orders.Identifier); !obs.Exists {
				t.Fatal("the database went although its dump failed")
			}

			// A person deleted the failed Job: the next Delete dumps again.
			_ = kube.Delete(ctx, &batchv1.Job{ObjectMeta: metav1.ObjectMeta{Namespace: "platform", Name: final}})
			if err := p.Delete(ctx, orders.Identifier, cloud.DeleteOptions{FinalSnapshotIdentifier: final}); !errors.Is(err, cloud.ErrBusy) {
				t.Fatalf("Delete after the failed Job was deleted = %v; want a new Job", err)
			}
			// A Job that completed without one of the object's databases (made after it
			// began) drops nothing.
			var rerun batchv1.Job
			if err := kube.Get(ctx, client.ObjectKey{Namespace: "platform", Name: final}, &rerun); err != nil {
				t.Fatal(err)
			}
			listed := rerun.Annotations[existing.AnnotationDatabases]
			rerun.Annotations[existing.AnnotationDatabases] = `["orders_a"]`
			if err := kube.Update(ctx, &rerun); err != nil {
				t.Fatal(err)
			}
			setJobCondition(t, kube, final, batchv1.JobComplete)
			err = p.Delete(ctx, orders.Identifier, cloud.DeleteOptions{FinalSnapshotIdentifier: final})
			if !errors.As(err, &ce) || ce.Code != "DumpIncomplete" || !strings.Contains(ce.Message, "orders_b") {
				t.Errorf("Delete after a dump without orders_b = %v; want DumpIncomplete naming it", err)
			}
			if obs, _ := p.Observe(ctx, orders.Identifier); !obs.Exists {
				t.Fatal("the database went although its dump missed one of its databases")
			}
			if err := kube.Get(ctx, client.ObjectKey{Namespace: "platform", Name: final}, &rerun); err != nil {
				t.Fatal(err)
			}
			rerun.Annotations[existing.AnnotationDatabases] = listed
			if err := kube.Update(ctx, &rerun); err != nil {
				t.Fatal(err)
			}
			for range 2 {
				if err := p.Delete(ctx, orders.Identifier, cloud.DeleteOptions{FinalSnapshotIdentifier: final}); err != nil {
					t.Fatalf("Delete after the dump completed: %v (and again: it is idempotent)", err)
				}
			}
			if obs, _ := p.Observe(ctx, orders.Identifier); obs.Exists {
				t.Error("the dumped database's master is still there")
			}
			if obs, _ := p.Observe(ctx, "shop-carts-3c4d"); !obs.Exists {
				t.Error("the other object's master went with the first")
			}
		})
	}
}

func TestDumpRefusals(t *testing.T) {
	srv := startPostgres(t)
	scheme := runtime.NewScheme()
	_ = clientgoscheme.AddToScheme(scheme)
	for _, tc := range []struct {
		name   string
		reason string
		dumps  bool
		setup  func(t *testing.T, p *existing.Provider, kube client.Client)
		check  func(t *testing.T, err error, kube client.Client)
	}{{
		name:   "NoPlace",
		reason: "a class naming no place for dumps refuses a final snapshot: nothing is dropped without one",
		check: func(t *testing.T, err error, _ client.Client) {
			if !errors.Is(err, cloud.ErrUnsupported) {
				t.Errorf("Delete = %v; want ErrUnsupported", err)
			}
		},
	}, {
		name:   "NameTaken",
		reason: "a Job of that name dumping something else is never taken for the dump",
		dumps:  true,
		setup: func(t *testing.T, _ *existing.Provider, kube client.Client) {
			other := &batchv1.Job{ObjectMeta: metav1.ObjectMeta{Namespace: "platform", Name: "final-x", Labels: map[string]string{existing.LabelDumpOf: "another"}}}
			if err := kube.Create(t.Context(), other); err != nil {
				t.Fatal(err)
			}
		},
		check: func(t *testing.T, err error, _ client.Client) {
			var ce *cloud.Error
			if !errors.As(err, &ce) || ce.Code != "DumpJobTaken" {
				t.Errorf("Delete = %v; want DumpJobTaken", err)
			}
		},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			kube := fake.NewClientBuilder().WithScheme(scheme).WithStatusSubresource(&batchv1.Job{}).Build()
			p := newProvider(t, srv)
			if tc.dumps {
				p = dumpingProvider(t, srv, kube)
			}
			id := "shop-" + strings.ToLower(tc.name)
			withDatabases(t, p, srv, desired(srv, id, "shop/"+tc.name, strings.ToLower(tc.name)+"_admin"), "shop/"+tc.name, strings.ToLower(tc.name)+"_db")
			if tc.setup != nil {
				tc.setup(t, p, kube)
			}
			err := p.Delete(t.Context(), id, cloud.DeleteOptions{FinalSnapshotIdentifier: "final-x"})
			tc.check(t, err, kube)
			if obs, _ := p.Observe(t.Context(), id); !obs.Exists {
				t.Errorf("the database went: %s", tc.reason)
			}
		})
	}
}

// TestNothingToDump: an object that made no database (or whose master is gone) has nothing
// to dump, and its delete goes on without a Job.
func TestNothingToDump(t *testing.T) {
	srv := startPostgres(t)
	scheme := runtime.NewScheme()
	_ = clientgoscheme.AddToScheme(scheme)
	kube := fake.NewClientBuilder().WithScheme(scheme).WithStatusSubresource(&batchv1.Job{}).Build()
	p := dumpingProvider(t, srv, kube)
	d := desired(srv, "shop-empty", "shop/empty", "empty_admin")
	if err := p.Create(t.Context(), d); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{d.Identifier, "shop-never-made"} {
		if err := p.Delete(t.Context(), id, cloud.DeleteOptions{FinalSnapshotIdentifier: "final-" + id}); err != nil {
			t.Errorf("Delete %s = %v; want it done without a dump", id, err)
		}
	}
	var jobs batchv1.JobList
	if err := kube.List(t.Context(), &jobs); err != nil || len(jobs.Items) != 0 {
		t.Errorf("jobs %d (%v); want none", len(jobs.Items), err)
	}
	if obs, _ := p.Observe(t.Context(), d.Identifier); obs.Exists {
		t.Error("the master of an object with no database stayed")
	}
}

func startPostgres(t *testing.T) existing.Server { return servers[0].start(t) }
