package soak

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// conflictProxy stands between the operator and the apiserver and answers a fraction of the
// operator's optimistic writes (an update, or a patch that carries a resourceVersion) with
// 409 Conflict, exactly as the apiserver answers a write made from a stale read; the write
// is not forwarded, as the apiserver would not have applied it. Everything else, watches
// included, passes through.
type conflictProxy struct {
	proxy *httputil.ReverseProxy

	mu   sync.Mutex
	rng  *rand.Rand
	rate float64

	// conflicts counts the 409s the proxy made up, genuine those the apiserver sent, writes
	// the optimistic writes seen.
	conflicts atomic.Int64
	genuine   atomic.Int64
	writes    atomic.Int64
}

// newConflictProxy returns a proxy to target through transport (which carries the
// credentials), answering rate of the optimistic writes with a conflict.
func newConflictProxy(target *url.URL, transport http.RoundTripper, seed uint64) *conflictProxy {
	rp := httputil.NewSingleHostReverseProxy(target)
	rp.Transport = transport
	rp.FlushInterval = -1 // watches stream
	p := &conflictProxy{proxy: rp, rng: rand.New(rand.NewPCG(seed, seed^0x5eed))}
	rp.ModifyResponse = func(resp *http.Response) error {
		if resp.StatusCode == http.StatusConflict {
			p.genuine.Add(1)
		}
		return nil
	}
	return p
}

// SetRate changes the fraction of optimistic writes answered with a conflict.
func (p *conflictProxy) SetRate(rate float64) {
	p.mu.Lock()
	p.rate = rate
	p.mu.Unlock()
}

// ServeHTTP implements http.Handler.
func (p *conflictProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if optimistic, err := isOptimisticWrite(r); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	} else if optimistic {
		p.writes.Add(1)
		if p.draw() {
			p.conflicts.Add(1)
			writeConflict(w, r.URL.Path)
			return
		}
	}
	p.proxy.ServeHTTP(w, r)
}

func (p *conflictProxy) draw() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.rate > 0 && p.rng.Float64() < p.rate
}

// isOptimisticWrite tells whether the apiserver could answer r with a conflict: an update
// (PUT) or a patch naming the resourceVersion it was made from. It leaves r's body readable.
func isOptimisticWrite(r *http.Request) (bool, error) {
	switch r.Method {
	case http.MethodPut:
		return true, nil
	case http.MethodPatch:
		body, err := io.ReadAll(r.Body)
		if err != nil {
			return false, err
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		return bytes.Contains(body, []byte(`"resourceVersion"`)), nil
	}
	return false, nil
}

// writeConflict answers as the apiserver does when a write's resourceVersion is stale.
func writeConflict(w http.ResponseWriter, path string) {
	resource, group, name := describePath(path)
	qualified := resource
	if group != "" {
		qualified = resource + "." + group
	}
	status := metav1.Status{
		TypeMeta: metav1.TypeMeta{Kind: "Status", APIVersion: "v1"},
		Status:   metav1.StatusFailure,
		Message: fmt.Sprintf("Operation cannot be fulfilled on %s %q: the object has been modified; please apply your changes to the latest version and try again",
			qualified, name),
		Reason:  metav1.StatusReasonConflict,
		Details: &metav1.StatusDetails{Name: name, Group: group, Kind: resource},
		Code:    http.StatusConflict,
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusConflict)
	_ = json.NewEncoder(w).Encode(status)
}

// describePath reads the resource, API group and object name from an apiserver path:
// /api/v1/namespaces/<ns>/<resource>/<name>[/<subresource>] or
// /apis/<group>/<version>/namespaces/<ns>/<resource>/<name>[/<subresource>].
func describePath(path string) (resource, group, name string) {
	parts := strings.Split(strings.Trim(path, "/"), "/")
	if len(parts) > 0 && parts[0] == "apis" && len(parts) > 1 {
		group = parts[1]
	}
	for i, part := range parts {
		if part == "namespaces" && i+3 < len(parts) {
			return parts[i+2], group, parts[i+3]
		}
	}
	if n := len(parts); n >= 2 {
		return parts[n-2], group, parts[n-1]
	}
	return "", group, ""
}
