package rds

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/aws/smithy-go"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/matrixmind-cloud/aws-rds-operator/internal/cloud"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/emulator"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/emulator/emulatortest"
)

const (
	exportBucket = "shop-exports"
	exportRole   = "arn:aws:iam::123456789012:role/rds-s3-export"
	exportKey    = "alias/shop-exports"
)

// newExportProvider returns a provider on an emulator without engines whose account holds
// the export bucket and key, and an available manual snapshot of an instance to export.
func newExportProvider(t *testing.T) (*Provider, *emulator.Emulator, cloud.Snapshot) {
	t.Helper()
	p, em := newProviderWith(t, emulator.Config{NoEngine: true, Delays: emulatortest.FastDelays,
		Account: emulator.Account{Buckets: []string{exportBucket}, KMSAliases: []string{exportKey}}})
	ctx := context.Background()
	d := desired()
	if err := p.Create(ctx, d); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool {
		obs, err := p.Observe(ctx, d.Identifier)
		return err == nil && obs.Instance.Phase == cloud.PhaseAvailable
	})
	if err := p.CreateSnapshot(ctx, d.Identifier, "shop-orders-daily", nil); err != nil {
		t.Fatal(err)
	}
	var snap cloud.Snapshot
	waitFor(t, func() bool {
		s, found, err := p.Snapshot(ctx, "shop-orders-daily")
		snap = s
		return err == nil && found && s.Available
	})
	return p, em, snap
}

func exportRequest(id, snapshot string) cloud.ExportRequest {
	return cloud.ExportRequest{Identifier: id, Snapshot: snapshot, Bucket: exportBucket, Prefix: "daily", Role: exportRole, KMSKeyID: exportKey}
}

// exportNamed waits until Exports reports the export id in phase, and returns it with the
// phases seen on the way and every export listed the last time.
func exportNamed(t *testing.T, p *Provider, id string, phase cloud.ExportPhase) (cloud.Export, []cloud.ExportPhase, []cloud.Export) {
	t.Helper()
	var got cloud.Export
	var seen []cloud.ExportPhase
	var all []cloud.Export
	waitFor(t, func() bool {
		var err error
		all, err = p.Exports(context.Background())
		if err != nil {
			t.Fatalf("Exports: %v", err)
		}
		for _, e := range all {
			if e.Identifier == id {
				got = e
				if len(seen) == 0 || seen[len(seen)-1] != e.Phase {
					seen = append(seen, e.Phase)
				}
			}
		}
		return got.Phase == phase
	})
	return got, seen, all
}

// TestStartExport exports a manual snapshot (of an emulator without engines: the export
// writes only its metadata) and follows it in Exports until it completes.
func TestStartExport(t *testing.T) {
	p, em, snap := newExportProvider(t)
	ctx := context.Background()
	const id = "shop-orders-daily-export"

	em.ResetStats()
	if err := p.StartExport(ctx, exportRequest(id, snap.Identifier)); err != nil {
		t.Fatalf("StartExport of the snapshot by its identifier: %v", err)
	}
	if n := em.Stats().Operations("DescribeDBSnapshots"); n != 1 {
		t.Errorf("%d DescribeDBSnapshots to learn the snapshot's ARN, want 1", n)
	}
	if err := p.StartExport(ctx, exportRequest(id, snap.ARN)); err != nil {
		t.Fatalf("asking again for the same export must succeed (ExportTaskAlreadyExists): %v", err)
	}
	if n := em.Stats().Operations("DescribeDBSnapshots"); n != 1 {
		t.Errorf("a snapshot named by its ARN costs no describe: %d DescribeDBSnapshots in all, want 1", n)
	}

	got, seen, all := exportNamed(t, p, id, cloud.ExportComplete)
	if len(all) != 1 {
		t.Errorf("asking twice started %d exports, want 1: %+v", len(all), all)
	}
	want := cloud.Export{Identifier: id, Snapshot: snap.Identifier, Status: "COMPLETE", Phase: cloud.ExportComplete, Percent: 100,
		Bucket: exportBucket, Prefix: "daily"}
	if diff := cmp.Diff(want, got, cmpopts.IgnoreFields(cloud.Export{}, "StartedAt", "EndedAt")); diff != "" {
		t.Errorf("the completed export: -want +got:\n%s", diff)
	}
	if got.StartedAt.IsZero() || got.EndedAt.Before(got.StartedAt) {
		t.Errorf("a completed export started and then ended: %s, %s", got.StartedAt, got.EndedAt)
	}
	if seen[0] != cloud.ExportRunning && seen[0] != cloud.ExportComplete {
		t.Errorf("an export runs, then completes; seen %v", seen)
	}
	if n := em.Stats().Operations("StartExportTask"); n != 2 {
		t.Errorf("%d StartExportTask calls, want 2", n)
	}

	t.Run("MissingBucket", func(t *testing.T) {
		r := exportRequest("shop-orders-daily-nowhere", snap.ARN)
		r.Bucket = "no-such-bucket"
		if err := p.StartExport(ctx, r); err != nil {
			t.Fatalf("RDS takes an export to a bucket that does not exist, and fails it later: %v", err)
		}
		got, _, _ := exportNamed(t, p, r.Identifier, cloud.ExportFailed)
		if got.Status != "FAILED" || !strings.Contains(got.FailureCause, "no-such-bucket") || got.EndedAt.IsZero() {
			t.Errorf("a failed export says why, naming the bucket: %+v", got)
		}
	})
}

