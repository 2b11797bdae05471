// Package metrics defines the operator's own Prometheus metrics, registered with
// controller-runtime's registry so they are served next to its own on the metrics endpoint.
package metrics

import (
	"context"
	"errors"
	"sync"

	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/smithy-go"
	smithymiddleware "github.com/aws/smithy-go/middleware"
	"github.com/prometheus/client_golang/prometheus"
	crmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"
)

var (
	// AWSCalls counts RDS API attempts by action and AWS error code ("" for success),
	// retries included: what the account's rate limit sees.
	AWSCalls = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "rds_operator_aws_calls_total",
		Help: "RDS API attempts by action and AWS error code (empty for success), retries included.",
	}, []string{"action", "code"})

	// AccessCheckFailures counts logins with a Secret's password that failed.
	AccessCheckFailures = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "rds_operator_access_check_failures_total",
		Help: "Logins with the password in a user's Secret that failed.",
	})

	// ReadySeconds observes the time from an object's creation to its first Ready.
	ReadySeconds = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "rds_operator_apply_to_ready_seconds",
		Help:    "Seconds from an RDSDatabase's creation to its first Ready.",
		Buckets: prometheus.ExponentialBuckets(1, 2, 14), // 1 s to about 2 h
	})

	// Databases is the number of RDSDatabase objects by phase and engine, as of the last
	// reconcile of each.
	Databases = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "rds_operator_databases",
		Help: "RDSDatabase objects by phase and engine.",
	}, []string{"phase", "engine"})

	// ViewReads counts the shared view's reads of a cloud (its name) by kind: "list" (every
	// database), "some" (the databases named, after a change) and "feed" (the cloud's feed
	// of changes).
	ViewReads = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "rds_operator_cloud_view_reads_total",
		Help: "Reads of the cloud by the shared view: list (every database), some (the databases a change named), feed (the cloud's feed of changes).",
	}, []string{"cloud", "kind"})
)

func init() {
	crmetrics.Registry.MustRegister(AWSCalls, AccessCheckFailures, ReadySeconds, Databases, ViewReads)
}

// CountAWSCalls is an AWS SDK API option that counts every attempt of every call in
// AWSCalls. It is the first middleware of the deserialize step: below the retryer, so
// each attempt counts, and above the deserializer, so it sees AWS's error code.
func CountAWSCalls(stack *smithymiddleware.Stack) error {
	return stack.Deserialize.Add(smithymiddleware.DeserializeMiddlewareFunc("CountAWSCalls",
		func(ctx context.Context, in smithymiddleware.DeserializeInput, next smithymiddleware.DeserializeHandler) (smithymiddleware.DeserializeOutput, smithymiddleware.Metadata, error) {
			out, md, err := next.HandleDeserialize(ctx, in)
			code := ""
			var api smithy.APIError
			if errors.As(err, &api) {
				code = api.ErrorCode()
			} else if err != nil {
				code = "RequestError"
			}
			AWSCalls.WithLabelValues(awsmiddleware.GetOperationName(ctx), code).Inc()
			return out, md, err
		}), smithymiddleware.Before)
}

// databases remembers each object's phase and engine, so Databases counts every object once.
var databases = struct {
	sync.Mutex
	byKey map[string][2]string
}{byKey: map[string][2]string{}}

// SetDatabase records the phase and engine of the object key (namespace/name). It moves the
// object from its previous (phase, engine) count to the new one: constant work, whatever the
// fleet's size.
func SetDatabase(key, phase, engine string) {
	databases.Lock()
	defer databases.Unlock()
	now := [2]string{phase, engine}
	before, known := databases.byKey[key]
	if known && before == now {
		return
	}
	if known {
		Databases.WithLabelValues(before[0], before[1]).Dec()
	}
	databases.byKey[key] = now
	Databases.WithLabelValues(phase, engine).Inc()
}

// ForgetDatabase drops the object key (namespace/name), once it is gone: from Databases'
// counts, and every DatabaseCondition series SetConditions made for it.
func ForgetDatabase(key string) {
	conditions.forget(key)
	databases.Lock()
	defer databases.Unlock()
	if before, known := databases.byKey[key]; known {
		Databases.WithLabelValues(before[0], before[1]).Dec()
		delete(databases.byKey, key)
	}
}
