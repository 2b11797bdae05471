// Package calllog counts an emulator's API calls by name and its errors by code, and keeps
// the latest calls: what each emulator serves at GET /_emulator/stats. Each emulator brings
// its own entry type, in its API's terms. A call a client sent again (its SDK retrying an
// attempt whose answer it did not get) counts as a call, since the cloud counts every
// request, and also as a retry, so a test can tell what its code asked for from what the
// transport repeated.
package calllog

import "sync"

// MaxEntries bounds the log; older entries are dropped.
const MaxEntries = 10000

// Stats is a copy of the counters and the log.
type Stats[C any] struct {
	Calls map[string]int `json:"calls"`
	// Retries counts, by name, the calls that were a client's retry of an earlier attempt.
	Retries map[string]int `json:"retries"`
	Errors  map[string]int `json:"errors"`
	Log     []C            `json:"log"`
}

// Operations is how many name calls a client's code made: the calls, less its SDK's retries.
func (s Stats[C]) Operations(name string) int { return s.Calls[name] - s.Retries[name] }

// Log counts calls and keeps their entries. The zero value is ready to use and safe for
// concurrent use.
type Log[C any] struct {
	mu      sync.Mutex
	calls   map[string]int
	retries map[string]int
	errors  map[string]int
	entries []C
}

// Record counts one answered call by name, as a retry too when retry is set, and, unless
// errCode is empty, its error by code, and keeps its entry.
func (l *Log[C]) Record(name, errCode string, retry bool, entry C) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.calls == nil {
		l.calls, l.retries, l.errors = map[string]int{}, map[string]int{}, map[string]int{}
	}
	l.calls[name]++
	if retry {
		l.retries[name]++
	}
	if errCode != "" {
		l.errors[errCode]++
	}
	l.entries = append(l.entries, entry)
	if len(l.entries) > MaxEntries {
		l.entries = l.entries[len(l.entries)-MaxEntries:]
	}
}

// Stats returns a copy of the counters and the log.
func (l *Log[C]) Stats() Stats[C] {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := Stats[C]{Calls: make(map[string]int, len(l.calls)), Retries: make(map[string]int, len(l.retries)),
		Errors: make(map[string]int, len(l.errors)), Log: append([]C{}, l.entries...)}
	for k, v := range l.calls {
		s.Calls[k] = v
	}
	for k, v := range l.retries {
		s.Retries[k] = v
	}
	for k, v := range l.errors {
		s.Errors[k] = v
	}
	return s
}

// Reset clears the counters and the log.
func (l *Log[C]) Reset() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.calls, l.retries, l.errors, l.entries = nil, nil, nil, nil
}
