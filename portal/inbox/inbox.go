package inbox

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/almoner/almoner/consortium-node/api"
	claimvocab "github.com/almoner/almoner/consortium-node/contracts/claim/vocab"
	consentvocab "github.com/almoner/almoner/consortium-node/contracts/consent/vocab"
	donationvocab "github.com/almoner/almoner/consortium-node/contracts/donation/vocab"
	"github.com/almoner/almoner/consortium-node/contracts/record/delivery"
	recordvocab "github.com/almoner/almoner/consortium-node/contracts/record/vocab"
	"github.com/almoner/almoner/portal/donations"
	"github.com/almoner/almoner/portal/readmodel"
	"github.com/almoner/almoner/portal/words"
)

// ModuleName is the read-model module's name (key space "x/inbox/").
const ModuleName = "inbox"

// Kinds of notices, each of which a member may switch off.
const (
	KindAccess         = "access"          // someone read, or tried to read, one of my records
	KindBreakGlass     = "break_glass"     // an emergency access to one of my records
	KindConsentRequest = "consent_request" // staff asked for my consent
	KindClaim          = "claim"           // a claim for my care changed
	KindGift           = "gift"            // my gift was disbursed or refunded
)

// Kinds returns every kind, in the order people see them.
func Kinds() []string {
	return []string{KindAccess, KindBreakGlass, KindConsentRequest, KindClaim, KindGift}
}

// Notice is one notification for one member.
type Notice struct {
	ID     string `json:"id"` // unique, ordered by height, transaction and event
	Member string `json:"member"`
	Kind   string `json:"kind"`
	// Event is what happened ("record.access_granted"); Facts are its
	// attributes (ids and codes, as the ledger wrote them) with what the
	// inbox keeps beside them (the Fact* keys), from which Text is written.
	Event string            `json:"event"`
	Facts map[string]string `json:"facts"`
	// Text is what happened in words: organisations and members by name,
	// codes by label, money and dates as people write them; written when
	// read (Reader), never stored, so that names are the current ones.
	Text string `json:"-"`
	// Ref names what it is about: a record, a consent, a claim or a gift.
	Ref    string `json:"ref,omitempty"`
	Height uint64 `json:"height"`
	Time   int64  `json:"time"` // Unix nanoseconds, the block's
	TxID   string `json:"tx_id"`
}

// Facts the inbox adds to an event's attributes (prefixed, so that no
// attribute of the ledger's can clash with them).
const (
	FactCategory       = "inbox.category"        // the record's category (from its registration)
	FactCampaignTitle  = "inbox.campaign_title"  // the campaign's title (from its creation)
	FactCurrency       = "inbox.currency"        // the campaign's currency
	FactMilestoneTitle = "inbox.milestone_title" // the milestone's title (from the campaign's creation)
	FactPayee          = "inbox.payee"           // who a disbursement paid (its call's payee)
)

func noticeKey(member, id string) string {
	return "n/" + strings.ReplaceAll(member, "/", ":") + "/" + id
}

func noticePrefix(member string) string { return "n/" + strings.ReplaceAll(member, "/", ":") + "/" }

// Module returns the read-model module.
func Module() readmodel.Module {
	// 2: amounts with their currency; 3: facts instead of text (names and
	// labels written when read).
	return readmodel.Module{Name: ModuleName, Version: 3, Block: applyBlock}
}

var contracts = []string{delivery.Contract, consentvocab.Name, claimvocab.Name, donationvocab.Contract}

func applyBlock(w *readmodel.Txn, b *api.Block) error {
	return readmodel.EachEvent(b, contracts, func(ce readmodel.CallEvent) error {
		extra, err := remember(w, ce)
		if err != nil {
			return err
		}
		for _, n := range notices(ce) {
			n.ID = fmt.Sprintf("%016x%06x%04x", ce.Height, ce.Tx, ce.Ev)
			n.Height, n.Time, n.TxID = ce.Height, ce.Time, ce.TxID
			n.Event = ce.Contract + "." + ce.Type
			n.Facts = map[string]string{}
			for _, a := range ce.Attrs {
				n.Facts[a.Key] = a.Value
			}
			maps.Copy(n.Facts, extra)
			if err := w.PutJSON(noticeKey(n.Member, n.ID), n); err != nil {
				return err
			}
		}
		return nil
	})
}

