package policies

import (
	"context"

	"github.com/casbin/casbin/v2/model"
	"github.com/casbin/casbin/v2/persist"
)

// Adapter is a read-only casbin persist.Adapter over a Source: the node's
// Source reads the ledger state, so what casbin loads is exactly what the
// chain holds at the node's head. Its write methods fail with ErrReadOnly:
// the policy changes only by governance proposals, applied block by block
// (Enforcer.Apply), the same way on every node.
type Adapter struct {
	Src Source
}

var (
	_ persist.Adapter        = (*Adapter)(nil)
	_ persist.ContextAdapter = (*Adapter)(nil)
)

// LoadPolicy implements persist.Adapter.
func (a *Adapter) LoadPolicy(m model.Model) error {
	rs, err := a.Src.Rules()
	if err != nil {
		return err
	}
	for _, r := range rs {
		if err := r.Validate(); err != nil {
			return err
		}
		if err := persist.LoadPolicyArray(append([]string{"p"}, r.Strings()...), m); err != nil {
			return err
		}
	}
	as, err := a.Src.Assignments()
	if err != nil {
		return err
	}
	// casbin's subjects are role keys, not members (Enforcer): a g row per
	// role of each distinct key.
	seen := map[string]bool{}
	for _, a := range as {
		rk := roleKey(a)
		if seen[rk] {
			continue
		}
		seen[rk] = true
		for _, row := range roleRows(rk) {
			if err := persist.LoadPolicyArray(append([]string{"g"}, row...), m); err != nil {
				return err
			}
		}
	}
	return nil
}

// SavePolicy implements persist.Adapter; it always fails.
func (a *Adapter) SavePolicy(model.Model) error { return ErrReadOnly }

// AddPolicy implements persist.Adapter; it always fails.
func (a *Adapter) AddPolicy(string, string, []string) error { return ErrReadOnly }

// RemovePolicy implements persist.Adapter; it always fails.
func (a *Adapter) RemovePolicy(string, string, []string) error { return ErrReadOnly }

// RemoveFilteredPolicy implements persist.Adapter; it always fails.
func (a *Adapter) RemoveFilteredPolicy(string, string, int, ...string) error { return ErrReadOnly }

// LoadPolicyCtx implements persist.ContextAdapter.
func (a *Adapter) LoadPolicyCtx(_ context.Context, m model.Model) error { return a.LoadPolicy(m) }

// SavePolicyCtx implements persist.ContextAdapter; it always fails.
func (a *Adapter) SavePolicyCtx(context.Context, model.Model) error { return ErrReadOnly }

// AddPolicyCtx implements persist.ContextAdapter; it always fails.
func (a *Adapter) AddPolicyCtx(context.Context, string, string, []string) error { return ErrReadOnly }

// RemovePolicyCtx implements persist.ContextAdapter; it always fails.
func (a *Adapter) RemovePolicyCtx(context.Context, string, string, []string) error {
	return ErrReadOnly
}

// RemoveFilteredPolicyCtx implements persist.ContextAdapter; it always fails.
func (a *Adapter) RemoveFilteredPolicyCtx(context.Context, string, string, int, ...string) error {
	return ErrReadOnly
}
