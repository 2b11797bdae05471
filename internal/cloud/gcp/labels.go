package gcp

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// Cloud SQL has labels where other clouds have tags, and labels are far narrower: a key is
// 1-63 lowercase letters, digits, underscores and dashes starting with a letter, a value
// 0-63 of the same, and an instance takes at most 64 of them (docs/cloudsql-facts.md). The
// operator's tags are not like that (matrixmind.cloud/owner: "shop/orders", values up to
// 317 characters), so the provider stores tags in labels through a reversible encoding:
//
//   - A tag that is a valid label as it is, and whose key does not look like one of the
//     encoded keys below, is the label itself: team=payments is the label team=payments.
//   - Any other tag is stored escaped, under the key "t--" + escape(key), with the value
//     escape(value) cut in pieces of 63 characters: the first under "t--<key>", the next
//     under "t2--<key>", "t3--<key>" and so on.
//   - The provider's own bookkeeping (the master user, ...) is stored the same way under
//     "p--<name>", and is not reported as tags.
//
// escape keeps lowercase letters, digits and dashes, and writes every other byte with an
// underscore: "__" for "_", "_d" for ".", "_s" for "/", "_u" and the lowercase letter for
// an uppercase one, and "_x" with two hex digits for any other byte. An escaped key never
// holds "_" followed by anything else, so nothing is ambiguous.
//
// Labels that decode to nothing (a key that merely looks like ours, a missing piece, an
// escape that is not one) are reported as tags as they are, as are all labels other tools
// put on an instance: the provider hides and rewrites nothing it did not write.

// Label limits of Cloud SQL.
const (
	maxLabelLength = 63
	// maxLabels is the number of labels the provider lets itself use on an instance.
	// Cloud SQL takes 64, but its documentation warns that backups fail once its own
	// labels and the user's exceed that together, and allows 50 user labels
	// (docs/cloudsql-facts.md).
	maxLabels = 50
)

// Prefixes of encoded label keys: tags and the provider's own entries.
const (
	tagPrefix      = "t"
	internalPrefix = "p"
)

var (
	// plainKey and plainValue match a tag that can be its own label. International
	// letters, which labels allow, are left to the encoding.
	plainKey   = regexp.MustCompile(`^[a-z][a-z0-9_-]{0,62}$`)
	plainValue = regexp.MustCompile(`^[a-z0-9_-]{0,63}$`)
	// encodedKey matches the key of one piece of an encoded entry: its namespace, its
	// piece number (none for the first) and the escaped key.
	encodedKey = regexp.MustCompile(`^([tp])([1-9][0-9]*)?--(.+)$`)
)

// labelError is a tag that cannot be stored in labels. It names the tag, never its value.
type labelError struct {
	key    string
	reason string
}

func (e *labelError) Error() string {
	return fmt.Sprintf("tag %q cannot be stored as Cloud SQL labels: %s", e.key, e.reason)
}

// encodeLabels returns the labels that hold tags and the provider's internal entries, or a
// *labelError naming a tag that cannot be stored.
func encodeLabels(tags, internal map[string]string) (map[string]string, error) {
	set := map[string]*string{}
	for k, v := range internal {
		set[k] = &v
	}
	return relabel(nil, tags, set)
}

// relabel returns current with tags and the internal entries of set written over it (a nil
// entry removes it), every other label left exactly as it is: labels other tools put on
// the instance are neither dropped nor rewritten. It fails with a *labelError naming a tag
// that cannot be stored.
func relabel(current, tags map[string]string, set map[string]*string) (map[string]string, error) {
	have := readLabels(current)
	out := maps.Clone(current)
	if out == nil {
		out = map[string]string{}
	}
	for _, k := range slices.Sorted(maps.Keys(tags)) {
		for _, l := range have.tagLabels[k] {
			delete(out, l)
		}
		if err := putEntry(out, tagPrefix, k, tags[k]); err != nil {
			return nil, err
		}
	}
	for _, k := range slices.Sorted(maps.Keys(set)) {
		for _, l := range have.internalLabels[k] {
			delete(out, l)
		}
		if v := set[k]; v != nil {
			if err := putEntry(out, internalPrefix, k, *v); err != nil {
				return nil, err
			}
		}
	}
	if len(out) > maxLabels && len(out) > len(current) {
		return nil, &labelError{key: longestTag(tags), reason: fmt.Sprintf("the instance would need %d labels and at most %d fit; this tag is the longest", len(out), maxLabels)}
	}
	return out, nil
}

// putEntry adds the labels of one entry of namespace ns to labels.
func putEntry(labels map[string]string, ns, key, value string) error {
	if ns == tagPrefix && plainKey.MatchString(key) && plainValue.MatchString(value) && !encodedKey.MatchString(key) {
		labels[key] = value
		return nil
	}
	if key == "" {
		return &labelError{key: key, reason: "the key is empty"}
	}
	base, escaped := escape(key), escape(value)
	pieces := max(1, (len(escaped)+maxLabelLength-1)/maxLabelLength)
	if last := pieceKey(ns, pieces, base); len(last) > maxLabelLength {
		return &labelError{key: key, reason: fmt.Sprintf("the key needs %d characters as a label key and at most %d fit", len(last), maxLabelLength)}
	}
	for i := range pieces {
		labels[pieceKey(ns, i+1, base)] = escaped[i*maxLabelLength : min(len(escaped), (i+1)*maxLabelLength)]
	}
	return nil
}

