// Package patients is the portal's read model of the patient-facing side
// of the record and consent contracts: every record's metadata (patient,
// custodian, category, versions with their ciphertext hashes, erasure —
// never content), every consent with its status, period, purpose, scope
// and history, and every access decision (granted, refused, break-glass)
// with the consent or emergency reason it relied on, the refusal reason,
// and for break-glass its review. It answers "who accessed my data and
// why" per patient, and keeps each custodian's break-glass review queue
// (unreviewed first).
//
// The index is built from committed blocks only: the record and consent
// events, plus the arguments of the same successful transaction for what
// events do not carry (a consent's scope, start and FHIR codes; a
// break-glass note hash). Deleting the read model rebuilds it identically.
//
// Keys under "x/patients/" ("<seq>" is "<height hex16>.<tx index hex6>"):
//
//	r/<record>                          record metadata
//	pr/<patient>/<record>               record id
//	c/<consent>                         consent
//	pc/<patient>/<seq>                  consent id
//	a/<access tx id>                    access decision
//	pa/<patient>/<seq>                  access id (the patient's access log)
//	pch/<patient>/<seq>/<consent>       consent id: a change of one of the patient's consents
//	bg/<custodian>/<0|1>/<seq>          access id: break-glass, 0 unreviewed, 1 reviewed
//
// Imports: portal/readmodel and the node's wire packages only.
package patients
