package claimdoc

import (
	"cmp"
	"encoding/json"
	"fmt"
	"maps"
	"math/big"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/almoner/almoner/consortium-node/money"
)

// Problem is one thing wrong with a FHIR Claim: where, as a FHIRPath-like
// path from the Claim with 0-based indices as the HL7 validator writes
// them ("item[2].productOrService"), and why.
type Problem struct {
	Path   string `json:"path"`
	Reason string `json:"reason"`
}

// String is "path: reason".
func (p Problem) String() string {
	if p.Path == "" {
		return p.Reason
	}
	return p.Path + ": " + p.Reason
}

// MaxProblems is the most problems a ClaimError lists.
const MaxProblems = 20

// ClaimError says everything ParseFHIR found wrong with a FHIR Claim (up
// to MaxProblems, and how many more). It wraps ErrInvalid.
type ClaimError struct {
	Problems []Problem
	More     int
}

func (e *ClaimError) Error() string {
	l := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		l[i] = p.String()
	}
	s := ErrInvalid.Error() + ": " + strings.Join(l, "; ")
	if e.More > 0 {
		s += fmt.Sprintf("; and %d more", e.More)
	}
	return s
}

// Unwrap makes errors.Is(err, ErrInvalid) hold.
func (e *ClaimError) Unwrap() error { return ErrInvalid }

// FHIRClaim is a FHIR R4 Claim that ParseFHIR accepted: what the ledger
// and the fingerprints need of it, and the resource itself for
// ClaimResponse and ExplanationOfBenefit.
type FHIRClaim struct {
	ID       string // the resource's id ("" when it has none)
	Created  string // the day it was created, YYYY-MM-DD
	Currency string // of every amount in it
	Items    []FHIRItem
	res      map[string]any
}

// FHIRItem is one item (service line) of a FHIRClaim.
type FHIRItem struct {
	Sequence  int         // item.sequence
	Service   ServiceCode // normalised: what the fingerprints see
	System    string      // productOrService's code system as written ("" when none)
	Code      string      // productOrService's code as written
	Display   string      // productOrService's display or text, if any
	Modifiers []string    // modifier codes as written
	Date      string      // the date of service (Service.Date)
	Quantity  string      // quantity.value as written ("" when none)
	UnitPrice string      // unitPrice.value as written ("" when none)
	Net       uint64      // net, in minor units of the claim's currency
	raw       map[string]any
}

// Key is what identifies the Claim itself among its provider's, for
// Key.ClaimID: "id:<resource id>", or "identifier:<system>|<value>" of
// its first business identifier, or "" when it has neither.
func (c *FHIRClaim) Key() string {
	if c.ID != "" {
		return "id:" + c.ID
	}
	ids, _ := c.res["identifier"].([]any)
	for _, x := range ids {
		m, _ := x.(map[string]any)
		sys, _ := m["system"].(string)
		if v, _ := m["value"].(string); v != "" {
			return "identifier:" + sys + "|" + v
		}
	}
	return ""
}

// Total is the sum of the items' net amounts.
func (c *FHIRClaim) Total() uint64 {
	return Sum(c.Items, func(it FHIRItem) uint64 { return it.Net })
}

// Services returns the items' services in order (as Document.Services).
func (c *FHIRClaim) Services() []Service {
	s := make([]Service, len(c.Items))
	for i, it := range c.Items {
		s[i] = Service{Code: it.Service.String(), Date: it.Date}
	}
	return s
}

// Document returns the claim document of c filed as claim claimID by
// provider for patient (a member) at insurer (an organisation), with the
// linked records: the consortium's parties, which the Claim's own
// references (the hospital's) do not name. Validate it before filing.
func (c *FHIRClaim) Document(claimID, provider, patient, insurer string, records []string) *Document {
	d := &Document{ClaimID: claimID, Provider: provider, Patient: patient, Insurer: insurer, Currency: c.Currency, Created: c.Created,
		Records: slices.Clone(records)}
	for i, s := range c.Services() {
		d.Lines = append(d.Lines, Line{Service: s, Amount: c.Items[i].Net})
	}
	return d
}

// ParseFHIR reads and validates a FHIR R4 Claim as a hospital's billing
// system writes it — professional, institutional, oral, vision or
// pharmacy; codes of any system and case; quantities, unit prices,
// factors and modifiers; contained resources; three tiers of items — for
// filing: status active, use claim, 1 to MaxItems items, each with one
// code billed (productOrService: one coding, or one marked
// userSelected), a day of service no later than now's (servicedDate,
// servicedPeriod or the claim's billablePeriod) and a net amount of
// whole minor units (or a unitPrice it follows from), all amounts in one
// currency, net = quantity × unitPrice × factor wherever a unitPrice is
// given, and the total, if given, the sum of the items' net. It checks
// FHIR's own rules as far as filing depends on them: required elements,
// element names (an unknown one is refused, so a typo never drops data),
// JSON types, codes, dates, references to contained resources (ref-1,
// dom-2 to dom-5), unique sequences and the items' references to the
// careTeam, diagnosis, procedure and supportingInfo sequences; and it
// refuses modifierExtension and implicitRules, which could change the
// claim's meaning in ways this portal cannot read. A zero now skips the
// checks against today.
//
// A refusal is a *ClaimError listing every problem found with its path.
func ParseFHIR(b []byte, now time.Time) (*FHIRClaim, error) {
	if len(b) > MaxDocumentBytes {
		return nil, &ClaimError{Problems: []Problem{{Reason: fmt.Sprintf("the document is %d bytes; the most is %d", len(b), MaxDocumentBytes)}}}
	}
	tree, err := decodeTree(b)
	if err != nil {
		return nil, &ClaimError{Problems: []Problem{{Reason: err.Error()}}}
	}
	res, ok := tree.(map[string]any)
	if !ok {
		return nil, &ClaimError{Problems: []Problem{{Reason: "the document is not a JSON object (a FHIR resource)"}}}
	}
	if rt := res["resourceType"]; rt != "Claim" {
		return nil, &ClaimError{Problems: []Problem{{Path: "resourceType", Reason: fmt.Sprintf("%.40q, not Claim: file one FHIR R4 Claim resource (not a Bundle)", fmt.Sprint(rt))}}}
	}
	p := &parser{now: now, contained: map[string]bool{}, refs: map[string]bool{}}
	c := p.claim(res)
	if len(p.probs) > 0 {
		e := &ClaimError{Problems: p.probs, More: p.more}
		return nil, e
	}
	return c, nil
}

