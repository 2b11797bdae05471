package rdsctl

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/matrixmind-cloud/aws-rds-operator/internal/logapi"
)

// logPath is where the log of the RDSDatabase name in namespace is asked for.
func logPath(namespace, name string) string {
	return "/apis/logs.matrixmind.cloud/v1/namespaces/" + namespace + "/rdsdatabases/" + name + "/log"
}

// apiserver stands in for kube-apiserver: it records the requests it gets and answers
// each with answer.
type apiserver struct {
	*httptest.Server
	caPEM []byte

	mu       sync.Mutex
	requests []*url.URL
	answer   http.HandlerFunc
}

func newAPIServer(t *testing.T) *apiserver {
	t.Helper()
	s := &apiserver{}
	s.Server = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.requests = append(s.requests, r.URL)
		answer := s.answer
		s.mu.Unlock()
		answer(w, r)
	}))
	t.Cleanup(s.Close)
	s.caPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: s.Certificate().Raw})
	return s
}

// take returns the requests recorded since the last take, and sets the next answer.
func (s *apiserver) take(answer http.HandlerFunc) []*url.URL {
	s.mu.Lock()
	defer s.mu.Unlock()
	got := s.requests
	s.requests, s.answer = nil, answer
	return got
}

// kubeconfig writes a kubeconfig for the server whose current context's namespace is
// team-a, and returns its path.
func (s *apiserver) kubeconfig(t *testing.T) string {
	t.Helper()
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["test"] = &clientcmdapi.Cluster{Server: s.URL, CertificateAuthorityData: s.caPEM}
	cfg.AuthInfos["alice"] = &clientcmdapi.AuthInfo{Token: "alice-token"}
	cfg.Contexts["test"] = &clientcmdapi.Context{Cluster: "test", AuthInfo: "alice", Namespace: "team-a"}
	cfg.CurrentContext = "test"
	path := filepath.Join(t.TempDir(), "kubeconfig")
	if err := clientcmd.WriteToFile(*cfg, path); err != nil {
		t.Fatal(err)
	}
	return path
}

func writeLog(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = w.Write([]byte("one\ntwo\n"))
}

func writeStatus(code int, message string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		_ = json.NewEncoder(w).Encode(&metav1.Status{
			TypeMeta: metav1.TypeMeta{Kind: "Status", APIVersion: "v1"}, Status: metav1.StatusFailure, Code: int32(code), Message: message,
		})
	}
}

