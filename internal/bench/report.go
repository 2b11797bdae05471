package bench

import (
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"
	"time"

	v1 "github.com/matrixmind-cloud/aws-rds-operator/api/v1"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/controller"
)

// Result is everything one run measured; results.json holds it for scripts to compare.
type Result struct {
	Machine  string   `json:"machine"`
	Date     string   `json:"date"`
	N        int      `json:"n"`
	Settings Settings `json:"settings"`
	Create   *Phase   `json:"create"`
	Steady   *Steady  `json:"steady"`
	Delete   *Phase   `json:"delete"`
	// Drift is the drifts made behind the operator's back after the steady state.
	Drift *Drift `json:"drift,omitempty"`
	// OperatorPeakRSSMiB is the manager's peak resident memory over the whole run (VmHWM):
	// its anonymous memory and the pages of its binary together.
	OperatorPeakRSSMiB float64 `json:"operatorPeakRSSMiB"`
	// OperatorPeakAnonMiB is the highest anonymous memory sampled (every 250 ms): the heap,
	// stacks and the runtime's own memory, which a container's limit must hold.
	// OperatorPeakFileMiB is the highest file-backed memory sampled: the binary's pages,
	// which the kernel drops and reads again under memory pressure.
	OperatorPeakAnonMiB float64  `json:"operatorPeakAnonMiB"`
	OperatorPeakFileMiB float64  `json:"operatorPeakFileMiB"`
	Targets             []Target `json:"targets"`
}

// Settings are the knobs the run used.
type Settings struct {
	// Cloud is where the databases were made (Config.Cloud): aws or azure; Class the
	// DatabaseClass of the objects on azure.
	Cloud  string `json:"cloud,omitempty"`
	Class  string `json:"class,omitempty"`
	Users  int    `json:"users"`
	Aurora int    `json:"aurora,omitempty"`
	// Exports: every object has spec.backup.export and snapshots every BackupEvery.
	Exports     bool   `json:"exports,omitempty"`
	BackupEvery string `json:"backupEvery,omitempty"`
	// Parameters: every PostgreSQL instance has spec.parameters.
	Parameters       bool     `json:"parameters,omitempty"`
	SecretsPerObject int      `json:"secretsPerObject"`
	Resync           string   `json:"resync"`
	PendingRequeue   string   `json:"pendingRequeue"`
	Feed             string   `json:"feed,omitempty"`
	FullList         string   `json:"fullList,omitempty"`
	EmulatorDelays   string   `json:"emulatorDelays"`
	ManagerArgs      []string `json:"managerArgs"`
}

