package localstack

import "testing"

func TestListeningEndpoint(t *testing.T) {
	cases := map[string]struct {
		reason string
		name   string
		out    string
		want   string
	}{
		"NotYet": {
			reason: "Log lines before the listening line yield no endpoint.",
			name:   "rds-emulator",
			out:    "loading state\nstarting\n",
			want:   "",
		},
		"Listening": {
			reason: "The URL is taken from the listening line, whatever surrounds it.",
			name:   "rds-emulator",
			out:    "loading state\n2026/01/01 rds-emulator listening on http://127.0.0.1:4566\nmore\n",
			want:   "http://127.0.0.1:4566",
		},
		"Partial": {
			reason: "A line still being written (no URL yet) yields no endpoint.",
			name:   "rds-emulator",
			out:    "rds-emulator listening on ",
			want:   "",
		},
		"PartialURL": {
			reason: "A URL whose line is not finished may be cut short, so it yields no endpoint.",
			name:   "rds-emulator",
			out:    "rds-emulator listening on http://127.0.0.1:45",
			want:   "",
		},
		"TrailingSlash": {
			reason: "A trailing slash is dropped, so that a path can be appended to the base URL.",
			name:   "cloudsql-emulator",
			out:    "cloudsql-emulator listening on http://127.0.0.1:4567/\n",
			want:   "http://127.0.0.1:4567",
		},
		"Azure": {
			reason: "azure-emulator's listening line names its base URL as the others' do.",
			name:   "azure-emulator",
			out:    "azure-emulator listening on http://127.0.0.1:4568/\n",
			want:   "http://127.0.0.1:4568",
		},
		"OtherEmulator": {
			reason: "Another emulator's listening line is not this one's.",
			name:   "cloudsql-emulator",
			out:    "rds-emulator listening on http://127.0.0.1:4566\n",
			want:   "",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if got := listeningEndpoint(tc.name, []byte(tc.out)); got != tc.want {
				t.Errorf("%s\nlisteningEndpoint(%q, %q) = %q, want %q", tc.reason, tc.name, tc.out, got, tc.want)
			}
		})
	}
}
