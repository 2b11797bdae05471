package azure

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
)

// Azure Resource Manager's limits on tags (docs/azure-facts.md): at most 50 on a resource,
// a name of at most 512 characters without any of < > % & \ ? /, a value of at most 256.
// Names are case-insensitive.
const (
	maxTags        = 50
	maxTagName     = 512
	maxTagValue    = 256
	forbiddenChars = `<>%&\?/`
	// escapeChar starts an escape of a character ARM refuses in a name: ~ and two hex
	// digits. The character itself is escaped too, so every name reads back exactly.
	escapeChar = '~'
	// pieceMark separates a name from the number of a piece of a value longer than ARM
	// takes. No escaped name holds two escape characters in a row.
	pieceMark = "~~"
)

// encodeTags turns the operator's tags into ARM tags: names with the characters ARM refuses
// escaped (the owner tag's matrixmind.cloud/owner is matrixmind.cloud~2Fowner), values
// longer than ARM takes cut into pieces under numbered names (name~~1, name~~2...). It
// fails for tags ARM cannot hold however encoded: too many, a name too long, or two names
// that differ only in letter case.
func encodeTags(tags map[string]string) (map[string]string, error) {
	out := make(map[string]string, len(tags))
	folded := map[string]string{}
	for _, k := range slices.Sorted(maps.Keys(tags)) {
		name := escapeName(k)
		if len(name)+len(pieceMark)+2 > maxTagName {
			return nil, fmt.Errorf("tag %q is too long for Azure (a name of at most %d characters once escaped)", k, maxTagName-len(pieceMark)-2)
		}
		if other, ok := folded[strings.ToLower(name)]; ok {
			return nil, fmt.Errorf("tags %q and %q differ only in letter case, which Azure does not tell apart", other, k)
		}
		folded[strings.ToLower(name)] = k
		v := []rune(tags[k])
		for i := 0; ; i++ {
			// ARM counts characters, not bytes: a piece is cut between two.
			piece := string(v[:min(len(v), maxTagValue)])
			v = v[min(len(v), maxTagValue):]
			if i == 0 {
				out[name] = piece
			} else {
				out[name+pieceMark+strconv.Itoa(i)] = piece
			}
			if len(v) == 0 {
				break
			}
		}
	}
	if len(out) > maxTags {
		return nil, fmt.Errorf("%d tags are more than the %d Azure puts on a resource (values over %d characters take one more each)", len(out), maxTags, maxTagValue)
	}
	return out, nil
}

// decodeTags reads ARM tags back into the operator's: the inverse of encodeTags. A tag put
// on by someone else that encodeTags would not have written (an unescaped character, a
// piece without its first part) is reported as it is.
func decodeTags(arm map[string]string) map[string]string {
	out := make(map[string]string, len(arm))
	pieces := map[string]map[int]string{}
	for name, v := range arm {
		base, n, isPiece := strings.Cut(name, pieceMark)
		if isPiece {
			i, err := strconv.Atoi(n)
			if _, first := arm[base]; err == nil && i > 0 && first {
				if pieces[base] == nil {
					pieces[base] = map[int]string{}
				}
				pieces[base][i] = v
				continue
			}
		}
		if k, ok := unescapeName(name); ok {
			out[k] = v
		} else {
			out[name] = v
		}
	}
	for base, ps := range pieces {
		k, ok := unescapeName(base)
		if !ok {
			k = base
		}
		v := out[k]
		for i := 1; ; i++ {
			p, ok := ps[i]
			if !ok {
				break
			}
			v += p
		}
		out[k] = v
	}
	return out
}

// escapeName escapes the characters ARM refuses in a tag name, and the escape character.
func escapeName(k string) string {
	var b strings.Builder
	for i := 0; i < len(k); i++ {
		c := k[i]
		if c == escapeChar || strings.IndexByte(forbiddenChars, c) >= 0 {
			fmt.Fprintf(&b, "%c%02X", escapeChar, c)
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// unescapeName undoes escapeName; false for a name escapeName cannot have written.
func unescapeName(name string) (string, bool) {
	if !strings.ContainsRune(name, escapeChar) {
		return name, true
	}
	var b strings.Builder
	for i := 0; i < len(name); i++ {
		if name[i] != escapeChar {
			b.WriteByte(name[i])
			continue
		}
		if i+3 > len(name) {
			return "", false
		}
		n, err := strconv.ParseUint(name[i+1:i+3], 16, 8)
		if err != nil || strings.ToUpper(name[i+1:i+3]) != name[i+1:i+3] {
			return "", false
		}
		c := byte(n)
		if c != escapeChar && strings.IndexByte(forbiddenChars, c) < 0 {
			return "", false
		}
		b.WriteByte(c)
		i += 2
	}
	return b.String(), true
}

// mergeTags returns the ARM tags current with tags put in, encoded as encodeTags does:
// each of tags replaces the ARM tags of its name (letter case aside, as ARM compares names)
// and of its pieces; every other ARM tag stays as it is, byte for byte, whoever wrote it.
func mergeTags(current, tags map[string]string) (map[string]string, error) {
	encoded, err := encodeTags(tags)
	if err != nil {
		return nil, err
	}
	ours := map[string]bool{}
	for _, k := range slices.Collect(maps.Keys(tags)) {
		ours[strings.ToLower(escapeName(k))] = true
	}
	out := maps.Clone(encoded)
	for name, v := range current {
		base, _, _ := strings.Cut(name, pieceMark)
		if ours[strings.ToLower(name)] || ours[strings.ToLower(base)] {
			continue
		}
		out[name] = v
	}
	if len(out) > maxTags {
		return nil, fmt.Errorf("%d tags are more than the %d Azure puts on a resource", len(out), maxTags)
	}
	return out, nil
}
