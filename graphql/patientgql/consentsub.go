package patientgql

import (
	"slices"
	"strconv"

	"github.com/graphql-go/graphql"

	consentvocab "github.com/almoner/almoner/consortium-node/contracts/consent/vocab"
	"github.com/almoner/almoner/graphql/schema"
	"github.com/almoner/almoner/portal/patients"
	"github.com/almoner/almoner/portal/readmodel"
)

// ChangeLapsed is the kind of a consent change the ledger records no
// transaction for: an active consent whose period ended at a block's time.
const ChangeLapsed = "lapsed"

// consentUpdate is one message of consentChanges.
type consentUpdate struct {
	patient  string
	height   uint64
	time     int64 // block time, Unix nanoseconds
	changes  []consentUpdateChange
	consents []*patients.Consent
}

type consentUpdateChange struct {
	kind    string
	consent *patients.Consent
	by      string // "" for a lapse
	txID    string // "" for a lapse
}

func (m *mod) consentUpdateTypes() *graphql.Object {
	change := graphql.NewObject(graphql.ObjectConfig{Name: "ConsentUpdateChange", Description: "One change of a patient's consent in a block.", Fields: graphql.Fields{
		"kind": field(nn(graphql.String), func(c *consentUpdateChange) any { return c.kind },
			"granted, requested, accepted, declined, amended, revoked, or lapsed (the period ended at this block's time; the consent's status stays ACTIVE on the ledger but reads under it are refused)."),
		"consent": field(nn(m.consent), func(c *consentUpdateChange) any { return c.consent }, "The consent after this block."),
		"by":      field(graphql.ID, func(c *consentUpdateChange) any { return schema.OptString(c.by) }, "Who made the change (null for a lapse)."),
		"txId":    field(graphql.ID, func(c *consentUpdateChange) any { return schema.OptString(c.txID) }, "The transaction (null for a lapse)."),
	}})
	return graphql.NewObject(graphql.ObjectConfig{Name: "ConsentUpdate", Description: "A patient's consents after a block.", Fields: graphql.Fields{
		"patient": field(nn(graphql.ID), func(u *consentUpdate) any { return u.patient }),
		"height":  field(nn(graphql.Int), func(u *consentUpdate) any { return int(u.height) }, "The block this state is at (the first message: the read model's height)."),
		"time":    field(nn(graphql.String), func(u *consentUpdate) any { return schema.RFC3339Nano(u.time) }, "That block's time."),
		"changes": field(schema.List(change), func(u *consentUpdate) any { return schema.Refs(u.changes) },
			"What changed in this block, in transaction order, lapses last (empty in the first message)."),
		"consents": field(schema.List(m.consent), func(u *consentUpdate) any { return u.consents }, "The patient's consents in every status, newest first (at most first)."),
	}})
}

// registerConsentChanges adds consentChanges(patient, first): the
// patient's consents now, then after every block that changes one of them
// (a transaction of the consent contract, or an active consent's period
// ending at the block's time). Who may follow them is who may read them
// (patientConsents' rule), checked at the start and before every message.
func (m *mod) registerConsentChanges(b *schema.Builder) error {
	return b.Subscription("consentChanges", &graphql.Field{Type: nn(m.consentUpdateTypes()),
		Description: "A patient's consents: first as they are now, then after every block that changes one of them, with what changed (who may read the patient's consents).",
		Args: graphql.FieldConfigArgument{
			"patient": patientArg,
			"first":   {Type: graphql.Int, Description: "How many consents each message lists, newest first (default: the default page size)."},
		},
		Subscribe: func(p graphql.ResolveParams) (any, error) {
			ctx := p.Context
			_, patient, err := m.patientArg(ctx, p.Args, "consent", "read", "the consents")
			if err != nil {
				return nil, err
			}
			limit := m.cfg.DefaultPage
			if n, ok := p.Args["first"].(int); ok {
				if n < 0 || n > m.cfg.MaxPage {
					return nil, schema.BadInput("first must be 0.." + strconv.Itoa(m.cfg.MaxPage))
				}
				limit = n
			}
			// Subscribe before reading the snapshot so no block falls between.
			sub := m.cfg.Blocks.Subscribe(m.cfg.SubscriptionBuffer)
			f := &consentFollower{m: m, patient: patient, limit: limit}
			first, err := f.start()
			if err != nil {
				sub.Close()
				return nil, m.internal(ctx, "consentChanges", err)
			}
			return schema.Stream(ctx, sub, []any{first}, func(blk *readmodel.Block) ([]any, error) {
				u, err := f.next(blk)
				if err != nil {
					m.log.ErrorContext(ctx, "consentChanges subscription", "height", blk.Height, "err", err)
					return nil, err
				}
				if u == nil {
					return nil, nil
				}
				// The viewer's roles or the policy may have changed since.
				ok, err := m.cfg.Allowed(ctx, schema.Question{Obj: "consent", Act: "read", Owner: patient})
				if err != nil || !ok {
					return nil, schema.Forbidden("you may no longer read the consents of this patient")
				}
				return []any{u}, nil
			}), nil
		},
	})
}

