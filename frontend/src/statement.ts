// A verified receipt in plain words: what the consortium's nodes signed
// (the receipt's events, the block's height and time), with amounts in
// their currency, dates in the viewer's locale, and the names this portal
// knows for the ids the ledger holds (the ids stay beside the names: they
// are what was signed).
import { localTime } from './display';
import { gql } from './api';
import { label, minorMoney } from './format';
import { b64ToBytes, bytesToHex, exactTime, hexToBytes, rootFromInclusion, verifyProof, type Check, type Genesis, type Proof, type Verdict } from './verify';

/** Names for the ids a receipt mentions, as this portal knows them. */
export interface Names {
  orgs: Record<string, string>;
  campaigns: Record<string, { title: string; currency: string; milestones: Record<string, string> }>;
  /** The signed-in member reading the receipt: named "you". */
  viewer?: string;
}

export const noNames: Names = { orgs: {}, campaigns: {} };

type Attrs = Record<string, string>;

const attrsOf = (e: { attrs: { key: string; value: string }[] | null }): Attrs =>
  Object.fromEntries((e.attrs ?? []).map((a) => [a.key, a.value]));

/** The block time of a proof's header as a Date. */
export function headerDate(p: Proof): Date {
  return new Date(Number(exactTime(p.header.time) / 1_000_000n));
}

/** "Hope Foundation (hope)", or the id alone when no name is known. */
function named(id: string, names: Record<string, string>): string {
  const n = names[id];
  return n && n !== id ? `${n} (${id})` : id;
}

/**
 * A member in words: "you (hope/donor-sam)" for the reader, else
 * "validator of Health Regulator (healthreg/validator)"; the id alone when
 * the organisation's name is not known.
 */
function member(id: string | undefined, n: Names): string {
  if (!id) return 'someone';
  if (n.viewer && id === n.viewer) return `you (${id})`;
  const i = id.indexOf('/');
  if (i < 0) return named(id, n.orgs);
  const org = n.orgs[id.slice(0, i)];
  return org ? `${id.slice(i + 1)} of ${org} (${id})` : id;
}

function campaignName(id: string, n: Names): string {
  const c = n.campaigns[id];
  return c ? `“${c.title}” (${id})` : id;
}

function milestoneName(campaign: string, seq: string, n: Names): string {
  const t = n.campaigns[campaign]?.milestones[seq];
  return t ? `milestone ${seq}, “${t}”` : `milestone ${seq}`;
}

function amount(minor: string, currency: string | undefined): string {
  return currency && /^\d+$/.test(minor) ? minorMoney(minor, currency) : `${minor} (minor units)`;
}

const refundReasons: Record<string, string> = {
  campaign_cancelled: 'the campaign was cancelled',
  milestone_rejected: 'the milestone was rejected',
  milestone_missed: 'the milestone missed its deadline',
};

