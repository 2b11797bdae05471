package e2e

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsrds "github.com/aws/aws-sdk-go-v2/service/rds"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/matrixmind-cloud/aws-rds-operator/api/v1"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/naming"
	"github.com/matrixmind-cloud/aws-rds-operator/test/harness"
)

// TestManualSnapshot is what kubectl rds snapshot relies on: a request token set in the
// annotation takes one snapshot, named after the token and tagged as manual, followed in
// status until complete; the same token again takes none, however many passes see it; a new
// one takes another; a malformed one is refused in BackupsConfigured and takes nothing.
func TestManualSnapshot(t *testing.T) {
	ctx := context.Background()
	api, err := stack.RDS(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ns := namespace(t, "manual-snap")
	db := &v1.RDSDatabase{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "orders"}}
	db.Spec.DeletionPolicy = v1.DeletionDelete
	if err := stack.Client.Create(ctx, db); err != nil {
		t.Fatal(err)
	}
	id := waitReady(t, db).Status.Cloud.Identifier

	if err := annotate(ctx, db, map[string]string{v1.AnnotationSnapshotRequest: "first"}); err != nil {
		t.Fatal(err)
	}
	first := waitManualSnapshot(t, db, "first")
	if want := naming.ManualSnapshotIdentifier(id, "first"); first.Snapshot != want || first.Status != "available" || first.RequestedAt == nil {
		t.Errorf("status.backup.lastManualSnapshot = %+v, want snapshot %s, status available and the time it was asked for", first, want)
	}
	out, err := api.DescribeDBSnapshots(ctx, &awsrds.DescribeDBSnapshotsInput{DBSnapshotIdentifier: aws.String(first.Snapshot)})
	if err != nil {
		t.Fatalf("the snapshot is not in the cloud: %v", err)
	}
	if len(out.DBSnapshots) != 1 || aws.ToString(out.DBSnapshots[0].DBInstanceIdentifier) != id ||
		!hasTag(out.DBSnapshots[0].TagList, v1.TagBackup, v1.BackupManual) || !hasTag(out.DBSnapshots[0].TagList, v1.TagOwner, ns+"/orders") {
		t.Errorf("snapshot %s in the cloud: %+v; want one, of %s, tagged %s=%s and with its owner", first.Snapshot, out.DBSnapshots, id, v1.TagBackup, v1.BackupManual)
	}
	if !eventSays(t, ns, db.Name, v1.EventManualSnapshotCompleted, first.Snapshot) {
		t.Errorf("no %s Event names %s", v1.EventManualSnapshotCompleted, first.Snapshot)
	}
	asked := createSnapshotCalls(first.Snapshot)

	t.Run("SameTokenAgain", func(t *testing.T) {
		// Set again together with a master password rotation: the rotation takes the
		// operator several passes, each of which sees the first token again.
		if err := annotate(ctx, db, map[string]string{v1.AnnotationSnapshotRequest: "first", v1.AnnotationRotatePrefix + v1.RotateMaster: "1"}); err != nil {
			t.Fatal(err)
		}
		waitRotated(t, ns, naming.MasterSecretName(db.Name), "1")
		if n := createSnapshotCalls(first.Snapshot); n != asked {
			t.Errorf("%d CreateDBSnapshot calls for %s after it was complete, want none: the same token asks for nothing", n-asked, first.Snapshot)
		}
		if err := annotate(ctx, db, map[string]string{v1.AnnotationSnapshotRequest: "second"}); err != nil {
			t.Fatal(err)
		}
		second := waitManualSnapshot(t, db, "second")
		if second.Snapshot == first.Snapshot {
			t.Errorf("tokens first and second share snapshot %s", second.Snapshot)
		}
		for _, snap := range []string{first.Snapshot, second.Snapshot} {
			if n := tookSnapshot(snap); n != 1 {
				t.Errorf("%d CreateDBSnapshot calls took %s, want 1", n, snap)
			}
		}
	})

	t.Run("MalformedToken", func(t *testing.T) {
		if err := annotate(ctx, db, map[string]string{v1.AnnotationSnapshotRequest: "Not_A_Token"}); err != nil {
			t.Fatal(err)
		}
		waitCondition(t, db, v1.ConditionBackupsConfigured, v1.ReasonSnapshotRequestInvalid)
		got := &v1.RDSDatabase{}
		if err := stack.Client.Get(ctx, client.ObjectKeyFromObject(db), got); err != nil {
			t.Fatal(err)
		}
		if last := got.Status.Backup.LastManualSnapshot; last == nil || last.Request != "second" {
			t.Errorf("status.backup.lastManualSnapshot = %+v after a malformed token, want the second request's kept", last)
		}
		if !eventSays(t, ns, db.Name, v1.ReasonSnapshotRequestInvalid, "Not_A_Token") {
			t.Errorf("no Warning %s Event names the malformed token", v1.ReasonSnapshotRequestInvalid)
		}
		if err := annotate(ctx, db, map[string]string{v1.AnnotationSnapshotRequest: "second"}); err != nil {
			t.Fatal(err)
		}
		waitCondition(t, db, v1.ConditionBackupsConfigured, v1.ReasonAutomatedBackups)
	})

	if err := stack.Client.Delete(ctx, db); err != nil {
		t.Fatal(err)
	}
	waitGone(t, db)
}

// waitManualSnapshot waits until status.backup.lastManualSnapshot serves request and is
// complete, and returns it.
func waitManualSnapshot(t *testing.T, db *v1.RDSDatabase, request string) *v1.ManualSnapshotStatus {
	t.Helper()
	var last *v1.ManualSnapshotStatus
	err := harness.WaitFor(context.Background(), readyTimeout, func(ctx context.Context) (bool, error) {
		got := &v1.RDSDatabase{}
		if err := stack.Client.Get(ctx, client.ObjectKeyFromObject(db), got); err != nil {
			return false, err
		}
		if got.Status.Backup != nil {
			last = got.Status.Backup.LastManualSnapshot
		}
		return last != nil && last.Request == request && last.Complete, nil
	})
	if err != nil {
		t.Fatalf("request %s never had a complete snapshot (status.backup.lastManualSnapshot %+v): %v", request, last, err)
	}
	return last
}

// createSnapshotCalls counts the CreateDBSnapshot calls naming snapshot the emulator got,
// refused ones included.
func createSnapshotCalls(snapshot string) int {
	n := 0
	for _, c := range stack.Emulator.Stats().Log {
		if c.Action == "CreateDBSnapshot" && c.ID == snapshot {
			n++
		}
	}
	return n
}

// tookSnapshot counts the CreateDBSnapshot calls naming snapshot that the emulator answered
// by taking it.
func tookSnapshot(snapshot string) int {
	n := 0
	for _, c := range stack.Emulator.Stats().Log {
		if c.Action == "CreateDBSnapshot" && c.ID == snapshot && c.Code == "" {
			n++
		}
	}
	return n
}
