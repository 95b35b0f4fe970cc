package policies

import "slices"

// Conditions a rule may require of a request (the model's ABAC clauses).
const (
	CondAny     = "any"
	CondOwn     = "own"
	CondOrg     = "org"
	CondConsent = "consent"
)

// Effects.
const (
	Allow = "allow"
	Deny  = "deny"
)

// RoleMember is held implicitly by every active member; rules for it apply
// to everyone (for example "rotate your own keys").
const RoleMember = "member"

// roles lists the roles rules may name, RoleMember included. It mirrors
// the identity contract's roles.
var roles = []string{
	RoleMember, "consortium_admin", "org_admin", "physician", "records_clerk", "privacy_officer",
	"claims_adjuster", "charity_officer", "milestone_validator", "patient", "donor", "auditor",
}

// catalog lists, per kind of resource, the actions a request may name.
// Contracts authorise each of their methods as one of these; the portal
// authorises reads as "read". A rule naming anything else is refused, so a
// typo in a governance proposal cannot silently grant or deny nothing.
var catalog = map[string][]string{
	"member":       {"add", "set_roles", "rotate_keys", "revoke", "read"},
	"node":         {"add", "remove", "read"},
	"proposal":     {"propose", "approve", "reject", "withdraw", "read"},
	"policy":       {"read"},
	"record":       {"register", "read", "break_glass", "erase", "read_metadata"},
	"consent":      {"grant", "revoke", "request", "read"},
	"access_log":   {"read"},
	"access":       {"report_undelivered"}, // the reader's report that a granted access released nothing
	"break_glass":  {"review", "read"},
	"campaign":     {"create", "update", "open", "close", "cancel", "read"},
	"milestone":    {"submit_evidence", "approve", "reject", "settle"},
	"gift":         {"give", "read"},
	"disbursement": {"create", "confirm", "read"},
	"claim":        {"submit", "review", "adjudicate", "pay", "appeal", "cancel", "read"},
	"report":       {"read"},
	"chain":        {"read", "follow"}, // follow: the whole chain through the node API
}

// Roles returns the roles rules may name, RoleMember included.
func Roles() []string { return slices.Clone(roles) }

// Actions returns the actions defined on a kind of resource (nil if the
// kind is unknown).
func Actions(obj string) []string { return slices.Clone(catalog[obj]) }

// Objects returns the catalogue's resource kinds in sorted order.
func Objects() []string {
	out := make([]string, 0, len(catalog))
	for o := range catalog {
		out = append(out, o)
	}
	slices.Sort(out)
	return out
}

var conds = []string{CondAny, CondOwn, CondOrg, CondConsent}