/** One sentence per event, as a person would say it. */
export function statement(p: Proof, n: Names = noNames): string[] {
  const when = localTime(headerDate(p));
  const out: string[] = [];
  for (const e of p.receipt.events ?? []) {
    const a = attrsOf(e);
    const cur = a.currency || n.campaigns[a.campaign]?.currency;
    const short = (id: string) => (id.length > 14 ? `${id.slice(0, 10)}…` : id);
    switch (`${e.contract}.${e.type}`) {
      case 'donation.gift_received': {
        out.push(
          `On ${when}, ${member(a.donor, n)} gave ${amount(a.amount, cur)} to the campaign ${campaignName(a.campaign, n)} of ${named(a.charity, n.orgs)}` +
            (a.beneficiary ? `, for ${member(a.beneficiary, n)}.` : '.'),
        );
        const parts = (a.allocations ?? '')
          .split(',')
          .filter((x) => /^\d+:\d+$/.test(x))
          .map((x) => x.split(':'))
          .map(([m, v]) => `${amount(v, cur)} to ${milestoneName(a.campaign, m, n)}`);
        if (parts.length > 0)
          out.push(
            `${a.earmarked === 'true' ? 'The donor earmarked it' : 'It was allocated'}: ${parts.join('; ')}. ` +
              `The money is held for each milestone until its validator approves it; then the charity pays it out, or gives it back if the milestone fails.`,
          );
        break;
      }
      case 'donation.gift_disbursed':
        out.push(`${amount(a.amount, cur)} of gift ${short(a.gift)} was paid out from ${milestoneName(a.campaign, a.milestone, n)} in disbursement ${a.disbursement}.`);
        break;
      case 'donation.disbursed':
        out.push(
          `On ${when}, the campaign ${campaignName(a.campaign, n)} paid ${amount(a.amount, cur)} to ${named(a.payee, n.orgs)}` +
            `${a.purpose ? ` for “${a.purpose}”` : ''} from ${milestoneName(a.campaign, a.milestone, n)}` +
            `${a.payment_ref ? ` (payment reference ${a.payment_ref})` : ''}${a.claim ? `, the patient's share of claim ${a.claim}` : ''}.`,
        );
        break;
      case 'donation.gift_refunded':
        out.push(`On ${when}, ${amount(a.amount, cur)} of gift ${short(a.gift)} went back to ${member(a.donor, n)}: ${refundReasons[a.reason] ?? label(a.reason ?? '')}.`);
        break;
      case 'donation.payee_confirmed':
        out.push(`On ${when}, ${named(a.payee, n.orgs)} confirmed receiving disbursement ${a.disbursement} (confirmed by ${member(a.by, n)}).`);
        break;
      case 'donation.campaign_funded':
        out.push(`The campaign ${campaignName(a.campaign, n)} reached its goal.`);
        break;
      case 'donation.milestone_approved':
        out.push(`On ${when}, ${member(a.validator, n)} approved ${milestoneName(a.campaign, a.milestone, n)} of ${campaignName(a.campaign, n)}.`);
        break;
      default: {
        const what = Object.entries(a)
          .filter(([, v]) => v !== '')
          .map(([k, v]) => `${label(k)} ${k === 'amount' || k === 'goal' ? amount(v, cur) : v}`)
          .join(', ');
        out.push(`${label(e.type)} (${e.contract})${what ? `: ${what}` : ''}.`);
      }
    }
  }
  out.push(`Recorded on ${when} in block ${p.header.height} of the chain ${p.header.chain_id}, as transaction ${p.index + 1} of ${p.size}.`);
  return out;
}

/** Looks up, on this portal, the names of the organisations and campaigns a proof mentions (public data; ids stay when a lookup fails). */
export async function namesFor(p: Proof, viewer?: string): Promise<Names> {
  const campaigns = [...new Set((p.receipt.events ?? []).flatMap((e) => (e.attrs ?? []).filter((a) => a.key === 'campaign' && a.value).map((a) => a.value)))].slice(0, 10);
  const fields = campaigns.map((_, i) => `c${i}: campaign(id: $c${i}) { id title currency milestones { seq title } }`).join(' ');
  const vars = campaigns.map((_, i) => `$c${i}: ID!`).join(', ');
  const q = `query Names${vars ? `(${vars})` : ''} { organisations { id name } ${fields} }`;
  try {
    const d = await gql<any>(q, Object.fromEntries(campaigns.map((c, i) => [`c${i}`, c])));
    const n: Names = { orgs: {}, campaigns: {}, viewer };
    for (const o of d.organisations ?? []) n.orgs[o.id] = o.name;
    campaigns.forEach((_, i) => {
      const c = d[`c${i}`];
      if (c) n.campaigns[c.id] = { title: c.title, currency: c.currency, milestones: Object.fromEntries((c.milestones ?? []).map((m: any) => [String(m.seq), m.title])) };
    });
    return n;
  } catch {
    return { ...noNames, viewer };
  }
}

