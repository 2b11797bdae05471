package deploy

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	dto "github.com/prometheus/client_model/go"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	crmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/controller-runtime/pkg/source"

	// Registers the rate-limit metrics, as the manager's RDS provider does.
	_ "github.com/matrixmind-cloud/aws-rds-operator/internal/cloud/rds"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/metrics"
	"github.com/matrixmind-cloud/aws-rds-operator/test/harness"
)

const (
	dashboardFile = "charts/aws-rds-operator/dashboards/aws-rds-operator.json"
	// monitoringCRDs are the ServiceMonitor and PrometheusRule CRDs the dry run needs.
	monitoringCRDs = "test/deploy/testdata/monitoring.coreos.com_crds.yaml"
)

// monitoringValues turn on everything the chart has for Prometheus and Grafana.
var monitoringValues = []string{"serviceMonitor.enabled=true", "prometheusRule.enabled=true", "grafana.dashboard.enabled=true"}

var exported struct {
	once sync.Once
	// types is the type of each metric family the operator's process serves, by name.
	types map[string]dto.MetricType
	err   error
}

// exportedMetrics returns the metric families of controller-runtime's registry, the one the
// manager serves on --metrics-bind-address, as they are once the operator has run: its own
// metrics (vectors given a sample, since a vector without one is not gathered), the RDS
// rate limit's, and controller-runtime's reconcile and work queue metrics, which a real
// controller makes by reconciling one request. A new vector in internal/metrics needs a
// sample here before a query may use it.
func exportedMetrics(t *testing.T) map[string]dto.MetricType {
	t.Helper()
	exported.once.Do(func() {
		exported.types, exported.err = gatherExported()
	})
	if exported.err != nil {
		t.Fatal(exported.err)
	}
	return exported.types
}

func gatherExported() (map[string]dto.MetricType, error) {
	metrics.AWSCalls.WithLabelValues("DescribeDBInstances", "").Inc()
	metrics.SetDatabase("exported-metrics/sample", "Ready", "postgresql")
	metrics.SetConditions("exported-metrics", "sample", []metav1.Condition{{Type: "Ready", Status: metav1.ConditionTrue, Reason: "Ready"}})
	defer metrics.ForgetDatabase("exported-metrics/sample")
	defer metrics.AWSCalls.DeleteLabelValues("DescribeDBInstances", "")

	reconciled := make(chan struct{}, 1)
	c, err := controller.NewUnmanaged("exported-metrics", controller.Options{
		Reconciler: reconcile.Func(func(context.Context, reconcile.Request) (reconcile.Result, error) {
			select {
			case reconciled <- struct{}{}:
			default:
			}
			return reconcile.Result{}, errors.New("an error, so that the error counters move")
		}),
	})
	if err != nil {
		return nil, err
	}
	events := make(chan event.GenericEvent, 1)
	if err := c.Watch(source.Channel(events, &handler.EnqueueRequestForObject{})); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Start(ctx) }()
	defer func() { cancel(); <-done }()
	events <- event.GenericEvent{Object: &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "sample"}}}

	types := map[string]dto.MetricType{}
	gathered := func(context.Context) (bool, error) {
		families, err := crmetrics.Registry.Gather()
		if err != nil {
			return false, err
		}
		for _, f := range families {
			types[f.GetName()] = f.GetType()
		}
		// The reconcile time is observed after the reconciler returns: once it is there,
		// so is everything a reconcile makes.
		_, ok := types["controller_runtime_reconcile_time_seconds"]
		return ok, nil
	}
	select {
	case <-reconciled:
	case <-time.After(30 * time.Second):
		return nil, errors.New("the sample controller did not reconcile its request in 30s")
	}
	if err := harness.WaitFor(ctx, 30*time.Second, gathered); err != nil {
		return nil, fmt.Errorf("controller-runtime's reconcile metrics never appeared: %w", err)
	}
	return types, nil
}

// unknownMetrics returns the names the queries select that are not exported: neither a
// family of exported, nor a histogram's or summary's _bucket, _sum or _count series.
func unknownMetrics(queries []string, exported map[string]dto.MetricType) ([]string, error) {
	var unknown []string
	for _, q := range queries {
		names, err := metricNames(q)
		if err != nil {
			return nil, err
		}
		for _, name := range names {
			if !isExported(name, exported) && !slices.Contains(unknown, name) {
				unknown = append(unknown, name)
			}
		}
	}
	return unknown, nil
}

