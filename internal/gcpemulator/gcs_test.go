package gcpemulator

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	storage "google.golang.org/api/storage/v1"
)

func TestValidBucketName(t *testing.T) {
	t.Parallel()
	cases := map[string]struct {
		reason string
		name   string
		want   bool
	}{
		"Plain":        {reason: "Lowercase letters, digits, dashes and underscores make a bucket name.", name: "my-exports_1", want: true},
		"Dotted":       {reason: "Dots make a domain-named bucket.", name: "exports.example.com", want: true},
		"TooShort":     {reason: "A bucket name has at least 3 characters.", name: "ab"},
		"TooLong":      {reason: "A name without dots has at most 63 characters.", name: strings.Repeat("a", 64)},
		"Upper":        {reason: "Bucket names are lowercase.", name: "Exports"},
		"DashStart":    {reason: "A bucket name begins with a letter or digit.", name: "-exports"},
		"DoubleDot":    {reason: "Dot-separated parts are not empty.", name: "a..b"},
		"GoogPrefix":   {reason: "Names cannot begin with goog.", name: "google-exports"},
		"LongDotPart":  {reason: "Each dot-separated part has at most 63 characters.", name: strings.Repeat("a", 64) + ".com"},
		"SlashInside":  {reason: "A slash ends the bucket part of a URI; it is not part of a name.", name: "a/b"},
		"DotsLongOkay": {reason: "A dotted name may be longer than 63 characters.", name: strings.Repeat("a", 60) + "." + strings.Repeat("b", 60), want: true},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if got := validBucketName(tc.name); got != tc.want {
				t.Errorf("%s\nvalidBucketName(%q) = %v, want %v", tc.reason, tc.name, got, tc.want)
			}
		})
	}
}

func TestNewRefusesBadBucket(t *testing.T) {
	t.Parallel()
	if _, err := New(Config{NoEngine: true, Buckets: []string{"Not A Bucket"}}); err == nil {
		t.Error("New takes only Cloud Storage bucket names in Buckets")
	}
}

func TestGCSInfo(t *testing.T) {
	t.Parallel()
	e := startExports(t, Config{NoEngine: true}, 20*time.Millisecond)
	// A bucket a client makes through the JSON API is one the stand-in holds too.
	if _, err := e.gcs.Buckets.Insert(project, &storage.Bucket{Name: "made-by-client"}).Do(); err != nil {
		t.Fatalf("create a bucket through the JSON API: %v", err)
	}
	resp, err := http.Get(e.url + "/_emulator/gcs")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var got GCSInfo
	if err := json.NewDecoder(resp.Body).Decode(&got); err != nil {
		t.Fatalf("decode GET /_emulator/gcs: %v", err)
	}
	want := GCSInfo{Endpoint: e.emu.GCSEndpoint(), Buckets: []string{exportBucket, "made-by-client"}}
	if want.Endpoint == "" {
		t.Fatal("GCSEndpoint is empty after ListenGCS")
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("GET /_emulator/gcs names where the stand-in is and its buckets (-want +got):\n%s", diff)
	}
}
