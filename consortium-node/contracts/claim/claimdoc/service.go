package claimdoc

import (
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// What makes two services the same (the fingerprints' definition; decision
// 0019). Two service lines of the same provider and patient are the same
// service when they have the same
//
//   - code system: compared after NormalizeSystem (trimmed, lower case,
//     "https://" read as "http://", no trailing "/", and the OIDs of CPT,
//     HCPCS, NDC, SNOMED CT, LOINC and ICD-10-PCS read as their URLs); a
//     coding without a system is in a system of its own, "";
//   - code: compared after NormalizeCode (trimmed, each run of white
//     space one space, upper case), so "j1100", " J1100 " and "J1100" are
//     one code;
//   - site: the body site and sub-sites the item names (FHIR bodySite and
//     subSite: a tooth and its surfaces, say), each by system and code,
//     and the anatomic modifiers of SiteModifiers (LT, RT, F1, T2, E3,
//     ...), which name a site too: a service on the left knee and one on
//     the right knee are two services;
//   - date of service (servicedDate, or the days of servicedPeriod).
//
// Every other modifier (25, 26, 59, 76, 91, GA, TC, the HL7 example
// system's "rooh", ...) describes the circumstances or the billing of a
// service, not another service: adding, dropping or reordering one, or
// changing its case, does not make a service claimable again. Two units of
// one service on a day are two lines of one claim (each line counts by its
// occurrence) or one line with a quantity; a later claim that names the
// service again is a duplicate, with any modifiers. Quantities, prices,
// the insurer and the claim id are not part of a service's identity.
//
// The claim fingerprint covers more: the full service, all its modifiers
// included, so that the ledger commits the hospital to exactly what it
// filed. The item fingerprints, which catch any overlap between claims,
// cover the identity above.

// SystemCPT is the code system of CPT codes, the default of a service
// code without a system (Almoner's first claims were all CPT).
const SystemCPT = SystemService

// Limits of a service code.
const (
	MaxCodeRunes   = 64  // a code's length after normalisation
	MaxSystemBytes = 255 // a code system's URI
	MaxSites       = 8   // body site and sub-sites of one line
)

// SiteModifiers are the CPT/HCPCS modifiers that name an anatomic site
// (laterality, eyelids, fingers, toes, coronary arteries): a service at
// another site is another service. Any other modifier does not change
// which service a line is.
var SiteModifiers = []string{
	"LT", "RT", "E1", "E2", "E3", "E4", "FA", "F1", "F2", "F3", "F4", "F5", "F6", "F7", "F8", "F9",
	"TA", "T1", "T2", "T3", "T4", "T5", "T6", "T7", "T8", "T9", "LC", "LD", "LM", "RC", "RI",
}

// systemAliases map code systems' other names to the URL a service code
// uses (after the lower-casing of NormalizeSystem).
var systemAliases = map[string]string{
	"urn:oid:2.16.840.1.113883.6.12":  SystemCPT,
	"http://ama-assn.org/go/cpt":      SystemCPT,
	"urn:oid:2.16.840.1.113883.6.285": "http://www.cms.gov/medicare/coding/hcpcsreleasecodesets",
	"urn:oid:2.16.840.1.113883.6.69":  "http://hl7.org/fhir/sid/ndc",
	"urn:oid:2.16.840.1.113883.6.96":  "http://snomed.info/sct",
	"urn:oid:2.16.840.1.113883.6.1":   "http://loinc.org",
	"urn:oid:2.16.840.1.113883.6.4":   "http://www.cms.gov/medicare/coding/icd10",
}

// NormalizeSystem returns the form of a code system's URI that service
// codes compare: trimmed, lower case, "https://" as "http://", without a
// trailing "/", and a known OID as its URL.
func NormalizeSystem(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	if rest, ok := strings.CutPrefix(s, "https://"); ok {
		s = "http://" + rest
	}
	s = strings.TrimRight(s, "/")
	if a, ok := systemAliases[s]; ok {
		return a
	}
	return s
}

// NormalizeCode returns the form of a code that service codes compare:
// trimmed, each run of white space one space, upper case.
func NormalizeCode(s string) string {
	return strings.ToUpper(strings.Join(strings.Fields(s), " "))
}

// Site is a body site or sub-site of a service line, by system and code.
type Site struct {
	System, Code string
}

// ServiceCode is a service line's coding as the fingerprints see it.
type ServiceCode struct {
	System    string   // the code system (NormalizeSystem); "" when the coding has none
	Code      string   // NormalizeCode
	Modifiers []string // NormalizeCode each, sorted, no repeats
	Sites     []Site   // body site and sub-sites, sorted, no repeats
}

// NewServiceCode normalises a coding into a ServiceCode and checks it.
func NewServiceCode(system, code string, modifiers []string, sites []Site) (ServiceCode, error) {
	s := ServiceCode{System: NormalizeSystem(system), Code: NormalizeCode(code)}
	for _, m := range modifiers {
		s.Modifiers = append(s.Modifiers, NormalizeCode(m))
	}
	slices.Sort(s.Modifiers)
	s.Modifiers = slices.Compact(s.Modifiers)
	for _, x := range sites {
		s.Sites = append(s.Sites, Site{System: NormalizeSystem(x.System), Code: NormalizeCode(x.Code)})
	}
	slices.SortFunc(s.Sites, compareSites)
	s.Sites = slices.Compact(s.Sites)
	return s, s.check()
}

func compareSites(a, b Site) int {
	if c := strings.Compare(a.System, b.System); c != 0 {
		return c
	}
	return strings.Compare(a.Code, b.Code)
}

func (s ServiceCode) check() error {
	bad := func(format string, a ...any) error { return invalid("service code: "+format, a...) }
	checkCode := func(what, c string) error {
		switch n := utf8.RuneCountInString(c); {
		case n == 0:
			return bad("%s is empty", what)
		case n > MaxCodeRunes:
			return bad("%s %.40q… is longer than %d characters", what, c, MaxCodeRunes)
		case !utf8.ValidString(c) || strings.IndexFunc(c, func(r rune) bool { return !unicode.IsPrint(r) }) >= 0:
			return bad("%s %.40q has a character that is not printable", what, c)
		}
		return nil
	}
	checkSystem := func(what, sys string) error {
		if len(sys) > MaxSystemBytes || !utf8.ValidString(sys) || strings.IndexFunc(sys, func(r rune) bool { return !unicode.IsPrint(r) || r == ' ' }) >= 0 {
			return bad("%s %.60q is not a URI of at most %d bytes", what, sys, MaxSystemBytes)
		}
		return nil
	}
	if err := checkSystem("the code system", s.System); err != nil {
		return err
	}
	if err := checkCode("the code", s.Code); err != nil {
		return err
	}
	if len(s.Modifiers) > MaxModifiers {
		return bad("%q has %d modifiers; the most is %d", s.Code, len(s.Modifiers), MaxModifiers)
	}
	for _, m := range s.Modifiers {
		if err := checkCode("a modifier", m); err != nil {
			return err
		}
	}
	if len(s.Sites) > MaxSites {
		return bad("%q names %d body sites; the most is %d", s.Code, len(s.Sites), MaxSites)
	}
	for _, x := range s.Sites {
		if err := checkSystem("a body site's code system", x.System); err != nil {
			return err
		}
		if err := checkCode("a body site", x.Code); err != nil {
			return err
		}
	}
	return nil
}

// IsSiteModifier reports whether modifier m (any case) names an anatomic
// site (SiteModifiers).
func IsSiteModifier(m string) bool { return slices.Contains(SiteModifiers, NormalizeCode(m)) }

// Identity is the service as the item fingerprints compare it: the code
// and site, with only the modifiers that name a site.
func (s ServiceCode) Identity() ServiceCode {
	out := s
	out.Modifiers = slices.DeleteFunc(slices.Clone(s.Modifiers), func(m string) bool { return !IsSiteModifier(m) })
	return out
}

// The canonical string of a service code (what Service.Code holds and the
// fingerprints hash):
//
//	[SYSTEM "|"] CODE *("-" MODIFIER) *("@" SITESYSTEM "|" SITECODE)
//
// SYSTEM is left out for CPT, so that a CPT code reads as it always did
// ("99213", "99213-25"); a coding without a system starts with "|". In
// codes, modifiers and site codes every byte other than A-Z, 0-9 and "."
// is written %XX (upper-case hex); in systems every byte other than a-z,
// 0-9 and ".:/_~-". Modifiers and sites are sorted, without repeats.

const codeSafe = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789."
const systemSafe = "abcdefghijklmnopqrstuvwxyz0123456789.:/_~-"

func escape(s, safe string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if strings.IndexByte(safe, s[i]) >= 0 {
			b.WriteByte(s[i])
		} else {
			fmt.Fprintf(&b, "%%%02X", s[i])
		}
	}
	return b.String()
}

