package localstack

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"

	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/matrixmind-cloud/aws-rds-operator/internal/controlplane"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/pgserver"
)

// testCRD is a stand-in for the project's CRDs, so this test does not depend on api/v1.
const testCRD = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  names: {kind: Widget, listKind: WidgetList, plural: widgets, singular: widget}
  scope: Namespaced
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}
`

// syncBuffer is a bytes.Buffer safe for the stack's progress writer and the test's reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// standinStack builds the stand-in binaries and a CRD directory and returns a Config using
// them, skipping the test when no control plane binaries or no PostgreSQL (for db1) are at
// hand.
func standinStack(t *testing.T) Config {
	t.Helper()
	tools, err := controlplane.ToolsDir()
	if err != nil {
		t.Skip(err)
	}
	builds, err := pgserver.DefaultBuilds()
	if err == nil {
		_, err = builds.Default()
	}
	if err != nil {
		t.Skipf("no PostgreSQL for db1 (make deps installs it): %v", err)
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "bin")
	build := exec.Command("go", "build", "-o", filepath.Join(bin, "manager"), "./testdata/standin")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build stand-in: %v\n%s", err, out)
	}
	if err := os.Link(filepath.Join(bin, "manager"), filepath.Join(bin, "rds-emulator")); err != nil {
		t.Fatal(err)
	}
	// The Cloud SQL and Azure emulators are the real ones: they start no database server
	// until asked for one, and they let the test prove that the endpoints in the env file
	// answer their APIs.
	for _, name := range []string{"cloudsql-emulator", "azure-emulator"} {
		build = exec.Command("go", "build", "-o", filepath.Join(bin, name), "../../cmd/"+name)
		if out, err := build.CombinedOutput(); err != nil {
			t.Fatalf("build %s: %v\n%s", name, err, out)
		}
	}
	crds := filepath.Join(dir, "crds")
	if err := os.MkdirAll(crds, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(crds, "widget.yaml"), []byte(testCRD), 0o644); err != nil {
		t.Fatal(err)
	}
	return Config{Dir: filepath.Join(dir, "state"), BinDir: bin, ToolsDir: tools, CRDDir: crds, Out: &syncBuffer{}}
}

// waitReady waits for the ready file or for Run to return.
func waitReady(t *testing.T, cfg Config, done <-chan error) {
	t.Helper()
	deadline := time.After(2 * time.Minute)
	for {
		if _, err := os.Stat(filepath.Join(cfg.Dir, ReadyFile)); err == nil {
			return
		}
		select {
		case err := <-done:
			t.Fatalf("Run returned before ready: %v\n%s", err, cfg.Out)
		case <-deadline:
			t.Fatalf("not ready within 2m\n%s", cfg.Out)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// TestRunLifecycle is the user's story: start the stack, reach the cluster with the written
// kubeconfig and find the CRD installed, stop it with a signal and find everything gone.
func TestRunLifecycle(t *testing.T) {
	cfg := standinStack(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- Run(ctx, cfg) }()
	waitReady(t, cfg, done)

	restCfg, err := clientcmd.BuildConfigFromFlags("", filepath.Join(cfg.Dir, KubeconfigFile))
	if err != nil {
		t.Fatalf("load kubeconfig: %v", err)
	}
	c, err := client.New(restCfg, client.Options{})
	if err != nil {
		t.Fatal(err)
	}
	_ = apiextensionsv1.AddToScheme(c.Scheme())
	crd := &apiextensionsv1.CustomResourceDefinition{}
	if err := c.Get(ctx, client.ObjectKey{Name: "widgets.example.com"}, crd); err != nil {
		t.Errorf("get installed CRD with the written kubeconfig: %v", err)
	}
	deleteNamespace(ctx, t, c)
	env, err := os.ReadFile(filepath.Join(cfg.Dir, EnvFile))
	if err != nil {
		t.Fatal(err)
	}
	managerLog, _ := os.ReadFile(filepath.Join(cfg.Dir, ManagerLog))
	endpoint := strings.TrimPrefix(strings.TrimSpace(string(managerLog)), "AWS_ENDPOINT_URL_RDS=")
	if !strings.HasPrefix(endpoint, "http://127.0.0.1:") || !strings.Contains(string(env), "export AWS_ENDPOINT_URL_RDS='"+endpoint+"'") {
		t.Errorf("manager saw endpoint %q; env file:\n%s", endpoint, env)
	}
	checkCloudSQL(t, filepath.Join(cfg.Dir, EnvFile))
	checkAzure(t, filepath.Join(cfg.Dir, EnvFile))
	checkExistingServer(ctx, t, c, cfg.Dir)

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run after cancel: %v\n%s", err, cfg.Out)
		}
	case <-time.After(time.Minute):
		t.Fatalf("Run did not return within 1m of cancel\n%s", cfg.Out)
	}
	if _, err := os.Stat(filepath.Join(cfg.Dir, ReadyFile)); !os.IsNotExist(err) {
		t.Errorf("ready file still there after shutdown (stat: %v)", err)
	}
	if out, _ := exec.Command("pgrep", "-f", cfg.Dir+"/").Output(); len(out) > 0 {
		t.Errorf("processes from %s still running after shutdown: %s", cfg.Dir, out)
	}
}

// checkCloudSQL sources the env file as a user would and lists the instances of the project
// it names at the Cloud SQL endpoint it names, which must answer with none.
func checkCloudSQL(t *testing.T, envFile string) {
	t.Helper()
	out, err := exec.Command("sh", "-c", `. "$1" && printf '%s\n%s' "$GCP_SQLADMIN_ENDPOINT" "$GCP_PROJECT"`, "sh", envFile).CombinedOutput()
	if err != nil {
		t.Fatalf("source env file: %v: %s", err, out)
	}
	endpoint, project, _ := strings.Cut(string(out), "\n")
	if !strings.HasPrefix(endpoint, "http://127.0.0.1:") || project != "local-project" {
		t.Fatalf("env file sets GCP_SQLADMIN_ENDPOINT=%q GCP_PROJECT=%q, want a local URL and local-project", endpoint, project)
	}
	req, err := http.NewRequest(http.MethodGet, endpoint+"/v1/projects/"+project+"/instances", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer local")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("list Cloud SQL instances: %v", err)
	}
	defer resp.Body.Close()
	var list struct {
		Kind  string            `json:"kind"`
		Items []json.RawMessage `json:"items"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&list); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: status %d, decode: %v", req.URL, resp.StatusCode, err)
	}
	if list.Kind != "sql#instancesList" || len(list.Items) != 0 {
		t.Errorf("GET %s = %+v, want an empty sql#instancesList", req.URL, list)
	}
}

