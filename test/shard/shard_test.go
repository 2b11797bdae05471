// Package shard proves that operators sharing one apiserver and one AWS account each keep to
// their own shard: two manager processes, one restricted by --watch-namespaces, the other by
// --watch-namespaces and --shard-selector, reconcile their own objects and never touch the
// other's, nor an object no shard selects, nor its cloud database.
package shard

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/matrixmind-cloud/aws-rds-operator/api/v1"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/cloud"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/cloud/rds"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/controlplane"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/emulator"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/emulator/emulatortest"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/localstack"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/naming"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/operator"
	"github.com/matrixmind-cloud/aws-rds-operator/test/harness"
)

// TestTwoShardsOneAPIServer runs shard A (--watch-namespaces team-a) and shard B
// (--watch-namespaces team-b --shard-selector shard=b) against one apiserver and one
// emulator. team-b/c1 is labelled for a shard nobody runs, and a cloud database owned by it
// already exists.
func TestTwoShardsOneAPIServer(t *testing.T) {
	ctx := context.Background()
	cp, err := controlplane.Start(controlplane.Options{CRDDir: filepath.Join(harness.Root(), "config", "crd", "bases")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cp.Stop() })
	scheme, err := operator.Scheme()
	if err != nil {
		t.Fatal(err)
	}
	k8s, err := client.New(cp.Config(), client.Options{Scheme: scheme})
	if err != nil {
		t.Fatal(err)
	}
	em := emulatortest.Serve(t, emulator.Config{NoEngine: true, NoEnginePort: 9,
		Delays: emulator.Delays{Create: 300 * time.Millisecond, BackingUp: 200 * time.Millisecond, Modify: time.Second, Delete: 300 * time.Millisecond}})

	// The cloud database of team-b/c1 exists before any operator runs.
	aws, err := rds.NewFromEnvironment(ctx)
	if err != nil {
		t.Fatal(err)
	}
	orphanID := naming.Identifier("team-b", "c1")
	if err := aws.Create(ctx, cloud.Desired{
		Identifier: orphanID, Engine: "postgres", EngineVersion: "17", InstanceClass: "db.t4g.micro", StorageType: "gp3",
		AllocatedStorageGiB: 20, BackupRetentionDays: 7, MasterUser: "sysadmin", MasterPassword: "Orphan-Password-1",
		Tags: map[string]string{v1.TagOwner: naming.Owner("team-b", "c1"), "team": "c"},
	}); err != nil {
		t.Fatal(err)
	}

	dir := t.TempDir()
	manager := filepath.Join(dir, "manager")
	build := exec.Command("go", "build", "-o", manager, "./cmd/manager")
	build.Dir = harness.Root()
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build the manager: %v\n%s", err, out)
	}
	kubeconfigPath := filepath.Join(dir, "kubeconfig")
	if err := cp.WriteKubeconfig(kubeconfigPath); err != nil {
		t.Fatal(err)
	}
	start := func(name string, shard ...string) {
		args := append([]string{"--kubeconfig", kubeconfigPath, "--metrics-bind-address", "0", "--health-probe-bind-address", "0",
			"--resync", "2s", "--pending-requeue", "250ms"}, shard...)
		p, err := localstack.StartProcess(name, filepath.Join(dir, name+".log"), os.Environ(), manager, args...)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			_ = p.Stop(10 * time.Second)
			if t.Failed() {
				t.Logf("%s's last lines:\n%s", name, p.LogTail(30))
			}
		})
	}
	start("shard-a", "--watch-namespaces", "team-a")
	start("shard-b", "--watch-namespaces", "team-b", "--shard-selector", "shard=b")

	for _, ns := range []string{"team-a", "team-b"} {
		if err := k8s.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil {
			t.Fatal(err)
		}
	}
	objects := []struct {
		ns, name, shard string
		// reconciled says whether some shard owns the object.
		reconciled bool
	}{
		{"team-a", "a1", "", true},
		{"team-a", "a2", "b", true}, // shard B's label, but outside its namespaces: shard A's
		{"team-b", "b1", "b", true},
		{"team-b", "c1", "c", false},
	}
	for _, o := range objects {
		db := &v1.RDSDatabase{ObjectMeta: metav1.ObjectMeta{Namespace: o.ns, Name: o.name}}
		if o.shard != "" {
			db.Labels = map[string]string{"shard": o.shard}
		}
		db.Spec.DeletionPolicy = v1.DeletionDelete
		if err := k8s.Create(ctx, db); err != nil {
			t.Fatal(err)
		}
	}

	err = harness.WaitFor(ctx, 90*time.Second, func(ctx context.Context) (bool, error) {
		for _, o := range objects {
			db := &v1.RDSDatabase{}
			if err := k8s.Get(ctx, client.ObjectKey{Namespace: o.ns, Name: o.name}, db); err != nil {
				return false, err
			}
			if o.reconciled && !meta.IsStatusConditionTrue(db.Status.Conditions, v1.ConditionProvisioned) {
				return false, nil
			}
		}
		return true, nil
	})
	if err != nil {
		t.Fatalf("the shards' objects were not provisioned: %v", err)
	}
	// Give a wrongly configured operator time to act on what is not its own.
	time.Sleep(3 * time.Second)

	orphan := &v1.RDSDatabase{}
	if err := k8s.Get(ctx, client.ObjectKey{Namespace: "team-b", Name: "c1"}, orphan); err != nil {
		t.Fatal(err)
	}
	if len(orphan.Finalizers) != 0 || orphan.Status.Phase != "" || len(orphan.Status.Conditions) != 0 {
		t.Errorf("team-b/c1 belongs to no running shard but was touched: finalizers %v, status %+v", orphan.Finalizers, orphan.Status)
	}
	var secrets corev1.SecretList
	if err := k8s.List(ctx, &secrets, client.InNamespace("team-b"), client.MatchingLabels{v1.LabelDatabase: "c1"}); err != nil {
		t.Fatal(err)
	}
	if len(secrets.Items) != 0 {
		t.Errorf("team-b/c1 belongs to no running shard but has Secrets: %d", len(secrets.Items))
	}

	// Each cloud database was created once, by one operator, and the orphan's was never
	// modified, tagged or deleted by either.
	created := map[string]int{}
	for _, c := range em.Stats().Log {
		if c.Action == "CreateDBInstance" {
			created[c.ID]++
		}
		if c.ID == orphanID && c.Action != "DescribeDBInstances" && c.Action != "CreateDBInstance" {
			t.Errorf("an operator called %s on %s, the cloud database of an object no shard selects", c.Action, orphanID)
		}
	}
	for _, o := range objects {
		id := naming.Identifier(o.ns, o.name)
		if created[id] != 1 { // the orphan's by the test itself
			t.Errorf("CreateDBInstance %s: %d calls, want 1", id, created[id])
		}
	}
	// Which process reconciled which object: each logs the objects it reconciles (here, that
	// their engines cannot be reached: the emulator runs none).
	logs := map[string]string{}
	for _, name := range []string{"shard-a", "shard-b"} {
		b, err := os.ReadFile(filepath.Join(dir, name+".log"))
		if err != nil {
			t.Fatal(err)
		}
		logs[name] = string(b)
	}
	for shard, want := range map[string][]string{"shard-a": {"team-a/a1", "team-a/a2"}, "shard-b": {"team-b/b1"}} {
		for _, o := range objects {
			key := o.ns + "/" + o.name
			mentioned := strings.Contains(logs[shard], fmt.Sprintf("%q", key)) || strings.Contains(logs[shard], "\"name\":\""+o.name+"\",\"namespace\":\""+o.ns+"\"")
			own := false
			for _, w := range want {
				own = own || w == key
			}
			if mentioned && !own {
				t.Errorf("%s's log mentions %s, an object of another shard", shard, key)
			}
			if own && !mentioned {
				t.Errorf("%s's log never mentions its own %s", shard, key)
			}
		}
	}

	// Deleting everything: each shard deletes its own cloud databases; the orphan's stays.
	for _, o := range objects {
		if err := k8s.Delete(ctx, &v1.RDSDatabase{ObjectMeta: metav1.ObjectMeta{Namespace: o.ns, Name: o.name}}); err != nil {
			t.Fatal(err)
		}
	}
	err = harness.WaitFor(ctx, 60*time.Second, func(ctx context.Context) (bool, error) {
		var list v1.RDSDatabaseList
		if err := k8s.List(ctx, &list); err != nil {
			return false, err
		}
		return len(list.Items) == 0, nil
	})
	if err != nil {
		t.Fatalf("the objects were not deleted: %v", err)
	}
	obs, err := aws.Observe(ctx, orphanID)
	if err != nil || !obs.Exists || obs.Instance.Phase == cloud.PhaseDeleting {
		t.Errorf("the cloud database of team-b/c1 must be left alone: %+v, %v", obs, err)
	}
}
