package e2e

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsrds "github.com/aws/aws-sdk-go-v2/service/rds"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	crmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"

	v1 "github.com/matrixmind-cloud/aws-rds-operator/api/v1"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/emulator"
	"github.com/matrixmind-cloud/aws-rds-operator/test/harness"
)

// TestDriftFoundThroughTheFeed changes a database at the console (the emulator's tamper
// hook: no API call, only RDS's own events record it) and checks that the operator repairs
// it through the feed of RDS events, before any list of every database: the instance class
// is put back (the class reached the shared view through the feed's look at that one
// database) and the master password reset at the console is set again from the Secret, with
// an Event saying so (the feed is what told the operator; no login found it). The harness
// reads the feed every half second and lists every database every 10 seconds.
func TestDriftFoundThroughTheFeed(t *testing.T) {
	ctx := context.Background()
	ns := namespace(t, "feed")
	db := &v1.RDSDatabase{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "watched"}}
	db.Spec.DeletionPolicy = v1.DeletionDelete
	db.Spec.Users = map[string]v1.UserRoles{"app": {}}
	if err := stack.Client.Create(ctx, db); err != nil {
		t.Fatal(err)
	}
	id := waitReady(t, db).Status.Cloud.Identifier
	api, err := stack.RDS(ctx)
	if err != nil {
		t.Fatal(err)
	}
	classBack := func(ctx context.Context) (bool, error) {
		out, err := api.DescribeDBInstances(ctx, &awsrds.DescribeDBInstancesInput{DBInstanceIdentifier: aws.String(id)})
		if err != nil || len(out.DBInstances) != 1 {
			return false, err
		}
		return aws.ToString(out.DBInstances[0].DBInstanceClass) == "db.t4g.micro", nil
	}
	masterURI := string(secretData(t, ns, "watched.rds.master")["uri"])
	// A list of every database may come due while the repair is under way (every 10
	// seconds here): that attempt proves nothing, and the drift is made again.
	for attempt := 1; ; attempt++ {
		lists := viewReads(t, "list")
		drifted := time.Now()
		err := stack.Emulator.Tamper(id, func(tp *emulator.Tampering) {
			tp.DBInstanceClass = "db.m7g.xlarge"
			tp.MasterUserPassword = "Reset-At-The-Console-1"
		})
		if err != nil {
			t.Fatal(err)
		}
		if err := harness.WaitFor(ctx, readyTimeout, classBack); err != nil {
			t.Fatalf("the class changed at the console was not put back: %v", err)
		}
		err = harness.WaitFor(ctx, readyTimeout, func(ctx context.Context) (bool, error) {
			return logsIn(ctx, masterURI, "") == nil, nil
		})
		if err != nil {
			t.Fatalf("the master password reset at the console was not set again from the Secret: %v", err)
		}
		took := time.Since(drifted).Round(100 * time.Millisecond)
		listed := viewReads(t, "list") != lists
		// The master's refused login (a pass of the object's own, come first) repairs the
		// password too, without the feed: that attempt proves nothing either.
		if !listed && eventSays(t, ns, db.Name, v1.EventMasterPasswordReset, "not by the operator") {
			t.Logf("attempt %d: class and master password repaired in %s through the feed, with no list of every database", attempt, took)
			break
		}
		if attempt == 5 {
			t.Fatalf("5 attempts, and each time a list of every database came before the repair, or the password was repaired by its refused login, not through the feed (no %s Event)", v1.EventMasterPasswordReset)
		}
		t.Logf("attempt %d: repaired in %s, but not through the feed alone (a list of every database came meanwhile: %t); drifting again", attempt, took, listed)
	}
	waitCondition(t, db, v1.ConditionAccessVerified, v1.ReasonAllLogIn)
}

// viewReads is the operator's count of its own RDS view's reads of the cloud of a kind
// (list, some, feed).
func viewReads(t *testing.T, kind string) float64 {
	t.Helper()
	families, err := crmetrics.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != "rds_operator_cloud_view_reads_total" {
			continue
		}
		for _, m := range f.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if labels["cloud"] == "aws" && labels["kind"] == kind {
				return m.GetCounter().GetValue()
			}
		}
	}
	return 0
}
