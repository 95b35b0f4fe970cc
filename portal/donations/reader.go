package donations

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/almoner/almoner/consortium-node/money"
	"github.com/almoner/almoner/portal/readmodel"
)

// Reader answers queries over the donations index. It is safe for
// concurrent use; records it returns are fresh copies the caller owns.
type Reader struct {
	s *readmodel.Store
	// The records a lineage or a campaign page reads again and again, kept
	// decoded (the portal's profile put a third of a lineage request in
	// encoding/json); handed out as clones.
	campaigns     *readmodel.Decoded[Campaign]
	giftRecs      *readmodel.Decoded[Gift]
	disbursements *readmodel.Decoded[Disbursement]
}

// cachedRecords is how many decoded records of each kind a reader keeps.
const cachedRecords = 4096

// NewReader returns a reader over s (whose registry holds Module).
func NewReader(s *readmodel.Store) *Reader {
	return &Reader{
		s:             s,
		campaigns:     readmodel.NewDecoded(cachedRecords, readmodel.DecodeJSON[Campaign]),
		giftRecs:      readmodel.NewDecoded(cachedRecords, readmodel.DecodeJSON[Gift]),
		disbursements: readmodel.NewDecoded(cachedRecords, readmodel.DecodeJSON[Disbursement]),
	}
}

// Campaign returns a campaign (readmodel.ErrNotFound if none).
func (r *Reader) Campaign(id string) (*Campaign, error) {
	return r.campaigns.Read(r.s, ModuleName, campaignKey(id), (*Campaign).clone)
}

// Gift returns a gift (readmodel.ErrNotFound if none).
func (r *Reader) Gift(id string) (*Gift, error) {
	return r.giftRecs.Read(r.s, ModuleName, giftKey(id), (*Gift).clone)
}

// Disbursement returns a disbursement (readmodel.ErrNotFound if none).
func (r *Reader) Disbursement(id string) (*Disbursement, error) {
	return r.disbursements.Read(r.s, ModuleName, disbKey(id), (*Disbursement).clone)
}

func (c *Campaign) clone() *Campaign {
	out := *c
	out.Beneficiaries = slices.Clone(c.Beneficiaries)
	out.Milestones = slices.Clone(c.Milestones)
	return &out
}

func (g *Gift) clone() *Gift {
	out := *g
	out.Allocations = slices.Clone(g.Allocations)
	out.Uses = slices.Clone(g.Uses)
	return &out
}

func (d *Disbursement) clone() *Disbursement {
	out := *d
	out.Sources = slices.Clone(d.Sources)
	return &out
}

// Campaigns returns up to limit campaigns by id after the id after (""
// for the first), with whether more follow.
func (r *Reader) Campaigns(after string, limit int) ([]*Campaign, bool, error) {
	var (
		out  []*Campaign
		more bool
		derr error
	)
	err := r.s.Scan(ModuleName, "c/", afterKey("c/", after), false, func(k string, v []byte) bool {
		if len(out) == limit {
			more = true
			return false
		}
		var c Campaign
		if err := json.Unmarshal(v, &c); err != nil {
			derr = fmt.Errorf("%w: donations record %q: %v", readmodel.ErrCorrupt, k, err)
			return false
		}
		out = append(out, &c)
		return true
	})
	return out, more, errors.Join(err, derr)
}

// afterKey turns a cursor into Scan's after argument (Scan wants the key
// without the module prefix; "" means from the start).
func afterKey(prefix, cursor string) string {
	if cursor == "" {
		return ""
	}
	return prefix + cursor
}

// Page is a page of an index in commit order: Cursors[i] is the cursor of
// Gifts[i] (or Disbursements[i]); pass the last one as after.
type Page = readmodel.Page

// idPage scans up to limit ids under prefix after the cursor after.
func (r *Reader) idPage(prefix, after string, limit int) ([]string, Page, error) {
	return r.s.IDs(ModuleName, prefix, after, false, limit)
}

// CampaignGifts returns up to limit gifts of a campaign in commit order.
func (r *Reader) CampaignGifts(campaign, after string, limit int) ([]*Gift, Page, error) {
	ids, pg, err := r.idPage(campaignGiftsPrefix(campaign), after, limit)
	return readmodel.LoadPage(ids, pg, err, "donations: gift", r.Gift)
}

// DonorGifts returns up to limit gifts of a donor in commit order, or
// newest first.
func (r *Reader) DonorGifts(donor, after string, limit int, newestFirst bool) ([]*Gift, Page, error) {
	ids, pg, err := r.s.IDs(ModuleName, donorGiftsPrefix(donor), after, newestFirst, limit)
	return readmodel.LoadPage(ids, pg, err, "donations: gift", r.Gift)
}

// MaxTotalled bounds the gifts DonorTotals reads.
const MaxTotalled = 10000

