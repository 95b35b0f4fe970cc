package schema

import (
	"context"
	"fmt"
	"strings"
)

// Question is one question to the policy in force, asked for the
// signed-in account the way the contracts ask it: may the account do Act
// on Obj, owned by Owner ("" for none) and held by Org ("" for none: the
// consortium's)?
type Question struct {
	Obj, Act, Owner, Org string
}

// Allowed asks the policy in force (governance changes it; the portal
// follows it at the read model's height) whether the signed-in account
// may do what q asks. It is the one way resolvers, queries and
// mutations alike, ask the policy: no resolver names a role. Anonymous
// callers get UNAUTHENTICATED; a policy that cannot answer is INTERNAL.
func (c *Config) Allowed(ctx context.Context, q Question) (bool, error) {
	v, err := viewer(ctx)
	if err != nil {
		return false, err
	}
	ok, err := c.Policy.Allowed(v.Account, q.Obj, q.Act, q.Owner, q.Org, false)
	if err != nil {
		return false, internal(ctx, c.Logger, "policy "+q.Obj+" "+q.Act, err)
	}
	return ok, nil
}

// Require is Allowed that answers FORBIDDEN with refused (a message for
// the user; "" for one made from q) when the policy says no.
func (c *Config) Require(ctx context.Context, q Question, refused string) error {
	ok, err := c.Allowed(ctx, q)
	if err != nil {
		return err
	}
	if !ok {
		if refused == "" {
			refused = q.refusal()
		}
		return Forbidden(refused)
	}
	return nil
}

// refusal is the default answer to a question the policy refused.
func (q Question) refusal() string {
	of := ""
	if q.Org != "" {
		of = " of " + q.Org
	}
	return fmt.Sprintf("the policy does not let you %s this %s%s", strings.ReplaceAll(q.Act, "_", " "), q.Obj, of)
}
