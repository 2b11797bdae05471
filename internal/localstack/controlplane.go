package localstack

import (
	"context"
	"fmt"
	"time"

	"github.com/matrixmind-cloud/aws-rds-operator/internal/controlplane"
)

// startControlPlane starts etcd and kube-apiserver with their state in Config.Dir, where
// local-down finds it on their command lines, installs the CRDs and writes a kubeconfig for
// a system:masters user.
func (s *stack) startControlPlane() error {
	s.log.logf("starting control plane (kube-apiserver, etcd from %s)", s.cfg.ToolsDir)
	stopTicker := s.log.every(3*time.Second, "still starting control plane")
	cp, err := controlplane.Start(controlplane.Options{ToolsDir: s.cfg.ToolsDir, CRDDir: s.cfg.CRDDir, ManifestDir: s.cfg.AdmissionDir, Dir: s.cfg.Dir})
	stopTicker()
	if err != nil {
		return err
	}
	s.cp = cp
	s.log.logf("control plane up at %s, CRDs installed from %s", cp.Config().Host, s.cfg.CRDDir)
	if err := cp.WriteKubeconfig(s.path(KubeconfigFile)); err != nil {
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
	cm, err := s.cp.StartControllerManager(ctx, controlplane.ControllerManagerOptions{})
	stopTicker()
	if err != nil {
		return err
	}
	s.controllers = cm
	s.log.logf("kube-controller-manager up: namespaces delete and owner references collect")
	return nil
}
