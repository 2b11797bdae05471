package rdsctl

import (
	"context"
	"flag"
	"fmt"
	"strconv"
	"time"

	"k8s.io/apimachinery/pkg/util/wait"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/matrixmind-cloud/aws-rds-operator/api/v1"
)

var snapshotCommand = command{
	name: "snapshot", object: true,
	args:    "NAME [--timeout D] [--no-wait]",
	summary: "Take a snapshot now (kept until deleted) and wait until complete.",
	example: "  kubectl rds snapshot orders\n  kubectl rds restore orders --from <the snapshot> --to orders-copy",
	flags: func(fs *flag.FlagSet) func(context.Context, *env, []string) error {
		var noWait bool
		timeout := 30 * time.Minute
		fs.BoolVar(&noWait, "no-wait", false, "Ask for the snapshot and return.")
		fs.DurationVar(&timeout, "timeout", timeout, "How long to wait for the snapshot to complete.")
		return func(ctx context.Context, e *env, names []string) error {
			name, err := oneName(names)
			if err != nil {
				return err
			}
			return e.snapshot(ctx, name, noWait, timeout)
		}
	},
}

// snapshot asks the operator for a manual snapshot of the RDSDatabase name, with a request
// token never used before in v1.AnnotationSnapshotRequest, and waits until
// status.backup.lastManualSnapshot says that request's snapshot is complete.
func (e *env) snapshot(ctx context.Context, name string, noWait bool, timeout time.Duration) error {
	db, err := e.getDatabase(ctx, name)
	if err != nil {
		return err
	}
	token := strconv.FormatInt(e.now().UnixNano(), 36) // new each time, and short: it goes in names
	patch := client.MergeFrom(db.DeepCopy())
	if db.Annotations == nil {
		db.Annotations = map[string]string{}
	}
	db.Annotations[v1.AnnotationSnapshotRequest] = token
	if err := e.client.Patch(ctx, db, patch); err != nil {
		return explain(err, "rdsdatabase", db.Namespace, db.Name)
	}
	fmt.Fprintf(e.stdout, "snapshot %s asked (annotation %s)\n", token, v1.AnnotationSnapshotRequest)
	if noWait {
		return nil
	}
	var last *v1.ManualSnapshotStatus
	err = wait.PollUntilContextTimeout(ctx, time.Second, timeout, true, func(ctx context.Context) (bool, error) {
		cur, err := e.getDatabase(ctx, name)
		if err != nil {
			return false, err
		}
		if b := cur.Status.Backup; b != nil && b.LastManualSnapshot != nil && b.LastManualSnapshot.Request == token {
			last = b.LastManualSnapshot
		}
		return last != nil && last.Complete, nil
	})
	if err != nil {
		state := "not started"
		if last != nil {
			state = last.Snapshot + " " + orDefault(last.Status, "pending")
		}
		return fmt.Errorf("the snapshot did not complete within %s (%s; see kubectl rds status %s): %w", timeout, state, name, err)
	}
	fmt.Fprintf(e.stdout, "snapshot %s is complete\n", last.Snapshot)
	return nil
}