type parser struct {
	probs    []Problem
	more     int
	now      time.Time
	currency string // the claim's, from its first amount
	curPath  string
	// contained: ids of the contained resources; refs: the local
	// references ("#id") anywhere in the resource.
	contained map[string]bool
	refs      map[string]bool
}

func (p *parser) fail(path, format string, a ...any) {
	if len(p.probs) >= MaxProblems {
		p.more++
		return
	}
	p.probs = append(p.probs, Problem{Path: path, Reason: fmt.Sprintf(format, a...)})
}

func idx(path string, i int) string { return path + "[" + strconv.Itoa(i) + "]" }

// Element names, by where they are (besides id, extension and
// modifierExtension, which every element may have).
var (
	claimElements = []string{"resourceType", "meta", "implicitRules", "language", "text", "contained", "identifier", "status", "type",
		"subType", "use", "patient", "billablePeriod", "created", "enterer", "insurer", "provider", "priority", "fundsReserve", "related",
		"prescription", "originalPrescription", "payee", "referral", "facility", "careTeam", "supportingInfo", "diagnosis", "procedure",
		"insurance", "accident", "item", "total"}
	itemElements = []string{"sequence", "careTeamSequence", "diagnosisSequence", "procedureSequence", "informationSequence", "revenue",
		"category", "productOrService", "modifier", "programCode", "servicedDate", "servicedPeriod", "locationCodeableConcept",
		"locationAddress", "locationReference", "quantity", "unitPrice", "factor", "net", "udi", "bodySite", "subSite", "encounter", "detail"}
	detailElements = []string{"sequence", "revenue", "category", "productOrService", "modifier", "programCode", "quantity", "unitPrice",
		"factor", "net", "udi", "subDetail"}
	subDetailElements  = detailElements[:len(detailElements)-1]
	insuranceElements  = []string{"sequence", "focal", "identifier", "coverage", "businessArrangement", "preAuthRef", "claimResponse"}
	careTeamElements   = []string{"sequence", "provider", "responsible", "role", "qualification"}
	diagnosisElements  = []string{"sequence", "diagnosisCodeableConcept", "diagnosisReference", "type", "onAdmission", "packageCode"}
	procedureElements  = []string{"sequence", "type", "date", "procedureCodeableConcept", "procedureReference", "udi"}
	supportingElements = []string{"sequence", "category", "code", "timingDate", "timingPeriod", "valueBoolean", "valueString",
		"valueQuantity", "valueAttachment", "valueReference", "reason"}
	relatedElements  = []string{"claim", "relationship", "reference"}
	payeeElements    = []string{"type", "party"}
	accidentElements = []string{"date", "type", "locationAddress", "locationReference"}
	conceptElements  = []string{"coding", "text"}
	codingElements   = []string{"system", "version", "code", "display", "userSelected"}
	refElements      = []string{"reference", "type", "identifier", "display"}
	identElements    = []string{"use", "type", "system", "value", "period", "assigner"}
	moneyElements    = []string{"value", "currency"}
	quantityElements = []string{"value", "comparator", "unit", "system", "code"}
	periodElements   = []string{"start", "end"}
)

// known refuses the properties of m that are no element of what.
func (p *parser) known(path string, m map[string]any, what string, names []string) {
	for _, k := range slices.Sorted(maps.Keys(m)) {
		name := strings.TrimPrefix(k, "_") // a primitive's extensions
		if name == "id" || name == "extension" || name == "modifierExtension" || slices.Contains(names, name) {
			continue
		}
		p.fail(join(path, k), "not an element of %s in FHIR R4", what)
	}
}

// element reads v as an element of FHIR type typ, a datatype ("Period",
// "a Period" when v is not a JSON object) or a backbone element
// ("Claim.item"), and refuses its properties that are no element of typ
// (names).
func (p *parser) element(path string, v any, typ string, names []string) (map[string]any, bool) {
	what := typ
	if !strings.Contains(typ, ".") {
		what = "a " + typ
		if strings.ContainsRune("AEIOU", rune(typ[0])) {
			what = "an " + typ
		}
	}
	m, ok := p.object(path, v, what)
	if ok {
		p.known(path, m, typ, names)
	}
	return m, ok
}

