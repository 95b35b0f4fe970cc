package e2e_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/almoner/almoner/consortium-node/tx"
)

// consoleErrors records what a browser's pages log as errors: console
// errors, uncaught exceptions and failed requests (a 401 or 404 is one).
type consoleErrors struct {
	mu   sync.Mutex
	seen []string
}

// journey starts a browser test on the shared stack: the stack, a new
// browser and the listener of its console errors. At its end the test
// fails if the pages logged errors that it did not take.
func journey(t *testing.T) (*stack, *browser, *consoleErrors) {
	t.Helper()
	s := need(t)
	b := newBrowser(t, s)
	errs := listenErrors(b)
	t.Cleanup(func() { errs.none(t) })
	return s, b, errs
}

// journeyAs starts a journey signed in as account with the sign-in form,
// on the page at path.
func journeyAs(t *testing.T, account, path string) (*stack, *browser, *consoleErrors) {
	t.Helper()
	s, b, errs := journey(t)
	b.signIn(account)
	b.visit(path)
	return s, b, errs
}

// journeyByMenu starts a journey on the home page and signs in as account
// with the header's demo role menu.
func journeyByMenu(t *testing.T, account string) (*stack, *browser, *consoleErrors) {
	t.Helper()
	s, b, errs := journey(t)
	b.visit("/")
	b.switchRole(account)
	return s, b, errs
}

func listenErrors(b *browser) *consoleErrors {
	c := &consoleErrors{}
	err := chromedp.Listen(b.ctx, func(ev any) {
		var msg string
		switch e := ev.(type) {
		case *runtime.EventConsoleAPICalled:
			if e.Type != runtime.ConsoleAPICalledTypeError {
				return
			}
			var parts []string
			for _, a := range e.Args {
				parts = append(parts, string(a.Value)+a.Description)
			}
			msg = "console.error: " + strings.Join(parts, " ")
		case *runtime.EventExceptionThrown:
			msg = "exception: " + e.ExceptionDetails.Text
			if e.ExceptionDetails.Exception != nil {
				msg += " " + e.ExceptionDetails.Exception.Description
			}
		case *cdplog.EventEntryAdded:
			if e.Entry.Level != cdplog.EntryLevelError {
				return
			}
			msg = fmt.Sprintf("%s: %s %s", e.Entry.Source, e.Entry.Text, e.Entry.URL)
		default:
			return
		}
		c.mu.Lock()
		c.seen = append(c.seen, msg)
		c.mu.Unlock()
	})
	if err != nil {
		b.t.Fatalf("listening to the page: %v", err)
	}
	return c
}

func (c *consoleErrors) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.seen)
}

// none fails the test (and goes on) if the pages logged errors since the
// last take.
func (c *consoleErrors) none(t *testing.T) {
	t.Helper()
	if e := c.take(); len(e) > 0 {
		t.Errorf("console errors:\n%v", e)
	}
}

func (c *consoleErrors) take() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := c.seen
	c.seen = nil
	return out
}

// TestAnonymousVisitNoConsoleErrors: an anonymous visitor's pages log no
// error (the app asks /auth/status, which answers 200 signed out); the
// listener does see the 401 the old probe (/auth/session) gets.
func TestAnonymousVisitNoConsoleErrors(t *testing.T) {
	_, b, errs := journey(t)
	for _, p := range []string{"/", "/campaigns/heart-surgery-fund", "/verify", "/signin", "/explorer", "/no-such-page"} {
		b.visit(p)
		b.settled(p)
		if p == "/verify" {
			b.waitText("Its fingerprint")
		}
		if e := errs.take(); len(e) > 0 {
			t.Errorf("%s logged errors:\n%s", p, strings.Join(e, "\n"))
		}
	}
	// The listener works: the old probe's 401 is an error in the console.
	b.eval(`(() => { fetch('/auth/session'); return 'sent'; })()`)
	for i := 0; i < 200 && errs.count() == 0; i++ {
		time.Sleep(10 * time.Millisecond)
	}
	if e := errs.take(); len(e) == 0 || !strings.Contains(strings.Join(e, " "), "401") {
		t.Errorf("the listener did not see the 401 of /auth/session: %v", e)
	}
}

