package e2e

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
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
	"github.com/matrixmind-cloud/aws-rds-operator/internal/naming"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/serverproc"
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
	if stack.CNPG != nil {
		// CloudNativePG's Services have names only a cluster's DNS knows: the harness's
		// stand-in answers for them, and dials every other address as it is.
		cfg.LookupFunc = func(_ context.Context, host string) ([]string, error) { return []string{host}, nil }
		cfg.DialFunc = pgconn.DialFunc(stack.CNPG.Dial)
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

// verifiesOnlyWithItsCA checks that a Secret's uri, with its ca.crt as the root and sslmode
// (verify-full, or verify-ca where the CA issues the server's certificate for another name
// than its address), logs in, and that a client trusting another CA is refused: an
// application with only its Secret mounted verifies the server.
func verifiesOnlyWithItsCA(ctx context.Context, t *testing.T, data map[string][]byte, sslmode string) {
	t.Helper()
	if len(data["ca.crt"]) == 0 {
		t.Fatal("the Secret has no ca.crt")
	}
	impostor, err := serverproc.NewCA("an impostor's CA")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for i, tc := range []struct {
		reason string
		ca     []byte
		ok     bool
	}{
		{"the Secret's ca.crt verifies the server", data["ca.crt"], true},
		{"a client trusting another CA refuses the server", impostor.PEM, false},
	} {
		path := filepath.Join(dir, fmt.Sprintf("ca-%d.crt", i))
		if err := os.WriteFile(path, tc.ca, 0o600); err != nil {
			t.Fatal(err)
		}
		uri := strings.Replace(string(data["uri"]), "sslmode=require", "sslmode="+sslmode+"&sslrootcert="+path, 1)
		if err := logsIn(ctx, uri, ""); (err == nil) != tc.ok {
			t.Errorf("%s: login with sslmode=%s: %v", tc.reason, sslmode, err)
		}
	}
}

// roleChecks says what a PostgreSQL user of the user story may be: a member of the cloud's
// admin role (the spec's superuser), with CREATEDB.
type roleChecks map[string]struct{ admin, createdb bool }

// everyUserHasItsRoles logs in as each user of object name with only its Secret (the
// master's is <name>.rds.master) and checks it is no PostgreSQL superuser, a member of
// adminRole and CREATEDB as want says; then that reporting cannot create a database and app
// can write to database (which it owns).
func everyUserHasItsRoles(ctx context.Context, t *testing.T, ns, name, adminRole, database string, want roleChecks) {
	t.Helper()
	for user, w := range want {
		secret := name + ".rds." + user
		if user == "sysadmin" {
			secret = name + ".rds.master"
		}
		data := secretData(t, ns, secret)
		conn, err := loginWith(ctx, string(data["uri"]), "")
		if err != nil {
			t.Errorf("%s cannot log in to %s with only its Secret: %v", user, data["dbname"], err)
			continue
		}
		var member, createdb, super bool
		err = conn.QueryRow(ctx, `select pg_has_role(current_user, $1, 'member'), rolcreatedb, rolsuper
			from pg_roles where rolname = current_user`, adminRole).Scan(&member, &createdb, &super)
		_ = conn.Close(ctx)
		if err != nil {
			t.Errorf("%s: %v", user, err)
			continue
		}
		if super {
			t.Errorf("%s is a PostgreSQL superuser: the cloud has none to give", user)
		}
		if member != w.admin || createdb != w.createdb {
			t.Errorf("%s: member of %s %t (want %t), CREATEDB %t (want %t)", user, adminRole, member, w.admin, createdb, w.createdb)
		}
	}
	conn, err := loginWith(ctx, string(secretData(t, ns, name+".rds.reporting")["uri"]), database)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = conn.Close(ctx) }()
	if _, err := conn.Exec(ctx, "create database reporting_own"); sqlState(err) != "42501" {
		t.Errorf("reporting created a database without createdb (err %v)", err)
	}
}

// secretsWereFirst checks that the object's Secrets (names) all existed when the first
// call about its database (id) reached the cloud (cloudName, for messages).
func secretsWereFirst(t *testing.T, id, cloudName string, want []string) {
	t.Helper()
	names, ok := stack.SecretsAtFirstCloudCall(id)
	if !ok {
		t.Fatalf("no %s call was recorded for the object", cloudName)
	}
	slices.Sort(names)
	if !slices.Equal(names, want) {
		t.Errorf("Secrets present at the first %s call: %v, want %v", cloudName, names, want)
	}
}

// placedOn checks that db's status records class and provider, and that nothing about its
// database (id) reached RDS.
func placedOn(t *testing.T, db *v1.RDSDatabase, class, provider, id string) {
	t.Helper()
	if db.Status.Class != class || db.Status.Provider != provider {
		t.Errorf("status.class %q provider %q, want %s and %s", db.Status.Class, db.Status.Provider, class, provider)
	}
	for _, call := range stack.Emulator.Stats().Log {
		if call.ID == id {
			t.Errorf("the %s object reached RDS: %s %s", provider, call.Action, call.ID)
		}
	}
}

// deleteAndWait deletes db as it is now, as kubectl delete would, and waits until it is gone.
func deleteAndWait(ctx context.Context, t *testing.T, db *v1.RDSDatabase) {
	t.Helper()
	cur := &v1.RDSDatabase{}
	if err := stack.Client.Get(ctx, client.ObjectKeyFromObject(db), cur); err != nil {
		t.Fatal(err)
	}
	if err := stack.Client.Delete(ctx, cur); err != nil {
		t.Fatal(err)
	}
	waitGone(t, cur)
}

// usersHaveTheirRoles logs in as each user of object name (the master under its own name)
// to database with only its Secret and checks it is no superuser, and CREATEDB exactly as
// createdb says: what a place without an admin role to grant gives (an existing server,
// CloudNativePG).
func usersHaveTheirRoles(ctx context.Context, t *testing.T, ns, name, master, database string, createdb map[string]bool) {
	t.Helper()
	for user, want := range createdb {
		secret := naming.UserSecretName(name, user)
		if user == master {
			secret = naming.MasterSecretName(name)
		}
		conn, err := loginWith(ctx, string(secretData(t, ns, secret)["uri"]), database)
		if err != nil {
			t.Errorf("%s cannot log in to %s with only its Secret: %v", user, database, err)
			continue
		}
		var super, canCreate bool
		err = conn.QueryRow(ctx, "select rolsuper, rolcreatedb from pg_roles where rolname = current_user").Scan(&super, &canCreate)
		_ = conn.Close(ctx)
		if err != nil || super || canCreate != want {
			t.Errorf("%s: superuser %t, createdb %t (want false, %t), err %v", user, super, canCreate, want, err)
		}
	}
}
