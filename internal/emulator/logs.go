package emulator

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/matrixmind-cloud/aws-rds-operator/internal/serverproc"
)

// The database's own log, served as RDS serves it (DescribeDBLogFiles and
// DownloadDBLogFilePortion): the files the instance's real server writes, under the names
// RDS gives them (error/postgresql.log.YYYY-MM-DD-HH, error/mysql-error.log). The facts this
// relies on, with their sources, are in docs/rds-logs-facts.md.

const (
	// codeLogFileNotFound is the error of a log file name the instance does not have.
	codeLogFileNotFound = "DBLogFileNotFoundFault"
	// logPortionCap is the most DownloadDBLogFilePortion returns in one call: 1 MB.
	logPortionCap = 1 << 20
	// defaultLogLines is how many lines DownloadDBLogFilePortion returns when NumberOfLines
	// is not given.
	defaultLogLines = 10000
	// postgresLogRetention is rds.log_retention_period's default (4320 minutes): RDS for
	// PostgreSQL removes log files older than that.
	postgresLogRetention = 4320 * time.Minute
)

// logServer is an engine server whose own log the emulator serves: pgserver's and
// mariaserver's servers are.
type logServer interface {
	// LogFiles lists the server's log files by the names RDS gives them.
	LogFiles() ([]serverproc.LogFile, error)
	// OpenLogFile opens one of them; a name it does not have is fs.ErrNotExist.
	OpenLogFile(name string) (*os.File, error)
}

// xmlLogFile is one DescribeDBLogFilesDetails.
type xmlLogFile struct {
	LogFileName string
	// LastWritten is a POSIX timestamp in milliseconds.
	LastWritten int64
	Size        int64
}

// describeLogFiles answers DescribeDBLogFiles: the instance's log files whose names contain
// FilenameContains, written at or after FileLastWritten (milliseconds since the epoch), and
// larger than FileSize bytes, by name, MaxRecords at a time.
func (e *Emulator) describeLogFiles(p params) (any, string, error) {
	id := strings.ToLower(p.str("DBInstanceIdentifier"))
	if id == "" {
		return nil, id, newError(codeMissingParameter, "The request must contain the parameter DBInstanceIdentifier.")
	}
	max, err := p.maxRecords()
	if err != nil {
		return nil, id, err
	}
	since, err := p.integer("FileLastWritten")
	if err != nil {
		return nil, id, err
	}
	larger, err := p.integer("FileSize")
	if err != nil {
		return nil, id, err
	}
	srv, engine, err := e.logServerOf(id)
	if err != nil {
		return nil, id, err
	}
	files, err := servedLogFiles(srv, engine, time.Now())
	if err != nil {
		return nil, id, err
	}
	part := p.str("FilenameContains")
	byName := map[string]serverproc.LogFile{}
	var names []string
	for _, f := range files {
		switch {
		case !strings.Contains(f.Name, part):
		case since != nil && f.LastWritten.UnixMilli() < int64(*since):
		case larger != nil && f.Size <= int64(*larger):
		default:
			byName[f.Name] = f
			names = append(names, f.Name)
		}
	}
	names, next := page(names, p.str("Marker"), max)
	out := struct {
		DescribeDBLogFiles []xmlLogFile `xml:"DescribeDBLogFiles>DescribeDBLogFilesDetails"`
		Marker             string       `xml:",omitempty"`
	}{Marker: next}
	for _, n := range names {
		f := byName[n]
		out.DescribeDBLogFiles = append(out.DescribeDBLogFiles, xmlLogFile{LogFileName: f.Name, LastWritten: f.LastWritten.UnixMilli(), Size: f.Size})
	}
	return out, id, nil
}

