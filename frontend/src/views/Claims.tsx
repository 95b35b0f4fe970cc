// Insurer: the claims queue with filters; a claim's detail (live over the
// claimStatus subscription) with review, the itemised document (opened with
// one button: the portal finds the patient's consent), item-by-item
// adjudication beside each item's service code and date (the ledger
// refuses an adjudication until the insurer has read the document) and
// payment. Also the claim lists of patients (myClaims) and providers.
import { useState } from 'preact/hooks';
import { gql, submit } from '../api';
import { label, money, parseAmount, pretty, when } from '../format';
import { Link } from '../router';
import { has, useViewer } from '../session';
import { Badge, Busy, ErrorBox, Field, Loading, Page, Result, Show, useAction, useQuery, useSubscription } from '../ui';
import { RecordReader } from './Records';

// The claim contract's adjudication reason codes (item reasons and the
// denial reason).
const REASONS = [
  'not-covered',
  'plan-limit',
  'not-medically-necessary',
  'prior-authorization-required',
  'out-of-network',
  'patient-ineligible',
  'coding-error',
  'missing-documentation',
  'contractual-adjustment',
  'duplicate-service',
  'timely-filing',
];

function ReasonSelect(props: { name: string; label: string; value: string; onChange: (v: string) => void }) {
  return (
    <select name={props.name} aria-label={props.label} value={props.value} onChange={(e) => props.onChange(e.currentTarget.value)}>
      <option value="">—</option>
      {REASONS.map((r) => (
        <option key={r} value={r}>
          {r.replace(/-/g, ' ')}
        </option>
      ))}
    </select>
  );
}

const STATUSES = ['SUBMITTED', 'IN_REVIEW', 'ADJUDICATED', 'APPEALED', 'PAID', 'CANCELLED'];
const ROW = 'id status outcome claimed approved currency patient provider insurer submittedAt';

const QUEUE = `query Queue($status: ClaimStatus, $insurer: ID, $after: String) {
  claimQueue(first: 20, status: $status, insurer: $insurer, after: $after) { nodes { ${ROW} } pageInfo { hasNextPage endCursor } }
}`;

export function ClaimQueue() {
  const { viewer } = useViewer();
  const auditor = has(viewer, 'auditor');
  const [status, setStatus] = useState('');
  const [insurer, setInsurer] = useState(auditor ? 'acme' : '');
  const [pages, setPages] = useState<string[]>([]);
  const after = pages[pages.length - 1] ?? null;
  const q = useQuery(QUEUE, { status: status || null, insurer: insurer || null, after });
  const orgs = useQuery(`{ organisations { id name kind } }`, {}, !auditor);
  return (
    <Page title="Claims queue">
      <form class="filters" role="search" aria-label="Filter claims" onSubmit={(e) => e.preventDefault()}>
        {auditor && (
          <Field label="Insurer">
            <select
              name="insurer"
              value={insurer}
              onChange={(e) => {
                setInsurer(e.currentTarget.value);
                setPages([]);
              }}
            >
              {(orgs.data?.organisations ?? [{ id: 'acme', name: 'acme', kind: 'insurer' }])
                .filter((o: any) => o.kind === 'insurer')
                .map((o: any) => (
                  <option key={o.id} value={o.id}>
                    {o.name}
                  </option>
                ))}
            </select>
          </Field>
        )}
        <Field label="Status">
          <select
            name="status"
            value={status}
            onChange={(e) => {
              setStatus(e.currentTarget.value);
              setPages([]);
            }}
          >
            <option value="">All</option>
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {label(s)}
              </option>
            ))}
          </select>
        </Field>
        <button type="button" class="secondary" onClick={q.reload}>
          Refresh
        </button>
      </form>
      <Show q={q} what="Loading the queue">
        {(d: any) => (
          <>
            <ClaimTable claims={d.claimQueue.nodes} caption="Claims in the queue" />
            <nav class="pager" aria-label="Pages">
              {pages.length > 0 && (
                <button type="button" class="secondary" onClick={() => setPages(pages.slice(0, -1))}>
                  Previous page
                </button>
              )}
              {d.claimQueue.pageInfo.hasNextPage && (
                <button type="button" class="secondary" onClick={() => setPages([...pages, d.claimQueue.pageInfo.endCursor])}>
                  Next page
                </button>
              )}
            </nav>
          </>
        )}
      </Show>
    </Page>
  );
}

