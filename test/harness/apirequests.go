package harness

import (
	"net/http"
	"strings"
	"sync"
	"time"
)

// APIRequest is one request the operator sent to the apiserver, as its answer came back.
type APIRequest struct {
	At time.Time
	// Method is the HTTP method: POST creates, PUT updates, PATCH patches, GET reads.
	Method string
	// Namespace and Resource are what the path names ("secrets", "events", "rdsdatabases").
	Namespace, Resource string
	// Code is the HTTP status of the answer; 0 when none came.
	Code int
}

// apiLog records the operator's namespaced requests to the apiserver, so a test can count
// what the operator did in a namespace, refused writes included, whether or not it logged
// them.
type apiLog struct {
	mu       sync.Mutex
	requests []APIRequest
}

// wrap records each namespaced request next sends.
func (l *apiLog) wrap(next http.RoundTripper) http.RoundTripper {
	return roundTripperFunc(func(req *http.Request) (*http.Response, error) {
		resp, err := next.RoundTrip(req)
		ns, resource, ok := namespacedPath(req.URL.Path)
		if !ok {
			return resp, err
		}
		r := APIRequest{At: time.Now(), Method: req.Method, Namespace: ns, Resource: resource}
		if resp != nil {
			r.Code = resp.StatusCode
		}
		l.mu.Lock()
		l.requests = append(l.requests, r)
		l.mu.Unlock()
		return resp, err
	})
}

type roundTripperFunc func(*http.Request) (*http.Response, error)

func (f roundTripperFunc) RoundTrip(req *http.Request) (*http.Response, error) { return f(req) }

// namespacedPath returns the namespace and resource an apiserver path names:
// /api/v1/namespaces/NS/RESOURCE/... or /apis/GROUP/VERSION/namespaces/NS/RESOURCE/...; a
// path naming the namespace itself has resource "namespaces".
func namespacedPath(path string) (namespace, resource string, ok bool) {
	parts := strings.Split(strings.Trim(path, "/"), "/")
	for i := 0; i+1 < len(parts); i++ {
		if parts[i] != "namespaces" {
			continue
		}
		if i+2 < len(parts) {
			return parts[i+1], parts[i+2], true
		}
		return parts[i+1], "namespaces", true
	}
	return "", "", false
}

// APIRequests returns the requests the operator sent about namespace since the given time,
// oldest first.
func (s *Stack) APIRequests(namespace string, since time.Time) []APIRequest {
	s.api.mu.Lock()
	defer s.api.mu.Unlock()
	var out []APIRequest
	for _, r := range s.api.requests {
		if r.Namespace == namespace && !r.At.Before(since) {
			out = append(out, r)
		}
	}
	return out
}
