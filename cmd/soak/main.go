// Command soak runs the full fault soak (make soak): 50 databases through create, update,
// user changes, rotation and delete while the emulator throttles, fails and slows down, the
// apiserver answers with conflicts and the operator is killed with SIGKILL; then it checks
// the invariants and prints them as figures. It exits 1 when one is violated. It only wires
// flags to package soak.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/matrixmind-cloud/aws-rds-operator/internal/soak"
)

func main() {
	cfg := soak.Full(uint64(time.Now().UnixNano()))
	flag.Uint64Var(&cfg.Seed, "seed", cfg.Seed, "Seed of the plan (fleet, steps, kill moments); printed at the start, pass it to replay a plan.")
	flag.IntVar(&cfg.Databases, "databases", cfg.Databases, "Objects in the fleet.")
	flag.IntVar(&cfg.EngineBacked, "engine-backed", cfg.EngineBacked, "Objects backed by a real PostgreSQL; the others get no server.")
	flag.IntVar(&cfg.Foreign, "foreign", cfg.Foreign, "Objects whose identifier a foreign cloud database already holds.")
	flag.DurationVar(&cfg.Duration, "duration", cfg.Duration, "How long the faults and steps last.")
	flag.IntVar(&cfg.Kills, "kills", cfg.Kills, "How many times the operator is killed with SIGKILL.")
	flag.DurationVar(&cfg.ConvergeTimeout, "converge-timeout", cfg.ConvergeTimeout, "Bound on the wait for convergence once the faults stop.")
	flag.StringVar(&cfg.Dir, "dir", "", "State and logs directory (default: a new temporary directory, kept).")
	flag.StringVar(&cfg.Root, "root", ".", "Repository root (CRDs, ./cmd/manager).")
	flag.StringVar(&cfg.ToolsDir, "tools", os.Getenv("KUBEBUILDER_ASSETS"), "Directory holding kube-apiserver and etcd (hack/tools.sh --print).")
	flag.Parse()

	if cfg.Dir == "" {
		dir, err := os.MkdirTemp("", "rds-soak-")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		cfg.Dir = dir
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	fmt.Printf("soak: seed %d (replay with --seed %d); state and logs in %s\n", cfg.Seed, cfg.Seed, cfg.Dir)
	report, err := soak.Run(ctx, cfg)
	if err != nil {
		fmt.Fprintf(os.Stderr, "soak: %v\n", err)
		os.Exit(2)
	}
	report.Print(os.Stdout)
	if err := report.Err(); err != nil {
		fmt.Printf("soak: FAILED (seed %d, logs in %s)\n", cfg.Seed, cfg.Dir)
		os.Exit(1)
	}
	fmt.Printf("soak: passed (seed %d)\n", cfg.Seed)
}
