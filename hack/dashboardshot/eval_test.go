package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// scrapesOf parses exposition texts taken 10s apart.
func scrapesOf(t *testing.T, texts ...string) []Scrape {
	t.Helper()
	start := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	var out []Scrape
	for i, text := range texts {
		s, err := ParseScrape(start.Add(time.Duration(i)*10*time.Second), []byte(text))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	return out
}

const counters = "# TYPE rds_operator_aws_calls_total counter\n"

func TestEvaluate(t *testing.T) {
	calls := scrapesOf(t,
		counters+`rds_operator_aws_calls_total{action="Create",code=""} 0`+"\n"+`rds_operator_aws_calls_total{action="Describe",code=""} 10`+"\n",
		counters+`rds_operator_aws_calls_total{action="Create",code=""} 1`+"\n"+`rds_operator_aws_calls_total{action="Describe",code=""} 30`+"\n"+`rds_operator_aws_calls_total{action="Describe",code="Throttling"} 5`+"\n",
		// The operator restarted: Describe's counter began again.
		counters+`rds_operator_aws_calls_total{action="Create",code=""} 1`+"\n"+`rds_operator_aws_calls_total{action="Describe",code=""} 4`+"\n",
	)
	gauges := scrapesOf(t,
		"# TYPE rds_operator_databases gauge\n"+`rds_operator_databases{engine="postgresql",phase="Creating"} 2`+"\n"+`rds_operator_databases{engine="mysql",phase="Creating"} 1`+"\n",
	)
	cases := map[string]struct {
		reason  string
		expr    string
		legend  string
		scrapes []Scrape
		want    []Series
		wantErr string
	}{
		"RateByAction": {
			reason:  "rate() is the increase per second over the window (15s: two scrapes), a counter reset counted from 0, summed by the by-labels.",
			expr:    `sum by (action) (rate(rds_operator_aws_calls_total[$__rate_interval]))`,
			legend:  "{{action}}",
			scrapes: calls,
			want: []Series{
				{Legend: "Create", Times: []time.Time{calls[1].At, calls[2].At}, Values: []float64{0.1, 0}},
				// At the second scrape the Throttling series has one point: no rate yet.
				{Legend: "Describe", Times: []time.Time{calls[1].At, calls[2].At}, Values: []float64{2, 0.4}},
			},
		},
		"MatcherNotEmpty": {
			reason:  "Label matchers select the series first.",
			expr:    `sum by (code) (rate(rds_operator_aws_calls_total{code!="", action=~"Desc.*"}[1m]))`,
			legend:  "{{code}}",
			scrapes: calls,
			want:    nil, // the Throttling series exists at one scrape only
		},
		"GaugeSum": {
			reason:  "A gauge is summed as it is, grouped by the by-labels.",
			expr:    `sum by (phase) (rds_operator_databases)`,
			legend:  "{{phase}}",
			scrapes: gauges,
			want:    []Series{{Legend: "Creating", Times: []time.Time{gauges[0].At}, Values: []float64{3}}},
		},
		"OtherShapeRefused": {
			reason:  "A query of another shape is refused rather than drawn wrong.",
			expr:    `histogram_quantile(0.9, sum by (le) (rate(x_bucket[5m])))`,
			wantErr: "only sum",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := Evaluate(tc.expr, tc.legend, tc.scrapes, 15*time.Second)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("%s\nwant an error containing %q, got %v", tc.reason, tc.wantErr, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("%s\n%v", tc.reason, err)
			}
			if diff := cmp.Diff(tc.want, got, cmp.Comparer(func(a, b float64) bool { return a-b < 1e-9 && b-a < 1e-9 })); diff != "" {
				t.Errorf("%s\n-want +got:\n%s", tc.reason, diff)
			}
		})
	}
}

// TestDrawsTheDashboardsPanels reads the real dashboard's panels and draws them from saved
// scrapes, as the picture in docs/observability.md is made.
func TestDrawsTheDashboardsPanels(t *testing.T) {
	raw, err := os.ReadFile("../../charts/aws-rds-operator/dashboards/aws-rds-operator.json")
	if err != nil {
		t.Fatal(err)
	}
	saved := scrapeMark + "2026-12-02T10:00:00Z\n" + counters + `rds_operator_aws_calls_total{action="Create",code=""} 0` + "\n" +
		scrapeMark + "2026-12-02T10:00:10Z\n" + counters + `rds_operator_aws_calls_total{action="Create",code=""} 5` + "\n"
	scrapes, err := ReadScrapes(strings.NewReader(saved))
	if err != nil {
		t.Fatal(err)
	}
	if len(scrapes) != 2 {
		t.Fatalf("read %d scrapes, want 2", len(scrapes))
	}
	p, err := FindPanel(raw, "Cloud API calls by action")
	if err != nil {
		t.Fatal(err)
	}
	series, err := Evaluate(p.Targets[0].Expr, p.Targets[0].Legend, scrapes, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "panel.png")
	if err := Render(p, series, file); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(file); err != nil || fi.Size() == 0 {
		t.Fatalf("no PNG written: %v", err)
	}
}
