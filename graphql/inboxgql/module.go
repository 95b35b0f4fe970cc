package inboxgql

import (
	"errors"
	"slices"
	"strings"

	"github.com/graphql-go/graphql"

	"github.com/almoner/almoner/graphql/schema"
	"github.com/almoner/almoner/portal/inbox"
	"github.com/almoner/almoner/portal/readmodel"
	"github.com/almoner/almoner/portal/session"
)

// Module is the inbox GraphQL module; pass New() to schema.Build.
type Module struct{}

// New returns the module.
func New() Module { return Module{} }

// Name implements schema.Module.
func (Module) Name() string { return "inbox" }

type mod struct {
	cfg *schema.Config
	rd  *inbox.Reader
}

var nn = graphql.NewNonNull

func field[T any](t graphql.Output, get func(T) any, desc ...string) *graphql.Field {
	return schema.Field("inboxgql", t, get, desc...)
}

// Register implements schema.Module.
func (Module) Register(b *schema.Builder) error {
	if b.Cfg.Sessions == nil {
		return errors.New("inboxgql: the portal's session store is missing")
	}
	m := &mod{cfg: b.Cfg, rd: inbox.NewReader(b.Cfg.Store)}
	kindValues := graphql.EnumValueConfigMap{}
	for _, k := range inbox.Kinds() {
		kindValues[strings.ToUpper(k)] = &graphql.EnumValueConfig{Value: k}
	}
	kind := graphql.NewEnum(graphql.EnumConfig{Name: "NotificationKind", Values: kindValues,
		Description: "ACCESS: someone read or tried to read one of my records; BREAK_GLASS: an emergency access to one; " +
			"CONSENT_REQUEST: staff asked for my consent; CLAIM: a claim for my care changed; GIFT: my gift was disbursed or refunded."})
	notice := graphql.NewObject(graphql.ObjectConfig{Name: "Notice", Fields: graphql.Fields{
		"id":     field(nn(graphql.ID), func(n *inbox.Notice) any { return n.ID }),
		"kind":   field(nn(kind), func(n *inbox.Notice) any { return n.Kind }),
		"text":   field(nn(graphql.String), func(n *inbox.Notice) any { return n.Text }, "What happened, in words."),
		"ref":    field(graphql.ID, func(n *inbox.Notice) any { return schema.OptString(n.Ref) }, "The record, consent, claim or gift."),
		"time":   field(nn(graphql.String), func(n *inbox.Notice) any { return schema.RFC3339Nano(n.Time) }, "Block time."),
		"height": field(nn(graphql.Int), func(n *inbox.Notice) any { return int(n.Height) }),
		"txId":   field(nn(graphql.ID), func(n *inbox.Notice) any { return n.TxID }),
	}})
	box := graphql.NewObject(graphql.ObjectConfig{Name: "Inbox", Fields: graphql.Fields{
		"unread":      field(nn(graphql.Int), func(i *inboxPage) any { return i.unread }, "Unread notices of kinds switched on (at most 100)."),
		"notices":     field(nn(graphql.NewList(nn(notice))), func(i *inboxPage) any { return i.notices }),
		"hasNextPage": field(nn(graphql.Boolean), func(i *inboxPage) any { return i.more }),
		"endCursor":   field(graphql.String, func(i *inboxPage) any { return i.end }, "Pass as after for the next page."),
	}})
	settings := graphql.NewObject(graphql.ObjectConfig{Name: "NotificationSettings", Fields: graphql.Fields{
		"kinds": field(nn(graphql.NewList(nn(kind))), func(p *settingsT) any { return p.on }, "Kinds switched on."),
		"muted": field(nn(graphql.NewList(nn(kind))), func(p *settingsT) any { return p.off }, "Kinds switched off."),
	}})
	if err := b.Query("inbox", &graphql.Field{Type: nn(box),
		Description: "The viewer's notices, newest first (kinds switched off are left out), and how many are unread.",
		Args: graphql.FieldConfigArgument{
			"first": {Type: graphql.Int, DefaultValue: 20, Description: "At most 100."},
			"after": {Type: graphql.String},
		},
		Resolve: func(p graphql.ResolveParams) (any, error) { return m.inbox(p) }}); err != nil {
		return err
	}
	if err := b.Query("notificationSettings", &graphql.Field{Type: nn(settings),
		Resolve: func(p graphql.ResolveParams) (any, error) {
			_, prefs, err := m.prefs(p, false)
			if err != nil {
				return nil, err
			}
			return newSettings(prefs), nil
		}}); err != nil {
		return err
	}
	if err := b.Mutation("setNotifications", &graphql.Field{Type: nn(settings),
		Description: "Switch kinds of notices on and off (a portal setting, not a transaction).",
		Args:        graphql.FieldConfigArgument{"muted": {Type: nn(graphql.NewList(nn(kind))), Description: "The kinds to switch off."}},
		Resolve: func(p graphql.ResolveParams) (any, error) {
			v, prefs, err := m.prefs(p, true)
			if err != nil {
				return nil, err
			}
			prefs.Muted = prefs.Muted[:0]
			for _, k := range p.Args["muted"].([]any) {
				if s, _ := k.(string); !slices.Contains(prefs.Muted, s) {
					prefs.Muted = append(prefs.Muted, s)
				}
			}
			if err := m.cfg.Sessions.SetPreferences(v, prefs); err != nil {
				return nil, schema.Internal(p.Context, m.cfg.Logger, "set notifications", err)
			}
			return newSettings(prefs), nil
		}}); err != nil {
		return err
	}
	if err := b.Mutation("markInboxRead", &graphql.Field{Type: nn(graphql.Int),
		Description: "Mark the viewer's notices up to and including upTo (default: the newest) as read; answers how many are unread.",
		Args:        graphql.FieldConfigArgument{"upTo": {Type: graphql.ID}},
		Resolve: func(p graphql.ResolveParams) (any, error) {
			v, prefs, err := m.prefs(p, true)
			if err != nil {
				return nil, err
			}
			upTo, _ := p.Args["upTo"].(string)
			if upTo == "" {
				xs, _, err := m.rd.Notices(v, "", 1)
				if err != nil {
					return nil, schema.Internal(p.Context, m.cfg.Logger, "inbox", err)
				}
				if len(xs) > 0 {
					upTo = xs[0].ID
				}
			}
			if upTo > prefs.ReadUpTo {
				prefs.ReadUpTo = upTo
				if err := m.cfg.Sessions.SetPreferences(v, prefs); err != nil {
					return nil, schema.Internal(p.Context, m.cfg.Logger, "mark read", err)
				}
			}
			n, err := m.rd.Unread(v, prefs.ReadUpTo, prefs.Muted, 100)
			if err != nil {
				return nil, schema.Internal(p.Context, m.cfg.Logger, "inbox", err)
			}
			return n, nil
		}}); err != nil {
		return err
	}
	return b.Subscription("inboxAlerts", &graphql.Field{Type: nn(notice),
		Description: "The viewer's new notices (kinds switched on) as their blocks are applied.",
		Subscribe: func(p graphql.ResolveParams) (any, error) {
			ctx := p.Context
			v, err := schema.Account(ctx)
			if err != nil {
				return nil, err
			}
			sub := m.cfg.Blocks.Subscribe(m.cfg.SubscriptionBuffer)
			return schema.Stream(ctx, sub, nil, func(blk *readmodel.Block) ([]any, error) {
				prefs, err := m.cfg.Sessions.Preferences(v)
				if err != nil {
					return nil, err
				}
				xs, _, err := m.rd.Notices(v, "", 64)
				if err != nil {
					return nil, err
				}
				var fresh []any
				for _, n := range slices.Backward(xs) { // oldest first
					if n.Height == blk.Height && !slices.Contains(prefs.Muted, n.Kind) {
						fresh = append(fresh, n)
					}
				}
				return fresh, nil
			}), nil
		},
	})
}

