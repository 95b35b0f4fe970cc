package money

import (
	"strconv"
	"strings"
)

// scales are the ISO 4217 currencies whose minor unit is not two decimals
// (the standard's "minor unit" column, 2024 list); every other code has
// two.
var scales = map[string]int{
	"BIF": 0, "CLP": 0, "DJF": 0, "GNF": 0, "ISK": 0, "JPY": 0, "KMF": 0, "KRW": 0, "PYG": 0, "RWF": 0, "UGX": 0,
	"UYI": 0, "VND": 0, "VUV": 0, "XAF": 0, "XOF": 0, "XPF": 0,
	"BHD": 3, "IQD": 3, "JOD": 3, "KWD": 3, "LYD": 3, "OMR": 3, "TND": 3,
	"CLF": 4, "UYW": 4,
}

// Scale returns how many decimals an ISO 4217 currency has (2 for a code
// the list does not name).
func Scale(cur string) int {
	if n, ok := scales[cur]; ok {
		return n
	}
	return 2
}

// Decimal writes minor units of cur in its major unit with exactly its
// decimals and no grouping: Decimal(25000, "EUR") is "250.00",
// Decimal(250, "JPY") "250", Decimal(1500, "BHD") "1.500".
func Decimal(minor uint64, cur string) string {
	scale := Scale(cur)
	s := strconv.FormatUint(minor, 10)
	if scale == 0 {
		return s
	}
	if len(s) <= scale {
		s = strings.Repeat("0", scale+1-len(s)) + s
	}
	return s[:len(s)-scale] + "." + s[len(s)-scale:]
}

// Signed is Decimal for an amount that may be negative (a net):
// Signed(-1250, "EUR") is "-12.50".
func Signed(minor int64, cur string) string {
	if minor < 0 {
		return "-" + Decimal(-uint64(minor), cur) // two's complement: right for math.MinInt64 too
	}
	return Decimal(uint64(minor), cur)
}

// Group writes an integer's decimal digits with a comma between thousands,
// as people read amounts and figures: Group("1250000") is "1,250,000",
// Group("-1250") "-1,250", Group("250") "250". It only inserts commas:
// anything that is not an optional '-' followed by digits ("12.5",
// "1.2e-05", "+Inf") comes back as it is.
func Group(digits string) string {
	sign, d := "", digits
	if strings.HasPrefix(d, "-") {
		sign, d = "-", d[1:]
	}
	if len(d) <= 3 || strings.Trim(d, "0123456789") != "" {
		return digits
	}
	var b strings.Builder
	b.Grow(len(digits) + (len(d)-1)/3)
	b.WriteString(sign)
	for i := 0; i < len(d); i++ {
		if i > 0 && (len(d)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteByte(d[i])
	}
	return b.String()
}