// pieceKey is the label key of piece n (from 1) of an entry.
func pieceKey(ns string, n int, base string) string {
	if n == 1 {
		return ns + "--" + base
	}
	return ns + strconv.Itoa(n) + "--" + base
}

// longestTag is the tag whose key and value are longest together, to name in an error.
func longestTag(tags map[string]string) string {
	best := ""
	for _, k := range slices.Sorted(maps.Keys(tags)) {
		if len(k)+len(tags[k]) > len(best)+len(tags[best]) {
			best = k
		}
	}
	return best
}

// labelSet is what an instance's labels hold: tags, the provider's internal entries, and
// for each the label keys it was read from.
type labelSet struct {
	tags, internal            map[string]string
	tagLabels, internalLabels map[string][]string
}

// entry is one encoded entry being read back: its pieces by number, and the labels they
// came from.
type entry struct {
	pieces map[int]string
	labels []string
}

// readLabels reads tags and internal entries back from labels. Every label that is not a
// well-formed piece of an encoded entry is a tag as it is.
func readLabels(labels map[string]string) labelSet {
	set := labelSet{tags: map[string]string{}, internal: map[string]string{}, tagLabels: map[string][]string{}, internalLabels: map[string][]string{}}
	entries := map[[2]string]*entry{}
	for k, v := range labels {
		m := encodedKey.FindStringSubmatch(k)
		if m == nil {
			set.tags[k], set.tagLabels[k] = v, append(set.tagLabels[k], k)
			continue
		}
		n := 1
		if m[2] != "" {
			var err error
			// "t1--" is never written, and a number too large is not ours either.
			if n, err = strconv.Atoi(m[2]); err != nil || n < 2 {
				set.tags[k], set.tagLabels[k] = v, append(set.tagLabels[k], k)
				continue
			}
		}
		id := [2]string{m[1], m[3]}
		if entries[id] == nil {
			entries[id] = &entry{pieces: map[int]string{}}
		}
		entries[id].pieces[n] = v
		entries[id].labels = append(entries[id].labels, k)
	}
	// An entry decoded from escaped labels overrides a plain label of the same key, so
	// that the outcome does not depend on map order; both are replaced when it is set.
	for _, id := range slices.SortedFunc(maps.Keys(entries), func(a, b [2]string) int { return strings.Compare(a[0]+a[1], b[0]+b[1]) }) {
		e := entries[id]
		key, value, ok := e.decode(id[1])
		switch {
		case !ok:
			for _, k := range e.labels {
				set.tags[k], set.tagLabels[k] = labels[k], append(set.tagLabels[k], k)
			}
		case id[0] == internalPrefix:
			set.internal[key], set.internalLabels[key] = value, e.labels
		default:
			set.tags[key], set.tagLabels[key] = value, append(set.tagLabels[key], e.labels...)
		}
	}
	return set
}

// decode joins an entry's pieces and unescapes its key and value; false when a piece is
// missing or an escape is not one.
func (e *entry) decode(base string) (key, value string, ok bool) {
	var joined strings.Builder
	for n := 1; n <= len(e.pieces); n++ {
		p, found := e.pieces[n]
		if !found {
			return "", "", false
		}
		// Every piece but the last is full and the last is not empty: anything else was
		// not cut by this encoding.
		if n < len(e.pieces) && len(p) != maxLabelLength || n > 1 && n == len(e.pieces) && p == "" {
			return "", "", false
		}
		joined.WriteString(p)
	}
	key, okKey := unescape(base)
	value, okValue := unescape(joined.String())
	return key, value, okKey && okValue && key != ""
}

// escape writes s with only the characters a label allows (see the comment at the top).
func escape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '-':
			b.WriteByte(c)
		case c == '_':
			b.WriteString("__")
		case c == '.':
			b.WriteString("_d")
		case c == '/':
			b.WriteString("_s")
		case c >= 'A' && c <= 'Z':
			b.WriteString("_u")
			b.WriteByte(c - 'A' + 'a')
		default:
			fmt.Fprintf(&b, "_x%02x", c)
		}
	}
	return b.String()
}

// unescape reverses escape; false when s is not something escape writes.
func unescape(s string) (string, bool) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '_' {
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
				return "", false
			}
			b.WriteByte(c)
			continue
		}
		if i+1 >= len(s) {
			return "", false
		}
		i++
		switch s[i] {
		case '_':
			b.WriteByte('_')
		case 'd':
			b.WriteByte('.')
		case 's':
			b.WriteByte('/')
		case 'u':
			if i+1 >= len(s) || s[i+1] < 'a' || s[i+1] > 'z' {
				return "", false
			}
			i++
			b.WriteByte(s[i] - 'a' + 'A')
		case 'x':
			if i+2 >= len(s) {
				return "", false
			}
			v, err := strconv.ParseUint(s[i+1:i+3], 16, 8)
			// Only what escape writes: two lowercase hex digits of a byte it does not
			// write otherwise.
			if err != nil || strings.ToLower(s[i+1:i+3]) != s[i+1:i+3] || escape(string([]byte{byte(v)})) != s[i-1:i+3] {
				return "", false
			}
			b.WriteByte(byte(v))
			i += 2
		default:
			return "", false
		}
	}
	return b.String(), true
}
