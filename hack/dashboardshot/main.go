// Command dashboardshot draws panels of the operator's Grafana dashboard to PNG from real
// scrapes of an operator's /metrics, without Grafana or Prometheus: the picture in
// docs/observability.md is made with it from the local stack (make local-up).
//
//	dashboardshot -url http://127.0.0.1:PORT/metrics -every 2s -count 90 -save scrapes.txt
//	dashboardshot -scrapes scrapes.txt            # draw again from saved scrapes
//
// It evaluates the panels' own PromQL, as far as the few shapes the dashboard's counting
// panels use (sum by (...) of a gauge, or of rate() of a counter); a panel with another
// shape is refused, not drawn wrong. It is its own Go module, so the operator's does not
// carry a plotting library.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"regexp"
	"strings"
	"time"
)

func main() {
	var (
		url       = flag.String("url", "", "the operator's metrics endpoint to scrape, e.g. http://127.0.0.1:8080/metrics")
		every     = flag.Duration("every", 2*time.Second, "time between scrapes")
		count     = flag.Int("count", 90, "number of scrapes (Ctrl-C draws what was scraped so far)")
		save      = flag.String("save", "", "file to save the scrapes in, to draw them again with -scrapes")
		scrapes   = flag.String("scrapes", "", "file of saved scrapes to draw instead of scraping")
		dashboard = flag.String("dashboard", "charts/aws-rds-operator/dashboards/aws-rds-operator.json", "the dashboard JSON")
		panels    = flag.String("panels", "Cloud API calls by action,Databases by engine and phase", "comma-separated titles of the panels to draw")
		window    = flag.Duration("rate-window", 20*time.Second, "range of rate(), in place of Grafana's $__rate_interval")
		out       = flag.String("out", "docs/images", "directory for the PNGs, named dashboard-<title>.png")
	)
	flag.Parse()
	if err := run(*url, *every, *count, *save, *scrapes, *dashboard, *panels, *window, *out); err != nil {
		fmt.Fprintln(os.Stderr, "dashboardshot:", err)
		os.Exit(1)
	}
}

func run(url string, every time.Duration, count int, save, scrapesFile, dashboardFile, titles string, window time.Duration, out string) error {
	raw, err := os.ReadFile(dashboardFile)
	if err != nil {
		return err
	}
	var wanted []Panel
	for _, title := range strings.Split(titles, ",") {
		p, err := FindPanel(raw, strings.TrimSpace(title))
		if err != nil {
			return err
		}
		wanted = append(wanted, p)
	}

	var samples []Scrape
	switch {
	case scrapesFile != "":
		f, err := os.Open(scrapesFile)
		if err != nil {
			return err
		}
		defer func() { _ = f.Close() }()
		if samples, err = ReadScrapes(f); err != nil {
			return err
		}
	case url != "":
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
		defer stop()
		var text bytes.Buffer
		if samples, err = scrapeAll(ctx, url, every, count, &text); err != nil {
			return err
		}
		if save != "" {
			if err := os.WriteFile(save, text.Bytes(), 0o644); err != nil {
				return err
			}
		}
	default:
		return errors.New("give -url to scrape or -scrapes to read")
	}
	if len(samples) < 2 {
		return fmt.Errorf("%d scrapes: a graph needs at least 2", len(samples))
	}

	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	for _, p := range wanted {
		var series []Series
		for _, t := range p.Targets {
			s, err := Evaluate(t.Expr, t.Legend, samples, window)
			if err != nil {
				return fmt.Errorf("panel %q: %w", p.Title, err)
			}
			series = append(series, s...)
		}
		file := filepath.Join(out, "dashboard-"+slug(p.Title)+".png")
		if err := Render(p, series, file); err != nil {
			return fmt.Errorf("panel %q: %w", p.Title, err)
		}
		fmt.Printf("%s: %d series from %d scrapes over %s\n", file, len(series), len(samples),
			samples[len(samples)-1].At.Sub(samples[0].At).Round(time.Second))
	}
	return nil
}

