// Package patientgql is the GraphQL module of patients' privacy: a
// patient's records (metadata only), consents (every status, with period,
// purpose and scope), the access log — "who accessed my data and why":
// every granted, refused and break-glass access with the consent or
// emergency reason it relied on, the refusal reason and the break-glass
// review — and a custodian's break-glass review queue (unreviewed first);
// with the signed mutations of the consent contract (grantConsent,
// requestConsent, acceptConsent, declineConsent, amendConsent,
// revokeConsent) and record.review_break_glass (reviewBreakGlass).
//
// Reads are authorised with the ledger's policy (schema.Config.Allowed):
// record metadata with obj "record" act "read_metadata" (owner the
// patient, org the custodian); consents with obj "consent" act "read"
// (owner the patient); the access log with obj "access_log" act "read"
// (owner the patient, org the custodian of each entry); the break-glass
// queue with obj "break_glass" act "read" (org the custodian). A viewer
// who may read none of a patient's data gets FORBIDDEN; one who may read
// part of it (a hospital's staff) sees only that part.
//
// Mutations are schema.TxMutations: consent calls, the break-glass review
// and record registration and erasure ask the policy the contract's
// question before anything is signed or uploaded; record reads
// (readRecord, breakGlassRead) are left to the ledger, which decides every
// access and commits a refusal too, so that the patient sees it.
//
// Subscriptions: accessAlerts(patient) pushes each new access decision;
// consentChanges(patient, first) sends the patient's consents now and
// then after every block that changes one of them, with what changed
// (granted, requested, accepted, declined, amended, revoked, or lapsed
// when a block's time reaches an active consent's end). Both check the
// query's rule when they start and again before every message.
package patientgql
