// Package controlplane starts a Kubernetes control plane on this machine, for the tests, the
// local stack and the soak: etcd and kube-apiserver through controller-runtime's envtest,
// from the binaries hack/tools.sh builds, with CRDs installed, and on request
// kube-controller-manager beside them (package controllermanager). It is the one place an
// envtest.Environment is built. It hands out an administrator's rest.Config and kubeconfig,
// keeps every process's state and log in one directory, and stops the processes in order.
package controlplane

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/matrixmind-cloud/aws-rds-operator/internal/controllermanager"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/serverproc"
)

// What Start keeps in Options.Dir.
const (
	etcdDir              = "etcd"
	apiserverDir         = "kube-apiserver"
	controllerManagerDir = "kube-controller-manager"
	etcdLog              = "etcd.log"
	apiserverLog         = "kube-apiserver.log"
	// ControllerManagerLog is kube-controller-manager's log.
	ControllerManagerLog = "kube-controller-manager.log"
)

// startTimeout bounds the start of each of etcd and kube-apiserver: a cold disk on a small
// machine is slower than envtest's 20 s default.
const startTimeout = time.Minute

// Options says where the binaries, the CRDs and the state are.
type Options struct {
	// ToolsDir holds kube-apiserver, etcd and kube-controller-manager; empty means ToolsDir().
	ToolsDir string
	// CRDDir holds the CustomResourceDefinitions to install; it must exist. Empty installs
	// none.
	CRDDir string
	// CRDDirs hold more CustomResourceDefinitions to install, another project's (such as
	// CloudNativePG's); each must exist.
	CRDDirs []string
	// ManifestDir holds more objects to create once the CRDs are installed (the API's
	// admission policies, config/admission); empty creates none.
	ManifestDir string
	// Dir holds the processes' state: etcd's data in etcd/, kube-apiserver's certificates in
	// kube-apiserver/, kube-controller-manager's kubeconfig in kube-controller-manager/, and
	// their logs etcd.log, kube-apiserver.log and kube-controller-manager.log. Its path is
	// thus on each process's command line, which is how hack/local-down.sh recognises those
	// of the local stack. Start removes the state an earlier run left. Empty means a new
	// temporary directory, which Stop removes.
	Dir string
}

// ControllerManagerOptions says which controllers kube-controller-manager runs beyond the
// namespace and garbage collector controllers.
type ControllerManagerOptions struct {
	// AggregateClusterRoles runs the clusterrole-aggregation controller too (see
	// controllermanager.Config).
	AggregateClusterRoles bool
}

// ControlPlane is a running etcd and kube-apiserver, and the kube-controller-managers
// started beside them.
type ControlPlane struct {
	env         *envtest.Environment
	tools       string
	dir         string
	tempDir     bool
	logs        []*os.File
	controllers []*controllermanager.ControllerManager
}

// Start starts etcd and kube-apiserver and installs the CRDs. Stop it when done, also when
// a later step of the caller's start fails.
func Start(opts Options) (_ *ControlPlane, err error) {
	c := &ControlPlane{tools: opts.ToolsDir, dir: opts.Dir}
	if c.tools == "" {
		if c.tools, err = ToolsDir(); err != nil {
			return nil, err
		}
	}
	if c.dir == "" {
		if c.dir, err = os.MkdirTemp("", "controlplane-"); err != nil {
			return nil, err
		}
		c.tempDir = true
	}
	defer func() {
		if err != nil {
			err = errors.Join(err, c.Stop())
		}
	}()
	if err := c.prepareDir(); err != nil {
		return nil, err
	}
	etcdOut, err := c.createLog(etcdLog)
	if err != nil {
		return nil, err
	}
	apiOut, err := c.createLog(apiserverLog)
	if err != nil {
		return nil, err
	}
	apiServer := &envtest.APIServer{CertDir: c.path(apiserverDir), Out: apiOut, Err: apiOut}
	if err := c.frontProxy(apiServer); err != nil {
		return nil, err
	}
	c.env = &envtest.Environment{
		BinaryAssetsDirectory:    c.tools,
		ErrorIfCRDPathMissing:    true,
		ControlPlaneStartTimeout: startTimeout,
		ControlPlane: envtest.ControlPlane{
			Etcd:      &envtest.Etcd{DataDir: c.path(etcdDir), Out: etcdOut, Err: etcdOut},
			APIServer: apiServer,
		},
	}
	if opts.CRDDir != "" {
		c.env.CRDDirectoryPaths = []string{opts.CRDDir}
	}
	c.env.CRDDirectoryPaths = append(c.env.CRDDirectoryPaths, opts.CRDDirs...)
	if _, err := c.env.Start(); err != nil {
		c.tempDir = false // keep the logs the error names
		return nil, fmt.Errorf("start the control plane: %w (logs: %s, %s)", err, etcdOut.Name(), apiOut.Name())
	}
	if opts.ManifestDir != "" {
		ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
		defer cancel()
		if err := c.applyManifests(ctx, opts.ManifestDir); err != nil {
			return nil, fmt.Errorf("create the objects of %s: %w", opts.ManifestDir, err)
		}
	}
	return c, nil
}

// FrontProxyUser is the user kube-apiserver's aggregation layer authenticates as to the
// API servers it proxies to (--requestheader-allowed-names).
const FrontProxyUser = "front-proxy-client"

