package deploy

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/matrixmind-cloud/aws-rds-operator/test/harness"
)

// TestChartNamespacedRBAC installs the chart with watchNamespaces and proves, with the
// apiserver's own authorizer, that the operator's ServiceAccount can read Secrets in a
// watched namespace and cannot in any other, nor cluster-wide: no ClusterRole grants it
// anything, and each watched namespace's Role holds exactly the generated rules (leader
// election's lease aside, which a Role in the release namespace grants).
func TestChartNamespacedRBAC(t *testing.T) {
	requireCluster(t)
	const watchedA, watchedB, other = "team-a", "team-b", "team-other"
	for _, ns := range []string{chartNS, watchedA, watchedB, other} {
		ensureNamespace(t, ns)
	}
	set := "watchNamespaces={" + watchedA + "," + watchedB + "}"
	if out, err := tool(nil, "helm", "lint", "--strict", chart, "--set", set); err != nil {
		t.Fatalf("helm lint with %s: %v\n%s", set, err, out)
	}
	manifests, objs := renderChart(t, set)
	// Rules on cluster-scoped resources (nodes, DatabaseClasses) can only come from a ClusterRole; the
	// watched namespaces get the other generated rules but the lease, and the release
	// namespace the lease alone.
	var clusterWide, want, lease []rbacv1.PolicyRule
	for _, r := range generatedRules(t) {
		switch {
		case slices.ContainsFunc(r.Resources, func(res string) bool { return clusterScoped[res] }):
			clusterWide = append(clusterWide, r)
		case slices.Contains(r.APIGroups, "coordination.k8s.io"):
			lease = append(lease, r)
		default:
			want = append(want, r)
		}
	}
	// What the ServiceAccount holds cluster-wide is the rules of the ClusterRoles bound to it
	// (the users' roles, aggregated into admin, edit and view, are bound to nobody here).
	boundClusterRoles := map[string]bool{}
	for _, o := range objs {
		if o.GetKind() == "ClusterRoleBinding" {
			var b rbacv1.ClusterRoleBinding
			convert(t, o, &b)
			if slices.ContainsFunc(b.Subjects, isOperator) {
				boundClusterRoles[b.RoleRef.Name] = true
			}
		}
	}
	var gotClusterWide []rbacv1.PolicyRule
	for _, o := range objs {
		if o.GetKind() == "ClusterRole" && boundClusterRoles[o.GetName()] {
			var r rbacv1.ClusterRole
			convert(t, o, &r)
			gotClusterWide = append(gotClusterWide, r.Rules...)
		}
	}
	if diff := cmp.Diff(clusterWide, gotClusterWide); diff != "" {
		t.Errorf("namespace-scoped mode's ClusterRoles bound to the operator must hold only the rules on cluster-scoped resources: -want +got:\n%s", diff)
	}

	roles := map[string][]rbacv1.PolicyRule{}
	bound := map[string]bool{}
	for _, o := range objs {
		switch o.GetKind() {
		case "Role":
			var r rbacv1.Role
			convert(t, o, &r)
			roles[r.Namespace] = append(roles[r.Namespace], r.Rules...)
		case "RoleBinding":
			var b rbacv1.RoleBinding
			convert(t, o, &b)
			if slices.ContainsFunc(b.Subjects, isOperator) {
				bound[b.Namespace] = true
			}
		}
	}
	for _, ns := range []string{watchedA, watchedB} {
		if diff := cmp.Diff(want, roles[ns]); diff != "" {
			t.Errorf("the Role in %s differs from the generated rules without leases: -want +got:\n%s", ns, diff)
		}
	}
	if diff := cmp.Diff(lease, roles[chartNS]); diff != "" {
		t.Errorf("the release namespace's Role is not the lease rule alone: -want +got:\n%s", diff)
	}
	// kube-system's binding is to the built-in extension-apiserver-authentication-reader,
	// for the log API (one ConfigMap; TestChartLogAPI).
	if diff := cmp.Diff(map[string]bool{watchedA: true, watchedB: true, chartNS: true, "kube-system": true}, bound); diff != "" {
		t.Errorf("RoleBindings to the ServiceAccount by namespace: -want +got:\n%s", diff)
	}
	var dep appsv1.Deployment
	if err := find(objs, "Deployment", &dep); err != nil {
		t.Fatal(err)
	}
	if arg := "--watch-namespaces=" + watchedA + "," + watchedB; !slices.Contains(dep.Spec.Template.Spec.Containers[0].Args, arg) {
		t.Errorf("manager args %q lack %q", dep.Spec.Template.Spec.Containers[0].Args, arg)
	}
	if err := dryRunApply(manifests); err != nil {
		t.Fatalf("the apiserver refuses the rendered chart: %v", err)
	}

	// Apply the ServiceAccount and RBAC for real, then ask the apiserver's authorizer as
	// the ServiceAccount.
	rbac, err := manifestsOf(objs, "ServiceAccount", "Role", "RoleBinding")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := kubectl(rbac, "apply", "--server-side", "--field-manager=deploy-test", "-f", "-"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _, _ = kubectl(rbac, "delete", "--ignore-not-found", "-f", "-") })
	sa := "system:serviceaccount:" + chartNS + ":" + chartFullname
	cases := []struct {
		reason         string
		verb, resource string
		namespace      string // "" asks cluster-wide
		want           bool
	}{
		{"It reads the Secrets of a watched namespace.", "get", "secrets", watchedA, true},
		{"It lists the Secrets of another watched namespace.", "list", "secrets", watchedB, true},
		{"It writes the Secrets it makes in a watched namespace.", "create", "secrets", watchedA, true},
		{"It cannot read a Secret in a namespace it does not watch.", "get", "secrets", other, false},
		{"It cannot list Secrets in a namespace it does not watch.", "list", "secrets", other, false},
		{"It cannot read Secrets in its own namespace, which it does not watch.", "get", "secrets", chartNS, false},
		{"It cannot list Secrets cluster-wide.", "list", "secrets", "", false},
		{"It watches RDSDatabases in a watched namespace.", "watch", "rdsdatabases.matrixmind.cloud", watchedB, true},
		{"It cannot read RDSDatabases elsewhere.", "list", "rdsdatabases.matrixmind.cloud", other, false},
		{"It records Events in a watched namespace.", "create", "events.events.k8s.io", watchedA, true},
		{"It holds its leader election lease in its own namespace.", "update", "leases.coordination.k8s.io", chartNS, true},
		{"It has no lease rights elsewhere.", "update", "leases.coordination.k8s.io", watchedA, false},
	}
	for _, tc := range cases {
		got, err := canI(sa, tc.verb, tc.resource, tc.namespace)
		if err != nil {
			t.Fatal(err)
		}
		if got != tc.want {
			t.Errorf("%s\n%s %s in %q: allowed=%v, want %v", tc.reason, tc.verb, tc.resource, tc.namespace, got, tc.want)
		}
	}
}

