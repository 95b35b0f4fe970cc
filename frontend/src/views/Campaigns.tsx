// Public: every campaign with its progress; a campaign with milestones,
// validators and the give form.
import { useState } from 'preact/hooks';
import { submit } from '../api';
import { day, decimal, minorMoney, minorOf, money, parseAmount, scale } from '../format';
import { Link, navigate } from '../router';
import { Who } from '../names';
import { has, useViewer } from '../session';
import { toDate } from '../display';
import { ActionButton, ActionForm, Badge, CursorPager, Field, InputField, Page, Progress, Select, Show, StackTable, useAction, usePagedQuery, useQuery } from '../ui';

const CAMPAIGNS = `query Campaigns($after: String) {
  campaigns(first: 20, after: $after) {
    nodes { id title status currency goal raised disbursed refunded giftCount charityId charity { id name }
      milestones { status amount funded deadline } }
    pageInfo { hasNextPage endCursor }
  }
}`;

export function Campaigns() {
  const { q, after, setAfter } = usePagedQuery(CAMPAIGNS);
  return (
    <Page title="Campaigns">
      <p class="lead">Every gift is traceable on the consortium ledger, from the donor to the bill it paid.</p>
      <Show q={q} what="Loading campaigns">
        {(d: any) => (
          <>
            {d.campaigns.nodes.length === 0 && <p>No campaigns yet.</p>}
            <ul class="cards" aria-label="Campaigns">
              {d.campaigns.nodes.map((c: any) => (
                <li class="card" key={c.id}>
                  <h2>
                    <Link href={`/campaigns/${encodeURIComponent(c.id)}`}>{c.title}</Link>
                  </h2>
                  <p class="meta">
                    <span title={c.charity?.id ?? c.charityId}>{c.charity?.name ?? c.charityId}</span> · <StateBadge c={c} />
                  </p>
                  <Progress value={Number(c.raised)} max={Number(c.goal)} label={`${c.title}: raised of goal`} />
                  <p class="nums">
                    <strong>{money(c.raised, c.currency)}</strong> raised of {money(c.goal, c.currency)} · {c.giftCount} gifts
                  </p>
                </li>
              ))}
            </ul>
            <CursorPager label="More campaigns" after={after} setAfter={setAfter} page={d.campaigns.pageInfo} first="First page" next="Next page" />
          </>
        )}
      </Show>
    </Page>
  );
}

export const CAMPAIGN = `query Campaign($id: ID!) {
  campaign(id: $id) {
    id title status currency goal raised disbursed refunded balance giftCount disbursementCount beneficiaries createdAt
    charity { id name } charityId
    milestones { seq title amount deadline status funded escrow disbursed refunded evidenceHash validator decidedBy }
  }
}`;

export function Campaign({ id }: { id: string }) {
  const q = useQuery(CAMPAIGN, { id });
  const { viewer } = useViewer();
  return (
    <Show q={q} what="Loading the campaign">
      {(d: any) =>
        !d.campaign ? (
          <Page title="Campaign not found">
            <p>
              There is no campaign <code>{id}</code>. <Link href="/">All campaigns</Link>
            </p>
          </Page>
        ) : (
          <Page title={d.campaign.title}>
            <CampaignSummary c={d.campaign} />
            <h2>Milestones</h2>
            <Milestones c={d.campaign} />
            {campaignState(d.campaign).takesGifts ? (
              has(viewer, 'donor') ? (
                <Give c={d.campaign} onGiven={q.reload} />
              ) : (
                <p class="note">
                  {viewer ? 'Only donors can give.' : <><Link href="/signin">Sign in</Link> as a donor to give.</>}
                </p>
              )
            ) : (
              <p class="note">This campaign takes no gifts: {campaignState(d.campaign).text.toLowerCase()}.</p>
            )}
          </Page>
        )
      }
    </Show>
  );
}

export interface CampaignState {
  /** The badge's colour: the ledger's status, or REFUNDED. */
  code: string;
  /** The state in words: "Open for gifts", "Refunded in full", "Cancelled: gifts refunded". */
  text: string;
  /** Whether the ledger would take a gift now (open, and a milestone with room before its deadline). */
  takesGifts: boolean;
}

/**
 * A campaign's state as donors read it: the ledger's status says "open"
 * for a campaign whose every gift went back (a milestone missed or
 * rejected), so the amounts and milestones decide the words, and whether a
 * gift is offered at all (the donation contract takes one only while some
 * milestone, pending or awaiting approval, still needs money before its
 * deadline).
 */
export function campaignState(c: any, now = Date.now()): CampaignState {
  const raised = minorOf(c.raised, c.currency);
  const refunded = minorOf(c.refunded, c.currency);
  const disbursed = minorOf(c.disbursed, c.currency);
  const allBack = raised > 0 && refunded >= raised;
  const room = (c.milestones ?? []).some((m: any) => {
    const due = toDate(m.deadline);
    return (
      (m.status === 'PENDING' || m.status === 'EVIDENCE_SUBMITTED') &&
      (!due || due.getTime() > now) &&
      minorOf(m.funded, c.currency) < minorOf(m.amount, c.currency)
    );
  });
  switch (c.status) {
    case 'DRAFT':
      return { code: 'DRAFT', text: 'Draft: not open for gifts yet', takesGifts: false };
    case 'CANCELLED':
      if (raised === 0) return { code: 'CANCELLED', text: 'Cancelled', takesGifts: false };
      return { code: 'CANCELLED', text: disbursed > 0 ? 'Cancelled: what was not disbursed is refunded' : 'Cancelled: gifts refunded', takesGifts: false };
    case 'CLOSED':
      return { code: 'CLOSED', text: allBack ? 'Closed: refunded in full' : 'Closed', takesGifts: false };
    case 'FUNDED':
      return { code: 'FUNDED', text: allBack ? 'Refunded in full' : 'Funded: the goal is reached', takesGifts: false };
  }
  if (allBack) return room ? { code: 'OPEN', text: 'Earlier gifts refunded in full; open for new gifts', takesGifts: true } : { code: 'REFUNDED', text: 'Refunded in full', takesGifts: false };
  if (!room) return { code: c.status, text: 'No milestone takes gifts now', takesGifts: false };
  return { code: 'OPEN', text: 'Open for gifts', takesGifts: true };
}