// ---- a gift's proof bundle ----------------------------------------------------
//
// The portal's giftProofBundle (consortium-node/api GiftBundle, format
// almoner/gift-proofs/v1): the receipt proofs of every transaction that
// moved a gift. Each is verified as a single receipt is (verifyProof); a
// receipt shown in part (events naming other donors left out) is proven by
// its leaf hash instead, so that its transaction, block and signatures are
// proven and its status and events are the portal's word. Then the steps
// must be the gift's lineage, as `almoner verify` checks them.

export const bundleFormat = 'almoner/gift-proofs/v1';

export interface BundleStep {
  kind: string;
  proof: Proof;
  withheld?: number;
  receipt_leaf?: string;
}

export interface Bundle {
  format: string;
  chain_id: string;
  gift: string;
  steps: BundleStep[];
}

export interface StepVerdict {
  kind: string;
  title: string;
  txId: string;
  height: number;
  when: string;
  ok: boolean;
  /** The receipt was checked whole; otherwise only the transaction. */
  whole: boolean;
  checks: Check[];
  /** What the nodes signed, in words. */
  proves: string[];
  /** What the portal shows of a receipt shown in part: not proven. */
  portalSays: string[];
  /** Why the step does not verify or does not belong to the gift. */
  problem?: string;
}

export interface BundleVerdict {
  ok: boolean;
  steps: StepVerdict[];
  /** The first problem, naming its step. */
  problem?: string;
}

export const stepTitles: Record<string, string> = {
  gift: 'The gift',
  milestone_approved: "The milestone's approval",
  disbursement: 'A disbursement',
  payee_confirmed: "The payee's confirmation",
  refund: 'A refund',
};

export function isBundle(v: unknown): v is Bundle {
  return !!v && typeof v === 'object' && (v as Bundle).format === bundleFormat && Array.isArray((v as Bundle).steps);
}

/** Parses a file that holds a receipt or a gift's bundle. */
export function parseReceiptFile(text: string): { proof: Proof } | { bundle: Bundle } {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new Error(`it is not JSON (${e instanceof Error ? e.message : e})`);
  }
  if (v && typeof v === 'object' && 'format' in v) {
    if (!isBundle(v)) throw new Error(`its format is ${JSON.stringify((v as Bundle).format)}, not a gift's proofs (${bundleFormat})`);
    return { bundle: v };
  }
  const p = v as Proof;
  if (!p || typeof p !== 'object' || !p.header || !p.receipt) throw new Error('it is neither a receipt nor a gift\'s receipts');
  // The node's own form writes the time as a JSON number, which JSON.parse
  // rounds: the exact digits are taken from the text when it holds an
  // integer; a float there (1.79e+18) was rounded by a tool before.
  if (typeof p.header.time === 'number' && !Number.isSafeInteger(p.header.time)) {
    const m = /"time"\s*:\s*(-?\d+)\s*[,}]/.exec(text);
    if (m) p.header.time = m[1];
  }
  return { proof: p };
}

// A minimal CBOR decoder for a transaction's signed bytes (definite
// lengths, as the ledger's deterministic encoding writes them).
type CV = bigint | string | Uint8Array | boolean | null | CV[];

function decodeCBOR(b: Uint8Array): CV {
  let o = 0;
  const byte = () => {
    if (o >= b.length) throw new Error('the transaction is cut short');
    return b[o++];
  };
  const item = (depth: number): CV => {
    if (depth > 16) throw new Error('the transaction nests too deep');
    const ib = byte();
    const major = ib >> 5;
    const ai = ib & 31;
    if (major === 7) {
      if (ai === 20) return false;
      if (ai === 21) return true;
      if (ai === 22) return null;
      throw new Error('the transaction holds a value it may not');
    }
    let n = 0n;
    if (ai < 24) n = BigInt(ai);
    else if (ai <= 27) for (let i = 0; i < 1 << (ai - 24); i++) n = (n << 8n) | BigInt(byte());
    else throw new Error('the transaction has an indefinite length');
    const len = () => {
      if (n > BigInt(b.length - o)) throw new Error('the transaction is cut short');
      return Number(n);
    };
    switch (major) {
      case 0:
        return n;
      case 1:
        return -1n - n;
      case 2: {
        const l = len();
        o += l;
        return b.slice(o - l, o);
      }
      case 3: {
        const l = len();
        o += l;
        return new TextDecoder().decode(b.slice(o - l, o));
      }
      case 4: {
        const out: CV[] = [];
        for (let i = 0, l = len(); i < l; i++) out.push(item(depth + 1));
        return out;
      }
    }
    throw new Error('the transaction holds a value it may not');
  };
  return item(0);
}