// Phase is what one phase (the create wave, the steady state, the delete wave) cost.
type Phase struct {
	Seconds float64 `json:"seconds"`
	// ApplySeconds is how long sending every create (or delete) took.
	ApplySeconds float64 `json:"applySeconds,omitempty"`
	// Secrets is apply → every Secret of the object seen; Provisioned apply → its cloud
	// database available and mirrored in status; Ready apply → Ready; Gone delete → the
	// object gone; Exported apply → its scheduled snapshot exported (a run with exports).
	Secrets     *Latency `json:"secrets,omitempty"`
	Provisioned *Latency `json:"provisioned,omitempty"`
	Ready       *Latency `json:"ready,omitempty"`
	Exported    *Latency `json:"exported,omitempty"`
	Gone        *Latency `json:"gone,omitempty"`
	// AWSCalls are the emulator's counts by action, every attempt counted; OperatorAWSCalls
	// the operator's own count (rds_operator_aws_calls_total), which must agree.
	// AWSRetries are the attempts among them that the SDK sent again (an answer it did not
	// get whole), by action. On Azure they are the Azure emulator's, by resource provider
	// and SDK operation ("PostgreSQL Servers.Get"), and AWSErrors by ARM error code; the
	// operator counts no Azure calls, so OperatorAWSCalls is 0.
	AWSCalls              map[string]int `json:"awsCalls"`
	AWSRetries            map[string]int `json:"awsRetries,omitempty"`
	AWSErrors             map[string]int `json:"awsErrors,omitempty"`
	AWSCallsTotal         int            `json:"awsCallsTotal"`
	AWSCallsPerObject     float64        `json:"awsCallsPerObject"`
	OperatorAWSCalls      int            `json:"operatorAWSCalls"`
	PeakCallsPerSecond    int            `json:"peakCallsPerSecond"`
	PeakCallsPerSecond10s float64        `json:"peakCallsPerSecond10s"`
	// RateLimitDeferred counts calls given a later turn by the operator's rate limiter, and
	// RateLimitMeanDelaySeconds how long a call waited for its turn on average.
	RateLimitDeferred         int     `json:"rateLimitDeferred"`
	RateLimitMeanDelaySeconds float64 `json:"rateLimitMeanDelaySeconds"`
	Reconciles                int     `json:"reconciles"`
	OperatorCPUSeconds        float64 `json:"operatorCPUSeconds"`
	// OperatorCPUSecondsPerObject is the phase's CPU divided by N.
	OperatorCPUSecondsPerObject float64 `json:"operatorCPUSecondsPerObject"`
	OperatorPeakRSSMiB          float64 `json:"operatorPeakRSSMiB"`
	OperatorRSSMiB              float64 `json:"operatorRSSMiB"`
	// OperatorAnonMiB and OperatorFileMiB split OperatorRSSMiB at the end of the phase:
	// anonymous memory (heap, stacks, runtime) and mapped files (the binary's code and data).
	OperatorAnonMiB float64 `json:"operatorAnonMiB"`
	OperatorFileMiB float64 `json:"operatorFileMiB"`
	// ApiserverWrites are kube-apiserver's own counts (apiserver_request_total) of writes
	// on rdsdatabases, secrets, services and events, less the benchmark's own creates and
	// deletes; OperatorClientWritesPerObject is the operator's count
	// (rest_client_requests_total), which must agree.
	ApiserverWrites               map[string]int `json:"apiserverWrites"`
	ApiserverWritesPerObject      float64        `json:"apiserverWritesPerObject"`
	OperatorClientWritesPerObject float64        `json:"operatorClientWritesPerObject"`
}

// Steady is the steady state: Resyncs resync intervals in which nothing changes.
type Steady struct {
	Phase
	Resyncs        int     `json:"resyncs"`
	ResyncSeconds  float64 `json:"resyncSeconds"`
	CallsPerResync float64 `json:"callsPerResync"`
	// Refreshes is how many times the shared view listed the account in the window, and
	// CallsPerRefresh the window's calls per refresh: the cost of one look at the fleet.
	Refreshes       int     `json:"refreshes"`
	CallsPerRefresh float64 `json:"callsPerRefresh"`
	// RestorableWrites counts the status writes that moved only
	// status.backup.latestRestorableTime (the cloud moves it every 5 minutes; the status
	// follows it, to 5 minutes, each time the view lists every database): the benchmark's
	// watch tells them from the others.
	RestorableWrites int `json:"restorableWrites"`
	// Budget is the issue's ⌈N/100⌉ + 1, plus ⌈Aurora/100⌉ for the clusters' list and
	// ⌈ExportTasks/100⌉ for the list of exports. On Azure it is ⌈N/100⌉ PostgreSQL pages,
	// MySQL's one page and 1 (azureBudget).
	Budget int `json:"budget"`
	// ExportTasks is how many export tasks the account holds in the window (a run with
	// exports), and Exports what they wrote, read from the S3 stand-in as the window starts.
	ExportTasks int      `json:"exportTasks,omitempty"`
	Exports     *Exports `json:"exports,omitempty"`
	// With a feed: FeedReads, FullLists and SomeLists count the shared view's reads in the
	// window (the operator's rds_operator_cloud_view_reads_total); CallsPerFeedRead and
	// CallsPerFullList what one of each cost; OtherCalls the window's calls that are
	// neither. CallsPerHour is what an hour costs at the default intervals (a read of the
	// feed a minute, a list of every database each 30 minutes): 60 reads, 2 lists, and the
	// other calls at the window's rate. BudgetPerHour is the 60 + 2·⌈N/100⌉, and
	// 2·⌈Aurora/100⌉ for the clusters' pages in a fleet with Aurora.
	//
	// On Azure, which has no feed, FullLists and CallsPerFullList are the lists of every
	// server and their cost, and CallsPerHour is what an hour costs at the default
	// --resync (ListsPerHour lists) with the other calls at the window's rate; there is no
	// budget per hour.
	FeedReads        int     `json:"feedReads,omitempty"`
	FullLists        int     `json:"fullLists,omitempty"`
	SomeLists        int     `json:"someLists,omitempty"`
	CallsPerFeedRead float64 `json:"callsPerFeedRead,omitempty"`
	CallsPerFullList float64 `json:"callsPerFullList,omitempty"`
	OtherCalls       int     `json:"otherCalls,omitempty"`
	CallsPerHour     float64 `json:"callsPerHour,omitempty"`
	BudgetPerHour    int     `json:"budgetPerHour,omitempty"`
	ListsPerHour     int     `json:"listsPerHour,omitempty"`
}

