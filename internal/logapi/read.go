package logapi

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/matrixmind-cloud/aws-rds-operator/internal/cloud"
)

// filesEvery: a follower looks for a newer log file (the server starts one an hour) every
// sixth poll, in place of a read, so that following costs one call per poll.
const filesEvery = 6

// Query is what a request for a log asks, in its URL's query (the names are those of
// pods/log where they mean the same).
type Query struct {
	// File names the log file; empty means the newest.
	File string
	// TailLines, when not negative, prints only the file's last lines.
	TailLines int
	// Since prints only what the server logged this long ago or later, from every file
	// written since then.
	Since time.Duration
	// Follow keeps printing what the server logs until the client goes.
	Follow bool
	// List prints the log files rather than a log.
	List bool
}

// Values encodes q as a URL query.
func (q Query) Values() url.Values {
	v := url.Values{}
	if q.File != "" {
		v.Set("file", q.File)
	}
	if q.TailLines >= 0 {
		v.Set("tailLines", strconv.Itoa(q.TailLines))
	}
	if q.Since > 0 {
		// Rounded up, as kubectl logs --since does: a duration under a second is 1, not
		// the 0 ParseQuery refuses.
		v.Set("sinceSeconds", strconv.Itoa(int((q.Since+time.Second-1)/time.Second)))
	}
	if q.Follow {
		v.Set("follow", "true")
	}
	if q.List {
		v.Set("list", "true")
	}
	return v
}

// ParseQuery is Values' inverse; it says what is wrong with a query it refuses.
func ParseQuery(v url.Values) (Query, error) {
	q := Query{File: v.Get("file"), TailLines: -1}
	var err error
	if s := v.Get("tailLines"); s != "" {
		if q.TailLines, err = strconv.Atoi(s); err != nil || q.TailLines < 0 {
			return Query{}, fmt.Errorf("tailLines %q: give a number of lines, 0 or more", s)
		}
	}
	if s := v.Get("sinceSeconds"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n <= 0 {
			return Query{}, fmt.Errorf("sinceSeconds %q: give a number of seconds, 1 or more", s)
		}
		q.Since = time.Duration(n) * time.Second
	}
	for key, into := range map[string]*bool{"follow": &q.Follow, "list": &q.List} {
		if s := v.Get(key); s != "" {
			if *into, err = strconv.ParseBool(s); err != nil {
				return Query{}, fmt.Errorf("%s %q: give true or false", key, s)
			}
		}
	}
	if q.TailLines >= 0 && q.Since > 0 {
		return Query{}, errors.New("give tailLines or sinceSeconds, not both")
	}
	return q, nil
}

// serveLog answers a request for the log of the object name in namespace.
func (s *Server) serveLog(w http.ResponseWriter, r *http.Request, namespace, name string) {
	ctx := r.Context()
	q, err := ParseQuery(r.URL.Query())
	if err != nil {
		writeStatus(w, http.StatusBadRequest, metav1.StatusReasonBadRequest, err.Error())
		return
	}
	p, id, u, ok := s.locate(w, r, namespace, name, Subresource)
	if !ok {
		return
	}
	if q.Follow {
		select {
		case s.followers <- struct{}{}:
			defer func() { <-s.followers }()
		default:
			writeStatus(w, http.StatusTooManyRequests, metav1.StatusReasonTooManyRequests,
				fmt.Sprintf("%d logs are followed already, the most this operator follows at once: try again later", cap(s.followers)))
			return
		}
	}
	logf.FromContext(ctx).WithName("log-api").V(1).Info("serving a log", "user", u, "namespace", namespace, "name", name, "follow", q.Follow)
	out := &output{w: w, flush: http.NewResponseController(w).Flush}
	rd := &Reader{Cloud: p, Identifier: id, Query: q, Now: s.cfg.Now, Poll: s.cfg.Poll}
	if err := rd.Run(ctx, out); err != nil && ctx.Err() == nil {
		if !out.started {
			code, reason := http.StatusBadGateway, metav1.StatusReasonServiceUnavailable
			switch {
			case errors.Is(err, cloud.ErrNoLogFile):
				code, reason = http.StatusNotFound, metav1.StatusReasonNotFound
			case errors.Is(err, cloud.ErrUnsupported):
				// The object's cloud serves no logs through this operator (Cloud SQL's are
				// in Cloud Logging): the message says so.
				code, reason = http.StatusNotImplemented, "NotImplemented"
			}
			writeStatus(w, code, reason, err.Error())
			return
		}
		// The log is half printed: the reader sees the error at its end.
		fmt.Fprintf(out, "\nerror: %v\n", err)
	}
}