interface Call {
  sender: string;
  contract: string;
  method: string;
  args: Record<string, string>;
}

/** The sender and call of a transaction's signed bytes (base64). */
export function decodeCall(txB64: string): Call {
  const s = decodeCBOR(b64ToBytes(txB64));
  const body = Array.isArray(s) ? s[0] : null;
  const call = Array.isArray(body) ? body[5] : null;
  if (!Array.isArray(body) || !Array.isArray(call) || !Array.isArray(call[2])) throw new Error('the transaction is not one the ledger signs');
  const args: Record<string, string> = {};
  for (const a of call[2]) {
    if (!Array.isArray(a)) continue;
    const v = a[2];
    args[String(a[0])] = typeof v === 'string' || typeof v === 'bigint' || typeof v === 'boolean' ? String(v) : v instanceof Uint8Array ? bytesToHex(v) : '';
  }
  return { sender: String(body[2]), contract: String(call[0]), method: String(call[1]), args };
}

const ev = (p: Proof, type: string, key: string, val: string) =>
  (p.receipt.events ?? []).find((e) => e.contract === 'donation' && e.type === type && attrsOf(e)[key] === val);

const sumFor = (p: Proof, type: string, gift: string): [number, number] => {
  let sum = 0;
  let n = 0;
  for (const e of p.receipt.events ?? []) {
    const a = attrsOf(e);
    if (e.contract === 'donation' && e.type === type && a.gift === gift) {
      sum += Number(a.amount);
      n++;
    }
  }
  return [sum, n];
};

/** Why a single receipt failed, in words, from its failed checks (as `almoner verify` says it). */
export function failureCause(p: Proof, v: Verdict): string {
  const failed = v.checks.filter((c) => !c.ok);
  const t = p.header.time;
  if (typeof t === 'number' && !Number.isSafeInteger(t))
    return `the receipt's header time was changed: it is ${t}, a number that lost precision on the way (JSON tools such as jq or JavaScript's JSON.parse round integers above 2^53): pass the receipt as the portal served it, its time a string of digits`;
  const by = (name: string) => failed.find((c) => c.name === name);
  if (by('Chain')) return by('Chain')!.detail;
  const sig = by('Block signed by a quorum of the genesis nodes');
  const unsafe = typeof t === 'string' && /^-?\d+$/.test(t) && !Number.isSafeInteger(Number(t));
  if (sig && unsafe && (String(Number(t)) === t || BigInt(Number(t)) === BigInt(t)))
    return `the receipt's header time was probably changed: it is ${t}, a number above 2^53 as JSON tools such as jq or JavaScript's JSON.parse round it, and no node signature matches the header with it: pass the receipt as the portal served it, its time a string of digits`;
  if (sig)
    return `no quorum of the genesis nodes signed this block header (${sig.detail}): the header was changed after they signed it, or the genesis file is not the consortium's`;
  if (by('Transaction is in the block') && by('Receipt is in the block')) return 'the position of the receipt in its block or its Merkle paths were changed';
  if (by('Transaction is in the block')) return `the transaction was changed: ${by('Transaction is in the block')!.detail}`;
  if (by('Receipt belongs to the transaction')) return `the receipt's transaction id was changed: ${by('Receipt belongs to the transaction')!.detail}`;
  if (by('Receipt is in the block')) return 'the receipt was changed: its status, error or events (an amount, a name, an event) are not what the block recorded';
  return failed.map((c) => `${c.name}: ${c.detail}`).join('; ');
}

