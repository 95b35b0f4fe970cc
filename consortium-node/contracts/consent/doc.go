// Package consent is the consent system contract: a patient's consent
// decisions, modelled on FHIR R4 Consent (status, scope, category,
// patient, grantee actor and its role, action, purpose, data scope by
// record or category, period). A patient grants, amends (period, purpose)
// and revokes their own consents; hospital staff may request one, which
// stays "proposed" until the patient accepts or declines it. A consent
// lapses by itself when
// the block time passes the end of its period, and a revocation takes
// effect from the block that commits it. No health data is stored: only
// ids, codes and times.
//
// State (under "consent/"): "c/<id>" -> Consent.
//
// Its name, statuses, events and reason codes are defined once in package
// consent/vocab, which the portal imports too.
package consent