// checkAzure sources the env file as a user would and lists the PostgreSQL flexible servers
// of the subscription it names and the local resource group at the Resource Manager endpoint
// it names, which must answer with none; another resource group must not exist there.
func checkAzure(t *testing.T, envFile string) {
	t.Helper()
	out, err := exec.Command("sh", "-c", `. "$1" && printf '%s\n%s\n%s' "$AZURE_ARM_ENDPOINT" "$AZURE_SUBSCRIPTION_ID" "$AZURE_ACCESS_TOKEN"`, "sh", envFile).CombinedOutput()
	if err != nil {
		t.Fatalf("source env file: %v: %s", err, out)
	}
	vars := strings.Split(string(out), "\n")
	if len(vars) != 3 || !strings.HasPrefix(vars[0], "http://127.0.0.1:") || vars[1] != AzureSubscription || vars[2] == "" {
		t.Fatalf("env file sets AZURE_ARM_ENDPOINT, AZURE_SUBSCRIPTION_ID, AZURE_ACCESS_TOKEN to %q, want a local URL, %s and a token", vars, AzureSubscription)
	}
	endpoint, subscription, token := vars[0], vars[1], vars[2]
	list := func(resourceGroup string) (int, []json.RawMessage) {
		t.Helper()
		url := endpoint + "/subscriptions/" + subscription + "/resourceGroups/" + resourceGroup +
			"/providers/Microsoft.DBforPostgreSQL/flexibleServers?api-version=2024-08-01"
		req, err := http.NewRequest(http.MethodGet, url, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("list flexible servers: %v", err)
		}
		defer resp.Body.Close()
		var page struct {
			Value []json.RawMessage `json:"value"`
		}
		if resp.StatusCode == http.StatusOK {
			if err := json.NewDecoder(resp.Body).Decode(&page); err != nil {
				t.Fatalf("GET %s: decode: %v", url, err)
			}
		}
		return resp.StatusCode, page.Value
	}
	if status, servers := list(AzureResourceGroup); status != http.StatusOK || len(servers) != 0 {
		t.Errorf("list of resource group %s: status %d, %d servers, want 200 and none", AzureResourceGroup, status, len(servers))
	}
	if status, _ := list("elsewhere"); status != http.StatusNotFound {
		t.Errorf("list of resource group elsewhere: status %d, want 404: the emulator serves only the local one", status)
	}
}

