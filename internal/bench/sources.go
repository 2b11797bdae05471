package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"k8s.io/client-go/rest"
)

// emulatorStats is what the RDS emulator's GET /_emulator/stats answers, and what the Azure
// emulator's is made into (azureStats): API calls by action (the SDK's retries among them
// also counted apart), errors by code, and the call log with each call's time.
type emulatorStats struct {
	Calls   map[string]int `json:"calls"`
	Retries map[string]int `json:"retries"`
	Errors  map[string]int `json:"errors"`
	Log     []call         `json:"log"`
}

// call is one entry of the call log: its action and the database it named ("" for a list).
type call struct {
	Time   time.Time `json:"time"`
	Action string    `json:"action"`
	ID     string    `json:"id"`
}

// refreshGap separates two refreshes of the operator's shared view in the call log: the
// pages of one list follow each other within it.
const refreshGap = 3 * time.Second

// listActions are the lists of every database a refresh of the shared view pages through:
// RDS's instances, and on Azure each resource provider's servers.
var listActions = map[string]bool{"DescribeDBInstances": true, azurePostgreSQLList: true, azureMySQLList: true}

// refreshes counts the shared view's refreshes in the call log: runs of list pages (a list
// action without an identifier), a run ending when no page follows within refreshGap.
func (st emulatorStats) refreshes() int {
	n := 0
	var last time.Time
	for _, c := range st.Log {
		if !listActions[c.Action] || c.ID != "" {
			continue
		}
		if last.IsZero() || c.Time.Sub(last) > refreshGap {
			n++
		}
		last = c.Time
	}
	return n
}

// emulator reads and resets the emulator's counters over its introspection API.
type emulator struct {
	url  string
	http *http.Client
	// azure is set for the Azure emulator, whose stats name calls by method and path.
	azure bool
}

func (e emulator) reset(ctx context.Context) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, e.url+"/_emulator/reset-stats", nil)
	if err != nil {
		return err
	}
	resp, err := e.http.Do(req)
	if err != nil {
		return fmt.Errorf("reset emulator stats: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("reset emulator stats: %s", resp.Status)
	}
	return nil
}

func (e emulator) stats(ctx context.Context) (emulatorStats, error) {
	var st emulatorStats
	body, err := get(ctx, e.http, e.url+"/_emulator/stats")
	if err != nil {
		return st, fmt.Errorf("read emulator stats: %w", err)
	}
	if e.azure {
		var a azureStats
		if err := json.Unmarshal(body, &a); err != nil {
			return st, fmt.Errorf("read emulator stats: %w", err)
		}
		return a.stats(), nil
	}
	return st, json.Unmarshal(body, &st)
}

// peaks returns the most calls the log holds in any one second and the highest mean rate
// over any window of `window` seconds: what AWS's token bucket would have seen.
func (st emulatorStats) peaks(window int) (perSecond int, sustained float64) {
	if len(st.Log) == 0 {
		return 0, 0
	}
	bySecond := map[int64]int{}
	first, last := st.Log[0].Time.Unix(), st.Log[0].Time.Unix()
	for _, c := range st.Log {
		s := c.Time.Unix()
		bySecond[s]++
		first, last = min(first, s), max(last, s)
	}
	for _, n := range bySecond {
		perSecond = max(perSecond, n)
	}
	span := int(last-first) + 1
	if span < window {
		// A wave shorter than the window: its mean over the window it fits in.
		return perSecond, float64(len(st.Log)) / float64(window)
	}
	sum := 0
	for s := first; s < first+int64(window); s++ {
		sum += bySecond[s]
	}
	best := sum
	for s := first + int64(window); s <= last; s++ {
		sum += bySecond[s] - bySecond[s-int64(window)]
		best = max(best, sum)
	}
	return perSecond, float64(best) / float64(window)
}

