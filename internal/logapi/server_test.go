package logapi

import (
	"cmp"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-logr/logr"
	gocmp "github.com/google/go-cmp/cmp"
	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	v1 "github.com/matrixmind-cloud/aws-rds-operator/api/v1"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/cloud"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/controller"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/serverproc"
)

// proxyCN is the front proxy's name, as requestheader-allowed-names lists it.
const proxyCN = "front-proxy-client"

// frontProxyPKI is kube-apiserver's front-proxy CA and the client certificates a request
// may come with.
type frontProxyPKI struct {
	caPEM []byte
	// proxy is the front proxy's; wrongName is the CA's but of another name; stranger has
	// the front proxy's name from another CA.
	proxy, wrongName, stranger tls.Certificate
}

func newFrontProxyPKI(t *testing.T) frontProxyPKI {
	t.Helper()
	front, err := serverproc.NewCA("front-proxy-ca")
	if err != nil {
		t.Fatal(err)
	}
	other, err := serverproc.NewCA("front-proxy-ca")
	if err != nil {
		t.Fatal(err)
	}
	return frontProxyPKI{
		caPEM:     front.PEM,
		proxy:     issue(t, front, serverproc.Leaf{CommonName: proxyCN, Client: true}),
		wrongName: issue(t, front, serverproc.Leaf{CommonName: "system:anonymous", Client: true}),
		stranger:  issue(t, other, serverproc.Leaf{CommonName: proxyCN, Client: true}),
	}
}

func issue(t *testing.T, ca *serverproc.CA, leaf serverproc.Leaf) tls.Certificate {
	t.Helper()
	certPEM, keyPEM, err := ca.Issue(leaf)
	if err != nil {
		t.Fatal(err)
	}
	pair, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	return pair
}

// authConfigMap is kube-system/extension-apiserver-authentication as kube-apiserver
// publishes it, its lists as JSON arrays.
func authConfigMap(caPEM []byte) *corev1.ConfigMap {
	return &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Namespace: "kube-system", Name: AuthenticationConfigMap},
		Data: map[string]string{
			"requestheader-client-ca-file":       string(caPEM),
			"requestheader-allowed-names":        `["` + proxyCN + `"]`,
			"requestheader-username-headers":     `["X-Remote-User"]`,
			"requestheader-group-headers":        `["X-Remote-Group"]`,
			"requestheader-extra-headers-prefix": `["X-Remote-Extra-"]`,
		},
	}
}

// apiFixture is a Server over a fake cluster holding the shop namespace's RDSDatabases
// orders (whose database logcloud serves), pending (not placed yet) and broken (its cloud
// cannot be reached), and the SubjectAccessReviews it sent.
type apiFixture struct {
	server *Server
	// allow and why are kube-apiserver's answer to every review.
	allow bool
	why   string

	mu      sync.Mutex
	reviews []authorizationv1.SubjectAccessReviewSpec
}

// testScheme knows Kubernetes' types and ours; made once, as it takes a while.
var testScheme = sync.OnceValues(func() (*runtime.Scheme, error) {
	scheme := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(scheme); err != nil {
		return nil, err
	}
	return scheme, v1.AddToScheme(scheme)
})

func newAPIFixture(t *testing.T, pki frontProxyPKI, logs *logCloud, cfg Config) *apiFixture {
	t.Helper()
	scheme, err := testScheme()
	if err != nil {
		t.Fatal(err)
	}
	f := &apiFixture{}
	db := func(name string) *v1.RDSDatabase {
		return &v1.RDSDatabase{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: name}}
	}
	c := fake.NewClientBuilder().WithScheme(scheme).
		WithObjects(authConfigMap(pki.caPEM), db("orders"), db("pending"), db("broken")).
		WithInterceptorFuncs(interceptor.Funcs{Create: func(ctx context.Context, c client.WithWatch, obj client.Object, opts ...client.CreateOption) error {
			review, ok := obj.(*authorizationv1.SubjectAccessReview)
			if !ok {
				return c.Create(ctx, obj, opts...)
			}
			f.mu.Lock()
			defer f.mu.Unlock()
			f.reviews = append(f.reviews, review.Spec)
			review.Status = authorizationv1.SubjectAccessReviewStatus{Allowed: f.allow, Reason: f.why}
			return nil
		}}).Build()
	cfg.Reader, cfg.Client = c, c
	cfg.Locate = func(_ context.Context, db *v1.RDSDatabase) (cloud.Provider, string, error) {
		switch db.Namespace + "/" + db.Name {
		case "shop/orders":
			return logs.provider(), logDB, nil
		case "shop/pending":
			return nil, "", fmt.Errorf("locate shop/pending: %w", controller.ErrNotPlaced)
		}
		return nil, "", errors.New("DatabaseClass eu cannot be served: no credentials")
	}
	f.server = New(cfg)
	return f
}

