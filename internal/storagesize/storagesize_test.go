package storagesize

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParse(t *testing.T) {
	cases := map[string]struct {
		reason  string
		in      string
		want    int32
		wantErr bool
	}{
		"GB":       {reason: "The seed's unit is read as GiB.", in: "10GB", want: 10},
		"GiB":      {reason: "GiB is accepted.", in: "20GiB", want: 20},
		"Gi":       {reason: "Kubernetes' Gi is accepted.", in: "100Gi", want: 100},
		"G":        {reason: "G is accepted.", in: "5G", want: 5},
		"Max":      {reason: "RDS's maximum is accepted.", in: "65536GB", want: 65536},
		"TooLarge": {reason: "Above RDS's maximum is refused.", in: "65537GB", wantErr: true},
		"NoUnit":   {reason: "A bare number is ambiguous.", in: "10", wantErr: true},
		"Zero":     {reason: "Zero storage is meaningless.", in: "0GB", wantErr: true},
		"Fraction": {reason: "RDS takes whole GiB.", in: "1.5GB", wantErr: true},
		"TB":       {reason: "Only gigabyte units are accepted.", in: "1TB", wantErr: true},
		"Negative": {reason: "Negative sizes are refused.", in: "-1GB", wantErr: true},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := Parse(tc.in)
			if (err != nil) != tc.wantErr {
				t.Fatalf("%s\nParse(%q) error = %v, wantErr %v", tc.reason, tc.in, err, tc.wantErr)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s\nParse(%q): -want +got:\n%s", tc.reason, tc.in, diff)
			}
		})
	}
}

func TestEffective(t *testing.T) {
	type result struct {
		GiB    int32
		Raised bool
	}
	cases := map[string]struct {
		reason      string
		requested   int32
		storageType string
		want        result
	}{
		"RaisedGP3":   {reason: "The seed's default 10GB is below gp3's 20 GiB minimum.", requested: 10, storageType: "gp3", want: result{20, true}},
		"KeptGP2":     {reason: "A size at the minimum is kept.", requested: 20, storageType: "gp2", want: result{20, false}},
		"RaisedIO1":   {reason: "io1 needs 100 GiB.", requested: 50, storageType: "io1", want: result{100, true}},
		"KeptMagnet":  {reason: "Magnetic storage allows 5 GiB.", requested: 10, storageType: "standard", want: result{10, false}},
		"DefaultType": {reason: "An unknown type is treated as gp2/gp3.", requested: 1, storageType: "", want: result{20, true}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			gib, raised := Effective(tc.requested, tc.storageType)
			if diff := cmp.Diff(tc.want, result{gib, raised}); diff != "" {
				t.Errorf("%s\nEffective(%d, %q): -want +got:\n%s", tc.reason, tc.requested, tc.storageType, diff)
			}
		})
	}
}
