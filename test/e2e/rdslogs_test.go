package e2e

import (
	"bytes"
	"context"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/matrixmind-cloud/aws-rds-operator/api/v1"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/logapi"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/rdsctl"
	"github.com/matrixmind-cloud/aws-rds-operator/test/harness"
)

// TestLogsUnderRBAC: a person with Kubernetes rights and no cloud ones reads the database's
// log with `kubectl rds logs`, through kube-apiserver's aggregation layer, and sees a failed
// login in it; a person who may read the object but not its log is refused. Following the
// log costs one cloud call a poll.
func TestLogsUnderRBAC(t *testing.T) {
	ctx := context.Background()
	ns := namespace(t, "rdslogs")
	db := sample(t, ns)
	db.Spec.DeletionPolicy = v1.DeletionDelete
	if err := stack.Client.Create(ctx, db); err != nil {
		t.Fatal(err)
	}
	ready := waitReady(t, db)
	id := ready.Status.Cloud.Identifier

	// alice may read the log; bob may read the object, not its log.
	grant(t, ns, "log-reader", "alice", rbacv1.PolicyRule{APIGroups: []string{logapi.Group}, Resources: []string{"rdsdatabases/log"}, Verbs: []string{"get"}})
	grant(t, ns, "db-reader", "bob", rbacv1.PolicyRule{APIGroups: []string{v1.GroupVersion.Group}, Resources: []string{"rdsdatabases"}, Verbs: []string{"get", "list"}})
	alice, err := stack.UserConfig("alice")
	if err != nil {
		t.Fatal(err)
	}
	bob, err := stack.UserConfig("bob")
	if err != nil {
		t.Fatal(err)
	}

	// Somebody tries the app user's host with a user that does not exist.
	intrude := func(user string) {
		u, err := url.Parse(string(secretData(t, ns, "orders.rds.app")["uri"]))
		if err != nil {
			t.Fatal(err)
		}
		u.User = url.UserPassword(user, "guess")
		if err := logsIn(ctx, u.String(), ""); err == nil {
			t.Fatalf("%s logged in with a guessed password", user)
		}
	}
	intrude("intruder")
	const refused = `password authentication failed for user "intruder"`

	// The plugin, as alice runs it with her kubeconfig, prints the failed login (the server
	// writes it a moment after refusing).
	kubeconfig := writeKubeconfig(t, alice)
	var out string
	err = harness.WaitFor(ctx, readyTimeout, func(ctx context.Context) (bool, error) {
		var stdout, stderr bytes.Buffer
		if code := rdsctl.Run(ctx, []string{"logs", db.Name, "-n", ns, "--kubeconfig", kubeconfig}, &stdout, &stderr); code != 0 {
			out = stderr.String()
			return false, nil
		}
		out = stdout.String()
		return strings.Contains(out, refused), nil
	})
	if err != nil {
		t.Fatalf("kubectl rds logs as alice never printed the failed login: %v; last output:\n%s", err, out)
	}
	var files bytes.Buffer
	if code := rdsctl.Run(ctx, []string{"logs", db.Name, "--namespace=" + ns, "--kubeconfig=" + kubeconfig, "--list"}, &files, os.Stderr); code != 0 || !strings.Contains(files.String(), "error/postgresql.log.") {
		t.Errorf("--list = %d:\n%s\nwant the server's files", code, files.String())
	}
	var tail bytes.Buffer
	if err := rdsctl.Logs(ctx, alice, ns, db.Name, logapi.Query{TailLines: 3}, &tail); err != nil || strings.Count(tail.String(), "\n") > 3 || tail.Len() == 0 {
		t.Errorf("--tail 3 = %q, %v; want at most 3 lines", tail.String(), err)
	}

	// bob is refused, by kube-apiserver before anything reaches the operator.
	err = rdsctl.Logs(ctx, bob, ns, db.Name, logapi.Query{TailLines: -1}, &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "forbidden") || !strings.Contains(err.Error(), "rdsdatabases/log") {
		t.Errorf("bob read the log: %v, want forbidden", err)
	}
	// alice's right is in her namespace only.
	other := namespace(t, "rdslogs-other")
	err = rdsctl.Logs(ctx, alice, other, db.Name, logapi.Query{TailLines: -1}, &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "forbidden") {
		t.Errorf("alice read a log in another namespace: %v, want forbidden", err)
	}

	// Following: a later failed login shows up, and each poll is one cloud call.
	follow, stop := context.WithCancel(ctx)
	defer stop()
	var followed harness.LockedBuffer
	calls := func() int {
		n := 0
		for _, c := range stack.Emulator.Stats().Log {
			if c.ID == id && (c.Action == "DownloadDBLogFilePortion" || c.Action == "DescribeDBLogFiles") && c.Attempt <= 1 {
				n++
			}
		}
		return n
	}
	before, start := calls(), time.Now()
	done := make(chan error, 1)
	go func() {
		done <- rdsctl.Logs(follow, alice, ns, db.Name, logapi.Query{TailLines: 0, Follow: true}, &followed)
	}()
	// Once the follower polls (it starts at the file's end, after a look at the files and
	// at the end), a new failed login.
	if err := harness.WaitFor(ctx, readyTimeout, func(context.Context) (bool, error) { return calls()-before >= 3, nil }); err != nil {
		t.Fatalf("the follower never polled: %v", err)
	}
	intrude("late-intruder")
	err = harness.WaitFor(ctx, readyTimeout, func(context.Context) (bool, error) {
		return strings.Contains(followed.String(), `password authentication failed for user "late-intruder"`), nil
	})
	elapsed := time.Since(start)
	stop()
	if ferr := <-done; ferr != nil {
		t.Errorf("following: %v", ferr)
	}
	if err != nil {
		t.Fatalf("--follow never printed the later failed login: %v; printed:\n%s", err, followed.String())
	}
	// The harness's log API polls every 200ms: one call a poll, plus the first look.
	if got, most := calls()-before, int(elapsed/(200*time.Millisecond))+3; got > most {
		t.Errorf("following for %s cost %d log calls, want at most %d (one a poll)", elapsed, got, most)
	}
}

// grant gives user rules in namespace through a Role and RoleBinding named name.
func grant(t *testing.T, namespace, name, user string, rules ...rbacv1.PolicyRule) {
	t.Helper()
	role := &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name}, Rules: rules}
	binding := &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: name},
		Subjects:   []rbacv1.Subject{{APIGroup: rbacv1.GroupName, Kind: rbacv1.UserKind, Name: user}},
	}
	for _, o := range []client.Object{role, binding} {
		if err := stack.Client.Create(context.Background(), o); err != nil {
			t.Fatal(err)
		}
	}
}

// writeKubeconfig writes a kubeconfig for cfg's user, as an admin hands one out.
func writeKubeconfig(t *testing.T, cfg *rest.Config) string {
	t.Helper()
	kc := clientcmdapi.NewConfig()
	kc.Clusters["local"] = &clientcmdapi.Cluster{Server: cfg.Host, CertificateAuthorityData: cfg.CAData}
	kc.AuthInfos["user"] = &clientcmdapi.AuthInfo{ClientCertificateData: cfg.CertData, ClientKeyData: cfg.KeyData}
	kc.Contexts["local"] = &clientcmdapi.Context{Cluster: "local", AuthInfo: "user", Namespace: "default"}
	kc.CurrentContext = "local"
	path := filepath.Join(t.TempDir(), "kubeconfig")
	if err := clientcmd.WriteToFile(*kc, path); err != nil {
		t.Fatal(err)
	}
	return path
}