// request is a request as kube-apiserver's proxy makes it: with the client certificate
// cert (none when nil) and headers naming the user.
func request(method, target string, cert *tls.Certificate, header http.Header) *http.Request {
	r := httptest.NewRequest(method, target, nil)
	r.TLS = &tls.ConnectionState{}
	if cert != nil {
		r.TLS.PeerCertificates = []*x509.Certificate{cert.Leaf}
	}
	for k, vs := range header {
		for _, v := range vs {
			r.Header.Add(k, v)
		}
	}
	return r
}

// statusOf reads the Kubernetes Status of a refusal.
func statusOf(t *testing.T, rec *httptest.ResponseRecorder) metav1.Status {
	t.Helper()
	var st metav1.Status
	if err := json.Unmarshal(rec.Body.Bytes(), &st); err != nil {
		t.Fatalf("the answer %d is no Status: %v\n%s", rec.Code, err, rec.Body)
	}
	return st
}

// TestServeLog: who may read a log through the API and what each is answered.
func TestServeLog(t *testing.T) {
	pki := newFrontProxyPKI(t)
	const logPath = "/apis/logs.matrixmind.cloud/v1/namespaces/shop/rdsdatabases/orders/log"
	alice := http.Header{
		"X-Remote-User":  {"alice"},
		"X-Remote-Group": {"dev", "system:authenticated"},
		// kube-apiserver sends an extra key lower-cased and percent-encoded.
		"X-Remote-Extra-Scopes":                {"read", "write"},
		"X-Remote-Extra-Example.com%2fproject": {"billing"},
	}
	aliceReview := func(name string) []authorizationv1.SubjectAccessReviewSpec {
		return []authorizationv1.SubjectAccessReviewSpec{{
			User: "alice", Groups: []string{"dev", "system:authenticated"},
			Extra: map[string]authorizationv1.ExtraValue{"scopes": {"read", "write"}, "example.com/project": {"billing"}},
			ResourceAttributes: &authorizationv1.ResourceAttributes{
				Namespace: "shop", Name: name, Verb: "get",
				Group: "logs.matrixmind.cloud", Version: "v1", Resource: "rdsdatabases", Subresource: "log",
			},
		}}
	}
	b := logFile{name: "b.log", written: time.Date(2026, 12, 2, 8, 0, 0, 0, time.UTC), lines: []string{"one\n", "two\n"}}
	cases := []struct {
		reason string
		method string
		target string
		cert   *tls.Certificate
		header http.Header
		allow  bool
		why    string
		files  []logFile
		page   int
		errs   map[int]error

		wantCode int
		wantLog  string
		// wantReason and wantMessage: the answer is a Status with this reason and a
		// message holding each of wantMessage.
		wantReason  metav1.StatusReason
		wantMessage []string
		wantReviews []authorizationv1.SubjectAccessReviewSpec
	}{
		{reason: "A request without a client certificate did not come through kube-apiserver: its headers are not believed.",
			target: logPath, header: alice, allow: true, files: []logFile{b},
			wantCode: http.StatusUnauthorized, wantReason: metav1.StatusReasonUnauthorized, wantMessage: []string{"no client certificate"}},
		{reason: "A client certificate of another CA is refused, whatever its name.",
			target: logPath, cert: &pki.stranger, header: alice, allow: true, files: []logFile{b},
			wantCode: http.StatusUnauthorized, wantReason: metav1.StatusReasonUnauthorized, wantMessage: []string{"not the front proxy's"}},
		{reason: "A certificate of the front proxy's CA but not of one of requestheader-allowed-names is refused.",
			target: logPath, cert: &pki.wrongName, header: alice, allow: true, files: []logFile{b},
			wantCode: http.StatusUnauthorized, wantReason: metav1.StatusReasonUnauthorized, wantMessage: []string{`"system:anonymous" is not one of the front proxy's`}},
		{reason: "The front proxy's certificate without a user header names nobody to authorize.",
			target: logPath, cert: &pki.proxy, header: http.Header{"X-Remote-Group": {"system:masters"}}, allow: true, files: []logFile{b},
			wantCode: http.StatusUnauthorized, wantReason: metav1.StatusReasonUnauthorized, wantMessage: []string{"names no user"}},
		{reason: "A user kube-apiserver does not allow get on rdsdatabases/log is forbidden, told who and what, with kube-apiserver's reason; the review carries the user, groups, extra and the object.",
			target: logPath, cert: &pki.proxy, header: alice, allow: false, why: "no RBAC policy matched", files: []logFile{b},
			wantCode: http.StatusForbidden, wantReason: metav1.StatusReasonForbidden,
			wantMessage: []string{`User "alice"`, `"rdsdatabases/log"`, `"orders"`, `namespace "shop"`, "no RBAC policy matched"},
			wantReviews: aliceReview("orders")},
		{reason: "An allowed user gets the newest file whole as text/plain; the review asked about this object.",
			target: logPath, cert: &pki.proxy, header: alice, allow: true, files: []logFile{b},
			wantCode: http.StatusOK, wantLog: "one\ntwo\n", wantReviews: aliceReview("orders")},
		{reason: "The query reaches the reader.",
			target: logPath + "?tailLines=1", cert: &pki.proxy, header: alice, allow: true, files: []logFile{b},
			wantCode: http.StatusOK, wantLog: "two\n", wantReviews: aliceReview("orders")},
		{reason: "A query the API refuses is a 400 with what is wrong.",
			target: logPath + "?follow=maybe", cert: &pki.proxy, header: alice, allow: true, files: []logFile{b},
			wantCode: http.StatusBadRequest, wantReason: metav1.StatusReasonBadRequest, wantMessage: []string{`follow "maybe"`}},
		{reason: "An object that does not exist is a 404, said only to a user allowed to read it.",
			target: "/apis/logs.matrixmind.cloud/v1/namespaces/shop/rdsdatabases/missing/log", cert: &pki.proxy, header: alice, allow: true,
			wantCode: http.StatusNotFound, wantReason: metav1.StatusReasonNotFound, wantMessage: []string{`"missing" not found`},
			wantReviews: aliceReview("missing")},
		{reason: "An object without a cloud database yet (Locate's ErrNotPlaced, wrapped) is a 404 saying so.",
			target: "/apis/logs.matrixmind.cloud/v1/namespaces/shop/rdsdatabases/pending/log", cert: &pki.proxy, header: alice, allow: true,
			wantCode: http.StatusNotFound, wantReason: metav1.StatusReasonNotFound, wantMessage: []string{"shop/pending has no cloud database yet"},
			wantReviews: aliceReview("pending")},
		{reason: "A cloud the operator cannot reach for the object is a 503 with why.",
			target: "/apis/logs.matrixmind.cloud/v1/namespaces/shop/rdsdatabases/broken/log", cert: &pki.proxy, header: alice, allow: true,
			wantCode: http.StatusServiceUnavailable, wantReason: metav1.StatusReasonServiceUnavailable, wantMessage: []string{"no credentials"},
			wantReviews: aliceReview("broken")},
		{reason: "A database without log files is a 404.",
			target: logPath, cert: &pki.proxy, header: alice, allow: true,
			wantCode: http.StatusNotFound, wantReason: metav1.StatusReasonNotFound, wantMessage: []string{"no log file yet"},
			wantReviews: aliceReview("orders")},
		{reason: "A cloud error before anything is printed is a 502 with it.",
			target: logPath, cert: &pki.proxy, header: alice, allow: true, files: []logFile{b}, errs: map[int]error{1: cloud.ErrTransient},
			wantCode: http.StatusBadGateway, wantReason: metav1.StatusReasonServiceUnavailable, wantMessage: []string{cloud.ErrTransient.Error()},
			wantReviews: aliceReview("orders")},
		{reason: "A cloud that serves no logs through the operator is a 501 saying so.",
			target: logPath, cert: &pki.proxy, header: alice, allow: true, files: []logFile{b}, errs: map[int]error{1: fmt.Errorf("list log files: %w", cloud.ErrUnsupported)},
			wantCode: http.StatusNotImplemented, wantReason: "NotImplemented", wantMessage: []string{cloud.ErrUnsupported.Error()},
			wantReviews: aliceReview("orders")},
		{reason: "A cloud error once the log is half printed ends it with the error, where the reader sees it.",
			target: logPath, cert: &pki.proxy, header: alice, allow: true, files: []logFile{b}, page: 1, errs: map[int]error{3: cloud.ErrTransient},
			wantCode: http.StatusOK, wantLog: "one\n\nerror: " + cloud.ErrTransient.Error() + "\n",
			wantReviews: aliceReview("orders")},
		{reason: "The API serves get only.",
			method: http.MethodPost, target: logPath, cert: &pki.proxy, header: alice, allow: true, files: []logFile{b},
			wantCode: http.StatusMethodNotAllowed, wantReason: metav1.StatusReasonMethodNotAllowed, wantMessage: []string{"only serves get"}},
		{reason: "Another subresource is not served.",
			target: "/apis/logs.matrixmind.cloud/v1/namespaces/shop/rdsdatabases/orders/exec", cert: &pki.proxy, header: alice, allow: true,
			wantCode: http.StatusNotFound, wantReason: metav1.StatusReasonNotFound, wantMessage: []string{"rdsdatabases/backups only"}},
	}
	for i, tc := range cases {
		t.Run(strconv.Itoa(i), func(t *testing.T) {
			logs := &logCloud{files: tc.files, page: tc.page, errs: tc.errs}
			f := newAPIFixture(t, pki, logs, Config{})
			f.allow, f.why = tc.allow, tc.why
			rec := httptest.NewRecorder()
			f.server.ServeHTTP(rec, request(cmp.Or(tc.method, http.MethodGet), tc.target, tc.cert, tc.header))

			if rec.Code != tc.wantCode {
				t.Errorf("%s\nanswer %d; want %d\n%s", tc.reason, rec.Code, tc.wantCode, rec.Body)
			}
			if tc.wantReason != "" {
				st := statusOf(t, rec)
				if st.Reason != tc.wantReason || st.Code != int32(tc.wantCode) {
					t.Errorf("%s\nStatus reason %q, code %d; want %q, %d", tc.reason, st.Reason, st.Code, tc.wantReason, tc.wantCode)
				}
				for _, m := range tc.wantMessage {
					if !strings.Contains(st.Message, m) {
						t.Errorf("%s\nStatus message %q; want it to say %q", tc.reason, st.Message, m)
					}
				}
			} else {
				if got := rec.Header().Get("Content-Type"); got != "text/plain; charset=utf-8" {
					t.Errorf("%s\nContent-Type %q; want text/plain", tc.reason, got)
				}
				if diff := gocmp.Diff(tc.wantLog, rec.Body.String()); diff != "" {
					t.Errorf("%s\nlog, -want +got:\n%s", tc.reason, diff)
				}
			}
			if diff := gocmp.Diff(tc.wantReviews, f.reviews); diff != "" {
				t.Errorf("%s\nSubjectAccessReviews sent, -want +got:\n%s", tc.reason, diff)
			}
		})
	}
}

