// Package cloudtest provides a fake cloud.Provider made of function fields, for table tests
// of the controller's phases: each case sets the calls it expects and nothing else. A call
// whose function is not set returns ErrUnexpected, so a phase that calls more than its case
// allows fails visibly; the few calls with an answer that means "nothing here" (no zones, an
// empty plan, no backups, no exports) give that answer instead, as each method says. It also provides Conformance, the suite every real provider passes
// against its own cloud's emulator.
package cloudtest

import (
	"context"
	"errors"
	"time"

	"github.com/matrixmind-cloud/aws-rds-operator/internal/cloud"
)

// ErrUnexpected is returned by a call the test did not set a function for.
var ErrUnexpected = errors.New("cloudtest: unexpected call")

// Provider is a cloud.Provider whose methods call the matching function field.
type Provider struct {
	ObserveFn        func(ctx context.Context, id string) (cloud.Observation, error)
	ListFn           func(ctx context.Context) ([]cloud.Instance, error)
	CreateFn         func(ctx context.Context, d cloud.Desired) error
	CompleteFn       func(ctx context.Context, d cloud.Desired) error
	CreateReplicaFn  func(ctx context.Context, r cloud.Replica) error
	UpdateFn         func(ctx context.Context, id string, changes cloud.Changes, opts cloud.UpdateOptions) error
	TagFn            func(ctx context.Context, arn string, tags map[string]string) error
	DeleteFn         func(ctx context.Context, id string, opts cloud.DeleteOptions) error
	CreateSnapshotFn func(ctx context.Context, id, snapshot string, tags map[string]string) error
	SnapshotsFn      func(ctx context.Context, id string) ([]cloud.Snapshot, error)
	SnapshotFn       func(ctx context.Context, snapshot string) (cloud.Snapshot, bool, error)
	DeleteSnapshotFn func(ctx context.Context, snapshot string) error
	ZoneInFn         func(region, zone string) bool
	PlanFn           func(d cloud.Desired, in cloud.Instance, keepVersion bool) cloud.Plan
	StorageFn        func(d cloud.Desired) (int32, bool)
	// AutomatedBackupsFn, StartExportFn and ExportsFn default to what a database without
	// backups or exports answers, so that cases about other phases need not set them.
	AutomatedBackupsFn func(ctx context.Context, id string) ([]cloud.Snapshot, error)
	StartExportFn      func(ctx context.Context, r cloud.ExportRequest) error
	ExportsFn          func(ctx context.Context) ([]cloud.Export, error)
	// Live is what ExportsLive answers.
	Live bool
	// NoSnapshots makes KeepsSnapshots false: the cloud keeps nothing of a deleted database.
	NoSnapshots bool
	// EngineDefaultsFn defaults to the operator's general defaults for every engine.
	EngineDefaultsFn func(engine string) (version, instanceClass string)
	// SyncParametersFn defaults, for a database with no parameters desired and no parameter
	// set, to changing nothing; DeleteParametersFn to there being no parameter set.
	SyncParametersFn   func(ctx context.Context, d cloud.Desired, in cloud.Instance) (cloud.ParameterChange, error)
	RestartFn          func(ctx context.Context, id string) error
	DeleteParametersFn func(ctx context.Context, d cloud.Desired, set string) error
	// LoginTokenFn makes the token of a user who logs in with one; HowTo is what
	// LoginTokenHowTo answers.
	LoginTokenFn func(ctx context.Context, in cloud.Instance, user string) (string, error)
	HowTo        string
	// LogFilesFn and ReadLogFn default to a database without log files.
	LogFilesFn func(ctx context.Context, id string) ([]cloud.LogFile, error)
	ReadLogFn  func(ctx context.Context, id, file, marker string, lines int) (cloud.LogPortion, error)
	// ChangesFn and ListSomeFn make the provider's feed: Feed answers nil (a cloud without
	// one) while ChangesFn is unset.
	ChangesFn  func(ctx context.Context, from, to time.Time) ([]cloud.Change, error)
	ListSomeFn func(ctx context.Context, ids []string) ([]cloud.Instance, error)
}

var _ cloud.Provider = (*Provider)(nil)