// perHour fills the figures of a steady state with a feed from the operator's counters over
// the window (op) and the emulator's calls by action.
func (s *Steady) perHour(op map[string]float64, n, aurora int) {
	s.FeedReads, s.FullLists, s.SomeLists = int(op["view feed"]), int(op["view list"]), int(op["view some"])
	feedCalls := s.AWSCalls["DescribeEvents"]
	listCalls := s.AWSCalls["DescribeDBInstances"] + s.AWSCalls["DescribeDBClusters"]
	if s.SomeLists > 0 {
		listCalls = 0 // they cannot be told apart from the lists': count them as other calls
	}
	s.OtherCalls = s.AWSCallsTotal - feedCalls - listCalls
	if s.FeedReads > 0 {
		s.CallsPerFeedRead = round(float64(feedCalls)/float64(s.FeedReads), 2)
	}
	if s.FullLists > 0 {
		s.CallsPerFullList = round(float64(listCalls)/float64(s.FullLists), 2)
	}
	s.CallsPerHour = round(60*s.CallsPerFeedRead+2*s.CallsPerFullList+float64(s.OtherCalls)*3600/s.Seconds, 1)
	// A fleet with Aurora lists its clusters too: ⌈Aurora/100⌉ more pages a list.
	s.BudgetPerHour = 60 + 2*(pages(n)+pages(aurora))
}

// azurePerHour fills the figures of a steady state on Azure from the operator's counters
// over the window (op), the emulator's calls by action and its refreshes: without a feed,
// the view lists every server of both resource providers each --resync, so an hour costs a
// list per default resync interval. A list's cost is its pages over the refreshes the call
// log shows, both read at the same moment (the operator's count of lists is read a little
// earlier, and may miss the last).
func (s *Steady) azurePerHour(op map[string]float64) {
	s.FullLists, s.SomeLists = int(op["view list"]), int(op["view some"])
	listCalls := 0
	for a, n := range s.AWSCalls {
		if listActions[a] {
			listCalls += n
		}
	}
	s.OtherCalls = s.AWSCallsTotal - listCalls
	if s.Refreshes > 0 {
		s.CallsPerFullList = round(float64(listCalls)/float64(s.Refreshes), 2)
	}
	s.ListsPerHour = int(time.Hour / controller.DefaultDefaults.Resync)
	s.CallsPerHour = round(float64(s.ListsPerHour)*s.CallsPerFullList+float64(s.OtherCalls)*3600/s.Seconds, 1)
}

// Drift is what the drifts cost and how soon each was repaired.
type Drift struct {
	// Class and Password are tamper → the operator's ModifyDBInstance of the database, for
	// a class changed and a master password reset at the console.
	Class    *Latency `json:"class"`
	Password *Latency `json:"password"`
	// Repaired counts the drifts repaired; Count those made.
	Count, Repaired int
	// AWSCalls are the calls of the phase by action; FullLists the lists of every
	// database in it (the operator's count): 0 means every drift was found through the feed.
	AWSCalls  map[string]int `json:"awsCalls"`
	FullLists int            `json:"fullLists"`
	Seconds   float64        `json:"seconds"`
}

// Target is one of the targets, with the measured figure.
type Target struct {
	Name     string `json:"name"`
	Target   string `json:"target"`
	Measured string `json:"measured"`
	Met      bool   `json:"met"`
}

// createStates are the states an object passes through in the create wave without an
// engine: Pending (Secrets written), creating, backing-up, available (Provisioned), and the
// engine step that cannot log in.
const createStates = 5

// azureCreateStates are those of a create wave on Azure, which has no backing-up: Pending,
// the server being made, Ready (Provisioned), and the engine step.
const azureCreateStates = 4

// exportStates are the states a create wave with exports adds, each shown in status.backup:
// the snapshot taken, and each of the two exports (the automated backup's, the snapshot's)
// starting, in progress and complete.
const exportStates = 7