// campaign is what the inbox keeps of a campaign for its donors' notices.
type campaign struct {
	Title      string   `json:"title"`
	Currency   string   `json:"currency"`
	Milestones []string `json:"milestones"` // titles, in order
}

func recordKey(id string) string   { return "rec/" + id }
func campaignKey(id string) string { return "camp/" + id }

// remember keeps what later notices name (a record's category, a
// campaign's title, currency and milestones) and returns the facts an
// event's notices add to its attributes.
func remember(w *readmodel.Txn, ce readmodel.CallEvent) (map[string]string, error) {
	switch ce.Contract + "." + ce.Type {
	case recordvocab.Name + "." + recordvocab.EventRegistered:
		if c := ce.Attr(recordvocab.AttrCategory); c != "" {
			w.Put(recordKey(ce.Attr(recordvocab.AttrRecord)), []byte(c))
		}
		return nil, nil
	case donationvocab.Contract + "." + donationvocab.EventCampaignCreated:
		c := campaign{Title: ce.Attr(donationvocab.AttrTitle), Currency: ce.Attr(donationvocab.AttrCurrency)}
		if ce.Args != nil {
			ms, err := ce.Args.Strings(donationvocab.ArgMilestones)
			if err != nil {
				return nil, fmt.Errorf("%w: create_campaign: %v", readmodel.ErrCorrupt, err)
			}
			for i, s := range ms {
				m, err := donations.ParseMilestone(s, uint64(i+1))
				if err != nil {
					return nil, err
				}
				c.Milestones = append(c.Milestones, m.Title)
			}
		}
		return nil, w.PutJSON(campaignKey(ce.Attr(donationvocab.AttrCampaign)), c)
	}
	facts := map[string]string{}
	if ce.Contract == recordvocab.Name && ce.Attr(recordvocab.AttrRecord) != "" {
		v, _, err := w.Get(recordKey(ce.Attr(recordvocab.AttrRecord)))
		if err != nil {
			return nil, err
		}
		facts[FactCategory] = string(v)
	}
	if ce.Contract == donationvocab.Contract && ce.Attr(donationvocab.AttrCampaign) != "" {
		var c campaign
		if _, err := w.GetJSON(campaignKey(ce.Attr(donationvocab.AttrCampaign)), &c); err != nil {
			return nil, err
		}
		facts[FactCampaignTitle], facts[FactCurrency] = c.Title, c.Currency
		if seq, err := strconv.Atoi(ce.Attr(donationvocab.AttrMilestone)); err == nil && seq >= 1 && seq <= len(c.Milestones) {
			facts[FactMilestoneTitle] = c.Milestones[seq-1]
		}
		if ce.Type == donationvocab.EventGiftDisbursed && ce.Args != nil && ce.Args.Has(donationvocab.ArgPayee) {
			payee, err := ce.Args.String(donationvocab.ArgPayee)
			if err != nil {
				return nil, fmt.Errorf("%w: disburse: %v", readmodel.ErrCorrupt, err)
			}
			facts[FactPayee] = payee
		}
	}
	return facts, nil
}

// notices returns the notices one event gives (Member, Kind, Ref): to the
// member it concerns, never to an organisation, nor to a patient for
// their own reads.
func notices(ce readmodel.CallEvent) []Notice {
	a := ce.Attr
	one := func(member, kind, ref string) []Notice {
		if member == "" || !strings.Contains(member, "/") {
			return nil // an organisation, not a member
		}
		return []Notice{{Member: member, Kind: kind, Ref: ref}}
	}
	switch ce.Contract + "." + ce.Type {
	case recordvocab.Name + "." + recordvocab.EventAccessGranted,
		recordvocab.Name + "." + recordvocab.EventAccessRefused,
		recordvocab.Name + "." + recordvocab.EventAccessUndelivered:
		if a(recordvocab.AttrReader) == a(recordvocab.AttrPatient) {
			return nil // my own read
		}
		return one(a(recordvocab.AttrPatient), KindAccess, a(recordvocab.AttrRecord))
	case recordvocab.Name + "." + recordvocab.EventBreakGlass:
		return one(a(recordvocab.AttrPatient), KindBreakGlass, a(recordvocab.AttrRecord))
	case consentvocab.Name + "." + consentvocab.EventRequested:
		return one(a(consentvocab.AttrPatient), KindConsentRequest, a(consentvocab.AttrConsent))
	case claimvocab.Name + "." + claimvocab.EventSubmitted, claimvocab.Name + "." + claimvocab.EventAdjudicated,
		claimvocab.Name + "." + claimvocab.EventPaid, claimvocab.Name + "." + claimvocab.EventAppealed,
		claimvocab.Name + "." + claimvocab.EventCancelled:
		return one(a(claimvocab.AttrPatient), KindClaim, a(claimvocab.AttrClaim))
	case donationvocab.Contract + "." + donationvocab.EventGiftDisbursed,
		donationvocab.Contract + "." + donationvocab.EventGiftRefunded:
		return one(a(donationvocab.AttrDonor), KindGift, a(donationvocab.AttrGift))
	}
	return nil
}