type inboxPage struct {
	unread  int
	notices []*inbox.Notice
	more    bool
	end     any
}

type settingsT struct{ on, off []string }

func newSettings(p *session.Preferences) *settingsT {
	s := &settingsT{on: []string{}, off: []string{}}
	for _, k := range inbox.Kinds() {
		if slices.Contains(p.Muted, k) {
			s.off = append(s.off, k)
		} else {
			s.on = append(s.on, k)
		}
	}
	return s
}

// prefs returns the viewer and their settings; write asks for a
// principal that may change things (not a read-only API token).
func (m *mod) prefs(p graphql.ResolveParams, write bool) (string, *session.Preferences, error) {
	pr := schema.Principal(p.Context)
	v, err := schema.Account(p.Context)
	if err != nil {
		return "", nil, err
	}
	if write && !pr.Can(session.ScopeWrite) {
		return "", nil, schema.ErrReadOnlyToken
	}
	prefs, err := m.cfg.Sessions.Preferences(v)
	if err != nil {
		return "", nil, schema.Internal(p.Context, m.cfg.Logger, "notification settings", err)
	}
	return v, prefs, nil
}

// inbox answers a page of the viewer's notices, leaving out muted kinds.
func (m *mod) inbox(p graphql.ResolveParams) (any, error) {
	v, prefs, err := m.prefs(p, false)
	if err != nil {
		return nil, err
	}
	first, _ := p.Args["first"].(int)
	if first < 1 || first > 100 {
		return nil, schema.BadInput("first: 1 to 100 notices")
	}
	after, _ := p.Args["after"].(string)
	out := &inboxPage{notices: []*inbox.Notice{}}
	for cur := after; len(out.notices) < first; {
		xs, more, err := m.rd.Notices(v, cur, first)
		if err != nil {
			return nil, schema.Internal(p.Context, m.cfg.Logger, "inbox", err)
		}
		for i, x := range xs {
			cur = x.ID
			if slices.Contains(prefs.Muted, x.Kind) {
				continue
			}
			out.notices = append(out.notices, x)
			if len(out.notices) == first {
				out.more = more || i < len(xs)-1
				break
			}
		}
		if !more {
			break
		}
	}
	if n := len(out.notices); n > 0 {
		out.end = out.notices[n-1].ID
	}
	if out.unread, err = m.rd.Unread(v, prefs.ReadUpTo, prefs.Muted, 100); err != nil {
		return nil, schema.Internal(p.Context, m.cfg.Logger, "inbox", err)
	}
	return out, nil
}
