package metrics

import (
	"testing"

	dto "github.com/prometheus/client_model/go"
)

func TestDatabasesGaugeCountsEachObjectOnce(t *testing.T) {
	Databases.Reset()
	databases.Lock()
	databases.byKey = map[string][2]string{}
	databases.Unlock()

	SetDatabase("shop/a", "Creating", "postgresql")
	SetDatabase("shop/b", "Creating", "postgresql")
	SetDatabase("shop/c", "Ready", "mysql")
	SetDatabase("shop/a", "Ready", "postgresql")
	SetDatabase("shop/a", "Ready", "postgresql") // no change: nothing moves
	ForgetDatabase("shop/b")
	ForgetDatabase("shop/unknown")

	for _, tc := range []struct {
		phase, engine string
		want          float64
	}{
		{"Creating", "postgresql", 0},
		{"Ready", "postgresql", 1},
		{"Ready", "mysql", 1},
	} {
		var m dto.Metric
		if err := Databases.WithLabelValues(tc.phase, tc.engine).Write(&m); err != nil {
			t.Fatal(err)
		}
		if got := m.GetGauge().GetValue(); got != tc.want {
			t.Errorf("databases{phase=%s,engine=%s} = %v, want %v", tc.phase, tc.engine, got, tc.want)
		}
	}
}
