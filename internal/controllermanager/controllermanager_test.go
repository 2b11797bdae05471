package controllermanager

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
)

// TestStartStop starts kube-controller-manager against a real control plane (Start returns
// once the garbage collector was seen at work), deletes a namespace with content and sees it
// go as in a cluster, then stops kube-controller-manager and finds it gone.
func TestStartStop(t *testing.T) {
	tools := os.Getenv("KUBEBUILDER_ASSETS")
	for _, name := range []string{"kube-apiserver", "etcd", Binary} {
		if _, err := os.Stat(filepath.Join(tools, name)); tools == "" || err != nil {
			t.Skipf("no %s in KUBEBUILDER_ASSETS; run through make test, which builds it", name)
		}
	}
	env := &envtest.Environment{BinaryAssetsDirectory: tools}
	cfg, err := env.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := env.Stop(); err != nil {
			t.Error(err)
		}
	})
	ctx := context.Background()
	dir := t.TempDir()
	logPath := filepath.Join(dir, "kube-controller-manager.log")
	start := time.Now()
	cm, err := Start(ctx, env, Config{Binary: filepath.Join(tools, Binary), Dir: dir, LogPath: logPath})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("kube-controller-manager up in %.1fs", time.Since(start).Seconds())
	cmdline, err := os.ReadFile("/proc/" + strconv.Itoa(cm.proc.Pid()) + "/cmdline")
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(dir, kubeconfigFile); !strings.Contains(string(cmdline), want) {
		t.Errorf("its command line %q does not name its kubeconfig %s, by which local-down finds it", cmdline, want)
	}

	clientset, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ns, err := clientset.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "doomed-"}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := clientset.CoreV1().ConfigMaps(ns.Name).Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "content"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	deleted := time.Now()
	if err := clientset.CoreV1().Namespaces().Delete(ctx, ns.Name, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	err = wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
		_, err := clientset.CoreV1().Namespaces().Get(ctx, ns.Name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return true, nil
		}
		return false, err
	})
	if err != nil {
		t.Fatalf("namespace %s not gone 30s after its deletion: %v\n%s", ns.Name, err, cm.LogTail())
	}
	t.Logf("namespace gone %.1fs after its deletion", time.Since(deleted).Seconds())

	if err := cm.Stop(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-cm.Exited():
	default:
		t.Fatal("Stop returned with the process still running")
	}
	if log, err := os.ReadFile(logPath); err != nil || len(log) == 0 {
		t.Errorf("no log in %s (%v)", logPath, err)
	}
}

// TestArgs keeps the controllers it runs to the few this control plane can serve.
func TestArgs(t *testing.T) {
	cases := map[string]struct {
		reason    string
		aggregate bool
		want      []string
	}{
		"Default": {
			reason: "By default only the namespace and garbage collector controllers run.",
			want: []string{"--kubeconfig=/k", "--controllers=namespace-controller,garbage-collector-controller",
				"--leader-elect=false", "--secure-port=0"},
		},
		"AggregateClusterRoles": {
			reason:    "AggregateClusterRoles adds the clusterrole-aggregation controller to them.",
			aggregate: true,
			want: []string{"--kubeconfig=/k", "--controllers=namespace-controller,garbage-collector-controller,clusterrole-aggregation-controller",
				"--leader-elect=false", "--secure-port=0"},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, args("/k", tc.aggregate)); diff != "" {
				t.Errorf("%s\nargs: -want +got:\n%s", tc.reason, diff)
			}
		})
	}
}
