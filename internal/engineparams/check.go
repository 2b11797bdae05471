package engineparams

import (
	"fmt"
	"math/big"
	"strings"
)

// Check says whether value is acceptable for p: one of AllowedValues, or of DataType and
// within its range. The error names the parameter and what it allows. Enum and list items
// match case-insensitively, as the engines take them; a boolean takes exactly what
// AllowedValues lists ("0" or "1", as RDS shows engine booleans). Check does not look at
// Modifiable.
func (p Parameter) Check(value string) error {
	switch p.DataType {
	case TypeBoolean:
		if !p.allows(value) {
			return p.errorf("value %q is not one of %s", value, p.AllowedValues)
		}
	case TypeInteger, TypeFloat:
		return p.checkNumber(value)
	case TypeList:
		if p.AllowedValues == "" || strings.TrimSpace(value) == "" {
			return nil
		}
		for _, item := range strings.Split(value, ",") {
			if !p.allows(strings.TrimSpace(item)) {
				return p.errorf("item %q of %q is not one of %s", strings.TrimSpace(item), value, p.AllowedValues)
			}
		}
	case TypeString, "":
		if p.AllowedValues != "" && !p.allows(value) {
			return p.errorf("value %q is not one of %s", value, p.AllowedValues)
		}
	default:
		return p.errorf("unknown data type %q", p.DataType)
	}
	return nil
}

// errorf is an error about p's value, naming p.
func (p Parameter) errorf(format string, args ...any) error {
	return fmt.Errorf("parameter %s: "+format, append([]any{p.Name}, args...)...)
}

// allows reports whether value is one of the comma list AllowedValues, ignoring case.
func (p Parameter) allows(value string) bool {
	for _, v := range strings.Split(p.AllowedValues, ",") {
		if strings.EqualFold(v, value) {
			return true
		}
	}
	return false
}

// checkNumber checks an integer or float value against its range.
func (p Parameter) checkNumber(value string) error {
	n, ok := parseNumber(value, p.DataType == TypeInteger)
	if !ok {
		kind := "an integer"
		if p.DataType == TypeFloat {
			kind = "a number"
		}
		if p.AllowedValues != "" {
			return p.errorf("value %q is not %s in %s", value, kind, p.AllowedValues)
		}
		return p.errorf("value %q is not %s", value, kind)
	}
	if p.AllowedValues == "" {
		return nil
	}
	lo, hi, ok := parseRange(p.AllowedValues)
	if !ok {
		// A list of numbers rather than a range.
		for _, v := range strings.Split(p.AllowedValues, ",") {
			if m, ok := parseNumber(strings.TrimSpace(v), false); ok && m.Cmp(n) == 0 {
				return nil
			}
		}
		return p.errorf("value %q is not one of %s", value, p.AllowedValues)
	}
	if n.Cmp(lo) < 0 || n.Cmp(hi) > 0 {
		return p.errorf("value %q is outside the range %s", value, p.AllowedValues)
	}
	return nil
}

// numberPrecision is exact for every 64-bit integer and fine enough for the float ranges.
const numberPrecision = 256

// parseNumber parses a decimal number; with integer, only an integer.
func parseNumber(s string, integer bool) (*big.Float, bool) {
	if s == "" || strings.ContainsAny(s, " \t_") {
		return nil, false
	}
	if integer {
		i, ok := new(big.Int).SetString(s, 10)
		if !ok {
			return nil, false
		}
		return new(big.Float).SetPrec(numberPrecision).SetInt(i), true
	}
	f, _, err := big.ParseFloat(s, 10, numberPrecision, big.ToNearestEven)
	if err != nil {
		return nil, false
	}
	return f, true
}

// parseRange parses RDS's "min-max", where either bound may be negative or in exponent
// form ("-1-2147483647", "0-1.79769e+308"): it splits at the dash that leaves two numbers.
func parseRange(s string) (lo, hi *big.Float, ok bool) {
	for i := 1; i < len(s)-1; i++ {
		if s[i] != '-' {
			continue
		}
		lo, okLo := parseNumber(s[:i], false)
		hi, okHi := parseNumber(s[i+1:], false)
		if okLo && okHi {
			return lo, hi, true
		}
	}
	return nil, nil, false
}
