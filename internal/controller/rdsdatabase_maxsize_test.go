package controller

import (
	"strings"
	"testing"

	"github.com/matrixmind-cloud/aws-rds-operator/internal/cloud"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/cloud/cloudtest"
)

// TestDesiredMaxSize: spec.maxSize becomes the storage the cloud may grow to by itself, and
// must be above the storage asked for, after the cloud raised size to its storage type's
// minimum.
func TestDesiredMaxSize(t *testing.T) {
	// A cloud whose smallest gp3 volume is 20 GiB, as RDS's is.
	r := &RDSDatabaseReconciler{Defaults: DefaultDefaults, Cloud: &cloudtest.Provider{StorageFn: func(d cloud.Desired) (int32, bool) {
		if d.StorageType == "gp3" && d.AllocatedStorageGiB < 20 {
			return 20, true
		}
		return d.AllocatedStorageGiB, false
	}}}
	cases := []struct {
		name    string
		reason  string
		size    string
		maxSize string
		want    int32
		wantErr []string // what the refusal says
	}{
		{name: "Unset", reason: "No maxSize leaves the cloud's own setting as it is (0).",
			size: "10GB"},
		{name: "Above", reason: "A maxSize above the storage is the limit the cloud may grow to.",
			size: "10GB", maxSize: "100GB", want: 100},
		{name: "OtherUnits", reason: "maxSize is read in the units size is.",
			size: "50Gi", maxSize: "200GiB", want: 200},
		{name: "JustAboveTheRaisedSize", reason: "One GiB above the storage asked for is enough.",
			size: "10GB", maxSize: "21GB", want: 21},
		{name: "EqualToTheRaisedSize", reason: "A maxSize equal to the storage asked for, once size is raised to gp3's 20 GiB, is refused, naming maxSize and the storage.",
			size: "10GB", maxSize: "20GB", wantErr: []string{"maxSize 20GB", "20 GiB"}},
		{name: "BelowTheRaisedSize", reason: "A maxSize above size but below the storage asked for is refused too.",
			size: "10GB", maxSize: "15GB", wantErr: []string{"maxSize 15GB", "20 GiB"}},
		{name: "EqualToSize", reason: "A maxSize equal to size turns autoscaling off: the storage asked for, which the cloud takes as no growth.",
			size: "100GB", maxSize: "100Gi", want: 100},
		{name: "EqualToASizeRaised", reason: "Equal to a size raised to the minimum, it turns autoscaling off too, at the raised storage.",
			size: "10GB", maxSize: "10GB", want: 20},
		{name: "BelowSize", reason: "A maxSize below size is refused.",
			size: "100GB", maxSize: "50GB", wantErr: []string{"maxSize 50GB", "100 GiB"}},
		{name: "Unreadable", reason: "A maxSize admission should have refused is not sent, naming maxSize.",
			size: "10GB", maxSize: "lots", wantErr: []string{"maxSize", `"lots"`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			db := sampleDB()
			db.Spec.Size, db.Spec.MaxSize = tc.size, tc.maxSize
			s := placed(r, db)

			d, _, err := r.desired(s)

			if (err != nil) != (tc.wantErr != nil) {
				t.Fatalf("%s\ndesired error %v, want one %t", tc.reason, err, tc.wantErr != nil)
			}
			for _, w := range tc.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("%s\nerror %q does not say %q", tc.reason, err, w)
				}
			}
			if err == nil && d.MaxAllocatedStorageGiB != tc.want {
				t.Errorf("%s\nMaxAllocatedStorageGiB %d, want %d", tc.reason, d.MaxAllocatedStorageGiB, tc.want)
			}
		})
	}
}