// downloadLogFilePortion answers DownloadDBLogFilePortion. With a Marker ("0" or one a
// previous call returned) it returns up to NumberOfLines lines (default 10000) from the
// marker on; without one, the last NumberOfLines lines of the file. Either way at most 1 MB,
// cut at a line's end (inside a line only when that one line is longer than 1 MB). The
// returned Marker points just past the data returned, and AdditionalDataPending says whether
// the file goes on beyond it: paging from "0" until it is false gives the whole file, and
// paging on later gives what the server has written since.
func (e *Emulator) downloadLogFilePortion(p params) (any, string, error) {
	id := strings.ToLower(p.str("DBInstanceIdentifier"))
	name := p.str("LogFileName")
	for _, req := range []struct{ param, value string }{{"DBInstanceIdentifier", id}, {"LogFileName", name}} {
		if req.value == "" {
			return nil, id, newError(codeMissingParameter, "The request must contain the parameter %s.", req.param)
		}
	}
	lines, err := p.integer("NumberOfLines")
	if err != nil {
		return nil, id, err
	}
	n := defaultLogLines
	if lines != nil && *lines < 0 {
		return nil, id, newError(codeInvalidValue, "Invalid value %d for NumberOfLines. Must not be negative.", *lines)
	}
	if lines != nil && *lines > 0 {
		n = *lines
	}
	var from *int64
	if p.has("Marker") {
		offset, err := parseLogMarker(p.str("Marker"))
		if err != nil {
			return nil, id, err
		}
		from = &offset
	}
	srv, engine, err := e.logServerOf(id)
	if err != nil {
		return nil, id, err
	}
	missing := &apiError{Status: http.StatusNotFound, Code: codeLogFileNotFound,
		Message: fmt.Sprintf("DBLog File: %s, is not found on the DB instance: %s", name, id)}
	files, err := servedLogFiles(srv, engine, time.Now())
	if err != nil {
		return nil, id, err
	}
	if !hasLogFile(files, name) {
		return nil, id, missing
	}
	f, err := srv.OpenLogFile(name)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, id, missing // removed meanwhile
	}
	if err != nil {
		return nil, id, err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, id, fmt.Errorf("log file %s: %w", name, err)
	}
	portion, err := readLogPortion(f, info.Size(), from, n)
	if err != nil {
		return nil, id, fmt.Errorf("log file %s: %w", name, err)
	}
	return struct {
		LogFileData           string
		Marker                string
		AdditionalDataPending bool
	}{string(portion.data), logMarker(portion.end), portion.pending}, id, nil
}

// logServerOf returns the server whose log an instance serves, with the instance's
// engine: its own, or its Aurora cluster's (one server backs every instance of a cluster).
// An instance without a server (NoEngine, or one whose server is not up yet) has a nil
// server, which has no log files. An unknown instance is DBInstanceNotFound.
func (e *Emulator) logServerOf(id string) (logServer, string, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	in, ok := e.instances[id]
	if !ok {
		return nil, "", newError(codeInstanceNotFound, "DBInstance %s not found.", id)
	}
	srv := in.server
	if srv == nil && in.ClusterID != "" {
		if c, ok := e.clusters[in.ClusterID]; ok {
			srv = c.server
		}
	}
	ls, _ := srv.(logServer)
	return ls, in.Engine, nil
}

// servedLogFiles lists the log files an instance's server has, as RDS keeps them: a
// PostgreSQL file last written longer ago than rds.log_retention_period is gone. No server
// has no files.
func servedLogFiles(srv logServer, engine string, now time.Time) ([]serverproc.LogFile, error) {
	if srv == nil {
		return nil, nil
	}
	files, err := srv.LogFiles()
	if err != nil {
		return nil, err
	}
	if !runsPostgres(engine) {
		return files, nil
	}
	var kept []serverproc.LogFile
	for _, f := range files {
		if now.Sub(f.LastWritten) <= postgresLogRetention {
			kept = append(kept, f)
		}
	}
	return kept, nil
}

// hasLogFile reports whether files holds one named name.
func hasLogFile(files []serverproc.LogFile, name string) bool {
	for _, f := range files {
		if f.Name == name {
			return true
		}
	}
	return false
}

// logMarker is the Marker of a byte offset in a log file. RDS's markers have the form
// "N:offset" (see docs/rds-logs-facts.md); the emulator's N is always 0.
func logMarker(offset int64) string { return "0:" + strconv.FormatInt(offset, 10) }