func unescape(s string) (string, bool) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '%' {
			b.WriteByte(s[i])
			continue
		}
		if i+2 >= len(s) {
			return "", false
		}
		var v byte
		if _, err := fmt.Sscanf(s[i+1:i+3], "%02X", &v); err != nil {
			return "", false
		}
		b.WriteByte(v)
		i += 2
	}
	return b.String(), true
}

// String returns the canonical string (Service.Code).
func (s ServiceCode) String() string {
	var b strings.Builder
	if s.System != SystemCPT {
		b.WriteString(escape(s.System, systemSafe))
		b.WriteByte('|')
	}
	b.WriteString(escape(s.Code, codeSafe))
	for _, m := range s.Modifiers {
		b.WriteByte('-')
		b.WriteString(escape(m, codeSafe))
	}
	for _, x := range s.Sites {
		b.WriteByte('@')
		b.WriteString(escape(x.System, systemSafe))
		b.WriteByte('|')
		b.WriteString(escape(x.Code, codeSafe))
	}
	return b.String()
}

// Display is the code with its modifiers as people write it ("99213-25",
// "GLASSES-ROOH"), without the system and sites.
func (s ServiceCode) Display() string {
	return strings.Join(append([]string{s.Code}, s.Modifiers...), "-")
}

// ParseServiceCode reads a canonical service code string and checks that
// it is canonical: normalised, sorted, and written as String writes it.
func ParseServiceCode(canonical string) (ServiceCode, error) {
	bad := func() (ServiceCode, error) {
		return ServiceCode{}, invalid("service code %.60q is not a canonical service code ([system|]CODE[-MODIFIER...][@site...], "+
			"normalised: upper case, single spaces, modifiers and sites sorted without repeats)", canonical)
	}
	parts := strings.Split(canonical, "@")
	head := parts[0]
	var s ServiceCode
	sys, rest, found := strings.Cut(head, "|")
	if found {
		var ok bool
		if s.System, ok = unescape(sys); !ok {
			return bad()
		}
	} else {
		s.System, rest = SystemCPT, head
	}
	codes := strings.Split(rest, "-")
	for i, c := range codes {
		u, ok := unescape(c)
		if !ok {
			return bad()
		}
		if i == 0 {
			s.Code = u
		} else {
			s.Modifiers = append(s.Modifiers, u)
		}
	}
	for _, p := range parts[1:] {
		ss, sc, ok := strings.Cut(p, "|")
		if !ok {
			return bad()
		}
		sys, ok1 := unescape(ss)
		code, ok2 := unescape(sc)
		if !ok1 || !ok2 {
			return bad()
		}
		s.Sites = append(s.Sites, Site{System: sys, Code: code})
	}
	// Canonical: normalising changes nothing and it writes back the same.
	n, err := NewServiceCode(s.System, s.Code, s.Modifiers, s.Sites)
	if err != nil {
		return ServiceCode{}, err
	}
	if n.String() != canonical || n.System != s.System || len(n.Modifiers) != len(s.Modifiers) || len(n.Sites) != len(s.Sites) {
		return bad()
	}
	return n, nil
}

// itemCode is the canonical string of the identity of canonical service
// code code (ServiceCode.Identity), or code itself when it is not
// canonical (SubmitArgs validates first).
func itemCode(code string) string {
	s, err := ParseServiceCode(code)
	if err != nil {
		return code
	}
	return s.Identity().String()
}
