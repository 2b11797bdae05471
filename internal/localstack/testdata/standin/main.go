// Command standin plays bin/rds-emulator or bin/manager for the localstack tests, depending on
// the name it is run as: it prints the emulator's listening line, or serves /readyz, and runs
// until SIGTERM. STANDIN_EXIT_AFTER makes it exit on its own to simulate a crash. As the
// emulator it serves standinCA at /_emulator/ca.pem; as the manager it exits when
// --engine-ca-bundle does not hold it.
package main

import (
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"
)

// standinCA is what the emulator stand-in serves as its CA.
const standinCA = "standin CA\n"

func main() {
	listen := flag.String("listen", "", "emulator address")
	probe := flag.String("health-probe-bind-address", "", "manager probe address")
	flag.String("data-dir", "", "ignored")
	flag.String("kubeconfig", "", "ignored")
	flag.String("metrics-bind-address", "", "ignored")
	flag.Bool("leader-elect", false, "ignored")
	flag.String("create-delay", "", "ignored")
	flag.String("pending-requeue", "", "ignored")
	flag.String("resync", "", "ignored")
	flag.String("allow-kms-key-ids", "", "ignored")
	flag.String("kms-aliases", "", "ignored")
	caBundle := flag.String("engine-ca-bundle", "", "the emulator's CA, as the stack fetched it")
	flag.Parse()

	addr := *listen
	if filepath.Base(os.Args[0]) == "manager" {
		addr = *probe
		fmt.Printf("AWS_ENDPOINT_URL_RDS=%s\n", os.Getenv("AWS_ENDPOINT_URL_RDS"))
		if ca, err := os.ReadFile(*caBundle); err != nil || string(ca) != standinCA {
			fmt.Fprintf(os.Stderr, "--engine-ca-bundle=%q does not hold the emulator's CA: %q, %v\n", *caBundle, ca, err)
			os.Exit(2)
		}
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if filepath.Base(os.Args[0]) == "rds-emulator" {
		fmt.Printf("rds-emulator listening on http://%s\n", l.Addr())
	}
	go func() {
		_ = http.Serve(l, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/_emulator/ca.pem" {
				_, _ = w.Write([]byte(standinCA))
				return
			}
			_, _ = w.Write([]byte("ok"))
		}))
	}()

	crash := make(<-chan time.Time)
	if d, err := time.ParseDuration(os.Getenv("STANDIN_EXIT_AFTER")); err == nil {
		crash = time.After(d)
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM)
	select {
	case <-sig:
	case <-crash:
		os.Exit(3)
	}
}
