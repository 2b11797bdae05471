package rdsctl

import (
	"context"
	"flag"
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1 "github.com/matrixmind-cloud/aws-rds-operator/api/v1"
)

var restoreCommand = command{
	name: "restore", object: true,
	args:    "NAME --from SNAPSHOT --to NEW",
	summary: "Write a new RDSDatabase like NAME, restored from a snapshot.",
	example: "  kubectl rds backups orders     # pick a snapshot\n  kubectl rds restore orders --from orders-202612020300-9f8e --to orders-old",
	flags: func(fs *flag.FlagSet) func(context.Context, *env, []string) error {
		var from, to string
		fs.StringVar(&from, "from", "", "The snapshot to restore (its identifier or ARN; see kubectl rds backups).")
		fs.StringVar(&to, "to", "", "The name of the new RDSDatabase.")
		return func(ctx context.Context, e *env, names []string) error {
			name, err := oneName(names)
			if err != nil {
				return err
			}
			if from == "" || to == "" {
				return wrongUse("give --from SNAPSHOT and --to NEW")
			}
			return e.restore(ctx, name, from, to)
		}
	},
}

// restore creates the RDSDatabase to in the same namespace, with name's spec and
// restoreFrom the snapshot from. The operator checks that the snapshot is one the
// namespace may restore; the apiserver, that the user may create the object.
func (e *env) restore(ctx context.Context, name, from, to string) error {
	src, err := e.getDatabase(ctx, name)
	if err != nil {
		return err
	}
	db := &v1.RDSDatabase{ObjectMeta: metav1.ObjectMeta{Namespace: src.Namespace, Name: to}, Spec: *src.Spec.DeepCopy()}
	db.Spec.RestoreFrom = &v1.RestoreFrom{Snapshot: from}
	if db.Spec.Class == "" {
		db.Spec.Class = src.Status.Class // the same place as the original, whatever the default is now
	}
	if err := e.client.Create(ctx, db); err != nil {
		return fmt.Errorf("create rdsdatabase %s/%s: %w", db.Namespace, to, err)
	}
	fmt.Fprintf(e.stdout, "rdsdatabase %s/%s created, restoring snapshot %s (follow it with: kubectl rds status %s)\n", db.Namespace, to, from, to)
	return nil
}
