package localstack

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestEnvFileContent(t *testing.T) {
	cases := map[string]struct {
		reason string
		vars   []string
		tools  string
		want   string
	}{
		"Plain": {
			reason: "Each variable is exported single-quoted and the tools directory comes first on PATH.",
			vars:   []string{"KUBECONFIG=/w/.local/kubeconfig", "AWS_REGION=us-east-1"},
			tools:  "/cache/tools",
			want: "# Written by local-stack; source it to reach the local stack.\n" +
				"export KUBECONFIG='/w/.local/kubeconfig'\n" +
				"export AWS_REGION='us-east-1'\n" +
				"export PATH='/cache/tools':\"$PATH\"\n",
		},
		"Quotes": {
			reason: "A value with a single quote, a space or a $ survives the shell unchanged.",
			vars:   []string{"KUBECONFIG=/it's here/$HOME"},
			tools:  "/t",
			want: "# Written by local-stack; source it to reach the local stack.\n" +
				"export KUBECONFIG='/it'\\''s here/$HOME'\n" +
				"export PATH='/t':\"$PATH\"\n",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got := envFileContent(tc.vars, tc.tools)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s\nenvFileContent(...): -want +got:\n%s", tc.reason, diff)
			}
		})
	}
}

// TestEnvFileSourced proves the file means what it says to a real shell.
func TestEnvFileSourced(t *testing.T) {
	path := filepath.Join(t.TempDir(), "env")
	content := envFileContent([]string{"KUBECONFIG=/it's here/$HOME"}, "/tools dir")
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("sh", "-c", `. "$1" && printf '%s\n%s' "$KUBECONFIG" "${PATH%%:*}"`, "sh", path).CombinedOutput()
	if err != nil {
		t.Fatalf("source env file: %v: %s", err, out)
	}
	want := []string{"/it's here/$HOME", "/tools dir"}
	if diff := cmp.Diff(want, strings.Split(string(out), "\n")); diff != "" {
		t.Errorf("sourced values: -want +got:\n%s", diff)
	}
}
