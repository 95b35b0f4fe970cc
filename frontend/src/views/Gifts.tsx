// Donor: my gifts; a gift's lineage drawn as a flow (live over the
// giftLineage subscription); its receipt as a JSON proof, a printable page
// and an in-browser verification against a genesis file.
import { gql } from '../api';
import { Time, localTime, relativeTime, toDate } from '../display';
import { minorOf, money } from '../format';
import { Who } from '../names';
import { Link } from '../router';
import { Badge, CursorPager, ErrorBox, LiveStopped, Loading, Page, Show, StackTable, usePagedQuery, useQuery, useSubscription } from '../ui';
import { REFUND_REASONS, say } from '../vocab';
import { ReceiptTools } from './Receipt';

const MY_GIFTS = `query MyGifts($after: String) {
  myGifts(first: 20, after: $after, newestFirst: true) {
    nodes { id amount currency time height disbursed refunded escrow earmarked campaign { id title charity { name } } }
    pageInfo { hasNextPage endCursor }
  }
  myGivingTotals { truncated totals { currency gifts given disbursed inEscrow refunded } }
}`;

export function MyGifts() {
  const { q, after, setAfter } = usePagedQuery(MY_GIFTS);
  return (
    <Page title="My gifts">
      <Show q={q} what="Loading your gifts">
        {(d: any) =>
          d.myGifts.nodes.length === 0 && !after ? (
            <p>
              You have not given yet. <Link href="/">Browse campaigns</Link>
            </p>
          ) : (
            <>
              <GivingTotals t={d.myGivingTotals} />
              <StackTable caption="Your gifts, newest first" cols={['Given', 'Campaign', 'Amount', 'Disbursed', 'In escrow', 'Refunded']}>
                {d.myGifts.nodes.map((g: any) => (
                  <tr key={g.id}>
                    <td data-label="Given">
                      <Link href={`/gifts/${g.id}`} title={`Gift ${g.id}`}>
                        {giftWhen(g.time)}
                      </Link>
                    </td>
                    <td data-label="Campaign">
                      <span title={g.campaign.id}>{g.campaign.title}</span>
                      {g.campaign.charity && <span class="muted">, {g.campaign.charity.name}</span>}
                    </td>
                    <td data-label="Amount">{money(g.amount, g.currency)}</td>
                    <td data-label="Disbursed">{money(g.disbursed, g.currency)}</td>
                    <td data-label="In escrow">{money(g.escrow, g.currency)}</td>
                    <td data-label="Refunded">{money(g.refunded, g.currency)}</td>
                  </tr>
                ))}
              </StackTable>
              <CursorPager label="More gifts" after={after} setAfter={setAfter} page={d.myGifts.pageInfo} first="Newest gifts" next="Older gifts" />
            </>
          )
        }
      </Show>
    </Page>
  );
}

/** When a gift was given, in the viewer's locale, with how long ago. */
function giftWhen(t: string): string {
  const d = toDate(t);
  return d ? `${localTime(d)} (${relativeTime(d)})` : t;
}

/** What the donor gave in all, per currency, and where it is now. */
function GivingTotals({ t }: { t: any }) {
  if (!t || t.totals.length === 0) return null;
  return (
    <section aria-labelledby="totals-title">
      <h2 id="totals-title" class="sr-only">
        Your giving in all
      </h2>
      {t.totals.map((x: any) => (
        <dl class="facts" key={x.currency} aria-label={`Your giving in ${x.currency}`}>
          <div><dt>Given in all</dt><dd>{money(x.given, x.currency)}</dd></div>
          <div><dt>Gifts</dt><dd>{x.gifts}</dd></div>
          <div><dt>Disbursed</dt><dd>{money(x.disbursed, x.currency)}</dd></div>
          <div><dt>In escrow</dt><dd>{money(x.inEscrow, x.currency)}</dd></div>
          <div><dt>Refunded</dt><dd>{money(x.refunded, x.currency)}</dd></div>
        </dl>
      ))}
      {t.truncated && <p class="note">Totals of your first 10,000 gifts.</p>}
    </section>
  );
}

const LINEAGE_FIELDS = `
  disbursed refunded inEscrow
  campaign { id title currency charity { name } charityId }
  gift { id amount currency time height donor earmarked beneficiary }
  allocations {
    amount earmarked inEscrow
    milestone { seq title status validator }
    disbursements { amount payee payeeName confirmed disbursement { id purpose time paymentRef evidenceHash } }
    refunds { amount reason time transactionId }
  }`;

const GIFT = `query Gift($id: ID!) { gift(id: $id) { id lineage { ${LINEAGE_FIELDS} } } }`;
const LIVE = `subscription Lineage($id: ID!) { giftLineage(giftId: $id) { ${LINEAGE_FIELDS} } }`;

export function Gift({ id }: { id: string }) {
  const q = useQuery(GIFT, { id });
  const live = useSubscription<any>(LIVE, { id }, !!q.data?.gift);
  const lineage = live.data?.giftLineage ?? q.data?.gift?.lineage;
  return (
    <Page title="Where my gift went">
      {q.error && <ErrorBox error={q.error} retry={q.reload} />}
      {q.loading && <Loading what="Loading the gift" />}
      {q.data && !q.data.gift && <p>There is no gift {id} that you may see.</p>}
      {lineage && (
        <>
          <p class="live" role="status" aria-live="polite">
            {live.error ? (
              <LiveStopped error={live.error} />
            ) : live.data ? (
              <>
                <span class="dot" aria-hidden="true" /> Live: updates as blocks commit
                {live.updates > 1 && ` (${live.updates - 1} update${live.updates > 2 ? 's' : ''})`}
              </>
            ) : (
              'Connecting for live updates…'
            )}
          </p>
          <Lineage l={lineage} />
          <ReceiptTools txId={id} since={(n) => sinceLines(lineage, n.orgs)} />
        </>
      )}
    </Page>
  );
}

