// Package logapi serves the logs of the databases behind RDSDatabase objects to people who
// have Kubernetes rights and no cloud ones: an aggregated API (group logs.matrixmind.cloud)
// that kube-apiserver proxies to the operator. kube-apiserver authenticates the user and
// authorizes `get` on rdsdatabases/log in the object's namespace; the operator checks the
// proxy's client certificate, asks kube-apiserver again with a SubjectAccessReview, and
// reads the log with its own cloud credentials. docs/design.md says why this design.
package logapi

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	v1 "github.com/matrixmind-cloud/aws-rds-operator/api/v1"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/cloud"
)

// The API group and version the log API serves, its resource and the subresources it
// serves of it: the log, and the list of backups and exports.
const (
	Group              = "logs.matrixmind.cloud"
	Version            = "v1"
	Resource           = "rdsdatabases"
	Subresource        = "log"
	BackupsSubresource = "backups"
)

// Locator finds the cloud database of an object: the provider that serves it and its
// identifier there. An apierrors NotFound error, or controller.ErrNotPlaced wrapped, say the
// object or its database does not exist.
type Locator func(ctx context.Context, db *v1.RDSDatabase) (cloud.Provider, string, error)

// Config configures a Server.
type Config struct {
	// Addr is where the API is served, e.g. ":8443"; 127.0.0.1:0 picks a free port
	// (Server.Addr tells which once started).
	Addr string
	// Certificate is the server's TLS certificate, the one the APIService's caBundle
	// verifies.
	Certificate tls.Certificate
	// Reader reads RDSDatabase objects and kube-system's extension-apiserver-authentication
	// ConfigMap, uncached.
	Reader client.Reader
	// Client creates the SubjectAccessReviews.
	Client client.Client
	// Locate finds an object's cloud database.
	Locate Locator
	// Poll is how often a follower reads the log again; 0 means DefaultPoll.
	Poll time.Duration
	// MaxFollowers bounds the logs followed at once; 0 means DefaultMaxFollowers.
	MaxFollowers int
	// Now tells the time for --since; nil is time.Now.
	Now func() time.Time
}

// DefaultPoll: a follower costs one cloud call every five seconds, RDS's own console's pace.
const DefaultPoll = 5 * time.Second

// DefaultMaxFollowers bounds what followers cost the cloud account's API rate, which the
// operator's reconciles share: 16 followers are about 3 calls a second.
const DefaultMaxFollowers = 16

// The log API asks kube-apiserver whether the user may read a log. (It reads kube-system's
// extension-apiserver-authentication ConfigMap through the built-in Role
// extension-apiserver-authentication-reader, which the Helm chart binds.)
// +kubebuilder:rbac:groups=authorization.k8s.io,resources=subjectaccessreviews,verbs=create

// Server is the log API. It runs on every replica of the operator, leader or not.
type Server struct {
	cfg       Config
	followers chan struct{}
	auth      *frontProxy

	mu       sync.Mutex
	listener net.Listener
	ready    chan struct{}
}

// New returns a Server for cfg.
func New(cfg Config) *Server {
	if cfg.Poll <= 0 {
		cfg.Poll = DefaultPoll
	}
	if cfg.MaxFollowers <= 0 {
		cfg.MaxFollowers = DefaultMaxFollowers
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Server{cfg: cfg, followers: make(chan struct{}, cfg.MaxFollowers), auth: &frontProxy{reader: cfg.Reader}, ready: make(chan struct{})}
}

// NeedLeaderElection implements manager.LeaderElectionRunnable: every replica serves.
func (s *Server) NeedLeaderElection() bool { return false }

// Addr is the address the server listens on, once Start has tried to bind it; "" when it
// could not.
func (s *Server) Addr() string {
	<-s.ready
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.listener == nil {
		return ""
	}
	return s.listener.Addr().String()
}

// Start implements manager.Runnable: it serves until ctx is done.
func (s *Server) Start(ctx context.Context) error {
	ln, err := net.Listen("tcp", s.cfg.Addr)
	s.mu.Lock()
	s.listener = ln
	s.mu.Unlock()
	close(s.ready)
	if err != nil {
		return fmt.Errorf("log API: %w", err)
	}
	srv := &http.Server{
		Handler:           s,
		ReadHeaderTimeout: 10 * time.Second,
		BaseContext:       func(net.Listener) context.Context { return ctx },
		TLSConfig: &tls.Config{
			Certificates: []tls.Certificate{s.cfg.Certificate},
			MinVersion:   tls.VersionTLS12,
			// The client certificate is verified per request against the front proxy's CA
			// as kube-apiserver publishes it now (frontProxy), not a pool fixed at start.
			ClientAuth: tls.RequestClientCert,
		},
	}
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdown)
	}()
	logf.FromContext(ctx).WithName("log-api").Info("serving database logs", "address", ln.Addr().String(), "group", Group)
	if err := srv.ServeTLS(ln, "", ""); !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("log API: %w", err)
	}
	return nil
}

