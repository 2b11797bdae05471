package deploy

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
)

// kustomizeNS is the namespace config/default installs into.
const kustomizeNS = "aws-rds-operator-system"

func TestKustomizeInstallApplies(t *testing.T) {
	requireCluster(t)
	manifests, err := tool(nil, "kubectl", "kustomize", "config/default")
	if err != nil {
		t.Fatal(err)
	}
	objs, err := decode(manifests)
	if err != nil {
		t.Fatal(err)
	}
	// RDSDatabase's and DatabaseClass's CRDs, the operator's ClusterRole and the users'
	// editor and viewer roles, and the API's admission policy with its binding.
	wantKinds := []string{"Namespace", "CustomResourceDefinition", "CustomResourceDefinition", "ServiceAccount", "ClusterRole", "ClusterRole", "ClusterRole", "ClusterRoleBinding", "Service", "Deployment",
		"ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding"}
	if diff := cmp.Diff(wantKinds, kinds(objs)); diff != "" {
		t.Errorf("config/default kinds: -want +got:\n%s", diff)
	}
	// The dry run creates no Namespace, and the namespaced objects need it to exist.
	ensureNamespace(t, kustomizeNS)
	if err := dryRunApply(manifests); err != nil {
		t.Fatalf("the apiserver refuses config/default: %v", err)
	}
	var dep appsv1.Deployment
	if err := find(objs, "Deployment", &dep); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(hardened(true), shapeOf(dep)); diff != "" {
		t.Errorf("manager pod: -want +got:\n%s", diff)
	}
}

// TestDryRunRefusesSchemaErrors proves the dry run the other tests rely on bites: an object
// with a misspelt field is refused, not silently pruned.
func TestDryRunRefusesSchemaErrors(t *testing.T) {
	requireCluster(t)
	ensureNamespace(t, kustomizeNS)
	bad := []byte(`apiVersion: v1
kind: ServiceAccount
metadata:
  name: typo
  namespace: ` + kustomizeNS + `
automountServiceAcountToken: false
`)
	if err := dryRunApply(bad); err == nil {
		t.Fatal("a ServiceAccount with the unknown field automountServiceAcountToken was accepted")
	}
}
