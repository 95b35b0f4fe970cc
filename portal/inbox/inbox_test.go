package inbox

import (
	"strings"
	"testing"

	"github.com/almoner/almoner/consortium-node/ledger"
	"github.com/almoner/almoner/portal/readmodel"
)

func event(contract, typ string, kv ...string) readmodel.CallEvent {
	e := ledger.Event{Contract: contract, Type: typ}
	for i := 0; i+1 < len(kv); i += 2 {
		e.Attrs = append(e.Attrs, ledger.Attr{Key: kv[i], Value: kv[i+1]})
	}
	return readmodel.CallEvent{Event: e}
}

// TestNotices: each event that concerns a member gives that member one
// notice in words (money as money), none to organisations, none for the
// patient's own reads, none for events nobody is told about.
func TestNotices(t *testing.T) {
	for _, c := range []struct {
		ev           readmodel.CallEvent
		member, kind string
		text         string
		cur          string // the campaign's currency, for donation events
	}{
		{event("record", "access_granted", "patient", "stmarys/ana", "reader", "acme/adj", "record", "r1", "purpose", "claims"),
			"stmarys/ana", KindAccess, "acme/adj read your record r1 for claims", ""},
		{event("record", "access_granted", "patient", "stmarys/ana", "reader", "stmarys/ana", "record", "r1"), "", "", "", ""},
		{event("record", "access_undelivered", "patient", "stmarys/ana", "reader", "acme/adj", "record", "r1",
			"reason", "custodian-unreachable"), "stmarys/ana", KindAccess, "delivered nothing (custodian-unreachable)", ""},
		{event("consent", "consent_requested", "patient", "stmarys/ana", "requester", "stmarys/dr-lee", "consent", "c1",
			"purpose", "treatment"), "stmarys/ana", KindConsentRequest, "stmarys/dr-lee asks for your consent c1 (for treatment)", ""},
		{event("claim", "claim_adjudicated", "patient", "stmarys/ana", "insurer", "acme", "claim", "cl1",
			"outcome", "partially_approved", "patient_share", "3050", "currency", "EUR"),
			"stmarys/ana", KindClaim, "acme decided claim cl1: partially approved; your share 30.50 EUR", ""},
		{event("claim", "claim_adjudicated", "patient", "stmarys/ana", "insurer", "acme", "claim", "cl2",
			"outcome", "denied", "patient_share", "3050", "currency", "JPY"),
			"stmarys/ana", KindClaim, "acme decided claim cl2: denied; your share 3050 JPY", ""},
		{event("donation", "gift_refunded", "donor", "hope/sam", "gift", "g1", "campaign", "heart", "amount", "2500",
			"reason", "milestone_missed"), "hope/sam", KindGift, "25.00 EUR of your gift to heart was refunded (milestone missed)", "EUR"},
		{event("donation", "gift_disbursed", "donor", "hope/sam", "gift", "g1", "campaign", "bahrain", "amount", "2500",
			"milestone", "1", "disbursement", "d1"), "hope/sam", KindGift, "2.500 BHD of your gift to bahrain went to milestone 1", "BHD"},
		{event("donation", "gift_disbursed", "donor", "hope", "gift", "g1"), "", "", "", ""}, // an organisation
		{event("donation", "campaign_opened", "campaign", "heart"), "", "", "", ""},
	} {
		ns := notices(c.ev, c.cur)
		if c.member == "" {
			if len(ns) != 0 {
				t.Errorf("%s.%s: %+v, want no notice", c.ev.Contract, c.ev.Type, ns)
			}
			continue
		}
		if len(ns) != 1 || ns[0].Member != c.member || ns[0].Kind != c.kind || !strings.Contains(ns[0].Text, c.text) {
			t.Errorf("%s.%s: %+v, want one %s notice for %s saying %q", c.ev.Contract, c.ev.Type, ns, c.kind, c.member, c.text)
		}
	}
}
