package soak

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestConflictProxy(t *testing.T) {
	const secretPath = "/api/v1/namespaces/shop/secrets/orders.rds.master"
	const statusPath = "/apis/matrixmind.cloud/v1/namespaces/shop/rdsdatabases/orders/status"
	cases := map[string]struct {
		reason       string
		rate         float64
		method, path string
		body         string
		wantConflict bool
		wantDetails  metav1.StatusDetails
	}{
		"UpdateConflicts": {
			reason: "An update is answered with the apiserver's 409 Conflict, naming the object, and is not forwarded.",
			rate:   1, method: http.MethodPut, path: secretPath, body: `{"metadata":{"resourceVersion":"7"}}`,
			wantConflict: true, wantDetails: metav1.StatusDetails{Name: "orders.rds.master", Kind: "secrets"},
		},
		"OptimisticStatusPatchConflicts": {
			reason: "A status patch carrying a resourceVersion can conflict, and does.",
			rate:   1, method: http.MethodPatch, path: statusPath, body: `{"metadata":{"resourceVersion":"9"},"status":{"phase":"Ready"}}`,
			wantConflict: true, wantDetails: metav1.StatusDetails{Name: "orders", Group: "matrixmind.cloud", Kind: "rdsdatabases"},
		},
		"PlainPatchPasses": {
			reason: "A patch without a resourceVersion never conflicts on an apiserver, so it passes.",
			rate:   1, method: http.MethodPatch, path: secretPath, body: `{"metadata":{"labels":{"a":"b"}}}`,
		},
		"ReadPasses": {
			reason: "Reads and watches pass.",
			rate:   1, method: http.MethodGet, path: secretPath,
		},
		"RateZeroPasses": {
			reason: "With rate 0 every write passes.",
			rate:   0, method: http.MethodPut, path: secretPath, body: `{}`,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			var forwarded atomic.Int32
			backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				forwarded.Add(1)
				w.Header().Set("Content-Type", "application/json")
				_, _ = w.Write([]byte(`{}`))
			}))
			defer backend.Close()
			target, _ := url.Parse(backend.URL)
			p := newConflictProxy(target, http.DefaultTransport, 1)
			p.SetRate(tc.rate)
			front := httptest.NewServer(p)
			defer front.Close()

			req, _ := http.NewRequest(tc.method, front.URL+tc.path, strings.NewReader(tc.body))
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			if got := forwarded.Load() == 0; got != tc.wantConflict {
				t.Errorf("%s\nnot forwarded = %t, want %t", tc.reason, got, tc.wantConflict)
			}
			if !tc.wantConflict {
				if resp.StatusCode != http.StatusOK {
					t.Errorf("%s\nstatus %d, want 200", tc.reason, resp.StatusCode)
				}
				return
			}
			var status metav1.Status
			if err := json.NewDecoder(resp.Body).Decode(&status); err != nil {
				t.Fatal(err)
			}
			if !apierrors.IsConflict(apierrors.FromObject(&status)) || resp.StatusCode != http.StatusConflict {
				t.Errorf("%s\nanswer %d %+v is not a conflict", tc.reason, resp.StatusCode, status)
			}
			if diff := cmp.Diff(tc.wantDetails, *status.Details); diff != "" {
				t.Errorf("%s\ndetails: -want +got:\n%s", tc.reason, diff)
			}
			if p.conflicts.Load() != 1 {
				t.Errorf("%s\nconflicts counted %d, want 1", tc.reason, p.conflicts.Load())
			}
		})
	}
}