// TestRun: how `kubectl rds` reads its arguments, and the request it makes of them.
func TestRun(t *testing.T) {
	srv := newAPIServer(t)
	kube := "--kubeconfig=" + srv.kubeconfig(t)
	cases := []struct {
		reason string
		args   []string
		answer http.HandlerFunc
		// wantCode is the exit code; wantStdout what is printed; wantStderr a part of
		// what is said on stderr.
		wantCode   int
		wantStdout string
		wantStderr string
		// wantPath and wantQuery are the one request made; none for an empty wantPath.
		wantPath  string
		wantQuery url.Values
	}{
		{reason: "The name before the flags, as kubectl's commands take it.",
			args: []string{"logs", "orders", "-n", "shop", kube}, answer: writeLog,
			wantStdout: "one\ntwo\n", wantPath: logPath("shop", "orders"), wantQuery: url.Values{}},
		{reason: "The name after the flags.",
			args: []string{"logs", "--namespace=shop", "--tail", "20", kube, "orders"}, answer: writeLog,
			wantStdout: "one\ntwo\n", wantPath: logPath("shop", "orders"), wantQuery: url.Values{"tailLines": {"20"}}},
		{reason: "The name between flags, as kubectl takes it too.",
			args: []string{"logs", "-n", "shop", "orders", "-f", kube}, answer: writeLog,
			wantStdout: "one\ntwo\n", wantPath: logPath("shop", "orders"), wantQuery: url.Values{"follow": {"true"}}},
		{reason: "A negative --since: refused, exit 2.",
			args: []string{"logs", "orders", "--since", "-1h", kube}, wantCode: 2, wantStderr: "--since must be a positive duration"},
		{reason: "Without -n, the namespace of the kubeconfig's context.",
			args: []string{"logs", "orders", kube}, answer: writeLog,
			wantStdout: "one\ntwo\n", wantPath: logPath("team-a", "orders"), wantQuery: url.Values{}},
		{reason: "-f, --file and --since travel in the query, --since in whole seconds.",
			args: []string{"logs", "orders", kube, "-f", "--file", "error/postgresql.log.2026-12-02-03", "--since", "1m30s"}, answer: writeLog,
			wantStdout: "one\ntwo\n", wantPath: logPath("team-a", "orders"),
			wantQuery: url.Values{"follow": {"true"}, "file": {"error/postgresql.log.2026-12-02-03"}, "sinceSeconds": {"90"}}},
		{reason: "--follow, --tail 0 (nothing old, only what comes) and --list travel in the query.",
			args: []string{"logs", "orders", kube, "--follow", "--tail=0", "--list"}, answer: writeLog,
			wantStdout: "one\ntwo\n", wantPath: logPath("team-a", "orders"),
			wantQuery: url.Values{"follow": {"true"}, "tailLines": {"0"}, "list": {"true"}}},
		{reason: "A refusal is said on stderr as the API said it, exit 1.",
			args: []string{"logs", "orders", "-n", "shop", kube}, answer: writeStatus(http.StatusForbidden, `rdsdatabases.logs.matrixmind.cloud "orders" is forbidden`),
			wantCode: 1, wantStderr: `error: rdsdatabases.logs.matrixmind.cloud "orders" is forbidden` + "\n",
			wantPath: logPath("shop", "orders"), wantQuery: url.Values{}},
		{reason: "Without a name: the usage, exit 2, no request.",
			args: []string{"logs", "-n", "shop", kube}, wantCode: 2, wantStderr: "Usage:"},
		{reason: "logs alone: the usage, exit 2.",
			args: []string{"logs"}, wantCode: 2, wantStderr: "Usage:"},
		{reason: "Two names: the usage, exit 2.",
			args: []string{"logs", "orders", "billing", kube}, wantCode: 2, wantStderr: "Usage:"},
		{reason: "Two names after the flags: the usage, exit 2.",
			args: []string{"logs", kube, "orders", "billing"}, wantCode: 2, wantStderr: "Usage:"},
		{reason: "--tail and --since together pick different lines: refused, exit 2.",
			args: []string{"logs", "orders", kube, "--tail", "5", "--since", "1h"}, wantCode: 2, wantStderr: "give --tail or --since, not both"},
		{reason: "A flag it does not know: exit 2, saying which.",
			args: []string{"logs", "orders", "--container", "x"}, wantCode: 2, wantStderr: "flag provided but not defined: -container"},
		{reason: "A subcommand it does not know: the usage, exit 2.",
			args: []string{"promote", "orders"}, wantCode: 2, wantStderr: "Usage:"},
		{reason: "No subcommand: the usage, exit 2.",
			wantCode: 2, wantStderr: "Usage:"},
	}
	for i, tc := range cases {
		t.Run(strconv.Itoa(i), func(t *testing.T) {
			srv.take(tc.answer)
			var stdout, stderr bytes.Buffer
			code := Run(t.Context(), tc.args, &stdout, &stderr)
			if code != tc.wantCode {
				t.Errorf("%s\nRun(%q) = %d; want %d\nstderr: %s", tc.reason, tc.args, code, tc.wantCode, &stderr)
			}
			if stdout.String() != tc.wantStdout {
				t.Errorf("%s\nstdout %q; want %q", tc.reason, &stdout, tc.wantStdout)
			}
			if !strings.Contains(stderr.String(), tc.wantStderr) || (tc.wantStderr == "" && stderr.Len() > 0) {
				t.Errorf("%s\nstderr %q; want it to say %q", tc.reason, &stderr, tc.wantStderr)
			}
			requests := srv.take(nil)
			if tc.wantPath == "" {
				if len(requests) != 0 {
					t.Errorf("%s\nrequests %v; want none", tc.reason, requests)
				}
				return
			}
			if len(requests) != 1 {
				t.Fatalf("%s\nrequests %v; want one", tc.reason, requests)
			}
			if requests[0].Path != tc.wantPath {
				t.Errorf("%s\npath %s; want %s", tc.reason, requests[0].Path, tc.wantPath)
			}
			if diff := cmp.Diff(tc.wantQuery, requests[0].Query()); diff != "" {
				t.Errorf("%s\nquery, -want +got:\n%s", tc.reason, diff)
			}
		})
	}
}

