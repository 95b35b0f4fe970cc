package e2e_test

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// browser is one headless Chromium with a fresh profile, on one page.
type browser struct {
	t    *testing.T
	s    *stack
	ctx  context.Context
	mu   sync.Mutex
	reqs []string // every URL the pages requested, WebSockets included
}

// newBrowser starts Chromium for the test; at the end it checks that no
// request went to a host other than the portal's.
func newBrowser(t *testing.T, s *stack) *browser {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromium), chromedp.UserDataDir(t.TempDir()),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck, chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-default-apps", true), chromedp.Flag("metrics-recording-only", true),
		chromedp.WindowSize(1280, 900),
	}
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	b := &browser{t: t, s: s}
	ctx, cancelB := chromedp.NewContext(actx, chromedp.WithListener(func(ev any) {
		var u string
		switch e := ev.(type) {
		case *network.EventRequestWillBeSent:
			u = e.Request.URL
		case *network.EventWebSocketCreated:
			u = e.URL
		default:
			return
		}
		b.mu.Lock()
		b.reqs = append(b.reqs, u)
		b.mu.Unlock()
	}))
	b.ctx = ctx
	t.Cleanup(func() {
		cancelB()
		cancelA()
		b.checkHosts()
	})
	// The first action starts the browser and lives as long as ctx.
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("starting %s: %v", chromium, err)
	}
	return b
}

// foreign returns the recorded requests to any host but the portal's.
func (b *browser) foreign() (all int, bad []string) {
	base, _ := url.Parse(b.s.url)
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, r := range b.reqs {
		u, err := url.Parse(strings.TrimPrefix(r, "blob:"))
		if err != nil {
			bad = append(bad, r)
			continue
		}
		switch {
		case r == "about:blank", u.Scheme == "data":
			continue
		case u.Scheme == "http" || u.Scheme == "https" || u.Scheme == "ws" || u.Scheme == "wss":
			if u.Host == base.Host {
				continue
			}
		}
		bad = append(bad, r)
	}
	return len(b.reqs), bad
}

func (b *browser) checkHosts() {
	b.t.Helper()
	if _, bad := b.foreign(); len(bad) > 0 {
		b.t.Errorf("pages requested hosts other than the portal's: %v", bad)
	}
}

// do runs steps with a time limit; on error it saves a screenshot and
// fails the test.
func (b *browser) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		b.shot("failed-" + sanitize(what))
		b.t.Fatalf("%s: %v", what, err)
	}
}

// eval evaluates a JavaScript expression that gives a string.
func (b *browser) eval(js string) string {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[string](js))
	if err != nil {
		b.t.Fatalf("evaluate %s: %v", js, err)
	}
	return v
}

// visit opens a path of the portal and waits for the page's title.
func (b *browser) visit(path string) {
	b.t.Helper()
	b.do("visit "+path, chromedp.Navigate(b.s.url+path), chromedp.WaitVisible(chromedp.CSS("#page-title")))
}

// until waits up to 20 s until a JavaScript expression is true.
func (b *browser) until(js string) error {
	ctx, cancel := context.WithTimeout(b.ctx, 25*time.Second)
	defer cancel()
	_, err := chromedp.Run(ctx, chromedp.Poll[bool](js, chromedp.WithPollingTimeout(20*time.Second), chromedp.WithPollingInterval(50*time.Millisecond)))
	return err
}

// waitText waits until the page shows text.
func (b *browser) waitText(text string) {
	b.t.Helper()
	if err := b.until(fmt.Sprintf(`document.body.innerText.includes(%q)`, text)); err != nil {
		body := b.eval(`document.body.innerText`)
		b.shot("failed-wait")
		b.t.Fatalf("the page never showed %q: %v\npage text:\n%s", text, err, body)
	}
}

// noText waits until the page no longer shows text.
func (b *browser) noText(text string) {
	b.t.Helper()
	b.poll(fmt.Sprintf(`!document.body.innerText.includes(%q)`, text), "the page without "+text)
}

// poll waits until a JavaScript expression is true.
func (b *browser) poll(js, what string) {
	b.t.Helper()
	if err := b.until(js); err != nil {
		b.shot("failed-poll")
		b.t.Fatalf("waiting for %s: %v\npage text:\n%s", what, err, b.eval(`document.body.innerText`))
	}
}

