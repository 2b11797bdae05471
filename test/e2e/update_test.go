package e2e

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsrds "github.com/aws/aws-sdk-go-v2/service/rds"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/matrixmind-cloud/aws-rds-operator/api/v1"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/emulator"
	"github.com/matrixmind-cloud/aws-rds-operator/test/harness"
)

// TestUpdatesInPlace changes a Ready database the way a team would, one edit at a time, and
// checks that each edit becomes exactly one ModifyDBInstance, that status passes through the
// cloud's own words, and that the database ends as the spec says.
func TestUpdatesInPlace(t *testing.T) {
	ctx := context.Background()
	ns := namespace(t, "update")
	db := &v1.RDSDatabase{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "growing"}}
	db.Spec.Size = "20GB"
	db.Spec.DeletionPolicy = v1.DeletionDelete
	db.Spec.Users = map[string]v1.UserRoles{"app": {}}
	db.Spec.Databases = map[string]v1.DatabaseUsers{"data": {"app"}}
	if err := stack.Client.Create(ctx, db); err != nil {
		t.Fatal(err)
	}
	waitReady(t, db)

	steps := []struct {
		name        string
		reason      string
		mutate      func(*v1.RDSDatabaseSpec)
		check       func(t *testing.T, got *v1.RDSDatabase)
		wantEvent   string
		wantModifys int
	}{
		{
			name:   "Grow",
			reason: "Growing size modifies the instance in place.",
			mutate: func(s *v1.RDSDatabaseSpec) { s.Size = "40GB" },
			check: func(t *testing.T, got *v1.RDSDatabase) {
				if got.Status.Cloud.AllocatedStorageGiB != 40 {
					t.Errorf("storage %d GiB, want 40", got.Status.Cloud.AllocatedStorageGiB)
				}
			},
			wantModifys: 1,
		},
		{
			name:   "GrowLessThanTenPercent",
			reason: "RDS grows storage by at least 10%: 42 is rounded up to 44, and an Event says so.",
			mutate: func(s *v1.RDSDatabaseSpec) { s.Size = "42GB" },
			check: func(t *testing.T, got *v1.RDSDatabase) {
				if got.Status.Cloud.AllocatedStorageGiB != 44 {
					t.Errorf("storage %d GiB, want 44", got.Status.Cloud.AllocatedStorageGiB)
				}
			},
			wantEvent:   v1.EventStorageRoundedUp,
			wantModifys: 1,
		},
		{
			name:   "ClassAndRetentionTogether",
			reason: "Two fields changed in one edit go to RDS in one request.",
			mutate: func(s *v1.RDSDatabaseSpec) { s.InstanceClass = "db.r6g.large"; s.Backup.Retention = "14d" },
			check: func(t *testing.T, got *v1.RDSDatabase) {
				if got.Status.Cloud.InstanceClass != "db.r6g.large" {
					t.Errorf("class %s, want db.r6g.large", got.Status.Cloud.InstanceClass)
				}
			},
			wantModifys: 1,
		},
	}
	for _, step := range steps {
		t.Run(step.name, func(t *testing.T) {
			stack.Emulator.ResetStats()
			if err := update(ctx, db, step.mutate); err != nil {
				t.Fatal(err)
			}
			watch := watchCloudStatus(db)
			got := waitReady(t, db)
			if words := watch.stop(); !slices.Contains(words, "modifying") {
				t.Errorf("%s\nstatus never showed modifying: saw %v", step.reason, words)
			}
			step.check(t, got)
			if n := stack.Emulator.Stats().Operations("ModifyDBInstance"); n != step.wantModifys {
				t.Errorf("%s\nModifyDBInstance sent %d times, want %d", step.reason, n, step.wantModifys)
			}
			if step.wantEvent != "" && !eventSays(t, ns, db.Name, step.wantEvent, "") {
				t.Errorf("%s\nno %s Event", step.reason, step.wantEvent)
			}
		})
	}
}

