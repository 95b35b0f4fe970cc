package inbox

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/almoner/almoner/consortium-node/api"
	claimvocab "github.com/almoner/almoner/consortium-node/contracts/claim/vocab"
	consentvocab "github.com/almoner/almoner/consortium-node/contracts/consent/vocab"
	donationvocab "github.com/almoner/almoner/consortium-node/contracts/donation/vocab"
	"github.com/almoner/almoner/consortium-node/contracts/record/delivery"
	recordvocab "github.com/almoner/almoner/consortium-node/contracts/record/vocab"
	amount "github.com/almoner/almoner/consortium-node/money"
	"github.com/almoner/almoner/portal/readmodel"
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
	Text   string `json:"text"`
	// Ref names what it is about: a record, a consent, a claim or a gift.
	Ref    string `json:"ref,omitempty"`
	Height uint64 `json:"height"`
	Time   int64  `json:"time"` // Unix nanoseconds, the block's
	TxID   string `json:"tx_id"`
}

func noticeKey(member, id string) string {
	return "n/" + strings.ReplaceAll(member, "/", ":") + "/" + id
}

func noticePrefix(member string) string { return "n/" + strings.ReplaceAll(member, "/", ":") + "/" }

// Module returns the read-model module.
func Module() readmodel.Module {
	return readmodel.Module{Name: ModuleName, Version: 2, Block: applyBlock} // 2: amounts with their currency
}

var contracts = []string{delivery.Contract, consentvocab.Name, claimvocab.Name, donationvocab.Contract}

func applyBlock(w *readmodel.Txn, b *api.Block) error {
	return readmodel.EachEvent(b, contracts, func(ce readmodel.CallEvent) error {
		cur, err := campaignCurrency(w, ce)
		if err != nil {
			return err
		}
		for _, n := range notices(ce, cur) {
			n.ID = fmt.Sprintf("%016x%06x%04x", ce.Height, ce.Tx, ce.Ev)
			n.Height, n.Time, n.TxID = ce.Height, ce.Time, ce.TxID
			if err := w.PutJSON(noticeKey(n.Member, n.ID), n); err != nil {
				return err
			}
		}
		return nil
	})
}

// campaignCurrency keeps each campaign's currency (from its creation) and
// returns the currency of the campaign a donation event names, which gift
// events do not carry ("" when none).
func campaignCurrency(w *readmodel.Txn, ce readmodel.CallEvent) (string, error) {
	if ce.Contract != donationvocab.Contract || ce.Attr(donationvocab.AttrCampaign) == "" {
		return "", nil
	}
	key := "cur/" + ce.Attr(donationvocab.AttrCampaign)
	if ce.Type == donationvocab.EventCampaignCreated {
		w.Put(key, []byte(ce.Attr(donationvocab.AttrCurrency)))
		return ce.Attr(donationvocab.AttrCurrency), nil
	}
	v, _, err := w.Get(key)
	return string(v), err
}

