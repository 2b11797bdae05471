package localstack

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/matrixmind-cloud/aws-rds-operator/internal/logapi"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/serverproc"
)

// The region and dummy credentials the operator uses against the emulator, which accepts any.
const (
	localRegion    = "us-east-1"
	localAccessKey = "local"
	localSecretKey = "local"
)

// startManager starts bin/manager against the local control plane and the emulators and
// waits until its /readyz answers 200.
func (s *stack) startManager(ctx context.Context) error {
	port, err := serverproc.FreePort()
	if err != nil {
		return err
	}
	probeAddr := fmt.Sprintf("127.0.0.1:%d", port)
	if port, err = serverproc.FreePort(); err != nil {
		return err
	}
	metricsAddr := fmt.Sprintf("127.0.0.1:%d", port)
	s.metrics = "http://" + metricsAddr + "/metrics"
	if err := s.fetchAzureCA(ctx); err != nil {
		return err
	}
	if err := s.fetchEngineCA(ctx); err != nil {
		return err
	}
	if err := s.fetchS3Endpoint(ctx); err != nil {
		return err
	}
	logArgs, err := s.registerLogAPI(ctx)
	if err != nil {
		return err
	}
	args := []string{
		"--kubeconfig", s.path(KubeconfigFile),
		"--metrics-bind-address", metricsAddr,
		"--health-probe-bind-address", probeAddr,
		"--leader-elect=false",
		// The emulator changes state in seconds, not AWS's minutes: look again sooner.
		"--pending-requeue", "2s",
		"--resync", "1m",
		// RDS's event feed is read every 10 s (1m by default), so a change at the console
		// shows within seconds.
		"--feed-interval", "10s",
		// As a platform admin would: the MySQL sample names its own KMS key, which a
		// namespace may use only where allowed (docs/security.md).
		"--allow-kms-key-ids", "alias/shop-data",
		// The default namespace may export its backups to the emulator's bucket.
		"--allow-export-roles", exportGrantNS + "=" + ExportRole,
		// As in production with AWS's bundle: every engine session verifies its server.
		"--engine-ca-bundle", s.path(EngineCAFile),
		// And with Azure's roots (the Azure emulator's CA here).
		"--azure-ca-bundle", s.path(AzureCAFile),
	}
	args = append(append(args, logArgs...), s.cfg.ManagerArgs...)
	s.log.logf("starting manager (log: %s)", s.path(ManagerLog))
	s.manager, err = startChild("manager", s.path(ManagerLog), append(os.Environ(), s.cloudEnv()...),
		filepath.Join(s.cfg.BinDir, "manager"), args...)
	if err != nil {
		return err
	}
	readyz := "http://" + probeAddr + "/readyz"
	httpClient := &http.Client{Timeout: 2 * time.Second}
	err = s.waitFor(ctx, "manager /readyz", s.manager, managerStartTimeout, func() (bool, error) {
		resp, err := httpClient.Get(readyz)
		if err != nil {
			return false, nil // not listening yet
		}
		_ = resp.Body.Close()
		return resp.StatusCode == http.StatusOK, nil
	})
	if err != nil {
		return err
	}
	s.log.logf("manager ready (%s)", readyz)
	return nil
}

// LogAPIDir holds the log API's serving certificate (tls.crt, tls.key) and its CA (ca.pem,
// ca.key).
const LogAPIDir = "log-api"

// registerLogAPI makes the log API's certificate, routes its group to the manager on this
// machine (logapi.RegisterLocal) and returns the manager's flags that serve it: kubectl rds
// logs then works against the stack as in a cluster.
func (s *stack) registerLogAPI(ctx context.Context) ([]string, error) {
	port, err := serverproc.FreePort()
	if err != nil {
		return nil, err
	}
	dir := s.path(LogAPIDir)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	ca, err := serverproc.LoadOrCreateCA(dir, "local log API CA")
	if err != nil {
		return nil, err
	}
	local, cert, key, err := logapi.NewLocal(ca, port)
	if err != nil {
		return nil, err
	}
	for name, data := range map[string][]byte{"tls.crt": cert, "tls.key": key} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			return nil, err
		}
	}
	c, err := client.New(s.cp.Config(), client.Options{})
	if err != nil {
		return nil, err
	}
	if err := logapi.RegisterLocal(ctx, c, local); err != nil {
		return nil, err
	}
	return []string{"--log-api-bind-address", fmt.Sprintf("127.0.0.1:%d", port), "--log-api-cert-dir", dir, "--log-api-poll", "2s"}, nil
}

// fetchEngineCA writes the CA the RDS emulator serves at /_emulator/ca.pem to EngineCAFile,
// as a platform engineer downloads AWS's RDS certificate bundle.
func (s *stack) fetchEngineCA(ctx context.Context) error {
	return s.fetchCA(ctx, s.rdsEndpoint, EngineCAFile)
}

// fetchAzureCA writes the CA the Azure emulator serves at /_emulator/ca.pem to AzureCAFile,
// as a platform engineer downloads Azure's root certificates.
func (s *stack) fetchAzureCA(ctx context.Context) error {
	return s.fetchCA(ctx, s.azureEndpoint, AzureCAFile)
}

// fetchCA writes the CA the emulator at endpoint serves at /_emulator/ca.pem to file.
func (s *stack) fetchCA(ctx context.Context, endpoint, file string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, endpoint+"/_emulator/ca.pem", nil)
	if err != nil {
		return err
	}
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		return fmt.Errorf("fetch the emulator's CA: %w", err)
	}
	defer resp.Body.Close()
	pem, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		return fmt.Errorf("fetch the emulator's CA: status %d, %v", resp.StatusCode, err)
	}
	if err := writeFileAtomic(s.path(file), pem); err != nil {
		return fmt.Errorf("write the emulator's CA: %w", err)
	}
	return nil
}

// fetchS3Endpoint asks the RDS emulator where its S3 stand-in listens (GET /_emulator/s3),
// as a user finds a bucket's endpoint.
func (s *stack) fetchS3Endpoint(ctx context.Context) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.rdsEndpoint+"/_emulator/s3", nil)
	if err != nil {
		return err
	}
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		return fmt.Errorf("ask the emulator for its S3 stand-in: %w", err)
	}
	defer resp.Body.Close()
	var info struct {
		Endpoint string `json:"endpoint"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&info); err != nil || info.Endpoint == "" {
		return fmt.Errorf("ask the emulator for its S3 stand-in: status %d, %v", resp.StatusCode, err)
	}
	s.s3Endpoint = info.Endpoint
	return nil
}

// awsEnv points the AWS SDK's default chain at the emulator: the endpoint override for RDS,
// a region, dummy static credentials, and no instance-metadata lookups.
func (s *stack) awsEnv() []string {
	return []string{
		"KUBECONFIG=" + s.path(KubeconfigFile),
		"AWS_ENDPOINT_URL_RDS=" + s.rdsEndpoint,
		"AWS_ENDPOINT_URL_S3=" + s.s3Endpoint,
		"AWS_REGION=" + localRegion,
		"AWS_ACCESS_KEY_ID=" + localAccessKey,
		"AWS_SECRET_ACCESS_KEY=" + localSecretKey,
		"AWS_EC2_METADATA_DISABLED=true",
	}
}