// click clicks the first visible element matching an XPath.
func (b *browser) click(xpath string) {
	b.t.Helper()
	b.do("click "+xpath, chromedp.Click(chromedp.Search(xpath), chromedp.NodeVisible))
}

// clickUntil clicks the element at xpath until the JavaScript expression
// done holds (a page that re-renders as blocks commit can replace the
// element between finding and clicking it): the click is in the page, on
// the element found at that moment, repeated every 3 s up to 20 s.
func (b *browser) clickUntil(xpath, done, what string) {
	b.t.Helper()
	js := fmt.Sprintf(`(() => { if (%s) return true; const e = document.evaluate(%q, document, null,
		XPathResult.FIRST_ORDERED_NODE_TYPE, null).singleNodeValue; if (e) e.click(); return "no" })() === true ? "yes" : "no"`, done, xpath)
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(3 * time.Second) {
		if b.eval(js) == "yes" {
			return
		}
	}
	b.shot("failed-click")
	b.t.Fatalf("clicking %s never led to %s\npage text:\n%s", xpath, what, b.eval(`document.body.innerText`))
}

// button clicks the button or link whose text contains label.
func (b *browser) button(label string) {
	b.t.Helper()
	b.click(fmt.Sprintf(`//*[self::button or self::a][contains(normalize-space(.), %q)]`, label))
}

// fill types value into the input or textarea named name, over what it
// holds (selected first, so the typing replaces it as a user's would).
func (b *browser) fill(name, value string) {
	b.t.Helper()
	sel := chromedp.CSS(fmt.Sprintf(`[name=%q]`, name))
	b.do("focus "+name, chromedp.WaitVisible(sel), chromedp.Focus(sel))
	b.eval(fmt.Sprintf(`(() => { const e = document.querySelector('[name=%q]'); e.select(); return e.value; })()`, name))
	b.do("type into "+name, chromedp.SendKeys(sel, value))
	// (A date field reads back as yyyy-mm-dd whatever the typing.)
	if got := b.eval(fmt.Sprintf(`(e => e.type === 'date' ? %q : e.value)(document.querySelector('[name=%q]'))`, value, name)); got != value {
		b.t.Fatalf("%s holds %q after typing %q", name, got, value)
	}
}

// choose selects a value in the select named name (firing change), once
// the select offers it.
func (b *browser) choose(name, value string) {
	b.t.Helper()
	b.poll(fmt.Sprintf(`!!document.querySelector('select[name=%q] option[value=%q]')`, name, value), "select "+name+" offering "+value)
	got := b.eval(fmt.Sprintf(`(() => { const s = document.querySelector('select[name=%q]'); s.value = %q; s.dispatchEvent(new Event('change', {bubbles: true})); return s.value; })()`, name, value))
	if got != value {
		b.t.Fatalf("select %s has no option %q", name, value)
	}
}

// upload chooses a file in the file input named name.
func (b *browser) upload(name, file string) {
	b.t.Helper()
	b.do("upload "+name, chromedp.SetUploadFiles(chromedp.CSS(fmt.Sprintf(`input[name=%q]`, name)), []string{file}))
}

// switchRole signs in as a demo account with the header's role switcher
// and waits until the header shows it.
func (b *browser) switchRole(account string) {
	b.t.Helper()
	b.choose("role-switcher", account)
	b.signedIn("switched to "+account, account)
}

// signedIn waits until the header shows that account is signed in.
func (b *browser) signedIn(what, account string) {
	b.t.Helper()
	b.do(what, chromedp.WaitVisible(chromedp.Search(fmt.Sprintf(`//header//*[contains(@class,'who')][normalize-space(.)=%q]`, account))))
}

// signIn signs in as a demo account with the sign-in form.
func (b *browser) signIn(account string) {
	b.t.Helper()
	pw, ok := b.s.accounts[account]
	if !ok {
		b.t.Fatalf("no demo account %s", account)
	}
	b.submitSignIn(account, pw)
	b.signedIn("signed in", account)
}

