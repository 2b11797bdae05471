package gcpemulator

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"sync"

	"github.com/fsouza/fake-gcs-server/fakestorage"

	"github.com/matrixmind-cloud/aws-rds-operator/internal/serverproc"
)

// gcsBucketName is the form of a Cloud Storage bucket name without dots: 3-63 lowercase
// letters, digits, dashes and underscores, beginning and ending with a letter or digit.
// Names with dots (up to 222 characters, 63 per dot-separated part) are Cloud Storage's
// domain-named buckets.
var gcsBucketName = regexp.MustCompile(`^[a-z0-9][a-z0-9_.-]{1,220}[a-z0-9]$`)

// validBucketName reports whether name is a Cloud Storage bucket name.
func validBucketName(name string) bool {
	if !gcsBucketName.MatchString(name) || strings.Contains(name, "..") || strings.HasPrefix(name, "goog") {
		return false
	}
	if !strings.Contains(name, ".") {
		return len(name) <= 63
	}
	for _, part := range strings.Split(name, ".") {
		if part == "" || len(part) > 63 {
			return false
		}
	}
	return true
}

// gcsStore is the emulator's Cloud Storage stand-in: fake-gcs-server's fakestorage over
// its in-memory backend, holding the buckets of Config.Buckets. Exports write into it;
// any Cloud Storage JSON API client reads it.
type gcsStore struct {
	server *fakestorage.Server

	mu sync.Mutex
	// endpoint is the URL ListenGCS serves the store at, "" until it does.
	endpoint string
}

// newGCSStore starts an in-memory store (no listener of its own) holding buckets.
func newGCSStore(buckets []string) (*gcsStore, error) {
	for _, b := range buckets {
		if !validBucketName(b) {
			return nil, fmt.Errorf("cloud storage stand-in: %q is not a bucket name", b)
		}
	}
	srv, err := fakestorage.NewServerWithOptions(fakestorage.Options{NoListener: true, Scheme: "http"})
	if err != nil {
		return nil, fmt.Errorf("cloud storage stand-in: %w", err)
	}
	for _, b := range buckets {
		// The in-memory backend fails only for an existing bucket with other versioning,
		// which these are not.
		srv.CreateBucketWithOpts(fakestorage.CreateBucketOpts{Name: b})
	}
	return &gcsStore{server: srv}, nil
}

// bucketExists reports whether a bucket is there: one of Config.Buckets, or one a client
// created through the JSON API.
func (s *gcsStore) bucketExists(name string) bool {
	_, err := s.server.Backend().GetBucket(name)
	return err == nil
}

// objectExists reports whether bucket holds an object of that name.
func (s *gcsStore) objectExists(bucket, name string) bool {
	_, err := s.server.GetObject(bucket, name)
	return err == nil
}

// put stores an object. The bucket must exist: fakestorage would make a missing one.
func (s *gcsStore) put(bucket, name, contentType string, body []byte) error {
	if !s.bucketExists(bucket) {
		return fmt.Errorf("put gs://%s/%s: no such bucket", bucket, name)
	}
	obj := fakestorage.Object{
		ObjectAttrs: fakestorage.ObjectAttrs{BucketName: bucket, Name: name, ContentType: contentType},
		Content:     bytes.Clone(body),
	}
	if err := s.server.CreateObjectStreaming(obj.StreamingObject()); err != nil {
		return fmt.Errorf("put gs://%s/%s: %w", bucket, name, err)
	}
	return nil
}

// buckets lists the store's buckets by name.
func (s *gcsStore) buckets() ([]string, error) {
	list, err := s.server.Backend().ListBuckets()
	if err != nil {
		return nil, err
	}
	names := []string{}
	for _, b := range list {
		names = append(names, b.Name)
	}
	slices.Sort(names)
	return names, nil
}

// GCSHandler returns the emulator's Cloud Storage stand-in as an http.Handler: the Cloud
// Storage JSON API (fake-gcs-server) over Config.Buckets, which hold what exports wrote.
// google.golang.org/api/storage/v1 reads it with option.WithEndpoint(<where it is
// served>+"/storage/v1/") and option.WithoutAuthentication. Credentials are not checked.
func (e *Emulator) GCSHandler() http.Handler { return e.gcs.server.HTTPHandler() }

// ListenGCS serves the Cloud Storage stand-in (GCSHandler) on addr, e.g. "127.0.0.1:0",
// until Close, and returns its URL, which GCSEndpoint and GET /_emulator/gcs report from
// then on.
func (e *Emulator) ListenGCS(addr string) (string, error) {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return "", fmt.Errorf("listen gcs: %w", err)
	}
	url := "http://" + l.Addr().String()
	running := make(chan struct{})
	e.background(func(ctx context.Context) {
		close(running)
		serverproc.Serve(ctx, l, e.GCSHandler(), func(err error) {
			fmt.Fprintf(e.cfg.Log, "cloudsql-emulator: cloud storage stand-in on %s stopped: %v\n", url, err)
		})
	})
	select {
	case <-running:
	case <-e.ctx.Done():
		// background does nothing once the emulator is closed: the listener is ours to close.
		_ = l.Close()
		return "", errors.New("listen gcs: the emulator is closed")
	}
	e.gcs.mu.Lock()
	e.gcs.endpoint = url
	e.gcs.mu.Unlock()
	return url, nil
}

// GCSEndpoint is the URL ListenGCS serves the Cloud Storage stand-in at, "" before it does.
func (e *Emulator) GCSEndpoint() string {
	e.gcs.mu.Lock()
	defer e.gcs.mu.Unlock()
	return e.gcs.endpoint
}

// GCSInfo is what GET /_emulator/gcs answers: where the Cloud Storage stand-in is served
// and which buckets it holds.
type GCSInfo struct {
	// Endpoint is the stand-in's URL ("" when it is not served); its JSON API is under
	// Endpoint/storage/v1/.
	Endpoint string `json:"endpoint"`
	// Buckets are the buckets there: Config.Buckets and any a client created.
	Buckets []string `json:"buckets"`
}

// serveGCSInfo answers GET /_emulator/gcs with a GCSInfo, so that tests and a local stack
// can find the Cloud Storage stand-in. It is introspection, not a Google API.
func (e *Emulator) serveGCSInfo(w http.ResponseWriter, _ *http.Request) {
	names, err := e.gcs.buckets()
	if err != nil {
		http.Error(w, "gcs: "+err.Error(), http.StatusInternalServerError)
		return
	}
	writeJSON(w, http.StatusOK, GCSInfo{Endpoint: e.GCSEndpoint(), Buckets: names})
}