// frontProxy turns on kube-apiserver's aggregation layer as a cluster set up by kubeadm has
// it: a CA of its own for the front proxy, a client certificate kube-apiserver presents to
// the API servers it proxies to, and the headers that carry the user it authenticated. It
// publishes them in kube-system's extension-apiserver-authentication ConfigMap, where an
// aggregated API server (the operator's log API) learns whom to trust.
func (c *ControlPlane) frontProxy(apiServer *envtest.APIServer) error {
	ca, err := serverproc.NewCA("front-proxy-ca")
	if err != nil {
		return err
	}
	cert, key, err := ca.Issue(serverproc.Leaf{CommonName: FrontProxyUser, Client: true})
	if err != nil {
		return err
	}
	files := map[string][]byte{"front-proxy-ca.crt": ca.PEM, "front-proxy-client.crt": cert, "front-proxy-client.key": key}
	for name, data := range files {
		if err := os.WriteFile(c.path(filepath.Join(apiserverDir, name)), data, 0o600); err != nil {
			return err
		}
	}
	args := apiServer.Configure()
	args.Set("requestheader-client-ca-file", c.path(filepath.Join(apiserverDir, "front-proxy-ca.crt")))
	args.Set("proxy-client-cert-file", c.path(filepath.Join(apiserverDir, "front-proxy-client.crt")))
	args.Set("proxy-client-key-file", c.path(filepath.Join(apiserverDir, "front-proxy-client.key")))
	args.Set("requestheader-allowed-names", FrontProxyUser)
	args.Set("requestheader-username-headers", "X-Remote-User")
	args.Set("requestheader-group-headers", "X-Remote-Group")
	args.Set("requestheader-extra-headers-prefix", "X-Remote-Extra-")
	return nil
}

// AddUser gives the control plane a user authenticated by a client certificate, in groups,
// with no rights beyond what RBAC grants them, and returns a configuration that reaches
// kube-apiserver as them.
func (c *ControlPlane) AddUser(name string, groups ...string) (*rest.Config, error) {
	u, err := c.env.AddUser(envtest.User{Name: name, Groups: groups}, nil)
	if err != nil {
		return nil, err
	}
	return u.Config(), nil
}

// prepareDir creates Dir and empty state directories for etcd and kube-apiserver.
func (c *ControlPlane) prepareDir() error {
	if err := os.MkdirAll(c.dir, 0o755); err != nil {
		return err
	}
	for _, name := range []string{etcdDir, apiserverDir, controllerManagerDir, ControllerManagerLog} {
		if err := os.RemoveAll(c.path(name)); err != nil {
			return fmt.Errorf("remove stale %s: %w", name, err)
		}
	}
	for _, name := range []string{etcdDir, apiserverDir} {
		if err := os.Mkdir(c.path(name), 0o700); err != nil {
			return err
		}
	}
	return nil
}

// createLog creates (or empties) the log file name in Dir; Stop closes it.
func (c *ControlPlane) createLog(name string) (*os.File, error) {
	f, err := os.Create(c.path(name))
	if err != nil {
		return nil, err
	}
	c.logs = append(c.logs, f)
	return f, nil
}

// StartControllerManager starts kube-controller-manager against the control plane and
// returns once its controllers are at work (see controllermanager.Start). Stop stops it
// before kube-apiserver; the caller may stop it sooner.
func (c *ControlPlane) StartControllerManager(ctx context.Context, opts ControllerManagerOptions) (*controllermanager.ControllerManager, error) {
	cm, err := controllermanager.Start(ctx, c.env, controllermanager.Config{
		Binary:                filepath.Join(c.tools, controllermanager.Binary),
		Dir:                   c.path(controllerManagerDir),
		LogPath:               c.path(ControllerManagerLog),
		AggregateClusterRoles: opts.AggregateClusterRoles,
	})
	if err != nil {
		return nil, err
	}
	c.controllers = append(c.controllers, cm)
	return cm, nil
}

// Config reaches kube-apiserver as its administrator, user admin in group system:masters.
// It is a copy, for the caller to change.
func (c *ControlPlane) Config() *rest.Config { return rest.CopyConfig(c.env.Config) }

// WriteKubeconfig writes a kubeconfig for the administrator of Config to path, readable by
// its owner only.
func (c *ControlPlane) WriteKubeconfig(path string) error {
	return os.WriteFile(path, c.env.KubeConfig, 0o600)
}

// Stop stops kube-controller-manager, then kube-apiserver and etcd, and removes Dir when
// Start made it. It tries every step even when one fails; calling it again does nothing.
func (c *ControlPlane) Stop() error {
	var errs []error
	for _, cm := range c.controllers {
		errs = append(errs, cm.Stop())
	}
	if c.env != nil {
		if err := c.env.Stop(); err != nil {
			errs = append(errs, fmt.Errorf("stop the control plane: %w", err))
		}
	}
	for _, f := range c.logs {
		errs = append(errs, f.Close())
	}
	if c.tempDir {
		errs = append(errs, os.RemoveAll(c.dir))
	}
	c.controllers, c.env, c.logs, c.tempDir = nil, nil, nil, false
	return errors.Join(errs...)
}

// path names a file in Dir.
func (c *ControlPlane) path(name string) string { return filepath.Join(c.dir, name) }
