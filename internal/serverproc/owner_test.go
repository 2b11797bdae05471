package serverproc

import (
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// otherUser is a system user that is on every machine, for the tests that run as root.
const otherUser = "nobody"

// switchedOwner returns an Owner that is otherUser, as LookupOwner returns it to root,
// skipping when this process cannot give files away.
func switchedOwner(t *testing.T) *Owner {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("giving files to another user needs root")
	}
	o, err := LookupOwner(otherUser, "")
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func TestLookupOwner(t *testing.T) {
	if os.Geteuid() != 0 {
		got, err := LookupOwner(otherUser, "")
		if err != nil {
			t.Fatal(err)
		}
		want := &Owner{UID: os.Geteuid(), GID: os.Getegid()}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("A server started by an ordinary user runs as that user.\n-want +got:\n%s", diff)
		}
		return
	}
	u, err := user.Lookup(otherUser)
	if err != nil {
		t.Fatal(err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	got, err := LookupOwner(otherUser, "")
	if err != nil {
		t.Fatal(err)
	}
	want := &Owner{UID: uid, GID: gid, Name: otherUser, Switched: true}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("A server started by root runs as the system user.\n-want +got:\n%s", diff)
	}

	cases := map[string]struct {
		reason string
		hint   string
		want   string
	}{
		"NoHint":   {reason: "The error names the missing user.", want: "running as root needs a no-such-user-7 system user: "},
		"WithHint": {reason: "The hint says where the user comes from.", hint: "the x package creates it", want: "running as root needs a no-such-user-7 system user (the x package creates it): "},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := LookupOwner("no-such-user-7", tc.hint)
			if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
				t.Errorf("%s\ngot %v, want it to start with %q", tc.reason, err, tc.want)
			}
		})
	}
}

func TestSysProcAttr(t *testing.T) {
	cases := map[string]struct {
		reason string
		owner  Owner
		want   *syscall.SysProcAttr
	}{
		"Same": {
			reason: "A server run as this process's user runs in its own process group only.",
			owner:  Owner{UID: 1000, GID: 1000},
			want:   &syscall.SysProcAttr{Setpgid: true},
		},
		"Switched": {
			reason: "A server run as another user gets its credentials.",
			owner:  Owner{UID: 101, GID: 102, Name: "mysql", Switched: true},
			want:   &syscall.SysProcAttr{Setpgid: true, Credential: &syscall.Credential{Uid: 101, Gid: 102}},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, tc.owner.SysProcAttr()); diff != "" {
				t.Errorf("%s\n-want +got:\n%s", tc.reason, diff)
			}
		})
	}
}

// fileFacts are what the owner tests check of a file.
type fileFacts struct {
	Perm     os.FileMode
	UID, GID int
}

func statFacts(t *testing.T, path string) fileFacts {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	st := fi.Sys().(*syscall.Stat_t)
	return fileFacts{Perm: fi.Mode().Perm(), UID: int(st.Uid), GID: int(st.Gid)}
}

func TestMakeDirs(t *testing.T) {
	me := fileFacts{UID: os.Geteuid(), GID: os.Getegid()}
	t.Run("Same", func(t *testing.T) {
		o := &Owner{UID: me.UID, GID: me.GID}
		dir := filepath.Join(t.TempDir(), "server")
		data := filepath.Join(dir, "data")
		if err := o.MakeDirs(dir, data); err != nil {
			t.Fatal(err)
		}
		want := map[string]fileFacts{"dir": {Perm: 0o755, UID: me.UID, GID: me.GID}, "data": {Perm: 0o700, UID: me.UID, GID: me.GID}}
		got := map[string]fileFacts{"dir": statFacts(t, dir), "data": statFacts(t, data)}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("-want +got:\n%s", diff)
		}
		if err := o.MakeDirs(dir, data); err == nil || !strings.HasPrefix(err.Error(), "create data directory: ") {
			t.Errorf("MakeDirs over an existing data directory: got %v, want it refused", err)
		}
	})
	t.Run("Switched", func(t *testing.T) {
		o := switchedOwner(t)
		parent := filepath.Join(t.TempDir(), "private")
		if err := os.Mkdir(parent, 0o700); err != nil {
			t.Fatal(err)
		}
		dir := filepath.Join(parent, "server")
		data := filepath.Join(dir, "data")
		if err := o.MakeDirs(dir, data); err != nil {
			t.Fatal(err)
		}
		want := map[string]fileFacts{
			"parent": {Perm: 0o711, UID: me.UID, GID: me.GID},
			"dir":    {Perm: 0o755, UID: me.UID, GID: me.GID},
			"data":   {Perm: 0o700, UID: o.UID, GID: o.GID},
		}
		got := map[string]fileFacts{"parent": statFacts(t, parent), "dir": statFacts(t, dir), "data": statFacts(t, data)}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("The data directory is the owner's; the owner can reach it through its parents, which stay this process's.\n-want +got:\n%s", diff)
		}
	})
}

func TestMakeSocketDir(t *testing.T) {
	short := t.TempDir()
	long := filepath.Join(t.TempDir(), strings.Repeat("d", maxSocketPath))
	if err := os.MkdirAll(long, 0o755); err != nil {
		t.Fatal(err)
	}
	cases := map[string]struct {
		reason  string
		dir     string
		wantIn  string
		wantTmp bool
	}{
		"Short": {reason: "A short path puts the socket in dir/s.", dir: short, wantIn: short},
		"Long":  {reason: "A path too long for a unix socket falls back to a temporary directory.", dir: long, wantIn: os.TempDir(), wantTmp: true},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			o := &Owner{UID: os.Geteuid(), GID: os.Getegid()}
			path, tmp, err := o.MakeSocketDir(tc.dir, "mysqld.sock", "sock-test")
			if err != nil {
				t.Fatal(err)
			}
			if tmp {
				defer os.RemoveAll(path)
			}
			if tmp != tc.wantTmp || filepath.Dir(path) != tc.wantIn || len(path+"/mysqld.sock") > maxSocketPath {
				t.Errorf("%s\ngot %s (tmp %v)", tc.reason, path, tmp)
			}
			if got := statFacts(t, path).Perm; got != 0o755 {
				t.Errorf("%s\nsocket directory mode %v, want 0755", tc.reason, got)
			}
		})
	}
	t.Run("Switched", func(t *testing.T) {
		o := switchedOwner(t)
		path, _, err := o.MakeSocketDir(t.TempDir(), "mysqld.sock", "sock-test")
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(fileFacts{Perm: 0o755, UID: o.UID, GID: o.GID}, statFacts(t, path)); diff != "" {
			t.Errorf("The socket directory is the owner's, for the server to create its socket in.\n-want +got:\n%s", diff)
		}
	})
}