// Observe implements cloud.Provider.
func (p *Provider) Observe(ctx context.Context, id string) (cloud.Observation, error) {
	if p.ObserveFn == nil {
		return cloud.Observation{}, ErrUnexpected
	}
	return p.ObserveFn(ctx, id)
}

// List implements cloud.Provider.
func (p *Provider) List(ctx context.Context) ([]cloud.Instance, error) {
	if p.ListFn == nil {
		return nil, ErrUnexpected
	}
	return p.ListFn(ctx)
}

// Create implements cloud.Provider.
func (p *Provider) Create(ctx context.Context, d cloud.Desired) error {
	if p.CreateFn == nil {
		return ErrUnexpected
	}
	return p.CreateFn(ctx, d)
}

// Complete implements cloud.Provider.
func (p *Provider) Complete(ctx context.Context, d cloud.Desired) error {
	if p.CompleteFn == nil {
		return ErrUnexpected
	}
	return p.CompleteFn(ctx, d)
}

// CreateReplica implements cloud.Provider.
func (p *Provider) CreateReplica(ctx context.Context, r cloud.Replica) error {
	if p.CreateReplicaFn == nil {
		return ErrUnexpected
	}
	return p.CreateReplicaFn(ctx, r)
}

// Update implements cloud.Provider.
func (p *Provider) Update(ctx context.Context, id string, changes cloud.Changes, opts cloud.UpdateOptions) error {
	if p.UpdateFn == nil {
		return ErrUnexpected
	}
	return p.UpdateFn(ctx, id, changes, opts)
}

// Tag implements cloud.Provider.
func (p *Provider) Tag(ctx context.Context, arn string, tags map[string]string) error {
	if p.TagFn == nil {
		return ErrUnexpected
	}
	return p.TagFn(ctx, arn, tags)
}

// Delete implements cloud.Provider.
func (p *Provider) Delete(ctx context.Context, id string, opts cloud.DeleteOptions) error {
	if p.DeleteFn == nil {
		return ErrUnexpected
	}
	return p.DeleteFn(ctx, id, opts)
}

// CreateSnapshot implements cloud.Provider.
func (p *Provider) CreateSnapshot(ctx context.Context, id, snapshot string, tags map[string]string) error {
	if p.CreateSnapshotFn == nil {
		return ErrUnexpected
	}
	return p.CreateSnapshotFn(ctx, id, snapshot, tags)
}

// Snapshots implements cloud.Provider.
func (p *Provider) Snapshots(ctx context.Context, id string) ([]cloud.Snapshot, error) {
	if p.SnapshotsFn == nil {
		return nil, ErrUnexpected
	}
	return p.SnapshotsFn(ctx, id)
}

// Snapshot implements cloud.Provider.
func (p *Provider) Snapshot(ctx context.Context, snapshot string) (cloud.Snapshot, bool, error) {
	if p.SnapshotFn == nil {
		return cloud.Snapshot{}, false, ErrUnexpected
	}
	return p.SnapshotFn(ctx, snapshot)
}

// DeleteSnapshot implements cloud.Provider.
func (p *Provider) DeleteSnapshot(ctx context.Context, snapshot string) error {
	if p.DeleteSnapshotFn == nil {
		return ErrUnexpected
	}
	return p.DeleteSnapshotFn(ctx, snapshot)
}

// ZoneIn implements cloud.Provider; unset, no zone is in any region.
func (p *Provider) ZoneIn(region, zone string) bool {
	return p.ZoneInFn != nil && p.ZoneInFn(region, zone)
}

// Plan implements cloud.Provider; unset, every database is as desired (an empty plan).
func (p *Provider) Plan(d cloud.Desired, in cloud.Instance, keepVersion bool) cloud.Plan {
	if p.PlanFn == nil {
		return cloud.Plan{}
	}
	return p.PlanFn(d, in, keepVersion)
}

// Storage implements cloud.Provider; unset, the requested size is kept.
func (p *Provider) Storage(d cloud.Desired) (int32, bool) {
	if p.StorageFn == nil {
		return d.AllocatedStorageGiB, false
	}
	return p.StorageFn(d)
}

