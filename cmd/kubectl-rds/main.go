// Command kubectl-rds is a kubectl plugin: `kubectl rds logs NAME` prints the log of an
// RDSDatabase's database, authorized by Kubernetes RBAC (see package rdsctl).
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
