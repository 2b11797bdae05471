package localstack

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/matrixmind-cloud/aws-rds-operator/internal/controllermanager"
)

// State directories of the control plane inside Config.Dir. Keeping them there, rather than
// in envtest's temporary directories, puts the state path on the command lines of etcd,
// kube-apiserver and kube-controller-manager, which is how local-down recognizes processes
// of this stack.
const (
	etcdDir              = "etcd"
	apiserverDir         = "kube-apiserver"
	controllerManagerDir = "kube-controller-manager"
)

// controlPlaneStartTimeout bounds each of etcd and kube-apiserver; a cold disk on a small
// machine is slower than envtest's 20 s default.
const controlPlaneStartTimeout = 60 * time.Second

// startControlPlane starts etcd and kube-apiserver, installs the CRDs and writes a kubeconfig
// for a system:masters user.
func (s *stack) startControlPlane() error {
	etcdLog, err := os.Create(s.path("etcd.log"))
	if err != nil {
		return fmt.Errorf("create etcd log: %w", err)
	}
	apiLog, err := os.Create(s.path("kube-apiserver.log"))
	if err != nil {
		return fmt.Errorf("create kube-apiserver log: %w", err)
	}
	s.env = &envtest.Environment{
		BinaryAssetsDirectory:    s.cfg.ToolsDir,
		CRDDirectoryPaths:        []string{s.cfg.CRDDir},
		ErrorIfCRDPathMissing:    true,
		ControlPlaneStartTimeout: controlPlaneStartTimeout,
		ControlPlane: envtest.ControlPlane{
			Etcd:      &envtest.Etcd{DataDir: s.path(etcdDir), Out: etcdLog, Err: etcdLog},
			APIServer: &envtest.APIServer{CertDir: s.path(apiserverDir), Out: apiLog, Err: apiLog},
		},
	}
	for _, dir := range []string{etcdDir, apiserverDir} {
		if err := os.MkdirAll(s.path(dir), 0o700); err != nil {
			return fmt.Errorf("create %s: %w", dir, err)
		}
	}

	s.log.logf("starting control plane (kube-apiserver, etcd from %s)", s.cfg.ToolsDir)
	stopTicker := s.log.every(3*time.Second, "still starting control plane")
	_, err = s.env.Start()
	stopTicker()
	if err != nil {
		return fmt.Errorf("start control plane: %w (logs: %s, %s)", err, etcdLog.Name(), apiLog.Name())
	}
	s.log.logf("control plane up at %s, CRDs installed from %s", s.env.Config.Host, s.cfg.CRDDir)

	admin, err := s.env.AddUser(envtest.User{Name: "admin", Groups: []string{"system:masters"}}, nil)
	if err != nil {
		return fmt.Errorf("add admin user: %w", err)
	}
	kubeconfig, err := admin.KubeConfig()
	if err != nil {
		return fmt.Errorf("build admin kubeconfig: %w", err)
	}
	if err := os.WriteFile(s.path(KubeconfigFile), kubeconfig, 0o600); err != nil {
		return fmt.Errorf("write kubeconfig: %w", err)
	}
	s.log.logf("wrote %s", s.path(KubeconfigFile))
	return nil
}

// startControllerManager starts kube-controller-manager's namespace and garbage collector
// controllers, so that a deleted namespace goes away as in a cluster instead of staying
// Terminating, and waits until they are at work.
func (s *stack) startControllerManager(ctx context.Context) error {
	s.log.logf("starting kube-controller-manager (namespace and garbage collector controllers; log: %s)", s.path(ControllerManagerLog))
	stopTicker := s.log.every(3*time.Second, "still starting kube-controller-manager")
	cm, err := controllermanager.Start(ctx, s.env, controllermanager.Config{
		Binary:  filepath.Join(s.cfg.ToolsDir, controllermanager.Binary),
		Dir:     s.path(controllerManagerDir),
		LogPath: s.path(ControllerManagerLog),
	})
	stopTicker()
	if err != nil {
		return err
	}
	s.controllers = cm
	s.log.logf("kube-controller-manager up: namespaces delete and owner references collect")
	return nil
}
