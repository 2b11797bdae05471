package soak

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awsrds "github.com/aws/aws-sdk-go-v2/service/rds"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/matrixmind-cloud/aws-rds-operator/internal/controlplane"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/emulator"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/operator"
)

// NoEngineTag is the tag key (set in spec.tags) that makes the emulator give an instance no
// database server.
const NoEngineTag = "emulator-no-engine"

// noEnginePort is where instances without a server "listen": the discard port, which nothing
// serves here, so a login fails at once.
const noEnginePort = 9

// stack is the control plane, the emulator, the conflict proxy and the operator process.
type stack struct {
	cfg      Config
	log      *progress
	cp       *controlplane.ControlPlane
	client   client.Client
	emulator *emulator.Emulator
	// calls records what the operator asked the emulator.
	calls *callLog
	// rds reaches the emulator on a listener of its own: the soak's own calls are neither
	// logged as the operator's nor counted in its faults' statistics.
	rds      *awsrds.Client
	servers  []*http.Server
	proxy    *conflictProxy
	operator *operatorProcess
}

// startStack starts everything but the actions.
func startStack(ctx context.Context, cfg Config, log *progress) (_ *stack, err error) {
	s := &stack{cfg: cfg, log: log, calls: &callLog{}}
	defer func() {
		if err != nil {
			s.stop()
		}
	}()
	// PostgreSQL runs as the postgres user when the soak runs as root: it must reach its dir.
	if err := os.MkdirAll(cfg.Dir, 0o755); err != nil {
		return nil, err
	}
	_ = os.Chmod(cfg.Dir, 0o755)

	bin := cfg.ManagerBinary
	if bin == "" {
		bin = filepath.Join(cfg.Dir, "manager")
		log.logf("building ./cmd/manager into %s", bin)
		build := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/manager")
		build.Dir = cfg.Root
		if out, err := build.CombinedOutput(); err != nil {
			return nil, fmt.Errorf("build the manager: %w\n%s", err, out)
		}
	}
	if err := s.startControlPlane(); err != nil {
		return nil, err
	}
	operatorURL, err := s.startEmulator()
	if err != nil {
		return nil, err
	}
	kubeconfig, err := s.startProxy()
	if err != nil {
		return nil, err
	}
	s.operator = &operatorProcess{
		bin: bin, dir: cfg.Dir, log: log,
		args: []string{
			"--kubeconfig", kubeconfig,
			"--metrics-bind-address", "0", "--health-probe-bind-address", "0", "--leader-elect=false",
			// The emulator changes state in a second, not AWS's minutes: look again sooner.
			"--pending-requeue", "1s", "--resync", "10s",
		},
		env: append(os.Environ(),
			"AWS_ENDPOINT_URL_RDS="+operatorURL, "AWS_REGION=us-east-1",
			"AWS_ACCESS_KEY_ID=local", "AWS_SECRET_ACCESS_KEY=local", "AWS_EC2_METADATA_DISABLED=true",
			"KUBECONFIG="+kubeconfig),
	}
	if err := s.operator.start(); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *stack) startControlPlane() (err error) {
	s.log.logf("starting kube-apiserver and etcd")
	s.cp, err = controlplane.Start(controlplane.Options{
		ToolsDir: s.cfg.ToolsDir, CRDDir: filepath.Join(s.cfg.Root, "config", "crd", "bases"), Dir: s.cfg.Dir,
	})
	if err != nil {
		return err
	}
	scheme, err := operator.Scheme()
	if err != nil {
		return err
	}
	s.client, err = client.New(s.cp.Config(), client.Options{Scheme: scheme})
	return err
}

// startEmulator serves one emulator on two listeners, the operator's (logged) and the
// soak's own, and returns the operator's URL.
func (s *stack) startEmulator() (string, error) {
	emLog, err := os.Create(filepath.Join(s.cfg.Dir, "rds-emulator.log"))
	if err != nil {
		return "", err
	}
	s.emulator, err = emulator.New(emulator.Config{
		DataDir:      filepath.Join(s.cfg.Dir, "emulator"),
		NoEngineTag:  NoEngineTag,
		NoEnginePort: noEnginePort,
		Delays:       emulator.Delays{Create: time.Second, BackingUp: 500 * time.Millisecond, Modify: time.Second, Delete: 500 * time.Millisecond},
		Log:          emLog,
	})
	if err != nil {
		return "", err
	}
	operatorURL, err := s.serve(s.calls.wrap(s.emulator))
	if err != nil {
		return "", err
	}
	ownURL, err := s.serve(s.emulator)
	if err != nil {
		return "", err
	}
	awsCfg, err := config.LoadDefaultConfig(context.Background(), config.WithRegion("us-east-1"),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("local", "local", "")))
	if err != nil {
		return "", err
	}
	s.rds = awsrds.NewFromConfig(awsCfg, func(o *awsrds.Options) { o.BaseEndpoint = aws.String(ownURL) })
	s.log.logf("emulator serving the operator at %s (PostgreSQL unless tagged %s)", operatorURL, NoEngineTag)
	return operatorURL, nil
}

// startProxy puts the conflict proxy in front of the apiserver and writes the operator's
// kubeconfig, which reaches the apiserver only through it.
func (s *stack) startProxy() (string, error) {
	admin := s.cp.Config()
	target, err := url.Parse(admin.Host)
	if err != nil {
		return "", err
	}
	transport, err := rest.TransportFor(admin)
	if err != nil {
		return "", err
	}
	s.proxy = newConflictProxy(target, transport, s.cfg.Seed)
	proxyURL, err := s.serve(s.proxy)
	if err != nil {
		return "", err
	}
	kc := clientcmdapi.NewConfig()
	kc.Clusters["soak"] = &clientcmdapi.Cluster{Server: proxyURL}
	kc.AuthInfos["operator"] = &clientcmdapi.AuthInfo{}
	kc.Contexts["soak"] = &clientcmdapi.Context{Cluster: "soak", AuthInfo: "operator"}
	kc.CurrentContext = "soak"
	path := filepath.Join(s.cfg.Dir, "operator.kubeconfig")
	if err := clientcmd.WriteToFile(*kc, path); err != nil {
		return "", err
	}
	s.log.logf("conflict proxy in front of the apiserver at %s", proxyURL)
	return path, nil
}

// serve serves h on a new loopback listener and returns its URL.
func (s *stack) serve(h http.Handler) (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	s.servers = append(s.servers, srv)
	go func() { _ = srv.Serve(ln) }()
	return "http://" + ln.Addr().String(), nil
}

// namespace creates the fleet's namespace.
func (s *stack) namespace(ctx context.Context) (string, error) {
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "soak-"}}
	if err := s.client.Create(ctx, ns); err != nil {
		return "", err
	}
	return ns.Name, nil
}

// stop stops the operator, the servers, the emulator and its databases, and the control
// plane, in that order.
func (s *stack) stop() {
	if s.operator != nil {
		s.operator.stop()
	}
	for _, srv := range s.servers {
		_ = srv.Close()
	}
	if s.emulator != nil {
		if err := s.emulator.Close(); err != nil {
			s.log.logf("stop the emulator: %v", err)
		}
	}
	if s.cp != nil {
		if err := s.cp.Stop(); err != nil {
			s.log.logf("stop the control plane: %v", err)
		}
	}
}
