// Package controllermanager runs kube-controller-manager beside a local control plane
// (controller-runtime's envtest), with only the controllers that make objects go away as
// they do in a cluster: namespace deletion and the garbage collector. Without them a deleted
// namespace stays Terminating for ever and owner references mean nothing. The local stack
// and the test harness both run it. On request it also runs the controller that aggregates
// ClusterRoles, without which the built-in admin, edit and view roles grant nothing.
package controllermanager

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/matrixmind-cloud/aws-rds-operator/internal/serverproc"
)

// Binary is the program's name in the tools directory hack/tools.sh builds.
const Binary = "kube-controller-manager"

// kubeconfigFile is the name of the kubeconfig written into Config.Dir.
const kubeconfigFile = "kubeconfig"

// Config says which program to run and where its files and output go.
type Config struct {
	// Binary is the kube-controller-manager program.
	Binary string
	// Dir receives the kubeconfig it runs with. Its path is on the process's command line,
	// which is how a process left behind by a killed parent is recognised.
	Dir string
	// LogPath is the file its output is appended to.
	LogPath string
	// AggregateClusterRoles also runs the clusterrole-aggregation controller, which fills
	// the rules of ClusterRoles with an aggregationRule (the built-in admin, edit and view
	// among them) from the ClusterRoles their selectors match. kube-apiserver creates those
	// roles empty, so without it a RoleBinding to edit grants nothing.
	AggregateClusterRoles bool
}

// ControllerManager is a running kube-controller-manager.
type ControllerManager struct {
	proc *serverproc.Process
}

// Start gives kube-controller-manager a system:masters user of env's control plane, starts
// it and returns once its controllers have been seen at work (see probe). env must be
// started. Stop it before the control plane.
func Start(ctx context.Context, env *envtest.Environment, cfg Config) (*ControllerManager, error) {
	user, err := env.AddUser(envtest.User{Name: "kube-controller-manager", Groups: []string{"system:masters"}}, nil)
	if err != nil {
		return nil, fmt.Errorf("add the kube-controller-manager user: %w", err)
	}
	kubeconfig, err := user.KubeConfig()
	if err != nil {
		return nil, fmt.Errorf("build the kube-controller-manager kubeconfig: %w", err)
	}
	if err := os.MkdirAll(cfg.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("create %s: %w", cfg.Dir, err)
	}
	kubeconfigPath := filepath.Join(cfg.Dir, kubeconfigFile)
	if err := os.WriteFile(kubeconfigPath, kubeconfig, 0o600); err != nil {
		return nil, fmt.Errorf("write the kube-controller-manager kubeconfig: %w", err)
	}
	clientset, err := kubernetes.NewForConfig(user.Config())
	if err != nil {
		return nil, err
	}
	m := &ControllerManager{proc: &serverproc.Process{
		Command: func() *exec.Cmd {
			cmd := exec.Command(cfg.Binary, args(kubeconfigPath, cfg.AggregateClusterRoles)...)
			// Its own process group: a Ctrl-C in the terminal reaches only the parent,
			// which then stops everything in order.
			cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
			return cmd
		},
		LogPath:    cfg.LogPath,
		StopSignal: syscall.SIGTERM,
	}}
	p := &probe{client: clientset, aggregation: cfg.AggregateClusterRoles}
	if err := m.proc.Run(ctx, p.check, false, nil); err != nil {
		return nil, fmt.Errorf("start kube-controller-manager: %w", err)
	}
	return m, nil
}

// args are the command-line arguments kube-controller-manager runs with:
//   - only the namespace and garbage collector controllers, and the clusterrole-aggregation
//     controller when aggregate is set: the others manage Pods, Nodes, ServiceAccount
//     tokens and the like, which need a kubelet, keys or a cloud this control plane does
//     not have, and would only add load;
//   - no leader election: one instance runs, and a lease would only delay the start;
//   - no serving port (--secure-port=0): nothing reads its metrics, health is proven by
//     probe instead, and no port can collide with a parallel test run.
func args(kubeconfig string, aggregate bool) []string {
	controllers := "namespace-controller,garbage-collector-controller"
	if aggregate {
		controllers += ",clusterrole-aggregation-controller"
	}
	return []string{
		"--kubeconfig=" + kubeconfig,
		"--controllers=" + controllers,
		"--leader-elect=false",
		"--secure-port=0",
	}
}

// Stop asks kube-controller-manager to stop with SIGTERM and waits until it has exited,
// killing it when it takes too long.
func (m *ControllerManager) Stop() error {
	if err := m.proc.Stop(); err != nil {
		return fmt.Errorf("stop kube-controller-manager: %w", err)
	}
	return nil
}

// Exited is closed when the process has exited; ExitErr then says how.
func (m *ControllerManager) Exited() <-chan struct{} { return m.proc.Exited() }

// ExitErr is how the process exited, once Exited is closed.
func (m *ControllerManager) ExitErr() error { return m.proc.ExitErr() }

// LogTail returns the end of its log, for an error message.
func (m *ControllerManager) LogTail() string { return m.proc.LogTail() }

// probe proves the controllers work rather than that the process runs: it deletes the
// owner of a ConfigMap in kube-system, which the garbage collector must then delete, and
// leaves nothing behind. The namespace controller starts beside it in the same process;
// waiting for it to remove a namespace would cost 5 s on every start, the grace period it
// gives every deleted namespace before it looks at it. With aggregation it also waits for
// the built-in view ClusterRole, which kube-apiserver creates without rules, to have the
// rules of the roles labelled aggregate-to-view: the aggregation controller's first pass.
// check is called until it returns nil; each call takes the next step it can.
type probe struct {
	client       kubernetes.Interface
	aggregation  bool
	owner        *corev1.ConfigMap
	dependent    *corev1.ConfigMap
	ownerDeleted bool
}

func (p *probe) check(ctx context.Context) error {
	cms := p.client.CoreV1().ConfigMaps(metav1.NamespaceSystem)
	if p.owner == nil {
		owner, err := cms.Create(ctx, &corev1.ConfigMap{
			ObjectMeta: metav1.ObjectMeta{GenerateName: "kube-controller-manager-probe-"},
		}, metav1.CreateOptions{})
		if err != nil {
			return err
		}
		p.owner = owner
	}
	if p.dependent == nil {
		dependent, err := cms.Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{
			GenerateName: p.owner.Name + "-",
			OwnerReferences: []metav1.OwnerReference{{
				APIVersion: "v1", Kind: "ConfigMap", Name: p.owner.Name, UID: p.owner.UID,
			}},
		}}, metav1.CreateOptions{})
		if err != nil {
			return err
		}
		p.dependent = dependent
	}
	if !p.ownerDeleted {
		if err := cms.Delete(ctx, p.owner.Name, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
			return err
		}
		p.ownerDeleted = true
	}
	_, err := cms.Get(ctx, p.dependent.Name, metav1.GetOptions{})
	switch {
	case err == nil:
		return errors.New("the garbage collector has not deleted the dependent of a deleted owner")
	case !apierrors.IsNotFound(err):
		return err
	}
	if !p.aggregation {
		return nil
	}
	view, err := p.client.RbacV1().ClusterRoles().Get(ctx, "view", metav1.GetOptions{})
	if err != nil {
		return err
	}
	if len(view.Rules) == 0 {
		return errors.New("the clusterrole-aggregation controller has not filled the view ClusterRole")
	}
	return nil
}
