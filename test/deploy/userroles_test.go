package deploy

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	authorizationv1 "k8s.io/api/authorization/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/matrixmind-cloud/aws-rds-operator/api/v1"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/controlplane"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/logapi"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/operator"
	"github.com/matrixmind-cloud/aws-rds-operator/test/harness"
)

// aggregateTo is the label prefix by which the built-in admin, edit and view ClusterRoles
// select the roles whose rules they take.
const aggregateTo = "rbac.authorization.k8s.io/aggregate-to-"

// The rules every install gives the users of RDSDatabases. The editor may do anything to
// an RDSDatabase but write its status (the operator's report, which a user must not forge)
// or its finalizers (the operator's hold on deletion).
var (
	editorRules = []rbacv1.PolicyRule{
		{APIGroups: []string{v1.GroupVersion.Group}, Resources: []string{"rdsdatabases"},
			Verbs: []string{"create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"}},
		{APIGroups: []string{v1.GroupVersion.Group}, Resources: []string{"rdsdatabases/status"}, Verbs: []string{"get"}},
		{APIGroups: []string{logapi.Group}, Resources: []string{"rdsdatabases/log", "rdsdatabases/backups"}, Verbs: []string{"get"}},
	}
	viewerRules = []rbacv1.PolicyRule{
		{APIGroups: []string{v1.GroupVersion.Group}, Resources: []string{"rdsdatabases"}, Verbs: []string{"get", "list", "watch"}},
		{APIGroups: []string{v1.GroupVersion.Group}, Resources: []string{"rdsdatabases/status"}, Verbs: []string{"get"}},
		{APIGroups: []string{logapi.Group}, Resources: []string{"rdsdatabases/backups"}, Verbs: []string{"get"}},
	}
)

// userRole is what a ClusterRole for users amounts to: the built-in roles it aggregates
// into, and its rules.
type userRole struct {
	AggregateTo []string
	Rules       []rbacv1.PolicyRule
}

// userRolesOf returns, by name, the ClusterRoles of objs that aggregate into a built-in role.
func userRolesOf(t *testing.T, objs []unstructured.Unstructured) map[string]userRole {
	t.Helper()
	roles := map[string]userRole{}
	for _, o := range objs {
		if o.GetKind() != "ClusterRole" {
			continue
		}
		var r rbacv1.ClusterRole
		convert(t, o, &r)
		var into []string
		for k, v := range r.Labels {
			if builtIn, ok := strings.CutPrefix(k, aggregateTo); ok && v == "true" {
				into = append(into, builtIn)
			}
		}
		if into != nil {
			slices.Sort(into)
			roles[r.Name] = userRole{AggregateTo: into, Rules: r.Rules}
		}
	}
	return roles
}

// TestUserRolesInEveryInstall checks the ClusterRoles each install gives users: an editor
// aggregated into admin and edit and a viewer aggregated into view, with exactly the rules
// above, named after the install's other objects; none when the chart is told not to.
func TestUserRolesInEveryInstall(t *testing.T) {
	requireCluster(t)
	chartRoles := map[string]userRole{
		chartFullname + "-rdsdatabase-editor": {AggregateTo: []string{"admin", "edit"}, Rules: editorRules},
		chartFullname + "-rdsdatabase-viewer": {AggregateTo: []string{"view"}, Rules: viewerRules},
	}
	cases := map[string]struct {
		reason string
		render func() ([]byte, error)
		want   map[string]userRole
	}{
		"ChartDefault": {
			reason: "The chart installs the users' roles by default.",
			render: func() ([]byte, error) { return helmTemplate() },
			want:   chartRoles,
		},
		"ChartWatchNamespaces": {
			reason: "Confining the operator to some namespaces leaves the users' roles as they are.",
			render: func() ([]byte, error) { return helmTemplate("watchNamespaces={team-a}") },
			want:   chartRoles,
		},
		"ChartTurnedOff": {
			reason: "rbac.aggregateToDefaultRoles=false installs no role that widens admin, edit or view.",
			render: func() ([]byte, error) { return helmTemplate("rbac.aggregateToDefaultRoles=false") },
			want:   map[string]userRole{},
		},
		"Kustomize": {
			reason: "config/default installs the same roles, named as its other RBAC objects.",
			render: func() ([]byte, error) { return tool(nil, "kubectl", "kustomize", "config/default") },
			want: map[string]userRole{
				"aws-rds-operator-rdsdatabase-editor-role": {AggregateTo: []string{"admin", "edit"}, Rules: editorRules},
				"aws-rds-operator-rdsdatabase-viewer-role": {AggregateTo: []string{"view"}, Rules: viewerRules},
			},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			manifests, err := tc.render()
			if err != nil {
				t.Fatalf("%s\n%v", tc.reason, err)
			}
			objs, err := decode(manifests)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, userRolesOf(t, objs)); diff != "" {
				t.Errorf("%s\nClusterRoles aggregated into the built-in roles: -want +got:\n%s", tc.reason, diff)
			}
		})
	}
}

