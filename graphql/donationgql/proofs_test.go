package donationgql

import (
	"context"
	"log/slog"
	"testing"

	"github.com/almoner/almoner/graphql/schema"
	"github.com/almoner/almoner/policies"
	"github.com/almoner/almoner/portal/session"
)

// rulesPolicy answers as the portal's policy does, from rules and roles.
type rulesPolicy struct {
	e *policies.Enforcer
}

func (p rulesPolicy) Allowed(member, obj, act, owner, org string, consent bool) (bool, error) {
	d, err := p.e.Enforce(policies.Request{Sub: member, Dom: "hope", Obj: obj, Act: act, Owner: owner, Org: org, Consent: consent})
	return d.Allowed, err
}

// TestDisclosure: what a bundle shows is the default policy's answer,
// asked as the contracts ask it: a donor reads their own gifts' events and
// no one else's, and whole receipts only of their own transactions; the
// charity's officer reads its gifts; an auditor reads every transaction.
func TestDisclosure(t *testing.T) {
	e, err := policies.New(policies.StaticSource{RuleList: policies.DefaultRules(), AssignmentList: []policies.Assignment{
		{Member: "hope/donor-sam", Org: "hope", Roles: []string{"donor"}},
		{Member: "hope/officer", Org: "hope", Roles: []string{"charity_officer"}},
		{Member: "hope/auditor", Org: "hope", Roles: []string{"auditor"}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		viewer      string
		sender      string
		donor       string
		wantTx      bool
		wantGift    bool
		description string
	}{
		{"hope/donor-sam", "hope/donor-sam", "hope/donor-sam", true, true, "the donor's own gift"},
		{"hope/donor-sam", "hope/officer", "hope/donor-kai", false, false, "another donor's share of a disbursement"},
		{"hope/donor-sam", "hope/officer", "hope/donor-sam", false, true, "the donor's own share of it"},
		{"hope/officer", "hope/officer", "hope/donor-kai", true, true, "the charity's officer"},
		{"hope/auditor", "hope/officer", "hope/donor-kai", true, true, "an auditor: every transaction whole, every gift"},
	} {
		sch := &schema.Schema{Cfg: &schema.Config{Policy: rulesPolicy{e}, Logger: slog.New(slog.DiscardHandler)}}
		d := disclosure{ctx: sch.WithRequest(context.Background(), &session.Principal{Account: c.viewer, Via: "session"}), cfg: sch.Cfg}
		tx, err1 := d.Transaction(c.sender)
		gift, err2 := d.Gift(c.donor, "hope")
		if err1 != nil || err2 != nil || tx != c.wantTx || gift != c.wantGift {
			t.Errorf("%s: transaction %v gift %v (%v %v), want %v %v", c.description, tx, gift, err1, err2, c.wantTx, c.wantGift)
		}
	}
}
