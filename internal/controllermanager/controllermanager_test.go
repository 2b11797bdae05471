package controllermanager

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestArgs keeps the controllers it runs to the few this control plane can serve.
func TestArgs(t *testing.T) {
	cases := map[string]struct {
		reason    string
		aggregate bool
		want      []string
	}{
		"Default": {
			reason: "By default only the namespace and garbage collector controllers run.",
			want: []string{"--kubeconfig=/k", "--controllers=namespace-controller,garbage-collector-controller",
				"--leader-elect=false", "--secure-port=0"},
		},
		"AggregateClusterRoles": {
			reason:    "AggregateClusterRoles adds the clusterrole-aggregation controller to them.",
			aggregate: true,
			want: []string{"--kubeconfig=/k", "--controllers=namespace-controller,garbage-collector-controller,clusterrole-aggregation-controller",
				"--leader-elect=false", "--secure-port=0"},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, args("/k", tc.aggregate)); diff != "" {
				t.Errorf("%s\nargs: -want +got:\n%s", tc.reason, diff)
			}
		})
	}
}
