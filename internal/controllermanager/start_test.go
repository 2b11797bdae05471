package controllermanager_test

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"

	"github.com/matrixmind-cloud/aws-rds-operator/internal/controlplane"
)

// TestStartStop starts kube-controller-manager against a real control plane (Start returns
// once the garbage collector was seen at work), deletes a namespace with content and sees it
// go as in a cluster, then stops kube-controller-manager and finds it gone.
func TestStartStop(t *testing.T) {
	tools, err := controlplane.ToolsDir()
	if err != nil {
		t.Skip(err)
	}
	dir := t.TempDir()
	cp, err := controlplane.Start(controlplane.Options{ToolsDir: tools, Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := cp.Stop(); err != nil {
			t.Error(err)
		}
	})
	ctx := context.Background()
	logPath := filepath.Join(dir, controlplane.ControllerManagerLog)
	start := time.Now()
	cm, err := cp.StartControllerManager(ctx, controlplane.ControllerManagerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("kube-controller-manager up in %.1fs", time.Since(start).Seconds())
	cmdline, err := os.ReadFile("/proc/" + strconv.Itoa(cm.Pid()) + "/cmdline")
	if err != nil {
		t.Fatal(err)
	}
	if want := "--kubeconfig=" + dir + "/"; !strings.Contains(string(cmdline), want) {
		t.Errorf("its command line %q does not name its kubeconfig in %s, by which local-down finds it", cmdline, dir)
	}

	clientset, err := kubernetes.NewForConfig(cp.Config())
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
