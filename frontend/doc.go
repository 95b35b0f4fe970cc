// Package frontend holds Almoner's web app (TypeScript, Preact, Vite; the
// sources are in src/, see docs/decisions/0030-frontend-stack.md) and
// embeds its build for the portal.
//
// `make frontend` (a dependency of `make build` and `make test`) builds the
// app into dist/app, which is not committed. Before that build,
// dist/placeholder holds a one-page notice, so a fresh clone builds,
// vets and tests without npm. FS returns whichever is present; the portal
// serves it at / (portal/server Config.Frontend).
//
// Imports: the standard library only. Its tests also read the contracts'
// vocabulary packages and portal/words, to check that src/vocab.ts labels
// every code and status the contracts define, with the portal's labels
// (TestLabelsCoverTheContracts), and parse the contracts' Call methods to
// check that it names every method (TestActionsNameEveryMethod).
package frontend
