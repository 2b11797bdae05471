package rdsctl

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"

	"github.com/matrixmind-cloud/aws-rds-operator/internal/logapi"
)

var logsCommand = command{
	name: "logs", object: true,
	args:    "NAME [--follow] [--tail N] [--file F] [--since D] [--list]",
	summary: "Print the database server's own log, as the cloud serves it.",
	example: "  # the last 20 lines, then keep printing\n  kubectl rds logs orders --tail 20 --follow\n\n" +
		"  It needs get on rdsdatabases/log (API group " + logapi.Group + ")\n  in the object's namespace.",
	flags: func(fs *flag.FlagSet) func(context.Context, *env, []string) error {
		q := logapi.Query{TailLines: -1}
		fs.BoolVar(&q.Follow, "follow", false, "Keep printing what the database logs (one cloud call every few seconds).")
		fs.BoolVar(&q.Follow, "f", false, "Short for --follow.")
		fs.IntVar(&q.TailLines, "tail", -1, "Print only the last N lines of the file.")
		fs.StringVar(&q.File, "file", "", "The log file to print (default the newest; see --list).")
		fs.DurationVar(&q.Since, "since", 0, "Print what was logged this long ago or later (e.g. 1h), from every file written since.")
		fs.BoolVar(&q.List, "list", false, "List the database's log files.")
		return func(ctx context.Context, e *env, names []string) error {
			name, err := oneName(names)
			if err != nil {
				return err
			}
			if q.Since < 0 {
				return wrongUse("--since must be a positive duration, e.g. 1h")
			}
			if q.TailLines >= 0 && q.Since > 0 {
				return wrongUse("give --tail or --since, not both")
			}
			if err := e.cluster(); err != nil {
				return err
			}
			return Logs(ctx, e.cfg, e.namespace, name, q, e.stdout)
		}
	},
}

// Logs prints the log of the RDSDatabase name in namespace as q asks, reaching the log API
// through kube-apiserver as cfg's user.
func Logs(ctx context.Context, cfg *rest.Config, namespace, name string, q logapi.Query, out io.Writer) error {
	cfg = rest.CopyConfig(cfg)
	if !q.Follow {
		cfg.Timeout = 5 * time.Minute
	}
	resp, err := getAggregated(ctx, cfg, namespace, name, logapi.Subresource, q.Values().Encode())
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if _, err := io.Copy(out, resp.Body); err != nil && ctx.Err() == nil {
		return err
	}
	return nil
}

// getAggregated GETs a subresource the operator's aggregated API serves for the
// RDSDatabase name, through kube-apiserver, and returns the answer when it is 200 OK.
func getAggregated(ctx context.Context, cfg *rest.Config, namespace, name, subresource, query string) (*http.Response, error) {
	hc, err := rest.HTTPClientFor(cfg)
	if err != nil {
		return nil, err
	}
	host := strings.TrimSuffix(cfg.Host, "/")
	if !strings.Contains(host, "://") {
		host = "https://" + host
	}
	url := fmt.Sprintf("%s/apis/%s/%s/namespaces/%s/%s/%s/%s?%s", host, logapi.Group, logapi.Version, namespace, logapi.Resource, name, subresource, query)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		defer resp.Body.Close()
		return nil, statusError(resp)
	}
	return resp, nil
}

// statusError turns a refusal into the message kube-apiserver or the log API gave.
func statusError(resp *http.Response) error {
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	var st metav1.Status
	if json.Unmarshal(body, &st) == nil && st.Message != "" {
		return errors.New(st.Message)
	}
	if resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusServiceUnavailable {
		return fmt.Errorf("%s: the operator's log API (%s) is not served in this cluster: is the operator installed with its log API on?", resp.Status, logapi.APIServiceName)
	}
	return fmt.Errorf("%s: %s", resp.Status, strings.TrimSpace(string(body)))
}
