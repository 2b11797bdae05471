package gcp

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	sqladmin "google.golang.org/api/sqladmin/v1"

	"github.com/matrixmind-cloud/aws-rds-operator/internal/cloud"
)

// Engine parameters are database flags on Cloud SQL: settings.databaseFlags, a list of
// name and value kept with the instance and reported with it, by the engine's own names
// (underscores, never hyphens, on MySQL as on PostgreSQL). A patch that carries the list
// replaces it whole: a flag left out goes back to the engine's default. Cloud SQL applies a
// flag at once, restarting the instance itself when the flag needs a restart, so nothing
// ever waits for Restart here and no parameter set outlives the instance.

// reasonInvalidFlagValue is Cloud SQL's reason for a flag value it refuses ("Value
// requested is not valid. Failed to set <flag>: ...").
const reasonInvalidFlagValue = "invalidFlagValue"

// SyncParameters implements cloud.Provider with the instance's database flags. It compares
// desired.Parameters with the flags the observed instance reports; when they differ it
// sends one instances.patch carrying the whole desired list (built from a fresh read, so a
// list changed meanwhile is compared again), and none when they match: no call at all for
// an instance with no flags desired and none set. Changed names the flags set, changed or
// removed. AwaitingRestart is always empty: Cloud SQL restarts the instance by itself when
// a patch sets a flag that needs a restart, so a restart cannot be deferred to the
// operator's reboot policy on Cloud SQL.
func (p *Provider) SyncParameters(ctx context.Context, d cloud.Desired, in cloud.Instance) (cloud.ParameterChange, error) {
	if len(changedFlags(in.Parameters.Values, d.Parameters)) == 0 {
		return cloud.ParameterChange{}, nil
	}
	op := "set database flags of " + d.Identifier
	var changed []string
	err := p.patch(ctx, op, p.project, d.Identifier, false, func(db *sqladmin.DatabaseInstance) (*sqladmin.DatabaseInstance, error) {
		changed = changedFlags(flagsOf(db), d.Parameters)
		if len(changed) == 0 {
			return nil, nil
		}
		s := &sqladmin.Settings{DatabaseFlags: databaseFlags(d.Parameters)}
		// An empty list is sent too: it clears every flag.
		s.ForceSendFields = []string{"DatabaseFlags"}
		return &sqladmin.DatabaseInstance{Settings: s}, nil
	})
	if err != nil {
		return cloud.ParameterChange{}, flagError(err, slices.Sorted(maps.Keys(d.Parameters)))
	}
	return cloud.ParameterChange{Changed: changed}, nil
}

// changedFlags are the names of the flags whose value differs between have and want, or
// that only one of them has, sorted; nil when none.
func changedFlags(have, want map[string]string) []string {
	var out []string
	for name, v := range want {
		if w, ok := have[name]; !ok || !cloud.SameParameterValue(w, v) {
			out = append(out, name)
		}
	}
	for name := range have {
		if _, ok := want[name]; !ok {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}

// databaseFlags is Cloud SQL's list of flags for params, in name order; empty, not nil,
// for none.
func databaseFlags(params map[string]string) []*sqladmin.DatabaseFlags {
	out := []*sqladmin.DatabaseFlags{}
	for _, name := range slices.Sorted(maps.Keys(params)) {
		out = append(out, &sqladmin.DatabaseFlags{Name: name, Value: params[name]})
	}
	return out
}

// flagsOf is db's database flags by name, empty (not nil) when it has none: Cloud SQL
// reports them with the instance.
func flagsOf(db *sqladmin.DatabaseInstance) map[string]string {
	out := map[string]string{}
	if db.Settings == nil {
		return out
	}
	for _, f := range db.Settings.DatabaseFlags {
		if f != nil {
			out[f.Name] = f.Value
		}
	}
	return out
}

// flagError turns Cloud SQL's refusal of a flag into a *cloud.Error with Field
// FieldParameters whose message names the flag: Cloud SQL's invalidFlagValue, or a 400
// that speaks of a flag. Cloud SQL does not always name the flag ("Value requested is not
// valid."); the message then names the flags that were sent. Other errors pass unchanged.
func flagError(err error, sent []string) error {
	var ce *cloud.Error
	if !errors.As(err, &ce) || ce.Kind != nil {
		return err
	}
	if ce.Code != reasonInvalidFlagValue && !(ce.Code == "invalid" && strings.Contains(strings.ToLower(ce.Message), "flag")) {
		return err
	}
	out := *ce
	out.Field = cloud.FieldParameters
	if !slices.ContainsFunc(sent, func(name string) bool { return strings.Contains(ce.Message, name) }) {
		out.Message = fmt.Sprintf("%s (database flags sent: %s)", strings.TrimSpace(ce.Message), strings.Join(sent, ", "))
	}
	return &out
}

// Restart implements cloud.Provider with instances.restart, once the operation this
// provider last started on the instance is done. The instance is Changing until the
// restart ends. Cloud SQL refuses a restart while another operation runs or the instance
// is not running: cloud.ErrBusy (kindOf).
func (p *Provider) Restart(ctx context.Context, identifier string) error {
	op := "restart instance " + identifier
	if err := p.settle(ctx, op, identifier); err != nil {
		return err
	}
	o, err := p.svc.Instances.Restart(p.project, identifier).Context(ctx).Do()
	if err != nil {
		return wrap(op, err)
	}
	p.started(identifier, o)
	return nil
}

// DeleteParameters implements cloud.Provider: database flags are part of the instance and
// go with it, so there is nothing to delete.
func (p *Provider) DeleteParameters(context.Context, cloud.Desired, string) error { return nil }
