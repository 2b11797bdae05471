package emulator

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/google/go-cmp/cmp"
)

// storageState is what Describe says of an instance's storage and its autoscaling.
type storageState struct {
	Status    string
	Allocated int32
	Max       int32
	Pending   bool
}

func storageOf(t *testing.T, c *rds.Client, id string) storageState {
	t.Helper()
	in := describe(t, c, id)
	return storageState{
		Status:    aws.ToString(in.DBInstanceStatus),
		Allocated: aws.ToInt32(in.AllocatedStorage),
		Max:       aws.ToInt32(in.MaxAllocatedStorage),
		Pending:   in.PendingModifiedValues != nil && in.PendingModifiedValues.AllocatedStorage != nil,
	}
}

// TestStorageAutoscalingSettings proves through the SDK that CreateDBInstance and
// ModifyDBInstance take MaxAllocatedStorage by RDS's rules: reported when set, refused
// unless at least 10% above the storage, applied at once whatever ApplyImmediately says,
// and turned off by setting it equal to the storage.
func TestStorageAutoscalingSettings(t *testing.T) {
	_, c := start(t, Config{NoEngine: true})
	ctx := context.Background()
	createAvailable(t, c, "scaled", func(in *rds.CreateDBInstanceInput) { in.MaxAllocatedStorage = aws.Int32(100) })
	if diff := cmp.Diff(storageState{Status: "available", Allocated: 20, Max: 100}, storageOf(t, c, "scaled")); diff != "" {
		t.Errorf("an instance created with MaxAllocatedStorage reports it: -want +got:\n%s", diff)
	}
	createAvailable(t, c, "plain", nil)
	if diff := cmp.Diff(storageState{Status: "available", Allocated: 20}, storageOf(t, c, "plain")); diff != "" {
		t.Errorf("an instance created without it reports none: -want +got:\n%s", diff)
	}

	create := func(gib, maxGiB int32, storageType string) func() error {
		return func() error {
			in := createInput("refused")
			in.AllocatedStorage, in.MaxAllocatedStorage = aws.Int32(gib), aws.Int32(maxGiB)
			if storageType != "" {
				in.StorageType = aws.String(storageType)
			}
			_, err := c.CreateDBInstance(ctx, in)
			return err
		}
	}
	modify := func(id string, maxGiB int32, change func(*rds.ModifyDBInstanceInput)) func() error {
		return func() error {
			in := &rds.ModifyDBInstanceInput{DBInstanceIdentifier: aws.String(id), MaxAllocatedStorage: aws.Int32(maxGiB)}
			if change != nil {
				change(in)
			}
			_, err := c.ModifyDBInstance(ctx, in)
			return err
		}
	}
	notGreater := refusal{codeInvalidCombination, http.StatusBadRequest, "Max storage size must be greater than storage size"}
	tenPercent := refusal{codeInvalidCombination, http.StatusBadRequest, "The maximum allocated storage must be increased by at least 10 percent."}
	refusals := []struct {
		reason string
		call   func() error
		want   refusal
	}{
		{"At create a maximum equal to the storage is refused (ministryofjustice/cloud-platform-environments#7483).", create(20, 20, ""), notGreater},
		{"At create a maximum below the storage is refused.", create(100, 50, ""), notGreater},
		{"A maximum less than 10% above the storage is refused (RDS User Guide; ministryofjustice/cloud-platform-environments#24422).", create(100, 109, ""), tenPercent},
		{"A maximum beyond the storage type's 65,536 GiB is refused.", create(100, 70000, ""),
			refusal{codeInvalidCombination, http.StatusBadRequest, "Invalid max storage size for engine name postgres and storage type gp2: 70000"}},
		{"Magnetic storage does not autoscale.", create(100, 200, "standard"),
			refusal{codeInvalidCombination, http.StatusBadRequest, "Storage autoscaling is not supported for storage type standard."}},
		{"At modify a maximum below the storage is refused.", modify("plain", 10, nil), notGreater},
		{"At modify a maximum less than 10% above the storage is refused.", modify("plain", 21, nil), tenPercent},
		{"A storage increase is held against the maximum the instance has.",
			func() error {
				_, err := c.ModifyDBInstance(ctx, &rds.ModifyDBInstanceInput{DBInstanceIdentifier: aws.String("scaled"), AllocatedStorage: aws.Int32(95)})
				return err
			}, tenPercent},
		{"MaxAllocatedStorage of an instance that is not available is refused like any other change.", modify("busy", 100, nil),
			refusal{codeInvalidInstanceState, http.StatusBadRequest, "Database instance is not in available state."}},
	}
	if _, err := c.CreateDBInstance(ctx, createInput("busy")); err != nil {
		t.Fatalf("CreateDBInstance busy: %v", err)
	}
	for _, tc := range refusals {
		if diff := cmp.Diff(tc.want, refusalOf(tc.call())); diff != "" {
			t.Errorf("%s\n-want +got:\n%s", tc.reason, diff)
		}
	}
	if diff := cmp.Diff(storageState{Status: "available", Allocated: 20, Max: 100}, storageOf(t, c, "scaled")); diff != "" {
		t.Errorf("refused requests change nothing: -want +got:\n%s", diff)
	}

	steps := []struct {
		reason string
		call   func() error
		id     string
		want   storageState
	}{
		{"A new maximum applies at once without ApplyImmediately: nothing pending, no modifying.",
			modify("scaled", 200, nil), "scaled", storageState{Status: "available", Allocated: 20, Max: 200}},
		{"ModifyDBInstance turns autoscaling on for an instance that had none.",
			modify("plain", 22, nil), "plain", storageState{Status: "available", Allocated: 20, Max: 22}},
		{"A maximum equal to the storage turns autoscaling off: it is no longer reported.",
			modify("scaled", 20, nil), "scaled", storageState{Status: "available", Allocated: 20}},
		{"A maximum equal to the storage a pending increase leaves also turns it off; the increase stays pending.",
			modify("plain", 40, func(in *rds.ModifyDBInstanceInput) { in.AllocatedStorage = aws.Int32(40) }), "plain",
			storageState{Status: "available", Allocated: 20, Pending: true}},
	}
	for _, s := range steps {
		if err := s.call(); err != nil {
			t.Fatalf("%s\n%v", s.reason, err)
		}
		if diff := cmp.Diff(s.want, storageOf(t, c, s.id)); diff != "" {
			t.Errorf("%s\n-want +got:\n%s", s.reason, diff)
		}
	}

	// A read replica has autoscaling of its own: none unless its request asks, whatever its
	// source has.
	createAvailable(t, c, "source", func(in *rds.CreateDBInstanceInput) { in.MaxAllocatedStorage = aws.Int32(100) })
	createReplica(t, c, replicaInput("replica", "source"), 5*time.Second)
	scaled := replicaInput("scaled-replica", "source")
	scaled.MaxAllocatedStorage = aws.Int32(60)
	createReplica(t, c, scaled, 5*time.Second)
	for id, want := range map[string]int32{"replica": 0, "scaled-replica": 60} {
		if got := storageOf(t, c, id).Max; got != want {
			t.Errorf("read replica %s: MaxAllocatedStorage %d, want %d", id, got, want)
		}
	}
	refused := replicaInput("refused-replica", "source")
	refused.MaxAllocatedStorage = aws.Int32(20)
	if _, err := c.CreateDBInstanceReadReplica(ctx, refused); errorMessage(err) != notGreater.Message {
		t.Errorf("a replica's maximum equal to its storage: %v, want %q", err, notGreater.Message)
	}
}