// isOperator says whether s is the operator's ServiceAccount as the chart installs it.
func isOperator(s rbacv1.Subject) bool {
	return s.Kind == "ServiceAccount" && s.Namespace == chartNS && s.Name == chartFullname
}

// clusterScoped are the resources no Role can grant.
var clusterScoped = map[string]bool{"subjectaccessreviews": true, "nodes": true, "namespaces": true, "persistentvolumes": true, "customresourcedefinitions": true, "databaseclasses": true}

// canI asks the apiserver (a SubjectAccessReview through impersonation) whether user may do
// verb on resource in namespace, or cluster-wide when namespace is empty.
func canI(user, verb, resource, namespace string) (bool, error) {
	args := []string{"--kubeconfig", cluster.kubeconfig, "auth", "can-i", verb, resource, "--as", user}
	if namespace == "" {
		args = append(args, "--all-namespaces")
	} else {
		args = append(args, "--namespace", namespace)
	}
	cmd := exec.Command(filepath.Join(cluster.tools, "kubectl"), args...)
	cmd.Dir = harness.Root()
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	switch answer := strings.TrimSpace(stdout.String()); {
	case answer == "yes" && err == nil:
		return true, nil
	case answer == "no":
		return false, nil // kubectl exits 1 for no
	default:
		return false, fmt.Errorf("kubectl auth can-i %s %s: %v: %s%s", verb, resource, err, stdout.String(), stderr.String())
	}
}

// generatedRules returns the rules controller-gen derived from the controller's markers.
func generatedRules(t *testing.T) []rbacv1.PolicyRule {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(harness.Root(), generatedRole))
	if err != nil {
		t.Fatal(err)
	}
	objs, err := decode(raw)
	if err != nil {
		t.Fatal(err)
	}
	var role rbacv1.ClusterRole
	if err := find(objs, "ClusterRole", &role); err != nil {
		t.Fatal(err)
	}
	return role.Rules
}

func convert(t *testing.T, o unstructured.Unstructured, out any) {
	t.Helper()
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(o.Object, out); err != nil {
		t.Fatal(err)
	}
}
