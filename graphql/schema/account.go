package schema

import (
	"context"
	"errors"
	"github.com/almoner/almoner/consortium-node/contracts/identity/memberid"
	"regexp"
	"strings"

	"github.com/graphql-go/graphql"

	"github.com/almoner/almoner/consortium-node/api"
	identityvocab "github.com/almoner/almoner/consortium-node/contracts/identity/vocab"
	"github.com/almoner/almoner/consortium-node/tx"
	"github.com/almoner/almoner/portal/readmodel"
	"github.com/almoner/almoner/portal/session"
)

// memberIDPattern is the ledger's member id shape (<org>/<name>, a-z 0-9
// - _ .), checked before any key is generated; the ledger checks again.
var memberIDPattern = regexp.MustCompile(`^[a-z0-9._-]+/[a-z0-9._-]+$`)

// browserSession requires a signed-in browser session with the write
// scope (account changes are not for API tokens).
func browserSession(ctx context.Context, what string) (*session.Principal, error) {
	if p := Principal(ctx); p != nil && p.MustChangePassword && p.Via == "session" && what == changingPassword {
		return p, nil // the one thing an initial password allows
	}
	p, err := writer(ctx)
	if err != nil {
		return nil, err
	}
	if p.Via != "session" {
		return nil, Errorf(CodeForbidden, what+" only from a signed-in browser session")
	}
	return p, nil
}

// memberRefused is the answer when the policy does not let the viewer do
// act on members of org (member act, as the identity contract asks it:
// owned by the member, held by its organisation).
func memberRefused(act, org string) string {
	return "the policy does not let you " + strings.ReplaceAll(act, "_", " ") + " members of " + org +
		" (member " + act + ": by default its organisation admins)"
}

// registerIdentity adds setMemberRoles and revokeMember.
func registerIdentity(b *Builder) error {
	cfg := b.Cfg
	nn := graphql.NewNonNull
	// onMember plans an identity call on an existing member: NOT_FOUND
	// when the read model has none.
	onMember := func(ctx context.Context, id, act, method string, args []tx.Arg) (*TxPlan, error) {
		target, err := Found(ctx, cfg.Logger, "member", cfg.Store.Member, id)
		if err != nil {
			return nil, err
		}
		if target == nil {
			return nil, Errorf(CodeNotFound, "no such member")
		}
		return &TxPlan{Call: Call{Contract: identityvocab.Name, Method: method, Args: args},
			On: []Resource{{Owner: target.ID, Org: memberid.OrgOf(target.ID)}}, Refused: memberRefused(act, memberid.OrgOf(target.ID))}, nil
	}
	err := b.TxMutation(TxMutation{Name: "setMemberRoles", Object: "member", Action: "set_roles",
		Description: "identity.set_roles: replace a member's roles (organisation admins of the member's organisation).",
		Args:        graphql.FieldConfigArgument{"member": {Type: nn(graphql.ID)}, "roles": {Type: nn(graphql.NewList(nn(graphql.String)))}},
		Plan: func(ctx context.Context, _ string, in map[string]any) (*TxPlan, error) {
			id := in["member"].(string)
			var roles []string
			for _, r := range in["roles"].([]any) {
				roles = append(roles, r.(string))
			}
			return onMember(ctx, id, "set_roles", identityvocab.MethodSetRoles,
				[]tx.Arg{tx.String(identityvocab.ArgID, id), tx.Strings(identityvocab.ArgRoles, roles)})
		}})
	if err != nil {
		return err
	}
	return b.TxMutation(TxMutation{Name: "revokeMember", Object: "member", Action: "revoke",
		Description: "identity.revoke_member (organisation admins of the member's organisation).",
		Args:        graphql.FieldConfigArgument{"member": {Type: nn(graphql.ID)}},
		Plan: func(ctx context.Context, _ string, in map[string]any) (*TxPlan, error) {
			id := in["member"].(string)
			return onMember(ctx, id, "revoke", identityvocab.MethodRevokeMember,
				[]tx.Arg{tx.String(identityvocab.ArgID, id)})
		}})
}

// newMember is what createMember returns.
type newMember struct {
	id       string
	password string
	tx       *TxResult
}

const changingPassword = "a password is changed"