/** A campaign's state (campaignState) as a badge, the ledger's status on hover. */
export function StateBadge({ c }: { c: any }) {
  const st = campaignState(c);
  return (
    <span title={`Status on the ledger: ${c.status.toLowerCase()}`}>
      <Badge v={st.code} text={st.text} />
    </span>
  );
}

export function CampaignSummary({ c }: { c: any }) {
  return (
    <div class="summary">
      <p class="meta">
        <span title={c.charityId}>{c.charity?.name ?? c.charityId}</span> · <StateBadge c={c} /> · since {day(c.createdAt)}
      </p>
      <Progress value={Number(c.raised)} max={Number(c.goal)} label="Raised of goal" />
      <dl class="facts">
        <div><dt>Goal</dt><dd>{money(c.goal, c.currency)}</dd></div>
        <div><dt>Raised</dt><dd>{money(c.raised, c.currency)}</dd></div>
        <div><dt>Disbursed</dt><dd>{money(c.disbursed, c.currency)}</dd></div>
        <div><dt>Refunded</dt><dd>{money(c.refunded, c.currency)}</dd></div>
        <div><dt>Gifts</dt><dd>{c.giftCount}</dd></div>
      </dl>
    </div>
  );
}

/** A campaign's milestones (one card per milestone on a phone); validators by name (the id on hover) unless names is false. */
export function Milestones({ c, actions, names = true }: { c: any; actions?: (m: any) => preact.ComponentChildren; names?: boolean }) {
  return (
    <StackTable caption={`Milestones of ${c.title}`} cols={['#', 'Milestone', 'Status', 'Funded / amount', 'In escrow', 'Disbursed', 'Validator', 'Deadline', actions && 'Actions']}>
      {c.milestones.map((m: any) => (
        <tr key={m.seq}>
          <td data-label="#">{m.seq}</td>
          <td data-label="Milestone">{m.title}</td>
          <td data-label="Status"><Badge v={m.status} /></td>
          <td data-label="Funded / amount">
            {money(m.funded, c.currency)} / {money(m.amount, c.currency)}
          </td>
          <td data-label="In escrow">{money(m.escrow, c.currency)}</td>
          <td data-label="Disbursed">{money(m.disbursed, c.currency)}</td>
          <td data-label="Validator">{names ? <Who id={m.validator} /> : m.validator}</td>
          <td data-label="Deadline">{day(m.deadline)}</td>
          {actions && <td data-label="Actions">{actions(m)}</td>}
        </tr>
      ))}
    </StackTable>
  );
}

const GIVE = `mutation Give($campaign: ID!, $amount: Amount!, $milestone: Int, $wait: Boolean) {
  give(campaign: $campaign, amount: $amount, milestone: $milestone, wait: $wait) { TX }
}`;

function Give({ c, onGiven }: { c: any; onGiven: () => void }) {
  const [amount, setAmount] = useState('');
  const [milestone, setMilestone] = useState('');
  const [gift, setGift] = useState<string | null>(null);
  const a = useAction();
  const open = c.milestones.filter((m: any) => m.status === 'PENDING' && minorOf(m.funded, c.currency) < minorOf(m.amount, c.currency));
  return (
    <ActionForm
      class="panel"
      aria-labelledby="give-title"
      a={a}
      check={(k) => k.need(parseAmount(amount, c.currency) === null, 'amount', `An amount such as ${decimal(25 * 10 ** scale(c.currency), c.currency)}.`)}
      run={async () => {
        const minor = parseAmount(amount, c.currency) as number;
        const r = await submit(GIVE, { campaign: c.id, amount: decimal(minor, c.currency), milestone: milestone ? Number(milestone) : null });
        setGift(r.id);
        setAmount('');
        onGiven();
        return `Thank you: your gift of ${minorMoney(minor, c.currency)} is on the ledger (block ${r.height}).`;
      }}
    >
      <h2 id="give-title">Give</h2>
      <div class="row">
        <InputField a={a} label={`Amount (${c.currency})`} name="amount" inputMode="decimal" value={amount} placeholder={decimal(25 * 10 ** scale(c.currency), c.currency)} onValue={setAmount} />
        <Field label="Earmark" hint="Optional: a milestone your gift pays for">
          <Select
            name="milestone"
            value={milestone}
            choices={open.map((m: any): [string, string] => [String(m.seq), `${m.seq}. ${m.title}`])}
            placeholder="Split across milestones in order"
            onChange={setMilestone}
          />
        </Field>
      </div>
      <ActionButton a={a} type="submit">
        Give
      </ActionButton>
      {gift && a.done && (
        <p>
          <button type="button" class="link" onClick={() => navigate(`/gifts/${gift}`)}>
            Follow this gift
          </button>
        </p>
      )}
    </ActionForm>
  );
}