export function ClaimTable({ claims, caption }: { claims: any[]; caption: string }) {
  if (claims.length === 0) return <p>No claims.</p>;
  return (
    <div class="table-wrap">
      <table>
        <caption class="sr-only">{caption}</caption>
        <thead>
          <tr>
            <th scope="col">Claim</th>
            <th scope="col">Status</th>
            <th scope="col">Outcome</th>
            <th scope="col">Claimed</th>
            <th scope="col">Approved</th>
            <th scope="col">Patient</th>
            <th scope="col">Provider</th>
            <th scope="col">Submitted</th>
          </tr>
        </thead>
        <tbody>
          {claims.map((c) => (
            <tr key={c.id}>
              <td>
                <Link href={`/claims/${encodeURIComponent(c.id)}`}>{c.id}</Link>
              </td>
              <td><Badge v={c.status} /></td>
              <td>{c.outcome ? <Badge v={c.outcome} /> : '—'}</td>
              <td>{money(c.claimed, c.currency)}</td>
              <td>{money(c.approved, c.currency)}</td>
              <td>{c.patient}</td>
              <td>{c.provider}</td>
              <td>{when(c.submittedAt)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

const DETAIL = `id status outcome claimed approved patientShare paidAmount paymentRef denialReason currency patient provider insurer
  submittedAt submittedBy linkedRecords document documentAccess
  items { seq amount approved reason }
  history { status by time txId }
  appeals { seq reason outcome approved by time }`;

const CLAIM = `query Claim($id: ID!) { claim(id: $id) { ${DETAIL} } }`;
const LIVE = `subscription ClaimLive($id: ID!) { claimStatus(claimId: $id) { ${DETAIL} } }`;

export function Claim({ id }: { id: string }) {
  const q = useQuery(CLAIM, { id });
  const live = useSubscription<any>(LIVE, { id }, !!q.data?.claim);
  const c = live.data?.claimStatus ?? q.data?.claim;
  const { viewer } = useViewer();
  const adjuster = has(viewer, 'claims_adjuster') && viewer?.org?.id === c?.insurer;
  // The opened document (its items: service code, date, amount), by claim,
  // shown beside the ledger's items and the adjudication inputs.
  const [docs, setDocs] = useState<Record<string, any>>({});
  const doc = docs[id] ?? null;
  const setDoc = (d: any) => setDocs({ ...docs, [id]: d });
  const read = !!doc || !!c?.documentAccess;
  return (
    <Page title={`Claim ${id}`}>
      {q.error && <ErrorBox error={q.error} retry={q.reload} />}
      {q.loading && !c && <Loading what="Loading the claim" />}
      {q.data && !q.data.claim && <p>There is no claim {id} that you may see.</p>}
      {c && (
        <>
          <p class="live" role="status" aria-live="polite">
            {live.error ? <span class="warn">Live updates stopped: {live.error.message}</span> : live.data ? 'Live: updates as blocks commit' : 'Connecting…'}
          </p>
          <dl class="facts">
            <div><dt>Status</dt><dd><Badge v={c.status} /></dd></div>
            <div><dt>Outcome</dt><dd>{c.outcome ? <Badge v={c.outcome} /> : '—'}</dd></div>
            <div><dt>Claimed</dt><dd>{money(c.claimed, c.currency)}</dd></div>
            <div><dt>Approved</dt><dd>{money(c.approved, c.currency)}</dd></div>
            <div><dt>Patient share</dt><dd>{money(c.patientShare, c.currency)}</dd></div>
            <div><dt>Paid</dt><dd>{money(c.paidAmount, c.currency)}{c.paymentRef ? ` (${c.paymentRef})` : ''}</dd></div>
            <div><dt>Patient</dt><dd>{c.patient}</dd></div>
            <div><dt>Provider</dt><dd>{c.provider}</dd></div>
            <div><dt>Insurer</dt><dd>{c.insurer}</dd></div>
            <div><dt>Submitted</dt><dd>{when(c.submittedAt)} by {c.submittedBy}</dd></div>
          </dl>
          {c.denialReason && <p><strong>Denial reason:</strong> {c.denialReason}</p>}
          <ClaimDocument c={c} doc={doc} setDoc={setDoc} />
          {adjuster && (c.status === 'SUBMITTED' || c.status === 'APPEALED') && <Review c={c} />}
          {adjuster && c.status === 'IN_REVIEW' && read ? (
            <Adjudicate c={c} doc={doc} />
          ) : (
            <>
              {adjuster && c.status === 'IN_REVIEW' && (
                <p class="note" role="status">
                  Open the itemised document first: the ledger accepts an adjudication only once someone at {c.insurer} has read it.
                </p>
              )}
              <Items c={c} doc={doc} />
            </>
          )}
          {adjuster && c.status === 'ADJUDICATED' && c.approved > c.paidAmount && <Pay c={c} />}
          <h2>Linked records</h2>
          {c.linkedRecords.length === 0 ? (
            <p>None.</p>
          ) : (
            <ul class="records">
              {c.linkedRecords.map((r: string) => (
                <li key={r}>
                  <RecordReader record={r} purpose="claims" askConsent={adjuster} />
                </li>
              ))}
            </ul>
          )}
          {c.appeals.length > 0 && (
            <>
              <h2>Appeals</h2>
              <ul>
                {c.appeals.map((a: any) => (
                  <li key={a.seq}>
                    {when(a.time)} by {a.by}: “{a.reason}” against <Badge v={a.outcome} /> ({money(a.approved, c.currency)} approved)
                  </li>
                ))}
              </ul>
            </>
          )}
          <h2>History</h2>
          <ol>
            {c.history.map((h: any) => (
              <li key={h.txId}>
                <Badge v={h.status} /> {when(h.time)} by {h.by}
              </li>
            ))}
          </ol>
        </>
      )}
    </Page>
  );
}

/** The document's line for item seq (service code and date), if open. */
function line(doc: any, seq: number): any {
  return doc?.items?.find((l: any) => l.seq === seq) ?? null;
}

/** Service code and date cells of an item: from the opened document only. */
function ServiceCells({ doc, seq }: { doc: any; seq: number }) {
  const l = line(doc, seq);
  return (
    <>
      <td>{l ? l.serviceCode : '—'}</td>
      <td>{l ? l.date : '—'}</td>
    </>
  );
}

function Items({ c, doc }: { c: any; doc: any }) {
  return (
    <>
      <h2>Items</h2>
      {!doc && <p class="note">Service codes and dates show once the itemised document is open.</p>}
      <div class="table-wrap">
        <table>
          <caption class="sr-only">Items of claim {c.id}</caption>
          <thead>
            <tr>
              <th scope="col">#</th>
              <th scope="col">Service</th>
              <th scope="col">Date</th>
              <th scope="col">Amount</th>
              <th scope="col">Approved</th>
              <th scope="col">Reason</th>
            </tr>
          </thead>
          <tbody>
            {c.items.map((i: any) => (
              <tr key={i.seq}>
                <td>{i.seq}</td>
                <ServiceCells doc={doc} seq={i.seq} />
                <td>{money(i.amount, c.currency)}</td>
                <td>{i.approved === null ? '—' : money(i.approved, c.currency)}</td>
                <td>{i.reason ?? ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}

const OPEN_DOC = `mutation Open($claim: ID!) {
  openClaimDocument(claim: $claim) { accessTx consent verified problem version created items { seq serviceCode date amount } fhir }
}`;

/**
 * The claim's itemised document (an encrypted FHIR Claim record): opening it
 * commits an access on the ledger (the patient sees it), so it is a button.
 * An adjuster names no consent: the portal finds the one the patient gave
 * the insurer for claims. Its items show in the items table below.
 */
function ClaimDocument({ c, doc, setDoc }: { c: any; doc: any; setDoc: (d: any) => void }) {
  const a = useAction();
  return (
    <section class="panel" aria-labelledby="doc-title">
      <h2 id="doc-title">Itemised document</h2>
      {!doc && (
        <>
          <p class="note">Service codes and dates are in an encrypted FHIR Claim record ({c.document}); reading it is recorded on the ledger.</p>
          <Busy
            type="button"
            busy={a.busy}
            onClick={() =>
              a.run(async () => {
                const d = (await gql<any>(OPEN_DOC, { claim: c.id })).openClaimDocument;
                setDoc(d);
                return `Opened${d.consent ? ` under the patient’s consent ${d.consent}` : ''}; the access is on the ledger and in the patient’s access log.`;
              })
            }
          >
            Open the itemised document
          </Busy>
        </>
      )}
      <Result a={a} />
      {doc && (
        <>
          <p class={doc.verified ? 'ok' : 'error'} role="status">
            {doc.verified ? 'The document matches the claim on the ledger.' : `The document does not match the claim: ${doc.problem ?? 'unknown problem'}`}
          </p>
          <details>
            <summary>FHIR Claim (version {doc.version})</summary>
            <pre class="fhir">{pretty(doc.fhir)}</pre>
          </details>
        </>
      )}
    </section>
  );
}

const REVIEW = `mutation Review($claim: ID!, $wait: Boolean) { reviewClaim(claim: $claim, wait: $wait) { TX } }`;

function Review({ c }: { c: any }) {
  const a = useAction();
  return (
    <div class="panel">
      <Busy type="button" busy={a.busy} onClick={() => a.run(async () => { await submit(REVIEW, { claim: c.id }); return 'The claim is in review.'; })}>
        Take into review
      </Busy>
      <Result a={a} />
    </div>
  );
}

const ADJUDICATE = `mutation Adjudicate($claim: ID!, $adjudication: [AdjudicationInput!]!, $denialReason: String, $wait: Boolean) {
  adjudicateClaim(claim: $claim, adjudication: $adjudication, denialReason: $denialReason, wait: $wait) { TX }
}`;

function Adjudicate({ c, doc }: { c: any; doc: any }) {
  const [rows, setRows] = useState<Record<number, { approved: string; reason: string }>>(() =>
    Object.fromEntries(c.items.map((i: any) => [i.seq, { approved: (i.amount / 100).toFixed(2), reason: '' }])),
  );
  const [denial, setDenial] = useState('');
  const a = useAction();
  const set = (seq: number, k: 'approved' | 'reason', v: string) => setRows({ ...rows, [seq]: { ...rows[seq], [k]: v } });
  return (
    <form
      class="panel"
      aria-labelledby="adj-title"
      onSubmit={(e) => {
        e.preventDefault();
        a.run(async () => {
          const adjudication = c.items.map((i: any) => {
            const r = rows[i.seq];
            const v = r.approved.trim() === '0' || r.approved.trim() === '' ? 0 : parseAmount(r.approved);
            if (v === null) throw new Error(`item ${i.seq}: enter an amount such as 120.50 (or 0 to deny it)`);
            if (v > i.amount) throw new Error(`item ${i.seq}: approved is more than claimed`);
            if (v < i.amount && !r.reason) throw new Error(`item ${i.seq}: choose why it is not approved in full`);
            return { seq: i.seq, approved: v, reason: r.reason.trim() || null };
          });
          const none = adjudication.every((x: any) => x.approved === 0);
          if (none && !denial) throw new Error('nothing is approved: choose the denial reason');
          await submit(ADJUDICATE, { claim: c.id, adjudication, denialReason: none ? denial : null });
          return 'The adjudication is on the ledger.';
        });
      }}
    >
      <h2 id="adj-title">Adjudicate item by item</h2>
      {!doc && <p class="note">Open the itemised document above to see each item’s service code and date.</p>}
      <div class="table-wrap">
        <table>
          <caption class="sr-only">Items to adjudicate</caption>
          <thead>
            <tr>
              <th scope="col">#</th>
              <th scope="col">Service</th>
              <th scope="col">Date</th>
              <th scope="col">Claimed</th>
              <th scope="col">Approve ({c.currency})</th>
              <th scope="col">Reason</th>
            </tr>
          </thead>
          <tbody>
            {c.items.map((i: any) => (
              <tr key={i.seq}>
                <td>{i.seq}</td>
                <ServiceCells doc={doc} seq={i.seq} />
                <td>{money(i.amount, c.currency)}</td>
                <td>
                  <input
                    name={`approved-${i.seq}`}
                    aria-label={`Approved amount for item ${i.seq}`}
                    inputMode="decimal"
                    size={9}
                    value={rows[i.seq].approved}
                    onInput={(e) => set(i.seq, 'approved', e.currentTarget.value)}
                  />
                </td>
                <td>
                  <ReasonSelect name={`reason-${i.seq}`} label={`Reason for item ${i.seq}`} value={rows[i.seq].reason} onChange={(v) => set(i.seq, 'reason', v)} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <Field label="Denial reason" hint="Only when nothing is approved">
        <ReasonSelect name="denialReason" label="Denial reason" value={denial} onChange={setDenial} />
      </Field>
      <Busy type="submit" busy={a.busy}>
        Record adjudication
      </Busy>
      <Result a={a} />
    </form>
  );
}

const PAY = `mutation Pay($claim: ID!, $amount: Amount!, $paymentRef: String!, $wait: Boolean) {
  payClaim(claim: $claim, amount: $amount, paymentRef: $paymentRef, wait: $wait) { TX }
}`;

function Pay({ c }: { c: any }) {
  const [ref, setRef] = useState('');
  const a = useAction();
  return (
    <form
      class="panel"
      aria-labelledby="pay-title"
      onSubmit={(e) => {
        e.preventDefault();
        a.run(async () => {
          if (!ref.trim()) throw new Error('enter the payment reference');
          await submit(PAY, { claim: c.id, amount: c.approved - c.paidAmount, paymentRef: ref.trim() });
          return 'The payment is on the ledger.';
        });
      }}
    >
      <h2 id="pay-title">Mark paid</h2>
      <p>Pay the approved total of {money(c.approved - c.paidAmount, c.currency)}.</p>
      <Field label="Payment reference">
        <input name="paymentRef" required value={ref} onInput={(e) => setRef(e.currentTarget.value)} />
      </Field>
      <Busy type="submit" busy={a.busy}>
        Mark paid
      </Busy>
      <Result a={a} />
    </form>
  );
}

const MINE = `query Mine { myClaims(first: 20) { nodes { ${ROW} } } }`;
const PROVIDER = `query Provider($provider: ID) { providerClaims(first: 20, provider: $provider) { nodes { ${ROW} } } }`;

export function MyClaims() {
  const q = useQuery(MINE);
  return <Show q={q} what="Loading your claims">{(d: any) => <ClaimTable claims={d.myClaims.nodes} caption="Your claims" />}</Show>;
}

export function ProviderClaims() {
  const q = useQuery(PROVIDER, {});
  return <Show q={q} what="Loading the claims">{(d: any) => <ClaimTable claims={d.providerClaims.nodes} caption="Claims your hospital filed" />}</Show>;
}