// TestCompressedAssets: the app's files are served precompressed (brotli
// or gzip, as Accept-Encoding allows, with Vary) and decode to the same
// bytes; hashed assets are immutable for a year, index.html revalidated;
// /genesis.json is the dev consortium's genesis file byte for byte.
func TestCompressedAssets(t *testing.T) {
	s := need(t)
	// Accept-Encoding is always set, so that Go's client does not decode gzip itself.
	r, index := s.get(t, "/", "identity")
	if cc := r.Header.Get("Cache-Control"); cc != "no-cache" {
		t.Errorf("index.html Cache-Control %q, want no-cache", cc)
	}
	var total [3]int
	for _, m := range regexp.MustCompile(`(?:src|href)="(/assets/[^"]+\.(?:js|css))"`).FindAllSubmatch(index, -1) {
		asset := string(m[1])
		plain, _ := s.get(t, asset, "identity")
		_, body := s.get(t, asset, "identity")
		if plain.Header.Get("Content-Encoding") != "" {
			t.Fatalf("%s without Accept-Encoding: Content-Encoding %q", asset, plain.Header.Get("Content-Encoding"))
		}
		rg, gz := s.get(t, asset, "gzip")
		rb, br := s.get(t, asset, "gzip, deflate, br, zstd")
		if rg.Header.Get("Content-Encoding") != "gzip" || rb.Header.Get("Content-Encoding") != "br" {
			t.Fatalf("%s: gzip answered %q, Chromium's Accept-Encoding %q", asset, rg.Header.Get("Content-Encoding"), rb.Header.Get("Content-Encoding"))
		}
		for _, r := range []*http.Response{plain, rg, rb} {
			if r.Header.Get("Vary") != "Accept-Encoding" || r.Header.Get("Cache-Control") != "public, max-age=31536000, immutable" {
				t.Errorf("%s: Vary %q, Cache-Control %q", asset, r.Header.Get("Vary"), r.Header.Get("Cache-Control"))
			}
		}
		zr, err := gzip.NewReader(bytes.NewReader(gz))
		if err != nil {
			t.Fatal(err)
		}
		unz, err := io.ReadAll(zr)
		if err != nil || !bytes.Equal(unz, body) {
			t.Fatalf("%s: the gzip variant does not decode to the file (%v)", asset, err)
		}
		if len(br) >= len(gz) || len(gz) >= len(body)/2 {
			t.Errorf("%s: %d bytes, gzip %d, brotli %d", asset, len(body), len(gz), len(br))
		}
		t.Logf("%s: %d bytes, gzip %d, brotli %d", asset, len(body), len(gz), len(br))
		total[0], total[1], total[2] = total[0]+len(body), total[1]+len(gz), total[2]+len(br)
	}
	if total[0] == 0 {
		t.Fatalf("index.html names no assets:\n%s", index)
	}
	t.Logf("the app's JS and CSS: %d bytes, %d with gzip, %d with brotli", total[0], total[1], total[2])

	r, g := s.get(t, "/genesis.json", "identity")
	disk, err := os.ReadFile(filepath.Join(s.devHome, "genesis.json"))
	if err != nil {
		t.Fatal(err)
	}
	if r.StatusCode != http.StatusOK || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") || !bytes.Equal(g, disk) {
		t.Fatalf("/genesis.json: %d %q, %d bytes; the dev genesis file has %d (identical: %v)", r.StatusCode, r.Header.Get("Content-Type"), len(g), len(disk), bytes.Equal(g, disk))
	}
}

// localTimeJS formats an RFC 3339 time as the app does, in the page's own
// locale (to the minute, or with seconds).
func localTimeJS(rfc3339 string, seconds bool) string {
	style := "short"
	if seconds {
		style = "medium"
	}
	return fmt.Sprintf(`new Date(%q).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: %q })`, rfc3339, style)
}

// noRawTimes fails if the page's main shows a bare Unix time (10 digits).
func (b *browser) noRawTimes(what string) {
	b.t.Helper()
	if raw := b.eval(`(document.querySelector('main').innerText.match(/\b1[5-9]\d{8}\b/) || [''])[0]`); raw != "" {
		b.t.Errorf("%s shows a raw Unix time %s", what, raw)
	}
}

// hashesFit fails if a hash or its copy button sticks out of its box.
func (b *browser) hashesFit(what string) {
	b.t.Helper()
	bad := b.eval(`(() => {
  const out = [];
  for (const h of document.querySelectorAll('.hash')) {
    const box = h.parentElement.getBoundingClientRect();
    for (const e of h.children) {
      const r = e.getBoundingClientRect();
      if (r.right > box.right + 1 || r.left < box.left - 1) out.push(e.textContent.slice(0, 20) + ' overflows ' + box.width + 'px');
    }
  }
  return out.join('; ');
})()`)
	if bad != "" {
		b.t.Errorf("%s: %s", what, bad)
	}
}

// search types text into the explorer's search box and submits it.
func (b *browser) search(text string) {
	b.t.Helper()
	b.visit("/explorer")
	b.fill("find", text)
	b.click(`//form[@role='search']//button[@type='submit']`)
}

