// Command cloudsql-emulator serves a local Google Cloud SQL Admin API v1 (package
// gcpemulator) over plain HTTP: instances backed by real PostgreSQL and MariaDB servers,
// operations, users, databases and backups. Point Google's client at it with
// option.WithEndpoint("http://ADDR/") and any bearer token. Every instance serves its
// engine's standard port (5432, 3306) on a loopback address of its own (127.x.y.z), which
// it reports as its PRIMARY IP address. Exports (instances.export) write to a Cloud
// Storage stand-in served on its own address (-gcs-listen) over the buckets -gcs-buckets
// names; a Cloud Storage JSON API client reads it at that address's /storage/v1/, and
// GET /_emulator/gcs on the Admin API's address says where it is.
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

	"github.com/matrixmind-cloud/aws-rds-operator/internal/gcpemulator"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "cloudsql-emulator:", err)
		os.Exit(1)
	}
}

func run() error {
	var (
		listen    = flag.String("listen", "127.0.0.1:4567", "address to serve the Cloud SQL Admin API on")
		dataDir   = flag.String("data-dir", "", "directory for instance data and backups (default: a new temporary directory)")
		projects  = flag.String("project-check", "", "comma-separated projects to serve; calls on others answer 403 (default: any project)")
		gcsListen = flag.String("gcs-listen", "127.0.0.1:0", "address to serve the Cloud Storage stand-in (exports) on; port 0 picks a free one, which the output and GET /_emulator/gcs name")
		buckets   = flag.String("gcs-buckets", "", "comma-separated Cloud Storage buckets exports may write to")
		cfg       gcpemulator.Config
	)
	flag.BoolVar(&cfg.NoEngine, "no-engine", false, "give instances an address but start no database server (for scale tests)")
	flag.DurationVar(&cfg.Delays.Create, "create-delay", 5*time.Second, "how long a new instance stays PENDING_CREATE")
	flag.DurationVar(&cfg.Delays.Update, "update-delay", 3*time.Second, "how long a patch or restore operation runs")
	flag.DurationVar(&cfg.Delays.Delete, "delete-delay", 3*time.Second, "how long an instance stays PENDING_DELETE")
	flag.DurationVar(&cfg.Delays.Backup, "backup-delay", 2*time.Second, "how long a backup run lasts")
	flag.DurationVar(&cfg.Delays.Export, "export-delay", 2*time.Second, "how long an export operation lasts")
	flag.DurationVar(&cfg.NameReservation, "name-reservation", 7*24*time.Hour, "how long a deleted instance's name stays taken (negative: not at all)")
	flag.Float64Var(&cfg.Faults.ThrottleRate, "throttle-rate", 0, "fraction of API calls answered 429 RESOURCE_EXHAUSTED")
	flag.Float64Var(&cfg.Faults.UnavailableRate, "unavailable-rate", 0, "fraction of API calls answered 503 UNAVAILABLE")
	flag.DurationVar(&cfg.Faults.Latency, "latency", 0, "latency added to every API call")
	flag.Parse()

	if *projects != "" {
		cfg.Projects = strings.Split(*projects, ",")
	}
	if *buckets != "" {
		cfg.Buckets = strings.Split(*buckets, ",")
	}
	cfg.DataDir = *dataDir
	if cfg.DataDir == "" {
		d, err := os.MkdirTemp("", "cloudsql-emulator-")
		if err != nil {
			return err
		}
		cfg.DataDir = d
		// A directory nobody named holds nothing anybody can find again: remove it on exit.
		defer os.RemoveAll(d)
	}
	cfg.Log = os.Stderr

	// Catch signals before announcing the address, so a client that stops the emulator as
	// soon as it listens always gets an orderly shutdown that stops every server.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	emu, err := gcpemulator.New(cfg)
	if err != nil {
		return err
	}
	l, err := net.Listen("tcp", *listen)
	if err != nil {
		return errors.Join(err, emu.Close())
	}
	gcsURL, err := emu.ListenGCS(*gcsListen)
	if err != nil {
		return errors.Join(err, l.Close(), emu.Close())
	}
	srv := &http.Server{Handler: emu, ReadHeaderTimeout: 10 * time.Second}
	fmt.Printf("cloudsql-emulator listening on http://%s/\n", l.Addr())
	fmt.Printf("cloudsql-emulator Cloud Storage stand-in listening on %s/ (buckets: %s)\n", gcsURL, strings.Join(cfg.Buckets, ", "))

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