// TestServeDiscovery: the discovery documents kube-apiserver reads to mark the APIService
// available and kubectl reads to know the resource, served to the front proxy without a
// review.
func TestServeDiscovery(t *testing.T) {
	pki := newFrontProxyPKI(t)
	gv := metav1.GroupVersionForDiscovery{GroupVersion: "logs.matrixmind.cloud/v1", Version: "v1"}
	group := metav1.APIGroup{TypeMeta: metav1.TypeMeta{Kind: "APIGroup", APIVersion: "v1"}, Name: "logs.matrixmind.cloud", Versions: []metav1.GroupVersionForDiscovery{gv}, PreferredVersion: gv}
	cases := []struct {
		reason string
		path   string
		got    any // a pointer the answer is decoded into
		want   any
	}{
		{reason: "/apis lists the group.", path: "/apis", got: &metav1.APIGroupList{},
			want: &metav1.APIGroupList{TypeMeta: metav1.TypeMeta{Kind: "APIGroupList", APIVersion: "v1"}, Groups: []metav1.APIGroup{group}}},
		{reason: "The group names its one version, preferred.", path: "/apis/logs.matrixmind.cloud", got: &metav1.APIGroup{}, want: &group},
		{reason: "The version lists rdsdatabases/log and rdsdatabases/backups, namespaced, with the one verb get.", path: "/apis/logs.matrixmind.cloud/v1/", got: &metav1.APIResourceList{},
			want: &metav1.APIResourceList{
				TypeMeta: metav1.TypeMeta{Kind: "APIResourceList", APIVersion: "v1"}, GroupVersion: "logs.matrixmind.cloud/v1",
				APIResources: []metav1.APIResource{
					{Name: "rdsdatabases/log", Namespaced: true, Kind: "RDSDatabaseLog", Verbs: metav1.Verbs{"get"}},
					{Name: "rdsdatabases/backups", Namespaced: true, Kind: "RDSDatabaseBackups", Verbs: metav1.Verbs{"get"}},
				},
			}},
	}
	for i, tc := range cases {
		t.Run(strconv.Itoa(i), func(t *testing.T) {
			f := newAPIFixture(t, pki, &logCloud{}, Config{})
			rec := httptest.NewRecorder()
			f.server.ServeHTTP(rec, request(http.MethodGet, tc.path, &pki.proxy, nil))
			if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != "application/json" {
				t.Fatalf("%s\nanswer %d, %s; want 200 JSON\n%s", tc.reason, rec.Code, rec.Header().Get("Content-Type"), rec.Body)
			}
			if err := json.Unmarshal(rec.Body.Bytes(), tc.got); err != nil {
				t.Fatalf("%s\n%v", tc.reason, err)
			}
			if diff := gocmp.Diff(tc.want, tc.got); diff != "" {
				t.Errorf("%s\n-want +got:\n%s", tc.reason, diff)
			}
			if len(f.reviews) != 0 {
				t.Errorf("%s\ndiscovery sent reviews %+v; want none", tc.reason, f.reviews)
			}
		})
	}
}