// TestBackupWindow sets the preferred backup window of a running database: RDS applies it at
// once (no modifying), and the cloud reports the new window.
func TestBackupWindow(t *testing.T) {
	ctx := context.Background()
	ns := namespace(t, "window")
	db := &v1.RDSDatabase{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "windowed"}}
	db.Spec.DeletionPolicy = v1.DeletionDelete
	db.Spec.Backup.Window = "01:00-01:30"
	if err := stack.Client.Create(ctx, db); err != nil {
		t.Fatal(err)
	}
	got := waitReady(t, db)
	api, err := stack.RDS(ctx)
	if err != nil {
		t.Fatal(err)
	}
	window := func() string {
		out, err := api.DescribeDBInstances(ctx, &awsrds.DescribeDBInstancesInput{DBInstanceIdentifier: aws.String(got.Status.Cloud.Identifier)})
		if err != nil || len(out.DBInstances) != 1 {
			t.Fatalf("describe: %v", err)
		}
		return aws.ToString(out.DBInstances[0].PreferredBackupWindow)
	}
	if w := window(); w != "01:00-01:30" {
		t.Errorf("created with window %q, want 01:00-01:30", w)
	}
	if err := update(ctx, db, func(s *v1.RDSDatabaseSpec) { s.Backup.Window = "22:00-22:45" }); err != nil {
		t.Fatal(err)
	}
	err = harness.WaitFor(ctx, readyTimeout, func(context.Context) (bool, error) { return window() == "22:00-22:45", nil })
	if err != nil {
		t.Errorf("the new backup window was not applied: %q", window())
	}
}

// statusWatch records the distinct cloud status words an object shows, in order.
type statusWatch struct {
	cancel context.CancelFunc
	done   chan struct{}
	words  []string
}

// watchCloudStatus polls db's status.cloud.status every 50ms until stop is called.
func watchCloudStatus(db *v1.RDSDatabase) *statusWatch {
	ctx, cancel := context.WithCancel(context.Background())
	w := &statusWatch{cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(w.done)
		for ctx.Err() == nil {
			got := &v1.RDSDatabase{}
			if err := stack.Client.Get(ctx, client.ObjectKeyFromObject(db), got); err == nil && got.Status.Cloud != nil {
				if word := got.Status.Cloud.Status; len(w.words) == 0 || w.words[len(w.words)-1] != word {
					w.words = append(w.words, word)
				}
			}
			select {
			case <-ctx.Done():
			case <-time.After(50 * time.Millisecond):
			}
		}
	}()
	return w
}

// stop ends the watch and returns the words seen.
func (w *statusWatch) stop() []string {
	w.cancel()
	<-w.done
	return w.words
}