// consentFollower follows one patient's consents block by block. It is
// used by one subscription goroutine at a time.
type consentFollower struct {
	m       *mod
	patient string
	limit   int
	// ends holds the period end (Unix seconds) of each active consent
	// that has not lapsed yet, to report its lapse once.
	ends map[string]int64
}

func (f *consentFollower) snapshot(height uint64, time int64, changes []consentUpdateChange) (*consentUpdate, error) {
	u := &consentUpdate{patient: f.patient, height: height, time: time, changes: changes, consents: []*patients.Consent{}}
	if f.limit > 0 {
		cs, _, err := f.m.rd.PatientConsents(f.patient, "", f.limit)
		if err != nil {
			return nil, err
		}
		u.consents = cs
	}
	if u.changes == nil {
		u.changes = []consentUpdateChange{}
	}
	return u, nil
}

// start returns the first message: the state at the read model's height.
func (f *consentFollower) start() (*consentUpdate, error) {
	var height uint64
	var now int64
	if h, ok := f.m.cfg.Store.Applied(); ok {
		blk, err := f.m.cfg.Store.Block(h)
		if err != nil {
			return nil, err
		}
		height, now = h, blk.Time
	}
	active, err := f.m.rd.ActiveConsents(f.patient)
	if err != nil {
		return nil, err
	}
	f.ends = map[string]int64{}
	for _, c := range active {
		if c.End > unixSeconds(now) {
			f.ends[c.ID] = c.End
		}
	}
	return f.snapshot(height, now, nil)
}

func unixSeconds(ns int64) int64 { return ns / 1e9 }

// next returns the message for blk, or nil when blk changes none of the
// patient's consents.
func (f *consentFollower) next(blk *readmodel.Block) (*consentUpdate, error) {
	chs, err := f.m.rd.ConsentChangesAt(f.patient, blk.Height)
	if err != nil {
		return nil, err
	}
	var changes []consentUpdateChange
	for _, ch := range chs {
		changes = append(changes, consentUpdateChange{kind: ch.Change.Kind, consent: ch.Consent, by: ch.Change.By, txID: ch.Change.TxID})
		if ch.Consent.Status == consentvocab.StatusActive {
			f.ends[ch.Consent.ID] = ch.Consent.End
		} else {
			delete(f.ends, ch.Consent.ID)
		}
	}
	// The contract refuses reads under a consent from the first block
	// whose time reaches its end.
	now := unixSeconds(blk.Time)
	var lapsed []string
	for id, end := range f.ends {
		if end <= now {
			lapsed = append(lapsed, id)
		}
	}
	slices.Sort(lapsed)
	for _, id := range lapsed {
		delete(f.ends, id)
		c, err := f.m.rd.Consent(id)
		if err != nil {
			return nil, err
		}
		changes = append(changes, consentUpdateChange{kind: ChangeLapsed, consent: c})
	}
	if len(changes) == 0 {
		return nil, nil
	}
	return f.snapshot(blk.Height, blk.Time, changes)
}
