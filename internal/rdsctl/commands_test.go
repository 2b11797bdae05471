package rdsctl

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1 "github.com/matrixmind-cloud/aws-rds-operator/api/v1"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// testEnv is an env writing to buffers, with no cluster and a fixed clock.
func testEnv() (*env, *bytes.Buffer, *bytes.Buffer) {
	var out, errs bytes.Buffer
	return &env{stdout: &out, stderr: &errs, stdin: strings.NewReader(""), now: func() time.Time { return statusNow }}, &out, &errs
}

// TestHelp: every command's --help shows its synopsis, an example and its flags, within 80
// columns; no command, or an unknown one, shows the list of commands and is a wrong use.
func TestHelp(t *testing.T) {
	for _, c := range commands {
		t.Run(c.name, func(t *testing.T) {
			e, out, _ := testEnv()
			if code := run(context.Background(), []string{c.name, "--help"}, e); code != 0 {
				t.Fatalf("--help exit code %d", code)
			}
			for _, want := range []string{"kubectl rds " + c.name, "Example:\n  ", "--namespace"} {
				if !strings.Contains(out.String(), want) {
					t.Errorf("--help of %s lacks %q:\n%s", c.name, want, out)
				}
			}
			fits(t, out.String())
		})
	}
	cases := map[string]struct {
		args []string
		code int
	}{
		"None":    {nil, 2},
		"Help":    {[]string{"help"}, 0},
		"Unknown": {[]string{"promote", "orders"}, 2},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			e, out, errs := testEnv()
			if code := run(context.Background(), tc.args, e); code != tc.code {
				t.Errorf("exit code %d, want %d", code, tc.code)
			}
			text := out.String() + errs.String()
			for _, c := range commands {
				if !strings.Contains(text, "  "+c.name+" ") {
					t.Errorf("the usage lacks command %s:\n%s", c.name, text)
				}
			}
			fits(t, text)
		})
	}
}

// fits fails when a line of text is wider than 80 columns.
func fits(t *testing.T, text string) {
	t.Helper()
	for _, line := range strings.Split(text, "\n") {
		if n := len([]rune(line)); n > width {
			t.Errorf("a line of %d columns, over %d: %q", n, width, line)
		}
	}
}

// TestWrongUse: arguments a command cannot take are a wrong use (exit 2), said before
// anything is asked of the cluster.
func TestWrongUse(t *testing.T) {
	cases := map[string][]string{
		"StatusNoName":       {"status"},
		"StatusTwoNames":     {"status", "a", "b"},
		"StatusBadOutput":    {"status", "a", "-o", "xml"},
		"RotateWhom":         {"rotate", "orders"},
		"RotateBoth":         {"rotate", "orders", "--user", "app", "--master"},
		"RestoreNoTarget":    {"restore", "orders", "--from", "snap"},
		"UnknownFlag":        {"psql", "orders", "--color"},
		"LogsTailAndSince":   {"logs", "orders", "--tail", "3", "--since", "1h"},
		"CompletionWithArgs": {"completion", "bash"},
	}
	for name, args := range cases {
		t.Run(name, func(t *testing.T) {
			e, _, errs := testEnv()
			// No kubeconfig anywhere: a command that reached the cluster would fail with 1.
			t.Setenv("KUBECONFIG", filepath.Join(t.TempDir(), "none"))
			if code := run(context.Background(), args, e); code != 2 {
				t.Errorf("%v: exit code %d, want 2 (wrong use); stderr:\n%s", args, code, errs)
			}
			if !strings.Contains(errs.String(), "error: ") {
				t.Errorf("%v: stderr says no error:\n%s", args, errs)
			}
		})
	}
}

