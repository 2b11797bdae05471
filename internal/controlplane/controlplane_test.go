package controlplane

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// TestStartStop is the local stack's story: start in a state directory with CRDs and
// kube-controller-manager, reach the apiserver with the written kubeconfig, find every
// process by the directory on its command line, stop, find none left, and start again in
// the same directory on fresh state.
func TestStartStop(t *testing.T) {
	tools := requireTools(t)
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "state")
	opts := Options{ToolsDir: tools, CRDDir: filepath.Join("..", "..", "config", "crd", "bases"), Dir: dir}
	cp, err := Start(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cp.Stop() })
	if _, err := cp.StartControllerManager(ctx, ControllerManagerOptions{}); err != nil {
		t.Fatal(err)
	}

	kubeconfig := filepath.Join(t.TempDir(), "kubeconfig")
	if err := cp.WriteKubeconfig(kubeconfig); err != nil {
		t.Fatal(err)
	}
	c := kubeconfigClient(t, kubeconfig)
	if err := c.Get(ctx, client.ObjectKey{Name: "rdsdatabases.matrixmind.cloud"}, &apiextensionsv1.CustomResourceDefinition{}); err != nil {
		t.Errorf("get the installed CRD with the written kubeconfig: %v", err)
	}
	if err := c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "left-behind"}}); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"etcd", "kube-apiserver", "kube-controller"}, processesIn(t, dir)); diff != "" {
		t.Errorf("processes naming %s on their command line: -want +got:\n%s", dir, diff)
	}
	for _, log := range []string{etcdLog, apiserverLog, ControllerManagerLog} {
		if fi, err := os.Stat(filepath.Join(dir, log)); err != nil || fi.Size() == 0 {
			t.Errorf("no %s in %s (%v)", log, dir, err)
		}
	}

	if err := cp.Stop(); err != nil {
		t.Fatal(err)
	}
	if got := processesIn(t, dir); len(got) != 0 {
		t.Errorf("still running after Stop: %v", got)
	}
	if err := cp.Stop(); err != nil {
		t.Errorf("a second Stop: %v", err)
	}

	again, err := Start(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = again.Stop() })
	if err := again.WriteKubeconfig(kubeconfig); err != nil {
		t.Fatal(err)
	}
	err = kubeconfigClient(t, kubeconfig).Get(ctx, client.ObjectKey{Name: "left-behind"}, &corev1.Namespace{})
	if !apierrors.IsNotFound(err) {
		t.Errorf("a namespace of the previous run, after a restart in the same directory: %v, want NotFound", err)
	}
}

// TestTemporaryDir proves that without a Dir the state goes to a temporary directory, which
// Stop removes.
func TestTemporaryDir(t *testing.T) {
	cp, err := Start(Options{ToolsDir: requireTools(t)})
	if err != nil {
		t.Fatal(err)
	}
	dir := cp.dir
	if err := cp.Stop(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("%s still there after Stop (stat: %v)", dir, err)
	}
}

// requireTools returns the tools directory, skipping the test when the binaries are not
// built.
func requireTools(t *testing.T) string {
	t.Helper()
	tools, err := ToolsDir()
	if err != nil {
		t.Skip(err)
	}
	return tools
}

func kubeconfigClient(t *testing.T, kubeconfig string) client.Client {
	t.Helper()
	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	c, err := client.New(cfg, client.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := apiextensionsv1.AddToScheme(c.Scheme()); err != nil {
		t.Fatal(err)
	}
	return c
}

// processesIn returns the sorted command names (as the kernel keeps them, 15 characters) of
// the processes whose command line names dir, as hack/local-down.sh looks for them.
func processesIn(t *testing.T, dir string) []string {
	t.Helper()
	out, _ := exec.Command("pgrep", "-f", dir+"/").Output()
	var names []string
	for _, pid := range strings.Fields(string(out)) {
		comm, err := os.ReadFile("/proc/" + pid + "/comm")
		if err == nil {
			names = append(names, strings.TrimSpace(string(comm)))
		}
	}
	slices.Sort(names)
	return names
}
