package schema

import (
	"context"
	"errors"
	"fmt"
	"maps"

	"github.com/graphql-go/graphql"

	"github.com/almoner/almoner/consortium-node/tx"
)

// TxMutation defines a mutation that signs one transaction as the viewer:
// its GraphQL shape, the policy object and action its contract asks
// about, and Plan, which turns the arguments into the contract call and
// the resources the call acts on. Builder.TxMutation registers it and
// runs every call the same way:
//
//	authenticate (write scope) → Plan (arguments; BAD_USER_INPUT, NOT_FOUND)
//	→ ask the policy (FORBIDDEN, nothing signed) → Stage (uploads, keys)
//	→ sign → submit → wait (when asked) → Done (result)
//
// The node's refusals are answered by its reason (rejected: FORBIDDEN,
// BAD_USER_INPUT, UNAVAILABLE, CONFLICT); an unreachable node is
// UNAVAILABLE. Every module's transaction mutations are defined so.
type TxMutation struct {
	Name, Description string
	// Args are the GraphQL arguments; a "wait" argument is added unless
	// Wait is set.
	Args graphql.FieldConfigArgument
	// Object and Action are what the policy is asked about the
	// resources Plan names (the contract asks the same).
	Object, Action string
	// Type is the result's type (default TxResult!).
	Type graphql.Output
	// Wait: always wait for the commit (the mutation has no wait
	// argument: it reads what the transaction committed).
	Wait bool
	// Plan checks the arguments of account's call and returns the call.
	Plan func(ctx context.Context, account string, in map[string]any) (*TxPlan, error)
}

// Call is a contract call to sign.
type Call struct {
	Contract, Method string
	Args             []tx.Arg
}

// Resource is what a call acts on, as the contract names it to the
// policy: its owner ("" for none) and the organisation holding it ("" for
// none).
type Resource struct{ Owner, Org string }

// TxPlan is one call of a TxMutation, planned from its arguments.
type TxPlan struct {
	Call Call
	// On lists the resources the call acts on as the read model knows
	// them: the policy must let the account do the mutation's Action on
	// its Object for one of them, or nothing is signed (FORBIDDEN).
	On []Resource
	// Refused is the FORBIDDEN message ("": one made from the question,
	// saying nothing was signed).
	Refused string
	// LeftToLedger says why On is empty: the read model does not hold the
	// resource yet, or the ledger decides and records every request (a
	// record access). A plan with neither is a programming error
	// (INTERNAL, nothing signed).
	LeftToLedger string
	// Stage, when set, runs once the policy allowed the call and before
	// it is signed: checks worth making only then, uploads whose hash
	// the call carries, keys. It may change the call's arguments; a
	// non-nil answer is the mutation's result, and nothing is signed
	// (an earlier attempt already committed).
	Stage func(ctx context.Context, call *Call) (answer any, err error)
	// Done, when set, maps the submission's outcome (res nil when err is
	// not) to the mutation's result; without it the result is res.
	Done func(ctx context.Context, res *TxResult, err error) (any, error)
}

// waitArg is the "wait" argument of every mutation that may wait.
func waitArg() *graphql.ArgumentConfig {
	return &graphql.ArgumentConfig{Type: graphql.Boolean, DefaultValue: false, Description: "Wait for the commit and return the receipt."}
}

// TxMutation registers m as a root mutation field.
func (b *Builder) TxMutation(m TxMutation) error {
	if m.Name == "" || m.Object == "" || m.Action == "" || m.Plan == nil {
		return fmt.Errorf("schema: transaction mutation %q needs a name, a policy object and action, and a plan", m.Name)
	}
	args := graphql.FieldConfigArgument{}
	for k, v := range m.Args {
		args[k] = v
	}
	if !m.Wait {
		args["wait"] = waitArg()
	}
	t := m.Type
	if t == nil {
		tr, ok := b.Type("TxResult").(*graphql.Object)
		if !ok {
			return errors.New("schema: the core module's TxResult type is missing")
		}
		t = graphql.NewNonNull(tr)
	}
	cfg := b.Cfg
	if err := b.Mutation(m.Name, &graphql.Field{Type: t, Description: m.Description, Args: args,
		Resolve: func(p graphql.ResolveParams) (any, error) { return cfg.runTx(p.Context, &m, p.Args) }}); err != nil {
		return err
	}
	b.txs[m.Name] = [2]string{m.Object, m.Action}
	return nil
}

// runTx runs one call of m with arguments in.
func (c *Config) runTx(ctx context.Context, m *TxMutation, in map[string]any) (any, error) {
	p, err := writer(ctx)
	if err != nil {
		return nil, err
	}
	plan, err := m.Plan(ctx, p.Account, in)
	if err != nil {
		return nil, err
	}
	if err := c.precheck(ctx, m, plan); err != nil {
		return nil, err
	}
	call := plan.Call
	if plan.Stage != nil {
		answer, err := plan.Stage(ctx, &call)
		if err != nil || answer != nil {
			return answer, err
		}
	}
	wait := m.Wait
	if !wait {
		wait, _ = in["wait"].(bool)
	}
	res, err := submit(ctx, c, call.Contract, call.Method, call.Args, wait)
	if plan.Done != nil {
		return plan.Done(ctx, res, err)
	}
	if err != nil {
		return nil, err
	}
	return res, nil
}

// precheck asks the policy, before anything is signed, what the contract
// will ask it: m's action on m's object for one of plan's resources.
func (c *Config) precheck(ctx context.Context, m *TxMutation, plan *TxPlan) error {
	if len(plan.On) == 0 {
		if plan.LeftToLedger == "" {
			return internal(ctx, c.Logger, "mutation "+m.Name, errors.New("the plan names no resource and does not say why"))
		}
		return nil
	}
	for _, r := range plan.On {
		ok, err := c.Allowed(ctx, Question{Obj: m.Object, Act: m.Action, Owner: r.Owner, Org: r.Org})
		if err != nil || ok {
			return err
		}
	}
	if plan.Refused != "" {
		return Forbidden(plan.Refused)
	}
	r := plan.On[0]
	return Forbidden(Question{Obj: m.Object, Act: m.Action, Owner: r.Owner, Org: r.Org}.refusal() + " (nothing was signed)")
}

// TxMutations returns the policy object and action of every transaction
// mutation of the schema, by name.
func (s *Schema) TxMutations() map[string][2]string { return maps.Clone(s.txs) }
