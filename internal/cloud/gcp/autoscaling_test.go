package gcp

import (
	"errors"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
	sqladmin "google.golang.org/api/sqladmin/v1"

	"github.com/matrixmind-cloud/aws-rds-operator/internal/cloud"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/gcpemulator"
)

func TestMaxStorageMapping(t *testing.T) {
	cases := []struct {
		reason   string
		settings *sqladmin.Settings
		want     int32
	}{
		{"Auto-resize not reported is Cloud SQL's default, on without limit: up to its largest disk.", &sqladmin.Settings{}, maxDiskGiB},
		{"On without limit is up to the largest disk.", &sqladmin.Settings{StorageAutoResize: new(true)}, maxDiskGiB},
		{"On with a limit is up to the limit.", &sqladmin.Settings{StorageAutoResize: new(true), StorageAutoResizeLimit: 250}, 250},
		{"Off is 0, whatever limit stays behind.", &sqladmin.Settings{StorageAutoResize: new(false), StorageAutoResizeLimit: 250}, 0},
	}
	for _, tc := range cases {
		if got := maxStorage(tc.settings); got != tc.want {
			t.Errorf("%s\nmaxStorage = %d; want %d", tc.reason, got, tc.want)
		}
	}
}

func TestSetAutoResize(t *testing.T) {
	type resize struct {
		On    bool
		Limit int64
	}
	cases := []struct {
		reason    string
		disk, max int32
		want      resize
		refused   bool
	}{
		{"No limit desired leaves Cloud SQL's own setting (on without a limit).", 20, 0, resize{}, false},
		{"A limit above the disk is auto-resize on up to it.", 20, 100, resize{true, 100}, false},
		{"A limit equal to the disk leaves nothing to grow: off.", 20, 20, resize{false, 0}, false},
		{"A limit below the disk is the user's to fix.", 20, 15, resize{}, true},
		{"A limit above Cloud SQL's largest disk is the user's to fix.", 20, maxDiskGiB + 1, resize{}, true},
	}
	for _, tc := range cases {
		s := &sqladmin.Settings{}
		err := setAutoResize("op", s, cloud.Desired{AllocatedStorageGiB: tc.disk, MaxAllocatedStorageGiB: tc.max})
		var ce *cloud.Error
		if tc.refused {
			if !errors.As(err, &ce) || ce.Field != cloud.FieldMaxStorage || ce.Kind != nil {
				t.Errorf("%s\nsetAutoResize = %v; want a *cloud.Error naming FieldMaxStorage", tc.reason, err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s\nsetAutoResize = %v", tc.reason, err)
		}
		if s.StorageAutoResize == nil {
			if tc.want != (resize{}) || s.StorageAutoResizeLimit != 0 {
				t.Errorf("%s\nauto-resize left unset; want %+v", tc.reason, tc.want)
			}
			continue
		}
		if diff := cmp.Diff(tc.want, resize{*s.StorageAutoResize, s.StorageAutoResizeLimit}); diff != "" {
			t.Errorf("%s\nsettings, -want +got:\n%s", tc.reason, diff)
		}
	}
}

// TestStorageAutoscalingOnCloudSQL: the limit is set at create and reported; the disk Cloud
// SQL grows by itself is reported and never planned back; the limit changes and goes off in
// place; and an instance with Cloud SQL's default has it turned off unless asked for.
func TestStorageAutoscalingOnCloudSQL(t *testing.T) {
	em := serve(t, gcpemulator.Config{NoEngine: true, Delays: conformanceDelays})
	p := newProvider(t)
	d := desiredCloudSQL("orders", nil)
	d.AllocatedStorageGiB, d.MaxAllocatedStorageGiB = 20, 30
	if err := p.Create(t.Context(), d); err != nil {
		t.Fatal(err)
	}
	in := waitAvailable(t, p, "orders")
	if in.MaxAllocatedStorageGiB != 30 || in.AllocatedStorageGiB != 20 {
		t.Fatalf("a new instance reports storage %d GiB growing up to %d; want 20 up to 30", in.AllocatedStorageGiB, in.MaxAllocatedStorageGiB)
	}

	for range 3 {
		em.GrowStorage(testProject, "orders")
	}
	in = waitAvailable(t, p, "orders")
	if in.AllocatedStorageGiB != 30 || in.MaxAllocatedStorageGiB != 30 {
		t.Errorf("after Cloud SQL grew the disk: %d GiB up to %d; want 30 (its limit) up to 30", in.AllocatedStorageGiB, in.MaxAllocatedStorageGiB)
	}
	if plan := p.Plan(d, in, false); !plan.Changes.Empty() {
		t.Errorf("the plan of an instance whose disk Cloud SQL grew above the size desired = %q; want none", plan.Described)
	}

	d.MaxAllocatedStorageGiB = 100
	plan := p.Plan(d, in, false)
	if diff := cmp.Diff([]string{"storage autoscaling off to up to 100 GiB"}, plan.Described); diff != "" {
		t.Errorf("a higher limit, for a disk at its old limit, -want +got:\n%s", diff)
	}
	before := len(mutations(em))
	if err := p.Update(t.Context(), "orders", plan.Changes, cloud.UpdateOptions{ApplyImmediately: true}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the new limit", func() (bool, string) {
		in = waitAvailable(t, p, "orders")
		return in.MaxAllocatedStorageGiB == 100, fmt.Sprint(in.MaxAllocatedStorageGiB)
	})
	if diff := cmp.Diff([]string{"PATCH /v1/projects/{project}/instances/{instance}"}, mutations(em)[before:]); diff != "" {
		t.Errorf("calls Update made, -want +got:\n%s", diff)
	}
	if size, _ := em.GrowStorage(testProject, "orders"); size != 36 {
		t.Errorf("the disk grew to %d GB under the new limit; want 36", size)
	}

	d.MaxAllocatedStorageGiB = d.AllocatedStorageGiB // maxSize equal to size
	plan = p.Plan(d, waitAvailable(t, p, "orders"), false)
	if diff := cmp.Diff([]string{"storage autoscaling up to 100 GiB to off"}, plan.Described); diff != "" {
		t.Errorf("autoscaling asked off, -want +got:\n%s", diff)
	}
	if err := p.Update(t.Context(), "orders", plan.Changes, cloud.UpdateOptions{ApplyImmediately: true}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "autoscaling off", func() (bool, string) {
		in = waitAvailable(t, p, "orders")
		return in.MaxAllocatedStorageGiB == 0, fmt.Sprint(in.MaxAllocatedStorageGiB)
	})
	if size, _ := em.GrowStorage(testProject, "orders"); size != 36 {
		t.Errorf("with autoscaling off the disk grew to %d GB", size)
	}
	if plan := p.Plan(d, in, false); !plan.Changes.Empty() {
		t.Errorf("the plan once autoscaling is off = %q; want none", plan.Described)
	}

	// An instance made without saying, as before this provider set auto-resize, has
	// Cloud SQL's default.
	createWithClient(t, em.url, desiredCloudSQL("legacy", nil))
	legacy := waitAvailable(t, p, "legacy")
	if legacy.MaxAllocatedStorageGiB != maxDiskGiB {
		t.Errorf("Cloud SQL's default reports growing up to %d GiB; want its largest disk, %d", legacy.MaxAllocatedStorageGiB, maxDiskGiB)
	}
	if plan := p.Plan(desiredCloudSQL("legacy", nil), legacy, false); plan.Changes.MaxAllocatedStorageGiB != nil {
		t.Errorf("the plan for Cloud SQL's default without maxSize = %q; want its autoscaling left as it is", plan.Described)
	}
}