// submitSignIn fills in the sign-in form and submits it.
func (b *browser) submitSignIn(account, password string) {
	b.t.Helper()
	b.visit("/signin")
	b.fill("account", account)
	b.fill("password", password)
	b.click(`//form//button[@type='submit'][normalize-space(.)='Sign in']`)
}

// shot saves a full-page screenshot as NAME.png in the screenshot folder.
func (b *browser) shot(name string) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Logf("screenshot %s: %v", name, err)
		return
	}
	p := filepath.Join(screenshotDir(b.t), name+".png")
	if err := os.WriteFile(p, png, 0o644); err != nil {
		b.t.Errorf("saving %s: %v", p, err)
	}
}

var (
	shotOnce sync.Once
	shotDir  string
)

// screenshotDir is $ALMONER_SCREENSHOTS, or one temporary folder for the
// run (logged; TestMain removes it unless a test failed).
func screenshotDir(t *testing.T) string {
	shotOnce.Do(func() {
		shotDir = os.Getenv("ALMONER_SCREENSHOTS")
		if shotDir == "" {
			shotDir, _ = os.MkdirTemp("", "almoner-screenshots-")
		}
		_ = os.MkdirAll(shotDir, 0o755)
		t.Logf("screenshots in %s", shotDir)
	})
	return shotDir
}

func sanitize(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' {
			return r
		}
		return '-'
	}, s)
}

// a11yProblems lists, for the current page, form controls without an
// accessible name, buttons and links without text, and images without
// alt text.
const a11yProblems = `(() => {
  const out = [];
  const named = (e) => (e.getAttribute('aria-label') || '').trim() || e.getAttribute('aria-labelledby') || e.closest('label') ||
    (e.id && document.querySelector('label[for="' + e.id + '"]'));
  for (const e of document.querySelectorAll('input, select, textarea')) {
    if (e.type === 'hidden') continue;
    if (!named(e)) out.push(e.tagName.toLowerCase() + '[name=' + e.name + '] has no label');
  }
  for (const e of document.querySelectorAll('button, a[href]')) {
    if (!(e.innerText || '').trim() && !(e.getAttribute('aria-label') || '').trim()) out.push(e.tagName.toLowerCase() + ' without text: ' + e.outerHTML.slice(0, 80));
  }
  for (const e of document.querySelectorAll('img')) if (!e.hasAttribute('alt')) out.push('img without alt: ' + e.src);
  if (!document.querySelector('main h1')) out.push('no h1 in main');
  if (document.documentElement.scrollWidth > window.innerWidth + 1) out.push('the page scrolls sideways: ' + document.documentElement.scrollWidth + 'px wide in ' + window.innerWidth + 'px');
  return out.join('\n');
})()`

// accessible fails the test if the current page has a11yProblems.
func (b *browser) accessible(page string) {
	b.t.Helper()
	if p := b.eval(a11yProblems); p != "" {
		b.shot("a11y-" + sanitize(page))
		b.t.Errorf("%s:\n%s", page, p)
	}
}

