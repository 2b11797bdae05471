package cnpgstandin

import "testing"

func TestMajorOf(t *testing.T) {
	cases := []struct {
		image  string
		want   int
		reason string
	}{
		{"ghcr.io/cloudnative-pg/postgresql:17", 17, "the tag is the major"},
		{"ghcr.io/cloudnative-pg/postgresql:16.4", 16, "a minor follows the major"},
		{"ghcr.io/cloudnative-pg/postgresql:17.2-standard-bookworm", 17, "a suffix follows the version"},
		{"registry.local:5000/pg/postgres:15-alpine", 15, "a registry's port is no tag"},
		{"registry.local:5000/pg/postgres", 0, "with a port and no tag there is no version"},
		{"ghcr.io/cloudnative-pg/postgresql:latest", 0, "a tag without leading digits names no major"},
		{"ghcr.io/cloudnative-pg/postgresql@sha256:abc123", 0, "a digest names no major"},
		{"ghcr.io/cloudnative-pg/postgresql:18.1@sha256:abc123", 18, "a digest after the tag leaves the tag"},
		{"postgres", 0, "no tag at all"},
		{"", 0, "no image"},
	}
	for _, c := range cases {
		if got := majorOf(c.image); got != c.want {
			t.Errorf("majorOf(%q) = %d, want %d: %s", c.image, got, c.want, c.reason)
		}
	}
}
