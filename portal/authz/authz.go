// Package authz gives the portal the same casbin enforcer the nodes run
// inside execution (package policies), in step with the chain the read
// model follows: a read-model module keeps the policy rules (from the
// genesis file, then every governance policy_changed event, which carries
// the rules it adds and removes) and a version that every policy or role
// change bumps; Policy rebuilds its enforcer from the read model's rules
// and members when that version moves. So the portal decides what a user
// may see and do on the policy as of the block its read model has applied.
package authz

import (
	"fmt"
	"strconv"
	"strings"
	"sync"

	governance "github.com/almoner/almoner/consortium-node/contracts/governance/vocab"
	identity "github.com/almoner/almoner/consortium-node/contracts/identity/vocab"
	"github.com/almoner/almoner/consortium-node/genesis"
	"github.com/almoner/almoner/policies"
	"github.com/almoner/almoner/portal/readmodel"
)

// ModuleName is the read-model module's name.
const ModuleName = "policy"

const versionKey = "version"

func ruleKey(r policies.Rule) string { return "rule/" + r.Key() }

// Module returns the read-model module that indexes the policy.
func Module() readmodel.Module {
	bump := func(w *readmodel.Txn, _ readmodel.Event) error { return bumpVersion(w) }
	return readmodel.Module{
		Name: ModuleName,
		Genesis: func(w *readmodel.Txn, g *genesis.File) error {
			rules, err := g.Rules()
			if err != nil {
				return err
			}
			for _, r := range rules {
				w.Put(ruleKey(r), []byte(r.String()))
			}
			return bumpVersion(w)
		},
		Events: map[string]readmodel.EventFunc{
			governance.Name + "." + governance.EventPolicyChanged: policyChanged,
			identity.Name + "." + identity.EventMemberAdded:       bump,
			identity.Name + "." + identity.EventRolesChanged:      bump,
			identity.Name + "." + identity.EventMemberRevoked:     bump,
			identity.Name + "." + identity.EventOrgAdded:          bump,
			identity.Name + "." + identity.EventOrgRemoved:        bump,
		},
	}
}

func bumpVersion(w *readmodel.Txn) error {
	var v uint64
	if b, ok, err := w.Get(versionKey); err != nil {
		return err
	} else if ok {
		v, _ = strconv.ParseUint(string(b), 10, 64)
	}
	w.Put(versionKey, []byte(strconv.FormatUint(v+1, 10)))
	return nil
}

func policyChanged(w *readmodel.Txn, ev readmodel.Event) error {
	for _, a := range ev.Attrs {
		r, err := policies.ParseRule(a.Value)
		if err != nil {
			return fmt.Errorf("authz: policy_changed at height %d: %w", ev.Height, err)
		}
		switch a.Key {
		case "add":
			w.Put(ruleKey(r), []byte(r.String()))
		case "remove":
			w.Delete(ruleKey(r))
		}
	}
	return bumpVersion(w)
}

// Policy is the portal's enforcer, rebuilt from the read model when the
// policy or any role changes.
type Policy struct {
	store   *readmodel.Store
	mu      sync.Mutex
	version string
	e       *policies.Enforcer
}

// New returns a Policy over store (whose registry includes Module()).
func New(store *readmodel.Store) *Policy { return &Policy{store: store} }

// source reads rules and assignments from the read model.
type source struct{ s *readmodel.Store }

func (src source) Rules() ([]policies.Rule, error) {
	var out []policies.Rule
	var perr error
	err := src.s.Scan(ModuleName, "rule/", "", false, func(_ string, v []byte) bool {
		r, err := policies.ParseRule(string(v))
		if err != nil {
			perr = err
			return false
		}
		out = append(out, r)
		return true
	})
	if err == nil {
		err = perr
	}
	return out, err
}

func (src source) Assignments() ([]policies.Assignment, error) {
	orgs, err := src.s.Orgs()
	if err != nil {
		return nil, err
	}
	var out []policies.Assignment
	for _, o := range orgs {
		after := ""
		for {
			ms, more, err := src.s.Members(o.ID, after, 500)
			if err != nil {
				return nil, err
			}
			for _, m := range ms {
				if !m.Revoked {
					out = append(out, policies.Assignment{Member: m.ID, Org: m.Org, Roles: m.Roles})
				}
				after = m.ID
			}
			if !more {
				break
			}
		}
	}
	return out, nil
}

// Enforcer returns the enforcer as of the read model's applied height.
func (p *Policy) Enforcer() (*policies.Enforcer, error) {
	v, err := p.store.Get(ModuleName, versionKey)
	if err != nil {
		return nil, fmt.Errorf("authz: the read model has no policy yet: %w", err)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.e != nil && string(v) == p.version {
		return p.e, nil
	}
	e, err := policies.New(source{p.store})
	if err != nil {
		return nil, fmt.Errorf("authz: building the enforcer: %w", err)
	}
	p.e, p.version = e, string(v)
	return e, nil
}

// Allowed decides whether member may do act on obj, with the same request
// shape the contracts use.
func (p *Policy) Allowed(member, obj, act, owner, org string, consent bool) (bool, error) {
	e, err := p.Enforcer()
	if err != nil {
		return false, err
	}
	dom, _, _ := strings.Cut(member, "/")
	d, err := e.Enforce(policies.Request{Sub: member, Dom: dom, Obj: obj, Act: act, Owner: owner, Org: org, Consent: consent})
	return d.Allowed, err
}