function Lineage({ l }: { l: any }) {
  const c = l.campaign.currency;
  return (
    <div class="lineage">
      <p class="nums">
        <strong>{money(l.gift.amount, c)}</strong> given <Time value={l.gift.time} /> in block {l.gift.height}: {money(l.disbursed, c)} disbursed,{' '}
        {money(l.inEscrow, c)} in escrow, {money(l.refunded, c)} refunded.
      </p>
      <ol class="flow" aria-label="Lineage of the gift">
        {l.allocations.map((a: any) => (
          <li class="flow-row" key={a.milestone.seq}>
            <div class="node n-gift">
              <span class="k">Gift</span>
              <span>{money(a.amount, c)}</span>
              {a.earmarked && <small>earmarked</small>}
            </div>
            <Arrow />
            <div class="node n-campaign">
              <span class="k">Campaign</span>
              <Link href={`/campaigns/${encodeURIComponent(l.campaign.id)}`} title={l.campaign.id}>
                {l.campaign.title}
              </Link>
              <small title={l.campaign.charityId}>{l.campaign.charity?.name ?? l.campaign.charityId}</small>
            </div>
            <Arrow />
            <div class="node n-milestone">
              <span class="k">Milestone {a.milestone.seq}</span>
              <span>{a.milestone.title}</span>
              <Badge v={a.milestone.status} />
              <small>
                checked by <Who id={a.milestone.validator} />
              </small>
            </div>
            <Arrow />
            <ul class="outs">
              {a.disbursements.map((d: any) => (
                <li class="out" key={d.disbursement.id}>
                  <div class="node n-disb">
                    <span class="k">Disbursement</span>
                    <span>{money(d.amount, c)}</span>
                    <small>{d.disbursement.purpose}</small>
                    <small>
                      <Time value={d.disbursement.time} relative={false} />
                    </small>
                  </div>
                  <Arrow />
                  <div class={`node n-payee ${d.confirmed ? 'confirmed' : ''}`}>
                    <span class="k">Payee</span>
                    <span title={d.payee}>{d.payeeName ?? d.payee}</span>
                    <small>{d.confirmed ? 'receipt confirmed' : 'awaiting confirmation'}</small>
                  </div>
                </li>
              ))}
              {a.refunds.map((r: any) => (
                <li class="out" key={r.transactionId}>
                  <div class="node n-refund">
                    <span class="k">Refund</span>
                    <span>{money(r.amount, c)}</span>
                    <small>{say(REFUND_REASONS, r.reason)}</small>
                  </div>
                </li>
              ))}
              {minorOf(a.inEscrow, c) > 0 && (
                <li class="out">
                  <div class="node n-escrow">
                    <span class="k">In escrow</span>
                    <span>{money(a.inEscrow, c)}</span>
                    <small>until the milestone is approved</small>
                  </div>
                </li>
              )}
            </ul>
          </li>
        ))}
      </ol>
    </div>
  );
}

/**
 * Where the gift's money went after the gift, in words (from the lineage:
 * this portal's records), with the payees' names where orgs has them.
 */
export function sinceLines(l: any, orgs: Record<string, string> = {}): string[] {
  const c = l.campaign.currency;
  const on = (t: string) => {
    const d = toDate(t);
    return d ? ` on ${localTime(d)}` : '';
  };
  const out: string[] = [];
  for (const a of l.allocations) {
    const m = `milestone ${a.milestone.seq}, “${a.milestone.title}”`;
    for (const d of a.disbursements)
      out.push(
        `${money(d.amount, c)} from ${m} was paid to ${d.payeeName ?? orgs[d.payee] ?? d.payee}${on(d.disbursement.time)}` +
          `${d.disbursement.purpose ? ` for “${d.disbursement.purpose}”` : ''}; ` +
          `${d.confirmed ? 'the payee confirmed receiving it' : 'the payee has not confirmed receiving it yet'}.`,
      );
    for (const r of a.refunds)
      out.push(`${money(r.amount, c)} from ${m} went back to the donor${on(r.time)} (${say(REFUND_REASONS, r.reason).toLowerCase()}).`);
    if (minorOf(a.inEscrow, c) > 0) out.push(`${money(a.inEscrow, c)} is still held for ${m} until its validator approves it.`);
  }
  return out;
}

function Arrow() {
  return (
    <span class="arrow" aria-hidden="true">
      →
    </span>
  );
}

/** The receipt proof of a transaction with its header time made exact. */
export async function loadProof(txId: string) {
  const d = await gql<any>(`query Proof($id: ID!) { receiptProof(id: $id) transaction(id: $id) { time height } }`, { id: txId });
  if (!d.receiptProof) throw new Error('no receipt for this transaction');
  const p = d.receiptProof;
  // The JSON scalar carries the nanosecond header time as a float; the
  // block time (RFC 3339, nanoseconds) gives it exactly.
  if (d.transaction && !Number.isSafeInteger(p.header.time)) p.header.time = d.transaction.time;
  return { proof: p, tx: d.transaction };
}
