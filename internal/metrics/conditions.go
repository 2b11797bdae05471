package metrics

import (
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	crmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"
)

// DatabaseCondition is 1 for each RDSDatabase condition whose status is True and 0 when it is
// False or Unknown, labelled with the condition's current reason: the per-object truth that
// alerts need. An object has one series per condition type; a change of reason replaces the
// series, and an object's series go when it does.
var DatabaseCondition = newConditionGauge()

func newConditionGauge() *prometheus.GaugeVec {
	return prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "rds_operator_database_condition",
		Help: "1 when the RDSDatabase's condition is True, 0 when False or Unknown, labelled with its reason.",
	}, []string{"namespace", "name", "condition", "reason"})
}

func init() {
	crmetrics.Registry.MustRegister(DatabaseCondition)
}

// conditions is the state behind DatabaseCondition.
var conditions = newConditionSeries(DatabaseCondition)

// SetConditions records the conditions of the RDSDatabase namespace/name. The series of a
// condition whose reason changed, or that the object no longer has, are deleted. The work
// is in the number of the object's conditions, whatever the fleet's size.
func SetConditions(namespace, name string, conds []metav1.Condition) {
	conditions.set(namespace, name, conds)
}

// conditionSeries remembers the reason each object's conditions were last exported with, so
// a series is deleted by its exact labels when its reason changes or the object goes.
type conditionSeries struct {
	gauge *prometheus.GaugeVec
	mu    sync.Mutex
	// byKey is keyed by "namespace/name", the key ForgetDatabase is given.
	byKey map[string]objectConditions
}

// objectConditions is one object's exported conditions: reason by condition type.
type objectConditions struct {
	namespace, name string
	reasons         map[string]string
}

func newConditionSeries(gauge *prometheus.GaugeVec) *conditionSeries {
	return &conditionSeries{gauge: gauge, byKey: map[string]objectConditions{}}
}

func (c *conditionSeries) set(namespace, name string, conds []metav1.Condition) {
	c.mu.Lock()
	defer c.mu.Unlock()
	key := namespace + "/" + name
	before := c.byKey[key].reasons
	now := make(map[string]string, len(conds))
	for _, cond := range conds {
		if old, known := before[cond.Type]; known && old != cond.Reason {
			c.gauge.DeleteLabelValues(namespace, name, cond.Type, old)
		}
		now[cond.Type] = cond.Reason
		value := 0.0
		if cond.Status == metav1.ConditionTrue {
			value = 1
		}
		c.gauge.WithLabelValues(namespace, name, cond.Type, cond.Reason).Set(value)
	}
	for typ, reason := range before {
		if _, still := now[typ]; !still {
			c.gauge.DeleteLabelValues(namespace, name, typ, reason)
		}
	}
	if len(now) == 0 {
		delete(c.byKey, key)
		return
	}
	c.byKey[key] = objectConditions{namespace: namespace, name: name, reasons: now}
}

// forget deletes every series of the object key ("namespace/name").
func (c *conditionSeries) forget(key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	obj, known := c.byKey[key]
	if !known {
		return
	}
	for typ, reason := range obj.reasons {
		c.gauge.DeleteLabelValues(obj.namespace, obj.name, typ, reason)
	}
	delete(c.byKey, key)
}