/** Verifies every step of a gift's bundle against a genesis file and says what each proves. */
export async function verifyBundle(b: Bundle, g: Genesis, n: Names = noNames): Promise<BundleVerdict> {
  const steps: StepVerdict[] = [];
  let problem: string | undefined;
  const gift = { campaign: '', currency: '', milestones: [] as string[], disbursements: [] as string[] };
  for (const [i, s] of b.steps.entries()) {
    const p = s.proof;
    const title = stepTitles[s.kind] ?? s.kind;
    const sv: StepVerdict = {
      kind: s.kind,
      title,
      txId: p?.receipt?.tx_id ?? '',
      height: p?.header?.height ?? 0,
      when: '',
      ok: false,
      whole: !s.receipt_leaf,
      checks: [],
      proves: [],
      portalSays: [],
    };
    steps.push(sv);
    const fail = (why: string) => {
      sv.problem = why;
      problem ??= `step ${i + 1} (${title.toLowerCase()}): ${why}`;
    };
    try {
      const v = await verifyProof(p, g);
      if (s.receipt_leaf) {
        // Shown in part: the receipt is proven by its leaf hash.
        const at = v.checks.findIndex((c) => c.name === 'Receipt is in the block');
        let ok = false;
        try {
          const root = await rootFromInclusion(p.index, p.size, hexToBytes(s.receipt_leaf), (p.receipt_path ?? []).map(b64ToBytes));
          ok = bytesToHex(root) === p.header.receipt_root;
        } catch {
          ok = false;
        }
        v.checks[at] = {
          name: 'Receipt is in the block (by its hash)',
          ok,
          detail: ok
            ? `${s.withheld ?? 0} of its events are withheld (other donors' gifts): the block proves the receipt's hash, not the events shown`
            : "the receipt's hash was changed: the block holds another receipt at this position",
        };
        v.ok = v.checks.every((c) => c.ok);
      }
      sv.checks = v.checks;
      if (!v.ok) {
        fail(failureCause(p, v));
        continue;
      }
      sv.when = localTime(headerDate(p));
      if (s.kind !== 'gift' && !gift.campaign) {
        fail("its receipt is genuine, but it cannot be tied to the gift: the gift's own receipt did not verify");
        continue;
      }
      const call = decodeCall(p.tx);
      const a = call.args;
      const cur = gift.currency || n.campaigns[gift.campaign]?.currency;
      const amt = (minor: string) => (cur && /^\d+$/.test(minor) ? minorMoney(minor, cur) : `${minor} (minor units)`);
      const words = statement(p, n).slice(0, -1); // the events, without the closing "Recorded on…"
      if (sv.whole && p.receipt.status !== 1) {
        fail(`its transaction failed (${p.receipt.error ?? ''}): it moved no money`);
        continue;
      }
      if (call.contract !== 'donation') {
        fail(`its transaction is ${call.contract}.${call.method}, not a donation`);
        continue;
      }
      const said = (lines: string[]) => (sv.whole ? sv.proves : sv.portalSays).push(...lines);
      switch (s.kind) {
        case 'gift': {
          const e = ev(p, 'gift_received', 'gift', b.gift);
          if (i !== 0 || !sv.whole || call.method !== 'give' || p.receipt.tx_id !== b.gift || !e) {
            fail(`it is not the whole receipt of gift ${b.gift}`);
            continue;
          }
          const at = attrsOf(e);
          gift.campaign = at.campaign;
          gift.currency = at.currency;
          gift.milestones = (at.allocations ?? '')
            .split(',')
            .filter((x) => /^\d+:\d+$/.test(x))
            .map((x) => x.split(':')[0]);
          sv.proves.push(...words);
          break;
        }
        case 'milestone_approved':
          if (call.method !== 'approve_milestone' || a.campaign_id !== gift.campaign || !gift.milestones.includes(a.milestone)) {
            fail(`its transaction (${call.contract}.${call.method}) does not approve a milestone this gift is allocated to`);
            continue;
          }
          said(words);
          if (!sv.whole) sv.proves.push(`${call.sender} signed the approval of ${milestoneName(a.campaign_id, a.milestone, n)} of ${campaignName(a.campaign_id, n)}.`);
          break;
        case 'disbursement': {
          if (call.method !== 'disburse' || a.campaign_id !== gift.campaign || !gift.milestones.includes(a.milestone)) {
            fail(`its transaction (${call.contract}.${call.method}) is no disbursement from a milestone this gift is allocated to`);
            continue;
          }
          const [share, k] = sumFor(p, 'gift_disbursed', b.gift);
          if (sv.whole && k === 0) {
            fail(`disbursement ${a.disbursement_id} did not draw on this gift: its receipt names no share of it`);
            continue;
          }
          gift.disbursements.push(a.disbursement_id);
          if (sv.whole) sv.proves.push(...words);
          else {
            sv.proves.push(
              `${call.sender} signed the disbursement ${a.disbursement_id}: ${amt(a.amount)} from ${milestoneName(a.campaign_id, a.milestone, n)} of ` +
                `${campaignName(a.campaign_id, n)} to ${named(a.payee, n.orgs)} for “${a.purpose}” (payment reference ${a.payment_ref}).`,
            );
            if (k > 0) sv.portalSays.push(`It succeeded, and ${amt(String(share))} of it came from this gift.`);
          }
          break;
        }
        case 'payee_confirmed':
          if (call.method !== 'confirm_receipt' || !gift.disbursements.includes(a.disbursement_id)) {
            fail(`its transaction (${call.contract}.${call.method} of disbursement ${a.disbursement_id}) confirms no disbursement of an earlier step`);
            continue;
          }
          said(words);
          if (!sv.whole) sv.proves.push(`${call.sender} signed the confirmation of disbursement ${a.disbursement_id}.`);
          break;
        case 'refund': {
          const trigger = { cancel: 'cancelled', reject_milestone: 'rejected', settle_milestone: 'settled the overdue' }[call.method];
          if (!trigger || a.campaign_id !== gift.campaign || (call.method !== 'cancel' && !gift.milestones.includes(a.milestone))) {
            fail(`its transaction (${call.contract}.${call.method}) refunds nothing of this gift`);
            continue;
          }
          const [, k] = sumFor(p, 'gift_refunded', b.gift);
          if (sv.whole && k === 0) {
            fail('its receipt refunds nothing of this gift');
            continue;
          }
          sv.proves.push(
            call.method === 'cancel'
              ? `${call.sender} cancelled the campaign ${campaignName(a.campaign_id, n)}.`
              : `${call.sender} ${trigger} ${milestoneName(a.campaign_id, a.milestone, n)} of ${campaignName(a.campaign_id, n)}.`,
          );
          said(words.filter((w) => w.includes(b.gift.slice(0, 10))));
          break;
        }
        default:
          fail(`its kind ${JSON.stringify(s.kind)} is none of a gift's`);
          continue;
      }
      if (!sv.whole) sv.portalSays.push(`${s.withheld ?? 0} events of its receipt are withheld (other donors' gifts): the block proves only the receipt's hash.`);
      sv.proves.push(`Recorded on ${sv.when} in block ${p.header.height} of the chain ${p.header.chain_id}.`);
      sv.ok = true;
    } catch (e) {
      fail(e instanceof Error ? e.message : String(e));
    }
  }
  if (b.steps.length === 0 || b.steps[0].kind !== 'gift') problem ??= 'its first step is not the gift';
  return { ok: !problem, steps, problem };
}
