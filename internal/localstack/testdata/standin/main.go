// Command standin plays bin/rds-emulator or bin/manager for the localstack tests, depending on
// the name it is run as: it prints the emulator's listening line, or serves /readyz, and runs
// until SIGTERM. STANDIN_EXIT_AFTER makes it exit on its own to simulate a crash. As the
// emulator it serves standinCA at /_emulator/ca.pem (and itself as the S3 stand-in at
// /_emulator/s3); as the manager it exits when
// --engine-ca-bundle does not hold it, or --azure-ca-bundle holds no certificate (the real
// Azure emulator's); as the manager it also serves the log API's
// discovery document.
package main

import (
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
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
	flag.String("feed-interval", "", "ignored")
	flag.String("allow-kms-key-ids", "", "ignored")
	flag.String("kms-aliases", "", "ignored")
	flag.String("s3-buckets", "", "ignored")
	flag.String("allow-export-roles", "", "ignored")
	logAPI := flag.String("log-api-bind-address", "", "where the manager serves the log API's discovery")
	logCerts := flag.String("log-api-cert-dir", "", "the log API's certificate")
	flag.String("log-api-poll", "", "ignored")
	caBundle := flag.String("engine-ca-bundle", "", "the emulator's CA, as the stack fetched it")
	azureCA := flag.String("azure-ca-bundle", "", "the Azure emulator's CA, as the stack fetched it")
	flag.Parse()

	addr := *listen
	if filepath.Base(os.Args[0]) == "manager" {
		addr = *probe
		fmt.Printf("AWS_ENDPOINT_URL_RDS=%s\n", os.Getenv("AWS_ENDPOINT_URL_RDS"))
		if ca, err := os.ReadFile(*caBundle); err != nil || string(ca) != standinCA {
			fmt.Fprintf(os.Stderr, "--engine-ca-bundle=%q does not hold the emulator's CA: %q, %v\n", *caBundle, ca, err)
			os.Exit(2)
		}
		if ca, err := os.ReadFile(*azureCA); err != nil || !strings.Contains(string(ca), "-----BEGIN CERTIFICATE-----") {
			fmt.Fprintf(os.Stderr, "--azure-ca-bundle=%q does not hold the Azure emulator's CA: %q, %v\n", *azureCA, ca, err)
			os.Exit(2)
		}
	}
	if filepath.Base(os.Args[0]) == "manager" && *logAPI != "" {
		// kube-apiserver finds the log API's group unavailable otherwise, and a namespace
		// with it unavailable never finishes deleting.
		go func() {
			err := http.ListenAndServeTLS(*logAPI, filepath.Join(*logCerts, "tls.crt"), filepath.Join(*logCerts, "tls.key"),
				http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					w.Header().Set("Content-Type", "application/json")
					fmt.Fprint(w, `{"kind":"APIResourceList","apiVersion":"v1","groupVersion":"logs.matrixmind.cloud/v1","resources":[]}`)
				}))
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}()
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
			switch r.URL.Path {
			case "/_emulator/ca.pem":
				_, _ = w.Write([]byte(standinCA))
				return
			case "/_emulator/s3":
				fmt.Fprintf(w, `{"endpoint":"http://%s","buckets":[]}`, l.Addr())
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
