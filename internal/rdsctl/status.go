package rdsctl

import (
	"context"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/duration"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/matrixmind-cloud/aws-rds-operator/api/v1"
)

var statusCommand = command{
	name: "status", object: true,
	args:    "NAME [-o text|json|yaml]",
	summary: "A database on one screen: cloud, conditions, users, backups.",
	example: "  kubectl rds status orders -n shop\n  kubectl rds status orders -o yaml",
	flags: func(fs *flag.FlagSet) func(context.Context, *env, []string) error {
		out := outputFlag(fs)
		return func(ctx context.Context, e *env, names []string) error {
			name, err := oneName(names)
			if err != nil {
				return err
			}
			if err := out.check(); err != nil {
				return err
			}
			r, err := e.report(ctx, name)
			if err != nil {
				return err
			}
			return out.print(e.stdout, r, func() error { return r.print(e.stdout, e.now()) })
		}
	},
}

// maxEvents is how many of the newest Events status shows.
const maxEvents = 8

// Report is what status shows of a database.
type Report struct {
	Name      string                   `json:"name"`
	Namespace string                   `json:"namespace"`
	Class     string                   `json:"class,omitempty"`
	Provider  string                   `json:"provider,omitempty"`
	Phase     string                   `json:"phase,omitempty"`
	Type      string                   `json:"type"`
	Cloud     *v1.CloudStatus          `json:"cloud,omitempty"`
	Service   string                   `json:"service,omitempty"`
	Reader    string                   `json:"readerService,omitempty"`
	Conds     []metav1.Condition       `json:"conditions,omitempty"`
	Users     []v1.UserAccess          `json:"users,omitempty"`
	Replicas  []v1.ReplicaStatus       `json:"replicas,omitempty"`
	Members   []v1.ClusterMemberStatus `json:"members,omitempty"`
	Backup    *v1.BackupStatus         `json:"backup,omitempty"`
	Events    []EventLine              `json:"events,omitempty"`
}

// EventLine is one Event about the database.
type EventLine struct {
	Type    string    `json:"type"`
	Reason  string    `json:"reason"`
	Message string    `json:"message"`
	Count   int32     `json:"count,omitempty"`
	Last    time.Time `json:"last"`
}

// report gathers what status shows of the RDSDatabase name: the object and its newest Events.
func (e *env) report(ctx context.Context, name string) (*Report, error) {
	db, err := e.getDatabase(ctx, name)
	if err != nil {
		return nil, err
	}
	r := &Report{Name: db.Name, Namespace: db.Namespace, Class: db.Status.Class, Provider: db.Status.Provider, Phase: db.Status.Phase,
		Type: orDefault(string(db.Spec.Type), "postgresql"), Cloud: db.Status.Cloud, Service: db.Status.Service, Reader: db.Status.ReaderService,
		Conds: db.Status.Conditions, Users: db.Status.Users, Replicas: db.Status.Replicas, Members: db.Status.Members, Backup: db.Status.Backup}
	var events corev1.EventList
	err = e.client.List(ctx, &events, client.InNamespace(db.Namespace),
		client.MatchingFields{"involvedObject.name": db.Name, "involvedObject.kind": "RDSDatabase"})
	if err != nil {
		// Events are a help, not the point: someone who may read the object but not
		// its Events still gets the rest.
		fmt.Fprintf(e.stderr, "warning: no Events shown: %v\n", explain(err, "events of rdsdatabase", db.Namespace, db.Name))
	}
	for _, ev := range events.Items {
		if ev.InvolvedObject.UID != "" && ev.InvolvedObject.UID != db.UID {
			continue // an earlier object of the same name
		}
		r.Events = append(r.Events, EventLine{Type: ev.Type, Reason: ev.Reason, Message: ev.Message, Count: ev.Count, Last: eventTime(ev)})
	}
	slices.SortStableFunc(r.Events, func(a, b EventLine) int { return a.Last.Compare(b.Last) })
	if len(r.Events) > maxEvents {
		r.Events = r.Events[len(r.Events)-maxEvents:]
	}
	return r, nil
}