func isExported(name string, exported map[string]dto.MetricType) bool {
	if _, ok := exported[name]; ok {
		return true
	}
	for _, suffix := range []string{"_bucket", "_sum", "_count"} {
		base, ok := strings.CutSuffix(name, suffix)
		if !ok {
			continue
		}
		typ, known := exported[base]
		if known && (typ == dto.MetricType_HISTOGRAM || typ == dto.MetricType_SUMMARY) &&
			(suffix != "_bucket" || typ == dto.MetricType_HISTOGRAM) {
			return true
		}
	}
	return false
}

// TestUnknownMetricsAreReported proves the check below against the real registry: a
// made-up name fails it, the names the operator serves pass.
func TestUnknownMetricsAreReported(t *testing.T) {
	exported := exportedMetrics(t)
	cases := map[string]struct {
		reason string
		query  string
		want   []string
	}{
		"MadeUpMetric": {
			reason: "A metric nobody exports, e.g. a typo in a panel, is reported.",
			query:  `sum(rate(rds_operator_made_up_total[5m])) / sum(rate(rds_operator_aws_calls_total[5m]))`,
			want:   []string{"rds_operator_made_up_total"},
		},
		"Histogram": {
			reason: "A histogram is queried through its _bucket series.",
			query:  `histogram_quantile(0.9, sum by (le) (rate(rds_operator_apply_to_ready_seconds_bucket[5m])))`,
		},
		"GaugeHasNoCount": {
			reason: "Only histograms and summaries have _count series: a gauge's is made up.",
			query:  `rds_operator_databases_count`,
			want:   []string{"rds_operator_databases_count"},
		},
		"OwnAndControllerRuntime": {
			reason: "The condition gauge and controller-runtime's reconcile and work queue metrics are served.",
			query:  `rds_operator_database_condition == 0 or controller_runtime_reconcile_errors_total > 0 or workqueue_depth > 0`,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := unknownMetrics([]string{tc.query}, exported)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s\nunknown metrics of %q: -want +got:\n%s", tc.reason, tc.query, diff)
			}
		})
	}
}

// TestDashboardAndAlertsNameExportedMetrics renders the chart with the dashboard and the
// alerts on and checks every query of both names a metric the operator serves, so a renamed
// metric cannot leave a blank panel or an alert that never fires.
func TestDashboardAndAlertsNameExportedMetrics(t *testing.T) {
	requireCluster(t)
	_, objs := renderChart(t, monitoringValues...)
	var cm corev1.ConfigMap
	if err := findNamed(objs, "ConfigMap", chartFullname+"-dashboard", &cm); err != nil {
		t.Fatal(err)
	}
	dashboard, err := dashboardQueries([]byte(cm.Data["aws-rds-operator.json"]))
	if err != nil {
		t.Fatalf("the dashboard the chart ships: %v", err)
	}
	alerts, err := alertExpressions(objs)
	if err != nil {
		t.Fatal(err)
	}
	exported := exportedMetrics(t)
	for _, set := range []struct {
		what    string
		queries []string
	}{{"dashboard " + dashboardFile, dashboard}, {"PrometheusRule", alerts}} {
		unknown, err := unknownMetrics(set.queries, exported)
		if err != nil {
			t.Errorf("%s: %v", set.what, err)
			continue
		}
		if len(unknown) != 0 {
			t.Errorf("%s: queries name metrics the operator does not export: %v\n(it exports %v)",
				set.what, unknown, sortedKeys(exported))
		}
	}
	// The dashboard's throttling panel and the throttling alert count the same AWS codes.
	throttled := regexp.MustCompile(`code=~"([^"]*)"`)
	var codes []string
	for _, q := range append(slices.Clone(dashboard), alerts...) {
		if m := throttled.FindStringSubmatch(q); m != nil && !slices.Contains(codes, m[1]) {
			codes = append(codes, m[1])
		}
	}
	if len(codes) != 1 || !slices.Contains(strings.Split(codes[0], "|"), "Throttling") {
		t.Errorf("the dashboard and the alerts should match one list of throttling codes, with RDS's Throttling; got %q", codes)
	}
}