// TestMaintenanceWindowAndStorageFull covers the two paths that do not apply at once: a
// change with applyImmediately false waits in status (no flapping while it does), and a
// storage-full database still accepts the storage increase it needs.
func TestMaintenanceWindowAndStorageFull(t *testing.T) {
	ctx := context.Background()
	ns := namespace(t, "window")
	db := &v1.RDSDatabase{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "patient"}}
	db.Spec.Size = "20GB"
	db.Spec.DeletionPolicy = v1.DeletionDelete
	off := false
	db.Spec.ApplyImmediately = &off
	if err := stack.Client.Create(ctx, db); err != nil {
		t.Fatal(err)
	}
	ready := waitReady(t, db)
	id := ready.Status.Cloud.Identifier

	t.Run("PendingUntilTheWindow", func(t *testing.T) {
		stack.Emulator.ResetStats()
		if err := update(ctx, db, func(s *v1.RDSDatabaseSpec) { s.InstanceClass = "db.m7g.large" }); err != nil {
			t.Fatal(err)
		}
		got := waitReady(t, db)
		for i := 0; i < 5; i++ { // resyncs while the change waits must not ask again
			if err := patchLabel(ctx, got, "poked", fmt.Sprint(i)); err != nil {
				t.Fatal(err)
			}
			time.Sleep(300 * time.Millisecond)
		}
		got = waitReady(t, db)
		if !slices.Contains(got.Status.Cloud.PendingModifications, "instance class db.m7g.large") || got.Status.Cloud.InstanceClass == "db.m7g.large" {
			t.Errorf("status.cloud = %+v, want the class change pending", got.Status.Cloud)
		}
		if n := stack.Emulator.Stats().Operations("ModifyDBInstance"); n != 1 {
			t.Errorf("ModifyDBInstance sent %d times while the change waited, want 1", n)
		}
		stack.Emulator.ApplyPendingMaintenance()
		err := harness.WaitFor(ctx, readyTimeout, func(ctx context.Context) (bool, error) {
			cur := &v1.RDSDatabase{}
			err := stack.Client.Get(ctx, client.ObjectKeyFromObject(db), cur)
			return err == nil && cur.Status.Cloud.InstanceClass == "db.m7g.large" && len(cur.Status.Cloud.PendingModifications) == 0, err
		})
		if err != nil {
			t.Errorf("the class change was not applied in the window: %v", err)
		}
	})

	t.Run("StorageFullAcceptsGrowth", func(t *testing.T) {
		on := true
		if err := update(ctx, db, func(s *v1.RDSDatabaseSpec) { s.ApplyImmediately = &on }); err != nil {
			t.Fatal(err)
		}
		waitReady(t, db)
		if err := stack.Emulator.Tamper(id, func(tp *emulator.Tampering) { tp.Status = "storage-full" }); err != nil {
			t.Fatal(err)
		}
		waitCloudStatus(t, db, "storage-full")
		if err := update(ctx, db, func(s *v1.RDSDatabaseSpec) { s.Size = "30GB" }); err != nil {
			t.Fatal(err)
		}
		got := waitReady(t, db)
		if got.Status.Cloud.AllocatedStorageGiB != 30 {
			t.Errorf("storage %d GiB after growing a storage-full database, want 30", got.Status.Cloud.AllocatedStorageGiB)
		}
	})
}

// waitCloudStatus waits until the object mirrors the cloud status word.
func waitCloudStatus(t *testing.T, db *v1.RDSDatabase, word string) {
	t.Helper()
	err := harness.WaitFor(context.Background(), readyTimeout, func(ctx context.Context) (bool, error) {
		cur := &v1.RDSDatabase{}
		err := stack.Client.Get(ctx, client.ObjectKeyFromObject(db), cur)
		return err == nil && cur.Status.Cloud != nil && cur.Status.Cloud.Status == word, err
	})
	if err != nil {
		t.Fatalf("status.cloud.status never became %s: %v", word, err)
	}
}

// TestMajorUpgrade asks for the next major version: without allowMajorVersionUpgrade the
// object says what to set and nothing is sent; with it, the database is upgraded in place.
func TestMajorUpgrade(t *testing.T) {
	ctx := context.Background()
	ns := namespace(t, "upgrade")
	db := &v1.RDSDatabase{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "upgrading"}}
	db.Spec.DeletionPolicy = v1.DeletionDelete
	if err := stack.Client.Create(ctx, db); err != nil {
		t.Fatal(err)
	}
	ready := waitReady(t, db)
	id := ready.Status.Cloud.Identifier

	// The operator's default version (17) was used; naming 18 in the spec is a major upgrade.
	if err := update(ctx, db, func(s *v1.RDSDatabaseSpec) { s.Version = "18" }); err != nil {
		t.Fatal(err)
	}
	waitCondition(t, db, v1.ConditionProvisioned, v1.ReasonMajorUpgradeNotAllowed)
	if n := callsFor(id)["ModifyDBInstance"]; n != 0 {
		t.Errorf("a major upgrade was sent without allowMajorVersionUpgrade (%d ModifyDBInstance)", n)
	}
	if err := update(ctx, db, func(s *v1.RDSDatabaseSpec) { s.AllowMajorVersionUpgrade = true }); err != nil {
		t.Fatal(err)
	}
	got := waitReady(t, db)
	if got.Status.Cloud.EngineVersion != "18" {
		t.Errorf("engine version %q after the upgrade, want 18", got.Status.Cloud.EngineVersion)
	}
}