// ServeHTTP routes a request proxied by kube-apiserver.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if err := s.auth.verifyProxy(ctx, r); err != nil {
		writeStatus(w, http.StatusUnauthorized, metav1.StatusReasonUnauthorized, err.Error())
		return
	}
	if r.Method != http.MethodGet {
		writeStatus(w, http.StatusMethodNotAllowed, metav1.StatusReasonMethodNotAllowed, "the log API only serves get")
		return
	}
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	switch {
	case r.URL.Path == "/apis":
		writeJSON(w, apiGroupList())
	case len(parts) == 2 && parts[0] == "apis" && parts[1] == Group:
		writeJSON(w, apiGroup())
	case len(parts) == 3 && parts[0] == "apis" && parts[1] == Group && parts[2] == Version:
		writeJSON(w, resourceList())
	case len(parts) == 8 && parts[0] == "apis" && parts[1] == Group && parts[2] == Version &&
		parts[3] == "namespaces" && parts[5] == Resource && parts[7] == Subresource:
		s.serveLog(w, r, parts[4], parts[6])
	case len(parts) == 8 && parts[0] == "apis" && parts[1] == Group && parts[2] == Version &&
		parts[3] == "namespaces" && parts[5] == Resource && parts[7] == BackupsSubresource:
		s.serveBackups(w, r, parts[4], parts[6])
	default:
		writeStatus(w, http.StatusNotFound, metav1.StatusReasonNotFound, "the log API serves "+Resource+"/"+Subresource+" and "+Resource+"/"+BackupsSubresource+" only")
	}
}

// apiGroupList, apiGroup and resourceList are the API's discovery documents:
// kube-apiserver reads them to mark the APIService available, and kubectl to know the
// resource.
func apiGroupList() *metav1.APIGroupList {
	return &metav1.APIGroupList{TypeMeta: metav1.TypeMeta{Kind: "APIGroupList", APIVersion: "v1"}, Groups: []metav1.APIGroup{*apiGroup()}}
}

func apiGroup() *metav1.APIGroup {
	gv := metav1.GroupVersionForDiscovery{GroupVersion: Group + "/" + Version, Version: Version}
	return &metav1.APIGroup{TypeMeta: metav1.TypeMeta{Kind: "APIGroup", APIVersion: "v1"}, Name: Group, Versions: []metav1.GroupVersionForDiscovery{gv}, PreferredVersion: gv}
}

func resourceList() *metav1.APIResourceList {
	return &metav1.APIResourceList{
		TypeMeta:     metav1.TypeMeta{Kind: "APIResourceList", APIVersion: "v1"},
		GroupVersion: Group + "/" + Version,
		APIResources: []metav1.APIResource{
			{Name: Resource + "/" + Subresource, Namespaced: true, Kind: "RDSDatabaseLog", Verbs: metav1.Verbs{"get"}},
			{Name: Resource + "/" + BackupsSubresource, Namespaced: true, Kind: BackupListKind, Verbs: metav1.Verbs{"get"}},
		},
	}
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

// writeStatus answers with a Kubernetes Status, which kubectl and client-go turn into the
// error they print.
func writeStatus(w http.ResponseWriter, code int, reason metav1.StatusReason, message string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(&metav1.Status{
		TypeMeta: metav1.TypeMeta{Kind: "Status", APIVersion: "v1"},
		Status:   metav1.StatusFailure, Code: int32(code), Reason: reason, Message: message,
	})
}