func (p *parser) object(path string, v any, what string) (map[string]any, bool) {
	m, ok := v.(map[string]any)
	if !ok {
		p.fail(path, "must be a JSON object (%s)", what)
	}
	return m, ok
}

// list reads an array element (a FHIR element that repeats is always a
// JSON array, even of one).
func (p *parser) list(path string, v any) ([]any, bool) {
	if v == nil {
		return nil, true
	}
	l, ok := v.([]any)
	if !ok {
		p.fail(path, "must be a JSON array (the element repeats)")
	}
	return l, ok
}

var (
	codeRe     = regexp.MustCompile(`^[^\s]+( [^\s]+)*$`)
	idRe       = regexp.MustCompile(`^[A-Za-z0-9\-.]{1,64}$`)
	decimalRe  = regexp.MustCompile(`^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$`)
	dateRe     = regexp.MustCompile(`^[0-9]{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12][0-9]|3[01]))?)?$`)
	dateTimeRe = regexp.MustCompile(`^[0-9]{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12][0-9]|3[01])(T([01][0-9]|2[0-3]):[0-5][0-9]:([0-5][0-9]|60)(\.[0-9]+)?(Z|(\+|-)((0[0-9]|1[0-3]):[0-5][0-9]|14:00)))?)?)?$`)
	currencyRe = regexp.MustCompile(`^[A-Z]{3}$`)
)

func (p *parser) str(path string, v any) (string, bool) {
	s, ok := v.(string)
	if !ok {
		p.fail(path, "must be a JSON string")
	}
	return s, ok
}

func (p *parser) code(path string, v any) (string, bool) {
	s, ok := p.str(path, v)
	if ok && !codeRe.MatchString(s) {
		p.fail(path, "%.40q is not a FHIR code (no leading, trailing or repeated spaces)", s)
		return "", false
	}
	return s, ok
}

func (p *parser) uri(path string, v any) (string, bool) {
	s, ok := p.str(path, v)
	if ok && strings.ContainsFunc(s, func(r rune) bool { return r == ' ' || r == '\t' || r == '\n' || r == '\r' }) {
		p.fail(path, "%.60q is not a URI (it has white space)", s)
		return "", false
	}
	return s, ok
}

func (p *parser) positiveInt(path string, v any) (int, bool) {
	n, isNum := v.(json.Number)
	i, err := strconv.Atoi(string(n))
	if !isNum || err != nil || i < 1 || string(n) != strconv.Itoa(i) {
		p.fail(path, "must be a positive integer (a JSON number such as 1)")
		return 0, false
	}
	return i, true
}

func (p *parser) boolean(path string, v any) (bool, bool) {
	b, ok := v.(bool)
	if !ok {
		p.fail(path, "must be true or false")
	}
	return b, ok
}

// decimal reads a FHIR decimal: a JSON number (not a string), at most 40
// characters, with an exponent of at most 20 either way.
func (p *parser) decimal(path string, v any) (*big.Rat, bool) {
	n, ok := v.(json.Number)
	if !ok {
		p.fail(path, "must be a JSON number (a FHIR decimal is not quoted)")
		return nil, false
	}
	s := string(n)
	if len(s) > 40 || !decimalRe.MatchString(s) {
		p.fail(path, "%.40q is not a FHIR decimal of at most 40 characters", s)
		return nil, false
	}
	if _, e, found := strings.Cut(strings.ToLower(s), "e"); found {
		if x, err := strconv.Atoi(e); err != nil || x > 20 || x < -20 {
			p.fail(path, "%.40q has an exponent beyond ±20", s)
			return nil, false
		}
	}
	r, ok := new(big.Rat).SetString(s)
	if !ok {
		p.fail(path, "%.40q is not a number", s)
	}
	return r, ok
}

// day reads the day of a FHIR date or dateTime: it must name a whole day.
func (p *parser) day(path string, v any, dateTime bool, what string) (string, bool) {
	s, ok := p.str(path, v)
	if !ok {
		return "", false
	}
	re, kind := dateRe, "date"
	if dateTime {
		re, kind = dateTimeRe, "dateTime"
	}
	if !re.MatchString(s) {
		p.fail(path, "%.40q is not a FHIR %s", s, kind)
		return "", false
	}
	if len(s) < 10 {
		p.fail(path, "%q names no day: %s needs the day (YYYY-MM-DD)", s, what)
		return "", false
	}
	d := s[:10]
	if t, err := time.Parse(time.DateOnly, d); err != nil || t.Format(time.DateOnly) != d {
		p.fail(path, "%q is not a calendar date", s)
		return "", false
	}
	if !p.now.IsZero() && d > p.now.UTC().Format(time.DateOnly) {
		p.fail(path, "%s is after today (%s)", d, p.now.UTC().Format(time.DateOnly))
		return "", false
	}
	return d, true
}

// period reads a Period as the days of a service: "start/end", or one day
// when they are the same day.
func (p *parser) period(path string, v any, what string) (string, bool) {
	m, ok := p.element(path, v, "Period", periodElements)
	if !ok {
		return "", false
	}
	if m["start"] == nil || m["end"] == nil {
		p.fail(path, "%s needs a start and an end", what)
		return "", false
	}
	start, ok1 := p.day(join(path, "start"), m["start"], true, what)
	end, ok2 := p.day(join(path, "end"), m["end"], true, what)
	switch {
	case !ok1 || !ok2:
		return "", false
	case end < start:
		p.fail(join(path, "end"), "%s is before the start %s", end, start)
		return "", false
	case end == start:
		return start, true
	}
	return start + "/" + end, true
}

