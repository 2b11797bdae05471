package controlplane

import (
	"os"
	"path/filepath"
	"testing"
)

func TestToolsDir(t *testing.T) {
	cases := map[string]struct {
		reason  string
		present []string
		also    []string
		wantErr bool
	}{
		"Built": {
			reason:  "KUBEBUILDER_ASSETS holding the control plane's binaries is the tools directory.",
			present: []string{"kube-apiserver", "etcd", "kube-controller-manager"},
		},
		"NoControllerManager": {
			reason:  "A tools directory without kube-controller-manager is not built yet.",
			present: []string{"kube-apiserver", "etcd"},
			wantErr: true,
		},
		"AlsoMissing": {
			reason:  "A tool the caller also needs must be there too.",
			present: []string{"kube-apiserver", "etcd", "kube-controller-manager"},
			also:    []string{"helm"},
			wantErr: true,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			for _, bin := range tc.present {
				if err := os.WriteFile(filepath.Join(dir, bin), nil, 0o755); err != nil {
					t.Fatal(err)
				}
			}
			t.Setenv("KUBEBUILDER_ASSETS", dir)
			got, err := ToolsDir(tc.also...)
			if tc.wantErr != (err != nil) || (err == nil && got != dir) {
				t.Errorf("%s\nToolsDir(%v) = %q, %v; want %q, error %v", tc.reason, tc.also, got, err, dir, tc.wantErr)
			}
		})
	}
}