// checkExistingServer reads the admin Secret the sample existing class names, as the
// operator does, and logs in to db1 with nothing else, verifying the server against the
// Secret's ca.crt (which the stack keeps in ExistingCAFile too): its user is a superuser.
func checkExistingServer(ctx context.Context, t *testing.T, c client.Client, dir string) {
	t.Helper()
	secret := &corev1.Secret{}
	if err := c.Get(ctx, client.ObjectKey{Namespace: ExistingAdminNamespace, Name: ExistingAdminSecret}, secret); err != nil {
		t.Fatalf("get the admin Secret of db1: %v", err)
	}
	var keys []string
	for k, v := range secret.Data {
		if len(v) > 0 {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	if diff := cmp.Diff([]string{"ca.crt", "engine", "host", "password", "port", "username"}, keys); diff != "" {
		t.Fatalf("the admin Secret's non-empty keys: -want +got:\n%s", diff)
	}
	if got := string(secret.Data["engine"]); got != "postgres" {
		t.Errorf("engine = %q, want postgres", got)
	}
	caFile := filepath.Join(dir, ExistingCAFile)
	if ca, err := os.ReadFile(caFile); err != nil || !bytes.Equal(ca, secret.Data["ca.crt"]) {
		t.Errorf("%s does not hold the Secret's ca.crt (read: %v)", caFile, err)
	}
	d := secret.Data
	conn, err := pgx.Connect(ctx, fmt.Sprintf("host=%s port=%s user=%s password=%s dbname=postgres sslmode=verify-ca sslrootcert=%s",
		d["host"], d["port"], d["username"], d["password"], caFile))
	if err != nil {
		t.Fatalf("log in to db1 with the admin Secret, verifying it against ca.crt: %v", err)
	}
	defer func() { _ = conn.Close(ctx) }()
	var super bool
	if err := conn.QueryRow(ctx, "select rolsuper from pg_roles where rolname = current_user").Scan(&super); err != nil || !super {
		t.Errorf("db1's administrator: superuser %t (err %v), want a superuser", super, err)
	}
}

// deleteNamespace deletes a namespace holding a Widget and waits until it is gone, as in a
// cluster: the stack runs the namespace controller.
func deleteNamespace(ctx context.Context, t *testing.T, c client.Client) {
	t.Helper()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "doomed-"}}
	if err := c.Create(ctx, ns); err != nil {
		t.Fatal(err)
	}
	widget := &unstructured.Unstructured{}
	widget.SetAPIVersion("example.com/v1")
	widget.SetKind("Widget")
	widget.SetNamespace(ns.Name)
	widget.SetName("w")
	if err := c.Create(ctx, widget); err != nil {
		t.Fatal(err)
	}
	if err := c.Delete(ctx, ns); err != nil {
		t.Fatal(err)
	}
	err := wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
		err := c.Get(ctx, client.ObjectKeyFromObject(ns), ns)
		return apierrors.IsNotFound(err), client.IgnoreNotFound(err)
	})
	if err != nil {
		t.Errorf("namespace %s with a Widget in it not gone 30s after its deletion: %v; its status: %+v", ns.Name, err, ns.Status)
	}
}

// TestRunExistingServerDies proves that db1 dying takes the stack down with an error naming
// its log, as a child's death does.
func TestRunExistingServerDies(t *testing.T) {
	cfg := standinStack(t)
	done := make(chan error, 1)
	go func() { done <- Run(context.Background(), cfg) }()
	waitReady(t, cfg, done)
	pid, err := postmasterPID(filepath.Join(cfg.Dir, ExistingServerDir, "data"))
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "db1") || !strings.Contains(err.Error(), filepath.Join(cfg.Dir, ExistingServerDir, "log")) {
			t.Errorf("Run() = %v, want an error saying db1 exited and naming its log\n%s", err, cfg.Out)
		}
	case <-time.After(time.Minute):
		t.Fatalf("Run did not return within 1m after db1 was killed\n%s", cfg.Out)
	}
	if out, _ := exec.Command("pgrep", "-f", cfg.Dir+"/").Output(); len(out) > 0 {
		t.Errorf("processes from %s still running after shutdown: %s", cfg.Dir, out)
	}
}

// TestRunChildDies proves a crashing child takes the stack down with an error.
func TestRunChildDies(t *testing.T) {
	cfg := standinStack(t)
	t.Setenv("STANDIN_EXIT_AFTER", "1s")
	done := make(chan error, 1)
	go func() { done <- Run(context.Background(), cfg) }()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "exited") {
			t.Errorf("Run() = %v, want an error saying a child exited\n%s", err, cfg.Out)
		}
	case <-time.After(2 * time.Minute):
		t.Fatalf("Run did not return within 2m after its child crashed\n%s", cfg.Out)
	}
	if out, _ := exec.Command("pgrep", "-f", cfg.Dir+"/").Output(); len(out) > 0 {
		t.Errorf("processes from %s still running after shutdown: %s", cfg.Dir, out)
	}
}