// reference checks a Reference; a local one ("#id") must name a
// contained resource (ref-1).
func (p *parser) reference(path string, v any, required bool) map[string]any {
	if v == nil {
		if required {
			p.fail(path, "required (a Reference)")
		}
		return nil
	}
	m, ok := p.element(path, v, "Reference", refElements)
	if !ok {
		return nil
	}
	if m["reference"] == nil && m["identifier"] == nil && m["display"] == nil {
		p.fail(path, "a Reference needs a reference, an identifier or a display")
	}
	if r, ok := m["reference"]; ok {
		if s, ok := p.str(join(path, "reference"), r); ok && strings.HasPrefix(s, "#") && s != "#" && !p.contained[s[1:]] {
			p.fail(join(path, "reference"), "%.40q names no contained resource (ref-1)", s)
		}
	}
	if id, ok := m["identifier"]; ok {
		p.identifier(join(path, "identifier"), id)
	}
	return m
}

func (p *parser) identifier(path string, v any) {
	m, ok := p.element(path, v, "Identifier", identElements)
	if !ok {
		return
	}
	optional(m, path, "system", p.uri)
	optional(m, path, "value", p.str)
}

// optional checks m's element name with check when m has it.
func optional[T any](m map[string]any, path, name string, check func(path string, v any) (T, bool)) {
	if v, ok := m[name]; ok {
		check(join(path, name), v)
	}
}

// concept checks a CodeableConcept and returns its codings.
func (p *parser) concept(path string, v any) ([]map[string]any, bool) {
	m, ok := p.element(path, v, "CodeableConcept", conceptElements)
	if !ok {
		return nil, false
	}
	l, ok := p.list(join(path, "coding"), m["coding"])
	if !ok {
		return nil, false
	}
	var out []map[string]any
	for i, c := range l {
		cp := idx(join(path, "coding"), i)
		cm, ok := p.element(cp, c, "Coding", codingElements)
		if !ok {
			continue
		}
		optional(cm, cp, "system", p.uri)
		optional(cm, cp, "code", p.code)
		optional(cm, cp, "userSelected", p.boolean)
		out = append(out, cm)
	}
	if m["coding"] == nil && m["text"] == nil {
		p.fail(path, "a CodeableConcept needs a coding or a text")
	}
	return out, true
}

// billed returns the coding a CodeableConcept bills: its one coding, or
// the one marked userSelected. Several codings would leave the service's
// identity to the reader's choice, which the fingerprints cannot.
func (p *parser) billed(path string, v any, what string) (map[string]any, bool) {
	if v == nil {
		p.fail(path, "a CodeableConcept with at least one coding is required (%s)", what)
		return nil, false
	}
	codings, ok := p.concept(path, v)
	if !ok {
		return nil, false
	}
	var pick map[string]any
	switch {
	case len(codings) == 0:
		p.fail(path, "a CodeableConcept with at least one coding is required (%s; a text alone codes nothing)", what)
		return nil, false
	case len(codings) == 1:
		pick = codings[0]
	default:
		var sel []map[string]any
		for _, c := range codings {
			if c["userSelected"] == true {
				sel = append(sel, c)
			}
		}
		if len(sel) != 1 {
			p.fail(join(path, "coding"), "%d codings, and not exactly one marked userSelected: give one coding (%s), or mark the one billed userSelected",
				len(codings), what)
			return nil, false
		}
		pick = sel[0]
	}
	if pick["code"] == nil {
		p.fail(path, "the coding billed has no code")
		return nil, false
	}
	return pick, true
}

// money reads a Money: its value and currency; every amount of a claim is
// in the currency of its first.
func (p *parser) money(path string, v any) (*big.Rat, bool) {
	m, ok := p.element(path, v, "Money", moneyElements)
	if !ok {
		return nil, false
	}
	if m["value"] == nil || m["currency"] == nil {
		p.fail(path, "an amount needs its value and its currency (ISO 4217)")
		return nil, false
	}
	r, ok := p.decimal(join(path, "value"), m["value"])
	if !ok {
		return nil, false
	}
	cur, ok := p.code(join(path, "currency"), m["currency"])
	if !ok {
		return nil, false
	}
	if !currencyRe.MatchString(cur) {
		p.fail(join(path, "currency"), "%.16q is not an ISO 4217 code of three upper-case letters", cur)
		return nil, false
	}
	if p.currency == "" {
		p.currency, p.curPath = cur, join(path, "currency")
	} else if cur != p.currency {
		p.fail(join(path, "currency"), "%s, but %s is %s: a claim is in one currency", cur, p.curPath, p.currency)
		return nil, false
	}
	if r.Sign() < 0 {
		p.fail(join(path, "value"), "%s is negative", m["value"])
		return nil, false
	}
	return r, true
}

func pow10(e int) *big.Rat {
	return new(big.Rat).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(e)), nil))
}

// toMinor converts r to minor units of cur: exact reports that no
// rounding was needed; rounding is half up.
func toMinor(r *big.Rat, cur string) (units *big.Int, exact bool) {
	x := new(big.Rat).Mul(r, pow10(money.Scale(cur)))
	if x.IsInt() {
		return new(big.Int).Set(x.Num()), true
	}
	x.Add(x, big.NewRat(1, 2))
	return new(big.Int).Quo(x.Num(), x.Denom()), false
}

