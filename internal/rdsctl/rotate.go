package rdsctl

import (
	"context"
	"flag"
	"fmt"
	"strconv"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/matrixmind-cloud/aws-rds-operator/api/v1"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/naming"
)

var rotateCommand = command{
	name: "rotate", object: true,
	args:    "NAME (--user U | --master) [--timeout D] [--no-wait]",
	summary: "Give a user a new password and wait until it is verified.",
	example: "  kubectl rds rotate orders --user app\n  kubectl rds rotate orders --master --timeout 10m",
	flags: func(fs *flag.FlagSet) func(context.Context, *env, []string) error {
		var user string
		var master, noWait bool
		timeout := 5 * time.Minute
		fs.StringVar(&user, "user", "", "The user whose password to rotate.")
		fs.StringVar(&user, "u", "", "Short for --user.")
		fs.BoolVar(&master, "master", false, "Rotate the master user's password.")
		fs.BoolVar(&noWait, "no-wait", false, "Ask for the rotation and return.")
		fs.DurationVar(&timeout, "timeout", timeout, "How long to wait for the new password to be verified.")
		return func(ctx context.Context, e *env, names []string) error {
			name, err := oneName(names)
			if err != nil {
				return err
			}
			if (user == "") == !master {
				return wrongUse("give --user U or --master")
			}
			return e.rotate(ctx, name, user, noWait, timeout)
		}
	},
}

// rotate asks the operator for a new password of user ("" for the master) of the
// RDSDatabase name, with a rotation annotation of a value never used before, and waits
// until the user's Secret says it was carried out and verified.
func (e *env) rotate(ctx context.Context, name, user string, noWait bool, timeout time.Duration) error {
	db, err := e.getDatabase(ctx, name)
	if err != nil {
		return err
	}
	key, secretName := v1.AnnotationRotatePrefix+v1.RotateMaster, naming.MasterSecretName(db.Name)
	if user != "" {
		if _, ok := db.Spec.Users[user]; !ok {
			return fmt.Errorf("%s has no user %q in spec.users", name, user)
		}
		key, secretName = v1.AnnotationRotatePrefix+user, naming.UserSecretName(db.Name, user)
	}
	token := strconv.FormatInt(e.now().UnixNano(), 36) // new each time, and short: it goes in names
	patch := client.MergeFrom(db.DeepCopy())
	if db.Annotations == nil {
		db.Annotations = map[string]string{}
	}
	db.Annotations[key] = token
	if err := e.client.Patch(ctx, db, patch); err != nil {
		return explain(err, "rdsdatabase", db.Namespace, db.Name)
	}
	fmt.Fprintf(e.stdout, "rotation %s asked (annotation %s)\n", token, key)
	if noWait {
		return nil
	}
	err = wait.PollUntilContextTimeout(ctx, time.Second, timeout, true, func(ctx context.Context) (bool, error) {
		sec := &corev1.Secret{}
		if err := e.client.Get(ctx, client.ObjectKey{Namespace: db.Namespace, Name: secretName}, sec); err != nil {
			return false, explain(err, "secret", db.Namespace, secretName)
		}
		return sec.Annotations[v1.AnnotationRotated] == token && sec.Annotations[v1.AnnotationRotationPending] == "", nil
	})
	if err != nil {
		return fmt.Errorf("the new password was not verified within %s (see kubectl rds status %s): %w", timeout, name, err)
	}
	fmt.Fprintf(e.stdout, "the new password is in Secret %s and logs in\n", secretName)
	return nil
}
