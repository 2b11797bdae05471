package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/matrixmind-cloud/aws-rds-operator/api/v1"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/logapi"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/rdsctl"
	"github.com/matrixmind-cloud/aws-rds-operator/test/harness"
)

// TestPlugin is kubectl rds as a team member runs it with a kubeconfig of their own, on a
// database of the local stack: status, psql, rotate, backups and restore do what they
// say; someone without rights, or asking for an object that is not there, is told so.
func TestPlugin(t *testing.T) {
	ctx := context.Background()
	ns := namespace(t, "plugin")
	db := &v1.RDSDatabase{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "orders"}}
	db.Spec.Size = "20GB"
	db.Spec.DeletionPolicy = v1.DeletionDelete
	db.Spec.Backup = v1.Backup{Every: "6h", Retention: "1d"}
	db.Spec.Users = map[string]v1.UserRoles{"app": {}}
	db.Spec.Databases = map[string]v1.DatabaseUsers{"orders": {"app"}}
	if err := stack.Client.Create(ctx, db); err != nil {
		t.Fatal(err)
	}
	waitReady(t, db)
	snapshot := waitLatestSnapshot(t, db, "")
	// The snapshot puts the database in backing-up for a moment, and the event feed shows
	// that within a second: the status below is read once it is available again.
	waitCloudStatus(t, db, "available")

	grant(t, ns, "plugin-user", "carol",
		rbacv1.PolicyRule{APIGroups: []string{v1.GroupVersion.Group}, Resources: []string{"rdsdatabases"}, Verbs: []string{"get", "list", "patch", "create"}},
		rbacv1.PolicyRule{APIGroups: []string{""}, Resources: []string{"secrets"}, Verbs: []string{"get"}},
		rbacv1.PolicyRule{APIGroups: []string{""}, Resources: []string{"events"}, Verbs: []string{"list"}},
		rbacv1.PolicyRule{APIGroups: []string{logapi.Group}, Resources: []string{"rdsdatabases/backups"}, Verbs: []string{"get"}})
	carolCfg, err := stack.UserConfig("carol")
	if err != nil {
		t.Fatal(err)
	}
	daveCfg, err := stack.UserConfig("dave")
	if err != nil {
		t.Fatal(err)
	}
	carol, dave := writeKubeconfig(t, carolCfg), writeKubeconfig(t, daveCfg)
	kubectlRDS := func(kubeconfig string, args ...string) (int, string, string) {
		var out, errs bytes.Buffer
		// The connection flags go right after the command, before a "--" or the word
		// being completed.
		full := append([]string{args[0], "-n", ns, "--kubeconfig", kubeconfig}, args[1:]...)
		code := rdsctl.Run(ctx, full, &out, &errs)
		return code, out.String(), errs.String()
	}

	t.Run("Status", func(t *testing.T) {
		// The snapshot's backing-up may be seen after the status read above said
		// available (the status said so before the cloud began the snapshot): the screen
		// is read once it says available again.
		var code int
		var out, errs string
		available := regexp.MustCompile(`(?m)^Status: +available$`)
		_ = harness.WaitFor(ctx, readyTimeout, func(context.Context) (bool, error) {
			code, out, errs = kubectlRDS(carol, "status", "orders")
			return code != 0 || available.MatchString(out), nil
		})
		if code != 0 {
			t.Fatalf("status: exit %d: %s", code, errs)
		}
		for _, want := range []*regexp.Regexp{
			regexp.MustCompile(`(?m)^Name: +` + ns + `/orders$`),
			regexp.MustCompile(`(?m)^Phase: +Ready$`),
			regexp.MustCompile(`(?m)^Cloud: +\S+\nStatus: +available$`),
			regexp.MustCompile(`(?m)^Engine: +postgres 1[4-8](\.\d+)? \S+ 20 GiB$`),
			regexp.MustCompile(`(?m)^  Ready +True +\S+ +\S+ `),
			regexp.MustCompile(`(?m)^  app +ok +\S+`),
			regexp.MustCompile(`(?m)^  Latest, \S+ ago:\n    ` + regexp.QuoteMeta(snapshot) + `$`),
			regexp.MustCompile(`(?m)^Events:\n  AGE +TYPE +REASON +MESSAGE\n  \S+ +Normal `),
		} {
			if !want.MatchString(out) {
				t.Errorf("status lacks %s:\n%s", want, out)
			}
		}
		for _, line := range strings.Split(out, "\n") {
			if len([]rune(line)) > 80 {
				t.Errorf("a line over 80 columns: %q", line)
			}
		}
		// Everything but the Events (whose order within a second is the apiserver's) is
		// compared with its golden file, the parts that differ from run to run masked.
		screen, _, _ := strings.Cut(out, "\nEvents:\n")
		masked := maskStatus(screen, ns, db.Name, snapshot)
		golden := filepath.Join("testdata", "plugin-status.golden")
		if *updateGolden {
			if err := os.WriteFile(golden, []byte(masked), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		want, err := os.ReadFile(golden)
		if err != nil {
			t.Fatal(err)
		}
		if masked != string(want) {
			t.Errorf("status differs from %s (go test -run TestPlugin -update-golden rewrites it):\n%s", golden, masked)
		}
		code, out, errs = kubectlRDS(carol, "status", "orders", "-o", "json")
		var r rdsctl.Report
		if err := json.Unmarshal([]byte(out), &r); code != 0 || err != nil || r.Phase != "Ready" || r.Cloud == nil || len(r.Events) == 0 {
			t.Errorf("status -o json: exit %d, %v, %+v; stderr %s", code, err, r, errs)
		}
	})

	t.Run("Psql", func(t *testing.T) {
		if _, err := exec.LookPath("psql"); err != nil {
			if m, _ := filepath.Glob("/usr/lib/postgresql/*/bin/psql"); len(m) == 0 {
				t.Skip("no psql here")
			}
		}
		code, out, errs := kubectlRDS(carol, "psql", "orders", "--user", "app", "--", "-Atc", "select current_user || '@' || current_database()")
		if code != 0 || strings.TrimSpace(out) != "app@orders" {
			t.Errorf("psql as app: exit %d, %q; stderr %s", code, out, errs)
		}
		if code, _, errs := kubectlRDS(carol, "psql", "orders", "--read-only"); code != 1 || !strings.Contains(errs, "no readers") {
			t.Errorf("psql --read-only without readers: exit %d, %s; want 1 saying there are no readers", code, errs)
		}
	})

	t.Run("Rotate", func(t *testing.T) {
		before := secretData(t, ns, "orders.rds.app")
		code, out, errs := kubectlRDS(carol, "rotate", "orders", "--user", "app", "--timeout", readyTimeout.String())
		if code != 0 || !strings.Contains(out, "logs in") {
			t.Fatalf("rotate: exit %d, %s; stderr %s", code, out, errs)
		}
		after := secretData(t, ns, "orders.rds.app")
		if bytes.Equal(before["password"], after["password"]) {
			t.Error("the password did not change")
		}
		if err := logsIn(ctx, string(after["uri"]), ""); err != nil {
			t.Errorf("the new password does not log in: %v", err)
		}
	})

	var manual string
	t.Run("Snapshot", func(t *testing.T) {
		code, out, errs := kubectlRDS(carol, "snapshot", "orders", "--timeout", readyTimeout.String())
		m := regexp.MustCompile(`(?m)^snapshot (\S+) is complete$`).FindStringSubmatch(out)
		if code != 0 || m == nil {
			t.Fatalf("snapshot: exit %d, %s; stderr %s", code, out, errs)
		}
		manual = m[1]
	})

	t.Run("Backups", func(t *testing.T) {
		code, out, errs := kubectlRDS(carol, "backups", "orders")
		for _, want := range []string{`scheduled +available +` + regexp.QuoteMeta(snapshot), `manual +available +` + regexp.QuoteMeta(manual)} {
			if code != 0 || !regexp.MustCompile(`(?m)^  \S+ +`+want+`$`).MatchString(out) {
				t.Errorf("backups: exit %d, want a line matching %s:\n%s%s", code, want, out, errs)
			}
		}
	})

	t.Run("Restore", func(t *testing.T) {
		code, out, errs := kubectlRDS(carol, "restore", "orders", "--from", snapshot, "--to", "orders-copy")
		if code != 0 || !strings.Contains(out, "orders-copy created") {
			t.Fatalf("restore: exit %d, %s; stderr %s", code, out, errs)
		}
		copied := &v1.RDSDatabase{}
		if err := stack.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: "orders-copy"}, copied); err != nil {
			t.Fatal(err)
		}
		if copied.Spec.RestoreFrom == nil || copied.Spec.RestoreFrom.Snapshot != snapshot || copied.Spec.Size != "20GB" || len(copied.Spec.Users) != 1 {
			t.Errorf("the new object's spec %+v: want orders' spec restoring %s", copied.Spec, snapshot)
		}
		if err := stack.Client.Delete(ctx, copied); err != nil {
			t.Fatal(err)
		}
		waitGone(t, copied)
	})

	t.Run("Completion", func(t *testing.T) {
		// kubectl hands over the words as typed after "kubectl rds".
		var stdout bytes.Buffer
		code := rdsctl.Run(ctx, []string{"__complete", "status", "-n", ns, "--kubeconfig", carol, "ord"}, &stdout, &bytes.Buffer{})
		out := stdout.String()
		if code != 0 || out != "orders\n:4\n" {
			t.Errorf("completing status ord: exit %d, %q; want orders and directive 4", code, out)
		}
	})

	t.Run("ClearErrors", func(t *testing.T) {
		cases := map[string]struct {
			kubeconfig string
			args       []string
			want       string
		}{
			"Missing":        {carol, []string{"status", "nope"}, `rdsdatabase "nope" not found in namespace "` + ns + `"`},
			"NoRights":       {dave, []string{"status", "orders"}, `you may not read rdsdatabase "orders" in namespace "` + ns + `"`},
			"NoSecret":       {carol, []string{"psql", "orders", "--user", "ghost"}, `secret "orders.rds.ghost" not found`},
			"NoBackupsRight": {dave, []string{"backups", "orders"}, `cannot get resource "rdsdatabases/backups"`},
		}
		for name, tc := range cases {
			t.Run(name, func(t *testing.T) {
				code, _, errs := kubectlRDS(tc.kubeconfig, tc.args...)
				if code != 1 || !strings.Contains(errs, tc.want) {
					t.Errorf("%v: exit %d, %q; want 1 and %q", tc.args, code, errs, tc.want)
				}
			})
		}
	})

	if t.Failed() {
		events := &corev1.EventList{}
		_ = stack.Client.List(ctx, events, client.InNamespace(ns))
		for _, e := range events.Items {
			t.Logf("event %s %s: %s", e.Reason, e.InvolvedObject.Name, e.Message)
		}
	}
}

