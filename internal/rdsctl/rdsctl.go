// Package rdsctl is the kubectl plugin kubectl-rds: `kubectl rds logs NAME` prints the log
// of an RDSDatabase's database through the operator's log API, with the rights the user's
// kubeconfig carries and no cloud credentials.
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
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/matrixmind-cloud/aws-rds-operator/internal/logapi"
)

const usage = `kubectl rds: the databases behind RDSDatabase objects.

Usage:
  kubectl rds logs NAME [-n NAMESPACE] [--follow] [--tail N] [--file F] [--since D] [--list]
                       [--kubeconfig F] [--context C] [--as USER [--as-group G]...]

It needs get on rdsdatabases/log (API group %s) in the object's namespace.
`

// Run runs the plugin with args (without the program's name) and returns its exit code.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] != "logs" {
		fmt.Fprintf(stderr, usage, logapi.Group)
		return 2
	}
	fs := flag.NewFlagSet("kubectl rds logs", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		q                           = logapi.Query{TailLines: -1}
		kubeconfig, kubeContext, ns string
		as                          string
		asGroups                    stringList
	)
	fs.StringVar(&kubeconfig, "kubeconfig", "", "Path to the kubeconfig file (default $KUBECONFIG, else ~/.kube/config).")
	fs.StringVar(&kubeContext, "context", "", "The kubeconfig context to use.")
	fs.StringVar(&as, "as", "", "User to impersonate, as kubectl's --as (needs the impersonate right).")
	fs.Var(&asGroups, "as-group", "Group to impersonate, as kubectl's --as-group; repeat it for more.")
	fs.StringVar(&ns, "namespace", "", "The object's namespace (default the context's).")
	fs.StringVar(&ns, "n", "", "Short for --namespace.")
	fs.BoolVar(&q.Follow, "follow", false, "Keep printing what the database logs (one cloud call every few seconds).")
	fs.BoolVar(&q.Follow, "f", false, "Short for --follow.")
	fs.IntVar(&q.TailLines, "tail", -1, "Print only the last N lines of the file.")
	fs.StringVar(&q.File, "file", "", "The log file to print (default the newest; see --list).")
	fs.DurationVar(&q.Since, "since", 0, "Print what was logged this long ago or later (e.g. 1h), from every file written since.")
	fs.BoolVar(&q.List, "list", false, "List the database's log files.")
	// The object's name may come before, between or after the flags, as kubectl takes it.
	var names []string
	for rest := args[1:]; ; {
		if err := fs.Parse(rest); err != nil {
			return 2
		}
		if fs.NArg() == 0 {
			break
		}
		names, rest = append(names, fs.Arg(0)), fs.Args()[1:]
	}
	if len(names) != 1 {
		fmt.Fprintf(stderr, usage, logapi.Group)
		return 2
	}
	name := names[0]
	if q.Since < 0 {
		fmt.Fprintln(stderr, "error: --since must be a positive duration, e.g. 1h")
		return 2
	}
	if q.TailLines >= 0 && q.Since > 0 {
		fmt.Fprintln(stderr, "error: give --tail or --since, not both")
		return 2
	}
	loader := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(
		&clientcmd.ClientConfigLoadingRules{ExplicitPath: kubeconfig, Precedence: clientcmd.NewDefaultClientConfigLoadingRules().Precedence},
		&clientcmd.ConfigOverrides{CurrentContext: kubeContext, AuthInfo: clientcmdapi.AuthInfo{Impersonate: as, ImpersonateGroups: asGroups}})
	cfg, err := loader.ClientConfig()
	if err == nil && ns == "" {
		ns, _, err = loader.Namespace()
	}
	if err != nil {
		fmt.Fprintf(stderr, "error: %v\n", err)
		return 1
	}
	if err := Logs(ctx, cfg, ns, name, q, stdout); err != nil {
		fmt.Fprintf(stderr, "error: %v\n", err)
		return 1
	}
	return 0
}

// stringList is a flag given once per value.
type stringList []string

func (l *stringList) String() string     { return strings.Join(*l, ",") }
func (l *stringList) Set(v string) error { *l = append(*l, v); return nil }

// Logs prints the log of the RDSDatabase name in namespace as q asks, reaching the log API
// through kube-apiserver as cfg's user.
func Logs(ctx context.Context, cfg *rest.Config, namespace, name string, q logapi.Query, out io.Writer) error {
	cfg = rest.CopyConfig(cfg)
	if !q.Follow {
		cfg.Timeout = 5 * time.Minute
	}
	hc, err := rest.HTTPClientFor(cfg)
	if err != nil {
		return err
	}
	host := strings.TrimSuffix(cfg.Host, "/")
	if !strings.Contains(host, "://") {
		host = "https://" + host
	}
	url := fmt.Sprintf("%s/apis/%s/%s/namespaces/%s/%s/%s/%s?%s", host, logapi.Group, logapi.Version, namespace, logapi.Resource, name, logapi.Subresource, q.Values().Encode())
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return statusError(resp)
	}
	if _, err := io.Copy(out, resp.Body); err != nil && ctx.Err() == nil {
		return err
	}
	return nil
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