// eventTime is when ev last happened.
func eventTime(ev corev1.Event) time.Time {
	var series time.Time
	if ev.Series != nil {
		series = ev.Series.LastObservedTime.Time
	}
	for _, t := range []time.Time{ev.LastTimestamp.Time, series, ev.EventTime.Time, ev.FirstTimestamp.Time, ev.CreationTimestamp.Time} {
		if !t.IsZero() {
			return t
		}
	}
	return time.Time{}
}

// width is the screen width status keeps to.
const width = 80

// print writes the report for a person, within 80 columns.
func (r *Report) print(w io.Writer, now time.Time) error {
	ago := func(t time.Time) string { return age(now, t) }
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	line := func(format string, a ...any) { fmt.Fprintf(tw, format+"\n", a...) }
	line("Name:\t%s/%s", r.Namespace, r.Name)
	switch {
	case r.Class != "":
		line("Class:\t%s (%s)", r.Class, r.Provider)
	case r.Provider != "":
		line("Class:\tnone: the operator's own %s settings", r.Provider)
	}
	line("Phase:\t%s", orDefault(r.Phase, "-"))
	if c := r.Cloud; c != nil {
		line("Cloud:\t%s", c.Identifier)
		line("Status:\t%s", orDefault(c.Status, "unknown"))
		engine := strings.TrimSpace(strings.Join([]string{c.Engine, c.EngineVersion, c.InstanceClass, gib(c.AllocatedStorageGiB)}, " "))
		line("Engine:\t%s", engine)
		if c.Endpoint != "" {
			line("Endpoint:\t%s:%d", c.Endpoint, c.Port)
		}
		if r.Service != "" {
			line("Service:\t%s", r.Service)
		}
		var traits []string
		if c.MultiAZ {
			traits = append(traits, "multi-AZ")
		}
		if c.AvailabilityZone != "" {
			traits = append(traits, "zone "+c.AvailabilityZone)
		}
		if c.StorageEncrypted {
			traits = append(traits, "encrypted")
		}
		if len(c.PendingModifications) > 0 {
			traits = append(traits, "pending: "+strings.Join(c.PendingModifications, ", "))
		}
		if len(traits) > 0 {
			line("Placement:\t%s", strings.Join(traits, ", "))
		}
	} else {
		line("Engine:\t%s (not in the cloud yet)", r.Type)
	}
	if err := tw.Flush(); err != nil {
		return err
	}

	section(w, "Conditions")
	table(w, []string{"TYPE", "STATUS", "REASON", "AGE", "MESSAGE"}, len(r.Conds), func(i int) []string {
		c := r.Conds[i]
		return []string{c.Type, string(c.Status), c.Reason, ago(c.LastTransitionTime.Time), c.Message}
	})
	if len(r.Users) > 0 {
		section(w, "Users (last login check)")
		table(w, []string{"USER", "LOGIN", "CHECKED", "REASON"}, len(r.Users), func(i int) []string {
			u := r.Users[i]
			return []string{u.Name, map[bool]string{true: "ok", false: "FAILED"}[u.OK], ago(u.LastChecked.Time), u.Reason}
		})
	}
	if len(r.Replicas) > 0 {
		section(w, "Read replicas"+via(r.Reader))
		table(w, []string{"IDENTIFIER", "ZONE", "STATUS", "READY"}, len(r.Replicas), func(i int) []string {
			x := r.Replicas[i]
			return []string{x.Identifier, orDefault(x.AvailabilityZone, "-"), x.Status, yesNo(x.Ready)}
		})
	}
	if len(r.Members) > 0 {
		section(w, "Cluster members"+via(r.Reader))
		table(w, []string{"IDENTIFIER", "ROLE", "ZONE", "STATUS", "READY"}, len(r.Members), func(i int) []string {
			x := r.Members[i]
			return []string{x.Identifier, x.Role, orDefault(x.AvailabilityZone, "-"), x.Status, yesNo(x.Ready)}
		})
	}
	section(w, "Backups")
	b := r.Backup
	switch {
	case b == nil:
		fmt.Fprintln(w, "  none yet")
	default:
		// Identifiers go on lines of their own: they are needed whole, and up to 63
		// characters long.
		mode := b.Mode
		if b.NextSnapshotTime != nil {
			mode += ", next " + next(now, b.NextSnapshotTime.Time)
		}
		fmt.Fprintf(w, "  Mode: %s\n", mode)
		if b.LatestRestorableTime != nil {
			fmt.Fprintf(w, "  Restorable to: %s (%s ago)\n", b.LatestRestorableTime.UTC().Format(time.RFC3339), ago(b.LatestRestorableTime.Time))
		}
		if b.LatestSnapshot != "" {
			fmt.Fprintf(w, "  Latest, %s ago:\n    %s\n", ago(timeOf(b.LatestSnapshotTime)), b.LatestSnapshot)
		}
		if m := b.LastManualSnapshot; m != nil {
			state := orDefault(m.Status, "asked")
			if m.Complete {
				state = "complete"
			}
			fmt.Fprintf(w, "  On demand, %s ago, %s:\n    %s\n", ago(timeOf(m.RequestedAt)), state, m.Snapshot)
		}
		if x := b.LastExport; x != nil {
			fmt.Fprintf(w, "  Last export, %s %d%%:\n    %s\n", x.Status, x.Percent, x.Task)
			if x.FailureCause != "" {
				fmt.Fprintf(w, "    %s\n", clip(oneLine(x.FailureCause), width-4))
			}
		}
	}
	section(w, "Events")
	table(w, []string{"AGE", "TYPE", "REASON", "MESSAGE"}, len(r.Events), func(i int) []string {
		ev := r.Events[i]
		return []string{ago(ev.Last), ev.Type, ev.Reason, ev.Message}
	})
	return nil
}