func ratString(r *big.Rat, cur string) string {
	return r.FloatString(money.Scale(cur))
}

// amounts checks an item's, detail's or sub-detail's quantity, unitPrice,
// factor and net: net = quantity × unitPrice × factor (quantity and
// factor 1 when absent), to the minor unit. It returns net (computed
// when absent and a unitPrice is given; nil when neither is).
func (p *parser) amounts(path string, m map[string]any) (net *big.Rat, qty, unit string) {
	q, f := big.NewRat(1, 1), big.NewRat(1, 1)
	fs := "1"
	ok := true
	if v, has := m["quantity"]; has {
		qp := join(path, "quantity")
		if qm, isObj := p.element(qp, v, "SimpleQuantity", quantityElements); !isObj {
			ok = false
		} else {
			if qm["comparator"] != nil {
				p.fail(join(qp, "comparator"), "a SimpleQuantity has no comparator")
			}
			for _, k := range []string{"unit", "system", "code"} {
				if s, has := qm[k]; has {
					p.str(join(qp, k), s)
				}
			}
			if qm["value"] == nil {
				p.fail(qp, "a quantity needs its value")
				ok = false
			} else if r, good := p.decimal(join(qp, "value"), qm["value"]); !good {
				ok = false
			} else if r.Sign() <= 0 {
				p.fail(join(qp, "value"), "%s is not a positive quantity", qm["value"])
				ok = false
			} else {
				q, qty = r, string(qm["value"].(json.Number))
			}
		}
	}
	if v, has := m["factor"]; has {
		if r, good := p.decimal(join(path, "factor"), v); !good {
			ok = false
		} else {
			f, fs = r, string(v.(json.Number))
		}
	}
	var up *big.Rat
	if v, has := m["unitPrice"]; has {
		var good bool
		if up, good = p.money(join(path, "unitPrice"), v); !good {
			ok, up = false, nil
		} else {
			unit = string(v.(map[string]any)["value"].(json.Number))
		}
	}
	if v, has := m["net"]; has {
		var good bool
		if net, good = p.money(join(path, "net"), v); !good {
			return nil, qty, unit
		}
	}
	if !ok || up == nil || p.currency == "" {
		return net, qty, unit
	}
	want := new(big.Rat).Mul(q, up)
	want.Mul(want, f)
	wantMinor, _ := toMinor(want, p.currency)
	if net == nil {
		return new(big.Rat).SetFrac(wantMinor, pow10(money.Scale(p.currency)).Num()), qty, unit
	}
	if got, _ := toMinor(net, p.currency); got.Cmp(wantMinor) != 0 {
		p.fail(join(path, "net"), "%s is not quantity × unitPrice × factor = %s × %s × %s = %s",
			ratString(net, p.currency), cmp.Or(qty, "1"), ratString(up, p.currency), fs, ratString(want, p.currency))
	}
	return net, qty, unit
}

// sequences reads the sequence of each entry of a backbone list (careTeam,
// diagnosis, ...): required, a positive integer, unique.
func (p *parser) backbone(path string, v any, what string, elements []string, check func(path string, m map[string]any)) map[int]bool {
	seqs := map[int]bool{}
	l, ok := p.list(path, v)
	if !ok {
		return seqs
	}
	for i, e := range l {
		ep := idx(path, i)
		m, ok := p.element(ep, e, what, elements)
		if !ok {
			continue
		}
		if slices.Contains(elements, "sequence") {
			p.sequence(ep, m, seqs, what)
		}
		if check != nil {
			check(ep, m)
		}
	}
	return seqs
}

// sequence checks element m's sequence: required, a positive integer and
// not among seqs, those of the other elements (another names them), to
// which it adds it.
func (p *parser) sequence(path string, m map[string]any, seqs map[int]bool, another string) {
	if m["sequence"] == nil {
		p.fail(path, "required: sequence")
	} else if n, ok := p.positiveInt(join(path, "sequence"), m["sequence"]); ok {
		if seqs[n] {
			p.fail(join(path, "sequence"), "%d is the sequence of another %s: sequences are unique", n, another)
		}
		seqs[n] = true
	}
}