// TestStorageAutoscalingGrowth proves that when an instance's storage runs low the
// emulator does what RDS's autoscaler does: it grows the storage by the greater of 10 GiB
// and 10%, never beyond MaxAllocatedStorage, through modifying and storage-optimization
// back to available; at the maximum, without autoscaling, or while the last growth is
// being optimized, the instance ends storage-full.
func TestStorageAutoscalingGrowth(t *testing.T) {
	e, c := start(t, Config{NoEngine: true})
	createAvailable(t, c, "small", func(in *rds.CreateDBInstanceInput) { in.MaxAllocatedStorage = aws.Int32(35) })
	createAvailable(t, c, "large", func(in *rds.CreateDBInstanceInput) {
		in.AllocatedStorage, in.MaxAllocatedStorage = aws.Int32(200), aws.Int32(1000)
	})
	createAvailable(t, c, "fixed", nil)

	grows := []struct {
		reason string
		id     string
		want   int32
	}{
		{"20 GiB grows by 10 GiB, more than its 10%.", "small", 30},
		{"A second growth stops at the maximum: 35, not 40.", "small", 35},
		{"200 GiB grows by its 10%, 20 GiB, more than 10 GiB.", "large", 220},
	}
	for _, g := range grows {
		if err := e.FillStorage(g.id); err != nil {
			t.Fatalf("%s\nFillStorage: %v", g.reason, err)
		}
		seen := waitStatus(t, c, g.id, "available", 5*time.Second)
		if diff := cmp.Diff([]string{"modifying", "storage-optimization", "available"}, seen); diff != "" {
			t.Errorf("%s\nstatuses: -want +got:\n%s", g.reason, diff)
		}
		if got := storageOf(t, c, g.id).Allocated; got != g.want {
			t.Errorf("%s\nAllocatedStorage = %d, want %d", g.reason, got, g.want)
		}
	}

	full := []struct {
		reason string
		id     string
		before func()
		want   storageState
	}{
		{reason: "At its maximum the instance can grow no more: storage-full, as on RDS.", id: "small",
			want: storageState{Status: "storage-full", Allocated: 35, Max: 35}},
		{reason: "Without autoscaling the instance ends storage-full.", id: "fixed",
			want: storageState{Status: "storage-full", Allocated: 20}},
		{reason: "While the last growth is being optimized RDS grows no more: storage-full.", id: "large",
			before: func() {
				if err := e.FillStorage("large"); err != nil {
					t.Fatal(err)
				}
				waitStatus(t, c, "large", "storage-optimization", 5*time.Second)
			},
			want: storageState{Status: "storage-full", Allocated: 242, Max: 1000}},
	}
	for _, f := range full {
		if f.before != nil {
			f.before()
		}
		if err := e.FillStorage(f.id); err != nil {
			t.Fatalf("%s\nFillStorage: %v", f.reason, err)
		}
		if diff := cmp.Diff(f.want, storageOf(t, c, f.id)); diff != "" {
			t.Errorf("%s\n-want +got:\n%s", f.reason, diff)
		}
	}
	// A storage-full instance with room below its maximum grows at the next fill.
	if err := e.FillStorage("large"); err != nil {
		t.Fatalf("FillStorage of storage-full large: %v", err)
	}
	waitStatus(t, c, "large", "available", 5*time.Second)
	if got := storageOf(t, c, "large").Allocated; got != 267 {
		t.Errorf("storage-full large grown to %d GiB, want 267 (242 + 25)", got)
	}

	// A deferred increase the growth overtakes is done: it would shrink the storage.
	createAvailable(t, c, "deferred", func(in *rds.CreateDBInstanceInput) { in.MaxAllocatedStorage = aws.Int32(100) })
	if _, err := c.ModifyDBInstance(context.Background(), &rds.ModifyDBInstanceInput{DBInstanceIdentifier: aws.String("deferred"), AllocatedStorage: aws.Int32(25)}); err != nil {
		t.Fatal(err)
	}
	if err := e.FillStorage("deferred"); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, c, "deferred", "available", 5*time.Second)
	if diff := cmp.Diff(storageState{Status: "available", Allocated: 30, Max: 100}, storageOf(t, c, "deferred")); diff != "" {
		t.Errorf("a growth past a deferred increase: -want +got:\n%s", diff)
	}

	if err := e.FillStorage("nope"); !errors.Is(err, errNoInstance) {
		t.Errorf("FillStorage of an unknown instance: %v, want errNoInstance", err)
	}
	if _, err := c.CreateDBInstance(context.Background(), createInput("creating")); err != nil {
		t.Fatal(err)
	}
	if err := e.FillStorage("creating"); !errors.Is(err, errNotFillable) {
		t.Errorf("FillStorage of a creating instance: %v, want errNotFillable", err)
	}
}

