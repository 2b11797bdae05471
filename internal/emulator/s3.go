package emulator

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"regexp"
	"slices"
	"sync"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/matrixmind-cloud/aws-rds-operator/internal/serverproc"
)

// s3BucketName is the form of an S3 bucket name (general purpose buckets): 3-63 lowercase
// letters, digits, dots and hyphens, beginning and ending with a letter or digit.
var s3BucketName = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)

// s3Store is the emulator's S3 stand-in: gofakes3 over its in-memory backend, holding the
// account's buckets. Snapshot exports write into it; any S3 client reads it path-style.
type s3Store struct {
	backend *s3mem.Backend
	handler http.Handler

	mu sync.Mutex
	// endpoint is the URL ListenS3 serves the store at, "" until it does.
	endpoint string
}

func newS3Store() *s3Store {
	backend := s3mem.New()
	fake := gofakes3.New(backend, gofakes3.WithLogger(gofakes3.DiscardLog()), gofakes3.WithoutVersioning())
	return &s3Store{backend: backend, handler: fake.Server()}
}

// ensureBuckets creates in the backend the account's buckets it does not have yet.
func (s *s3Store) ensureBuckets(names []string) error {
	for _, b := range names {
		ok, err := s.backend.BucketExists(b)
		if err != nil {
			return err
		}
		if ok {
			continue
		}
		if err := s.backend.CreateBucket(b); err != nil && !gofakes3.HasErrorCode(err, gofakes3.ErrBucketAlreadyExists) {
			return err
		}
	}
	return nil
}

// bucketExists reports whether a bucket is there: one of the account's, or one a client
// created through the S3 API.
func (s *s3Store) bucketExists(name string) (bool, error) { return s.backend.BucketExists(name) }

// put stores objects in a bucket.
func (s *s3Store) put(bucket string, objects map[string][]byte) error {
	for key, body := range objects {
		if _, err := s.backend.PutObject(bucket, key, map[string]string{"Content-Type": contentType(key)}, bytes.NewReader(body), int64(len(body)), nil); err != nil {
			return fmt.Errorf("put s3://%s/%s: %w", bucket, key, err)
		}
	}
	return nil
}

func contentType(key string) string {
	if len(key) > 5 && key[len(key)-5:] == ".json" {
		return "application/json"
	}
	return "application/octet-stream"
}

// exportState is what an emulator keeps for snapshot exports: the export tasks and the S3
// stand-in they write to.
type exportState struct {
	s3 *s3Store

	// mu guards tasks. It is never held with Emulator.mu.
	mu    sync.Mutex
	tasks map[string]*exportTask
}

func newExportState() *exportState {
	return &exportState{s3: newS3Store(), tasks: map[string]*exportTask{}}
}

// exports returns the emulator's export tasks and S3 stand-in.
func (e *Emulator) exports() *exportState { return e.exportState }

// S3Handler returns the emulator's S3 stand-in as an http.Handler: the S3 REST API
// (gofakes3, path-style requests) over the account's buckets, which hold what snapshot
// exports wrote. An aws-sdk-go-v2 S3 client reads it with BaseEndpoint set to where the
// handler is served and UsePathStyle. Signatures are not checked.
func (e *Emulator) S3Handler() http.Handler {
	s := e.exports().s3
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := s.ensureBuckets(e.AccountHolds().Buckets); err != nil {
			http.Error(w, "s3: "+err.Error(), http.StatusInternalServerError)
			return
		}
		s.handler.ServeHTTP(w, r)
	})
}

// ListenS3 serves the S3 stand-in (S3Handler) on addr, e.g. "127.0.0.1:0", until Close,
// and returns its URL, which S3Endpoint and GET /_emulator/s3 (ServeS3Info) report from
// then on.
func (e *Emulator) ListenS3(addr string) (string, error) {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return "", fmt.Errorf("listen s3: %w", err)
	}
	url := "http://" + l.Addr().String()
	running := make(chan struct{})
	e.background(func(ctx context.Context) {
		close(running)
		serverproc.Serve(ctx, l, e.S3Handler(), func(err error) {
			fmt.Fprintf(e.cfg.Log, "rds-emulator: s3 stand-in on %s stopped: %v\n", url, err)
		})
	})
	select {
	case <-running:
	case <-e.ctx.Done():
		_ = l.Close()
		return "", errors.New("listen s3: the emulator is closed")
	}
	s := e.exports().s3
	s.mu.Lock()
	s.endpoint = url
	s.mu.Unlock()
	return url, nil
}

// S3Endpoint is the URL ListenS3 serves the S3 stand-in at, "" before it does.
func (e *Emulator) S3Endpoint() string {
	s := e.exports().s3
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.endpoint
}

// S3Info is what GET /_emulator/s3 answers: where the S3 stand-in is served and which
// buckets it holds.
type S3Info struct {
	// Endpoint is the stand-in's URL (use it path-style), "" when it is not served.
	Endpoint string `json:"endpoint"`
	// Buckets are the buckets there: the account's and any a client created.
	Buckets []string `json:"buckets"`
}

// ServeS3Info answers GET /_emulator/s3 with an S3Info, so that tests and a local stack
// can find the S3 stand-in. It is introspection, not an AWS API.
func (e *Emulator) ServeS3Info(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		http.Error(w, "s3: only GET", http.StatusMethodNotAllowed)
		return
	}
	s := e.exports().s3
	if err := s.ensureBuckets(e.AccountHolds().Buckets); err != nil {
		http.Error(w, "s3: "+err.Error(), http.StatusInternalServerError)
		return
	}
	list, err := s.backend.ListBuckets()
	if err != nil {
		http.Error(w, "s3: "+err.Error(), http.StatusInternalServerError)
		return
	}
	info := S3Info{Endpoint: e.S3Endpoint(), Buckets: []string{}}
	for _, b := range list {
		info.Buckets = append(info.Buckets, b.Name)
	}
	slices.Sort(info.Buckets)
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(info)
}
