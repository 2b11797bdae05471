package e2e

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsrds "github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/rds/types"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/matrixmind-cloud/aws-rds-operator/api/v1"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/naming"
	"github.com/matrixmind-cloud/aws-rds-operator/test/harness"
)

// namespaceGoneTimeout bounds a namespace deletion with three databases in it: the namespace
// controller looks again every few seconds while the operator's finalizers hold the
// RDSDatabases, and the emulator takes a final snapshot and deletes in about a second.
const namespaceGoneTimeout = time.Minute

// Bounds, per database, on the writes the apiserver may refuse the operator in a terminating
// namespace, where nothing new may be created. A loop, retrying at the operator's requeue
// interval until the namespace is gone, makes dozens of either.
const (
	// refusedEventsPerDatabase: its deletion is announced in an Event or two, each refused
	// once and never retried.
	refusedEventsPerDatabase = 2
	// remadePerDatabase: the namespace controller deletes the kinds of a namespace in no
	// fixed order. When it deletes the operator's Secrets or Service an instant before the
	// RDSDatabases, each deletion brings a pass that tries to make the object anew, once:
	// the refusal ends that pass quietly (no retry), and the object's own deletion brings
	// the next. At most its master Secret, its user's Secret and its Service.
	remadePerDatabase = 3
)

// TestNamespaceDeletion is a team deleting its namespace with three Ready databases in it,
// one under each deletionPolicy: the namespace goes away as in a cluster, within a bounded
// time, and the cloud is left as each policy says. In the terminating namespace, where the
// apiserver refuses anything new (Secrets, Events), the operator does not loop on refusals.
func TestNamespaceDeletion(t *testing.T) {
	ctx := context.Background()
	api, err := stack.RDS(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ns := namespace(t, "ns-delete")
	policies := map[string]v1.DeletionPolicy{"snap": v1.DeletionSnapshot, "drop": v1.DeletionDelete, "keep": v1.DeletionRetain}
	ready := map[string]*v1.RDSDatabase{}
	for name, policy := range policies {
		db := &v1.RDSDatabase{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}
		db.Spec.DeletionPolicy = policy
		if err := stack.Client.Create(ctx, db); err != nil {
			t.Fatal(err)
		}
		ready[name] = db
	}
	for name, db := range ready {
		ready[name] = waitReady(t, db)
	}

	began := time.Now()
	if err := stack.Client.Delete(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil {
		t.Fatal(err)
	}
	last := &corev1.Namespace{}
	err = harness.WaitFor(ctx, namespaceGoneTimeout, func(ctx context.Context) (bool, error) {
		err := stack.Client.Get(ctx, client.ObjectKey{Name: ns}, last)
		return apierrors.IsNotFound(err), client.IgnoreNotFound(err)
	})
	if err != nil {
		t.Fatalf("namespace %s not gone %s after its deletion: %v; its status: %+v", ns, namespaceGoneTimeout, err, last.Status)
	}
	t.Logf("namespace %s gone %.1fs after its deletion", ns, time.Since(began).Seconds())

	for name, policy := range policies {
		id := naming.Identifier(ns, name)
		inst, derr := api.DescribeDBInstances(ctx, &awsrds.DescribeDBInstancesInput{DBInstanceIdentifier: aws.String(id)})
		var notFound *types.DBInstanceNotFoundFault
		gone := errors.As(derr, &notFound)
		if derr != nil && !gone {
			t.Fatal(derr)
		}
		snaps, err := api.DescribeDBSnapshots(ctx, &awsrds.DescribeDBSnapshotsInput{DBInstanceIdentifier: aws.String(id), SnapshotType: aws.String("manual")})
		if err != nil {
			t.Fatal(err)
		}
		switch policy {
		case v1.DeletionSnapshot:
			want := naming.FinalSnapshotIdentifier(id, string(ready[name].UID))
			if !gone || len(snaps.DBSnapshots) != 1 || aws.ToString(snaps.DBSnapshots[0].DBSnapshotIdentifier) != want {
				t.Errorf("Snapshot: instance gone %v, %d snapshots: want it gone and exactly the final snapshot %s", gone, len(snaps.DBSnapshots), want)
			}
		case v1.DeletionDelete:
			if !gone || len(snaps.DBSnapshots) != 0 {
				t.Errorf("Delete: instance gone %v, %d snapshots: want it gone and no snapshot", gone, len(snaps.DBSnapshots))
			}
		case v1.DeletionRetain:
			if gone || aws.ToString(inst.DBInstances[0].DBInstanceStatus) == "deleting" || len(snaps.DBSnapshots) != 0 {
				t.Errorf("Retain: instance gone %v, %d snapshots: want it left alone and no snapshot", gone, len(snaps.DBSnapshots))
			}
			if !gone { // it is the team's now; this test cleans up its own database server
				if _, err := api.DeleteDBInstance(ctx, &awsrds.DeleteDBInstanceInput{DBInstanceIdentifier: aws.String(id), SkipFinalSnapshot: aws.Bool(true)}); err != nil {
					t.Errorf("delete the retained database: %v", err)
				}
			}
		}
	}

	requests := stack.APIRequests(ns, began)
	t.Logf("the operator's requests in %s after its deletion: %s", ns, summarize(requests))
	var events, remade, other []harness.APIRequest
	for _, r := range requests {
		// A read, a conflict (the status write's optimistic lock) and a write to what is
		// already gone are ordinary.
		if r.Method == http.MethodGet || r.Code < 400 || r.Code == http.StatusNotFound || r.Code == http.StatusConflict {
			continue
		}
		switch {
		case r.Resource == "events":
			events = append(events, r)
		case r.Method == http.MethodPost && (r.Resource == "secrets" || r.Resource == "services"):
			remade = append(remade, r)
		default:
			other = append(other, r)
		}
	}
	n := len(policies)
	if len(events) > refusedEventsPerDatabase*n {
		t.Errorf("the apiserver refused %d of the operator's Event writes in the terminating namespace, want at most %d: %s",
			len(events), refusedEventsPerDatabase*n, summarize(events))
	}
	if len(remade) > remadePerDatabase*n {
		t.Errorf("the apiserver refused %d of the operator's Secrets and Services made anew in the terminating namespace, want at most %d: %s",
			len(remade), remadePerDatabase*n, summarize(remade))
	}
	if len(other) > 0 {
		t.Errorf("the apiserver refused %d other writes of the operator in the terminating namespace: %s", len(other), summarize(other))
	}
}

// summarize counts requests by method, resource and answer, e.g. "POST events 403: 3".
func summarize(requests []harness.APIRequest) string {
	counts := map[string]int{}
	for _, r := range requests {
		counts[fmt.Sprintf("%s %s %d", r.Method, r.Resource, r.Code)]++
	}
	out := make([]string, 0, len(counts))
	for k, n := range counts {
		out = append(out, fmt.Sprintf("%s: %d", k, n))
	}
	sort.Strings(out)
	return strings.Join(out, ", ")
}
