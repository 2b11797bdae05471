package serverproc

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"time"
)

// LogFile is one file of a server's own log: what the server itself writes into its log
// directory (PostgreSQL's logging collector, MariaDB's log_error), as opposed to the output
// Process captures in LogPath.
type LogFile struct {
	// Name is the file's path under the log directory, with slashes, e.g.
	// "error/postgresql.log.2025-01-02-03".
	Name string
	// Size is the file's size in bytes.
	Size int64
	// LastWritten is when the file was last written.
	LastWritten time.Time
}

// MakeLogDir creates a server's log directory dir (0755, created when absent) and the
// directories subdirs under it, all of which belong to the owner, who writes the log
// files into them. Making an existing one again only sets its owner.
func (o *Owner) MakeLogDir(dir string, subdirs ...string) error {
	paths := []string{dir}
	for _, sub := range subdirs {
		paths = append(paths, filepath.Join(dir, sub))
	}
	for _, d := range paths {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return fmt.Errorf("create log directory: %w", err)
		}
		if err := o.Chown(d); err != nil {
			return fmt.Errorf("chown log directory: %w", err)
		}
	}
	return nil
}

// ListLogFiles lists the regular files under the log directory dir, at any depth, sorted
// by name. A missing dir has no files.
func ListLogFiles(dir string) ([]LogFile, error) {
	var out []LogFile
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if path == dir && errors.Is(err, fs.ErrNotExist) {
				return filepath.SkipDir
			}
			return err
		}
		if !d.Type().IsRegular() {
			return nil
		}
		info, err := d.Info()
		if errors.Is(err, fs.ErrNotExist) {
			return nil // removed meanwhile
		}
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, path)
		if err != nil {
			return err
		}
		out = append(out, LogFile{Name: filepath.ToSlash(rel), Size: info.Size(), LastWritten: info.ModTime()})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list log files: %w", err)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// OpenLogFile opens the log file name (as ListLogFiles names it) under the log directory
// dir for reading. A name that is not a plain path inside dir, or that names no regular
// file, is fs.ErrNotExist.
func OpenLogFile(dir, name string) (*os.File, error) {
	local := filepath.FromSlash(name)
	if name == "" || !filepath.IsLocal(local) {
		return nil, fmt.Errorf("open log file %q: %w", name, fs.ErrNotExist)
	}
	f, err := os.Open(filepath.Join(dir, local))
	if err != nil {
		return nil, fmt.Errorf("open log file %q: %w", name, err)
	}
	info, err := f.Stat()
	if err == nil && !info.Mode().IsRegular() {
		err = fs.ErrNotExist
	}
	if err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("open log file %q: %w", name, err)
	}
	return f, nil
}

// newestLogTail returns the last logTailSize bytes of the most recently written file under
// the log directory dir, "" when it has none.
func newestLogTail(dir string) string {
	files, err := ListLogFiles(dir)
	if err != nil || len(files) == 0 {
		return ""
	}
	newest := files[0]
	for _, f := range files[1:] {
		if f.LastWritten.After(newest.LastWritten) {
			newest = f
		}
	}
	b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(newest.Name)))
	if err != nil {
		return ""
	}
	if len(b) > logTailSize {
		b = b[len(b)-logTailSize:]
	}
	return newest.Name + ":\n" + string(b)
}