// TestExportRefusalsNameTheField starts exports RDS refuses, and checks that each refusal
// names the part of the export request to change.
func TestExportRefusalsNameTheField(t *testing.T) {
	p, em, snap := newExportProvider(t)
	cases := map[string]struct {
		reason    string
		change    func(*cloud.ExportRequest)
		wantCode  string
		wantField cloud.Field
	}{
		"RoleOfAnotherAccount": {reason: "A role of another account cannot be passed to RDS.",
			change:   func(r *cloud.ExportRequest) { r.Role = "arn:aws:iam::210987654321:role/rds-s3-export" },
			wantCode: "IamRoleNotFound", wantField: cloud.FieldExportRole},
		"RoleNotAnARN": {reason: "A role is named by its ARN.",
			change: func(r *cloud.ExportRequest) { r.Role = "rds-s3-export" }, wantCode: "InvalidParameterValue", wantField: cloud.FieldExportRole},
		"NoRole": {reason: "RDS writes as a role the request names: none is refused before any call.",
			change: func(r *cloud.ExportRequest) { r.Role = "" }, wantCode: "InvalidParameterValue", wantField: cloud.FieldExportRole},
		"NoKMSKey": {reason: "RDS encrypts an export with a key the request names: none is refused before any call.",
			change: func(r *cloud.ExportRequest) { r.KMSKeyID = "" }, wantCode: "InvalidParameterValue", wantField: cloud.FieldExportKMSKey},
		"UnknownKMSKey": {reason: "The account holds no KMS alias alias/nope: the export's key, not the database's.",
			change: func(r *cloud.ExportRequest) { r.KMSKeyID = "alias/nope" }, wantCode: "KMSKeyNotAccessibleFault", wantField: cloud.FieldExportKMSKey},
		"BadBucketName": {reason: "Not_A_Bucket is no S3 bucket name.",
			change: func(r *cloud.ExportRequest) { r.Bucket = "Not_A_Bucket" }, wantCode: "InvalidS3BucketFault", wantField: cloud.FieldExportBucket},
		"ColonInPrefix": {reason: "Exports take no prefix with a colon; the prefix is none of the fields a provider names.",
			change: func(r *cloud.ExportRequest) { r.Prefix = "daily:1" }, wantCode: "InvalidParameterValue"},
		"SnapshotOfAnotherAccount": {reason: "The account cannot see a snapshot of another account.",
			change: func(r *cloud.ExportRequest) {
				r.Snapshot = strings.Replace(snap.ARN, "123456789012", "210987654321", 1)
			},
			wantCode: "DBSnapshotNotFound"},
		"UnknownSnapshot": {reason: "A snapshot identifier the account does not have is not found, and nothing is asked to export it.",
			change: func(r *cloud.ExportRequest) { r.Snapshot = "nope" }, wantCode: "DBSnapshotNotFound"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			r := exportRequest("refused-"+strings.ToLower(name), snap.ARN)
			tc.change(&r)
			em.ResetStats()
			err := p.StartExport(context.Background(), r)
			var ce *cloud.Error
			if !errors.As(err, &ce) || ce.Code != tc.wantCode || ce.Field != tc.wantField {
				t.Fatalf("%s\nStartExport: %v (%+v), want code %s naming field %q", tc.reason, err, ce, tc.wantCode, tc.wantField)
			}
			if errors.Is(err, cloud.ErrBusy) || errors.Is(err, cloud.ErrTransient) {
				t.Errorf("%s\na refusal is neither busy nor transient: %v", tc.reason, err)
			}
			if n := em.Stats().Operations("StartExportTask"); !strings.HasPrefix(r.Snapshot, "arn:") && n != 0 {
				t.Errorf("%s\nan unknown snapshot identifier sent %d StartExportTask, want none", tc.reason, n)
			}
		})
	}
	if exports, err := p.Exports(context.Background()); err != nil || len(exports) != 0 {
		t.Errorf("refused exports are no exports: %+v, %v", exports, err)
	}
}