// TestParseInterspersed: names stand anywhere among the flags, and what follows "--" is the
// client's, flags included.
func TestParseInterspersed(t *testing.T) {
	fs := flag.NewFlagSet("x", flag.ContinueOnError)
	user := fs.String("user", "", "")
	got, err := parseInterspersed(fs, []string{"--user", "app", "orders", "--", "-c", "select 1", "--user", "x"})
	if err != nil {
		t.Fatal(err)
	}
	if want := "orders -- -c|select 1 --user x"; strings.Join(got[:2], " ")+" "+strings.Join(got[2:], "|") != "orders -- -c|select 1|--user|x" || *user != "app" {
		t.Errorf("got %q, user %q; want %s with user app", got, *user, want)
	}
}

// TestClientPrograms: psql and mysql get the login from files only the user may read; the
// password is on no command line and in no environment variable.
func TestClientPrograms(t *testing.T) {
	sec := &corev1.Secret{Data: map[string][]byte{
		"username": []byte("app"), "password": []byte(`p:a\ss"w0rd`), "host": []byte("db.example"), "port": []byte("5432"),
		"dbname": []byte("orders"), "uri": []byte("postgresql://app:x@db.example:5432/orders?sslmode=verify-full"), "ca.crt": []byte("CA PEM"),
		"ro-host": []byte("ro.example"), "ro-port": []byte("5433"),
	}}
	c, err := credentialsOf(sec, false)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	pg, err := c.psql(dir, "/usr/bin/psql")
	if err != nil {
		t.Fatal(err)
	}
	noPassword(t, "psql", pg, c.password)
	for _, want := range []string{"PGHOST=db.example", "PGPORT=5432", "PGUSER=app", "PGDATABASE=orders", "PGSSLMODE=verify-full", "PGSSLROOTCERT=" + filepath.Join(dir, "ca.crt")} {
		if !strings.Contains(strings.Join(pg.env, " "), want) {
			t.Errorf("psql's environment %q lacks %s", pg.env, want)
		}
	}
	readable(t, filepath.Join(dir, "pgpass"), `db.example:5432:*:app:p\:a\\ss"w0rd`+"\n")

	my, err := c.mysql(dir, "/usr/bin/mysql")
	if err != nil {
		t.Fatal(err)
	}
	noPassword(t, "mysql", my, c.password)
	if len(my.args) < 1 || my.args[0] != "--defaults-extra-file="+filepath.Join(dir, "my.cnf") {
		t.Errorf("mysql's first argument is %q, want its option file", my.args)
	}
	readable(t, filepath.Join(dir, "my.cnf"), "[client]\nuser=\"app\"\npassword=\"p:a\\\\ss\\\"w0rd\"\nhost=\"db.example\"\nport=5432\nssl-ca=\""+filepath.Join(dir, "ca.crt")+"\"\n")

	ro, err := credentialsOf(sec, true)
	if err != nil || ro.host != "ro.example" || ro.port != "5433" {
		t.Errorf("read-only login %+v, %v: want the readers' host and port", ro, err)
	}
	delete(sec.Data, "ro-host")
	if _, err := credentialsOf(sec, true); err == nil || !strings.Contains(err.Error(), "no readers") {
		t.Errorf("read-only without readers: %v, want an error saying there are none", err)
	}
}

func noPassword(t *testing.T, name string, p program, password string) {
	t.Helper()
	if strings.Contains(strings.Join(append(p.args, p.env...), " "), password) {
		t.Errorf("%s's arguments or environment hold the password: %q %q", name, p.args, p.env)
	}
}

// readable checks a file's content and that only its owner may read it.
func readable(t *testing.T, path, want string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != want {
		t.Errorf("%s holds %q, want %q", path, b, want)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("%s has mode %v, want 0600", path, fi.Mode())
	}
}

