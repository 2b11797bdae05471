// Package rdsctl is the kubectl plugin kubectl-rds: the day-to-day commands on RDSDatabase
// objects (status, psql and mysql, rotate, snapshot, backups, restore, logs), run with the
// rights the user's kubeconfig carries and no cloud credentials. What only the cloud knows
// (logs, the list of backups) comes through the operator's aggregated API, authorized by
// Kubernetes RBAC.
package rdsctl

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"sort"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/matrixmind-cloud/aws-rds-operator/api/v1"
)

// command is one of the plugin's commands.
type command struct {
	name string
	// args is the command's synopsis after its name; summary one line of what it does.
	args, summary string
	// example is shown by --help.
	example string
	// flags adds the command's own flags to fs, binding them to what run reads.
	flags func(fs *flag.FlagSet) func(ctx context.Context, e *env, args []string) error
	// object is true when the command's first argument names an RDSDatabase (for
	// completion).
	object bool
}

// env is what a command runs with: where to write, and the cluster as the user's
// kubeconfig reaches it.
type env struct {
	stdout, stderr io.Writer
	stdin          io.Reader
	// conn is the connection flags; cluster connects with them on first use, so that a
	// wrong use is said before anything is asked of the cluster.
	conn      *connection
	cfg       *rest.Config
	namespace string
	client    client.Client
	// now is the clock ages are counted from.
	now func() time.Time
	// lookPath and run stand in for exec.LookPath and running a client program, in tests.
	lookPath func(file string) (string, error)
	run      func(ctx context.Context, e *env, p program) error
}

// commands are the plugin's commands, in the order --help lists them.
var commands = []command{statusCommand, psqlCommand, mysqlCommand, rotateCommand, snapshotCommand, backupsCommand, restoreCommand, logsCommand, completionCommand}

const usageHead = `kubectl rds: the databases behind RDSDatabase objects.

Usage: kubectl rds COMMAND [NAME] [flags]

Commands:
`

const usageTail = `
Every command takes -n/--namespace, --kubeconfig, --context and --as/--as-group,
as kubectl does. "kubectl rds COMMAND --help" shows its flags and an example.
`

// usage writes the list of commands.
func usage(w io.Writer) {
	fmt.Fprint(w, usageHead)
	for _, c := range commands {
		fmt.Fprintf(w, "  %-11s %s\n", c.name, c.summary)
	}
	fmt.Fprint(w, usageTail)
}

// Run runs the plugin with args (without the program's name) and returns its exit code:
// 0 done, 1 failed, 2 used wrongly.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return run(ctx, args, &env{stdout: stdout, stderr: stderr, stdin: os.Stdin, now: time.Now, lookPath: lookPath, run: runProgram})
}

func run(ctx context.Context, args []string, e *env) int {
	if len(args) == 0 {
		usage(e.stderr)
		return 2
	}
	if args[0] == "help" || args[0] == "--help" || args[0] == "-h" {
		usage(e.stdout)
		return 0
	}
	if args[0] == completeCommand {
		return complete(ctx, args[1:], e)
	}
	i := slices.IndexFunc(commands, func(c command) bool { return c.name == args[0] })
	if i < 0 {
		fmt.Fprintf(e.stderr, "error: unknown command %q\n\n", args[0])
		usage(e.stderr)
		return 2
	}
	c := commands[i]
	fs := flag.NewFlagSet("kubectl rds "+c.name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	conn := connectionFlags(fs)
	body := c.flags(fs)
	names, err := parseInterspersed(fs, args[1:])
	if errors.Is(err, flag.ErrHelp) {
		commandHelp(e.stdout, c, fs)
		return 0
	}
	if err != nil {
		fmt.Fprintf(e.stderr, "error: %v\n\nUsage:\n  kubectl rds %s %s\n\nSee 'kubectl rds %s --help'.\n", err, c.name, c.args, c.name)
		return 2
	}
	e.conn = conn
	if err := body(ctx, e, names); err != nil {
		var use usageError
		if errors.As(err, &use) {
			fmt.Fprintf(e.stderr, "error: %v\n\nUsage:\n  kubectl rds %s %s\n\nSee 'kubectl rds %s --help'.\n", err, c.name, c.args, c.name)
			return 2
		}
		fmt.Fprintf(e.stderr, "error: %v\n", err)
		return 1
	}
	return 0
}

// usageError is a command used wrongly (exit code 2).
type usageError struct{ msg string }

func (u usageError) Error() string { return u.msg }

// wrongUse returns a usageError.
func wrongUse(format string, a ...any) error { return usageError{fmt.Sprintf(format, a...)} }

// oneName returns the one object name of names, or a usageError.
func oneName(names []string) (string, error) {
	if len(names) != 1 {
		return "", wrongUse("give one RDSDatabase name (got %d)", len(names))
	}
	return names[0], nil
}

// commandHelp writes a command's synopsis, example and flags.
func commandHelp(w io.Writer, c command, fs *flag.FlagSet) {
	fmt.Fprintf(w, "%s\n\nUsage:\n  kubectl rds %s %s\n\nExample:\n%s\n\nFlags:\n", c.summary, c.name, c.args, c.example)
	var lines []string
	fs.VisitAll(func(f *flag.Flag) {
		name := "--" + f.Name
		if len(f.Name) == 1 {
			name = "-" + f.Name
		}
		lines = append(lines, fmt.Sprintf("  %-16s %s", name, wrap(f.Usage, width-19, strings.Repeat(" ", 19))))
	})
	sort.Strings(lines)
	fmt.Fprintln(w, strings.Join(lines, "\n"))
}

// wrap breaks text into lines of at most n columns, indenting every line after the first.
func wrap(text string, n int, indent string) string {
	var b strings.Builder
	col := 0
	for _, word := range strings.Fields(text) {
		switch {
		case col == 0:
		case col+1+len(word) > n:
			b.WriteString("\n" + indent)
			col = 0
		default:
			b.WriteString(" ")
			col++
		}
		b.WriteString(word)
		col += len(word)
	}
	return b.String()
}

// parseInterspersed parses args with fs, taking the non-flag arguments wherever they
// stand, as kubectl does; what follows "--" is kept as arguments.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var names []string
	for rest := args; ; {
		if err := fs.Parse(rest); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return names, nil
		}
		// flag stops at "--" and drops it: what follows is the client's.
		if i := len(rest) - fs.NArg(); i > 0 && rest[i-1] == "--" {
			return append(append(names, "--"), fs.Args()...), nil
		}
		names, rest = append(names, fs.Arg(0)), fs.Args()[1:]
	}
}

