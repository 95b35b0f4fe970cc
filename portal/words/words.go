package words

import (
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	claimvocab "github.com/almoner/almoner/consortium-node/contracts/claim/vocab"
	consentvocab "github.com/almoner/almoner/consortium-node/contracts/consent/vocab"
	donationvocab "github.com/almoner/almoner/consortium-node/contracts/donation/vocab"
	"github.com/almoner/almoner/consortium-node/contracts/record/delivery"
	"github.com/almoner/almoner/consortium-node/money"
)

// Table is one kind of code with its labels.
type Table int

// The tables.
const (
	Purposes        Table = iota + 1 // consent and record.access purposes
	Categories                       // record categories (record.register)
	Emergencies                      // break-glass reasons
	ReviewOutcomes                   // a break-glass review's outcomes
	ClaimReasons                     // adjudication reasons (items, denials)
	AppealReasons                    // a provider's appeal reasons
	ClaimStatuses                    // a claim's statuses
	ClaimOutcomes                    // an adjudication's outcomes
	ConsentStatuses                  // a consent's statuses (FHIR Consent.status)
	RefundReasons                    // why a gift went back to its donor
	Undelivered                      // why a granted access released nothing
)

// Tables lists every table.
func Tables() []Table {
	return []Table{Purposes, Categories, Emergencies, ReviewOutcomes, ClaimReasons, AppealReasons, ClaimStatuses,
		ClaimOutcomes, ConsentStatuses, RefundReasons, Undelivered}
}

// labels are the tables' labels, by code: read-only.
var labels = map[Table]map[string]string{
	Purposes: {
		"treatment":         "Treatment",
		"claims":            "Insurance claims",
		"payment":           "Payment",
		"research":          "Research",
		"public-health":     "Public health",
		"care-coordination": "Care coordination",
	},
	Categories: {
		"bundle":            "Health record (all of it)",
		"encounter":         "Visit note",
		"lab":               "Lab results",
		"imaging":           "Imaging",
		"medication":        "Medications",
		"discharge-summary": "Discharge summary",
		"claim-support":     "Claim support",
		"claim":             "Itemised claim",
	},
	Emergencies: {
		"life-threatening":    "Life-threatening condition",
		"unconscious-patient": "Patient unconscious",
		"urgent-treatment":    "Urgent treatment needed",
		"mass-casualty":       "Mass-casualty incident",
	},
	ReviewOutcomes: {
		"justified":   "Justified: a real emergency",
		"unjustified": "Not justified",
		"referred":    "Referred for investigation",
	},
	ClaimReasons: {
		"not-covered":                  "Not covered by the plan",
		"plan-limit":                   "Plan limit reached",
		"not-medically-necessary":      "Not medically necessary",
		"prior-authorization-required": "Prior authorisation required",
		"out-of-network":               "Out of network",
		"patient-ineligible":           "Patient not eligible",
		"coding-error":                 "Coding error",
		"missing-documentation":        "Missing documentation",
		"contractual-adjustment":       "Contractual adjustment",
		"duplicate-service":            "Duplicate service",
		"timely-filing":                "Filed too late",
	},
	AppealReasons: {
		"coding-corrected":             "Coding corrected",
		"documentation-added":          "Documentation added",
		"medical-necessity":            "Medically necessary",
		"prior-authorization-obtained": "Prior authorisation obtained",
		"coverage-dispute":             "Coverage disputed",
		"contract-rate-dispute":        "Contract rate disputed",
	},
	ClaimStatuses: {
		claimvocab.StatusSubmitted:   "Submitted",
		claimvocab.StatusInReview:    "In review",
		claimvocab.StatusAdjudicated: "Adjudicated",
		claimvocab.StatusAppealed:    "Appealed",
		claimvocab.StatusPaid:        "Paid",
		claimvocab.StatusCancelled:   "Cancelled",
	},
	ClaimOutcomes: {
		claimvocab.OutcomeApproved: "Approved",
		claimvocab.OutcomePartial:  "Partly approved",
		claimvocab.OutcomeDenied:   "Denied",
	},
	ConsentStatuses: {
		consentvocab.StatusActive:   "Active",
		consentvocab.StatusProposed: "Waiting for the patient",
		consentvocab.StatusRevoked:  "Ended or revoked",
		consentvocab.StatusRejected: "Declined",
	},
	RefundReasons: {
		donationvocab.RefundCampaignCancelled: "The campaign was cancelled",
		donationvocab.RefundMilestoneRejected: "The milestone was rejected",
		donationvocab.RefundMilestoneMissed:   "The milestone missed its deadline",
	},
	Undelivered: {
		delivery.Unreachable: "The hospital keeping the record could not be reached",
		delivery.Missing:     "The hospital keeping the record did not have it",
		delivery.Mismatch:    "What the hospital sent was not the registered record, so it was not shown",
		delivery.Refused:     "The hospital refused to release it",
	},
}

// Label returns code's label, and whether the table has one.
func (t Table) Label(code string) (string, bool) {
	l, ok := labels[t][code]
	return l, ok
}

// Say returns code's label; a code the table does not know, in words (its
// dashes and underscores as spaces), so that a new code still reads.
func (t Table) Say(code string) string {
	if l, ok := labels[t][code]; ok {
		return l
	}
	return strings.ToLower(strings.NewReplacer("-", " ", "_", " ").Replace(code))
}

// Codes lists the codes the table labels, sorted.
func (t Table) Codes() []string {
	out := make([]string, 0, len(labels[t]))
	for c := range labels[t] {
		out = append(out, c)
	}
	sort.Strings(out)
	return out
}

// Lower writes a label inside a sentence: its first letter lower-case
// ("Insurance claims" -> "insurance claims").
func Lower(label string) string {
	r, n := utf8.DecodeRuneInString(label)
	if n == 0 {
		return label
	}
	return string(unicode.ToLower(r)) + label[n:]
}

// Money writes minor units of a currency as money: "30.50 EUR", "250 JPY",
// "2.500 BHD" (the currency's decimals, consortium-node/money); two
// decimals and no code when the currency is not known.
func Money(minor uint64, currency string) string {
	s := money.Decimal(minor, currency)
	if currency != "" {
		s += " " + currency
	}
	return s
}

// MoneyText is Money for minor units written in decimal digits (an event's
// attribute); anything else comes back as it is.
func MoneyText(minor, currency string) string {
	v, err := strconv.ParseUint(minor, 10, 64)
	if err != nil {
		return minor
	}
	return Money(v, currency)
}

// Date writes a Unix time in seconds as a date in words, in UTC:
// "4 January 2027".
func Date(unix int64) string {
	return time.Unix(unix, 0).UTC().Format("2 January 2006")
}

// Who writes a member or an organisation by name: an organisation by its
// name ("St Mary's Hospital"), a member by its own part of the id with
// its organisation's name ("dr-lee of St Mary's Hospital"). orgName
// returns an organisation's name, "" when it does not know it (the id is
// written then). No id at all is "someone".
func Who(orgName func(id string) string, id string) string {
	if id == "" {
		return "someone"
	}
	org, short, member := strings.Cut(id, "/")
	name := orgName(org)
	if name == "" {
		name = org
	}
	if !member {
		return name
	}
	return short + " of " + name
}