// deleteStates are those of the delete wave: Deleting, the cloud database deleting, gone.
const deleteStates = 3

// cloudName names the run's cloud in the table and the targets: "AWS" or "Azure".
func (r *Result) cloudName() string {
	if r.Settings.Cloud == v1.ProviderAzure {
		return "Azure"
	}
	return "AWS"
}

// Evaluate fills Targets from the figures.
func (r *Result) Evaluate() {
	r.Targets = nil
	calls := r.cloudName() + " calls"
	add := func(name, target, measured string, met bool) {
		r.Targets = append(r.Targets, Target{Name: name, Target: target, Measured: measured, Met: met})
	}
	if c := r.Create; c != nil && c.Secrets != nil {
		// The targets: under a second at 1,000 objects, under two at 10,000.
		want := 1.0
		if r.N > 1000 {
			want = 2
		}
		add("apply → all Secrets, p99", fmt.Sprintf("< %.0f s", want), fmt.Sprintf("%.2f s", c.Secrets.P99), c.Secrets.P99 < want)
		if r.Settings.Exports {
			// The database's own calls, then its backups': the shared list of exports is
			// the steady state's target, per refresh.
			backups, lists := backupCalls(c.AWSCalls), c.AWSCalls["DescribeExportTasks"]
			own := round(float64(c.AWSCallsTotal-backups-lists)/float64(r.N), 2)
			add("create wave: AWS calls per database, backups aside", "≤ 3", fmt.Sprintf("%.2f", own), own <= 3)
			per := round(float64(backups)/float64(r.N), 2)
			add("create wave: backup and export calls per database, the shared list of exports aside", fmt.Sprintf("≤ %d", backupCallsBudget),
				fmt.Sprintf("%.2f (%d calls; %d list pages of exports)", per, backups, lists), per <= backupCallsBudget)
		} else {
			add("create wave: "+calls+" per database", "≤ 3", fmt.Sprintf("%.2f", c.AWSCallsPerObject), c.AWSCallsPerObject <= 3)
		}
		add("create wave: sustained calls/s (peak 10 s mean)", "≤ 12", fmt.Sprintf("%.1f", c.PeakCallsPerSecond10s), c.PeakCallsPerSecond10s <= 12)
		add("create wave: operator CPU per database", "< 1 core-s", fmt.Sprintf("%.3f s", c.OperatorCPUSecondsPerObject), c.OperatorCPUSecondsPerObject < 1)
		states := createStates
		if r.Settings.Cloud == v1.ProviderAzure {
			states = azureCreateStates
		}
		if r.Settings.Exports {
			states += exportStates
		}
		per := c.ApiserverWritesPerObject / float64(states)
		add("create wave: apiserver writes per object per state change", "a handful (≤ 3)", fmt.Sprintf("%.2f (%.1f per object, %d states)", per, c.ApiserverWritesPerObject, states), per <= 3)
	}
	if s := r.Steady; s != nil {
		// A resync is one refresh of the shared view: its cost is the calls per refresh.
		formula := "⌈N/100⌉+⌈Aurora/100⌉+1"
		switch {
		case r.Settings.Cloud == v1.ProviderAzure:
			formula = "⌈N/100⌉ PostgreSQL pages + 1 MySQL page + 1"
		case r.Settings.Exports:
			formula = fmt.Sprintf("⌈N/100⌉+⌈Aurora/100⌉+⌈E/100⌉+1 (E = %d export tasks)", s.ExportTasks)
		}
		add("steady state: "+calls+" per resync (per refresh of the view)", fmt.Sprintf("≤ %s = %d", formula, s.Budget),
			fmt.Sprintf("%.2f (%d refreshes; %.2f per %.0f s interval)", s.CallsPerRefresh, s.Refreshes, s.CallsPerResync, s.ResyncSeconds),
			s.Refreshes > 0 && s.CallsPerRefresh <= float64(s.Budget))
		if s.BudgetPerHour > 0 {
			formula := "60 + 2·⌈N/100⌉"
			if r.Settings.Aurora > 0 {
				formula += " + 2·⌈Aurora/100⌉"
			}
			add("steady state: AWS calls per hour (feed each minute, every database listed each 30 minutes)", fmt.Sprintf("≤ %s = %d", formula, s.BudgetPerHour),
				fmt.Sprintf("%.1f (%.2f per read of the feed, %d reads; %.2f per list, %d lists; %d other calls in %.0f s)",
					s.CallsPerHour, s.CallsPerFeedRead, s.FeedReads, s.CallsPerFullList, s.FullLists, s.OtherCalls, s.Seconds),
				s.FeedReads > 0 && s.FullLists > 0 && s.CallsPerHour <= float64(s.BudgetPerHour))
		}
		other := s.ApiserverWritesPerObject - float64(s.RestorableWrites)/float64(r.N)
		add("steady state: apiserver writes per object, besides following the restorable time", "0",
			fmt.Sprintf("%.2f (%.2f in all; %d moved only status.backup.latestRestorableTime)", other, s.ApiserverWritesPerObject, s.RestorableWrites),
			other < 0.005)
	}
	if d := r.Delete; d != nil {
		add("delete wave: sustained calls/s (peak 10 s mean)", "≤ 12", fmt.Sprintf("%.1f", d.PeakCallsPerSecond10s), d.PeakCallsPerSecond10s <= 12)
		per := d.ApiserverWritesPerObject / deleteStates
		add("delete wave: apiserver writes per object per state change", "a handful (≤ 3)", fmt.Sprintf("%.2f (%.1f per object, %d states)", per, d.ApiserverWritesPerObject, deleteStates), per <= 3)
	}
	if d := r.Drift; d != nil {
		for _, l := range []struct {
			what string
			lat  *Latency
		}{{"a class changed at the console", d.Class}, {"a master password reset at the console", d.Password}} {
			if l.lat == nil {
				continue
			}
			add("drift → repaired, p99: "+l.what, "< 90 s", fmt.Sprintf("%.1f s (%d drifts, max %.1f s)", l.lat.P99, l.lat.Count, l.lat.Max),
				l.lat.Count > 0 && l.lat.P99 < 90)
		}
		add("drifts repaired, through the feed (no list of every database between)", fmt.Sprintf("%d of %d, 0 lists", d.Count, d.Count),
			fmt.Sprintf("%d of %d, %d lists", d.Repaired, d.Count, d.FullLists), d.Repaired == d.Count && d.FullLists == 0)
	}
	if r.N <= 1000 {
		add(fmt.Sprintf("operator peak RSS at %d objects", r.N), "< 64 MiB",
			fmt.Sprintf("%.1f MiB (of it up to %.1f MiB anonymous, %.1f MiB the binary's pages)", r.OperatorPeakRSSMiB, r.OperatorPeakAnonMiB, r.OperatorPeakFileMiB),
			r.OperatorPeakRSSMiB > 0 && r.OperatorPeakRSSMiB < 64)
	}
	add(fmt.Sprintf("operator peak anonymous memory at %d objects", r.N), "< 64 MiB",
		fmt.Sprintf("%.1f MiB (peak RSS %.1f MiB with up to %.1f MiB of the binary's pages)", r.OperatorPeakAnonMiB, r.OperatorPeakRSSMiB, r.OperatorPeakFileMiB),
		r.OperatorPeakAnonMiB > 0 && r.OperatorPeakAnonMiB < 64)
}