// TestLogs: what Logs makes of kube-apiserver's answers.
func TestLogs(t *testing.T) {
	srv := newAPIServer(t)
	plain := func(code int, body string) http.HandlerFunc {
		return func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			w.WriteHeader(code)
			_, _ = w.Write([]byte(body))
		}
	}
	const notServed = "the operator's log API (v1.logs.matrixmind.cloud) is not served in this cluster: is the operator installed with its log API on?"
	cases := []struct {
		reason string
		answer http.HandlerFunc
		// bareHost: the rest.Config's Host has no scheme, as a kubeconfig may give it.
		bareHost bool
		wantOut  string
		wantErr  string
	}{
		{reason: "The log is printed as it comes.", answer: writeLog, wantOut: "one\ntwo\n"},
		{reason: "A Host without a scheme is reached over https.", answer: writeLog, bareHost: true, wantOut: "one\ntwo\n"},
		{reason: "A Status refusal (RBAC, a bad query, no such object) is its message, as kubectl prints it.",
			answer:  writeStatus(http.StatusForbidden, `rdsdatabases.logs.matrixmind.cloud "orders" is forbidden: User "bob" cannot get resource "rdsdatabases/log"`),
			wantErr: `rdsdatabases.logs.matrixmind.cloud "orders" is forbidden: User "bob" cannot get resource "rdsdatabases/log"`},
		{reason: "A 404 without a Status is kube-apiserver not knowing the group: the log API is not served.",
			answer: plain(http.StatusNotFound, "404 page not found\n"), wantErr: "404 Not Found: " + notServed},
		{reason: "A 503 without a Status is the APIService unavailable: the log API is not served.",
			answer: plain(http.StatusServiceUnavailable, "service unavailable\n"), wantErr: "503 Service Unavailable: " + notServed},
		{reason: "Any other refusal without a Status is its status and body.",
			answer: plain(http.StatusBadGateway, "upstream connect error\n"), wantErr: "502 Bad Gateway: upstream connect error"},
	}
	for i, tc := range cases {
		t.Run(strconv.Itoa(i), func(t *testing.T) {
			srv.take(tc.answer)
			cfg := &rest.Config{Host: srv.URL, TLSClientConfig: rest.TLSClientConfig{CAData: srv.caPEM}}
			if tc.bareHost {
				cfg.Host = strings.TrimPrefix(srv.URL, "https://")
			}
			var out bytes.Buffer
			err := Logs(t.Context(), cfg, "shop", "orders", logapi.Query{TailLines: 3}, &out)
			if got := errString(err); got != tc.wantErr {
				t.Errorf("%s\nLogs() = %q; want %q", tc.reason, got, tc.wantErr)
			}
			if out.String() != tc.wantOut {
				t.Errorf("%s\nprinted %q; want %q", tc.reason, &out, tc.wantOut)
			}
			if requests := srv.take(nil); len(requests) != 1 || requests[0].Path != logPath("shop", "orders") || requests[0].RawQuery != "tailLines=3" {
				t.Errorf("%s\nrequests %v; want one, for %s?tailLines=3", tc.reason, requests, logPath("shop", "orders"))
			}
		})
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// TestLogsFollowEnds: a follower the user stops (Ctrl-C ends the context) ends without an
// error, having printed what came.
func TestLogsFollowEnds(t *testing.T) {
	srv := newAPIServer(t)
	srv.take(func(w http.ResponseWriter, r *http.Request) {
		writeLog(w, r)
		w.(http.Flusher).Flush()
		<-r.Context().Done() // following until the client goes
	})
	ctx, stop := context.WithCancel(t.Context())
	defer stop()
	out := &stopAtFirstWrite{stop: stop}
	cfg := &rest.Config{Host: srv.URL, TLSClientConfig: rest.TLSClientConfig{CAData: srv.caPEM}}
	if err := Logs(ctx, cfg, "shop", "orders", logapi.Query{TailLines: 0, Follow: true}, out); err != nil {
		t.Errorf("Logs stopped while following = %v; want nil", err)
	}
	if got := out.shown.String(); got != "one\ntwo\n" {
		t.Errorf("printed %q; want what came before the stop", got)
	}
}

// stopAtFirstWrite is a terminal whose user stops the command once it shows something.
// (It is no io.ReaderFrom, which io.Copy would use in place of Write.)
type stopAtFirstWrite struct {
	shown bytes.Buffer
	stop  context.CancelFunc
}

func (w *stopAtFirstWrite) Write(p []byte) (int, error) {
	defer w.stop()
	return w.shown.Write(p)
}