// notices returns the notices one event gives (Member, Kind, Text, Ref);
// cur is the currency of the campaign a donation event names.
func notices(ce readmodel.CallEvent, cur string) []Notice {
	e := ce.Event
	a := e.Attr
	one := func(member, kind, text, ref string) []Notice {
		if member == "" || !strings.Contains(member, "/") {
			return nil // an organisation, not a member
		}
		return []Notice{{Member: member, Kind: kind, Text: text, Ref: ref}}
	}
	switch e.Contract + "." + e.Type {
	case recordvocab.Name + "." + recordvocab.EventAccessGranted:
		if a(recordvocab.AttrReader) == a(recordvocab.AttrPatient) {
			return nil // my own read
		}
		return one(a(recordvocab.AttrPatient), KindAccess, fmt.Sprintf("%s read your record %s for %s", a(recordvocab.AttrReader), a(recordvocab.AttrRecord),
			a(recordvocab.AttrPurpose)), a(recordvocab.AttrRecord))
	case recordvocab.Name + "." + recordvocab.EventAccessRefused:
		if a(recordvocab.AttrReader) == a(recordvocab.AttrPatient) {
			return nil
		}
		return one(a(recordvocab.AttrPatient), KindAccess, fmt.Sprintf("%s tried to read your record %s for %s and was refused",
			a(recordvocab.AttrReader), a(recordvocab.AttrRecord), a(recordvocab.AttrPurpose)), a(recordvocab.AttrRecord))
	case recordvocab.Name + "." + recordvocab.EventBreakGlass:
		return one(a(recordvocab.AttrPatient), KindBreakGlass, fmt.Sprintf("%s opened your record %s in an emergency (%s); "+
			"%s's privacy officer reviews it", a(recordvocab.AttrReader), a(recordvocab.AttrRecord), a(recordvocab.AttrReason), a(recordvocab.AttrCustodian)), a(recordvocab.AttrRecord))
	case recordvocab.Name + "." + recordvocab.EventAccessUndelivered:
		if a(recordvocab.AttrReader) == a(recordvocab.AttrPatient) {
			return nil
		}
		return one(a(recordvocab.AttrPatient), KindAccess, fmt.Sprintf("the access of %s to your record %s delivered nothing (%s)",
			a(recordvocab.AttrReader), a(recordvocab.AttrRecord), a(recordvocab.AttrReason)), a(recordvocab.AttrRecord))
	case consentvocab.Name + "." + consentvocab.EventRequested:
		return one(a(consentvocab.AttrPatient), KindConsentRequest, fmt.Sprintf("%s asks for your consent %s (for %s): accept or decline it",
			orWho(a(consentvocab.AttrRequester), a(consentvocab.AttrGrantee)), a(consentvocab.AttrConsent), a(consentvocab.AttrPurpose)), a(consentvocab.AttrConsent))
	case claimvocab.Name + "." + claimvocab.EventSubmitted:
		return one(a(claimvocab.AttrPatient), KindClaim, fmt.Sprintf("%s filed claim %s for your care with %s",
			a(claimvocab.AttrProvider), a(claimvocab.AttrClaim), a(claimvocab.AttrInsurer)), a(claimvocab.AttrClaim))
	case claimvocab.Name + "." + claimvocab.EventAdjudicated:
		return one(a(claimvocab.AttrPatient), KindClaim, fmt.Sprintf("%s decided claim %s: %s; your share %s",
			a(claimvocab.AttrInsurer), a(claimvocab.AttrClaim), strings.ReplaceAll(a(claimvocab.AttrOutcome), "_", " "),
			money(a(claimvocab.AttrPatientShare), a(claimvocab.AttrCurrency))), a(claimvocab.AttrClaim))
	case claimvocab.Name + "." + claimvocab.EventPaid:
		return one(a(claimvocab.AttrPatient), KindClaim, fmt.Sprintf("%s paid claim %s", a(claimvocab.AttrInsurer),
			a(claimvocab.AttrClaim)), a(claimvocab.AttrClaim))
	case claimvocab.Name + "." + claimvocab.EventAppealed:
		return one(a(claimvocab.AttrPatient), KindClaim, fmt.Sprintf("%s appealed claim %s", a(claimvocab.AttrProvider),
			a(claimvocab.AttrClaim)), a(claimvocab.AttrClaim))
	case claimvocab.Name + "." + claimvocab.EventCancelled:
		return one(a(claimvocab.AttrPatient), KindClaim, fmt.Sprintf("%s cancelled claim %s", a(claimvocab.AttrProvider),
			a(claimvocab.AttrClaim)), a(claimvocab.AttrClaim))
	case donationvocab.Contract + "." + donationvocab.EventGiftDisbursed:
		return one(a(donationvocab.AttrDonor), KindGift, fmt.Sprintf("%s of your gift to %s went to milestone %s (disbursement %s)",
			money(a(donationvocab.AttrAmount), cur), a(donationvocab.AttrCampaign), a(donationvocab.AttrMilestone),
			a(donationvocab.AttrDisbursement)), a(donationvocab.AttrGift))
	case donationvocab.Contract + "." + donationvocab.EventGiftRefunded:
		return one(a(donationvocab.AttrDonor), KindGift, fmt.Sprintf("%s of your gift to %s was refunded (%s)",
			money(a(donationvocab.AttrAmount), cur), a(donationvocab.AttrCampaign),
			strings.ReplaceAll(a(donationvocab.AttrReason), "_", " ")), a(donationvocab.AttrGift))
	}
	return nil
}

func orWho(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// money writes minor units as money: "30.50 EUR", "250 JPY" (the
// currency's decimals; two, without a code, when it is not known).
func money(minor, currency string) string {
	v, err := strconv.ParseUint(minor, 10, 64)
	if err != nil {
		return minor
	}
	s := amount.Decimal(v, currency)
	if currency != "" {
		s += " " + currency
	}
	return s
}

// Reader answers queries on the notices.
type Reader struct{ s *readmodel.Store }

// NewReader returns a reader of s's notices.
func NewReader(s *readmodel.Store) *Reader { return &Reader{s: s} }

// Notices returns up to limit of member's notices newest first, after the
// notice id after ("" for the newest), with whether more follow.
func (r *Reader) Notices(member, after string, limit int) ([]*Notice, bool, error) {
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
		rest, _, err := r.Notices(member, out[len(out)-1].ID, 1)
		if err != nil {
			return nil, false, err
		}
		more = len(rest) > 0
	}
	return out, more, nil
}

// Unread counts member's notices newer than the notice id readUpTo, among
// those whose kind is not muted, up to max.
func (r *Reader) Unread(member, readUpTo string, muted []string, max int) (int, error) {
	n := 0
	for after := ""; n < max; {
		xs, more, err := r.Notices(member, after, 100)
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