// AutomatedBackups implements cloud.Provider; unset, the database has no automated backups.
func (p *Provider) AutomatedBackups(ctx context.Context, id string) ([]cloud.Snapshot, error) {
	if p.AutomatedBackupsFn == nil {
		return nil, nil
	}
	return p.AutomatedBackupsFn(ctx, id)
}

// StartExport implements cloud.Provider; unset, the export starts (nil).
func (p *Provider) StartExport(ctx context.Context, r cloud.ExportRequest) error {
	if p.StartExportFn == nil {
		return nil
	}
	return p.StartExportFn(ctx, r)
}

// Exports implements cloud.Provider; unset, the account has no exports.
func (p *Provider) Exports(ctx context.Context) ([]cloud.Export, error) {
	if p.ExportsFn == nil {
		return nil, nil
	}
	return p.ExportsFn(ctx)
}

// ExportsLive implements cloud.Provider with the Live field.
func (p *Provider) ExportsLive() bool { return p.Live }

// KeepsSnapshots implements cloud.Provider: unless NoSnapshots.
func (p *Provider) KeepsSnapshots() bool { return !p.NoSnapshots }

// EngineDefaults implements cloud.Provider: EngineDefaultsFn's, or none.
func (p *Provider) EngineDefaults(engine string) (string, string) {
	if p.EngineDefaultsFn == nil {
		return "", ""
	}
	return p.EngineDefaultsFn(engine)
}

// LogFiles implements cloud.Provider.
func (p *Provider) LogFiles(ctx context.Context, id string) ([]cloud.LogFile, error) {
	if p.LogFilesFn == nil {
		return nil, nil
	}
	return p.LogFilesFn(ctx, id)
}

// ReadLog implements cloud.Provider.
func (p *Provider) ReadLog(ctx context.Context, id, file, marker string, lines int) (cloud.LogPortion, error) {
	if p.ReadLogFn == nil {
		return cloud.LogPortion{}, cloud.ErrNoLogFile
	}
	return p.ReadLogFn(ctx, id, file, marker, lines)
}

// Feed implements cloud.Provider: the provider itself when ChangesFn is set, else nil.
func (p *Provider) Feed() cloud.Feed {
	if p.ChangesFn == nil {
		return nil
	}
	return p
}

// Changes implements cloud.Feed.
func (p *Provider) Changes(ctx context.Context, from, to time.Time) ([]cloud.Change, error) {
	if p.ChangesFn == nil {
		return nil, ErrUnexpected
	}
	return p.ChangesFn(ctx, from, to)
}

// ListSome implements cloud.Feed.
func (p *Provider) ListSome(ctx context.Context, ids []string) ([]cloud.Instance, error) {
	if p.ListSomeFn == nil {
		return nil, ErrUnexpected
	}
	return p.ListSomeFn(ctx, ids)
}

// SyncParameters implements cloud.Provider.
func (p *Provider) SyncParameters(ctx context.Context, d cloud.Desired, in cloud.Instance) (cloud.ParameterChange, error) {
	if p.SyncParametersFn == nil {
		if len(d.Parameters) == 0 && in.Parameters.Set == "" {
			return cloud.ParameterChange{}, nil
		}
		return cloud.ParameterChange{}, ErrUnexpected
	}
	return p.SyncParametersFn(ctx, d, in)
}

// Restart implements cloud.Provider.
func (p *Provider) Restart(ctx context.Context, id string) error {
	if p.RestartFn == nil {
		return ErrUnexpected
	}
	return p.RestartFn(ctx, id)
}

// LoginToken implements cloud.Provider.
func (p *Provider) LoginToken(ctx context.Context, in cloud.Instance, user string) (string, error) {
	if p.LoginTokenFn == nil {
		return "", ErrUnexpected
	}
	return p.LoginTokenFn(ctx, in, user)
}

// LoginTokenHowTo implements cloud.Provider.
func (p *Provider) LoginTokenHowTo(cloud.Instance, string) string { return p.HowTo }

// DeleteParameters implements cloud.Provider.
func (p *Provider) DeleteParameters(ctx context.Context, d cloud.Desired, set string) error {
	if p.DeleteParametersFn == nil {
		return nil
	}
	return p.DeleteParametersFn(ctx, d, set)
}
