package engine

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestFormatMark(t *testing.T) {
	cases := map[string]struct {
		reason string
		mark   map[string]string
		want   string
	}{
		"OwnerOnly": {reason: "A mark is a fixed prefix and the mark as JSON.",
			mark: map[string]string{MarkOwner: "shop/orders"},
			want: `matrixmind.cloud mark: {"matrixmind.cloud/owner":"shop/orders"}`},
		"KeysSorted": {reason: "Keys come out sorted, so the same mark is always the same text and a comment compares equal.",
			mark: map[string]string{MarkPurpose: "readers", MarkOwner: "shop/orders", MarkDatabase: "shop-orders"},
			want: `matrixmind.cloud mark: {"matrixmind.cloud/database":"shop-orders","matrixmind.cloud/owner":"shop/orders","matrixmind.cloud/purpose":"readers"}`},
		"QuotesEscaped": {reason: "A value with quotes stays one JSON string, whatever it holds.",
			mark: map[string]string{MarkOwner: `a"b/c'd`},
			want: `matrixmind.cloud mark: {"matrixmind.cloud/owner":"a\"b/c'd"}`},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			for i := 0; i < 5; i++ { // map order varies from run to run; the text must not
				if diff := cmp.Diff(tc.want, FormatMark(tc.mark)); diff != "" {
					t.Fatalf("%s\n-want +got:\n%s", tc.reason, diff)
				}
			}
		})
	}
}

func TestParseMark(t *testing.T) {
	cases := map[string]struct {
		reason   string
		text     string
		want     map[string]string
		wantMark bool
	}{
		"RoundTrip": {reason: "What FormatMark writes reads back as the same mark.",
			text:     FormatMark(map[string]string{MarkOwner: "shop/orders", MarkPurpose: "the users listed on database shop that may only read it"}),
			want:     map[string]string{MarkOwner: "shop/orders", MarkPurpose: "the users listed on database shop that may only read it"},
			wantMark: true},
		"Empty": {reason: "No comment is no mark."},
		"HandWritten": {reason: "A comment someone wrote is not a mark, even one naming the owner key.",
			text: `owner: matrixmind.cloud/owner=shop/orders`},
		"JSONWithoutPrefix": {reason: "JSON alone is not a mark: only the prefix says the operator wrote it.",
			text: `{"matrixmind.cloud/owner":"shop/orders"}`},
		"OlderGroupComment": {reason: "The plain comment groups get on a server that is the object's own is not a mark.",
			text: "aws-rds-operator: the users listed on database shop that may only read it"},
		"PrefixThenGarbage": {reason: "A prefix followed by what is not a JSON object of strings is not a mark.",
			text: markPrefix + `["shop/orders"]`},
		"PrefixThenNull": {reason: "JSON null holds no mark.",
			text: markPrefix + `null`},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, ok := ParseMark(tc.text)
			if ok != tc.wantMark {
				t.Fatalf("%s\nParseMark(%q): is a mark %t, want %t", tc.reason, tc.text, ok, tc.wantMark)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s\n-want +got:\n%s", tc.reason, diff)
			}
		})
	}
}

func TestOwnedBy(t *testing.T) {
	orders := FormatMark(map[string]string{MarkOwner: "shop/orders"})
	cases := map[string]struct {
		reason string
		text   string
		owner  string
		want   bool
	}{
		"SameOwner":      {reason: "A mark naming the owner is the owner's.", text: orders, owner: "shop/orders", want: true},
		"AnotherOwner":   {reason: "A mark naming another object is not the owner's.", text: orders, owner: "shop/other"},
		"PrefixOfOwner":  {reason: "Owners compare whole, not by prefix.", text: orders, owner: "shop/order"},
		"HandWritten":    {reason: "A comment naming the owner in other words is not a mark.", text: "shop/orders", owner: "shop/orders"},
		"NoOwnerKey":     {reason: "A mark without the owner key is no one's.", text: FormatMark(map[string]string{MarkPurpose: "x"}), owner: "shop/orders"},
		"EmptyOwner":     {reason: "No owner owns a mark, not even one without the owner key.", text: FormatMark(map[string]string{MarkPurpose: "x"}), owner: ""},
		"EmptyOwnerMark": {reason: "An empty owner does not match an empty owner value.", text: FormatMark(map[string]string{MarkOwner: ""}), owner: ""},
		"NoComment":      {reason: "No comment is no one's.", owner: "shop/orders"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if got := OwnedBy(tc.text, tc.owner); got != tc.want {
				t.Errorf("%s\nOwnedBy(%q, %q) = %t, want %t", tc.reason, tc.text, tc.owner, got, tc.want)
			}
		})
	}
}