// Total is what a donor gave in one currency and where it is now.
type Total struct {
	Currency                             string
	Gifts                                int
	Given, Disbursed, InEscrow, Refunded uint64
}

// DonorTotals sums a donor's gifts per currency (in currency order): at
// most MaxTotalled of them, oldest first; truncated says there were more.
func (r *Reader) DonorTotals(donor string) (totals []Total, truncated bool, err error) {
	ids, pg, err := r.s.IDs(ModuleName, donorGiftsPrefix(donor), "", false, MaxTotalled)
	if err != nil {
		return nil, false, err
	}
	by := map[string]*Total{}
	for _, id := range ids {
		g, err := r.Gift(id)
		if err != nil {
			return nil, false, fmt.Errorf("donations: gift %s of an index: %w", id, err)
		}
		t := by[g.Currency]
		if t == nil {
			t = &Total{Currency: g.Currency}
			by[g.Currency] = t
		}
		t.Gifts++
		t.Given += g.Amount
		t.Disbursed += g.Disbursed()
		t.InEscrow += g.Escrow()
		t.Refunded += g.Refunded()
	}
	for _, t := range by {
		totals = append(totals, *t)
	}
	slices.SortFunc(totals, func(a, b Total) int { return strings.Compare(a.Currency, b.Currency) })
	return totals, pg.More, nil
}

// CampaignDisbursements returns up to limit disbursements of a campaign
// in commit order.
func (r *Reader) CampaignDisbursements(campaign, after string, limit int) ([]*Disbursement, Page, error) {
	ids, pg, err := r.idPage(campaignDisbsPrefix(campaign), after, limit)
	return readmodel.LoadPage(ids, pg, err, "donations: disbursement", r.Disbursement)
}

// Lineage is where a gift went: its campaign, and per milestone it was
// allocated to, the disbursements that drew on it (with payee and
// confirmation) and the refunds (with reason).
type Lineage struct {
	Gift        *Gift
	Campaign    *Campaign
	Allocations []LineageAllocation
}

// LineageAllocation is one milestone allocation of a gift.
type LineageAllocation struct {
	Milestone     Milestone
	Amount        uint64
	Earmarked     bool
	Left          uint64 // still in escrow
	Disbursements []LineageDisbursement
	Refunds       []Use
}

// LineageDisbursement is a disbursement and the gift's share of it.
type LineageDisbursement struct {
	Disbursement *Disbursement
	Amount       uint64
	Height       uint64
	Time         int64
}

// Lineage builds a gift's lineage (readmodel.ErrNotFound if no gift).
func (r *Reader) Lineage(giftID string) (*Lineage, error) {
	g, err := r.Gift(giftID)
	if err != nil {
		return nil, err
	}
	return r.LineageOf(g)
}

// LineageOf builds the lineage of a gift already read.
func (r *Reader) LineageOf(g *Gift) (*Lineage, error) {
	c, err := r.Campaign(g.Campaign)
	if err != nil {
		return nil, fmt.Errorf("donations: campaign of gift %s: %w", g.ID, err)
	}
	l := &Lineage{Gift: g, Campaign: c}
	disbs := map[string]*Disbursement{}
	for _, a := range g.Allocations {
		la := LineageAllocation{Amount: a.Amount, Earmarked: a.Earmarked, Left: a.Left, Disbursements: []LineageDisbursement{}, Refunds: []Use{}}
		if m := c.Milestone(a.Milestone); m != nil {
			la.Milestone = *m
		} else {
			la.Milestone = Milestone{Seq: a.Milestone}
		}
		for _, u := range g.Uses {
			if u.Milestone != a.Milestone {
				continue
			}
			switch u.Kind {
			case UseRefund:
				la.Refunds = append(la.Refunds, u)
			case UseDisbursement:
				d, ok := disbs[u.Disbursement]
				if !ok {
					if d, err = r.Disbursement(u.Disbursement); err != nil {
						return nil, fmt.Errorf("donations: disbursement %s of gift %s: %w", u.Disbursement, g.ID, err)
					}
					disbs[u.Disbursement] = d
				}
				la.Disbursements = append(la.Disbursements, LineageDisbursement{Disbursement: d, Amount: u.Amount, Height: u.Height, Time: u.Time})
			}
		}
		l.Allocations = append(l.Allocations, la)
	}
	return l, nil
}

// Touched reports whether the block at height changed what the gift's
// lineage shows: the gift's own uses or confirmations, or the status of a
// milestone it is allocated to.
func (l *Lineage) Touched(height uint64) bool {
	if l.Gift.Updated == height {
		return true
	}
	for _, a := range l.Allocations {
		if a.Milestone.StatusedAt == height {
			return true
		}
	}
	return false
}

// ReportRow is one campaign's money movements in a report's range.
type ReportRow struct {
	Campaign      string
	Title         string
	Currency      string
	Income        uint64
	Gifts         uint64
	Disbursed     uint64
	Disbursements uint64
	Refunded      uint64
	Refunds       uint64
}

