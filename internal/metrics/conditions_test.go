package metrics

import (
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// cond is a condition as the controller writes it.
func cond(typ string, status metav1.ConditionStatus, reason string) metav1.Condition {
	return metav1.Condition{Type: typ, Status: status, Reason: reason}
}

// step is one call a test makes: SetConditions, or ForgetDatabase when forget is set.
type step struct {
	namespace, name string
	conds           []metav1.Condition
	forget          bool
}

func TestDatabaseConditionSeries(t *testing.T) {
	const header = `
# HELP rds_operator_database_condition 1 when the RDSDatabase's condition is True, 0 when False or Unknown, labelled with its reason.
# TYPE rds_operator_database_condition gauge
`
	cases := map[string]struct {
		reason string
		steps  []step
		want   string // series after the steps, without the header; empty for none
	}{
		"TrueIsOneFalseAndUnknownAreZero": {
			reason: "Each condition type of an object is one series: 1 when True, 0 when False or Unknown.",
			steps: []step{{namespace: "shop", name: "orders", conds: []metav1.Condition{
				cond("Ready", metav1.ConditionFalse, "NotReady"),
				cond("Provisioned", metav1.ConditionTrue, "Available"),
				cond("UsersReady", metav1.ConditionUnknown, "WaitingForDatabase"),
			}}},
			want: `
rds_operator_database_condition{condition="Provisioned",name="orders",namespace="shop",reason="Available"} 1
rds_operator_database_condition{condition="Ready",name="orders",namespace="shop",reason="NotReady"} 0
rds_operator_database_condition{condition="UsersReady",name="orders",namespace="shop",reason="WaitingForDatabase"} 0
`,
		},
		"ReasonChangeReplacesTheSeries": {
			reason: "A new reason deletes the series of the old one, so a condition never has two series.",
			steps: []step{
				{namespace: "shop", name: "orders", conds: []metav1.Condition{cond("Provisioned", metav1.ConditionFalse, "Creating")}},
				{namespace: "shop", name: "orders", conds: []metav1.Condition{cond("Provisioned", metav1.ConditionTrue, "Available")}},
				{namespace: "shop", name: "orders", conds: []metav1.Condition{cond("Provisioned", metav1.ConditionFalse, "CloudDatabaseMissing")}},
			},
			want: `
rds_operator_database_condition{condition="Provisioned",name="orders",namespace="shop",reason="CloudDatabaseMissing"} 0
`,
		},
		"StatusChangeKeepsTheSeries": {
			reason: "A new status with the same reason changes the value of the one series.",
			steps: []step{
				{namespace: "shop", name: "orders", conds: []metav1.Condition{cond("BackupsConfigured", metav1.ConditionTrue, "AutomatedBackups")}},
				{namespace: "shop", name: "orders", conds: []metav1.Condition{cond("BackupsConfigured", metav1.ConditionFalse, "AutomatedBackups")}},
			},
			want: `
rds_operator_database_condition{condition="BackupsConfigured",name="orders",namespace="shop",reason="AutomatedBackups"} 0
`,
		},
		"DroppedConditionGoes": {
			reason: "A condition the object no longer has (ReplicasReady once no replica is asked for) loses its series.",
			steps: []step{
				{namespace: "shop", name: "orders", conds: []metav1.Condition{
					cond("Ready", metav1.ConditionTrue, "Ready"),
					cond("ReplicasReady", metav1.ConditionTrue, "ReplicasAvailable"),
				}},
				{namespace: "shop", name: "orders", conds: []metav1.Condition{cond("Ready", metav1.ConditionTrue, "Ready")}},
			},
			want: `
rds_operator_database_condition{condition="Ready",name="orders",namespace="shop",reason="Ready"} 1
`,
		},
		"ForgetDeletesOnlyThatObject": {
			reason: "ForgetDatabase, given the namespace/name key the controller has, deletes all of that object's series and no other's.",
			steps: []step{
				{namespace: "shop", name: "orders", conds: []metav1.Condition{
					cond("Ready", metav1.ConditionTrue, "Ready"),
					cond("AccessVerified", metav1.ConditionTrue, "AllLogIn"),
				}},
				{namespace: "shop", name: "ledger", conds: []metav1.Condition{cond("Ready", metav1.ConditionFalse, "NotReady")}},
				{namespace: "shop", name: "orders", forget: true},
				{namespace: "shop", name: "never-seen", forget: true},
			},
			want: `
rds_operator_database_condition{condition="Ready",name="ledger",namespace="shop",reason="NotReady"} 0
`,
		},
		"SameNameOtherNamespace": {
			reason: "Objects of one name in two namespaces are two objects.",
			steps: []step{
				{namespace: "a", name: "db", conds: []metav1.Condition{cond("Ready", metav1.ConditionTrue, "Ready")}},
				{namespace: "b", name: "db", conds: []metav1.Condition{cond("Ready", metav1.ConditionFalse, "NotReady")}},
				{namespace: "a", name: "db", forget: true},
			},
			want: `
rds_operator_database_condition{condition="Ready",name="db",namespace="b",reason="NotReady"} 0
`,
		},
		"NoConditionsNoSeries": {
			reason: "An object with no conditions yet (its first pass wrote only Secrets) has no series, and forgetting it is harmless.",
			steps: []step{
				{namespace: "shop", name: "orders", conds: []metav1.Condition{cond("Ready", metav1.ConditionFalse, "NotReady")}},
				{namespace: "shop", name: "orders", conds: nil},
				{namespace: "shop", name: "orders", forget: true},
			},
			want: "",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			gauge := newConditionGauge()
			series := newConditionSeries(gauge)
			for _, s := range tc.steps {
				if s.forget {
					series.forget(s.namespace + "/" + s.name)
					continue
				}
				series.set(s.namespace, s.name, s.conds)
			}
			want := ""
			if tc.want != "" {
				want = header + tc.want
			}
			if err := testutil.CollectAndCompare(gauge, strings.NewReader(want), "rds_operator_database_condition"); err != nil {
				t.Errorf("%s\n%v", tc.reason, err)
			}
			// Memory follows the series: an object without any is not remembered.
			objects := map[string]bool{}
			for _, line := range strings.Split(tc.want, "\n") {
				if ns, ok := labelValue(line, "namespace"); ok {
					name, _ := labelValue(line, "name")
					objects[ns+"/"+name] = true
				}
			}
			if got := len(series.byKey); got != len(objects) {
				t.Errorf("%s\n%d objects remembered, want %d (%v)", tc.reason, got, len(objects), objects)
			}
		})
	}
}

