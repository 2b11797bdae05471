// Package deploy tests the install manifests a user applies: the Helm chart in
// charts/aws-rds-operator and the kustomize install in config/default. It renders them with
// the project's own helm and kubectl and applies every object to a real kube-apiserver with a
// server-side dry run, so an object the apiserver would refuse fails here, not on a user's
// cluster.
package deploy

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"

	"github.com/matrixmind-cloud/aws-rds-operator/internal/controlplane"
	"github.com/matrixmind-cloud/aws-rds-operator/test/harness"
)

// cluster is what TestMain started; tests that need it call requireCluster first.
var cluster struct {
	// skip is why the apiserver or helm is missing; empty when both are there.
	skip string
	// tools holds helm and kubectl.
	tools string
	// kubeconfig reaches the envtest apiserver as its administrator.
	kubeconfig string
	// cp is the running control plane, for a test that starts kube-controller-manager
	// beside it; cp.Config() reaches it as its administrator.
	cp *controlplane.ControlPlane
}

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	tools, err := controlplane.ToolsDir("helm", "kubectl")
	if err != nil {
		cluster.skip = err.Error()
		return m.Run()
	}
	cluster.tools = tools
	cp, err := controlplane.Start(controlplane.Options{ToolsDir: tools, CRDDir: filepath.Join(harness.Root(), "config", "crd", "bases")})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer func() { _ = cp.Stop() }()
	cluster.cp = cp
	dir, err := os.MkdirTemp("", "deploy-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer func() { _ = os.RemoveAll(dir) }()
	cluster.kubeconfig = filepath.Join(dir, "kubeconfig")
	if err := cp.WriteKubeconfig(cluster.kubeconfig); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	// helm keeps a cache and config under HOME by default; keep this run's to itself.
	for _, k := range []string{"HELM_CACHE_HOME", "HELM_CONFIG_HOME", "HELM_DATA_HOME"} {
		if err := os.Setenv(k, filepath.Join(dir, k)); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
	}
	return m.Run()
}

// requireCluster skips t, with the one-line reason, when TestMain could not find the tools.
func requireCluster(t *testing.T) {
	t.Helper()
	if cluster.skip != "" {
		t.Skip(cluster.skip)
	}
}

// tool runs helm or kubectl from the tools directory in the repository's root, with stdin,
// and returns its standard output; the error carries its standard error.
func tool(stdin []byte, name string, args ...string) ([]byte, error) {
	cmd := exec.Command(filepath.Join(cluster.tools, name), args...)
	cmd.Dir = harness.Root()
	cmd.Stdin = bytes.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("%s %s: %w\n%s", name, strings.Join(args, " "), err, stderr.String())
	}
	return stdout.Bytes(), nil
}

// kubectl runs the project's kubectl against the envtest apiserver.
func kubectl(stdin []byte, args ...string) ([]byte, error) {
	return tool(stdin, "kubectl", append([]string{"--kubeconfig", cluster.kubeconfig}, args...)...)
}

// dryRunApply applies manifests as a server-side apply with a server-side dry run: the
// apiserver decodes, defaults and validates every object (unknown fields are errors) and
// persists nothing.
func dryRunApply(manifests []byte) error {
	_, err := kubectl(manifests, "apply", "--server-side", "--dry-run=server", "--force-conflicts",
		"--field-manager=deploy-test", "--validate=strict", "-f", "-")
	return err
}

// ensureNamespace creates namespace ns for real: a dry run of a namespaced object needs its
// namespace to exist.
func ensureNamespace(t *testing.T, ns string) {
	t.Helper()
	if _, err := kubectl(nil, "get", "namespace", ns); err == nil {
		return
	}
	if _, err := kubectl(nil, "create", "namespace", ns); err != nil {
		t.Fatal(err)
	}
}

// decode splits a multi-document YAML stream into objects, skipping empty documents.
// renderChart renders the chart with the values set (helmTemplate) and decodes it, failing
// t when either fails.
func renderChart(t *testing.T, set ...string) ([]byte, []unstructured.Unstructured) {
	t.Helper()
	manifests, err := helmTemplate(set...)
	if err != nil {
		t.Fatal(err)
	}
	objs, err := decode(manifests)
	if err != nil {
		t.Fatal(err)
	}
	return manifests, objs
}

func decode(manifests []byte) ([]unstructured.Unstructured, error) {
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(manifests), 4096)
	var objs []unstructured.Unstructured
	for {
		var obj map[string]any
		if err := dec.Decode(&obj); err != nil {
			if errors.Is(err, io.EOF) {
				return objs, nil
			}
			return nil, err
		}
		if len(obj) != 0 {
			objs = append(objs, unstructured.Unstructured{Object: obj})
		}
	}
}

// find returns the only object of kind in objs, converted into out.
func find(objs []unstructured.Unstructured, kind string, out any) error {
	return findNamed(objs, kind, "", out)
}

// findNamed returns the only object of kind named name in objs (of any name when name is
// empty), converted into out.
func findNamed(objs []unstructured.Unstructured, kind, name string, out any) error {
	var found []unstructured.Unstructured
	for _, o := range objs {
		if o.GetKind() == kind && (name == "" || o.GetName() == name) {
			found = append(found, o)
		}
	}
	if len(found) != 1 {
		return fmt.Errorf("want one %s %q, found %d", kind, name, len(found))
	}
	return runtime.DefaultUnstructuredConverter.FromUnstructured(found[0].Object, out)
}

// manifestsOf returns the objects of objs whose kind is one of kinds, as a stream for
// kubectl apply or delete.
func manifestsOf(objs []unstructured.Unstructured, kinds ...string) ([]byte, error) {
	var out bytes.Buffer
	for _, o := range objs {
		if slices.Contains(kinds, o.GetKind()) {
			b, err := o.MarshalJSON()
			if err != nil {
				return nil, err
			}
			out.Write(b)
			out.WriteString("\n")
		}
	}
	return out.Bytes(), nil
}

// kinds lists the kinds of objs in order, to say what was applied.
func kinds(objs []unstructured.Unstructured) []string {
	var ks []string
	for _, o := range objs {
		ks = append(ks, o.GetKind())
	}
	return ks
}
