package schema

import (
	"strings"
	"testing"
)

// TestMinor: money as people write it becomes minor units with the
// currency's decimals (EUR 2, JPY 0, BHD 3); a number is minor units
// already; too many decimals and too much money are refused in words.
func TestMinor(t *testing.T) {
	const big = 1 << 50
	for _, c := range []struct {
		in   any
		cur  string
		max  uint64
		want uint64
		err  string
	}{
		{Decimal("250.00"), "EUR", big, 25000, ""}, {Decimal("250"), "EUR", big, 25000, ""},
		{Decimal("12.5"), "EUR", big, 1250, ""}, {Decimal("0.07"), "USD", big, 7, ""}, {uint64(2550), "EUR", big, 2550, ""},
		{Decimal("250"), "JPY", big, 250, ""}, {Decimal("1.234"), "BHD", big, 1234, ""}, {Decimal("1.5"), "", big, 150, ""},
		{Decimal("1.234"), "EUR", big, 0, "more than 2 decimals for EUR"},
		{Decimal("250.5"), "JPY", big, 0, "no decimals in JPY: write 250"},
		{Decimal("9999999999999999"), "EUR", 1000, 0, "at most 10.00 EUR"}, {uint64(1001), "EUR", 1000, 0, "at most 10.00 EUR"},
		{"250", "EUR", big, 0, "an amount such as 250.00"},
	} {
		got, err := Minor(c.in, c.cur, c.max)
		switch {
		case c.err == "" && (err != nil || got != c.want):
			t.Errorf("Minor(%v, %s) = %d, %v; want %d", c.in, c.cur, got, err, c.want)
		case c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)):
			t.Errorf("Minor(%v, %s) = %d, %v; want an error saying %q", c.in, c.cur, got, err, c.err)
		}
	}
	for minor, want := range map[uint64]string{0: "0.00 EUR", 5: "0.05 EUR", 2550: "25.50 EUR", 123456789: "1,234,567.89 EUR"} {
		if got := Money(minor, "EUR"); got != want {
			t.Errorf("Money(%d, EUR) = %q, want %q", minor, got, want)
		}
	}
	if got := Money(1500000, "JPY"); got != "1,500,000 JPY" {
		t.Errorf("Money(1500000, JPY) = %q", got)
	}
}