// output writes a log to the client as it comes, flushing each piece.
type output struct {
	w       http.ResponseWriter
	flush   func() error
	started bool
}

func (o *output) Write(p []byte) (int, error) {
	if !o.started {
		o.w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		o.started = true
	}
	n, err := o.w.Write(p)
	if err == nil {
		err = o.flush()
	}
	return n, err
}

// Reader prints a database's log as a Query asks, with the cloud's log calls.
type Reader struct {
	Cloud      cloud.Provider
	Identifier string
	Query      Query
	// Now tells the time for Since; Poll is how often Follow reads again.
	Now  func() time.Time
	Poll time.Duration

	since sinceFilter
}

// Run prints the log to out; with Follow it returns when ctx is done.
func (rd *Reader) Run(ctx context.Context, out io.Writer) error {
	q := rd.Query
	files, err := rd.files(ctx)
	if err != nil {
		return err
	}
	if q.List {
		fmt.Fprintf(out, "%-48s %12s  %s\n", "FILE", "SIZE", "LAST WRITTEN")
		for _, f := range files {
			fmt.Fprintf(out, "%-48s %12d  %s\n", f.Name, f.Size, f.LastWritten.UTC().Format(time.RFC3339))
		}
		return nil
	}
	if len(files) == 0 {
		return fmt.Errorf("the database has no log file yet: %w", cloud.ErrNoLogFile)
	}
	chosen := files[len(files)-1:]
	if q.Since > 0 {
		// With File too: that file's lines since then.
		rd.since = sinceFilter{cutoff: rd.Now().Add(-q.Since)}
	}
	switch {
	case q.File != "":
		i := slices.IndexFunc(files, func(f cloud.LogFile) bool { return f.Name == q.File })
		if i < 0 {
			return fmt.Errorf("log file %s: %w (list them with --list)", q.File, cloud.ErrNoLogFile)
		}
		chosen = files[i : i+1]
	case q.Since > 0:
		chosen = slices.DeleteFunc(slices.Clone(files), func(f cloud.LogFile) bool { return f.LastWritten.Before(rd.since.cutoff) })
	}
	cur, marker := files[len(files)-1].Name, ""
	switch {
	case q.TailLines >= 0:
		cur = chosen[0].Name
		part, err := rd.Cloud.ReadLog(ctx, rd.Identifier, cur, "", max(q.TailLines, 1))
		if err != nil {
			return err
		}
		if q.TailLines > 0 {
			io.WriteString(out, part.Data)
		}
		marker = part.Marker
	case len(chosen) == 0:
		// Nothing logged since then: following goes on from the newest file's end.
		if q.Follow {
			part, err := rd.Cloud.ReadLog(ctx, rd.Identifier, cur, "", 1)
			if err != nil {
				return err
			}
			marker = part.Marker
		}
	default:
		for _, f := range chosen {
			if marker, err = rd.readToEnd(ctx, out, f.Name); err != nil {
				return err
			}
			cur = f.Name
		}
	}
	if !q.Follow {
		return nil
	}
	// The client learns now that it is following, not at the next line the server logs.
	if _, err := io.WriteString(out, ""); err != nil {
		return err
	}
	return rd.follow(ctx, out, cur, marker)
}

// files lists the log files, oldest first.
func (rd *Reader) files(ctx context.Context) ([]cloud.LogFile, error) {
	files, err := rd.Cloud.LogFiles(ctx, rd.Identifier)
	if err != nil {
		return nil, err
	}
	slices.SortStableFunc(files, func(a, b cloud.LogFile) int {
		if c := a.LastWritten.Compare(b.LastWritten); c != 0 {
			return c
		}
		return strings.Compare(a.Name, b.Name)
	})
	return files, nil
}