// Net is income minus disbursements and refunds in the range (negative
// when earlier income was paid out).
func (r *ReportRow) Net() int64 { return int64(r.Income) - int64(r.Disbursed) - int64(r.Refunded) }

// Report is a charity's money movements in [From, To) by block time.
type Report struct {
	Charity   string
	From, To  time.Time
	Campaigns []*ReportRow // by campaign id
	Entries   []Entry      // in commit order, at most the limit asked for
	// Truncated is true when Entries was cut at the limit (the rows
	// still count every entry).
	Truncated bool
}

// Report sums the charity's movements with block time in [from, to),
// keeping up to maxEntries entries (0: none).
func (r *Reader) Report(charity string, from, to time.Time, maxEntries int) (*Report, error) {
	rep := &Report{Charity: charity, From: from.UTC(), To: to.UTC(), Campaigns: []*ReportRow{}, Entries: []Entry{}}
	if !to.After(from) || to.UnixNano() <= 0 {
		return rep, nil
	}
	prefix := reportPrefix(charity)
	rows := map[string]*ReportRow{}
	toKey := reportTimeKey(to.UnixNano())
	after := ""
	if from.UnixNano() > 0 {
		// Keys at exactly from sort after the bare time prefix.
		after = prefix + reportTimeKey(from.UnixNano())
	}
	var derr error
	err := r.s.Scan(ModuleName, prefix, after, false, func(k string, v []byte) bool {
		if strings.TrimPrefix(k, prefix) >= toKey {
			return false
		}
		var e Entry
		if err := json.Unmarshal(v, &e); err != nil {
			derr = fmt.Errorf("%w: donations record %q: %v", readmodel.ErrCorrupt, k, err)
			return false
		}
		row := rows[e.Campaign]
		if row == nil {
			row = &ReportRow{Campaign: e.Campaign, Currency: e.Currency}
			rows[e.Campaign] = row
		}
		switch e.Kind {
		case EntryIncome:
			row.Income += e.Amount
			row.Gifts++
		case EntryDisbursement:
			row.Disbursed += e.Amount
			row.Disbursements++
		case EntryRefund:
			row.Refunded += e.Amount
			row.Refunds++
		}
		if len(rep.Entries) < maxEntries {
			rep.Entries = append(rep.Entries, e)
		} else {
			rep.Truncated = true
		}
		return true
	})
	if err = errors.Join(err, derr); err != nil {
		return nil, err
	}
	for id, row := range rows {
		c, err := r.Campaign(id)
		if err != nil {
			return nil, fmt.Errorf("donations: campaign %s of a report entry: %w", id, err)
		}
		row.Title = c.Title
		rep.Campaigns = append(rep.Campaigns, row)
	}
	sort.Slice(rep.Campaigns, func(i, j int) bool { return rep.Campaigns[i].Campaign < rep.Campaigns[j].Campaign })
	return rep, nil
}

// csvCell defuses spreadsheet formulas in free text (OWASP CSV
// injection): a cell starting with = + - @ or a control character gets a
// leading apostrophe.
func csvCell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

func u(n uint64) string { return strconv.FormatUint(n, 10) }

// CSV renders the per-campaign summary: a header line, then one line per
// campaign (amounts as people write them, in the campaign's currency with
// its decimals: 250.00; the net may be negative).
func (rep *Report) CSV() string {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	_ = w.Write([]string{"charity", "from", "to", "campaign", "title", "currency", "income", "gifts", "disbursed", "disbursements", "refunded", "refunds", "net"})
	from, to := rep.From.Format(time.RFC3339), rep.To.Format(time.RFC3339)
	for _, r := range rep.Campaigns {
		_ = w.Write([]string{rep.Charity, from, to, r.Campaign, csvCell(r.Title), r.Currency, money.Decimal(r.Income, r.Currency), u(r.Gifts),
			money.Decimal(r.Disbursed, r.Currency), u(r.Disbursements), money.Decimal(r.Refunded, r.Currency), u(r.Refunds),
			money.Signed(r.Net(), r.Currency)})
	}
	w.Flush()
	return b.String()
}

// EntriesCSV renders the entries, one line per money movement (amounts as
// in CSV).
func (rep *Report) EntriesCSV() string {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	_ = w.Write([]string{"time", "height", "tx", "kind", "campaign", "milestone", "currency", "amount", "gift", "disbursement", "payee", "reason"})
	for _, e := range rep.Entries {
		ms := ""
		if e.Milestone != 0 {
			ms = u(e.Milestone)
		}
		_ = w.Write([]string{BlockTime(e.Time).Format(time.RFC3339Nano), u(e.Height), e.TxID, e.Kind, e.Campaign, ms, e.Currency, money.Decimal(e.Amount, e.Currency),
			e.Gift, e.Disbursement, csvCell(e.Payee), e.Reason})
	}
	w.Flush()
	return b.String()
}
