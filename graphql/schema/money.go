package schema

import (
	"fmt"
	"math/big"
	"regexp"
	"strings"

	"github.com/almoner/almoner/consortium-node/money"
)

// Decimal is an amount of money as people write it — "250.00", "250",
// "12.5" — in the currency's major unit, with at most as many decimals as
// the currency has (EUR 2, JPY 0, BHD 3). The Amount scalar gives a string
// argument as a Decimal; a resolver converts it with the currency it is
// in (Minor).
type Decimal string

var decimalRE = regexp.MustCompile(`^[0-9]{1,16}(\.[0-9]{1,4})?$`)

// ParseDecimal checks a decimal string's shape (digits, an optional point
// and decimals; no sign, exponent or grouping).
func ParseDecimal(s string) (Decimal, bool) {
	s = strings.TrimSpace(s)
	if !decimalRE.MatchString(s) {
		return "", false
	}
	return Decimal(s), true
}

// Scale returns how many decimals an ISO 4217 currency has (money.Scale).
func Scale(cur string) int { return money.Scale(cur) }

// Minor converts an Amount argument — minor units (uint64), or a Decimal
// in currency's major unit — to minor units, at most max. The error says,
// in money, what is wrong.
func Minor(v any, cur string, max uint64) (uint64, error) {
	switch v := v.(type) {
	case uint64:
		if v > max {
			return 0, fmt.Errorf("at most %s", Money(max, cur))
		}
		return v, nil
	case Decimal:
		scale := Scale(cur)
		whole, frac, _ := strings.Cut(string(v), ".")
		if len(frac) > scale {
			if scale == 0 {
				return 0, fmt.Errorf("%s has no decimals in %s: write %s", v, cur, whole)
			}
			return 0, fmt.Errorf("%s has more than %d decimals for %s", v, scale, cur)
		}
		n, ok := new(big.Int).SetString(whole+frac+strings.Repeat("0", scale-len(frac)), 10)
		if !ok || !n.IsUint64() || n.Uint64() > max {
			return 0, fmt.Errorf("at most %s", Money(max, cur))
		}
		return n.Uint64(), nil
	}
	return 0, fmt.Errorf("an amount such as 250.00 (%s), or a number of minor units", cur)
}

// Amount is money in a currency as a resolver returns it for the Amount
// scalar, which writes it as people write money: a Decimal in the
// currency's major unit with the currency's decimals ("250.00" EUR,
// "250" JPY, "1.500" BHD). The scalar needs the currency to place the
// point, so a result is never bare minor units.
type Amount struct {
	Minor    int64  // minor units of Currency; negative only for a net (income minus outgoings)
	Currency string // ISO 4217
}

// AmountOf is minor units of cur as a result. Amounts are bounded by the
// contracts far below 2^63 (2^50 per donation amount, 50 items of 10^12
// per claim).
func AmountOf(minor uint64, cur string) Amount { return Amount{Minor: int64(minor), Currency: cur} }

// Decimal writes a in the currency's major unit with exactly the
// currency's decimals and no grouping: "250.00", "250", "-12.50",
// "1.500". Fed back as an Amount argument in the same currency it is the
// same number of minor units.
func (a Amount) Decimal() Decimal { return Decimal(money.Signed(a.Minor, a.Currency)) }

// String is a as people read it, grouped, with its currency: "1,250.00 EUR".
func (a Amount) String() string {
	if a.Minor < 0 {
		return "-" + Money(-uint64(a.Minor), a.Currency)
	}
	return Money(uint64(a.Minor), a.Currency)
}

// Money writes minor units of a currency the way people read money:
// "1,250.00 EUR" (grouped thousands, the currency's decimals).
func Money(minor uint64, cur string) string {
	whole, frac, hasFrac := strings.Cut(money.Decimal(minor, cur), ".")
	s := money.Group(whole)
	if hasFrac {
		s += "." + frac
	}
	if cur != "" {
		s += " " + cur
	}
	return s
}