// readToEnd prints file from its start and returns the marker of its end.
func (rd *Reader) readToEnd(ctx context.Context, out io.Writer, file string) (string, error) {
	marker := "0"
	for {
		part, err := rd.Cloud.ReadLog(ctx, rd.Identifier, file, marker, 0)
		if err != nil {
			return "", err
		}
		if _, err := io.WriteString(out, rd.since.keep(part.Data)); err != nil {
			return "", err
		}
		marker = part.Marker
		if !part.More {
			return marker, nil
		}
	}
}

// follow prints what the server logs from marker in file on, one cloud call a poll: a read,
// or every filesEvery polls at the file's end a look for a newer file. A newer file is gone
// on with once the current one has been read to its end one more time, so that what the
// server wrote there just before it started the new one is printed too. A throttled or
// failed call is tried again at the next poll; only an error that asking again cannot
// mend ends the follow.
func (rd *Reader) follow(ctx context.Context, out io.Writer, file, marker string) error {
	ticker := time.NewTicker(rd.Poll)
	defer ticker.Stop()
	atEnd := false
	next := ""    // a newer file, once seen
	gone := false // the current file is gone: nothing more to read in it
	for poll := 1; ; poll++ {
		select {
		case <-ctx.Done():
			return nil
		case <-ticker.C:
			if ctx.Err() != nil {
				return nil // both were ready and select took the tick: no call for a client gone
			}
		}
		if poll%filesEvery == 0 && atEnd && next == "" {
			files, err := rd.files(ctx)
			switch {
			case retryable(err):
				continue
			case err != nil:
				return err
			}
			if n := len(files); n > 0 && files[n-1].Name != file {
				next = files[n-1].Name
				if gone {
					file, marker, atEnd, next, gone = next, "0", false, "", false
				}
			}
			continue
		}
		part, err := rd.Cloud.ReadLog(ctx, rd.Identifier, file, marker, 0)
		switch {
		case errors.Is(err, cloud.ErrNoLogFile):
			if next != "" {
				file, marker, atEnd, next = next, "0", false, ""
				continue
			}
			// The file is gone: the next poll looks for the newer one.
			atEnd, gone = true, true
			poll = filesEvery*(poll/filesEvery+1) - 1
			continue
		case retryable(err):
			continue
		case err != nil:
			return err
		}
		if _, err := io.WriteString(out, part.Data); err != nil {
			return err
		}
		marker, atEnd = part.Marker, !part.More
		if atEnd && next != "" {
			file, marker, atEnd, next = next, "0", false, ""
		}
	}
}

// retryable tells the errors a later call may not get: the cloud throttled or failed, or
// the database is busy.
func retryable(err error) bool {
	return errors.Is(err, cloud.ErrTransient) || errors.Is(err, cloud.ErrBusy)
}

// sinceFilter drops the lines logged before cutoff; a zero cutoff keeps everything. A
// line's time is the one it starts with (PostgreSQL's 2026-12-02 08:02:04 UTC, MySQL's
// 2026-12-02T08:02:04.123456Z, MariaDB's 2026-12-02  8:02:04), in UTC as the cloud logs;
// a line without one (a statement's continuation) goes with the line before it. The log
// is in time order: from the first line kept on, everything is.
type sinceFilter struct {
	cutoff  time.Time
	reached bool
}

var lineTime = regexp.MustCompile(`^(\d{4})-(\d{2})-(\d{2})[ T] ?(\d{1,2}):(\d{2}):(\d{2})`)

func (f *sinceFilter) keep(data string) string {
	if f.cutoff.IsZero() || f.reached {
		return data
	}
	for i := 0; i < len(data); {
		end := strings.IndexByte(data[i:], '\n')
		if end < 0 {
			end = len(data) - i - 1
		}
		if m := lineTime.FindStringSubmatch(data[i : i+end+1]); m != nil {
			n := make([]int, 6)
			for k := range n {
				n[k], _ = strconv.Atoi(m[k+1])
			}
			if t := time.Date(n[0], time.Month(n[1]), n[2], n[3], n[4], n[5], 0, time.UTC); !t.Before(f.cutoff.Truncate(time.Second)) {
				f.reached = true
				return data[i:]
			}
		}
		i += end + 1
	}
	return ""
}
