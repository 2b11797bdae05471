package localstack

import "testing"

func TestListeningEndpoint(t *testing.T) {
	cases := map[string]struct {
		reason string
		out    string
		want   string
	}{
		"NotYet": {
			reason: "Log lines before the listening line yield no endpoint.",
			out:    "loading state\nstarting\n",
			want:   "",
		},
		"Listening": {
			reason: "The URL is taken from the listening line, whatever surrounds it.",
			out:    "loading state\n2026/01/01 rds-emulator listening on http://127.0.0.1:4566\nmore\n",
			want:   "http://127.0.0.1:4566",
		},
		"Partial": {
			reason: "A line still being written (no URL yet) yields no endpoint.",
			out:    "rds-emulator listening on ",
			want:   "",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if got := listeningEndpoint([]byte(tc.out)); got != tc.want {
				t.Errorf("%s\nlisteningEndpoint(%q) = %q, want %q", tc.reason, tc.out, got, tc.want)
			}
		})
	}
}
