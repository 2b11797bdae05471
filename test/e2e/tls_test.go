package e2e

import (
	"context"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/matrixmind-cloud/aws-rds-operator/api/v1"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/serverproc"
	"github.com/matrixmind-cloud/aws-rds-operator/test/harness"
)

// TestEngineCertificateVerified is the platform engineer's story of --engine-ca-bundle. An
// operator given a bundle that does not hold the CA of the database's server (a wrong
// bundle, or someone posing as the database) refuses the server before sending it a
// password, and says why in a condition and an Event; given the cloud's bundle it makes the
// database Ready, each Secret carries the bundle as ca.crt, and an application logs in with
// sslmode=verify-full and nothing but its Secret.
func TestEngineCertificateVerified(t *testing.T) {
	ctx := context.Background()
	impostor, err := serverproc.NewCA("an impostor's CA")
	if err != nil {
		t.Fatal(err)
	}
	stack.StopOperator()
	stack.EngineCA = impostor.PEM
	if err := stack.StartOperator(); err != nil {
		t.Fatal(err)
	}
	restored := false
	restore := func() {
		if restored {
			return
		}
		restored = true
		stack.StopOperator()
		stack.EngineCA = nil
		if err := stack.StartOperator(); err != nil {
			t.Fatal(err)
		}
	}
	defer restore()

	ns := namespace(t, "tls")
	db := &v1.RDSDatabase{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "verified"}}
	db.Spec.DeletionPolicy = v1.DeletionDelete
	db.Spec.Users = map[string]v1.UserRoles{"app": {}}
	db.Spec.Databases = map[string]v1.DatabaseUsers{"shop": {"app"}}
	if err := stack.Client.Create(ctx, db); err != nil {
		t.Fatal(err)
	}
	got := &v1.RDSDatabase{}
	err = harness.WaitFor(ctx, readyTimeout, func(ctx context.Context) (bool, error) {
		if err := stack.Client.Get(ctx, client.ObjectKeyFromObject(db), got); err != nil {
			return false, err
		}
		c := meta.FindStatusCondition(got.Status.Conditions, v1.ConditionUsersReady)
		return c != nil && c.Reason == v1.ReasonEngineCertificateRefused, nil
	})
	if err != nil {
		t.Fatalf("a server whose certificate the bundle does not verify was not refused: %v; status %+v", err, got.Status)
	}
	c := meta.FindStatusCondition(got.Status.Conditions, v1.ConditionUsersReady)
	if !strings.Contains(c.Message, "CA bundle") || !strings.Contains(c.Message, "no password was sent") {
		t.Errorf("the condition does not say what to fix: %q", c.Message)
	}
	if !eventSays(t, ns, db.Name, v1.ReasonEngineCertificateRefused, "certificate") {
		t.Errorf("no Warning Event with reason %s", v1.ReasonEngineCertificateRefused)
	}
	if got.Status.Phase == v1.PhaseReady {
		t.Errorf("phase %s with the users never made", got.Status.Phase)
	}

	restore() // the cloud's bundle, as the platform engineer fixes --engine-ca-bundle
	waitReady(t, db)
	cloudCA := stack.Emulator.CA()
	for _, name := range []string{"verified.rds.master", "verified.rds.app"} {
		data := secretData(t, ns, name)
		if string(data["ca.crt"]) != string(cloudCA) {
			t.Errorf("Secret %s: ca.crt is not the operator's bundle", name)
		}
	}
	// An application mounts its Secret and verifies the server, and its name, with its
	// ca.crt.
	verifiesOnlyWithItsCA(ctx, t, secretData(t, ns, "verified.rds.app"), "verify-full")
}
