package soak

import (
	"bytes"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
)

// Call is one RDS API call the operator made, as the wire saw it.
type Call struct {
	Action string
	// ID is the DB instance the call concerned: its DBInstanceIdentifier, or the instance
	// a tag call's ResourceName ARN names; "" for calls about no single instance.
	ID string
	// Snapshot is the DB snapshot the call named (DBSnapshotIdentifier, an identifier or
	// an ARN, read as its identifier): the one a restore was made from.
	Snapshot string
	// Code is the AWS error code of the answer; "" when the call succeeded.
	Code string
}

// callLog records every call that passes through it, unbounded (the emulator's own log
// keeps only the latest entries, and a soak makes more).
type callLog struct {
	mu    sync.Mutex
	calls []Call
}

// errorCode finds the code in an awsquery error answer.
var errorCode = regexp.MustCompile(`<Code>([^<]*)</Code>`)

// wrap records each Query API call next answers.
func (l *callLog) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/" {
			next.ServeHTTP(w, r)
			return
		}
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		form, _ := url.ParseQuery(string(body))
		rec := &recorder{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(rec, r)
		call := Call{Action: form.Get("Action"), ID: callID(form), Snapshot: snapshotID(form)}
		if rec.status >= 300 {
			call.Code = "HTTP" + http.StatusText(rec.status)
			if m := errorCode.FindSubmatch(rec.errBody.Bytes()); m != nil {
				call.Code = string(m[1])
			}
		}
		l.mu.Lock()
		l.calls = append(l.calls, call)
		l.mu.Unlock()
	})
}

// callID names the instance a call concerns.
func callID(form url.Values) string {
	if id := form.Get("DBInstanceIdentifier"); id != "" {
		return strings.ToLower(id)
	}
	// Tag calls name an ARN: arn:aws:rds:<region>:<account>:db:<id>.
	if _, id, ok := strings.Cut(form.Get("ResourceName"), ":db:"); ok {
		return strings.ToLower(id)
	}
	return ""
}

// snapshotID names the snapshot a call concerns: the identifier, or the last part of an ARN
// (arn:aws:rds:<region>:<account>:snapshot:<id>).
func snapshotID(form url.Values) string {
	id := form.Get("DBSnapshotIdentifier")
	if _, last, ok := strings.Cut(id, ":snapshot:"); ok {
		id = last
	}
	return strings.ToLower(id)
}

// Calls returns a copy of the calls recorded so far.
func (l *callLog) Calls() []Call {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]Call(nil), l.calls...)
}

// recorder keeps the status and, for an error, the start of the body.
type recorder struct {
	http.ResponseWriter
	status      int
	wroteHeader bool
	errBody     bytes.Buffer
}

func (r *recorder) WriteHeader(status int) {
	if !r.wroteHeader {
		r.status, r.wroteHeader = status, true
	}
	r.ResponseWriter.WriteHeader(status)
}

func (r *recorder) Write(b []byte) (int, error) {
	r.wroteHeader = true
	if r.status >= 300 && r.errBody.Len() < 4096 {
		r.errBody.Write(b)
	}
	return r.ResponseWriter.Write(b)
}