// TestFillStorageOverHTTP proves that a test in another process can make an instance's
// storage run low through POST /_emulator/fill-storage.
func TestFillStorageOverHTTP(t *testing.T) {
	e, c := start(t, Config{NoEngine: true})
	srv := httptest.NewServer(e)
	t.Cleanup(srv.Close)
	createAvailable(t, c, "web", func(in *rds.CreateDBInstanceInput) { in.MaxAllocatedStorage = aws.Int32(100) })
	cases := []struct {
		reason string
		body   string
		want   int
	}{
		{"A known instance with autoscaling grows: 204.", `{"id":"web"}`, http.StatusNoContent},
		{"It is then modifying: its storage can't run low again now, 409.", `{"id":"web"}`, http.StatusConflict},
		{"An unknown instance is 404.", `{"id":"nope"}`, http.StatusNotFound},
		{"A body without an id is 400.", `{}`, http.StatusBadRequest},
	}
	for _, tc := range cases {
		resp, err := http.Post(srv.URL+"/_emulator/fill-storage", "application/json", strings.NewReader(tc.body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.want {
			t.Errorf("%s\nstatus %d, want %d", tc.reason, resp.StatusCode, tc.want)
		}
	}
	waitStatus(t, c, "web", "available", 5*time.Second)
	if got := storageOf(t, c, "web").Allocated; got != 30 {
		t.Errorf("web grown to %d GiB, want 30", got)
	}
}