// text writes what n tells in words, for its member: organisations by
// name (orgName, "" when unknown), members by their own part of the id
// with their organisation's name, codes by label, money with its currency
// and decimals, dates in words. No id or code of the ledger's is in it
// (they stay in Ref and Facts); a patient is "you", never named.
func (n *Notice) text(orgName func(string) string) string {
	f := n.Facts
	who := func(k string) string { return words.Who(orgName, f[k]) }
	record := "your record"
	if c := f[FactCategory]; c != "" {
		record = "your " + words.Lower(words.Categories.Say(c))
	}
	purpose := words.Lower(words.Purposes.Say(f[recordvocab.AttrPurpose])) // consent's too
	gift := func(amount string) string {
		s := words.MoneyText(f[amount], f[FactCurrency]) + " of your gift"
		if t := f[FactCampaignTitle]; t != "" {
			s += " to “" + t + "”"
		}
		return s
	}
	claimMoney := func(k string) string { return words.MoneyText(f[k], f[claimvocab.AttrCurrency]) }
	provider, insurer := who(claimvocab.AttrProvider), who(claimvocab.AttrInsurer)
	switch n.Event {
	case recordvocab.Name + "." + recordvocab.EventAccessGranted:
		s := fmt.Sprintf("%s read %s for %s", who(recordvocab.AttrReader), record, purpose)
		if f[recordvocab.AttrConsent] != "" {
			s += ", under your consent"
		}
		return s
	case recordvocab.Name + "." + recordvocab.EventAccessRefused:
		return fmt.Sprintf("%s tried to read %s for %s and was refused", who(recordvocab.AttrReader), record, purpose)
	case recordvocab.Name + "." + recordvocab.EventAccessUndelivered:
		return fmt.Sprintf("%s was allowed to read %s, but nothing was delivered: %s", who(recordvocab.AttrReader),
			record, words.Lower(words.Undelivered.Say(f[recordvocab.AttrReason])))
	case recordvocab.Name + "." + recordvocab.EventBreakGlass:
		return fmt.Sprintf("%s opened %s in an emergency (%s); the privacy officer of %s reviews it",
			who(recordvocab.AttrReader), record, words.Lower(words.Emergencies.Say(f[recordvocab.AttrReason])),
			who(recordvocab.AttrCustodian))
	case consentvocab.Name + "." + consentvocab.EventRequested:
		asker := consentvocab.AttrRequester
		if f[asker] == "" {
			asker = consentvocab.AttrGrantee
		}
		s := fmt.Sprintf("%s asks for your consent, for %s", who(asker), purpose)
		if end, err := strconv.ParseInt(f[consentvocab.AttrEnd], 10, 64); err == nil && end > 0 {
			s += " until " + words.Date(end)
		}
		return s + ": accept or decline it"
	case claimvocab.Name + "." + claimvocab.EventSubmitted:
		return fmt.Sprintf("%s filed a claim of %s for your care with %s", provider, claimMoney(claimvocab.AttrTotal),
			insurer)
	case claimvocab.Name + "." + claimvocab.EventAdjudicated:
		outcome := words.Lower(words.ClaimOutcomes.Say(f[claimvocab.AttrOutcome]))
		if r := f[claimvocab.AttrDenialReason]; r != "" {
			outcome += " (" + words.Lower(words.ClaimReasons.Say(r)) + ")"
		}
		claim := "your claim"
		if f[claimvocab.AttrClaimed] != "" {
			claim += " of " + claimMoney(claimvocab.AttrClaimed)
		}
		return fmt.Sprintf("%s decided %s from %s: %s; your share is %s", insurer, claim, provider, outcome,
			claimMoney(claimvocab.AttrPatientShare))
	case claimvocab.Name + "." + claimvocab.EventPaid:
		return fmt.Sprintf("%s paid %s of your claim from %s", insurer, claimMoney(claimvocab.AttrAmount), provider)
	case claimvocab.Name + "." + claimvocab.EventAppealed:
		return fmt.Sprintf("%s appealed the decision of %s on your claim: %s", provider, insurer,
			words.Lower(words.AppealReasons.Say(f[claimvocab.AttrReason])))
	case claimvocab.Name + "." + claimvocab.EventCancelled:
		return fmt.Sprintf("%s withdrew your claim with %s", provider, insurer)
	case donationvocab.Contract + "." + donationvocab.EventGiftDisbursed:
		s := gift(donationvocab.AttrAmount) + " was paid"
		if f[FactPayee] != "" {
			s += " to " + who(FactPayee)
		}
		if t := f[FactMilestoneTitle]; t != "" {
			return s + " for the milestone “" + t + "”"
		}
		return s + " for milestone " + f[donationvocab.AttrMilestone]
	case donationvocab.Contract + "." + donationvocab.EventGiftRefunded:
		return gift(donationvocab.AttrAmount) + " was refunded: " +
			words.Lower(words.RefundReasons.Say(f[donationvocab.AttrReason]))
	}
	return "something happened that concerns you" // a notice of an event this version does not know
}