// Write writes r as indented JSON to path.
func (r *Result) Write(path string) error {
	r.Evaluate()
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

// Table renders r for a person: the figures of each phase side by side, then the targets.
func (r *Result) Table() string {
	r.Evaluate()
	var b strings.Builder
	fleet := ""
	if r.Settings.Aurora > 0 {
		fleet = fmt.Sprintf(" (%d of them Aurora PostgreSQL clusters)", r.Settings.Aurora)
	}
	emulator := "emulator"
	if r.Settings.Cloud == v1.ProviderAzure {
		fleet += fmt.Sprintf(" on Azure (DatabaseClass %s)", r.Settings.Class)
		emulator = "azure-emulator"
	}
	calls := r.cloudName() + " calls"
	fmt.Fprintf(&b, "aws-rds-operator bench: %d RDSDatabases%s, %d Secrets each; %s; %s\n", r.N, fleet, r.Settings.SecretsPerObject, r.Machine, r.Date)
	fmt.Fprintf(&b, "%s without engines, %s; operator %s\n\n", emulator, r.Settings.EmulatorDelays, strings.Join(r.Settings.ManagerArgs, " "))
	c, d := r.Create, r.Delete
	var s *Phase
	if r.Steady != nil {
		s = &r.Steady.Phase
	}
	rows := [][4]string{{"", "create wave", "steady state", "delete wave"}}
	row := func(name string, f func(p *Phase) string) {
		cell := func(p *Phase) string {
			if p == nil {
				return "-"
			}
			return f(p)
		}
		rows = append(rows, [4]string{name, cell(c), cell(s), cell(d)})
	}
	lat := func(l *Latency) string {
		if l == nil || l.Count == 0 {
			return "-"
		}
		return fmt.Sprintf("%.2f / %.2f / %.2f s", l.P50, l.P99, l.Max)
	}
	row("duration", func(p *Phase) string { return fmt.Sprintf("%.0f s", p.Seconds) })
	row("apply → all Secrets (p50/p99/max)", func(p *Phase) string { return lat(p.Secrets) })
	row("apply → Provisioned (p50/p99/max)", func(p *Phase) string { return lat(p.Provisioned) })
	row("apply → Ready (p50/p99/max)", func(p *Phase) string {
		if p.Ready == nil {
			return "-"
		}
		if p.Ready.Count == 0 {
			return "never (no engine)"
		}
		return lat(p.Ready)
	})
	if r.Settings.Exports {
		row("apply → snapshot exported (p50/p99/max)", func(p *Phase) string { return lat(p.Exported) })
	}
	row("delete → gone (p50/p99/max)", func(p *Phase) string { return lat(p.Gone) })
	row(calls, func(p *Phase) string {
		if r.Settings.Cloud == v1.ProviderAzure {
			return fmt.Sprintf("%d (the operator counts none)", p.AWSCallsTotal)
		}
		return fmt.Sprintf("%d (operator counted %d)", p.AWSCallsTotal, p.OperatorAWSCalls)
	})
	row(calls+" per database", func(p *Phase) string { return fmt.Sprintf("%.2f", p.AWSCallsPerObject) })
	for _, action := range actions(c, s, d) {
		row("  "+action, func(p *Phase) string { return fmt.Sprintf("%d", p.AWSCalls[action]) })
	}
	row(r.cloudName()+" errors", func(p *Phase) string { return fmt.Sprintf("%v", p.AWSErrors) })
	row("peak calls/s (1 s / 10 s mean)", func(p *Phase) string {
		return fmt.Sprintf("%d / %.1f", p.PeakCallsPerSecond, p.PeakCallsPerSecond10s)
	})
	row("calls given a later turn (mean wait)", func(p *Phase) string {
		return fmt.Sprintf("%d (%.1f s)", p.RateLimitDeferred, p.RateLimitMeanDelaySeconds)
	})
	if r.Steady != nil && r.Steady.Exports != nil {
		e := r.Steady.Exports
		rows = append(rows, [4]string{"exports in the bucket", "", fmt.Sprintf("%d complete, %d objects, %d bytes (%.0f per export)",
			e.Completed, e.Objects, e.Bytes, e.MeanBytes), ""})
	}
	if r.Steady != nil {
		rows = append(rows, [4]string{calls + " per resync", "", fmt.Sprintf("%.2f per refresh (%d refreshes); %.2f per interval over %d resyncs of %.0f s",
			r.Steady.CallsPerRefresh, r.Steady.Refreshes, r.Steady.CallsPerResync, r.Steady.Resyncs, r.Steady.ResyncSeconds), ""})
	}
	if st := r.Steady; st != nil && st.ListsPerHour > 0 {
		rows = append(rows, [4]string{fmt.Sprintf("%s per hour (no feed: a list each %s, the default --resync)", calls, controller.DefaultDefaults.Resync), "",
			fmt.Sprintf("%.1f: %.2f per list (%d lists), %d other calls in %.0f s", st.CallsPerHour, st.CallsPerFullList, st.FullLists, st.OtherCalls, st.Seconds), ""})
	}
	if st := r.Steady; st != nil && st.BudgetPerHour > 0 {
		rows = append(rows, [4]string{"AWS calls per hour (feed 1 min, lists 30 min)", "", fmt.Sprintf("%.1f: %.2f per read of the feed (%d reads), %.2f per list (%d lists), %d other calls in %.0f s",
			st.CallsPerHour, st.CallsPerFeedRead, st.FeedReads, st.CallsPerFullList, st.FullLists, st.OtherCalls, st.Seconds), ""})
	}
	if d := r.Drift; d != nil {
		rows = append(rows, [4]string{"drift → repaired, class (p50/p99/max)", "", lat(d.Class), ""},
			[4]string{"drift → repaired, password (p50/p99/max)", "", lat(d.Password), ""},
			[4]string{"drifts repaired (lists of every database meanwhile)", "", fmt.Sprintf("%d of %d (%d lists; calls %v)", d.Repaired, d.Count, d.FullLists, d.AWSCalls), ""})
	}
	row("reconciles", func(p *Phase) string { return fmt.Sprintf("%d", p.Reconciles) })
	row("operator CPU (per database)", func(p *Phase) string {
		return fmt.Sprintf("%.1f s (%.3f s)", p.OperatorCPUSeconds, p.OperatorCPUSecondsPerObject)
	})
	row("operator RSS now / peak", func(p *Phase) string { return fmt.Sprintf("%.0f / %.0f MiB", p.OperatorRSSMiB, p.OperatorPeakRSSMiB) })
	row("  of it now: anonymous / files", func(p *Phase) string {
		return fmt.Sprintf("%.0f / %.0f MiB", p.OperatorAnonMiB, p.OperatorFileMiB)
	})
	row("apiserver writes per object", func(p *Phase) string {
		return fmt.Sprintf("%.2f (operator counted %.2f)", p.ApiserverWritesPerObject, p.OperatorClientWritesPerObject)
	})
	for _, k := range writeKinds(c, s, d) {
		row("  "+k, func(p *Phase) string { return fmt.Sprintf("%.2f", float64(p.ApiserverWrites[k])/float64(r.N)) })
	}
	writeRows(&b, rows)
	b.WriteString("\n")
	trows := [][4]string{{"target", "wanted", "measured", "met"}}
	for _, t := range r.Targets {
		met := "yes"
		if !t.Met {
			met = "NO"
		}
		trows = append(trows, [4]string{t.Name, t.Target, t.Measured, met})
	}
	writeRows(&b, trows)
	return b.String()
}

// backupActions are the AWS actions one database's backups and exports make; the shared
// list of exports (DescribeExportTasks) is the whole fleet's.
var backupActions = map[string]bool{
	"CreateDBSnapshot": true, "CreateDBClusterSnapshot": true, "DescribeDBSnapshots": true, "DescribeDBClusterSnapshots": true,
	"DeleteDBSnapshot": true, "DeleteDBClusterSnapshot": true, "StartExportTask": true,
}

// backupCallsBudget is the most backup and export calls per database a create wave with
// exports may take: a snapshot, the list of its snapshots to prune, the list of its
// automated backups, two exports started (the automated backup's and the snapshot's), and
// up to two look-ups of the snapshot while it is being taken (docs/benchmarks.md).
const backupCallsBudget = 7

// backupCalls sums the calls of backupActions.
func backupCalls(calls map[string]int) int {
	n := 0
	for a, c := range calls {
		if backupActions[a] {
			n += c
		}
	}
	return n
}

func actions(phases ...*Phase) []string {
	set := map[string]bool{}
	for _, p := range phases {
		if p != nil {
			for a := range p.AWSCalls {
				set[a] = true
			}
		}
	}
	return sortedSet(set)
}

func writeKinds(phases ...*Phase) []string {
	set := map[string]bool{}
	for _, p := range phases {
		if p != nil {
			for k := range p.ApiserverWrites {
				set[k] = true
			}
		}
	}
	return sortedSet(set)
}

func sortedSet(set map[string]bool) []string {
	out := make([]string, 0, len(set))
	for k := range set {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// writeRows prints rows as a Markdown table, so the same text goes into docs/benchmarks.md.
func writeRows(b *strings.Builder, rows [][4]string) {
	width := [4]int{}
	for _, r := range rows {
		for i, c := range r {
			width[i] = max(width[i], len([]rune(c)))
		}
	}
	for n, r := range rows {
		b.WriteString("|")
		for i, c := range r {
			fmt.Fprintf(b, " %s%s |", c, strings.Repeat(" ", width[i]-len([]rune(c))))
		}
		b.WriteString("\n")
		if n == 0 {
			b.WriteString("|")
			for i := range r {
				fmt.Fprintf(b, " %s |", strings.Repeat("-", max(width[i], 3)))
			}
			b.WriteString("\n")
		}
	}
}