// registerAccount adds changePassword and createMember.
func registerAccount(b *Builder, txResult, member *graphql.Object) error {
	cfg := b.Cfg
	nn := graphql.NewNonNull
	err := b.Mutation("changePassword", &graphql.Field{
		Type: nn(graphql.NewObject(graphql.ObjectConfig{Name: "PasswordChanged", Fields: graphql.Fields{
			"endedSessions": {Type: nn(graphql.Int), Description: "How many other sessions of the account were ended."},
		}})),
		Description: "Change the signed-in account's password (browser sessions only): the current password is required; every other session of the account ends (API tokens stay valid: revoke them with revokeApiToken).",
		Args: graphql.FieldConfigArgument{
			"currentPassword": {Type: nn(graphql.String)},
			"newPassword":     {Type: nn(graphql.String), Description: "At least the portal's minimum length (12 by default)."},
		},
		Resolve: func(p graphql.ResolveParams) (any, error) {
			pr, err := browserSession(p.Context, changingPassword)
			if err != nil {
				return nil, err
			}
			ended, err := cfg.Sessions.ChangePassword(pr.Account, p.Args["currentPassword"].(string), p.Args["newPassword"].(string), pr.SessionID)
			switch {
			case errors.Is(err, session.ErrBadCredentials):
				return nil, Errorf(CodeForbidden, "the current password is wrong")
			case errors.Is(err, session.ErrThrottled):
				return nil, Errorf(CodeRateLimited, "too many wrong passwords; try again in a few minutes")
			case errors.Is(err, session.ErrInvalid):
				return nil, Errorf(CodeBadUserInput, strings.TrimPrefix(err.Error(), "session: invalid argument: "))
			case err != nil:
				return nil, internal(p.Context, cfg.Logger, "change password", err)
			}
			cfg.Logger.InfoContext(p.Context, "password changed", "account", pr.Account, "ended_sessions", ended)
			return map[string]any{"endedSessions": ended}, nil
		},
	})
	if err != nil {
		return err
	}

	newMemberT := graphql.NewObject(graphql.ObjectConfig{Name: "NewMember", Fields: graphql.Fields{
		"id": {Type: nn(graphql.ID), Resolve: func(p graphql.ResolveParams) (any, error) { return p.Source.(*newMember).id, nil }},
		"member": {Type: member, Description: "The member as the read model has it (null unless the transaction succeeded).",
			Resolve: func(p graphql.ResolveParams) (any, error) {
				nm := p.Source.(*newMember)
				if nm.password == "" {
					return nil, nil
				}
				return thunk(LoadersFrom(p.Context).Member.Load(p.Context, nm.id)), nil
			}},
		"initialPassword": {Type: graphql.String, Description: "The new account's password, shown once (null unless the transaction succeeded); the member should change it at first sign-in.",
			Resolve: func(p graphql.ResolveParams) (any, error) {
				if pw := p.Source.(*newMember).password; pw != "" {
					return pw, nil
				}
				return nil, nil
			}},
		"transaction": {Type: txResult, Description: "identity.add_member, committed (FAILED with the ledger's reason when it refused); null when this call finished an earlier one whose member had committed.",
			Resolve: func(p graphql.ResolveParams) (any, error) {
				if t := p.Source.(*newMember).tx; t != nil {
					return t, nil
				}
				return nil, nil
			}},
	}})
	return b.TxMutation(TxMutation{Name: "createMember", Object: "member", Action: "add", Type: nn(newMemberT), Wait: true,
		Description: "identity.add_member (organisation admins of the new member's organisation, browser sessions only): generates the member's signing and encryption keys in the portal keystore, signs add_member with the admin's key, waits for the commit, and creates the member's portal account with a random initial password returned once.",
		Args: graphql.FieldConfigArgument{
			"id":    {Type: nn(graphql.ID), Description: "<organisation>/<name>: a-z, 0-9, '-', '_', '.'."},
			"roles": {Type: nn(graphql.NewList(nn(graphql.String)))},
		},
		Plan: func(ctx context.Context, _ string, in map[string]any) (*TxPlan, error) {
			return createMember(ctx, cfg, in)
		},
	})
}

