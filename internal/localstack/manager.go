package localstack

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"time"
)

// The region and dummy credentials the operator uses against the emulator, which accepts any.
const (
	localRegion    = "us-east-1"
	localAccessKey = "local"
	localSecretKey = "local"
)

// startManager starts bin/manager against the local control plane and the emulator and waits
// until its /readyz answers 200.
func (s *stack) startManager(ctx context.Context) error {
	port, err := freePort()
	if err != nil {
		return err
	}
	probeAddr := fmt.Sprintf("127.0.0.1:%d", port)
	if port, err = freePort(); err != nil {
		return err
	}
	metricsAddr := fmt.Sprintf("127.0.0.1:%d", port)
	s.metrics = "http://" + metricsAddr + "/metrics"
	if err := s.fetchEngineCA(ctx); err != nil {
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
		// As a platform admin would: the MySQL sample names its own KMS key, which a
		// namespace may use only where allowed (docs/security.md).
		"--allow-kms-key-ids", "alias/shop-data",
		// As in production with AWS's bundle: every engine session verifies its server.
		"--engine-ca-bundle", s.path(EngineCAFile),
	}
	args = append(args, s.cfg.ManagerArgs...)
	s.log.logf("starting manager (log: %s)", s.path(ManagerLog))
	s.manager, err = startChild("manager", s.path(ManagerLog), append(append(os.Environ(), s.awsEnv()...), s.gcpEnv()...),
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

// fetchEngineCA writes the CA the RDS emulator serves at /_emulator/ca.pem to EngineCAFile,
// as a platform engineer downloads AWS's RDS certificate bundle.
func (s *stack) fetchEngineCA(ctx context.Context) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.rdsEndpoint+"/_emulator/ca.pem", nil)
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
	if err := writeFileAtomic(s.path(EngineCAFile), pem); err != nil {
		return fmt.Errorf("write the emulator's CA: %w", err)
	}
	return nil
}

// awsEnv points the AWS SDK's default chain at the emulator: the endpoint override for RDS,
// a region, dummy static credentials, and no instance-metadata lookups.
func (s *stack) awsEnv() []string {
	return []string{
		"KUBECONFIG=" + s.path(KubeconfigFile),
		"AWS_ENDPOINT_URL_RDS=" + s.rdsEndpoint,
		"AWS_REGION=" + localRegion,
		"AWS_ACCESS_KEY_ID=" + localAccessKey,
		"AWS_SECRET_ACCESS_KEY=" + localSecretKey,
		"AWS_EC2_METADATA_DISABLED=true",
	}
}