// scrapeAll scrapes url count times, every apart, appending each scrape's text to saved.
func scrapeAll(ctx context.Context, url string, every time.Duration, count int, saved io.Writer) ([]Scrape, error) {
	var samples []Scrape
	tick := time.NewTicker(every)
	defer tick.Stop()
	for len(samples) < count {
		at := time.Now()
		body, err := fetch(ctx, url)
		if err != nil {
			if ctx.Err() != nil {
				return samples, nil // interrupted: draw what there is
			}
			return nil, err
		}
		s, err := ParseScrape(at, body)
		if err != nil {
			return nil, err
		}
		samples = append(samples, s)
		if _, err := fmt.Fprintf(saved, "%s%s\n%s", scrapeMark, at.UTC().Format(time.RFC3339Nano), body); err != nil {
			return nil, err
		}
		fmt.Fprintf(os.Stderr, "\rscrape %d/%d", len(samples), count)
		select {
		case <-ctx.Done():
			fmt.Fprintln(os.Stderr)
			return samples, nil
		case <-tick.C:
		}
	}
	fmt.Fprintln(os.Stderr)
	return samples, nil
}

func fetch(ctx context.Context, url string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	// Plain text, not protobuf: the saved scrapes stay readable.
	req.Header.Set("Accept", "text/plain;version=0.0.4")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer func() { _ = resp.Body.Close() }()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return io.ReadAll(resp.Body)
}

// scrapeMark starts each scrape in a file of saved scrapes, followed by its time.
const scrapeMark = "# dashboardshot scrape at "

// ReadScrapes reads a file written with -save.
func ReadScrapes(r io.Reader) ([]Scrape, error) {
	var samples []Scrape
	var at time.Time
	var body bytes.Buffer
	flush := func() error {
		if at.IsZero() {
			return nil
		}
		s, err := ParseScrape(at, body.Bytes())
		if err != nil {
			return fmt.Errorf("scrape at %s: %w", at, err)
		}
		samples = append(samples, s)
		body.Reset()
		return nil
	}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		line := sc.Text()
		if stamp, ok := strings.CutPrefix(line, scrapeMark); ok {
			if err := flush(); err != nil {
				return nil, err
			}
			t, err := time.Parse(time.RFC3339Nano, stamp)
			if err != nil {
				return nil, err
			}
			at = t
			continue
		}
		body.WriteString(line)
		body.WriteByte('\n')
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if err := flush(); err != nil {
		return nil, err
	}
	return samples, nil
}

// Panel is what dashboardshot draws of a dashboard panel.
type Panel struct {
	Title   string
	Unit    string
	Targets []Target
}

// Target is one query of a panel.
type Target struct {
	Expr   string
	Legend string
}

// FindPanel returns the panel titled title of the dashboard JSON raw, rows included.
func FindPanel(raw []byte, title string) (Panel, error) {
	type panel struct {
		Type        string `json:"type"`
		Title       string `json:"title"`
		FieldConfig struct {
			Defaults struct {
				Unit string `json:"unit"`
			} `json:"defaults"`
		} `json:"fieldConfig"`
		Targets []struct {
			Expr         string `json:"expr"`
			LegendFormat string `json:"legendFormat"`
		} `json:"targets"`
		Panels []json.RawMessage `json:"panels"`
	}
	var d struct {
		Panels []json.RawMessage `json:"panels"`
	}
	if err := json.Unmarshal(raw, &d); err != nil {
		return Panel{}, err
	}
	queue := d.Panels
	for len(queue) > 0 {
		var p panel
		if err := json.Unmarshal(queue[0], &p); err != nil {
			return Panel{}, err
		}
		queue = append(queue[1:], p.Panels...)
		if p.Title != title || p.Type == "row" {
			continue
		}
		out := Panel{Title: p.Title, Unit: p.FieldConfig.Defaults.Unit}
		for _, t := range p.Targets {
			out.Targets = append(out.Targets, Target{Expr: t.Expr, Legend: t.LegendFormat})
		}
		return out, nil
	}
	return Panel{}, fmt.Errorf("no panel titled %q in the dashboard", title)
}

var notWord = regexp.MustCompile(`[^a-z0-9]+`)

func slug(title string) string {
	return strings.Trim(notWord.ReplaceAllString(strings.ToLower(title), "-"), "-")
}
