// Off-ledger notes: a physician's written reason for an emergency access
// and a privacy officer's review note. Only a note's SHA-256 goes on the
// ledger (noteHash); the text stays here, in this browser's storage under
// its hash, so that whoever holds the text can show it beside the access
// and anyone can check it against the hash on the ledger.
import { bytesToHex } from './verify';

const PREFIX = 'almoner.note.';

/** The hex SHA-256 of a note's UTF-8 text. */
export async function noteHash(text: string): Promise<string> {
  return bytesToHex(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text))));
}

/** Keeps a note in this browser and returns its hash (null for an empty note). */
export async function keepNote(text: string): Promise<string | null> {
  const t = text.trim();
  if (!t) return null;
  const h = await noteHash(t);
  try {
    localStorage.setItem(PREFIX + h, t);
  } catch {
    /* storage full or off: the hash still goes on the ledger */
  }
  return h;
}

/** The text of a note kept in this browser, by its hash. */
export function noteText(hash: string | null | undefined): string | null {
  if (!hash) return null;
  try {
    return localStorage.getItem(PREFIX + hash);
  } catch {
    return null;
  }
}
