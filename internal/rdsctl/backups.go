package rdsctl

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/matrixmind-cloud/aws-rds-operator/internal/logapi"
)

var backupsCommand = command{
	name: "backups", object: true,
	args:    "NAME [-o text|json|yaml]",
	summary: "List a database's snapshots, backups and exports, from the cloud.",
	example: "  kubectl rds backups orders\n\n  It needs get on rdsdatabases/backups (API group " + logapi.Group + ")\n  in the object's namespace.",
	flags: func(fs *flag.FlagSet) func(context.Context, *env, []string) error {
		out := outputFlag(fs)
		return func(ctx context.Context, e *env, names []string) error {
			name, err := oneName(names)
			if err != nil {
				return err
			}
			if err := out.check(); err != nil {
				return err
			}
			list, err := Backups(ctx, e, name)
			if err != nil {
				return err
			}
			return out.print(e.stdout, list, func() error { printBackups(e.stdout, list, e.now()); return nil })
		}
	},
}

// Backups reads the backups of the RDSDatabase name through the operator's API.
func Backups(ctx context.Context, e *env, name string) (*logapi.BackupList, error) {
	if err := e.cluster(); err != nil {
		return nil, err
	}
	resp, err := getAggregated(ctx, e.cfg, e.namespace, name, logapi.BackupsSubresource, "")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	list := &logapi.BackupList{}
	if err := json.NewDecoder(resp.Body).Decode(list); err != nil {
		return nil, fmt.Errorf("read the list of backups: %w", err)
	}
	return list, nil
}

// printBackups writes the list for a person.
func printBackups(w io.Writer, list *logapi.BackupList, now time.Time) {
	ago := func(t *time.Time) string {
		if t == nil {
			return "-"
		}
		return age(now, *t)
	}
	// Identifiers and locations are never cut: they are what restore and a download take.
	section(w, "Snapshots and backups")
	writeTable(w, []string{"AGE", "KIND", "STATUS", "IDENTIFIER"}, len(list.Snapshots), func(i int) []string {
		b := list.Snapshots[i]
		return []string{ago(b.CreatedAt), b.Kind, b.Status, b.Identifier}
	}, false)
	section(w, "Exports")
	writeTable(w, []string{"AGE", "STATUS", "DONE", "LOCATION"}, len(list.Exports), func(i int) []string {
		x := list.Exports[i]
		where := x.Location
		if x.FailureCause != "" {
			where += " (" + x.FailureCause + ")"
		}
		return []string{ago(x.StartedAt), orDefault(x.Status, "-"), fmt.Sprintf("%d%%", x.Percent), where}
	}, false)
}
