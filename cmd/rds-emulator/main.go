// Command rds-emulator serves a local Amazon RDS API (package emulator) over plain HTTP:
// DB instances, read replicas and Aurora DB clusters backed by real PostgreSQL and MariaDB
// servers. Point an AWS SDK at it with AWS_ENDPOINT_URL_RDS. Snapshot exports
// (StartExportTask) write Parquet to an S3 stand-in served on its own address (-s3-listen),
// which an S3 client reads path-style; GET /_emulator/s3 on the RDS address says where it is.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/matrixmind-cloud/aws-rds-operator/internal/emulator"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "rds-emulator:", err)
		os.Exit(1)
	}
}

func run() error {
	var (
		listen   = flag.String("listen", "127.0.0.1:4566", "address to serve the RDS API on")
		s3Listen = flag.String("s3-listen", "127.0.0.1:0", "address to serve the S3 stand-in (snapshot exports) on; port 0 picks a free one, which the output and GET /_emulator/s3 name")
		dataDir  = flag.String("data-dir", "", "directory for instance data and snapshots (default: a new temporary directory)")
		cfg      emulator.Config
	)
	flag.BoolVar(&cfg.NoEngine, "no-engine", false, "give instances an endpoint but start no database server (for scale tests)")
	flag.StringVar(&cfg.Region, "region", "us-east-1", "region reported in ARNs and availability zones")
	flag.DurationVar(&cfg.Delays.Create, "create-delay", 5*time.Second, "how long a new instance stays creating")
	flag.DurationVar(&cfg.Delays.BackingUp, "backup-delay", 2*time.Second, "how long backing-up lasts")
	flag.DurationVar(&cfg.Delays.Modify, "modify-delay", 3*time.Second, "how long modifying lasts")
	flag.DurationVar(&cfg.Delays.Delete, "delete-delay", 3*time.Second, "how long deleting lasts")
	flag.IntVar(&cfg.Faults.ThrottleEvery, "throttle-every", 0, "answer every Nth API call with Throttling (0: never)")
	flag.Float64Var(&cfg.Faults.ErrorRate, "error-rate", 0, "fraction of API calls answered with 500 InternalFailure")
	flag.DurationVar(&cfg.Faults.Latency, "latency", 0, "latency added to every API call")
	flag.IntVar(&cfg.Quotas.DBInstances, "instance-quota", 0, "DB instances the account may hold, as RDS's quota (AWS's default is 40 a region): a create over it answers InstanceQuotaExceeded (0: no quota; POST /_emulator/quotas changes it)")
	flag.IntVar(&cfg.Quotas.DBClusters, "cluster-quota", 0, "Aurora DB clusters the account may hold (AWS's default is 40 a region): a create over it answers DBClusterQuotaExceededFault (0: no quota)")
	var subnetGroups, kmsAliases, kmsKeys, buckets, creds string
	flag.StringVar(&subnetGroups, "subnet-groups", "", "comma-separated DB subnet groups the account holds besides \"default\"")
	flag.StringVar(&kmsAliases, "kms-aliases", "", "comma-separated KMS aliases (alias/name) the account holds besides alias/aws/rds")
	flag.StringVar(&kmsKeys, "kms-keys", "", "comma-separated KMS key IDs the account holds")
	flag.StringVar(&buckets, "s3-buckets", "", "comma-separated S3 buckets the account holds, for snapshot exports")
	flag.StringVar(&creds, "credentials", "", "comma-separated access-key:secret-key pairs that IAM database authentication tokens may be signed with (default local:local)")
	flag.Parse()
	cfg.Account = emulator.Account{SubnetGroups: list(subnetGroups), KMSAliases: list(kmsAliases), KMSKeys: list(kmsKeys), Buckets: list(buckets)}
	var err error
	if cfg.Credentials, err = credentials(creds); err != nil {
		return err
	}

	cfg.DataDir = *dataDir
	if cfg.DataDir == "" {
		d, err := os.MkdirTemp("", "rds-emulator-")
		if err != nil {
			return err
		}
		cfg.DataDir = d
		// A directory nobody named holds nothing anybody can find again: remove it on exit.
		defer os.RemoveAll(d)
	}
	cfg.Log = os.Stderr

	// Catch signals before announcing the address, so a client that stops the emulator as
	// soon as it listens always gets an orderly shutdown.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	emu, err := emulator.New(cfg)
	if err != nil {
		return err
	}
	l, err := net.Listen("tcp", *listen)
	if err != nil {
		_ = emu.Close()
		return err
	}
	s3URL, err := emu.ListenS3(*s3Listen)
	if err != nil {
		_ = l.Close()
		return errors.Join(err, emu.Close())
	}
	srv := &http.Server{Handler: emu, ReadHeaderTimeout: 10 * time.Second}
	fmt.Printf("rds-emulator S3 stand-in listening on %s\n", s3URL)
	fmt.Printf("rds-emulator listening on http://%s\n", l.Addr())

	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(l) }()

	select {
	case err = <-serveErr:
	case <-ctx.Done():
		shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		err = srv.Shutdown(shutdownCtx)
		cancel()
	}
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return errors.Join(err, emu.Close())
}

// credentials reads -credentials: nil (the emulator's default) when empty.
func credentials(s string) (map[string]string, error) {
	pairs := list(s)
	if len(pairs) == 0 {
		return nil, nil
	}
	out := map[string]string{}
	for i, p := range pairs {
		key, secret, ok := strings.Cut(p, ":")
		if !ok || key == "" || secret == "" {
			// The entry may hold a secret: name it by its place only.
			return nil, fmt.Errorf("-credentials: entry %d is not access-key:secret-key", i+1)
		}
		out[key] = secret
	}
	return out, nil
}

// list splits a comma-separated flag into its non-empty parts.
func list(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