// createMember plans identity.add_member: keys are made once the policy
// allowed it (Stage), and the account once the ledger added the member
// (Done); a member whose transaction committed in an earlier call gets
// its account without a new transaction.
func createMember(ctx context.Context, cfg *Config, args map[string]any) (*TxPlan, error) {
	pr, err := browserSession(ctx, "members are created")
	if err != nil {
		return nil, err
	}
	id := args["id"].(string)
	var roles []string
	for _, r := range args["roles"].([]any) {
		roles = append(roles, r.(string))
	}
	if len(id) > 128 || !memberIDPattern.MatchString(id) {
		return nil, Errorf(CodeBadUserInput, "id must be <organisation>/<name> using a-z, 0-9, '-', '_' and '.'")
	}
	if len(roles) == 0 {
		return nil, Errorf(CodeBadUserInput, "give the member at least one role")
	}
	org := memberid.OrgOf(id)
	created := false // this call made the member's keys
	discard := func() {
		if !created {
			return // an earlier attempt's transaction may still commit with them
		}
		if err := cfg.Keys.Discard(id); err != nil {
			cfg.Logger.ErrorContext(ctx, "discarding a refused member's keys", "member", id, "err", err)
		}
	}
	return &TxPlan{
		Call: Call{Contract: identityvocab.Name, Method: identityvocab.MethodAddMember,
			Args: []tx.Arg{tx.String(identityvocab.ArgID, id), tx.Strings(identityvocab.ArgRoles, roles)}},
		On: []Resource{{Owner: id, Org: org}}, Refused: memberRefused("add", org),
		Stage: func(ctx context.Context, call *Call) (any, error) {
			if cfg.Sessions.HasAccount(id) {
				return nil, Errorf(CodeConflict, "the portal already has an account "+id)
			}
			if m, err := cfg.Store.Member(id); err == nil {
				if m.Revoked || !cfg.Keys.Has(id) {
					return nil, Errorf(CodeConflict, "member "+id+" already exists")
				}
				// An earlier createMember committed but did not get to
				// create the account (its wait timed out, or the account
				// store failed): finish it.
				return newAccount(ctx, cfg, pr.Account, &newMember{id: id})
			} else if !errors.Is(err, readmodel.ErrNotFound) {
				return nil, internal(ctx, cfg.Logger, "member", err)
			}
			// Keys first, so that a member the ledger adds always has
			// them here; a retry after a timeout reuses them.
			pub, made, err := cfg.Keys.EnsureKeys(id)
			if err != nil {
				return nil, internal(ctx, cfg.Logger, "member keys", err)
			}
			created = made
			call.Args = append(call.Args, tx.String(identityvocab.ArgSignKey, pub.Sign),
				tx.String(identityvocab.ArgEncKey, pub.Enc))
			return nil, nil
		},
		Done: func(ctx context.Context, res *TxResult, err error) (any, error) {
			if err != nil {
				var ue *Error
				if errors.As(err, &ue) && (ue.Code == CodeConflict || ue.Code == CodeBadUserInput) {
					discard() // refused before ordering: it never commits
				}
				return nil, err
			}
			if res.Status != api.StatusCommitted || res.Receipt == nil {
				return nil, Errorf(CodeUnavailable, "the member's transaction "+res.ID.String()+" did not commit in time; call createMember again once it has")
			}
			out := &newMember{id: id, tx: res}
			if !res.Receipt.OK() {
				discard()
				return out, nil
			}
			return newAccount(ctx, cfg, pr.Account, out)
		},
	}, nil
}

// newAccount creates the portal account of a member just added, with a
// random password returned once.
func newAccount(ctx context.Context, cfg *Config, admin string, nm *newMember) (*newMember, error) {
	pw, err := session.GeneratePassword()
	if err != nil {
		return nil, internal(ctx, cfg.Logger, "password", err)
	}
	if err := cfg.Sessions.CreateInitialAccount(nm.id, pw); errors.Is(err, session.ErrExists) {
		return nil, Errorf(CodeConflict, "the portal already has an account "+nm.id)
	} else if err != nil {
		return nil, internal(ctx, cfg.Logger, "create account", err)
	}
	nm.password = pw
	cfg.Logger.InfoContext(ctx, "member account created", "member", nm.id, "by", admin)
	return nm, nil
}
