// Command azure-emulator serves a local Azure Resource Manager for Azure Database for
// PostgreSQL and MySQL flexible servers (package azureemulator) over plain HTTP: servers
// backed by real PostgreSQL and MariaDB servers, their databases and firewall rules, and
// the long-running operations Azure's SDKs poll. Point an Azure SDK client at it with
// cloud.Configuration{Services: {cloud.ResourceManager: {Endpoint: "http://ADDR",
// Audience: "https://management.azure.com"}}}, any token credential and
// InsecureAllowCredentialWithHTTP. Every server serves its engine's standard port (5432,
// 3306) on a loopback address of its own (127.x.y.z), which it reports as its
// fullyQualifiedDomainName.
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

	"github.com/matrixmind-cloud/aws-rds-operator/internal/azureemulator"
)

func main() {
	cfg, listen, err := parseFlags()
	if err == nil {
		err = run(cfg, listen)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "azure-emulator:", err)
		os.Exit(1)
	}
}

// parseFlags reads the command line into the emulator's configuration and the address to
// serve on.
func parseFlags() (azureemulator.Config, string, error) {
	var (
		cfg    azureemulator.Config
		subs   string
		groups string
	)
	listen := flag.String("listen", "127.0.0.1:4568", "address to serve Azure Resource Manager on")
	flag.StringVar(&cfg.DataDir, "data-dir", "", "directory for the servers' data (default: a new temporary directory, removed on exit)")
	flag.StringVar(&subs, "subscriptions", "", "comma-separated subscriptions that exist; calls on others answer 404 SubscriptionNotFound (default: any)")
	flag.StringVar(&groups, "resource-groups", "", "comma-separated resource groups that exist; calls on others answer 404 ResourceGroupNotFound (default: any)")
	flag.BoolVar(&cfg.NoEngine, "no-engine", false, "give servers an address but start no database server (for scale tests)")
	flag.IntVar(&cfg.PageSize, "page-size", 100, "servers per list page before a nextLink")
	flag.DurationVar(&cfg.Delays.Create, "create-delay", 5*time.Second, "how long a new server stays Starting")
	flag.DurationVar(&cfg.Delays.Update, "update-delay", 3*time.Second, "how long an update stays Updating")
	flag.DurationVar(&cfg.Delays.Delete, "delete-delay", 3*time.Second, "how long a server stays Dropping")
	flag.DurationVar(&cfg.Delays.Restart, "restart-delay", 2*time.Second, "how long a restart runs")
	flag.Float64Var(&cfg.Faults.ThrottleRate, "throttle-rate", 0, "fraction of API calls answered 429 SubscriptionRequestsThrottled")
	flag.Float64Var(&cfg.Faults.UnavailableRate, "unavailable-rate", 0, "fraction of API calls answered 503 ServiceUnavailable")
	flag.DurationVar(&cfg.Faults.Latency, "latency", 0, "latency added to every API call")
	flag.DurationVar(&cfg.Faults.RetryAfter, "retry-after", time.Second, "the Retry-After of a throttled call (whole seconds)")
	flag.BoolVar(&cfg.Faults.QuotaExceeded, "quota-exceeded", false, "refuse every server creation with 409 QuotaExceeded")
	flag.Parse()
	if flag.NArg() > 0 {
		return cfg, "", fmt.Errorf("unexpected arguments %q", flag.Args())
	}
	if subs != "" {
		cfg.Subscriptions = strings.Split(subs, ",")
	}
	if groups != "" {
		cfg.ResourceGroups = strings.Split(groups, ",")
	}
	cfg.Log = os.Stderr
	return cfg, *listen, nil
}

// run serves the emulator on listen until SIGINT or SIGTERM, then shuts down in order:
// the HTTP server first, then every database server.
func run(cfg azureemulator.Config, listen string) error {
	if cfg.DataDir == "" && !cfg.NoEngine {
		d, err := os.MkdirTemp("", "azure-emulator-")
		if err != nil {
			return err
		}
		cfg.DataDir = d
		// A directory nobody named holds nothing anybody can find again.
		defer os.RemoveAll(d)
	}
	// Signals are caught before the address is announced, so that a client stopping the
	// emulator as soon as it listens gets the orderly shutdown too.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	emu, err := azureemulator.New(cfg)
	if err != nil {
		return err
	}
	l, err := net.Listen("tcp", listen)
	if err != nil {
		return errors.Join(err, emu.Close())
	}
	fmt.Printf("azure-emulator listening on http://%s/\n", l.Addr())
	return errors.Join(serve(ctx, l, emu), emu.Close())
}

// serve answers HTTP on l until ctx ends, then drains the requests in flight.
func serve(ctx context.Context, l net.Listener, h http.Handler) error {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(l) }()
	var err error
	select {
	case err = <-done:
	case <-ctx.Done():
		drain, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		err = srv.Shutdown(drain)
	}
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}