var updateGolden = flag.Bool("update-golden", false, "rewrite test/e2e/testdata golden files")

// maskStatus masks in a status screen what differs from run to run: the namespace, the
// cloud identifier and the snapshot named after it, the port, ages, times and the column
// widths they decide.
func maskStatus(screen, ns, name, snapshot string) string {
	screen = strings.ReplaceAll(screen, snapshot, "<snapshot>")
	screen = regexp.MustCompile(regexp.QuoteMeta(ns)+`-`+regexp.QuoteMeta(name)+`-[0-9a-f]{8}`).ReplaceAllString(screen, "<identifier>")
	screen = strings.ReplaceAll(screen, ns+"/", "<namespace>/")
	for _, m := range []struct{ re, with string }{
		{`localhost:\d+`, "localhost:<port>"},
		{`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ`, "<time>"},
		{`\b(\d+[smhdy])+\b`, "<age>"},
		{` {2,}`, "  "},
		{`…`, ""},
	} {
		screen = regexp.MustCompile(m.re).ReplaceAllString(screen, m.with)
	}
	// Messages are cut where the columns end, which the masked parts moved.
	var lines []string
	for _, line := range strings.Split(screen, "\n") {
		if f := strings.Split(line, "  "); len(f) > 5 {
			line = strings.Join(f[:5], "  ") + "  <message>"
		}
		lines = append(lines, line)
	}
	return strings.Join(lines, "\n") + "\n"
}
