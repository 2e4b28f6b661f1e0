package instance

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// Money is an amount in a currency's minor units (pence, cents).
type Money struct {
	Minor    int64
	Currency string
}

// Currency is one the budget form offers: its ISO 4217 code, the symbol
// people write and how many minor units make a major one (as a power of
// ten).
type Currency struct {
	Code     string
	Symbol   string
	Exponent int
}

// Currencies are those a budget round can be in.
var Currencies = []Currency{
	{"GBP", "£", 2}, {"EUR", "€", 2}, {"USD", "$", 2}, {"CAD", "$", 2}, {"AUD", "$", 2}, {"NZD", "$", 2},
	{"CHF", "CHF", 2}, {"SEK", "kr", 2}, {"NOK", "kr", 2}, {"DKK", "kr", 2}, {"PLN", "zł", 2}, {"CZK", "Kč", 2},
	{"JPY", "¥", 0},
}

func currency(code string) (Currency, bool) {
	for _, c := range Currencies {
		if c.Code == code {
			return c, true
		}
	}
	return Currency{}, false
}

// MaxBudget caps a round's budget (in minor units).
const MaxBudget = 1_000_000_000_00

// MoneyStyle says how a language writes amounts: its decimal mark, the
// thousands separator, and where the symbol goes (fmt patterns with %[1]s
// the number and %[2]s the symbol; Word is for symbols that are letters).
type MoneyStyle struct {
	Decimal, Thousands string
	Pattern, Word      string
}

// Format writes an amount in a language's style: "£1,250.50", "1 250,50 £".
// Whole amounts have no decimals ("£500").
func (st MoneyStyle) Format(m Money) string {
	c, ok := currency(m.Currency)
	if !ok {
		c = Currency{Code: m.Currency, Symbol: m.Currency, Exponent: 2}
	}
	neg := m.Minor < 0
	n := m.Minor
	if neg {
		n = -n
	}
	unit := int64(1)
	for range c.Exponent {
		unit *= 10
	}
	whole, frac := n/unit, n%unit
	digits := strconv.FormatInt(whole, 10)
	var b strings.Builder
	for i, d := range digits {
		if i > 0 && (len(digits)-i)%3 == 0 {
			b.WriteString(st.Thousands)
		}
		b.WriteRune(d)
	}
	if frac != 0 {
		f := strconv.FormatInt(frac, 10)
		b.WriteString(st.Decimal + strings.Repeat("0", c.Exponent-len(f)) + f)
	}
	num := b.String()
	if neg {
		num = "-" + num
	}
	pattern := st.Pattern
	if r, _ := utf8.DecodeRuneInString(c.Symbol); r >= 'A' && r <= 'z' {
		pattern = st.Word
	}
	return sprintf(pattern, num, c.Symbol)
}

// sprintf fills a two-argument pattern without fmt's error markers
// leaking into the page when a translation drops an argument.
func sprintf(pattern, num, sym string) string {
	r := strings.NewReplacer("%[1]s", num, "%[2]s", sym)
	return r.Replace(pattern)
}

// moneyStyle is the instance language's style, from the catalogue.
func (s *Service) moneyStyle(lang string) MoneyStyle {
	return MoneyStyle{Decimal: s.tr(lang, "money.decimal"), Thousands: s.tr(lang, "money.thousands"),
		Pattern: s.tr(lang, "money.pattern"), Word: s.tr(lang, "money.pattern_word")}
}

// parseMoney reads an amount typed in major units ("500", "499.50",
// "499,50", "£500"): at most one decimal mark, no thousands separators.
func parseMoney(field, s, code string, required bool) (int64, *FieldError) {
	c, ok := currency(code)
	if !ok {
		c = Currency{Code: code, Exponent: 2}
	}
	s = strings.TrimSpace(s)
	s = strings.TrimPrefix(s, c.Symbol)
	s = strings.TrimSuffix(s, c.Symbol)
	s = strings.ReplaceAll(strings.TrimSpace(s), " ", "")
	if s == "" {
		if required {
			return 0, &FieldError{Field: field, Code: "err.required"}
		}
		return 0, nil
	}
	whole, frac := s, ""
	if i := strings.IndexAny(s, ".,"); i >= 0 {
		whole, frac = s[:i], s[i+1:]
	}
	bad := &FieldError{Field: field, Code: "err.money_format"}
	if whole == "" || len(whole) > 12 || len(frac) > c.Exponent || (strings.ContainsAny(s, ".,") && frac == "") {
		return 0, bad
	}
	for _, r := range whole + frac {
		if r < '0' || r > '9' {
			return 0, bad
		}
	}
	n, _ := strconv.ParseInt(whole, 10, 64)
	for range c.Exponent {
		n *= 10
	}
	if frac != "" {
		f, _ := strconv.ParseInt(frac+strings.Repeat("0", c.Exponent-len(frac)), 10, 64)
		n += f
	}
	return n, nil
}