func (p *parser) claim(res map[string]any) *FHIRClaim {
	c := &FHIRClaim{res: res}
	p.scan("", res)
	p.containedResources(res["contained"])
	p.known("", res, "Claim", claimElements)
	if v, ok := res["implicitRules"]; ok && v != nil {
		p.fail("implicitRules", "this portal cannot read a claim made under other rules (implicitRules modifies its meaning)")
	}
	if v, ok := res["id"]; ok {
		if s, ok := p.str("id", v); ok && !idRe.MatchString(s) {
			p.fail("id", "%.70q is not a FHIR id (1 to 64 of A-Z, a-z, 0-9, '-', '.')", s)
		} else {
			c.ID = s
		}
	}
	if l, ok := p.list("identifier", res["identifier"]); ok {
		for i, id := range l {
			p.identifier(idx("identifier", i), id)
		}
	}
	required := func(name, what string) bool {
		if res[name] == nil {
			p.fail(name, "required (%s)", what)
			return false
		}
		return true
	}
	if required("status", "active for a claim to file") {
		if s, ok := p.code("status", res["status"]); ok {
			switch s {
			case "active":
			case "cancelled", "draft", "entered-in-error":
				p.fail("status", "%q: only an active claim is filed", s)
			default:
				p.fail("status", "%.40q is not a Claim status (active, cancelled, draft, entered-in-error)", s)
			}
		}
	}
	if required("type", "a CodeableConcept, e.g. http://terminology.hl7.org/CodeSystem/claim-type professional") {
		if codings, ok := p.concept("type", res["type"]); ok && len(codings) == 0 {
			p.fail("type", "a CodeableConcept with at least one coding is required (institutional, oral, pharmacy, professional, vision)")
		}
	}
	optional(res, "", "subType", p.concept)
	if required("use", "claim for a claim to file") {
		if s, ok := p.code("use", res["use"]); ok {
			switch s {
			case "claim":
			case "preauthorization", "predetermination":
				p.fail("use", "%q: a %s asks before care; only a claim (use \"claim\") is filed for payment", s, s)
			default:
				p.fail("use", "%.40q is not a Claim use (claim, preauthorization, predetermination)", s)
			}
		}
	}
	p.reference("patient", res["patient"], true)
	p.reference("provider", res["provider"], true)
	p.reference("insurer", res["insurer"], false)
	for _, name := range []string{"enterer", "prescription", "originalPrescription", "referral", "facility"} {
		p.reference(name, res[name], false)
	}
	if required("created", "a dateTime") {
		c.Created, _ = p.day("created", res["created"], true, "the claim's creation")
	}
	if required("priority", "a CodeableConcept, e.g. http://terminology.hl7.org/CodeSystem/processpriority normal") {
		p.concept("priority", res["priority"])
	}
	optional(res, "", "fundsReserve", p.concept)
	billable := ""
	if v, ok := res["billablePeriod"]; ok {
		billable, _ = p.period("billablePeriod", v, "the billable period")
	}
	p.backbone("related", res["related"], "Claim.related", relatedElements, func(path string, m map[string]any) {
		p.reference(join(path, "claim"), m["claim"], false)
	})
	if v, ok := res["payee"]; ok {
		if m, ok := p.element("payee", v, "Claim.payee", payeeElements); ok {
			if m["type"] == nil {
				p.fail("payee", "required: type")
			} else {
				p.concept("payee.type", m["type"])
			}
			p.reference("payee.party", m["party"], false)
		}
	}
	careTeam := p.backbone("careTeam", res["careTeam"], "Claim.careTeam", careTeamElements, func(path string, m map[string]any) {
		p.reference(join(path, "provider"), m["provider"], true)
	})
	info := p.backbone("supportingInfo", res["supportingInfo"], "Claim.supportingInfo", supportingElements, func(path string, m map[string]any) {
		if m["category"] == nil {
			p.fail(path, "required: category")
		} else {
			p.concept(join(path, "category"), m["category"])
		}
		if v, ok := m["valueReference"]; ok {
			p.reference(join(path, "valueReference"), v, false)
		}
	})
	diagnosis := p.backbone("diagnosis", res["diagnosis"], "Claim.diagnosis", diagnosisElements, func(path string, m map[string]any) {
		p.choice(path, m, "diagnosis[x]", "diagnosisCodeableConcept", "diagnosisReference")
	})
	procedure := p.backbone("procedure", res["procedure"], "Claim.procedure", procedureElements, func(path string, m map[string]any) {
		p.choice(path, m, "procedure[x]", "procedureCodeableConcept", "procedureReference")
	})
	if res["insurance"] == nil {
		p.fail("insurance", "required: at least one insurance (sequence, focal, coverage)")
	}
	p.backbone("insurance", res["insurance"], "Claim.insurance", insuranceElements, func(path string, m map[string]any) {
		if m["focal"] == nil {
			p.fail(path, "required: focal")
		} else {
			p.boolean(join(path, "focal"), m["focal"])
		}
		p.reference(join(path, "coverage"), m["coverage"], true)
	})
	if v, ok := res["accident"]; ok {
		if m, ok := p.element("accident", v, "Claim.accident", accidentElements); ok {
			if m["date"] == nil {
				p.fail("accident", "required: date")
			}
		}
	}
	refs := map[string]map[int]bool{"careTeamSequence": careTeam, "diagnosisSequence": diagnosis, "procedureSequence": procedure,
		"informationSequence": info}
	refNames := map[string]string{"careTeamSequence": "careTeam", "diagnosisSequence": "diagnosis", "procedureSequence": "procedure",
		"informationSequence": "supportingInfo"}

	items, ok := p.list("item", res["item"])
	switch {
	case !ok:
	case len(items) == 0:
		p.fail("item", "required: a claim to file has 1 to %d items (service lines)", MaxItems)
	case len(items) > MaxItems:
		p.fail("item", "%d items; a claim to file has at most %d (file the rest as another claim)", len(items), MaxItems)
	}
	if len(items) > MaxItems {
		items = items[:MaxItems]
	}
	seqs := map[int]int{}
	total, netsOK := new(big.Rat), true
	for i, v := range items {
		path := idx("item", i)
		m, ok := p.element(path, v, "Claim.item", itemElements)
		if !ok {
			continue
		}
		it := FHIRItem{raw: m}
		if m["sequence"] == nil {
			p.fail(path, "required: sequence")
		} else if n, ok := p.positiveInt(join(path, "sequence"), m["sequence"]); ok {
			if j, dup := seqs[n]; dup {
				p.fail(join(path, "sequence"), "%d is the sequence of item[%d] too: item sequences are unique", n, j)
			}
			seqs[n], it.Sequence = i, n
		}
		for _, name := range slices.Sorted(maps.Keys(refs)) {
			l, ok := p.list(join(path, name), m[name])
			if !ok {
				continue
			}
			for j, s := range l {
				sp := idx(join(path, name), j)
				if n, ok := p.positiveInt(sp, s); ok && !refs[name][n] {
					p.fail(sp, "no %s has sequence %d", refNames[name], n)
				}
			}
		}
		for _, name := range []string{"revenue", "category"} {
			if v, has := m[name]; has {
				p.concept(join(path, name), v)
			}
		}
		p.concepts(join(path, "programCode"), m["programCode"])
		p.choice(path, m, "location[x]", "locationCodeableConcept", "locationAddress", "locationReference")
		if v, has := m["locationReference"]; has {
			p.reference(join(path, "locationReference"), v, false)
		}
		p.references(join(path, "udi"), m["udi"])
		p.references(join(path, "encounter"), m["encounter"])
		p.service(path, m, &it)
		// The day of service.
		sd, sp := m["servicedDate"], m["servicedPeriod"]
		switch {
		case sd != nil && sp != nil:
			p.fail(path, "servicedDate and servicedPeriod both given: serviced[x] is one of them")
		case sd != nil:
			it.Date, _ = p.day(join(path, "servicedDate"), sd, false, "the date of service")
		case sp != nil:
			it.Date, _ = p.period(join(path, "servicedPeriod"), sp, "the period of service")
		case billable != "":
			it.Date = billable
		case res["billablePeriod"] == nil:
			p.fail(join(path, "serviced[x]"), "the date of service is required (servicedDate, servicedPeriod, or the claim's billablePeriod): "+
				"a service is told from the same service on another day by it")
		}
		before := len(p.probs) + p.more
		net, qty, unit := p.amounts(path, m)
		it.Quantity, it.UnitPrice = qty, unit
		if net == nil && m["net"] == nil && m["unitPrice"] == nil {
			p.fail(join(path, "net"), "required: the amount claimed for the item (or a unitPrice it follows from)")
		}
		if net != nil && p.currency != "" {
			units, exact := toMinor(net, p.currency)
			switch {
			case m["net"] != nil && !exact:
				p.fail(join(path, "net.value"), "%s is not a whole number of minor units of %s (%d decimals)",
					m["net"].(map[string]any)["value"], p.currency, money.Scale(p.currency))
			case units.Sign() == 0:
				p.fail(join(path, "net"), "0: an item claims at least one minor unit (leave out what is not charged)")
			case !units.IsUint64() || units.Uint64() > MaxItemAmount:
				p.fail(join(path, "net"), "%s is more than the most an item may claim (%s)", ratString(net, p.currency),
					ratString(new(big.Rat).SetFrac(new(big.Int).SetUint64(MaxItemAmount), pow10(money.Scale(p.currency)).Num()), p.currency))
			default:
				it.Net = units.Uint64()
				total.Add(total, net)
			}
		}
		netsOK = netsOK && it.Net > 0 && len(p.probs)+p.more == before
		p.details(path, m["detail"], "detail", detailElements)
		c.Items = append(c.Items, it)
	}
	if v, ok := res["total"]; ok {
		// The sum is only worth comparing when every item's net is.
		if t, ok := p.money("total", v); ok && p.currency != "" && netsOK {
			if tu, exact := toMinor(t, p.currency); !exact || !tu.IsUint64() || tu.Uint64() != c.Total() {
				p.fail("total", "%s is not the sum of the items' net amounts (%s)", ratString(t, p.currency), ratString(total, p.currency))
			}
		}
	}
	c.Currency = p.currency
	if len(p.probs) > 0 {
		return nil
	}
	return c
}