// TestBuiltInRolesCoverRDSDatabases is the platform team's story: it gives application teams
// their namespace with a RoleBinding to the built-in admin, edit or view ClusterRole, installs
// the chart, and those teams can then manage (or read) RDSDatabases there and nowhere else,
// without ever writing an RDSDatabase's status.
//
// kube-apiserver creates admin, edit and view with an aggregationRule and no rules; filling
// them from the roles their selectors match is kube-controller-manager's
// clusterrole-aggregation controller, so the test runs it as a cluster does. The users are
// bound to the built-in roles only, never to the chart's: whatever they may do on
// RDSDatabases reaches them through aggregation.
func TestBuiltInRolesCoverRDSDatabases(t *testing.T) {
	requireCluster(t)
	ctx := t.Context()
	const team, otherTeam = "team-a", "team-b"
	for _, ns := range []string{team, otherTeam} {
		ensureNamespace(t, ns)
	}
	scheme, err := operator.Scheme()
	if err != nil {
		t.Fatal(err)
	}
	admin, err := client.New(cluster.cp.Config(), client.Options{Scheme: scheme})
	if err != nil {
		t.Fatal(err)
	}
	users := map[string]client.Client{}
	for user, builtIn := range map[string]string{"alice": "edit", "victor": "view", "ada": "admin"} {
		cfg := cluster.cp.Config()
		cfg.Impersonate = rest.ImpersonationConfig{UserName: user}
		if users[user], err = client.New(cfg, client.Options{Scheme: scheme}); err != nil {
			t.Fatal(err)
		}
		binding := &rbacv1.RoleBinding{
			ObjectMeta: metav1.ObjectMeta{Name: "deploy-test-" + user, Namespace: team},
			RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: builtIn},
			Subjects:   []rbacv1.Subject{{APIGroup: rbacv1.GroupName, Kind: rbacv1.UserKind, Name: user}},
		}
		if err := admin.Create(ctx, binding); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = admin.Delete(context.Background(), binding) })
	}

	started := time.Now()
	cm, err := cluster.cp.StartControllerManager(ctx, controlplane.ControllerManagerOptions{AggregateClusterRoles: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("kube-controller-manager aggregating in %.1fs", time.Since(started).Seconds())
	t.Cleanup(func() {
		if err := cm.Stop(); err != nil {
			t.Error(err)
		}
	})

	// The reported problem, before the install: edit does not cover RDSDatabases.
	if err := users["alice"].Create(ctx, rdsDatabase(team, "before-install")); !apierrors.IsForbidden(err) {
		t.Fatalf("before the install, a user bound to edit created an RDSDatabase (err %v): the test proves nothing", err)
	}

	_, objs := renderChart(t)
	install, err := manifestsOf(objs, "CustomResourceDefinition", "ClusterRole")
	if err != nil {
		t.Fatal(err)
	}
	roles, err := manifestsOf(objs, "ClusterRole")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := kubectl(install, "apply", "--server-side", "--force-conflicts", "--field-manager=deploy-test", "-f", "-"); err != nil {
		t.Fatal(err)
	}
	// The CRD stays: it is the one TestMain installed, which other tests use. The roles go,
	// and kube-controller-manager (still running: cleanups run last in, first out) takes
	// their rules out of the built-in roles again, so no later test finds edit granting them.
	t.Cleanup(func() {
		if _, err := kubectl(roles, "delete", "--ignore-not-found", "-f", "-"); err != nil {
			t.Error(err)
			return
		}
		err := harness.WaitFor(context.Background(), 30*time.Second, func(ctx context.Context) (bool, error) {
			for _, builtIn := range []string{"admin", "edit", "view"} {
				var r rbacv1.ClusterRole
				if err := admin.Get(ctx, client.ObjectKey{Name: builtIn}, &r); err != nil {
					return false, err
				}
				if slices.ContainsFunc(r.Rules, func(p rbacv1.PolicyRule) bool { return slices.Contains(p.APIGroups, v1.GroupVersion.Group) }) {
					return false, nil
				}
			}
			return true, nil
		})
		if err != nil {
			t.Errorf("the built-in roles still grant RDSDatabases after the chart's roles were deleted: %v\n%s", err, cm.LogTail())
		}
	})

	installed := time.Now()
	aggregated := map[string][]rbacv1.PolicyRule{"admin": editorRules, "edit": editorRules, "view": viewerRules}
	err = harness.WaitFor(ctx, 30*time.Second, func(ctx context.Context) (bool, error) {
		for builtIn, want := range aggregated {
			var r rbacv1.ClusterRole
			if err := admin.Get(ctx, client.ObjectKey{Name: builtIn}, &r); err != nil {
				return false, err
			}
			for _, rule := range want {
				if !slices.ContainsFunc(r.Rules, func(p rbacv1.PolicyRule) bool { return cmp.Equal(rule, p) }) {
					return false, fmt.Errorf("ClusterRole %s lacks %v", builtIn, rule)
				}
			}
		}
		return true, nil
	})
	if err != nil {
		t.Fatalf("the chart's roles were not aggregated into admin, edit and view: %v\n%s", err, cm.LogTail())
	}
	// The apiserver authorizes from its own cache of the roles; wait until it has them too.
	err = harness.WaitFor(ctx, 10*time.Second, func(ctx context.Context) (bool, error) {
		review := &authorizationv1.SubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{
			User: "victor",
			ResourceAttributes: &authorizationv1.ResourceAttributes{
				Namespace: team, Verb: "list", Group: v1.GroupVersion.Group, Resource: "rdsdatabases",
			},
		}}
		if err := admin.Create(ctx, review); err != nil {
			return false, err
		}
		return review.Status.Allowed, nil
	})
	if err != nil {
		t.Fatalf("the apiserver's authorizer never let a user bound to view list RDSDatabases: %v", err)
	}
	t.Logf("admin, edit and view cover RDSDatabases %.1fs after the install", time.Since(installed).Seconds())

	for _, ns := range []string{team, otherTeam} {
		if err := admin.Create(ctx, rdsDatabase(ns, "orders")); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			_ = admin.DeleteAllOf(context.Background(), &v1.RDSDatabase{}, client.InNamespace(ns))
		})
	}

	cases := []struct {
		reason  string
		user    string
		do      func(ctx context.Context, c client.Client) error
		allowed bool
	}{
		{"edit creates an RDSDatabase in its namespace.", "alice", create(team, "alice-made"), true},
		{"edit reads one.", "alice", get(team, "orders"), true},
		{"edit lists them.", "alice", list(team), true},
		{"edit reads one's status.", "alice", getStatus(team, "orders"), true},
		{"edit updates one.", "alice", update(admin, team, "orders"), true},
		{"edit patches one.", "alice", patch(team, "orders"), true},
		{"edit cannot forge a status with an update: it is the operator's report.", "alice", updateStatus(admin, team, "orders"), false},
		{"edit cannot forge a status with a patch either.", "alice", patchStatus(team, "orders"), false},
		{"edit deletes a collection.", "alice", deleteCollection(team), true},
		{"edit deletes one.", "alice", remove(team, "alice-made"), true},
		{"edit in team-a cannot create in team-b.", "alice", create(otherTeam, "alice-made"), false},
		{"edit in team-a cannot read team-b's.", "alice", get(otherTeam, "orders"), false},
		{"edit in team-a cannot list team-b's.", "alice", list(otherTeam), false},
		{"edit in team-a cannot update team-b's.", "alice", update(admin, otherTeam, "orders"), false},
		{"edit in team-a cannot delete team-b's.", "alice", remove(otherTeam, "orders"), false},
		{"view reads one.", "victor", get(team, "orders"), true},
		{"view lists them.", "victor", list(team), true},
		{"view reads one's status.", "victor", getStatus(team, "orders"), true},
		{"view cannot create one.", "victor", create(team, "victor-made"), false},
		{"view cannot update one.", "victor", update(admin, team, "orders"), false},
		{"view cannot patch one.", "victor", patch(team, "orders"), false},
		{"view cannot delete one.", "victor", remove(team, "orders"), false},
		{"view cannot write a status.", "victor", patchStatus(team, "orders"), false},
		{"admin creates one (the reported Forbidden).", "ada", create(team, "ada-made"), true},
		{"admin deletes one.", "ada", remove(team, "ada-made"), true},
		{"admin cannot forge a status either.", "ada", updateStatus(admin, team, "orders"), false},
		{"admin in team-a cannot read team-b's.", "ada", get(otherTeam, "orders"), false},
	}
	for _, tc := range cases {
		err := tc.do(ctx, users[tc.user])
		switch {
		case tc.allowed && err != nil:
			t.Errorf("%s\n%s: %v", tc.reason, tc.user, err)
		case !tc.allowed && !apierrors.IsForbidden(err):
			t.Errorf("%s\n%s: want Forbidden, got %v", tc.reason, tc.user, err)
		}
	}
	// The refusals above are RBAC's, not the object's: the operator's identity (here the
	// cluster administrator) writes the same status.
	if err := updateStatus(admin, team, "orders")(ctx, admin); err != nil {
		t.Errorf("the cluster administrator cannot write the status the users were refused: %v", err)
	}
}

