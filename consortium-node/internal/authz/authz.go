// Package authz connects the ledger state to the policies enforcer: it
// loads the policy rules (governance state) and the members' roles
// (identity state) into a policies.Enforcer, and turns each committed
// block's state writes into the policies.Update that brings the enforcer
// to the state after the block. The node applies that update between
// blocks, so block N+1 is authorised, on every node, by the policy and
// roles as of the end of block N.
//
// It imports the governance and identity contracts' state formats, the
// contracts runtime (its state scan), the ledger types and policies.
//
// It is one of the node's engine packages under consortium-node/internal/:
// only the node daemon, its CLI and the packages under consortium-node/
// (nodetest for tests elsewhere) may import it; the portal cannot.
package authz

import (
	"fmt"
	"strings"

	"github.com/almoner/almoner/consortium-node/contracts"
	"github.com/almoner/almoner/consortium-node/contracts/governance"
	governancevocab "github.com/almoner/almoner/consortium-node/contracts/governance/vocab"
	"github.com/almoner/almoner/consortium-node/contracts/identity"
	"github.com/almoner/almoner/consortium-node/ledger"
	"github.com/almoner/almoner/policies"
)

// ScanFunc calls fn for every state key with prefix, in key order, until
// fn returns false (store.Store.ScanState has this shape).
type ScanFunc func(prefix string, fn func(key string, value []byte) bool) error

// memberPrefix is the full state key prefix of member records.
var memberPrefix = identity.MemberStateKey("")

// source reads a policies.Source from state.
type source struct{ scan ScanFunc }

func (s source) Rules() ([]policies.Rule, error) { return governance.LoadRules(s.scan) }

func (s source) Assignments() ([]policies.Assignment, error) {
	var out []policies.Assignment
	err := contracts.ScanDecoded(s.scan, memberPrefix, identity.DecodeMember, func(m *identity.Member) {
		if !m.Revoked {
			out = append(out, policies.Assignment{Member: m.ID, Org: m.Org, Roles: m.Roles})
		}
	})
	return out, err
}

// Load builds an enforcer from the state scan reads.
func Load(scan ScanFunc) (*policies.Enforcer, error) {
	e, err := policies.New(source{scan})
	if err != nil {
		return nil, fmt.Errorf("authz: loading the policy from state: %w", err)
	}
	return e, nil
}

// UpdateFor returns the enforcer update for a block's state writes.
func UpdateFor(writes []ledger.StateWrite) (policies.Update, error) {
	var u policies.Update
	for _, w := range writes {
		switch {
		case strings.HasPrefix(w.Key, governancevocab.PolicyPrefix):
			r, err := policies.RuleFromStrings(strings.Split(strings.TrimPrefix(w.Key, governancevocab.PolicyPrefix),
				"|"))
			if err != nil {
				return u, fmt.Errorf("authz: policy key %q: %w", w.Key, err)
			}
			if w.Deleted {
				u.RemoveRules = append(u.RemoveRules, r)
			} else {
				u.AddRules = append(u.AddRules, r)
			}
		case strings.HasPrefix(w.Key, memberPrefix):
			id := strings.TrimPrefix(w.Key, memberPrefix)
			if w.Deleted {
				u.Remove = append(u.Remove, id)
				continue
			}
			m, err := identity.DecodeMember(w.Value)
			if err != nil {
				return u, err
			}
			if m.Revoked {
				u.Remove = append(u.Remove, m.ID)
			} else {
				u.Set = append(u.Set, policies.Assignment{Member: m.ID, Org: m.Org, Roles: m.Roles})
			}
		}
	}
	return u, nil
}
