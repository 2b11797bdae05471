package deploy

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// promqlAggregations are PromQL's aggregation operators, which may stand before "by (...)"
// rather than before their "(".
var promqlAggregations = []string{
	"sum", "min", "max", "avg", "group", "stddev", "stdvar", "count", "count_values",
	"bottomk", "topk", "quantile", "limitk", "limit_ratio",
}

// promqlLabelLists are the keywords followed by a parenthesized list of label names.
var promqlLabelLists = []string{"by", "without", "on", "ignoring", "group_left", "group_right"}

// promqlWords are the other keywords and literals that are not metric names.
var promqlWords = []string{"and", "or", "unless", "bool", "offset", "atan2", "inf", "nan"}

// metricNames returns the metric names that the PromQL expression expr selects, in order
// and without repeats. It is a lexer, not a parser (the project does not depend on
// Prometheus's): it skips strings, label matchers, ranges, numbers and durations, Grafana
// variables ($__rate_interval, ${datasource}), function calls' names, aggregations and
// keywords with their label lists; every other identifier selects a metric. A __name__
// matcher is an error: it would hide a name from the check.
func metricNames(expr string) ([]string, error) {
	var names []string
	r := []rune(expr)
	for i := 0; i < len(r); {
		c := r[i]
		switch {
		case c == '"' || c == '\'' || c == '`':
			end, err := skipString(r, i)
			if err != nil {
				return nil, err
			}
			i = end
		case c == '{':
			end, err := skipGroup(r, i, '{', '}')
			if err != nil {
				return nil, err
			}
			if strings.Contains(string(r[i:end]), "__name__") {
				return nil, fmt.Errorf("a __name__ matcher in %q: name the metric instead", string(r[i:end]))
			}
			i = end
		case c == '[':
			end, err := skipGroup(r, i, '[', ']')
			if err != nil {
				return nil, err
			}
			i = end
		case c == '#': // a comment, to the end of the line
			for i < len(r) && r[i] != '\n' {
				i++
			}
		case c == '$': // a Grafana variable: $name or ${name}
			i++
			if i < len(r) && r[i] == '{' {
				end, err := skipGroup(r, i, '{', '}')
				if err != nil {
					return nil, err
				}
				i = end
			}
			for i < len(r) && isIdentRune(r[i], false) {
				i++
			}
		case isDigit(c) || c == '.' && i+1 < len(r) && isDigit(r[i+1]):
			// A number or a duration (5m, 1e3, 0x1f, 1h30m).
			for i < len(r) && (isIdentRune(r[i], false) || r[i] == '.' ||
				(r[i] == '+' || r[i] == '-') && (r[i-1] == 'e' || r[i-1] == 'E')) {
				i++
			}
		case isIdentRune(c, true):
			start := i
			for i < len(r) && isIdentRune(r[i], false) {
				i++
			}
			word := string(r[start:i])
			next := i
			for next < len(r) && isSpace(r[next]) {
				next++
			}
			calls := next < len(r) && r[next] == '('
			switch {
			case slices.Contains(promqlLabelLists, strings.ToLower(word)):
				if calls {
					end, err := skipGroup(r, next, '(', ')')
					if err != nil {
						return nil, err
					}
					i = end
				}
			case slices.Contains(promqlWords, strings.ToLower(word)),
				slices.Contains(promqlAggregations, strings.ToLower(word)),
				calls: // a function's name
			default:
				if !slices.Contains(names, word) {
					names = append(names, word)
				}
			}
		default:
			i++
		}
	}
	return names, nil
}

// skipString returns the index after the string literal starting at r[i].
func skipString(r []rune, i int) (int, error) {
	quote := r[i]
	for j := i + 1; j < len(r); j++ {
		switch {
		case r[j] == '\\' && quote != '`':
			j++
		case r[j] == quote:
			return j + 1, nil
		}
	}
	return 0, fmt.Errorf("unterminated string at %d in %q", i, string(r))
}

// skipGroup returns the index after the close that matches the open at r[i], skipping
// strings and nested groups.
func skipGroup(r []rune, i int, open, close rune) (int, error) {
	depth := 0
	for j := i; j < len(r); {
		switch r[j] {
		case '"', '\'', '`':
			end, err := skipString(r, j)
			if err != nil {
				return 0, err
			}
			j = end
			continue
		case open:
			depth++
		case close:
			depth--
			if depth == 0 {
				return j + 1, nil
			}
		}
		j++
	}
	return 0, fmt.Errorf("unclosed %q at %d in %q", open, i, string(r))
}

func isDigit(c rune) bool { return c >= '0' && c <= '9' }

func isSpace(c rune) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// isIdentRune says whether c may be in a metric or function name (first: may start one).
func isIdentRune(c rune, first bool) bool {
	return c == '_' || c == ':' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || !first && isDigit(c)
}

func TestPromQLMetricNames(t *testing.T) {
	cases := map[string]struct {
		reason  string
		expr    string
		want    []string
		wantErr bool
	}{
		"BareName": {
			reason: "A bare identifier selects a metric.",
			expr:   "workqueue_depth",
			want:   []string{"workqueue_depth"},
		},
		"MatchersAndRange": {
			reason: "Label matchers (with braces and regex characters in their strings) and ranges are not names.",
			expr:   `sum by (action) (rate(rds_operator_aws_calls_total{code=~"Throttling|Slow{Down}", action!="x"}[$__rate_interval]))`,
			want:   []string{"rds_operator_aws_calls_total"},
		},
		"AggregationBeforeBy": {
			reason: "An aggregation followed by its by-clause is not a name, nor are the clause's labels.",
			expr:   `histogram_quantile(0.9, sum by (le) (increase(rds_operator_apply_to_ready_seconds_bucket[1h])))`,
			want:   []string{"rds_operator_apply_to_ready_seconds_bucket"},
		},
		"AggregationAfter": {
			reason: "A by-clause after the aggregation's argument is skipped too.",
			expr:   `max(rds_operator_database_condition{condition="Ready"}) without (reason) == 0`,
			want:   []string{"rds_operator_database_condition"},
		},
		"BinaryOperatorsAndKeywords": {
			reason: "Set operators, bool, offset, vector matching and numbers with units are not names; both sides' metrics are.",
			expr: "a_total offset 5m / on (namespace) group_left(reason) b_info > bool 1e+3 " +
				"unless ignoring(pod) c_seconds_count and Inf",
			want: []string{"a_total", "b_info", "c_seconds_count"},
		},
		"Repeats": {
			reason: "A name used twice is reported once.",
			expr:   `rate(x_total[5m]) / rate(x_total[1h])`,
			want:   []string{"x_total"},
		},
		"GrafanaVariables": {
			reason: "Grafana's variables, bare or braced, are not names.",
			expr:   `sum(rate(y_total{namespace=~"$namespace"}[${__interval}])) * $factor`,
			want:   []string{"y_total"},
		},
		"NameMatcherRefused": {
			reason:  "A metric named through __name__ cannot be checked, so it is an error, not a pass.",
			expr:    `{__name__="rds_operator_made_up_total"}`,
			wantErr: true,
		},
		"Unterminated": {
			reason:  "A broken expression is an error, not an empty list.",
			expr:    `rate(x_total{code="a}[5m])`,
			wantErr: true,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := metricNames(tc.expr)
			if (err != nil) != tc.wantErr {
				t.Fatalf("%s\nmetricNames(%q): error %v, want error %v", tc.reason, tc.expr, err, tc.wantErr)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s\nmetricNames(%q): -want +got:\n%s", tc.reason, tc.expr, diff)
			}
		})
	}
}
