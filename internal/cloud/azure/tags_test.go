package azure

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

func TestTagsRoundTrip(t *testing.T) {
	long := strings.Repeat("n", 63) + "/" + strings.Repeat("o", 253)
	wide := strings.Repeat("日", 300)
	cases := []struct {
		name   string
		tags   map[string]string
		arm    map[string]string
		reason string
	}{
		{
			name:   "Plain",
			tags:   map[string]string{"team": "payments"},
			arm:    map[string]string{"team": "payments"},
			reason: "a tag ARM takes as it is must be written as it is, for people reading it at the portal",
		},
		{
			name:   "OwnerTag",
			tags:   map[string]string{"matrixmind.cloud/owner": "shop/orders"},
			arm:    map[string]string{"matrixmind.cloud~2Fowner": "shop/orders"},
			reason: "ARM refuses '/' in a tag name, and the owner tag has one: it must be escaped and read back",
		},
		{
			name:   "EveryForbiddenCharacterAndTheEscape",
			tags:   map[string]string{`a<b>c%d&e\f?g/h~i`: "v"},
			arm:    map[string]string{"a~3Cb~3Ec~25d~26e~5Cf~3Fg~2Fh~7Ei": "v"},
			reason: "every character ARM refuses, and the escape character itself, must be escaped so that any name reads back exactly",
		},
		{
			name: "LongValueInPieces",
			tags: map[string]string{"matrixmind.cloud/owner": long},
			arm: map[string]string{
				"matrixmind.cloud~2Fowner":    long[:256],
				"matrixmind.cloud~2Fowner~~1": long[256:],
			},
			reason: "an owner namespace/name can be 317 characters, over ARM's 256 for a value: it must go in pieces and read back whole",
		},
		{
			name: "MultiByteValueCutBetweenCharacters",
			tags: map[string]string{"team": wide},
			arm: map[string]string{
				"team":    strings.Repeat("日", 256),
				"team~~1": strings.Repeat("日", 44),
			},
			reason: "ARM counts a value's characters: a piece cut inside one would come back as U+FFFD and differ at every pass, a PATCH each time",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := encodeTags(tc.tags)
			if err != nil {
				t.Fatalf("%s\nencodeTags: %v", tc.reason, err)
			}
			if diff := cmp.Diff(tc.arm, got); diff != "" {
				t.Errorf("%s\nencoded, -want +got:\n%s", tc.reason, diff)
			}
			for name, v := range got {
				if strings.ContainsAny(name, forbiddenChars) || len(name) > maxTagName || utf8.RuneCountInString(v) > maxTagValue || !utf8.ValidString(v) {
					t.Errorf("%s\nencoded tag %q=%q breaks ARM's rules", tc.reason, name, v)
				}
			}
			if diff := cmp.Diff(tc.tags, decodeTags(got)); diff != "" {
				t.Errorf("%s\ndecoded, -want +got:\n%s", tc.reason, diff)
			}
		})
	}
}

func TestDecodeTagsOfOthers(t *testing.T) {
	cases := []struct {
		name   string
		arm    map[string]string
		want   map[string]string
		reason string
	}{
		{
			name:   "BadEscape",
			arm:    map[string]string{"cost~ZZ": "1", "x~41": "2"},
			want:   map[string]string{"cost~ZZ": "1", "x~41": "2"},
			reason: "a name encodeTags cannot have written (a bad escape, or an escape of an allowed character) is someone else's, reported as it is",
		},
		{
			name:   "PieceWithoutItsFirstPart",
			arm:    map[string]string{"note~~1": "tail"},
			want:   map[string]string{"note~~1": "tail"},
			reason: "a piece whose first part is missing is not ours to join: it is reported as it is",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, decodeTags(tc.arm)); diff != "" {
				t.Errorf("%s\n-want +got:\n%s", tc.reason, diff)
			}
		})
	}
}

func TestEncodeTagsRefuses(t *testing.T) {
	many := map[string]string{}
	for i := range 51 {
		many[strings.Repeat("k", i+1)] = "v"
	}
	cases := []struct {
		name   string
		tags   map[string]string
		reason string
	}{
		{name: "TooMany", tags: many, reason: "ARM takes 50 tags on a resource; more must be refused before the call, with the count"},
		{name: "CaseOnly", tags: map[string]string{"Team": "a", "team": "b"}, reason: "ARM's tag names are case-insensitive: two names differing only in case would overwrite each other"},
		{name: "NameTooLong", tags: map[string]string{strings.Repeat("n", 600): "v"}, reason: "a name over ARM's 512 characters cannot be written"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got, err := encodeTags(tc.tags); err == nil {
				t.Errorf("%s\nencodeTags = %d tags, no error", tc.reason, len(got))
			}
		})
	}
}

func TestMergeTagsLeavesOthersAsTheyAre(t *testing.T) {
	cases := []struct {
		name          string
		current, tags map[string]string
		want          map[string]string
		reason        string
	}{
		{
			name:    "ForeignNamesByteForByte",
			current: map[string]string{"cost~center": "1", "note": "a", "note~~1": "b", "matrixmind.cloud~2Fowner": "shop/orders"},
			tags:    map[string]string{"team": "payments"},
			want:    map[string]string{"cost~center": "1", "note": "a", "note~~1": "b", "matrixmind.cloud~2Fowner": "shop/orders", "team": "payments"},
			reason:  "tags someone else wrote are neither renamed (cost~center is no escape of ours) nor joined (note~~1 is theirs)",
		},
		{
			name:    "OursReplacedWithItsPieces",
			current: map[string]string{"team": strings.Repeat("x", 256), "team~~1": "y", "Env": "prod"},
			tags:    map[string]string{"team": "payments"},
			want:    map[string]string{"team": "payments", "Env": "prod"},
			reason:  "a tag put in replaces its old pieces too, or the stale piece would be read back joined to the new value",
		},
		{
			name:    "CaseAsideAsARMCompares",
			current: map[string]string{"Environment": "set-by-policy"},
			tags:    map[string]string{"environment": "prod"},
			want:    map[string]string{"environment": "prod"},
			reason:  "ARM's names are case-insensitive: Environment and environment are one tag, which the spec's value replaces (no InvalidTags at every pass)",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := mergeTags(tc.current, tc.tags)
			if err != nil {
				t.Fatalf("%s\n%v", tc.reason, err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s\n-want +got:\n%s", tc.reason, diff)
			}
		})
	}
}