// download clicks the button labelled label and returns the file the
// browser saved.
func (b *browser) download(label string) (name string, data []byte) {
	b.t.Helper()
	dir := b.t.TempDir()
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	defer cancel()
	if _, err := chromedp.CallBrowser(ctx, cdpbrowser.SetDownloadBehavior, cdpbrowser.SetDownloadBehaviorParams{Behavior: "allow", DownloadPath: dir}); err != nil {
		b.t.Fatalf("allowing downloads: %v", err)
	}
	b.button(label)
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		es, _ := os.ReadDir(dir)
		for _, e := range es {
			if !strings.HasSuffix(e.Name(), ".crdownload") {
				d, err := os.ReadFile(filepath.Join(dir, e.Name()))
				if err == nil && len(d) > 0 {
					return e.Name(), d
				}
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	b.t.Fatalf("%q downloaded nothing", label)
	return "", nil
}

var (
	axeOnce sync.Once
	axeJS   string
	axeErr  error
)

// axeSource is axe-core's browser build (frontend/node_modules/axe-core,
// a devDependency that npm ci installs with the app's other packages).
func axeSource() (string, error) {
	axeOnce.Do(func() {
		var b []byte
		b, axeErr = os.ReadFile(filepath.Join("..", "node_modules", "axe-core", "axe.min.js"))
		axeJS = string(b)
	})
	return axeJS, axeErr
}

// axe runs axe-core on the current page and fails the test for every
// serious or critical violation.
func (b *browser) axe(page string) {
	b.t.Helper()
	src, err := axeSource()
	if err != nil {
		b.t.Fatalf("axe-core: %v (cd frontend && npm ci)", err)
	}
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](src+";\ntrue")); err != nil {
		b.t.Fatalf("loading axe-core into %s: %v", page, err)
	}
	const run = `axe.run(document, {resultTypes: ['violations']}).then(r => r.violations
	  .filter(v => v.impact === 'serious' || v.impact === 'critical')
	  .map(v => v.impact + ' ' + v.id + ': ' + v.help + '\n    ' + v.nodes.slice(0, 4).map(n => n.target.join(' ') + ' — ' + (n.failureSummary || '').replace(/\n/g, ' ')).join('\n    '))
	  .join('\n'))`
	out, err := chromedp.Run(ctx, chromedp.Evaluate[string](run, chromedp.EvalAwaitPromise))
	if err != nil {
		b.t.Fatalf("axe-core on %s: %v", page, err)
	}
	if out != "" {
		b.shot("axe-" + sanitize(page))
		b.t.Errorf("axe-core on %s found serious or critical violations:\n%s", page, out)
	}
}

// phone makes the viewport a phone's, 390 x 844 CSS pixels.
func (b *browser) phone() {
	b.t.Helper()
	b.do("phone-sized screen", chromedp.EmulateViewport(390, 844))
}

// desktop makes the viewport the tests' default, 1280 x 900.
func (b *browser) desktop() {
	b.t.Helper()
	b.do("desktop-sized screen", chromedp.EmulateViewport(1280, 900))
}

// noSideways fails the test when the current page is wider than the
// viewport (it would scroll sideways).
func (b *browser) noSideways(page string) {
	b.t.Helper()
	if w := b.eval(`(() => { const w = document.documentElement.scrollWidth, v = window.innerWidth; return w > v + 1 ? w + 'px wide in ' + v + 'px' : ''; })()`); w != "" {
		b.shot("sideways-" + sanitize(page))
		b.t.Errorf("%s scrolls sideways: %s", page, w)
	}
}

// internals are what people must not read on a page: the policy's own
// reasoning, contract and package names, role codes.
var internals = []string{"policy denies", "permission denied", "no rule allows it", "allowed for:", "in organisation ", "contracts:", "claim.adjudicate",
	"record.access", "claims_adjuster", "records_clerk", "privacy_officer", "Something went wrong", "invalid argument", "graphql:"}

// plainWords fails the test when the page shows internal text.
func (b *browser) plainWords(page string) {
	b.t.Helper()
	// Code (a policy rule as an admin writes it) is shown as such on purpose.
	body := b.eval(`(() => { const m = document.querySelector('main').cloneNode(true); m.querySelectorAll('code, pre').forEach(c => c.remove()); return m.innerText; })()`)
	for _, s := range internals {
		if strings.Contains(body, s) {
			b.shot("internal-" + sanitize(page))
			b.t.Errorf("%s shows %q:\n%s", page, s, body)
		}
	}
}

// settled waits until the page has no loading indicator.
func (b *browser) settled(page string) {
	b.t.Helper()
	b.poll(`!document.querySelector('.loading')`, page+" loaded")
}

// checkPage runs the checks every page must pass: loaded, plain words,
// accessible (our checks and axe-core), no sideways scroll.
func (b *browser) checkPage(page string) {
	b.t.Helper()
	b.settled(page)
	b.plainWords(page)
	b.accessible(page)
	b.axe(page)
	b.noSideways(page)
}

// clear empties the input named name as a user would (an input event).
func (b *browser) clear(name string) {
	b.t.Helper()
	b.eval(fmt.Sprintf(`(() => { const e = document.querySelector('[name=%q]'); e.value = ''; e.dispatchEvent(new Event('input', {bubbles: true})); return ''; })()`, name))
}