// dashboardQueries returns the PromQL of every panel target and query variable of a Grafana
// dashboard, after checking that each panel queries the ${datasource} variable.
func dashboardQueries(raw []byte) ([]string, error) {
	var d struct {
		Panels     []grafanaPanel `json:"panels"`
		Templating struct {
			List []struct {
				Type  string `json:"type"`
				Name  string `json:"name"`
				Query any    `json:"query"`
			} `json:"list"`
		} `json:"templating"`
	}
	if err := json.Unmarshal(raw, &d); err != nil {
		return nil, err
	}
	var queries []string
	hasDatasource := false
	for _, v := range d.Templating.List {
		switch v.Type {
		case "datasource":
			hasDatasource = hasDatasource || v.Name == "datasource" && v.Query == "prometheus"
		case "query":
			q, _ := v.Query.(string)
			if m, ok := v.Query.(map[string]any); ok {
				q, _ = m["query"].(string)
			}
			// Grafana's label_values(EXPR, label): EXPR is PromQL.
			if inner, ok := strings.CutPrefix(q, "label_values("); ok {
				i := strings.LastIndex(inner, ",")
				if i < 0 {
					return nil, fmt.Errorf("variable %s: %q has no label", v.Name, q)
				}
				q = inner[:i]
			}
			queries = append(queries, q)
		}
	}
	if !hasDatasource {
		return nil, errors.New(`no template variable "datasource" of type datasource for prometheus`)
	}
	var walk func(panels []grafanaPanel) error
	walk = func(panels []grafanaPanel) error {
		for _, p := range panels {
			if p.Type == "row" {
				if err := walk(p.Panels); err != nil {
					return err
				}
				continue
			}
			if len(p.Targets) == 0 {
				return fmt.Errorf("panel %q has no query", p.Title)
			}
			if p.Datasource.UID != "${datasource}" {
				return fmt.Errorf("panel %q: data source %q, want ${datasource}", p.Title, p.Datasource.UID)
			}
			for _, target := range p.Targets {
				if target.Expr == "" {
					return fmt.Errorf("panel %q: a target without expr", p.Title)
				}
				queries = append(queries, target.Expr)
			}
		}
		return nil
	}
	if err := walk(d.Panels); err != nil {
		return nil, err
	}
	return queries, nil
}

// grafanaPanel is what dashboardQueries reads of a panel.
type grafanaPanel struct {
	Type       string `json:"type"`
	Title      string `json:"title"`
	Datasource struct {
		UID string `json:"uid"`
	} `json:"datasource"`
	Targets []struct {
		Expr string `json:"expr"`
	} `json:"targets"`
	Panels []grafanaPanel `json:"panels"`
}

// alertExpressions returns the expr of every rule of the rendered PrometheusRule, after
// checking each alert has a severity and a summary and description that name the object.
func alertExpressions(objs []unstructured.Unstructured) ([]string, error) {
	var rule unstructured.Unstructured
	for _, o := range objs {
		if o.GetKind() == "PrometheusRule" {
			rule = o
		}
	}
	groups, _, err := unstructured.NestedSlice(rule.Object, "spec", "groups")
	if err != nil || len(groups) == 0 {
		return nil, fmt.Errorf("no rule groups in the rendered PrometheusRule (%v)", err)
	}
	var exprs []string
	for _, g := range groups {
		rules, _, _ := unstructured.NestedSlice(g.(map[string]any), "rules")
		for _, r := range rules {
			r := r.(map[string]any)
			name, _, _ := unstructured.NestedString(r, "alert")
			expr, _, _ := unstructured.NestedString(r, "expr")
			severity, _, _ := unstructured.NestedString(r, "labels", "severity")
			summary, _, _ := unstructured.NestedString(r, "annotations", "summary")
			description, _, _ := unstructured.NestedString(r, "annotations", "description")
			if expr == "" || severity == "" {
				return nil, fmt.Errorf("alert %s: no expr or no severity", name)
			}
			for _, text := range []string{summary, description} {
				if !strings.Contains(text, "{{ $labels.namespace }}/{{ $labels.") {
					return nil, fmt.Errorf("alert %s: %q does not name the object as {{ $labels.namespace }}/...", name, text)
				}
			}
			exprs = append(exprs, expr)
		}
	}
	return exprs, nil
}