func total(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

// scrape reads a Prometheus text endpoint.
func scrape(ctx context.Context, c *http.Client, url string) (map[string]*dto.MetricFamily, error) {
	body, err := get(ctx, c, url)
	if err != nil {
		return nil, fmt.Errorf("scrape %s: %w", url, err)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	return p.TextToMetricFamilies(bytes.NewReader(body))
}

// sumBy sums a counter family's samples by the label values key returns; samples key
// rejects (returns "") are left out.
func sumBy(families map[string]*dto.MetricFamily, name string, key func(labels map[string]string) string) map[string]float64 {
	out := map[string]float64{}
	f, ok := families[name]
	if !ok {
		return out
	}
	for _, m := range f.GetMetric() {
		labels := map[string]string{}
		for _, l := range m.GetLabel() {
			labels[l.GetName()] = l.GetValue()
		}
		k := key(labels)
		if k == "" {
			continue
		}
		switch {
		case m.GetCounter() != nil:
			out[k] += m.GetCounter().GetValue()
		case m.GetGauge() != nil:
			out[k] += m.GetGauge().GetValue()
		case m.GetHistogram() != nil:
			out[k+"_sum"] += m.GetHistogram().GetSampleSum()
			out[k+"_count"] += float64(m.GetHistogram().GetSampleCount())
		}
	}
	return out
}

// apiserverWrites counts the apiserver's write requests on the resources the operator
// writes, by "VERB resource[/subresource]", from kube-apiserver's own
// apiserver_request_total.
func apiserverWrites(ctx context.Context, cfg *rest.Config) (map[string]float64, error) {
	c, err := rest.HTTPClientFor(cfg)
	if err != nil {
		return nil, err
	}
	families, err := scrape(ctx, c, strings.TrimSuffix(cfg.Host, "/")+"/metrics")
	if err != nil {
		return nil, err
	}
	return sumBy(families, "apiserver_request_total", func(l map[string]string) string {
		if !writeVerbs[l["verb"]] || !operatorResources[l["resource"]] || l["dry_run"] != "" {
			return ""
		}
		r := l["resource"]
		if l["subresource"] != "" {
			r += "/" + l["subresource"]
		}
		return l["verb"] + " " + r
	}), nil
}

// writeVerbs are the apiserver's verbs that change something.
var writeVerbs = map[string]bool{"POST": true, "PUT": true, "PATCH": true, "DELETE": true, "APPLY": true, "DELETECOLLECTION": true}

// operatorResources are what the operator writes; the apiserver's own lease renewals and the
// like are left out.
var operatorResources = map[string]bool{"rdsdatabases": true, "secrets": true, "services": true, "events": true}

// diff returns after minus before, without the zero entries.
func diff(after, before map[string]float64) map[string]float64 {
	out := map[string]float64{}
	for k, v := range after {
		if d := v - before[k]; d != 0 {
			out[k] = d
		}
	}
	return out
}

func get(ctx context.Context, c *http.Client, url string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode/100 != 2 {
		return nil, fmt.Errorf("%s: %s", resp.Status, bytes.TrimSpace(body))
	}
	return body, nil
}

// procStats reads a process's CPU time (user+system) and peak resident set from /proc.
type procStats struct {
	CPUSeconds float64
	PeakRSSMiB float64
	RSSMiB     float64
	// AnonMiB and FileMiB split RSSMiB: the heap, stacks and the runtime's own memory, and
	// the pages of the binary and other files mapped in (which the kernel may drop and read
	// again under memory pressure).
	AnonMiB float64
	FileMiB float64
}

// clockTicks is the kernel's USER_HZ, the unit of /proc/<pid>/stat's times: 100 on every
// Linux architecture Go supports.
const clockTicks = 100

func readProc(pid int) (procStats, error) {
	var ps procStats
	if runtime.GOOS != "linux" {
		return ps, fmt.Errorf("process statistics need Linux's /proc")
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return ps, err
	}
	// The command name is in parentheses and may hold spaces: count fields after it.
	s := string(stat)
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	if len(fields) < 13 {
		return ps, fmt.Errorf("short /proc/%d/stat", pid)
	}
	utime, _ := strconv.ParseFloat(fields[11], 64) // field 14 of stat
	stime, _ := strconv.ParseFloat(fields[12], 64) // field 15
	ps.CPUSeconds = (utime + stime) / clockTicks
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return ps, err
	}
	for _, line := range strings.Split(string(status), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		kb, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64)
		if err != nil {
			continue
		}
		switch k {
		case "VmHWM":
			ps.PeakRSSMiB = kb / 1024
		case "VmRSS":
			ps.RSSMiB = kb / 1024
		case "RssAnon":
			ps.AnonMiB = kb / 1024
		case "RssFile":
			ps.FileMiB = kb / 1024
		}
	}
	return ps, nil
}

// Latency summarises per-object durations in seconds.
type Latency struct {
	Count int     `json:"count"`
	P50   float64 `json:"p50"`
	P99   float64 `json:"p99"`
	Max   float64 `json:"max"`
}

func summarize(d []time.Duration) *Latency {
	if len(d) == 0 {
		return &Latency{}
	}
	sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
	at := func(q float64) float64 {
		i := int(q*float64(len(d))+0.5) - 1
		return d[min(max(i, 0), len(d)-1)].Seconds()
	}
	return &Latency{Count: len(d), P50: at(0.50), P99: at(0.99), Max: d[len(d)-1].Seconds()}
}

// machine describes the machine the benchmark ran on.
func machine() string {
	cpu := ""
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				cpu = strings.TrimSpace(v)
				break
			}
		}
	}
	mem := ""
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && k == "MemTotal" {
				kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64)
				mem = fmt.Sprintf("%.0f GiB", kb/1024/1024)
			}
		}
	}
	osName := runtime.GOOS
	if b, err := os.ReadFile("/etc/os-release"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "PRETTY_NAME="); ok {
				osName = strings.Trim(v, `"`)
			}
		}
	}
	return strings.TrimSpace(fmt.Sprintf("%d cores %s, %s, %s", runtime.NumCPU(), cpu, mem, osName))
}

// memoryPeaks samples the manager's resident memory until stopped and keeps the highest
// anonymous and file-backed figures. The kernel keeps a high-water mark only of the two
// together (VmHWM), which counts the binary's mapped pages, so the anonymous peak is sampled.
type memoryPeaks struct {
	mu         sync.Mutex
	anon, file float64
}

func (m *memoryPeaks) run(ctx context.Context, pid int, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if ps, err := readProc(pid); err == nil {
			m.mu.Lock()
			m.anon, m.file = max(m.anon, ps.AnonMiB), max(m.file, ps.FileMiB)
			m.mu.Unlock()
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (m *memoryPeaks) peaks() (anon, file float64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.anon, m.file
}
