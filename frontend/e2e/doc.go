// Package e2e holds the web app's browser tests: Go tests that start a
// real consortium node (in process) loaded with the demo data
// (consortium-node/seed), a real portal serving the embedded app
// (portal/app with frontend.FS()), and drive Debian's headless Chromium
// (/usr/bin/chromium) with chromedp through each role's main journey,
// asserting on what the page shows. Screenshots go to $ALMONER_SCREENSHOTS
// (default: a temporary folder, logged, and kept only when a test
// fails). Every page's requests are
// recorded, and a test fails if any went to a host other than the
// portal's.
//
// Without /usr/bin/chromium, or with the app not built (`make frontend`),
// the tests skip with a message, except under CI (env CI set), where they
// fail. `go test -short` skips them.
//
// The package has test files only.
package e2e