// TestForgetDatabaseForgetsConditions: the controller's one ForgetDatabase call, with the
// request's namespace/name key, deletes the object's DatabaseCondition series too.
func TestForgetDatabaseForgetsConditions(t *testing.T) {
	SetConditions("forget-test", "orders", []metav1.Condition{cond("Ready", metav1.ConditionTrue, "Ready")})
	if got := testutil.ToFloat64(DatabaseCondition.WithLabelValues("forget-test", "orders", "Ready", "Ready")); got != 1 {
		t.Fatalf("Ready = %v after SetConditions, want 1", got)
	}
	ForgetDatabase("forget-test/orders")
	if _, known := conditions.byKey["forget-test/orders"]; known {
		t.Errorf("ForgetDatabase left the object's conditions remembered")
	}
	if DatabaseCondition.DeleteLabelValues("forget-test", "orders", "Ready", "Ready") {
		t.Errorf("ForgetDatabase left the object's Ready series")
	}
}

// labelValue returns the value of label in one line of the text exposition format.
func labelValue(line, label string) (string, bool) {
	_, rest, ok := strings.Cut(line, ","+label+`="`)
	if !ok {
		_, rest, ok = strings.Cut(line, "{"+label+`="`)
	}
	if !ok {
		return "", false
	}
	value, _, _ := strings.Cut(rest, `"`)
	return value, true
}