// rdsDatabase is an RDSDatabase with the defaults; no operator runs here to act on it.
func rdsDatabase(ns, name string) *v1.RDSDatabase {
	return &v1.RDSDatabase{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}
}

// The actions of TestBuiltInRolesCoverRDSDatabases, each one request as the user c acts as.
// Those that update a whole object read it first as the administrator, so that only the
// write is the user's.

func create(ns, name string) func(context.Context, client.Client) error {
	return func(ctx context.Context, c client.Client) error { return c.Create(ctx, rdsDatabase(ns, name)) }
}

func get(ns, name string) func(context.Context, client.Client) error {
	return func(ctx context.Context, c client.Client) error {
		return c.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, &v1.RDSDatabase{})
	}
}

func list(ns string) func(context.Context, client.Client) error {
	return func(ctx context.Context, c client.Client) error {
		var l v1.RDSDatabaseList
		if err := c.List(ctx, &l, client.InNamespace(ns)); err != nil {
			return err
		}
		if len(l.Items) == 0 {
			return errors.New("listed no RDSDatabase")
		}
		return nil
	}
}

func getStatus(ns, name string) func(context.Context, client.Client) error {
	return func(ctx context.Context, c client.Client) error {
		return c.SubResource("status").Get(ctx, rdsDatabase(ns, name), &v1.RDSDatabase{})
	}
}

