// Package scale measures the operator against a fleet: 200 databases in the emulator's
// no-engine mode (instances get an endpoint, no server), a real apiserver and the operator.
// It asserts the AWS call budget of a steady state and reports the figures.
package scale

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/matrixmind-cloud/aws-rds-operator/api/v1"
	"github.com/matrixmind-cloud/aws-rds-operator/test/harness"
)

const (
	fleet  = 200
	resync = 3 * time.Second
	// The operator reads RDS's event feed once a resync, and lists every database once
	// every three.
	feed, safetyNet = resync, 3 * resync
)

var stack *harness.Stack

func TestMain(m *testing.M) {
	var err error
	stack, err = harness.StartWith(harness.Options{NoEngine: true, Resync: resync, Feed: feed, SafetyNet: safetyNet})
	if err != nil {
		fmt.Fprintf(os.Stderr, "start the test stack: %v\n", err)
		os.Exit(1)
	}
	code := m.Run()
	stack.Stop()
	os.Exit(code)
}

// TestFleetSteadyState creates 200 databases at once, waits until the cloud has them all,
// and counts the AWS calls of three resync intervals in which nothing changes: one read of
// the event feed per interval (DescribeEvents), and one shared paged DescribeDBInstances
// (two calls for 200) per safety-net interval, whatever the number of objects.
func TestFleetSteadyState(t *testing.T) {
	ctx := context.Background()
	ns, err := stack.Namespace(ctx, "fleet")
	if err != nil {
		t.Fatal(err)
	}
	stack.Emulator.ResetStats()
	started := time.Now()
	for i := 0; i < fleet; i++ {
		db := &v1.RDSDatabase{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: fmt.Sprintf("db-%03d", i)}}
		db.Spec.DeletionPolicy = v1.DeletionDelete
		if err := stack.Client.Create(ctx, db); err != nil {
			t.Fatal(err)
		}
	}
	err = harness.WaitFor(ctx, 5*time.Minute, func(ctx context.Context) (bool, error) {
		var list v1.RDSDatabaseList
		if err := stack.Client.List(ctx, &list, client.InNamespace(ns)); err != nil {
			return false, err
		}
		provisioned := 0
		for _, db := range list.Items {
			if meta.IsStatusConditionTrue(db.Status.Conditions, v1.ConditionProvisioned) {
				provisioned++
			}
		}
		return provisioned == fleet, nil
	})
	if err != nil {
		t.Fatalf("the fleet was not provisioned: %v", err)
	}
	wave := stack.Emulator.Stats().Calls
	t.Logf("create wave: %d databases provisioned in %s; AWS calls %v (%.2f per database)",
		fleet, time.Since(started).Round(time.Second), wave, float64(total(wave))/fleet)

	// Let the last changes settle into the shared view, and the wave's events out of the
	// window each read of the feed reads again (two reads' worth).
	time.Sleep(safetyNet)
	stack.Emulator.ResetStats()
	const intervals = 3
	time.Sleep(intervals * resync)
	calls := stack.Emulator.Stats().Calls
	perResync := float64(total(calls)) / intervals
	t.Logf("steady state: %v over %d resync intervals: %.1f AWS calls per resync for %d databases", calls, intervals, perResync, fleet)
	// A window of three intervals holds up to four reads of the feed and two lists (one
	// at each end), of two pages each.
	reads, lists := intervals*resync/feed+1, intervals*resync/safetyNet+1
	if n := calls["DescribeEvents"]; n < 1 || n > int(reads) {
		t.Errorf("%d reads of the event feed in %d resync intervals, want 1 to %d", n, intervals, reads)
	}
	if n := calls["DescribeDBInstances"]; n > int(lists)*2 {
		t.Errorf("%d DescribeDBInstances in %d resync intervals, want at most %d (%d lists of 2 pages)", n, intervals, 2*lists, lists)
	}
	for action, n := range calls {
		// Aurora clusters are looked for once every ten refreshes when there are none.
		if action != "DescribeDBInstances" && action != "DescribeEvents" && (action != "DescribeDBClusters" || n > 1) {
			t.Errorf("%s called %d times in a steady state", action, n)
		}
	}
}

func total(calls map[string]int) int {
	n := 0
	for _, c := range calls {
		n += c
	}
	return n
}
