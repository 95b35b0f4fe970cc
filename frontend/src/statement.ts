// A verified receipt in plain words: what the consortium's nodes signed
// (the receipt's events, the block's height and time), with amounts in
// their currency, dates in the viewer's locale, and the names this portal
// knows for the ids the ledger holds (the ids stay beside the names: they
// are what was signed).
import { localTime } from './display';
import { gql } from './api';
import { label, money } from './format';
import { exactTime, type Proof } from './verify';

/** Names for the ids a receipt mentions, as this portal knows them. */
export interface Names {
  orgs: Record<string, string>;
  campaigns: Record<string, { title: string; currency: string; milestones: Record<string, string> }>;
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

function campaignName(id: string, n: Names): string {
  const c = n.campaigns[id];
  return c ? `“${c.title}” (${id})` : id;
}

function milestoneName(campaign: string, seq: string, n: Names): string {
  const t = n.campaigns[campaign]?.milestones[seq];
  return t ? `milestone ${seq}, “${t}”` : `milestone ${seq}`;
}

function amount(minor: string, currency: string | undefined): string {
  return currency && /^\d+$/.test(minor) ? money(minor, currency) : `${minor} (minor units)`;
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
          `On ${when}, ${a.donor} gave ${amount(a.amount, cur)} to the campaign ${campaignName(a.campaign, n)} of ${named(a.charity, n.orgs)}` +
            (a.beneficiary ? `, for ${a.beneficiary}.` : '.'),
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
        out.push(`On ${when}, ${amount(a.amount, cur)} of gift ${short(a.gift)} went back to ${a.donor}: ${refundReasons[a.reason] ?? label(a.reason ?? '')}.`);
        break;
      case 'donation.payee_confirmed':
        out.push(`On ${when}, ${named(a.payee, n.orgs)} confirmed receiving disbursement ${a.disbursement} (confirmed by ${a.by}).`);
        break;
      case 'donation.campaign_funded':
        out.push(`The campaign ${campaignName(a.campaign, n)} reached its goal.`);
        break;
      case 'donation.milestone_approved':
        out.push(`On ${when}, ${a.validator} approved ${milestoneName(a.campaign, a.milestone, n)} of ${campaignName(a.campaign, n)}.`);
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
export async function namesFor(p: Proof): Promise<Names> {
  const campaigns = [...new Set((p.receipt.events ?? []).flatMap((e) => (e.attrs ?? []).filter((a) => a.key === 'campaign' && a.value).map((a) => a.value)))].slice(0, 10);
  const fields = campaigns.map((_, i) => `c${i}: campaign(id: $c${i}) { id title currency milestones { seq title } }`).join(' ');
  const vars = campaigns.map((_, i) => `$c${i}: ID!`).join(', ');
  const q = `query Names${vars ? `(${vars})` : ''} { organisations { id name } ${fields} }`;
  try {
    const d = await gql<any>(q, Object.fromEntries(campaigns.map((c, i) => [`c${i}`, c])));
    const n: Names = { orgs: {}, campaigns: {} };
    for (const o of d.organisations ?? []) n.orgs[o.id] = o.name;
    campaigns.forEach((_, i) => {
      const c = d[`c${i}`];
      if (c) n.campaigns[c.id] = { title: c.title, currency: c.currency, milestones: Object.fromEntries((c.milestones ?? []).map((m: any) => [String(m.seq), m.title])) };
    });
    return n;
  } catch {
    return noNames;
  }
}
