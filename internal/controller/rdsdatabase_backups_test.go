package controller

import (
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1 "github.com/matrixmind-cloud/aws-rds-operator/api/v1"
)

func TestParseEvery(t *testing.T) {
	cases := map[string]struct {
		reason  string
		in      string
		want    time.Duration
		wantErr bool
	}{
		"Default":  {reason: "Empty is the automated daily backup.", in: "", want: 24 * time.Hour},
		"Hours":    {reason: "Hours are hours.", in: "6h", want: 6 * time.Hour},
		"Days":     {reason: "Days are 24 hours.", in: "7d", want: 7 * 24 * time.Hour},
		"Daily":    {reason: "24h is the automated mode's interval.", in: "24h", want: 24 * time.Hour},
		"Minutes":  {reason: "Minutes are not a backup interval.", in: "30m", wantErr: true},
		"Zero":     {reason: "Zero is no interval.", in: "0h", wantErr: true},
		"Garbage":  {reason: "Not a number.", in: "xh", wantErr: true},
		"NoSuffix": {reason: "A unit is needed.", in: "6", wantErr: true},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := parseEvery(tc.in)
			if (err != nil) != tc.wantErr || (!tc.wantErr && got != tc.want) {
				t.Errorf("%s\nparseEvery(%q) = %s, %v; want %s, error %v", tc.reason, tc.in, got, err, tc.want, tc.wantErr)
			}
		})
	}
}

func TestNextSlot(t *testing.T) {
	now := time.Date(2026, 11, 25, 12, 30, 45, 0, time.UTC)
	at := func(d time.Duration) *metav1.Time { t := metav1.NewTime(now.Add(d)); return &t }
	cases := map[string]struct {
		reason   string
		latest   *metav1.Time
		wantSlot time.Time
		wantDue  bool
	}{
		"First": {reason: "No snapshot yet: one now, named for its cell of the 6h grid.", wantSlot: time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC), wantDue: true},
		"NotYet": {reason: "Two hours after the last of a 6h schedule: wait.", latest: at(-2 * time.Hour),
			wantSlot: now.Add(4 * time.Hour), wantDue: false},
		"Due": {reason: "Seven hours after the last: the slot 6h after it is due, named for that slot.", latest: at(-7 * time.Hour),
			wantSlot: now.Add(-time.Hour), wantDue: true},
		"FarBehind": {reason: "Days behind (the operator was down): one snapshot now, not every missed one.", latest: at(-72 * time.Hour),
			wantSlot: time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC), wantDue: true},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			slot, due := nextSlot(&v1.BackupStatus{LatestSnapshotTime: tc.latest}, 6*time.Hour, now)
			if !slot.Equal(tc.wantSlot) || due != tc.wantDue {
				t.Errorf("%s\nnextSlot = %s, %v; want %s, %v", tc.reason, slot, due, tc.wantSlot, tc.wantDue)
			}
		})
	}
}