// TestServeFollowLimit: a follower holds one of MaxFollowers places for as long as it
// follows; one more is refused with 429, and a place freed is taken again.
func TestServeFollowLimit(t *testing.T) {
	pki := newFrontProxyPKI(t)
	logs := &logCloud{files: []logFile{{name: "b.log", lines: []string{"one\n"}}}}
	// One follower at a time, which never polls: it only waits for its client to go.
	f := newAPIFixture(t, pki, logs, Config{MaxFollowers: 1, Poll: time.Hour})
	f.allow = true
	alice := http.Header{"X-Remote-User": {"alice"}}
	const target = "/apis/logs.matrixmind.cloud/v1/namespaces/shop/rdsdatabases/orders/log?follow=true"

	// follow starts a follower and returns once it prints; stop ends it and returns its
	// answer.
	follow := func() (stop func() *httptest.ResponseRecorder) {
		ctx, cancel := context.WithCancel(t.Context())
		printed := make(chan struct{})
		rec := &notifyingRecorder{ResponseRecorder: httptest.NewRecorder(), written: printed}
		done := make(chan struct{})
		go func() {
			defer close(done)
			f.server.ServeHTTP(rec, request(http.MethodGet, target, &pki.proxy, alice).WithContext(ctx))
		}()
		select {
		case <-printed:
		case <-done:
		}
		if rec.Code != http.StatusOK {
			cancel()
			<-done
			t.Fatalf("a follower refused: %d\n%s", rec.Code, rec.Body)
		}
		return func() *httptest.ResponseRecorder {
			cancel()
			<-done
			return rec.ResponseRecorder
		}
	}

	stop := follow()
	rec := httptest.NewRecorder()
	f.server.ServeHTTP(rec, request(http.MethodGet, target, &pki.proxy, alice))
	if rec.Code != http.StatusTooManyRequests || statusOf(t, rec).Reason != metav1.StatusReasonTooManyRequests {
		t.Errorf("a second follower while one follows: %d\n%s; want 429 TooManyRequests", rec.Code, rec.Body)
	}
	rec = httptest.NewRecorder()
	f.server.ServeHTTP(rec, request(http.MethodGet, strings.TrimSuffix(target, "?follow=true"), &pki.proxy, alice))
	if rec.Code != http.StatusOK || rec.Body.String() != "one\n" {
		t.Errorf("a read without follow while one follows: %d %q; want 200 with the log (only followers are bounded)", rec.Code, rec.Body)
	}
	if first := stop(); first.Code != http.StatusOK || first.Body.String() != "one\n" {
		t.Errorf("the first follower: %d %q; want 200 with the log", first.Code, first.Body)
	}
	// Its place is free again.
	follow()()
}