// Reader answers queries on the notices.
type Reader struct{ s *readmodel.Store }

// NewReader returns a reader of s's notices.
func NewReader(s *readmodel.Store) *Reader { return &Reader{s: s} }

// Notices returns up to limit of member's notices newest first, after the
// notice id after ("" for the newest), with whether more follow, each with
// its Text.
func (r *Reader) Notices(member, after string, limit int) ([]*Notice, bool, error) {
	out, more, err := r.scan(member, after, limit)
	if err == nil {
		err = r.write(out)
	}
	if err != nil {
		return nil, false, err
	}
	return out, more, nil
}

// scan is Notices without their Text.
func (r *Reader) scan(member, after string, limit int) ([]*Notice, bool, error) {
	var out []*Notice
	var bad error
	start := ""
	if after != "" {
		start = noticeKey(member, after)
	}
	err := r.s.Scan(ModuleName, noticePrefix(member), start, true, func(_ string, v []byte) bool {
		if len(out) == limit {
			return false
		}
		var n Notice
		if err := json.Unmarshal(v, &n); err != nil {
			bad = fmt.Errorf("%w: a notice: %v", readmodel.ErrCorrupt, err)
			return false
		}
		out = append(out, &n)
		return true
	})
	if err == nil {
		err = bad
	}
	if err != nil {
		return nil, false, err
	}
	more := false
	if len(out) == limit && limit > 0 {
		rest, _, err := r.scan(member, out[len(out)-1].ID, 1)
		if err != nil {
			return nil, false, err
		}
		more = len(rest) > 0
	}
	return out, more, nil
}

// write fills in the notices' Text, with the organisations' names of now.
func (r *Reader) write(ns []*Notice) error {
	names := map[string]string{}
	var bad error
	orgName := func(id string) string {
		name, ok := names[id]
		if !ok {
			o, err := r.s.Org(id)
			switch {
			case err == nil:
				name = o.Name
			case !errors.Is(err, readmodel.ErrNotFound) && bad == nil:
				bad = err
			}
			names[id] = name
		}
		return name
	}
	for _, n := range ns {
		n.Text = n.text(orgName)
	}
	return bad
}

// Unread counts member's notices newer than the notice id readUpTo, among
// those whose kind is not muted, up to max.
func (r *Reader) Unread(member, readUpTo string, muted []string, max int) (int, error) {
	n := 0
	for after := ""; n < max; {
		xs, more, err := r.scan(member, after, 100)
		if err != nil {
			return 0, err
		}
		for _, x := range xs {
			if x.ID <= readUpTo {
				return n, nil
			}
			if !slices.Contains(muted, x.Kind) {
				n++
			}
			after = x.ID
		}
		if !more {
			break
		}
	}
	return min(n, max), nil
}