// TestCompleteWithoutCluster: commands and flags complete without a cluster; kubectl gets
// Cobra's directive last.
func TestCompleteWithoutCluster(t *testing.T) {
	cases := map[string]struct {
		words []string
		want  string
	}{
		"Commands":  {[]string{"r"}, "rotate\nrestore\n:4\n"},
		"AllFlags":  {[]string{"rotate", "--ma"}, "--master\n:4\n"},
		"Unknown":   {[]string{"promote", ""}, ":4\n"},
		"NoCluster": {[]string{"status", ""}, ":4\n"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			t.Setenv("KUBECONFIG", filepath.Join(t.TempDir(), "none"))
			e, out, _ := testEnv()
			if code := run(context.Background(), append([]string{completeCommand}, tc.words...), e); code != 0 || out.String() != tc.want {
				t.Errorf("completion of %q: %d %q, want %q", tc.words, code, out, tc.want)
			}
		})
	}
}

// statusNow is the clock of the status golden file.
var statusNow = time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)

// TestStatusPrint: status's screen for a database with a bit of everything, against its
// golden file (go test -run TestStatusPrint -update rewrites it), within 80 columns.
func TestStatusPrint(t *testing.T) {
	at := func(ago time.Duration) metav1.Time { return metav1.NewTime(statusNow.Add(-ago)) }
	pt := func(d time.Duration) *metav1.Time { t := metav1.NewTime(statusNow.Add(d)); return &t }
	r := &Report{Name: "orders", Namespace: "shop", Provider: "aws", Phase: "Ready", Type: "postgresql", Service: "orders-rds", Reader: "orders-rds-ro",
		Cloud: &v1.CloudStatus{Identifier: "shop-orders-1a2b3c4d", Status: "available", Engine: "postgres", EngineVersion: "17.4", InstanceClass: "db.t4g.micro",
			AllocatedStorageGiB: 20, Endpoint: "shop-orders-1a2b3c4d.abc.eu-west-1.rds.amazonaws.com", Port: 5432, StorageEncrypted: true, MultiAZ: true, AvailabilityZone: "eu-west-1a"},
		Conds: []metav1.Condition{
			{Type: "Ready", Status: metav1.ConditionTrue, Reason: "Ready", LastTransitionTime: at(3 * time.Hour), Message: "the database is available and every user logs in"},
			{Type: "AccessVerified", Status: metav1.ConditionFalse, Reason: "LoginFailed", LastTransitionTime: at(90 * time.Second),
				Message: "user reporting cannot log in with the password in its Secret: FATAL: password authentication failed for user \"reporting\" (SQLSTATE 28P01)"},
		},
		Users:    []v1.UserAccess{{Name: "sysadmin", OK: true, LastChecked: at(time.Minute)}, {Name: "reporting", LastChecked: at(time.Minute), Reason: "password authentication failed"}},
		Replicas: []v1.ReplicaStatus{{Identifier: "shop-orders-1a2b3c4d-r1", AvailabilityZone: "eu-west-1b", Status: "available", Ready: true}},
		Backup: &v1.BackupStatus{Mode: "snapshots", LatestSnapshot: "shop-orders-1a2b3c4d-202612020600-9f8e", LatestSnapshotTime: pt(-6 * time.Hour), NextSnapshotTime: pt(2 * time.Hour),
			LastExport: &v1.ExportStatus{Task: "shop-orders-1a2b3c4d-5e6f7a8b", Status: "COMPLETE", Percent: 100}},
		Events: []EventLine{
			{Type: "Normal", Reason: "SnapshotTaken", Message: "Took snapshot shop-orders-1a2b3c4d-202612020600-9f8e", Last: statusNow.Add(-6 * time.Hour)},
			{Type: "Warning", Reason: "AccessCheckFailed", Message: "user reporting cannot log in with the password in its Secret", Last: statusNow.Add(-90 * time.Second)},
		},
	}
	var out bytes.Buffer
	if err := r.print(&out, statusNow); err != nil {
		t.Fatal(err)
	}
	fits(t, out.String())
	golden := filepath.Join("testdata", "status.golden")
	if *update {
		if err := os.WriteFile(golden, out.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if out.String() != string(want) {
		t.Errorf("status screen differs from %s (-update rewrites it):\n%s", golden, out.String())
	}
}
