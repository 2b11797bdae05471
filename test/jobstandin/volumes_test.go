package jobstandin

import "testing"

func TestRewrite(t *testing.T) {
	mounts := []mount{
		{path: "/dumps", local: "/tmp/s/volumes/platform/db-dumps"},
		{path: "/admin", local: "/tmp/s/pods/p/volumes/admin"},
		{path: "/admin/extra", local: "/tmp/s/pods/p/volumes/extra"},
		// An emptyDir at /tmp: the other local directories begin with /tmp too.
		{path: "/tmp", local: "/scratch"},
	}
	cases := []struct {
		reason, in, want string
	}{
		{"the mount path alone", "/dumps", "/tmp/s/volumes/platform/db-dumps"},
		{"a path under the mount", "/dumps/orders-x/final", "/tmp/s/volumes/platform/db-dumps/orders-x/final"},
		{"a file of a secret volume", "/admin/ca.crt", "/tmp/s/pods/p/volumes/admin/ca.crt"},
		{"the longer of two nested mounts wins", "/admin/extra/f", "/tmp/s/pods/p/volumes/extra/f"},
		{"every occurrence in a script, after =, a quote, a space or a redirection", `mkdir -p "/dumps/a" && cat /admin/ca.crt >/dumps/a/ca && X=/dumps`, `mkdir -p "/tmp/s/volumes/platform/db-dumps/a" && cat /tmp/s/pods/p/volumes/admin/ca.crt >/tmp/s/volumes/platform/db-dumps/a/ca && X=/tmp/s/volumes/platform/db-dumps`},
		{"a longer name is another file", "/dumpster /dumps.old /dumps-1", "/dumpster /dumps.old /dumps-1"},
		{"inside another path it is not the mount", "/var/dumps /x/admin", "/var/dumps /x/admin"},
		{"after a variable it is relative to that variable", "$DIR/dumps ${DIR}/dumps", "$DIR/dumps ${DIR}/dumps"},
		{"what a rewrite wrote is not rewritten again", "/admin /tmp/x", "/tmp/s/pods/p/volumes/admin /scratch/x"},
		{"text without a mount path is unchanged", "pg_dump -Fc orders", "pg_dump -Fc orders"},
	}
	for _, c := range cases {
		if got := rewrite(c.in, mounts); got != c.want {
			t.Errorf("%s: rewrite(%q) = %q, want %q", c.reason, c.in, got, c.want)
		}
	}
}
