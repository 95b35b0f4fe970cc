// Off-ledger notes: a physician's written reason for an emergency access
// and a privacy officer's review note. The ledger keeps only a note's
// SHA-256 (noteHash); the portal sends the text, sealed, to the custodian
// hospital's nodes, and the custodian's privacy officers (and auditors)
// read it there, checked against the hash on the ledger. Nothing is kept
// in this browser.

/** A note as the custodian keeps it (AccessNote in the schema). */
export type AccessNote = { text: string | null; verified: boolean; problem: string | null } | null | undefined;

/** The text of a note as it is sent: trimmed; null when empty. */
export function noteToSend(text: string): string | null {
  const t = text.trim();
  return t ? t : null;
}
