package e2e

import (
	"context"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/matrixmind-cloud/aws-rds-operator/internal/naming"
)

// TestSampleBecomesReady is the user's story: apply the sample, get Secrets at once, wait for
// Ready, and log in as every user with nothing but its Secret.
func TestSampleBecomesReady(t *testing.T) {
	ctx := context.Background()
	ns := namespace(t, "sample")
	db := sample(t, ns)
	if err := stack.Client.Create(ctx, db); err != nil {
		t.Fatalf("apply the sample: %v", err)
	}
	id := naming.Identifier(ns, db.Name)
	got := waitReady(t, db)

	wantSecrets := []string{"orders.rds.admin", "orders.rds.app", "orders.rds.master", "orders.rds.reporting"}
	t.Run("SecretsExistedBeforeTheFirstCloudCall", func(t *testing.T) {
		names, ok := stack.SecretsAtFirstCloudCall(id)
		if !ok {
			t.Fatal("no cloud call was recorded for the object")
		}
		sort.Strings(names)
		if diff := cmp.Diff(wantSecrets, names); diff != "" {
			t.Errorf("Secrets present at the first cloud call: -want +got:\n%s", diff)
		}
	})

	t.Run("StatusMirrorsTheCloud", func(t *testing.T) {
		c := got.Status.Cloud
		// A database backing up (its first automated backup) already serves connections.
		if c == nil || (c.Status != "available" && c.Status != "backing-up") || c.Identifier != id || c.Endpoint == "" || c.Port == 0 {
			t.Fatalf("status.cloud = %+v, want available or backing-up with identifier %s and an endpoint", c, id)
		}
		if got.Status.RequestedStorageGiB != 20 || c.AllocatedStorageGiB != 20 {
			t.Errorf("10GB on gp3 should be raised to 20 GiB: requested %d, cloud %d", got.Status.RequestedStorageGiB, c.AllocatedStorageGiB)
		}
		if got.Status.Phase != "Ready" {
			t.Errorf("phase = %q, want Ready", got.Status.Phase)
		}
		if got.Status.Class != "" || got.Status.Provider != "aws" {
			t.Errorf("status.class %q, status.provider %q: with no DatabaseClass the sample lands on the operator's own AWS settings", got.Status.Class, got.Status.Provider)
		}
		secrets := slices.Clone(got.Status.Secrets)
		sort.Strings(secrets)
		if diff := cmp.Diff(wantSecrets, secrets); diff != "" {
			t.Errorf("status.secrets: -want +got:\n%s", diff)
		}
	})

	t.Run("EachConditionChangeIsAnnouncedOnce", func(t *testing.T) {
		time.Sleep(time.Second) // Events are sent asynchronously
		var list eventsv1.EventList
		if err := stack.Client.List(ctx, &list, client.InNamespace(ns)); err != nil {
			t.Fatal(err)
		}
		seen := map[string]int{}
		for _, e := range list.Items {
			if e.Regarding.Name != db.Name {
				continue
			}
			n := 1
			if e.Series != nil {
				n = int(e.Series.Count)
			}
			seen[e.Reason] += n
		}
		for _, reason := range []string{"SecretCreated", "CreateRequested", "UsersReconciled", "Ready"} {
			if seen[reason] != 1 {
				t.Errorf("Event %s sent %d times, want once (all: %v)", reason, seen[reason], seen)
			}
		}
	})

	t.Run("ServicePointsAtTheEndpoint", func(t *testing.T) {
		svc := &corev1.Service{}
		if err := stack.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: "orders-rds"}, svc); err != nil {
			t.Fatal(err)
		}
		if svc.Spec.Type != corev1.ServiceTypeExternalName || svc.Spec.ExternalName != got.Status.Cloud.Endpoint ||
			len(svc.Spec.Ports) != 1 || svc.Spec.Ports[0].Port != got.Status.Cloud.Port {
			t.Errorf("service spec = %+v, want ExternalName %s port %d", svc.Spec, got.Status.Cloud.Endpoint, got.Status.Cloud.Port)
		}
	})

	t.Run("EveryUserLogsInWithOnlyItsSecret", func(t *testing.T) {
		for _, name := range wantSecrets {
			data := secretData(t, ns, name)
			for _, k := range []string{"username", "password", "host", "port", "dbname", "uri", "jdbc-uri"} {
				if len(data[k]) == 0 {
					t.Errorf("secret %s lacks %s", name, k)
				}
			}
			conn, err := loginWith(ctx, string(data["uri"]), "")
			if err != nil {
				t.Errorf("log in with secret %s: %v", name, err)
				continue
			}
			var user, database string
			if err := conn.QueryRow(ctx, "SELECT current_user, current_database()").Scan(&user, &database); err != nil {
				t.Error(err)
			}
			if user != string(data["username"]) || database != string(data["dbname"]) {
				t.Errorf("secret %s logged in as %s on %s, want %s on %s", name, user, database, data["username"], data["dbname"])
			}
			conn.Close(ctx)
		}
	})

	t.Run("UsersCanDoWhatTheirRolesSayAndNoMore", func(t *testing.T) {
		app := string(secretData(t, ns, "orders.rds.app")["uri"])
		reporting := string(secretData(t, ns, "orders.rds.reporting")["uri"])
		admin := string(secretData(t, ns, "orders.rds.admin")["uri"])

		// app owns orders: it creates tables there, and (createdb) databases.
		conn, err := loginWith(ctx, app, "orders")
		if err != nil {
			t.Fatal(err)
		}
		for _, sql := range []string{"CREATE TABLE items (id int)", "INSERT INTO items VALUES (1)", "GRANT SELECT ON items TO reporting", "CREATE DATABASE app_scratch"} {
			if _, err := conn.Exec(ctx, sql); err != nil {
				t.Errorf("app: %s: %v", sql, err)
			}
		}
		conn.Close(ctx)

		// reporting may connect to orders and read what it was granted, nothing more.
		conn, err = loginWith(ctx, reporting, "orders")
		if err != nil {
			t.Fatal(err)
		}
		var n int
		if err := conn.QueryRow(ctx, "SELECT count(*) FROM items").Scan(&n); err != nil || n != 1 {
			t.Errorf("reporting reads items: %d rows, %v", n, err)
		}
		if _, err := conn.Exec(ctx, "CREATE DATABASE reporting_scratch"); sqlState(err) != "42501" {
			t.Errorf("reporting (no createdb) CREATE DATABASE: %v, want permission denied", err)
		}
		conn.Close(ctx)

		// Users not listed on a database cannot connect to it.
		if err := logsIn(ctx, reporting, "audit"); sqlState(err) != "42501" {
			t.Errorf("reporting connecting to audit (not listed): %v, want permission denied", err)
		}
		if err := logsIn(ctx, admin, "orders"); sqlState(err) != "42501" {
			t.Errorf("admin connecting to orders (not listed): %v, want permission denied", err)
		}

		// admin (superuser) is a member of rds_superuser, as much as RDS allows.
		conn, err = loginWith(ctx, admin, "audit")
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(ctx)
		var member bool
		if err := conn.QueryRow(ctx, "SELECT pg_has_role('rds_superuser', 'MEMBER')").Scan(&member); err != nil || !member {
			t.Errorf("admin member of rds_superuser = %v (%v), want true", member, err)
		}
	})
}