// TestExplorerSearch: the explorer's one search box finds a block by
// height or hash, a transaction, an account, an organisation, a campaign,
// a gift, a claim and a record, each in its own view; unknown text and
// things the viewer may not see get a plain answer. Times are in the
// viewer's locale (no raw Unix times), hashes fit with copy buttons, and
// at 390 px nothing scrolls sideways.
func TestExplorerSearch(t *testing.T) {
	s := need(t)
	// From the node: block 3, a record access granted under a consent (it
	// has an expiry) and a gift.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	head, err := s.node.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var block3Hash, block3Time, accessTx, accessTime, gift string
	for h := uint64(1); h <= head.Height && (accessTx == "" || gift == ""); h++ {
		bl, err := s.node.Block(ctx, h)
		if err != nil {
			t.Fatal(err)
		}
		at := time.Unix(0, bl.Header.Time).UTC().Format(time.RFC3339Nano)
		if h == 3 {
			block3Hash, block3Time = bl.Hash.String(), at
		}
		for i, r := range bl.Receipts {
			for _, ev := range r.Events {
				switch {
				case ev.Type == "access_granted" && ev.Attr("expires") != "0" && accessTx == "":
					accessTx, accessTime = bl.Txs[i].ID.String(), at
				case ev.Type == "gift_received" && gift == "":
					gift = bl.Txs[i].ID.String()
				}
			}
		}
	}
	if block3Hash == "" || accessTx == "" || gift == "" {
		t.Fatalf("the demo chain lacks block 3 (%q), an access with an expiry (%q) or a gift (%q)", block3Hash, accessTx, gift)
	}

	b := newBrowser(t, s)
	b.signIn("healthreg/auditor")
	for _, c := range []struct{ kind, text, path, shows string }{
		{"height", "3", "/explorer/blocks/3", "Block 3"},
		{"block hash", strings.ToUpper(block3Hash), "/explorer/blocks/3", "Block 3"},
		{"transaction", accessTx, "/explorer/tx/" + accessTx, "Events"},
		{"account", "hope/donor-sam", "/explorer/accounts/hope%2Fdonor-sam", "Donor"},
		{"organisation", "stmarys", "/explorer/accounts/stmarys", "Members"},
		{"campaign", "heart-surgery-fund", "/campaigns/heart-surgery-fund", "Milestones"},
		{"gift", gift, "/gifts/" + gift, "Where my gift went"},
		{"claim", "clm-approved", "/claims/clm-approved", "clm-approved"},
	} {
		b.search(c.text)
		b.poll(fmt.Sprintf(`location.pathname === %q`, c.path), "the "+c.kind+" view at "+c.path)
		b.waitText(c.shows)
		b.settled(c.path)
	}

	// Block 3: its time in the viewer's locale, its hashes whole, wrapped, with copy buttons.
	b.visit("/explorer/blocks/3")
	b.waitText("State hash")
	// The proposing node by its organisation's name, the node's id beside it.
	b.poll(`[...document.querySelectorAll('dt')].some(d => d.innerText === 'Proposer' && /^[A-Z].* \(node [^)]+\)$/.test(d.nextElementSibling.innerText))`,
		"the proposer's organisation by name")
	b.waitText(b.eval(localTimeJS(block3Time, true)))
	b.noRawTimes("block 3")
	b.hashesFit("block 3")
	if n := b.eval(`String(document.querySelectorAll('button.copy').length)`); n == "0" {
		t.Error("block 3 has no copy buttons")
	}
	b.shot("explorer-block")

	// A record access under consent: its expiry is a date, not 1797087486.
	b.visit("/explorer/tx/" + accessTx)
	b.waitText("Expires")
	b.waitText(b.eval(localTimeJS(accessTime, true)))
	b.noRawTimes("the access transaction")
	if n := b.eval(`String(document.querySelectorAll('main time').length)`); n == "0" || n == "1" {
		t.Errorf("the access transaction shows %s <time> elements, want its time and its expiry", n)
	}
	b.hashesFit("the access transaction")
	// The action by its label, the purpose by its label, people and organisations by name.
	b.waitText("Record read")
	b.poll(`[...document.querySelectorAll('main dt')].some(d => d.innerText === 'Purpose' && /^[A-Z][a-z]+ /.test(d.nextElementSibling.innerText))`,
		"the purpose by its label")
	noneInMain(b, "record.access")
	b.plainWords("the access transaction")
	b.shot("explorer-transaction")

	// A refused read: the refusal in words; the policy's own text only behind Details (the auditor may open it).
	refused := s.nt.Send(t, "acme/adjuster", "record", "access", tx.String("record_id", "rec-ben-1"),
		tx.String("purpose", "claims"))
	if refused.Receipt == nil || !refused.Receipt.OK() {
		t.Fatalf("the refused read did not commit: %+v", refused)
	}
	b.visit("/explorer/tx/" + refused.ID.String())
	b.waitText("Access refused")
	b.waitText("Refused: ")
	b.waitText("adjuster, Acme Health Insurance")
	for _, raw := range []string{"acme/adjuster", "policy denies", "claims_adjuster"} {
		noneInMain(b, raw) // the rendered text: Details is closed
	}
	b.click(`//main//details[contains(@class,'why')]/summary`)
	b.waitText("policy denies acme/adjuster")

	// Unknown text, and a record the auditor may not see.
	b.search("no-such-thing-42")
	b.waitText("Nothing found for “no-such-thing-42”")
	b.search("999999")
	b.waitText("Nothing found for “999999”")
	b.search("rec-ana-1")
	b.waitText("Nothing found for “rec-ana-1”")
	b.waitText("It exists as a record")
	if b.eval(`location.pathname`) != "/explorer" {
		t.Errorf("a search that found nothing left the explorer for %s", b.eval(`location.pathname`))
	}

	// On a phone: no sideways scrolling on the list, a block, a transaction.
	b.phone()
	for _, p := range []string{"/explorer", "/explorer/blocks/3", "/explorer/tx/" + accessTx, "/explorer/accounts/hope%2Fdonor-sam"} {
		b.visit(p)
		b.settled(p)
		b.accessible(p + " (phone)")
		b.hashesFit(p + " (phone)")
	}
	b.visit("/explorer")
	b.settled("explorer")
	b.shot("phone-explorer-blocks")

	// The patient finds her own record.
	p := newBrowser(t, s)
	p.signIn("stmarys/patient-ana")
	p.search("rec-ana-1")
	p.poll(`location.pathname === "/explorer/records/rec-ana-1"`, "the record view")
	p.waitText("Versions")
	p.noRawTimes("the record")
}

