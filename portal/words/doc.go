// Package words is the portal's one Go source of how people read what the
// ledger writes as codes and ids: the labels of the contracts' codes
// (purposes, record categories, emergencies, review outcomes, claim
// statuses, outcomes and reasons, consent statuses, refund reasons, failed
// deliveries), money with its currency and decimals, dates in words, and
// members and organisations by name.
//
// The codes are the contracts' vocabulary packages' (tests check that
// every code has a label and every label a code); the web app's own
// tables (frontend/src/vocab.ts) are checked against these labels by
// frontend's TestLabelsCoverTheContracts, so the two never disagree.
//
// Imports: the contracts' vocabulary packages and consortium-node/money.
package words
