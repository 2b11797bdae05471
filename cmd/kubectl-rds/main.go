// Command kubectl-rds is a kubectl plugin: `kubectl rds status|psql|mysql|rotate|backups|
// restore|logs NAME`, the day-to-day commands on RDSDatabase objects, run with the user's
// kubeconfig and no cloud credentials (see package rdsctl).
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/matrixmind-cloud/aws-rds-operator/internal/rdsctl"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := rdsctl.Run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
