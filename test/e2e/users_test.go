package e2e

import (
	"context"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/matrixmind-cloud/aws-rds-operator/api/v1"
)

// TestUsersAndDatabasesChange edits users and databases of a Ready database and checks each
// promise of the contract by logging in: a user removed loses its login and its Secret, a
// role removed is revoked, a user added gets a Secret and its grants, a database removed is
// kept, and users added to or removed from a database's list gain or lose CONNECT.
func TestUsersAndDatabasesChange(t *testing.T) {
	ctx := context.Background()
	ns := namespace(t, "users")
	db := &v1.RDSDatabase{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "team"}}
	db.Spec.DeletionPolicy = v1.DeletionDelete
	db.Spec.Users = map[string]v1.UserRoles{"app": {}, "reporting": {}, "admin": {v1.RoleSuperuser}}
	db.Spec.Databases = map[string]v1.DatabaseUsers{"orders": {"app", "reporting", "admin"}, "logs": {"app"}}
	if err := stack.Client.Create(ctx, db); err != nil {
		t.Fatal(err)
	}
	waitReady(t, db)
	reportingURI := string(secretData(t, ns, "team.rds.reporting")["uri"])
	adminURI := string(secretData(t, ns, "team.rds.admin")["uri"])
	masterURI := string(secretData(t, ns, "team.rds.master")["uri"])
	appURI := string(secretData(t, ns, "team.rds.app")["uri"])
	if err := logsIn(ctx, reportingURI, "orders"); err != nil {
		t.Fatalf("reporting logs in before the change: %v", err)
	}

	err := update(ctx, db, func(s *v1.RDSDatabaseSpec) {
		s.Users = map[string]v1.UserRoles{"app": {}, "admin": {}, "auditor": {v1.RoleCreateDB}}
		s.Databases = map[string]v1.DatabaseUsers{"orders": {"app"}, "audit": {"auditor", "app"}}
	})
	if err != nil {
		t.Fatal(err)
	}
	waitReady(t, db)

	t.Run("RemovedUserLosesLoginAndSecret", func(t *testing.T) {
		if err := logsIn(ctx, reportingURI, "orders"); sqlState(err) != "28000" {
			t.Errorf("reporting logging in after removal: %v, want 28000 (not permitted to log in)", err)
		}
		err := stack.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: "team.rds.reporting"}, &corev1.Secret{})
		if !apierrors.IsNotFound(err) {
			t.Errorf("reporting's Secret still exists (err %v)", err)
		}
		if !eventSays(t, ns, db.Name, v1.EventUserRemoved, "reporting") {
			t.Errorf("no %s Event names reporting", v1.EventUserRemoved)
		}
	})
	t.Run("RemovedRoleIsRevoked", func(t *testing.T) {
		conn, err := loginWith(ctx, adminURI, "postgres")
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(ctx)
		var member bool
		if err := conn.QueryRow(ctx, "SELECT pg_has_role('rds_superuser', 'MEMBER')").Scan(&member); err != nil || member {
			t.Errorf("admin still a member of rds_superuser (%v)", err)
		}
	})
	t.Run("UserRemovedFromAListLosesConnect", func(t *testing.T) {
		if err := logsIn(ctx, adminURI, "orders"); sqlState(err) != "42501" {
			t.Errorf("admin connecting to orders after removal from its list: %v, want permission denied", err)
		}
	})
	t.Run("AddedUserGetsSecretAndGrants", func(t *testing.T) {
		conn, err := loginWith(ctx, string(secretData(t, ns, "team.rds.auditor")["uri"]), "")
		if err != nil {
			t.Fatalf("auditor logs in with its new Secret: %v", err)
		}
		defer conn.Close(ctx)
		var database string
		if err := conn.QueryRow(ctx, "SELECT current_database()").Scan(&database); err != nil || database != "audit" {
			t.Errorf("auditor's Secret points at %q (%v), want audit", database, err)
		}
		if _, err := conn.Exec(ctx, "CREATE DATABASE auditor_scratch"); err != nil {
			t.Errorf("auditor (createdb) cannot create a database: %v", err)
		}
	})
	t.Run("UserAddedToAListGainsConnect", func(t *testing.T) {
		if err := logsIn(ctx, appURI, "audit"); err != nil {
			t.Fatalf("app connecting to audit after being listed: %v", err)
		}
	})
	t.Run("RemovedDatabaseIsKept", func(t *testing.T) {
		conn, err := loginWith(ctx, masterURI, "postgres")
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(ctx)
		var exists bool
		if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = 'logs')").Scan(&exists); err != nil || !exists {
			t.Errorf("database logs was dropped (%v)", err)
		}
		if !eventSays(t, ns, db.Name, v1.EventDatabaseKept, "logs") {
			t.Errorf("no %s Event names logs", v1.EventDatabaseKept)
		}
	})
}