// age says how long ago t was, "-" for no time; a time ahead of now (a clock apart) is 0s.
func age(now, t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return duration.HumanDuration(max(now.Sub(t), 0))
}

// section starts a titled block.
func section(w io.Writer, title string) { fmt.Fprintf(w, "\n%s:\n", title) }

// table writes rows under a header, indented, the last column cut so each line fits in
// width; "none" when there are no rows.
func table(w io.Writer, header []string, n int, row func(i int) []string) {
	writeTable(w, header, n, row, true)
}

// writeTable is table, cutting the last column only when clipLast.
func writeTable(w io.Writer, header []string, n int, row func(i int) []string, clipLast bool) {
	if n == 0 {
		fmt.Fprintln(w, "  none")
		return
	}
	rows := [][]string{header}
	for i := range n {
		rows = append(rows, row(i))
	}
	// Column widths but the last, then what is left for the last.
	widths := make([]int, len(header))
	for _, r := range rows {
		for j, cell := range r[:len(r)-1] {
			widths[j] = max(widths[j], len(cell))
		}
	}
	left := width - 2
	for _, wd := range widths[:len(widths)-1] {
		left -= wd + 2
	}
	for _, r := range rows {
		var b strings.Builder
		b.WriteString("  ")
		for j, cell := range r[:len(r)-1] {
			fmt.Fprintf(&b, "%-*s  ", widths[j], cell)
		}
		last := oneLine(r[len(r)-1])
		if clipLast {
			last = clip(last, max(left, 10))
		}
		b.WriteString(last)
		fmt.Fprintln(w, strings.TrimRight(b.String(), " "))
	}
}

// clip cuts s to n characters, marking the cut.
func clip(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}

// oneLine joins s's lines.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func gib(n int32) string {
	if n == 0 {
		return ""
	}
	return fmt.Sprintf("%d GiB", n)
}

// via names the Service in front of an endpoint.
func via(service string) string {
	if service == "" {
		return ""
	}
	return " (Service " + service + ")"
}

func timeOf(t *metav1.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.Time
}

// next says when t is, from now.
func next(now, t time.Time) string {
	if d := t.Sub(now); d > 0 {
		return "in " + duration.HumanDuration(d)
	}
	return "due now"
}
