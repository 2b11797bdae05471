package cloud

import (
	"context"
	"fmt"
)

// Lacking is the part of a Provider for a place that has no snapshots, backups, exports,
// parameter sets, token logins, log files, feed or zones of its own (an existing server, a
// CloudNativePG Cluster): a provider embeds it and overrides what its place has. What is
// asked of it is ErrUnsupported, naming Place; what is listed is empty.
type Lacking struct {
	// Place says, for people, where the databases are ("an existing server").
	Place string
}

// Refuse is the ErrUnsupported refusal of what, which Place does not offer.
func (l Lacking) Refuse(op, what string) error {
	return &Error{Op: op, Code: "NotOffered", Kind: ErrUnsupported, Message: fmt.Sprintf("%s offers no %s", l.Place, what)}
}

// Complete implements Provider: Create makes all there is.
func (Lacking) Complete(context.Context, Desired) error { return nil }

// CreateSnapshot implements Provider.
func (l Lacking) CreateSnapshot(_ context.Context, identifier, snapshot string, _ map[string]string) error {
	return l.Refuse("snapshot "+identifier+" as "+snapshot, "snapshots")
}

// Snapshots implements Provider: there are none.
func (Lacking) Snapshots(context.Context, string) ([]Snapshot, error) { return nil, nil }

// Snapshot implements Provider: there is none.
func (Lacking) Snapshot(context.Context, string) (Snapshot, bool, error) {
	return Snapshot{}, false, nil
}

// DeleteSnapshot implements Provider: there is none to delete.
func (Lacking) DeleteSnapshot(context.Context, string) error { return nil }

// AutomatedBackups implements Provider: none are taken.
func (Lacking) AutomatedBackups(context.Context, string) ([]Snapshot, error) { return nil, nil }

// ZoneIn implements Provider: no zones are chosen there.
func (Lacking) ZoneIn(string, string) bool { return false }

// StartExport implements Provider.
func (l Lacking) StartExport(_ context.Context, r ExportRequest) error {
	return l.Refuse("export "+r.Identifier, "exports")
}

// ExportsLive implements Provider.
func (Lacking) ExportsLive() bool { return false }

// KeepsSnapshots implements Provider: none are kept.
func (Lacking) KeepsSnapshots() bool { return false }

// EngineDefaults implements Provider: the operator's general defaults apply.
func (Lacking) EngineDefaults(string) (string, string) { return "", "" }

// Exports implements Provider: there are none.
func (Lacking) Exports(context.Context) ([]Export, error) { return nil, nil }

// SyncParameters implements Provider: parameters asked for are refused, naming the field.
func (l Lacking) SyncParameters(_ context.Context, d Desired, _ Instance) (ParameterChange, error) {
	if len(d.Parameters) > 0 {
		err := l.Refuse("set parameters of "+d.Identifier, "engine parameters").(*Error)
		err.Field = FieldParameters
		return ParameterChange{}, err
	}
	return ParameterChange{}, nil
}

// Restart implements Provider.
func (l Lacking) Restart(_ context.Context, identifier string) error {
	return l.Refuse("restart "+identifier, "restarts")
}

// DeleteParameters implements Provider: there is no parameter set.
func (Lacking) DeleteParameters(context.Context, Desired, string) error { return nil }

// LoginToken implements Provider.
func (l Lacking) LoginToken(_ context.Context, in Instance, _ string) (string, error) {
	return "", l.Refuse("make a login token for "+in.Identifier, "token logins")
}

// LoginTokenHowTo implements Provider.
func (Lacking) LoginTokenHowTo(Instance, string) string { return "" }

// LogFiles implements Provider.
func (l Lacking) LogFiles(_ context.Context, identifier string) ([]LogFile, error) {
	return nil, l.Refuse("list log files of "+identifier, "log files")
}

// ReadLog implements Provider.
func (l Lacking) ReadLog(_ context.Context, identifier, _, _ string, _ int) (LogPortion, error) {
	return LogPortion{}, l.Refuse("read the log of "+identifier, "log files")
}

// Feed implements Provider: none; List is read every resync.
func (Lacking) Feed() Feed { return nil }
