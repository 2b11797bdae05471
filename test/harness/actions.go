package harness

import (
	"bytes"
	"io"
	"net/http"
	"net/url"
	"sort"
	"sync"
)

// actionLog remembers every RDS API action the emulator was asked for over the whole run,
// whatever the tests reset in between: the IAM policy test checks the policy allows each.
type actionLog struct {
	mu   sync.Mutex
	seen map[string]bool
}

// wrap records the Action of each Query API request before next answers it.
func (a *actionLog) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && r.URL.Path == "/" {
			body, err := io.ReadAll(r.Body)
			if err == nil {
				if form, err := url.ParseQuery(string(body)); err == nil && form.Get("Action") != "" {
					a.mu.Lock()
					if a.seen == nil {
						a.seen = map[string]bool{}
					}
					a.seen[form.Get("Action")] = true
					a.mu.Unlock()
				}
			}
			r.Body = io.NopCloser(bytes.NewReader(body))
		}
		next.ServeHTTP(w, r)
	})
}

// ActionsCalled returns every RDS API action the emulator was asked for so far, sorted.
func (s *Stack) ActionsCalled() []string {
	s.actions.mu.Lock()
	defer s.actions.mu.Unlock()
	out := make([]string, 0, len(s.actions.seen))
	for action := range s.actions.seen {
		out = append(out, action)
	}
	sort.Strings(out)
	return out
}
