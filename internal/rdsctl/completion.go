package rdsctl

import (
	"context"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"

	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/matrixmind-cloud/aws-rds-operator/api/v1"
)

// Shell completion goes through kubectl's own: kubectl (1.26 and later) completes
// "kubectl rds ..." by running kubectl_complete-rds from PATH with the words typed, and
// reads candidates in Cobra's protocol (one per line, then ":<directive>"). The script
// completion prints hands the words to the hidden command __complete.

// completeCommand is the hidden command kubectl_complete-rds runs.
const completeCommand = "__complete"

// noFileCompletion is Cobra's ShellCompDirectiveNoFileComp: offer no file names.
const noFileCompletion = 4

// CompletionScript is kubectl_complete-rds.
const CompletionScript = `#!/bin/sh
# kubectl_complete-rds: kubectl runs it to complete "kubectl rds ..." (kubectl 1.26+).
exec kubectl-rds __complete "$@"
`

var completionCommand = command{
	name:    "completion",
	args:    "",
	summary: "Print kubectl_complete-rds, for kubectl's shell completion.",
	example: "  kubectl rds completion > ~/bin/kubectl_complete-rds\n  chmod +x ~/bin/kubectl_complete-rds\n" +
		"  # kubectl's own completion (bash, zsh, fish) then completes\n  # kubectl rds commands, flags and names",
	flags: func(*flag.FlagSet) func(context.Context, *env, []string) error {
		return func(_ context.Context, e *env, names []string) error {
			if len(names) > 0 {
				return wrongUse("completion takes no arguments")
			}
			_, err := io.WriteString(e.stdout, CompletionScript)
			return err
		}
	},
}

// complete answers kubectl's completion request: words are what was typed after
// "kubectl rds", the last one the word being completed.
func complete(ctx context.Context, words []string, e *env) int {
	defer fmt.Fprintf(e.stdout, ":%d\n", noFileCompletion)
	if len(words) == 0 {
		words = []string{""}
	}
	partial, before := words[len(words)-1], words[:len(words)-1]
	if len(before) == 0 {
		for _, c := range commands {
			if strings.HasPrefix(c.name, partial) {
				fmt.Fprintln(e.stdout, c.name)
			}
		}
		return 0
	}
	i := slices.IndexFunc(commands, func(c command) bool { return c.name == before[0] })
	if i < 0 {
		return 0
	}
	c := commands[i]
	fs := flag.NewFlagSet(c.name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	conn := connectionFlags(fs)
	c.flags(fs)
	if strings.HasPrefix(partial, "-") {
		fs.VisitAll(func(f *flag.Flag) {
			if name := "--" + f.Name; len(f.Name) > 1 && strings.HasPrefix(name, partial) {
				fmt.Fprintln(e.stdout, name)
			}
		})
		return 0
	}
	names, err := parseInterspersed(fs, before[1:])
	e.conn = conn
	if err != nil || !c.object || len(names) > 0 || e.cluster() != nil {
		return 0
	}
	var list v1.RDSDatabaseList
	if err := e.client.List(ctx, &list, client.InNamespace(e.namespace)); err != nil {
		return 0
	}
	for _, db := range list.Items {
		if strings.HasPrefix(db.Name, partial) {
			fmt.Fprintln(e.stdout, db.Name)
		}
	}
	return 0
}