func update(admin client.Client, ns, name string) func(context.Context, client.Client) error {
	return func(ctx context.Context, c client.Client) error {
		db := &v1.RDSDatabase{}
		if err := admin.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, db); err != nil {
			return fmt.Errorf("read as the administrator: %w", err)
		}
		db.Labels = map[string]string{"updated": "true"}
		return c.Update(ctx, db)
	}
}

func patch(ns, name string) func(context.Context, client.Client) error {
	return func(ctx context.Context, c client.Client) error {
		return c.Patch(ctx, rdsDatabase(ns, name), client.RawPatch(types.MergePatchType, []byte(`{"metadata":{"labels":{"patched":"true"}}}`)))
	}
}

func updateStatus(admin client.Client, ns, name string) func(context.Context, client.Client) error {
	return func(ctx context.Context, c client.Client) error {
		db := &v1.RDSDatabase{}
		if err := admin.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, db); err != nil {
			return fmt.Errorf("read as the administrator: %w", err)
		}
		db.Status.Phase = "Ready"
		return c.Status().Update(ctx, db)
	}
}

func patchStatus(ns, name string) func(context.Context, client.Client) error {
	return func(ctx context.Context, c client.Client) error {
		return c.Status().Patch(ctx, rdsDatabase(ns, name), client.RawPatch(types.MergePatchType, []byte(`{"status":{"phase":"Ready"}}`)))
	}
}

func remove(ns, name string) func(context.Context, client.Client) error {
	return func(ctx context.Context, c client.Client) error { return c.Delete(ctx, rdsDatabase(ns, name)) }
}

// deleteCollection deletes the RDSDatabases of ns with a label none has: the request needs
// deletecollection and deletes nothing the other cases use.
func deleteCollection(ns string) func(context.Context, client.Client) error {
	return func(ctx context.Context, c client.Client) error {
		return c.DeleteAllOf(ctx, &v1.RDSDatabase{}, client.InNamespace(ns), client.MatchingLabels{"deploy-test": "none"})
	}
}