// choice refuses more than one of a choice element's types.
func (p *parser) choice(path string, m map[string]any, name string, types ...string) {
	var given []string
	for _, t := range types {
		if m[t] != nil {
			given = append(given, t)
		}
	}
	if len(given) > 1 {
		p.fail(path, "%s given as %s: a choice element is one of them", name, strings.Join(given, " and "))
	}
	if v, ok := m[name[:len(name)-3]+"CodeableConcept"]; ok {
		p.concept(join(path, name[:len(name)-3]+"CodeableConcept"), v)
	}
}

func (p *parser) concepts(path string, v any) {
	l, _ := p.list(path, v)
	for i, c := range l {
		p.concept(idx(path, i), c)
	}
}

func (p *parser) references(path string, v any) {
	l, _ := p.list(path, v)
	for i, r := range l {
		p.reference(idx(path, i), r, false)
	}
}

// service reads the service an item bills: productOrService's coding,
// the modifiers and the body site and sub-sites.
func (p *parser) service(path string, m map[string]any, it *FHIRItem) {
	pp := join(path, "productOrService")
	coding, ok := p.billed(pp, m["productOrService"], "the code billed")
	var mods []string
	ml, _ := p.list(join(path, "modifier"), m["modifier"])
	for i, mv := range ml {
		mc, good := p.billed(idx(join(path, "modifier"), i), mv, "the modifier")
		if !good {
			ok = false
			continue
		}
		s, _ := mc["code"].(string)
		mods = append(mods, s)
	}
	var sites []Site
	site := func(sp string, v any) {
		sc, good := p.billed(sp, v, "the site")
		if !good {
			ok = false
			return
		}
		sys, _ := sc["system"].(string)
		code, _ := sc["code"].(string)
		sites = append(sites, Site{System: sys, Code: code})
	}
	if v, has := m["bodySite"]; has {
		site(join(path, "bodySite"), v)
	}
	sl, _ := p.list(join(path, "subSite"), m["subSite"])
	for i, v := range sl {
		site(idx(join(path, "subSite"), i), v)
	}
	if !ok || coding == nil {
		return
	}
	it.System, _ = coding["system"].(string)
	it.Code, _ = coding["code"].(string)
	it.Display, _ = coding["display"].(string)
	if it.Display == "" {
		it.Display, _ = m["productOrService"].(map[string]any)["text"].(string)
	}
	it.Modifiers = mods
	sc, err := NewServiceCode(it.System, it.Code, mods, sites)
	if err != nil {
		p.fail(pp, "%s", strings.TrimPrefix(err.Error(), ErrInvalid.Error()+": service code: "))
		return
	}
	it.Service = sc
}

