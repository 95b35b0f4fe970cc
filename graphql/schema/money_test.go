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

// TestAmountDecimal: results are written in the currency's major unit
// with exactly its decimals, for every scale and up to 2^50 minor units,
// and read back (Minor) as the same number of minor units.
func TestAmountDecimal(t *testing.T) {
	const max = 1 << 50
	for _, c := range []struct {
		minor int64
		cur   string
		want  Decimal
		text  string
	}{
		{25000, "EUR", "250.00", "250.00 EUR"}, {0, "EUR", "0.00", "0.00 EUR"}, {5, "EUR", "0.05", "0.05 EUR"},
		{250, "JPY", "250", "250 JPY"}, {0, "JPY", "0", "0 JPY"}, {1500, "BHD", "1.500", "1.500 BHD"},
		{7, "KWD", "0.007", "0.007 KWD"}, {12345, "CLF", "1.2345", "1.2345 CLF"}, {123456789, "USD", "1234567.89", "1,234,567.89 USD"},
		{max, "EUR", "11258999068426.24", "11,258,999,068,426.24 EUR"}, {max, "JPY", "1125899906842624", "1,125,899,906,842,624 JPY"},
		{max, "BHD", "1125899906842.624", "1,125,899,906,842.624 BHD"}, {max, "CLF", "112589990684.2624", "112,589,990,684.2624 CLF"},
		{-1250, "EUR", "-12.50", "-12.50 EUR"}, {-3, "JPY", "-3", "-3 JPY"}, {-max, "USD", "-11258999068426.24", "-11,258,999,068,426.24 USD"},
		{150, "", "1.50", "1.50"},
	} {
		a := Amount{Minor: c.minor, Currency: c.cur}
		if got := a.Decimal(); got != c.want {
			t.Errorf("%d %s: Decimal() = %q, want %q", c.minor, c.cur, got, c.want)
		}
		if got := a.String(); got != c.text {
			t.Errorf("%d %s: String() = %q, want %q", c.minor, c.cur, got, c.text)
		}
		if c.minor < 0 {
			continue // a net is a result only, never an argument
		}
		d, ok := ParseDecimal(string(a.Decimal()))
		if !ok {
			t.Errorf("%d %s: %q is not an argument", c.minor, c.cur, a.Decimal())
			continue
		}
		if back, err := Minor(d, c.cur, max); err != nil || back != uint64(c.minor) {
			t.Errorf("%d %s: %q read back as %d, %v", c.minor, c.cur, d, back, err)
		}
	}
}