func sortedKeys(m map[string]dto.MetricType) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// TestChartMonitoringObjectsApply: with the values on, the chart's ServiceMonitor,
// PrometheusRule and dashboard ConfigMap pass the apiserver's strict validation against the
// Prometheus Operator's CRDs, and the ServiceMonitor selects the metrics Service on its
// metrics port; with the defaults, none of them is rendered.
func TestChartMonitoringObjectsApply(t *testing.T) {
	requireCluster(t)
	ensureNamespace(t, chartNS)
	crds, err := os.ReadFile(filepath.Join(harness.Root(), monitoringCRDs))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := kubectl(crds, "apply", "--server-side", "--force-conflicts", "--field-manager=deploy-test", "-f", "-"); err != nil {
		t.Fatal(err)
	}
	if _, err := kubectl(nil, "wait", "--for=condition=Established", "--timeout=30s",
		"crd/servicemonitors.monitoring.coreos.com", "crd/prometheusrules.monitoring.coreos.com"); err != nil {
		t.Fatal(err)
	}

	manifests, err := helmTemplate(append(monitoringValues, "serviceMonitor.labels.release=prometheus",
		"prometheusRule.alertLabels.team=platform")...)
	if err != nil {
		t.Fatal(err)
	}
	objs, err := decode(manifests)
	if err != nil {
		t.Fatal(err)
	}
	monitoring, err := manifestsOf(objs, "ServiceMonitor", "PrometheusRule", "ConfigMap")
	if err != nil {
		t.Fatal(err)
	}
	if err := dryRunApply(monitoring); err != nil {
		t.Fatalf("the apiserver refuses the chart's monitoring objects: %v", err)
	}

	var sm struct {
		Metadata metav1.ObjectMeta `json:"metadata"`
		Spec     struct {
			Selector  metav1.LabelSelector `json:"selector"`
			Endpoints []struct {
				Port        string `json:"port"`
				Scheme      string `json:"scheme"`
				HonorLabels bool   `json:"honorLabels"`
			} `json:"endpoints"`
		} `json:"spec"`
	}
	if err := find(objs, "ServiceMonitor", &sm); err != nil {
		t.Fatal(err)
	}
	var svc corev1.Service
	if err := findNamed(objs, "Service", chartFullname+"-metrics", &svc); err != nil {
		t.Fatal(err)
	}
	selector, err := metav1.LabelSelectorAsSelector(&sm.Spec.Selector)
	if err != nil {
		t.Fatal(err)
	}
	if !selector.Matches(labels.Set(svc.Labels)) {
		t.Errorf("the ServiceMonitor's selector %v does not select the metrics Service (labels %v)", selector, svc.Labels)
	}
	type endpoint struct {
		Port, Scheme string
		HonorLabels  bool
	}
	var got []endpoint
	for _, e := range sm.Spec.Endpoints {
		got = append(got, endpoint{e.Port, e.Scheme, e.HonorLabels})
	}
	// The manager serves plain HTTP on the Service's port named metrics; honorLabels keeps
	// the RDSDatabase's namespace label that the alerts read.
	want := []endpoint{{Port: svc.Spec.Ports[0].Name, Scheme: "http", HonorLabels: true}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ServiceMonitor endpoints: -want +got:\n%s", diff)
	}
	if sm.Metadata.Labels["release"] != "prometheus" {
		t.Errorf("serviceMonitor.labels did not reach the ServiceMonitor: %v", sm.Metadata.Labels)
	}
	var cm corev1.ConfigMap
	if err := findNamed(objs, "ConfigMap", chartFullname+"-dashboard", &cm); err != nil {
		t.Fatal(err)
	}
	file, err := os.ReadFile(filepath.Join(harness.Root(), dashboardFile))
	if err != nil {
		t.Fatal(err)
	}
	if cm.Labels["grafana_dashboard"] != "1" || strings.TrimSpace(cm.Data["aws-rds-operator.json"]) != strings.TrimSpace(string(file)) {
		t.Errorf("the dashboard ConfigMap is not %s labelled grafana_dashboard=1 (labels %v)", dashboardFile, cm.Labels)
	}
	if !strings.Contains(string(monitoring), `"team":"platform"`) {
		t.Errorf("prometheusRule.alertLabels did not reach the alerts")
	}

	plain, err := helmTemplate()
	if err != nil {
		t.Fatal(err)
	}
	defaults, err := decode(plain)
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range defaults {
		if k := o.GetKind(); k == "ServiceMonitor" || k == "PrometheusRule" || o.GetName() == chartFullname+"-dashboard" {
			t.Errorf("the default values render %s %s: monitoring must be off by default", k, o.GetName())
		}
	}
}