// TestDonorReceiptInWords: a donor verifies a gift's receipt without
// choosing any file (the portal's genesis file, whose fingerprint the page
// shows and which matches the dev consortium's file), and the verified
// statement reads in words: the amount with its currency, the campaign's
// and charity's names, the date in the viewer's locale, where the money
// went. At 390 px the donor's pages do not scroll sideways.
func TestDonorReceiptInWords(t *testing.T) {
	s := need(t)
	var g struct {
		MyGifts struct {
			Nodes []struct {
				ID, Time, Currency string
				Amount             string // "12.34"
				Campaign           struct{ ID, Title string }
			}
		}
	}
	s.client(t, "hope/donor-sam").do(`{ myGifts(first: 1) { nodes { id time amount currency campaign { id title } } } }`, nil, &g)
	if len(g.MyGifts.Nodes) == 0 {
		t.Fatal("the demo donor has no gifts")
	}
	gift := g.MyGifts.Nodes[0]
	disk, err := os.ReadFile(filepath.Join(s.devHome, "genesis.json"))
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(disk)
	fp := hex.EncodeToString(sum[:])
	grouped := fp[0:4] + " " + fp[4:8] + " " + fp[8:12] + " " + fp[12:16]

	_, b, _ := journey(t)
	b.signIn("hope/donor-sam")
	check := func(phone bool) {
		t.Helper()
		b.visit("/gifts/" + gift.ID)
		b.waitText("Checked against this consortium's genesis file")
		b.waitText(grouped)
		if n := b.eval(`String(document.querySelectorAll('input[name=genesis]').length)`); n != "1" {
			t.Fatalf("%s genesis file inputs", n)
		}
		b.button("Verify receipt")
		b.waitText("Verified: the receipt is genuine")
		amount := b.eval(fmt.Sprintf(`new Intl.NumberFormat('en-GB', { style: 'currency', currency: %q }).format(%q)`, gift.Currency, gift.Amount))
		b.waitText("you (hope/donor-sam) gave " + amount + " to the campaign “" + gift.Campaign.Title + "” (" + gift.Campaign.ID + ") of Hope")
		b.waitText(b.eval(localTimeJS(gift.Time, false)))
		b.poll(`['It was allocated: ', 'The donor earmarked it: '].some(x => document.querySelector('.verdict').innerText.includes(x))`, "where the gift was allocated")
		b.waitText(" to milestone ")
		b.waitText("Where the money went since")
		b.waitText("Recorded on")
		for _, raw := range []string{"allocations ", "gift_received:", "amount " + strings.TrimLeft(strings.ReplaceAll(gift.Amount, ".", ""), "0")} {
			if strings.Contains(b.eval(`document.querySelector('.verdict').innerText`), raw) {
				t.Errorf("the verified statement still reads %q", raw)
			}
		}
		if phone {
			b.accessible("the gift (phone)")
			b.shot("phone-donor-receipt")
		} else {
			b.shot("donor-receipt-in-words")
		}
	}
	check(false)
	b.phone()
	check(true)
	for _, p := range []string{"/gifts", "/verify", "/"} {
		b.visit(p)
		b.settled(p)
		b.accessible(p + " (phone)")
	}
}
