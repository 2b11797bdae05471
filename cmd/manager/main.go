// Command manager runs the aws-rds-operator: it reconciles RDSDatabase objects against AWS
// RDS (or anything speaking its API at AWS_ENDPOINT_URL_RDS). It only wires flags to the
// operator package.
package main

import (
	"crypto/tls"
	"flag"
	"os"
	"path/filepath"
	"strings"

	"k8s.io/apimachinery/pkg/labels"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	"github.com/matrixmind-cloud/aws-rds-operator/internal/cloud/azure"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/cloud/gcp"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/cloud/rds"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/controller"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/engine"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/logapi"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/operator"
)

func main() {
	opts := operator.Options{Defaults: controller.DefaultDefaults}
	flag.StringVar(&opts.MetricsAddr, "metrics-bind-address", ":8080", "Address the Prometheus metrics endpoint binds to; 0 disables it.")
	flag.StringVar(&opts.ProbeAddr, "health-probe-bind-address", ":8081", "Address the /healthz and /readyz probes bind to.")
	flag.BoolVar(&opts.LeaderElect, "leader-elect", false, "Elect a leader so that only one replica reconciles at a time.")
	opts.RateLimit = rds.DefaultRateLimit
	flag.Float64Var(&opts.RateLimit.PerSecond, "aws-rate-limit", opts.RateLimit.PerSecond, "Sustained RDS API calls per second of the whole operator (AWS allows an account about 12, shared with its other tools); 0 disables the limit.")
	flag.IntVar(&opts.RateLimit.Burst, "aws-burst", opts.RateLimit.Burst, "RDS API calls the operator may send at once after a quiet spell.")
	flag.DurationVar(&opts.RateLimit.MaxWait, "aws-rate-limit-max-wait", opts.RateLimit.MaxWait, "Longest a reconcile waits for its turn under --aws-rate-limit; a later turn is kept and the object comes back for it.")
	flag.IntVar(&opts.MaxConcurrentReconciles, "max-concurrent-reconciles", operator.DefaultMaxConcurrentReconciles, "How many RDSDatabase objects are reconciled at once.")
	var watchNamespaces, shardSelector string
	flag.StringVar(&watchNamespaces, "watch-namespaces", "", "Comma-separated namespaces the operator watches (its cache included); empty watches all. Namespace-scoped RBAC in them is then enough.")
	flag.StringVar(&shardSelector, "shard-selector", "", "Label selector of the RDSDatabase objects this operator reconciles (e.g. shard=a); empty selects all. Give each operator of a sharded fleet a disjoint one.")
	gcpEndpoint := os.Getenv(gcp.EnvEndpoint)
	flag.StringVar(&gcpEndpoint, "gcp-sqladmin-endpoint", gcpEndpoint, "Base URL of the Cloud SQL Admin API for DatabaseClasses with provider gcp (default $"+gcp.EnvEndpoint+", else Google's). Credentials: Application Default Credentials, or $"+gcp.EnvAccessToken+".")
	azureEndpoint := os.Getenv(azure.EnvEndpoint)
	flag.StringVar(&azureEndpoint, "azure-arm-endpoint", azureEndpoint, "Base URL of Azure Resource Manager for DatabaseClasses with provider azure (default $"+azure.EnvEndpoint+", else Azure's public cloud). Credentials: DefaultAzureCredential (AKS Workload Identity).")
	flag.StringVar(&opts.PprofAddr, "pprof-bind-address", "", "Address net/http/pprof binds to, for profiling; empty or 0 disables it.")
	var engineCA string
	flag.StringVar(&engineCA, "engine-ca-bundle", "", "PEM file of the CAs RDS database servers' certificates chain to (AWS's https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem): the operator then verifies every RDS database server it logs in to (sslmode=verify-full) and each user's Secret gets it as ca.crt. Empty: TLS without verifying the server.")
	var azureCA string
	flag.StringVar(&azureCA, "azure-ca-bundle", "", "PEM file of the CAs Azure flexible servers' certificates chain to (DigiCert Global Root G2 and Microsoft RSA Root Certificate Authority 2017, https://learn.microsoft.com/azure/postgresql/flexible-server/concepts-networking-ssl-tls): the operator then verifies every Azure server it logs in to (sslmode=verify-full) and each user's Secret gets it as ca.crt. Empty: TLS without verifying the server.")
	var logAPICertDir string
	flag.StringVar(&opts.LogAPI.Addr, "log-api-bind-address", "0", "Address the log API (kubectl rds logs: the aggregated API logs.matrixmind.cloud that kube-apiserver proxies to) binds to, e.g. :8443; 0 disables it.")
	flag.StringVar(&logAPICertDir, "log-api-cert-dir", "", "Directory holding the log API's serving certificate, tls.crt and tls.key (the APIService's caBundle verifies it).")
	flag.DurationVar(&opts.LogAPI.Poll, "log-api-poll", logapi.DefaultPoll, "How often a follower of a log (kubectl rds logs --follow) reads it again: one cloud API call each.")
	opts.Defaults.BindFlags(flag.CommandLine)
	opts.Aurora = rds.DefaultAurora
	opts.Aurora.BindFlags(flag.CommandLine)
	var memoryLimit string
	flag.StringVar(&memoryLimit, "memory-limit", "", "Soft memory limit of the Go heap (e.g. 80Mi); empty: 80% of the container's memory limit, or GOMEMLIMIT.")
	zapOpts := zap.Options{}
	zapOpts.BindFlags(flag.CommandLine)
	flag.Parse()
	ctrl.SetLogger(zap.New(zap.UseFlagOptions(&zapOpts)))
	log := ctrl.Log.WithName("setup")
	soft, err := setMemoryLimit(memoryLimit)
	if err != nil {
		log.Error(err, "bad flag")
		os.Exit(2)
	}
	if soft > 0 {
		log.Info("Go soft memory limit set", "bytes", soft)
	}
	for _, ns := range strings.Split(watchNamespaces, ",") {
		if ns = strings.TrimSpace(ns); ns != "" {
			opts.WatchNamespaces = append(opts.WatchNamespaces, ns)
		}
	}
	sel, err := labels.Parse(shardSelector)
	if err != nil {
		log.Error(err, "invalid --shard-selector")
		os.Exit(2)
	}
	opts.ShardSelector = sel
	if engineCA != "" {
		pem, err := os.ReadFile(engineCA)
		if err == nil {
			opts.EngineCA, err = engine.ParseCABundle(pem)
		}
		if err != nil {
			log.Error(err, "invalid --engine-ca-bundle", "file", engineCA)
			os.Exit(2)
		}
	}
	if azureCA != "" {
		pem, err := os.ReadFile(azureCA)
		if err == nil {
			opts.AzureCA, err = engine.ParseCABundle(pem)
		}
		if err != nil {
			log.Error(err, "invalid --azure-ca-bundle", "file", azureCA)
			os.Exit(2)
		}
	}
	if opts.LogAPI.Addr != "" && opts.LogAPI.Addr != "0" {
		cert, err := tls.LoadX509KeyPair(filepath.Join(logAPICertDir, "tls.crt"), filepath.Join(logAPICertDir, "tls.key"))
		if err != nil {
			log.Error(err, "the log API needs its certificate: --log-api-cert-dir", "dir", logAPICertDir)
			os.Exit(2)
		}
		opts.LogAPI.Certificate = cert
	}
	opts.NewGCP = operator.NewGCP(gcpEndpoint)
	opts.NewAzure = operator.NewAzure(azureEndpoint)

	ctx := ctrl.SetupSignalHandler()
	mgr, err := operator.New(ctx, ctrl.GetConfigOrDie(), opts)
	if err != nil {
		log.Error(err, "cannot start the operator")
		os.Exit(1)
	}
	log.Info("starting the operator", "defaults", opts.Defaults, "auroraDefaults", opts.Aurora, "awsRateLimit", opts.RateLimit.PerSecond, "awsBurst", opts.RateLimit.Burst,
		"watchNamespaces", opts.WatchNamespaces, "shardSelector", opts.ShardSelector.String(), "engineCABundle", engineCA)
	if err := mgr.Start(ctx); err != nil {
		log.Error(err, "operator stopped")
		os.Exit(1)
	}
}