// parseLogMarker reads a Marker: "0" (the start of the file) or "N:offset" as logMarker
// writes them.
func parseLogMarker(m string) (int64, error) {
	if m == "0" {
		return 0, nil
	}
	prefix, offset, ok := strings.Cut(m, ":")
	if ok {
		if _, err := strconv.ParseUint(prefix, 10, 32); err == nil {
			if n, err := strconv.ParseInt(offset, 10, 64); err == nil && n >= 0 {
				return n, nil
			}
		}
	}
	return 0, newError(codeInvalidValue, "Invalid value %q for Marker: use \"0\" or a Marker a previous DownloadDBLogFilePortion returned.", m)
}

// logPortion is what one DownloadDBLogFilePortion returns of a file.
type logPortion struct {
	data []byte
	// end is the offset just past data, the next call's marker.
	end int64
	// pending says whether the file goes on beyond end.
	pending bool
}

// readLogPortion reads a portion of a log file of size bytes: from offset *from on, at most
// lines lines, or when from is nil the last lines lines; never more than logPortionCap
// bytes.
func readLogPortion(r io.ReaderAt, size int64, from *int64, lines int) (logPortion, error) {
	if from == nil {
		data, err := readLogTail(r, size, lines)
		return logPortion{data: data, end: size}, err
	}
	start := *from
	if start >= size {
		return logPortion{end: start}, nil
	}
	buf, err := readAt(r, start, min(size-start, logPortionCap))
	if err != nil {
		return logPortion{}, err
	}
	atEOF := start+int64(len(buf)) >= size
	cut, count := 0, 0
	for count < lines && cut < len(buf) {
		if i := bytes.IndexByte(buf[cut:], '\n'); i >= 0 {
			cut += i + 1
			count++
			continue
		}
		// The rest has no line end: the file's last line, being written, or a line longer
		// than the cap, which is all this call can return.
		if atEOF {
			cut = len(buf)
		} else if count == 0 {
			cut = runeBoundary(buf)
		}
		break
	}
	end := start + int64(cut)
	return logPortion{data: buf[:cut], end: end, pending: end < size}, nil
}

// readLogTail returns the last lines lines of a log file of size bytes, at most
// logPortionCap bytes of them.
func readLogTail(r io.ReaderAt, size int64, lines int) ([]byte, error) {
	n := min(size, logPortionCap)
	from := size - n
	buf, err := readAt(r, from, n)
	if err != nil {
		return nil, err
	}
	if from > 0 {
		prev, err := readAt(r, from-1, 1)
		if err != nil {
			return nil, err
		}
		if len(prev) == 1 && prev[0] != '\n' {
			// buf starts inside a line: drop that part, unless the line is all there is.
			if i := bytes.IndexByte(buf, '\n'); i >= 0 && i+1 < len(buf) {
				buf = buf[i+1:]
			} else {
				for len(buf) > 0 && !utf8.RuneStart(buf[0]) {
					buf = buf[1:]
				}
			}
		}
	}
	end := len(buf)
	if end > 0 && buf[end-1] == '\n' {
		end--
	}
	start := 0
	for k := 0; k < lines; k++ {
		j := bytes.LastIndexByte(buf[:end], '\n')
		if j < 0 {
			start = 0
			break
		}
		start, end = j+1, j
	}
	return buf[start:], nil
}

// readAt reads n bytes at off, fewer when the file ends first (it may have been
// truncated meanwhile).
func readAt(r io.ReaderAt, off, n int64) ([]byte, error) {
	buf := make([]byte, n)
	got, err := r.ReadAt(buf, off)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	return buf[:got], nil
}

// runeBoundary is the length of buf without a UTF-8 sequence cut off at its end, so that a
// portion cut inside a long line does not split a character.
func runeBoundary(buf []byte) int {
	for i := len(buf) - 1; i >= 0 && i >= len(buf)-utf8.UTFMax; i-- {
		if utf8.RuneStart(buf[i]) {
			if utf8.FullRune(buf[i:]) {
				return len(buf)
			}
			if i == 0 {
				return len(buf) // not UTF-8 at all: nothing to keep whole
			}
			return i
		}
	}
	return len(buf)
}
