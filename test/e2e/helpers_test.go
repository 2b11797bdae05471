package e2e

import (
	"context"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	v1 "github.com/matrixmind-cloud/aws-rds-operator/api/v1"
	"github.com/matrixmind-cloud/aws-rds-operator/test/harness"
)

// readyTimeout covers a real PostgreSQL being initialised and started by the emulator.
const readyTimeout = 2 * time.Minute

// sample reads the sample object users are told to apply.
func sample(t *testing.T, namespace string) *v1.RDSDatabase {
	t.Helper()
	raw, err := os.ReadFile(stack.Root + "/config/samples/matrixmind_v1_rdsdatabase.yaml")
	if err != nil {
		t.Fatal(err)
	}
	db := &v1.RDSDatabase{}
	if err := yaml.UnmarshalStrict(raw, db); err != nil {
		t.Fatalf("parse the sample: %v", err)
	}
	db.Namespace = namespace
	return db
}

func namespace(t *testing.T, prefix string) string {
	t.Helper()
	ns, err := stack.Namespace(context.Background(), prefix)
	if err != nil {
		t.Fatal(err)
	}
	return ns
}

// waitReady waits until db's Ready condition is True for its current generation and returns
// the object as it is then.
func waitReady(t *testing.T, db *v1.RDSDatabase) *v1.RDSDatabase {
	t.Helper()
	got := &v1.RDSDatabase{}
	err := harness.WaitFor(context.Background(), readyTimeout, func(ctx context.Context) (bool, error) {
		if err := stack.Client.Get(ctx, client.ObjectKeyFromObject(db), got); err != nil {
			return false, err
		}
		c := meta.FindStatusCondition(got.Status.Conditions, v1.ConditionReady)
		return c != nil && c.Status == metav1.ConditionTrue && c.ObservedGeneration == got.Generation, nil
	})
	if err != nil {
		t.Fatalf("%s never became Ready: %v; status: %+v", db.Name, err, got.Status)
	}
	return got
}

// secretData returns a Secret's data.
func secretData(t *testing.T, namespace, name string) map[string][]byte {
	t.Helper()
	s := &corev1.Secret{}
	if err := stack.Client.Get(context.Background(), client.ObjectKey{Namespace: namespace, Name: name}, s); err != nil {
		t.Fatalf("secret %s: %v", name, err)
	}
	return s.Data
}

// loginWith connects with nothing but a Secret's uri, optionally to another database.
func loginWith(ctx context.Context, uri, database string) (*pgx.Conn, error) {
	cfg, err := pgx.ParseConfig(uri)
	if err != nil {
		return nil, err
	}
	if database != "" {
		cfg.Database = database
	}
	return pgx.ConnectConfig(ctx, cfg)
}

func sqlState(err error) string {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code
	}
	return ""
}

// waitGone waits until the object no longer exists.
func waitGone(t *testing.T, obj client.Object) {
	t.Helper()
	err := harness.WaitFor(context.Background(), readyTimeout, func(ctx context.Context) (bool, error) {
		err := stack.Client.Get(ctx, client.ObjectKeyFromObject(obj), obj)
		return client.IgnoreNotFound(err) == nil && err != nil, client.IgnoreNotFound(err)
	})
	if err != nil {
		t.Fatalf("%s was not deleted: %v", obj.GetName(), err)
	}
}

// update changes db's spec as kubectl edit would, retrying when the operator wrote the object
// in between (it adds its finalizer and status).
func update(ctx context.Context, db *v1.RDSDatabase, mutate func(*v1.RDSDatabaseSpec)) error {
	return retry.RetryOnConflict(retry.DefaultRetry, func() error {
		cur := &v1.RDSDatabase{}
		if err := stack.Client.Get(ctx, client.ObjectKeyFromObject(db), cur); err != nil {
			return err
		}
		mutate(&cur.Spec)
		return stack.Client.Update(ctx, cur)
	})
}

// logsIn logs in with uri (to database, when not empty) and out again: it tells whether the
// credentials work, and leaves no session open either way.
func logsIn(ctx context.Context, uri, database string) error {
	conn, err := loginWith(ctx, uri, database)
	if err != nil {
		return err
	}
	return conn.Close(ctx)
}