// notifyingRecorder closes written at the first write: the handler has started to answer.
type notifyingRecorder struct {
	*httptest.ResponseRecorder
	written chan struct{}
	once    sync.Once
}

func (r *notifyingRecorder) Write(p []byte) (int, error) {
	n, err := r.ResponseRecorder.Write(p)
	r.once.Do(func() { close(r.written) })
	return n, err
}

// TestServerStart: over a real TLS connection, as Start serves, the front proxy's client
// certificate reaches the check (the server asks for one without requiring it), a client
// without one is refused, and Start returns nil once its context ends.
func TestServerStart(t *testing.T) {
	pki := newFrontProxyPKI(t)
	serving, err := serverproc.NewCA("log-api-ca")
	if err != nil {
		t.Fatal(err)
	}
	f := newAPIFixture(t, pki, &logCloud{}, Config{
		Addr:        "127.0.0.1:0",
		Certificate: issue(t, serving, serverproc.Leaf{CommonName: "log-api", IPs: []net.IP{net.IPv4(127, 0, 0, 1)}}),
	})
	ctx, cancel := context.WithCancel(logf.IntoContext(t.Context(), logr.Discard()))
	defer cancel()
	started := make(chan error, 1)
	go func() { started <- f.server.Start(ctx) }()

	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(serving.PEM)
	cases := []struct {
		reason   string
		certs    []tls.Certificate
		wantCode int
	}{
		{reason: "The front proxy's certificate, sent at the handshake, is accepted.", certs: []tls.Certificate{pki.proxy}, wantCode: http.StatusOK},
		{reason: "A client without a certificate gets through the handshake and is refused by the API.", wantCode: http.StatusUnauthorized},
	}
	for _, tc := range cases {
		hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots, Certificates: tc.certs}}}
		resp, err := hc.Get("https://" + f.server.Addr() + "/apis")
		if err != nil {
			t.Fatalf("%s\n%v", tc.reason, err)
		}
		resp.Body.Close()
		hc.CloseIdleConnections()
		if resp.StatusCode != tc.wantCode {
			t.Errorf("%s\nanswer %d; want %d", tc.reason, resp.StatusCode, tc.wantCode)
		}
	}
	cancel()
	if err := <-started; err != nil {
		t.Errorf("Start once its context ended = %v; want nil", err)
	}
}