// connection is the kubectl connection flags.
type connection struct {
	kubeconfig, context, namespace, as string
	asGroups                           stringList
}

func connectionFlags(fs *flag.FlagSet) *connection {
	c := &connection{}
	fs.StringVar(&c.kubeconfig, "kubeconfig", "", "Path to the kubeconfig file (default $KUBECONFIG, else ~/.kube/config).")
	fs.StringVar(&c.context, "context", "", "The kubeconfig context to use.")
	fs.StringVar(&c.as, "as", "", "User to impersonate, as kubectl's --as.")
	fs.Var(&c.asGroups, "as-group", "Group to impersonate, as kubectl's --as-group; repeat it for more.")
	fs.StringVar(&c.namespace, "namespace", "", "The object's namespace (default the context's).")
	fs.StringVar(&c.namespace, "n", "", "Short for --namespace.")
	return c
}

// scheme knows the core types and the operator's.
var scheme = func() *runtime.Scheme {
	s := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(s); err != nil {
		panic(err)
	}
	if err := v1.AddToScheme(s); err != nil {
		panic(err)
	}
	return s
}()

// connect loads the kubeconfig as kubectl does and fills e's cluster fields.
func (c *connection) connect(e *env) error {
	loader := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(
		&clientcmd.ClientConfigLoadingRules{ExplicitPath: c.kubeconfig, Precedence: clientcmd.NewDefaultClientConfigLoadingRules().Precedence},
		&clientcmd.ConfigOverrides{CurrentContext: c.context, AuthInfo: clientcmdapi.AuthInfo{Impersonate: c.as, ImpersonateGroups: c.asGroups}})
	cfg, err := loader.ClientConfig()
	if err != nil {
		return err
	}
	ns := c.namespace
	if ns == "" {
		if ns, _, err = loader.Namespace(); err != nil {
			return err
		}
	}
	cl, err := client.New(cfg, client.Options{Scheme: scheme})
	if err != nil {
		return err
	}
	e.cfg, e.namespace, e.client = cfg, ns, cl
	return nil
}

// cluster connects to the cluster, once.
func (e *env) cluster() error {
	if e.client != nil {
		return nil
	}
	if e.conn == nil {
		e.conn = &connection{}
	}
	return e.conn.connect(e)
}

// getDatabase reads the RDSDatabase name, saying plainly when it is not there or the user
// may not read it.
func (e *env) getDatabase(ctx context.Context, name string) (*v1.RDSDatabase, error) {
	if err := e.cluster(); err != nil {
		return nil, err
	}
	db := &v1.RDSDatabase{}
	err := e.client.Get(ctx, client.ObjectKey{Namespace: e.namespace, Name: name}, db)
	return db, explain(err, "rdsdatabase", e.namespace, name)
}

// explain turns the apiserver's not-found and forbidden answers into a sentence naming the
// object and the right missing.
func explain(err error, kind, namespace, name string) error {
	switch {
	case err == nil:
		return nil
	case apierrors.IsNotFound(err):
		return fmt.Errorf("%s %q not found in namespace %q", kind, name, namespace)
	case apierrors.IsForbidden(err):
		return fmt.Errorf("you may not read %s %q in namespace %q (ask for get on it): %v", kind, name, namespace, err)
	}
	return err
}

// stringList is a flag given once per value.
type stringList []string

func (l *stringList) String() string     { return strings.Join(*l, ",") }
func (l *stringList) Set(v string) error { *l = append(*l, v); return nil }
