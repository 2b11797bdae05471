package e2e

import (
	"testing"

	dto "github.com/prometheus/client_model/go"
	crmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"
)

// TestOperatorMetrics runs after the suite and reads the operator's own metrics from the
// registry its metrics endpoint serves: AWS calls by action and error code (the throttling
// test's Throttling answers among them), time from apply to Ready, databases by phase and
// engine, and failed access checks (the drift test's).
func TestOperatorMetrics(t *testing.T) {
	families, err := crmetrics.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]*dto.MetricFamily{}
	for _, f := range families {
		byName[f.GetName()] = f
	}
	sum := func(name string, match func(labels map[string]string) bool) float64 {
		total := 0.0
		f := byName[name]
		if f == nil {
			return 0
		}
		for _, m := range f.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if match != nil && !match(labels) {
				continue
			}
			switch {
			case m.Counter != nil:
				total += m.GetCounter().GetValue()
			case m.Gauge != nil:
				total += m.GetGauge().GetValue()
			case m.Histogram != nil:
				total += float64(m.GetHistogram().GetSampleCount())
			}
		}
		return total
	}
	checks := []struct {
		what string
		got  float64
	}{
		{"successful CreateDBInstance calls", sum("rds_operator_aws_calls_total", func(l map[string]string) bool {
			return l["action"] == "CreateDBInstance" && l["code"] == ""
		})},
		{"Throttling answers", sum("rds_operator_aws_calls_total", func(l map[string]string) bool { return l["code"] == "Throttling" })},
		{"apply-to-Ready observations", sum("rds_operator_apply_to_ready_seconds", nil)},
		{"Ready postgresql databases", sum("rds_operator_databases", func(l map[string]string) bool {
			return l["phase"] == "Ready" && l["engine"] == "postgresql"
		})},
		{"failed access checks", sum("rds_operator_access_check_failures_total", nil)},
	}
	for _, c := range checks {
		if c.got <= 0 {
			t.Errorf("metrics show no %s", c.what)
		} else {
			t.Logf("%s: %v", c.what, c.got)
		}
	}
}
