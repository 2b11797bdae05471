package main

import (
	"bytes"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// Scrape is one scrape of a metrics endpoint: every sample by metric name.
type Scrape struct {
	At      time.Time
	Samples map[string][]Sample
}

// Sample is one series' value in a scrape.
type Sample struct {
	Labels map[string]string
	Value  float64
}

// ParseScrape reads a scrape in Prometheus's text format. Counters and gauges are kept;
// histograms and summaries are not (no panel drawn here needs them).
func ParseScrape(at time.Time, text []byte) (Scrape, error) {
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(bytes.NewReader(text))
	if err != nil {
		return Scrape{}, err
	}
	s := Scrape{At: at, Samples: map[string][]Sample{}}
	for name, f := range families {
		for _, m := range f.GetMetric() {
			var v float64
			switch f.GetType() {
			case dto.MetricType_COUNTER:
				v = m.GetCounter().GetValue()
			case dto.MetricType_GAUGE:
				v = m.GetGauge().GetValue()
			case dto.MetricType_UNTYPED:
				v = m.GetUntyped().GetValue()
			default:
				continue
			}
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			s.Samples[name] = append(s.Samples[name], Sample{Labels: labels, Value: v})
		}
	}
	return s, nil
}

// Series is one line of a panel: its legend and a value at each scrape's time (NaN-free:
// points without a value are left out).
type Series struct {
	Legend string
	Times  []time.Time
	Values []float64
}

// query is the shape of PromQL Evaluate understands:
//
//	sum [by (l1, l2)] (metric{matchers})
//	sum [by (l1, l2)] (rate(metric{matchers}[range]))
var query = regexp.MustCompile(`^\s*sum\s*(?:by\s*\(([^)]*)\)\s*)?\(\s*(rate\s*\(\s*)?([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(\{[^}]*\})?\s*(\[[^\]]*\])?\s*\)?\s*\)\s*$`)

// matcher is one label matcher of a selector.
var matcher = regexp.MustCompile(`^\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"\s*$`)

// Evaluate computes expr over the scrapes, one Series per group, legends made from legend
// ({{label}} replaced). rate() is the per-second increase over window, counter resets
// counted as Prometheus does.
func Evaluate(expr, legend string, scrapes []Scrape, window time.Duration) ([]Series, error) {
	m := query.FindStringSubmatch(expr)
	if m == nil {
		return nil, fmt.Errorf("%q: only sum [by (...)] of a metric or of rate(metric[...]) is drawn here", expr)
	}
	var by []string
	for _, l := range strings.Split(m[1], ",") {
		if l = strings.TrimSpace(l); l != "" {
			by = append(by, l)
		}
	}
	isRate, metric := m[2] != "", m[3]
	if isRate != (m[5] != "") {
		return nil, fmt.Errorf("%q: a range needs rate(), and rate() a range", expr)
	}
	match, err := parseMatchers(strings.Trim(m[4], "{}"))
	if err != nil {
		return nil, fmt.Errorf("%q: %w", expr, err)
	}

	groups := map[string]*Series{}
	add := func(key, legend string, at time.Time, v float64) {
		s, ok := groups[key]
		if !ok {
			s = &Series{Legend: legend}
			groups[key] = s
		}
		if n := len(s.Times); n > 0 && s.Times[n-1].Equal(at) {
			s.Values[n-1] += v
			return
		}
		s.Times = append(s.Times, at)
		s.Values = append(s.Values, v)
	}
	for i, scrape := range scrapes {
		for _, sample := range scrape.Samples[metric] {
			if !match(sample.Labels) {
				continue
			}
			v := sample.Value
			if isRate {
				var ok bool
				if v, ok = rate(scrapes, i, metric, sample.Labels, window); !ok {
					continue
				}
			}
			key, name := group(sample.Labels, by, legend)
			add(key, name, scrape.At, v)
		}
	}
	keys := make([]string, 0, len(groups))
	for k := range groups {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var out []Series
	for _, k := range keys {
		out = append(out, *groups[k])
	}
	return out, nil
}

// rate is the per-second increase of the series labels of metric over the window ending at
// scrapes[i], from the earliest scrape inside the window; false when it has no two points.
func rate(scrapes []Scrape, i int, metric string, labels map[string]string, window time.Duration) (float64, bool) {
	end := scrapes[i]
	var first time.Time
	var increase, last float64
	seen := false
	for j := 0; j <= i; j++ {
		if end.At.Sub(scrapes[j].At) > window {
			continue
		}
		v, ok := valueOf(scrapes[j], metric, labels)
		if !ok {
			continue
		}
		switch {
		case !seen:
			first, seen = scrapes[j].At, true
		case v < last: // a counter reset: it started again from 0
			increase += v
		default:
			increase += v - last
		}
		last = v
	}
	dt := end.At.Sub(first).Seconds()
	if !seen || dt <= 0 {
		return 0, false
	}
	return increase / dt, true
}

func valueOf(s Scrape, metric string, labels map[string]string) (float64, bool) {
	for _, sample := range s.Samples[metric] {
		if sameLabels(sample.Labels, labels) {
			return sample.Value, true
		}
	}
	return 0, false
}

func sameLabels(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// group returns the key of labels' group and its legend.
func group(labels map[string]string, by []string, legend string) (string, string) {
	var key strings.Builder
	for _, l := range by {
		fmt.Fprintf(&key, "%s=%q,", l, labels[l])
	}
	name := legend
	if name == "" || name == "__auto" {
		name = key.String()
	}
	for _, l := range by {
		name = strings.ReplaceAll(name, "{{"+l+"}}", labels[l])
	}
	return key.String(), name
}

// parseMatchers turns the inside of a selector's braces into a predicate on labels.
func parseMatchers(text string) (func(map[string]string) bool, error) {
	var preds []func(map[string]string) bool
	for _, part := range splitMatchers(text) {
		m := matcher.FindStringSubmatch(part)
		if m == nil {
			return nil, fmt.Errorf("label matcher %q not understood", part)
		}
		label, op, value := m[1], m[2], strings.ReplaceAll(m[3], `\"`, `"`)
		switch op {
		case "=":
			preds = append(preds, func(l map[string]string) bool { return l[label] == value })
		case "!=":
			preds = append(preds, func(l map[string]string) bool { return l[label] != value })
		case "=~", "!~":
			re, err := regexp.Compile("^(?:" + value + ")$")
			if err != nil {
				return nil, err
			}
			want := op == "=~"
			preds = append(preds, func(l map[string]string) bool { return re.MatchString(l[label]) == want })
		}
	}
	return func(l map[string]string) bool {
		for _, p := range preds {
			if !p(l) {
				return false
			}
		}
		return true
	}, nil
}

// splitMatchers splits a, b="x,y" at the commas outside quotes.
func splitMatchers(text string) []string {
	var parts []string
	var cur strings.Builder
	quoted := false
	for i := 0; i < len(text); i++ {
		c := text[i]
		switch {
		case c == '\\' && quoted && i+1 < len(text):
			cur.WriteByte(c)
			i++
			c = text[i]
		case c == '"':
			quoted = !quoted
		case c == ',' && !quoted:
			if strings.TrimSpace(cur.String()) != "" {
				parts = append(parts, cur.String())
			}
			cur.Reset()
			continue
		}
		cur.WriteByte(c)
	}
	if strings.TrimSpace(cur.String()) != "" {
		parts = append(parts, cur.String())
	}
	return parts
}
