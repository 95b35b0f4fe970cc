package money

import (
	"math"
	"testing"
)

// TestDecimal: every scale, leading zeros after the point, 2^50 and the
// extremes of int64.
func TestDecimal(t *testing.T) {
	for _, c := range []struct {
		minor int64
		cur   string
		want  string
	}{
		{25000, "EUR", "250.00"}, {0, "USD", "0.00"}, {5, "EUR", "0.05"}, {250, "JPY", "250"}, {0, "KRW", "0"},
		{1500, "BHD", "1.500"}, {7, "KWD", "0.007"}, {12345, "CLF", "1.2345"}, {150, "", "1.50"}, {150, "XYZ", "1.50"},
		{1 << 50, "EUR", "11258999068426.24"}, {1 << 50, "JPY", "1125899906842624"}, {-1250, "EUR", "-12.50"},
		{math.MinInt64, "JPY", "-9223372036854775808"}, {math.MaxInt64, "EUR", "92233720368547758.07"},
	} {
		if got := Signed(c.minor, c.cur); got != c.want {
			t.Errorf("Signed(%d, %q) = %q, want %q", c.minor, c.cur, got, c.want)
		}
	}
	if got := Decimal(math.MaxUint64, "BHD"); got != "18446744073709551.615" {
		t.Errorf("Decimal(MaxUint64, BHD) = %q", got)
	}
	for cur, want := range map[string]int{"EUR": 2, "JPY": 0, "ISK": 0, "BHD": 3, "TND": 3, "CLF": 4, "": 2} {
		if got := Scale(cur); got != want {
			t.Errorf("Scale(%q) = %d, want %d", cur, got, want)
		}
	}
}

// TestGroup: commas every three digits from the right, the sign kept, and
// anything that is not an integer left alone.
func TestGroup(t *testing.T) {
	for in, want := range map[string]string{
		"": "", "0": "0", "999": "999", "-999": "-999", "1000": "1,000", "-1000": "-1,000", "12345": "12,345",
		"123456": "123,456", "1234567": "1,234,567", "18446744073709551615": "18,446,744,073,709,551,615",
		"-9223372036854775808": "-9,223,372,036,854,775,808", "0001": "0,001",
		"1234.5": "1234.5", "1.23e+06": "1.23e+06", "+Inf": "+Inf", "NaN": "NaN", "12 34": "12 34", "--1234": "--1234",
		"-": "-", "1,234": "1,234",
	} {
		if got := Group(in); got != want {
			t.Errorf("Group(%q) = %q, want %q", in, got, want)
		}
	}
}
