// Package policies owns Almoner's authorisation (DESIGN decision 8): the
// casbin model (model.conf: RBAC with organisation domains, deny-override,
// and ABAC clauses for own data, own organisation and active consent), the
// default policy (default.csv, minimum necessary, role by role in
// docs/policies.md), the vocabulary rules may use (Catalog), and the
// Enforcer that the node runs inside transaction execution and the portal
// runs for reads.
//
// The policy lives in ledger state. Adapter is a read-only casbin adapter
// over a Source (the node reads state); changes arrive block by block as
// an Update, applied between blocks so that every node and portal enforces
// the same rules from the same height. Rules name roles, never members, so
// decisions are cached by role set; a rule change drops the cache.
//
// This package imports no ledger code: the node and the portal translate
// their state into Rules and Assignments.
package policies
