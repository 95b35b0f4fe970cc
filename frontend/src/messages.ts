// Messages for people: the portal's and the ledger's errors carry the
// policy's reasoning ("policy denies acme/adjuster (roles claims_adjuster,
// member in organisation acme) "read" on record ...") and contract method
// names (claim.adjudicate) that are right for an administrator and wrong
// for everyone else. explain() turns such a message into a short reason in
// plain words; the original text stays available as details, which the
// app shows only to administrators and auditors.
import type { ApiError } from './api';

export interface Explained {
  /** A title: what happened, in a few words. */
  title: string;
  /** The reason in plain words, one or two sentences. */
  summary: string;
  /** The original message (for administrators), or null when it adds nothing. */
  details: string | null;
}

/** What the action was about, in words ("this record", "the claim"). */
const objects: Record<string, string> = {
  record: 'this record',
  consent: 'this consent',
  claim: 'this claim',
  campaign: 'this campaign',
  disbursement: 'this disbursement',
  member: 'this member',
  organisation: 'this organisation',
  proposal: 'this proposal',
  node: 'this node',
  policy: 'the policy',
  breakglass: 'this emergency access',
};

const acts: Record<string, string> = {
  read: 'read',
  write: 'change',
  create: 'create',
  register: 'register',
  access: 'read',
  adjudicate: 'adjudicate',
  pay: 'pay',
  review: 'review',
  approve: 'approve',
  propose: 'propose',
  give: 'give to',
  disburse: 'disburse from',
};

const roleWords: Record<string, string> = {
  patient: 'the patient',
  physician: 'physicians',
  records_clerk: 'records clerks',
  privacy_officer: 'privacy officers',
  claims_adjuster: 'claims adjusters',
  charity_officer: 'charity officers',
  milestone_validator: 'milestone validators',
  org_admin: 'organisation admins',
  consortium_admin: 'consortium admins',
  auditor: 'auditors',
  donor: 'donors',
  member: 'members',
};

/** Contract methods as they appear in messages ("claim.adjudicate"), in words. */
const methods: Record<string, string> = {
  'claim.submit': 'filing the claim',
  'claim.review': 'taking the claim into review',
  'claim.adjudicate': 'the adjudication',
  'claim.pay': 'the payment',
  'claim.appeal': 'the appeal',
  'claim.cancel': 'withdrawing the claim',
  'record.register': 'registering the record',
  'record.access': 'reading the record',
  'record.erase': 'erasing the record',
  'record.review_break_glass': 'the review',
  'consent.grant': 'granting the consent',
  'consent.request': 'the consent request',
  'consent.revoke': 'revoking the consent',
  'consent.accept': 'accepting the request',
  'consent.decline': 'declining the request',
  'consent.amend': 'changing the consent',
  'donation.give': 'the gift',
  'donation.disburse': 'the disbursement',
  'governance.propose': 'the proposal',
  'governance.approve': 'the approval',
  'governance.reject': 'the rejection',
  'identity.add_member': 'adding the member',
  'identity.set_roles': 'changing the roles',
  'identity.revoke_member': 'revoking the member',
};

const DENIED = /policy denies (\S+) \(([^)]*) in organisation ([^)]*)\) "([^"]+)" on (\w+)(?: \(([^)]*)\))?(?:; (denied by rule "[^"]*"|no rule allows it))?(?:; allowed for: (.*))?/;

/** Who may, from the policy's "allowed for:" list, in words. */
function whoMay(allowed: string): string {
  const parts = allowed
    .split(/, (?=[a-z_]+(?: \(|$| in |,))/)
    .map((p) => p.trim())
    .filter(Boolean);
  const out: string[] = [];
  for (const p of parts) {
    const m = /^([a-z_]+)(?: \(([^)]*)\))?/.exec(p);
    if (!m) continue;
    const who = roleWords[m[1]] ?? m[1].replace(/_/g, ' ');
    const cond = m[2] ?? '';
    if (cond.includes('own only')) out.push(m[1] === 'patient' ? 'the patient themselves' : `${who} (their own only)`);
    else if (cond.includes('consent')) out.push(`${who} with the patient's active consent`);
    else if (cond.includes('holding organisation')) out.push(`${who} of the organisation that holds it`);
    else out.push(who);
  }
  return [...new Set(out)].join(', ');
}

/** The short reason of a policy denial. */
function denial(m: RegExpExecArray): string {
  const act = acts[m[4]] ?? m[4].replace(/_/g, ' ');
  const obj = objects[m[5]] ?? `this ${m[5]}`;
  const allowed = m[8] ? whoMay(m[8].replace(/;.*$/, '')) : '';
  const consent = /consent/.test(m[8] ?? '');
  if (m[5] === 'record' && consent)
    return `You may not ${act} ${obj}: it needs the patient's active consent for this purpose${allowed ? ` (allowed: ${allowed})` : ''}.`;
  return `Your role may not ${act} ${obj}${allowed ? `; allowed: ${allowed}` : ''}.`;
}