// TestWrapExport: RDS's refusals of StartExportTask, as RDS words them, name the export's
// fields; a snapshot still being taken is a state that passes.
func TestWrapExport(t *testing.T) {
	cases := []struct {
		reason, code, message string
		wantField             cloud.Field
		wantKind              error
	}{
		{"A bucket S3 would refuse the name of.", "InvalidS3BucketFault", "The S3 bucket name Not_A_Bucket is not valid.", cloud.FieldExportBucket, nil},
		{"A role RDS cannot find.", "IamRoleNotFound", "The IAM role arn:aws:iam::1:role/x is not found.", cloud.FieldExportRole, nil},
		{"A role without the S3 permissions the export needs.", "IamRoleMissingPermissions", "The IAM role lacks permissions.", cloud.FieldExportRole, nil},
		{"A KMS key the account cannot use is the export's key.", "KMSKeyNotAccessibleFault", "The specified KMS key does not exist.", cloud.FieldExportKMSKey, nil},
		{"A catch-all refusal about the KMS key is the export's key too.", "InvalidParameterValue", "The KMS key alias/x is not a symmetric key.", cloud.FieldExportKMSKey, nil},
		{"A catch-all refusal about the role.", "InvalidParameterValue", "The IAM role ARN rds-s3-export is not valid.", cloud.FieldExportRole, nil},
		{"A snapshot not available yet: the same request passes later.", "InvalidExportSourceState", "The snapshot x is not in the available state: creating.", "", cloud.ErrBusy},
		{"Throttling stays transient.", "Throttling", "Rate exceeded", "", cloud.ErrTransient},
	}
	for _, tc := range cases {
		err := wrapExport("start export x", &smithy.GenericAPIError{Code: tc.code, Message: tc.message})
		var ce *cloud.Error
		if !errors.As(err, &ce) || ce.Field != tc.wantField || ce.Kind != tc.wantKind {
			t.Errorf("%s\nwrapExport(%s, %q) = %+v, want field %q, kind %v", tc.reason, tc.code, tc.message, ce, tc.wantField, tc.wantKind)
		}
	}
}

// TestExportPhases maps every status word RDS documents for export tasks.
func TestExportPhases(t *testing.T) {
	want := map[string]cloud.ExportPhase{
		"STARTING": cloud.ExportRunning, "IN_PROGRESS": cloud.ExportRunning, "CANCELING": cloud.ExportRunning,
		"COMPLETE": cloud.ExportComplete, "FAILED": cloud.ExportFailed, "CANCELED": cloud.ExportCanceled,
		// A word RDS adds one day is followed, not believed finished.
		"SOMETHING_NEW": cloud.ExportRunning,
	}
	got := map[string]cloud.ExportPhase{}
	for status := range want {
		got[status] = exportPhaseOf(status)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("export phases: -want +got:\n%s", diff)
	}
}
