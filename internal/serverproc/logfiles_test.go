package serverproc

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestListAndOpenLogFiles(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "log")
	o := &Owner{}
	if err := o.MakeLogDir(dir, "error"); err != nil {
		t.Fatalf("MakeLogDir: %v", err)
	}
	if err := o.MakeLogDir(dir, "error"); err != nil {
		t.Fatalf("MakeLogDir of an existing directory: %v", err)
	}
	written := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	for name, content := range map[string]string{"error/postgresql.log.2025-01-02-03": "one\n", "error/mysql-error.log": "two lines\nhere\n"} {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(p, written, written); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(root, "secret"), []byte("not a log"), 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := ListLogFiles(dir)
	if err != nil {
		t.Fatalf("ListLogFiles: %v", err)
	}
	want := []LogFile{
		{Name: "error/mysql-error.log", Size: 15, LastWritten: written},
		{Name: "error/postgresql.log.2025-01-02-03", Size: 4, LastWritten: written},
	}
	if diff := cmp.Diff(want, got, cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) })); diff != "" {
		t.Errorf("log files by name, with size and last write: -want +got:\n%s", diff)
	}
	if none, err := ListLogFiles(filepath.Join(root, "missing")); err != nil || len(none) != 0 {
		t.Errorf("a missing log directory: %v, %v; want no files and no error", none, err)
	}

	cases := map[string]struct {
		reason  string
		name    string
		want    string
		missing bool
	}{
		"File":          {reason: "A listed name opens its file.", name: "error/mysql-error.log", want: "two lines\nhere\n"},
		"Unknown":       {reason: "A name the directory does not have is fs.ErrNotExist.", name: "error/nope", missing: true},
		"Directory":     {reason: "A directory is no log file.", name: "error", missing: true},
		"OutsideTheLog": {reason: "A name that leaves the log directory is no log file, even when the file exists.", name: "../secret", missing: true},
		"Absolute":      {reason: "An absolute name is no log file.", name: filepath.Join(root, "secret"), missing: true},
		"Empty":         {reason: "An empty name is no log file.", name: "", missing: true},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			f, err := OpenLogFile(dir, tc.name)
			if tc.missing {
				if !errors.Is(err, fs.ErrNotExist) {
					t.Errorf("%s\ngot %v, want fs.ErrNotExist", tc.reason, err)
				}
				if f != nil {
					f.Close()
				}
				return
			}
			if err != nil {
				t.Fatalf("%s\n%v", tc.reason, err)
			}
			defer f.Close()
			b, err := io.ReadAll(f)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, string(b)); diff != "" {
				t.Errorf("%s\n-want +got:\n%s", tc.reason, diff)
			}
		})
	}
}