// details checks an item's details (and theirs, sub-details): each with a
// unique sequence, a productOrService and consistent amounts.
func (p *parser) details(path string, v any, name string, elements []string) {
	l, ok := p.list(join(path, name), v)
	if !ok {
		return
	}
	seqs := map[int]bool{}
	for i, d := range l {
		dp := idx(join(path, name), i)
		m, ok := p.element(dp, d, "Claim.item."+name, elements)
		if !ok {
			continue
		}
		p.sequence(dp, m, seqs, name+" of this item")
		if m["productOrService"] == nil {
			p.fail(dp, "required: productOrService")
		} else {
			p.concept(join(dp, "productOrService"), m["productOrService"])
		}
		for _, n := range []string{"revenue", "category"} {
			if v, has := m[n]; has {
				p.concept(join(dp, n), v)
			}
		}
		p.concepts(join(dp, "modifier"), m["modifier"])
		p.concepts(join(dp, "programCode"), m["programCode"])
		p.references(join(dp, "udi"), m["udi"])
		p.amounts(dp, m)
		if name == "detail" {
			p.details(dp, m["subDetail"], "subDetail", subDetailElements)
		}
	}
}

// containedResources checks the contained resources (dom-2 to dom-5) and
// notes their ids for the local references.
func (p *parser) containedResources(v any) {
	l, ok := p.list("contained", v)
	if !ok {
		return
	}
	for i, r := range l {
		path := idx("contained", i)
		m, ok := p.object(path, r, "a resource")
		if !ok {
			continue
		}
		if rt, ok := m["resourceType"].(string); !ok || rt == "" {
			p.fail(join(path, "resourceType"), "required: a contained resource names its resourceType")
		}
		id, _ := m["id"].(string)
		switch {
		case id == "":
			p.fail(join(path, "id"), "required: a contained resource has an id that the claim refers to")
		case p.contained[id]:
			p.fail(join(path, "id"), "%q is the id of another contained resource", id)
		case !p.refs["#"+id]:
			p.fail(path, "contained resource %q is not referred to from the claim (dom-3)", id)
		}
		p.contained[id] = true
		if m["contained"] != nil {
			p.fail(join(path, "contained"), "a contained resource contains no resources (dom-2)")
		}
		if meta, ok := m["meta"].(map[string]any); ok {
			if meta["versionId"] != nil || meta["lastUpdated"] != nil {
				p.fail(join(path, "meta"), "a contained resource has no meta.versionId or meta.lastUpdated (dom-4)")
			}
			if meta["security"] != nil {
				p.fail(join(path, "meta.security"), "a contained resource has no security labels (dom-5)")
			}
		}
	}
}

// scan walks the whole resource once: FHIR JSON has no null property, no
// empty string, object or array; every extension has a url; a
// modifierExtension is refused (it could change the meaning of what it
// sits on, and this portal understands none); local references are
// noted (for dom-3).
func (p *parser) scan(path string, v any) {
	switch t := v.(type) {
	case map[string]any:
		if len(t) == 0 {
			p.fail(pathOr(path), "an empty object: FHIR JSON leaves out what has no value")
		}
		for _, k := range slices.Sorted(maps.Keys(t)) {
			kp := join(path, k)
			e := t[k]
			switch {
			case e == nil:
				p.fail(kp, "null: FHIR JSON leaves out what has no value")
				continue
			case k == "div" && strings.HasSuffix(path, "text"):
				continue // the narrative's XHTML
			case k == "modifierExtension":
				p.fail(kp, "this portal understands no modifier extension, and a modifier extension may change what it sits on")
			case k == "reference":
				if s, ok := e.(string); ok && strings.HasPrefix(s, "#") {
					p.refs[s] = true
				}
			case k == "extension":
				if l, ok := e.([]any); ok {
					for i, x := range l {
						if xm, ok := x.(map[string]any); ok {
							if u, ok := xm["url"].(string); !ok || u == "" {
								p.fail(join(idx(kp, i), "url"), "required: an extension names its url")
							}
						}
					}
				}
			}
			p.scan(kp, e)
		}
	case []any:
		if len(t) == 0 {
			p.fail(pathOr(path), "an empty array: FHIR JSON leaves out what has no value")
		}
		for i, e := range t {
			if e != nil {
				p.scan(idx(path, i), e)
			}
		}
	case string:
		if strings.TrimSpace(t) == "" {
			p.fail(pathOr(path), "an empty string: FHIR JSON leaves out what has no value")
		}
	}
}