/** Replaces contract method names and internal prefixes with words. */
function plain(s: string): string {
  let out = s
    .replace(/\b(refused at admission|invalid argument|conflict|not found|permission denied|sender not authenticated): /g, '')
    .replace(/\b(contracts|identity|governance|claim|record|consent|donation|quorum|readmodel|portal|graphql|schema): (corrupt|internal)[^;]*/g, 'an internal error')
    .replace(/\b([a-z]+\.[a-z_]+)\b/g, (w) => methods[w] ?? w)
    .replace(/\(committed as [0-9a-f]{16,}\)/g, '')
    // "(sendAccessNote)", "with sendAccessNote(kind: REVIEW)": the API's names, for API clients; the page has a button.
    .replace(/\s*\((?:with )?[a-z]+[A-Z][A-Za-z]*(?:\([^)]*\))?\)/g, '')
    .replace(/\s+/g, ' ')
    .trim();
  if (out) out = out[0].toUpperCase() + out.slice(1);
  if (out && !/[.!?)]$/.test(out)) out += '.';
  return out;
}

/** Titles by error code. */
const titles: Record<string, string> = {
  UNAUTHENTICATED: 'Sign in needed',
  FORBIDDEN: 'Not allowed',
  NOT_FOUND: 'Not found',
  RATE_LIMITED: 'Too many requests',
  UNAVAILABLE: 'Not reachable right now',
  BAD_USER_INPUT: 'Please check',
  VALIDATION: 'Please check',
  CONFLICT: 'Not possible now',
  FAILED: 'Refused by the ledger',
};

const hints: Record<string, string> = {
  UNAUTHENTICATED: 'Sign in to see this.',
  FORBIDDEN: 'Your role may not do this.',
  NOT_FOUND: 'It does not exist, or you may not see it.',
  RATE_LIMITED: 'Too many requests: wait a minute and try again.',
  UNAVAILABLE: 'The portal or its node is not reachable right now: try again in a moment.',
  INTERNAL: 'Something went wrong on the portal. Try again; if it happens again, tell your administrator.',
};

/** A message for people from an error, with the original text as details; orgs names organisations by name. */
export function explain(e: Pick<ApiError, 'message' | 'code'>, orgs?: Map<string, { name: string }>): Explained {
  const raw = e.message ?? '';
  const code = e.code ?? 'INTERNAL';
  const recorded = /the ledger refused (it|the access)/.test(raw);
  const title = recorded && code === 'FORBIDDEN' ? 'Refused' : titles[code] ?? 'Something went wrong';
  const d = DENIED.exec(raw);
  let summary: string;
  if (d) summary = denial(d);
  else if (code === 'INTERNAL' && /internal|corrupt|panic|runtime/.test(raw)) summary = hints.INTERNAL;
  else if (/^the portal answered \d+/.test(raw)) summary = hints[code] ?? hints.INTERNAL;
  else summary = plain(raw.replace(/^the ledger refused (it|the access)[^:]*: /, '')) || hints[code] || hints.INTERNAL;
  // "only the staff of stmarys or an auditor may read its claims": an organisation by its name.
  if (orgs?.size) summary = summary.replace(/\b(of|by|at|from|to) ([a-z0-9][a-z0-9._-]*)\b(?!\/)/g, (w, p, id) => (orgs.has(id) ? `${p} ${orgs.get(id)!.name}` : w));
  if (recorded) summary += ' The refusal is recorded on the ledger.';
  const details = raw && raw !== summary ? raw : null;
  return { title, summary, details };
}

/**
 * A refused read in words: as the patient reads it in their access log
 * (the default), or, with patient false, as anyone else reads it (the
 * explorer: "the patient's consent", "the reader's role").
 */
export function refusalInWords(refusal: string | null | undefined, patient = true): string {
  if (!refusal) return 'Refused.';
  const d = DENIED.exec(refusal);
  if (d) {
    if (/consent/.test(d[8] ?? ''))
      return patient
        ? 'Refused: there was no active consent from you that covers this record and purpose.'
        : "Refused: no active consent of the patient's covers this record and purpose.";
    return patient ? 'Refused: their role may not read your records.' : "Refused: the reader's role may not read the patient's records.";
  }
  if (/not found: consent/.test(refusal)) return 'Refused: the consent they named does not exist.';
  if (/expired|lapsed|not active|inactive|revoked/.test(refusal)) return 'Refused: the consent they relied on was no longer active.';
  return `Refused: ${plain(refusal)}`;
}

/** Roles that may see the details behind a message (the policy's own words). */
export const DETAIL_ROLES = ['org_admin', 'consortium_admin', 'auditor', 'privacy_officer'];
