// Insurer: the claims workbench. The queue (every claim of the insurer,
// loaded page by page) with counts per status, age, status filters, sort
// and search; a claim's detail (live over the claimStatus subscription)
// with review, the itemised document (opened with one button: the portal
// finds the patient's consent), item-by-item adjudication beside each
// item's service, description, date and quantity, with running totals and
// a confirmation before it is committed (the ledger refuses an
// adjudication until the insurer has read the document), and payment.
// Confirmations stay until dismissed, whatever the live updates replace.
// Also the claim lists of patients (myClaims) and providers.
import { useCallback, useEffect, useState } from 'preact/hooks';
import { allPages, gql, submit, type ApiError } from '../api';
import { Time } from '../display';
import { age, day, decimal, label, minorMoney, minorOf, money, parseAmount, pretty } from '../format';
import { OrgName, PatientName, Who, orgChoices, orgName, useOrgs, whoName } from '../names';
import { Link } from '../router';
import { has, useViewer } from '../session';
import { ActionButton, ActionForm, Badge, Checks, ConfirmForm, ErrorBox, Field, InputField, LiveStopped, Loading, Notices, Page, Result, RunButton, Select, Show, StackTable, toApiError, useAction, useQuery, useSubscription } from '../ui';
import { APPEAL_REASONS, CLAIM_REASONS, CLAIM_STATUSES, SERVICES, options, say } from '../vocab';
import { RecordReader, consentFor, useGranted } from './Records';

function ReasonSelect(props: { name: string; label: string; value: string; onChange: (v: string) => void }) {
  return (
    <Select name={props.name} aria-label={props.label} value={props.value} choices={options(CLAIM_REASONS)} placeholder="Choose a reason…" onChange={props.onChange} />
  );
}

const STATUSES = Object.keys(CLAIM_STATUSES);
/** Statuses that wait for the insurer. */
const TODO = ['SUBMITTED', 'APPEALED', 'IN_REVIEW'];
const ROW = 'id status outcome claimed approved paidAmount currency patient patientName provider insurer submittedAt';

const QUEUE = `query Queue($insurer: ID, $after: String) {
  claimQueue(first: 100, insurer: $insurer, after: $after) { nodes { ${ROW} } pageInfo { hasNextPage endCursor } }
}`;

/** At most this many claims are loaded into the workbench (the newest). */
const MAX_CLAIMS = 2000;

/** Every claim of the insurer (newest first), loaded page by page. */
function useWholeQueue(insurer: string | null, skip: boolean) {
  const [state, setState] = useState<{ claims: any[] | null; error: ApiError | null; truncated: boolean }>({ claims: null, error: null, truncated: false });
  const [n, setN] = useState(0);
  useEffect(() => {
    if (skip) return;
    let live = true;
    allPages(QUEUE, 'claimQueue', { insurer }, MAX_CLAIMS).then(
      ({ nodes, truncated }) => live && setState({ claims: nodes, error: null, truncated }),
      (e) => live && setState((s) => ({ ...s, error: toApiError(e) })),
    );
    return () => {
      live = false;
    };
  }, [insurer, skip, n]);
  return { ...state, reload: useCallback(() => setN((x) => x + 1), []) };
}

const SORTS: Record<string, [string, (a: any, b: any) => number]> = {
  oldest: ['Oldest first (waiting longest)', (a, b) => a.submittedAt.localeCompare(b.submittedAt)],
  newest: ['Newest first', (a, b) => b.submittedAt.localeCompare(a.submittedAt)],
  'amount-desc': ['Largest amount first', (a, b) => minorOf(b.claimed, b.currency) - minorOf(a.claimed, a.currency)],
  'amount-asc': ['Smallest amount first', (a, b) => minorOf(a.claimed, a.currency) - minorOf(b.claimed, b.currency)],
  status: ['By status', (a, b) => STATUSES.indexOf(a.status) - STATUSES.indexOf(b.status) || a.submittedAt.localeCompare(b.submittedAt)],
};

export function ClaimQueue() {
  const { viewer } = useViewer();
  const auditor = has(viewer, 'auditor');
  const orgs = useOrgs();
  const insurers = [...orgs.values()].filter((o) => o.kind === 'insurer');
  const [insurerChoice, setInsurer] = useState('');
  const insurer = auditor ? insurerChoice || insurers[0]?.id || '' : null;
  const q = useWholeQueue(insurer, auditor && !insurer);
  const [status, setStatus] = useState<string>('TODO');
  const [sort, setSort] = useState('oldest');
  const [search, setSearch] = useState('');
  const claims = q.claims ?? [];
  const counts: Record<string, number> = {};
  for (const c of claims) counts[c.status] = (counts[c.status] ?? 0) + 1;
  const todo = claims.filter((c) => TODO.includes(c.status)).length;
  const s = search.trim().toLowerCase();
  const shown = claims
    .filter((c) => (status === 'ALL' ? true : status === 'TODO' ? TODO.includes(c.status) : c.status === status))
    .filter(
      (c) =>
        !s ||
        [c.id, c.patient, c.patientName ?? '', c.provider, orgName(orgs, c.provider), money(c.claimed, c.currency), say(CLAIM_STATUSES, c.status)].some((v) =>
          String(v).toLowerCase().includes(s),
        ),
    )
    .sort(SORTS[sort][1]);
  const chips: [string, string, number][] = [
    ['TODO', 'To do', todo],
    ['ALL', 'All', claims.length],
    ...STATUSES.map((st): [string, string, number] => [st, CLAIM_STATUSES[st], counts[st] ?? 0]),
  ];
  return (
    <Page title="Claims queue" actions={<button type="button" class="secondary" onClick={q.reload}>Refresh</button>}>
      {auditor && (
        <Field label="Insurer">
          <Select name="insurer" value={insurer ?? ''} choices={orgChoices(insurers)} onChange={setInsurer} />
        </Field>
      )}
      {q.error && <ErrorBox error={q.error} retry={q.reload} />}
      {!q.claims && !q.error && <Loading what="Loading the queue" />}
      {q.claims && (
        <>
          <div class="chips" role="group" aria-label="Show claims by status">
            {chips.map(([k, l, n]) => (
              <button key={k} type="button" class={`chip${status === k ? ' on' : ''}`} aria-pressed={status === k} onClick={() => setStatus(k)}>
                {l} <span class="n">{n}</span>
              </button>
            ))}
          </div>
          <form class="filters" role="search" aria-label="Search and sort claims" onSubmit={(e) => e.preventDefault()}>
            <Field label="Search">
              <input type="search" name="search" value={search} placeholder="claim, patient, hospital, amount" onInput={(e) => setSearch(e.currentTarget.value)} />
            </Field>
            <Field label="Sort">
              <Select name="sort" value={sort} choices={Object.entries(SORTS).map(([k, [l]]): [string, string] => [k, l])} onChange={setSort} />
            </Field>
          </form>
          <p class="muted" role="status">
            {shown.length} of {claims.length} claims shown · {minorMoney(shown.reduce((n, c) => n + minorOf(c.claimed, c.currency), 0), shown[0]?.currency ?? 'EUR')} claimed
            {q.truncated && ` · only the newest ${claims.length} are loaded`}
          </p>
          <ClaimTable claims={shown} caption="Claims in the queue" showAge />
        </>
      )}
    </Page>
  );
}

/** Claims as a table (one card per claim on a phone). */
export function ClaimTable({ claims, caption, showAge = false }: { claims: any[]; caption: string; showAge?: boolean }) {
  if (claims.length === 0) return <p>No claims.</p>;
  return (
    <StackTable caption={caption} cols={['Claim', 'Status', showAge && 'Age', 'Patient', 'Hospital', 'Claimed', 'Approved', 'Submitted']}>
      {claims.map((c) => (
        <tr key={c.id}>
          <td data-label="Claim">
            <Link href={`/claims/${encodeURIComponent(c.id)}`}>{c.id}</Link>
          </td>
          <td data-label="Status">
            <Badge v={c.status} />
            {c.outcome && (
              <>
                {' '}
                <Badge v={c.outcome} />
              </>
            )}
          </td>
          {showAge && (
            <td data-label="Age" title={`Submitted ${new Date(c.submittedAt).toLocaleString()}`}>
              {age(c.submittedAt)}
            </td>
          )}
          <td data-label="Patient">
            <PatientName id={c.patient} name={c.patientName} />
          </td>
          <td data-label="Hospital">
            <OrgName id={c.provider} />
          </td>
          <td data-label="Claimed">{money(c.claimed, c.currency)}</td>
          <td data-label="Approved">{c.outcome ? money(c.approved, c.currency) : '—'}</td>
          <td data-label="Submitted">
            <Time value={c.submittedAt} relative={false} />
          </td>
        </tr>
      ))}
    </StackTable>
  );
}

const DETAIL = `id status outcome claimed approved patientShare paidAmount paymentRef denialReason currency patient patientName provider insurer
  submittedAt submittedBy linkedRecords document documentAccess
  items { seq amount approved reason }
  history { status by time txId }
  appeals { seq reason outcome approved by time }`;

const CLAIM = `query Claim($id: ID!) { claim(id: $id) { ${DETAIL} } }`;
const LIVE = `subscription ClaimLive($id: ID!) { claimStatus(claimId: $id) { ${DETAIL} } }`;

/** A document item as the adjuster reads it: the document's line with its description and quantity from the FHIR Claim. */
interface DocLine {
  seq: number;
  serviceCode: string;
  date: string;
  amount: string;
  description: string;
  quantity: number;
}

/** The opened document's lines, with description and quantity parsed from its FHIR Claim. */
function docLines(doc: any): DocLine[] {
  let fhirItems: any[] = [];
  try {
    fhirItems = JSON.parse(doc.fhir)?.item ?? [];
  } catch {
    /* the items from the portal still show */
  }
  return (doc.items ?? []).map((l: any) => {
    const f = fhirItems.find((x) => x?.sequence === l.seq) ?? {};
    const p = f.productOrService ?? {};
    const text = p.text || p.coding?.find((c: any) => c.display)?.display;
    return {
      ...l,
      description: text || SERVICES[l.serviceCode] || 'No description in the document',
      quantity: typeof f.quantity?.value === 'number' ? f.quantity.value : 1,
    };
  });
}

export function Claim({ id }: { id: string }) {
  const q = useQuery(CLAIM, { id });
  const live = useSubscription<any>(LIVE, { id }, !!q.data?.claim);
  const c = live.data?.claimStatus ?? q.data?.claim;
  const { viewer } = useViewer();
  const adjuster = has(viewer, 'claims_adjuster') && viewer?.org?.id === c?.insurer;
  const clerk = has(viewer, 'records_clerk') && viewer?.org?.id === c?.provider;
  // The opened document, by claim, shown beside the ledger's items and the
  // adjudication inputs.
  const [docs, setDocs] = useState<Record<string, any>>({});
  const doc = docs[id] ?? null;
  const setDoc = (d: any) => setDocs({ ...docs, [id]: d });
  const lines = doc ? docLines(doc) : [];
  const read = !!doc || !!c?.documentAccess;
  const scope = `claim:${id}`;
  return (
    <Page title={`Claim ${id}`}>
      {q.error && <ErrorBox error={q.error} retry={q.reload} />}
      {q.loading && !c && <Loading what="Loading the claim" />}
      {q.data && !q.data.claim && <p>There is no claim {id} that you may see.</p>}
      {c && (
        <>
          <p class="live" role="status" aria-live="polite">
            {live.error ? <LiveStopped error={live.error} /> : live.data ? 'Live: updates as blocks commit' : 'Connecting…'}
          </p>
          <dl class="facts">
            <div><dt>Status</dt><dd><Badge v={c.status} /></dd></div>
            <div><dt>Outcome</dt><dd>{c.outcome ? <Badge v={c.outcome} /> : '—'}</dd></div>
            <div><dt>Claimed</dt><dd>{money(c.claimed, c.currency)}</dd></div>
            <div><dt>Approved</dt><dd>{money(c.approved, c.currency)}</dd></div>
            <div><dt>Patient share</dt><dd>{money(c.patientShare, c.currency)}</dd></div>
            <div><dt>Paid</dt><dd>{money(c.paidAmount, c.currency)}{c.paymentRef ? ` (${c.paymentRef})` : ''}</dd></div>
            <div><dt>Patient</dt><dd><PatientName id={c.patient} name={c.patientName} /></dd></div>
            <div><dt>Hospital</dt><dd><OrgName id={c.provider} /></dd></div>
            <div><dt>Insurer</dt><dd><OrgName id={c.insurer} /></dd></div>
            <div><dt>Submitted</dt><dd><Time value={c.submittedAt} /> by <Who id={c.submittedBy} org={false} /></dd></div>
          </dl>
          {c.denialReason && (
            <p>
              <strong>Denial reason:</strong> {say(CLAIM_REASONS, c.denialReason)}
            </p>
          )}
          <Notices scope={scope} />
          <ClaimDocument c={c} doc={doc} setDoc={setDoc} scope={scope} />
          {adjuster && (c.status === 'SUBMITTED' || c.status === 'APPEALED') && <Review c={c} scope={scope} />}
          {adjuster && c.status === 'IN_REVIEW' && read ? (
            <Adjudicate c={c} lines={lines} scope={scope} />
          ) : (
            <>
              {adjuster && c.status === 'IN_REVIEW' && (
                <p class="note" role="status">
                  Open the itemised document first: the ledger accepts an adjudication only once someone at your organisation has read it.
                </p>
              )}
              <Items c={c} lines={lines} />
            </>
          )}
          {adjuster && c.status === 'ADJUDICATED' && minorOf(c.approved, c.currency) > minorOf(c.paidAmount, c.currency) && <Pay c={c} scope={scope} />}
          {clerk && c.status === 'ADJUDICATED' && c.outcome !== 'APPROVED' && minorOf(c.paidAmount, c.currency) === 0 && <Appeal c={c} scope={scope} />}
          <LinkedRecords c={c} adjuster={adjuster} />
          {c.appeals.length > 0 && (
            <>
              <h2>Appeals</h2>
              <ul>
                {c.appeals.map((a: any) => (
                  <li key={a.seq}>
                    <Time value={a.time} /> by <Who id={a.by} />: “{say(APPEAL_REASONS, a.reason)}” against <Badge v={a.outcome} /> ({money(a.approved, c.currency)}{' '}
                    approved)
                  </li>
                ))}
              </ul>
            </>
          )}
          <h2>History</h2>
          <ol class="history">
            {c.history.map((h: any) => (
              <li key={h.txId}>
                <Badge v={h.status} /> <Time value={h.time} /> by <Who id={h.by} />
              </li>
            ))}
          </ol>
        </>
      )}
    </Page>
  );
}

function LinkedRecords({ c, adjuster }: { c: any; adjuster: boolean }) {
  const granted = useGranted();
  return (
    <>
      <h2>Linked records</h2>
      {c.linkedRecords.length === 0 ? (
        <p>None.</p>
      ) : (
        <ul class="records">
          {c.linkedRecords.map((r: string) => {
            const consent = adjuster ? consentFor(granted.list, c.patient, r, undefined, 'claims') : null;
            return (
              <li key={r}>
                <code>{r}</code>{' '}
                {adjuster &&
                  (consent ? (
                    <RecordReader record={r} purpose="claims" consent={consent.id} label={`Read ${r} under the patient’s consent`} />
                  ) : (
                    <span class="muted">No consent of the patient for claims covers it.</span>
                  ))}
              </li>
            );
          })}
        </ul>
      )}
    </>
  );
}

function line(lines: DocLine[], seq: number): DocLine | null {
  return lines.find((l) => l.seq === seq) ?? null;
}

/** Service, description, date and quantity cells of an item: from the opened document only. */
function ServiceCells({ lines, seq }: { lines: DocLine[]; seq: number }) {
  const l = line(lines, seq);
  return (
    <>
      <td data-label="Service">
        {l ? (
          <>
            <strong>{l.serviceCode}</strong>
            <br />
            <span class="muted">{l.description}</span>
          </>
        ) : (
          '—'
        )}
      </td>
      <td data-label="Date">{l?.date ? day(l.date) : '—'}</td>
      <td data-label="Quantity">{l ? l.quantity : '—'}</td>
    </>
  );
}

function Items({ c, lines }: { c: any; lines: DocLine[] }) {
  return (
    <>
      <h2>Items</h2>
      {lines.length === 0 && <p class="note">Services, descriptions and dates show once the itemised document is open.</p>}
      <StackTable caption={`Items of claim ${c.id}`} cols={['#', 'Service', 'Date', 'Quantity', 'Amount', 'Approved', 'Reason']}>
        {c.items.map((i: any) => (
          <tr key={i.seq}>
            <td data-label="Item">{i.seq}</td>
            <ServiceCells lines={lines} seq={i.seq} />
            <td data-label="Amount">{money(i.amount, c.currency)}</td>
            <td data-label="Approved">{i.approved === null ? '—' : money(i.approved, c.currency)}</td>
            <td data-label="Reason">{i.reason ? say(CLAIM_REASONS, i.reason) : ''}</td>
          </tr>
        ))}
      </StackTable>
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
function ClaimDocument({ c, doc, setDoc, scope }: { c: any; doc: any; setDoc: (d: any) => void; scope: string }) {
  const a = useAction(scope);
  return (
    <section class="panel" aria-labelledby="doc-title">
      <h2 id="doc-title">Itemised document</h2>
      {!doc && (
        <>
          <p class="note">The services, descriptions and dates are in an encrypted FHIR Claim record kept by the hospital; reading it is recorded on the ledger.</p>
          <RunButton
            a={a}
            run={async () => {
              const d = (await gql<any>(OPEN_DOC, { claim: c.id })).openClaimDocument;
              setDoc(d);
              return `Opened${d.consent ? ' under the patient’s consent' : ''}; the access is on the ledger and in the patient’s access log.`;
            }}
          >
            Open the itemised document
          </RunButton>
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

function Review({ c, scope }: { c: any; scope: string }) {
  const a = useAction(scope);
  return (
    <div class="panel">
      <ActionButton
        a={a}
        run={async () => {
          await submit(REVIEW, { claim: c.id });
          return `Claim ${c.id} is in review.`;
        }}
      >
        Take into review
      </ActionButton>
    </div>
  );
}

const ADJUDICATE = `mutation Adjudicate($claim: ID!, $adjudication: [AdjudicationInput!]!, $denialReason: String, $wait: Boolean) {
  adjudicateClaim(claim: $claim, adjudication: $adjudication, denialReason: $denialReason, wait: $wait) { TX }
}`;

interface Row {
  approved: string;
  reason: string;
}

/** The approved minor units typed for an item in currency: 0 for empty or 0, null when not an amount. */
function approvedOf(r: Row, currency: string): number | null {
  const t = r.approved.trim();
  if (t === '' || /^0+([.,]0*)?$/.test(t)) return 0;
  return parseAmount(t, currency);
}

function Adjudicate({ c, lines, scope }: { c: any; lines: DocLine[]; scope: string }) {
  const [rows, setRows] = useState<Record<number, Row>>(() => Object.fromEntries(c.items.map((i: any) => [i.seq, { approved: i.amount, reason: '' }])));
  const [denial, setDenial] = useState('');
  const [confirming, setConfirming] = useState(false);
  const a = useAction(scope);
  const set = (seq: number, k: keyof Row, v: string) => {
    setRows({ ...rows, [seq]: { ...rows[seq], [k]: v } });
    setConfirming(false);
  };
  const cur = c.currency;
  const claimed = c.items.reduce((n: number, i: any) => n + minorOf(i.amount, cur), 0);
  const approved = c.items.reduce((n: number, i: any) => n + Math.min(approvedOf(rows[i.seq], cur) ?? 0, minorOf(i.amount, cur)), 0);
  const none = approved === 0;
  const outcome = none ? 'DENIED' : approved === claimed ? 'APPROVED' : 'PARTIALLY_APPROVED';
  /** Checks every field; throws Invalid with a message beside each bad one. */
  const check = () => {
    const k = new Checks();
    const adjudication = c.items.map((i: any) => {
      const r = rows[i.seq];
      const v = approvedOf(r, cur);
      const max = minorOf(i.amount, cur);
      k.need(v === null, `approved-${i.seq}`, `Enter an amount such as ${decimal(12050, cur)} (0 denies the item).`);
      k.need(v !== null && v > max, `approved-${i.seq}`, `At most the ${money(i.amount, cur)} claimed.`);
      k.need(v !== null && v < max && !r.reason, `reason-${i.seq}`, 'Choose why it is not approved in full.');
      return { seq: i.seq, approved: decimal(v ?? 0, cur), reason: r.reason || null };
    });
    k.need(none && !denial, 'denialReason', 'Nothing is approved: choose the reason for the denial.');
    k.throw();
    return adjudication;
  };
  return (
    // Check first, then ask to confirm the totals.
    <ConfirmForm
      class="panel"
      aria-labelledby="adj-title"
      a={a}
      check={check}
      run={async () => {
        const adjudication = check();
        await submit(ADJUDICATE, { claim: c.id, adjudication, denialReason: none ? denial : null });
        setConfirming(false);
        return `Adjudication of ${c.id} recorded: ${label(outcome)}, ${minorMoney(approved, cur)} of ${minorMoney(claimed, cur)} approved.`;
      }}
      confirming={confirming}
      setConfirming={setConfirming}
      question={
        <>
          Record on the ledger: {label(outcome)}, {minorMoney(approved, cur)} of {minorMoney(claimed, cur)} approved, the patient's share{' '}
          {minorMoney(claimed - approved, cur)}? It cannot be changed afterwards, only appealed.
        </>
      }
      submit="Record adjudication"
      yes="Yes, record the adjudication"
      cancel="Change it"
    >
      <h2 id="adj-title">Adjudicate item by item</h2>
      {lines.length === 0 && <p class="note">Open the itemised document above to see each item’s service, description and date.</p>}
      <StackTable caption="Items to adjudicate" cols={['#', 'Service', 'Date', 'Quantity', 'Claimed', `Approve (${c.currency})`, 'Reason']}>
        {c.items.map((i: any) => {
          const errA = a.fieldError(`approved-${i.seq}`);
          const errR = a.fieldError(`reason-${i.seq}`);
          return (
            <tr key={i.seq}>
              <td data-label="Item">{i.seq}</td>
              <ServiceCells lines={lines} seq={i.seq} />
              <td data-label="Claimed">{money(i.amount, c.currency)}</td>
              <td data-label={`Approve (${c.currency})`}>
                <input
                  name={`approved-${i.seq}`}
                  aria-label={`Approved amount for item ${i.seq}`}
                  aria-invalid={errA ? 'true' : undefined}
                  aria-describedby={errA ? `approved-${i.seq}-err` : undefined}
                  inputMode="decimal"
                  size={9}
                  value={rows[i.seq].approved}
                  onInput={(e) => set(i.seq, 'approved', e.currentTarget.value)}
                />
                {errA && (
                  <small class="field-error" id={`approved-${i.seq}-err`}>
                    ⚠ {errA}
                  </small>
                )}
              </td>
              <td data-label="Reason">
                <ReasonSelect name={`reason-${i.seq}`} label={`Reason for item ${i.seq}`} value={rows[i.seq].reason} onChange={(v) => set(i.seq, 'reason', v)} />
                {errR && <small class="field-error">⚠ {errR}</small>}
              </td>
            </tr>
          );
        })}
      </StackTable>
      <dl class="facts totals" aria-live="polite">
        <div><dt>Claimed</dt><dd>{minorMoney(claimed, cur)}</dd></div>
        <div><dt>Approving</dt><dd>{minorMoney(approved, cur)}</dd></div>
        <div><dt>Patient share</dt><dd>{minorMoney(claimed - approved, cur)}</dd></div>
        <div><dt>Outcome</dt><dd><Badge v={outcome} /></dd></div>
      </dl>
      {none && (
        <Field label="Reason for the denial" hint="Nothing is approved" error={a.fieldError('denialReason')}>
          <ReasonSelect name="denialReason" label="Reason for the denial" value={denial} onChange={(v) => (setDenial(v), setConfirming(false))} />
        </Field>
      )}
    </ConfirmForm>
  );
}

const PAY = `mutation Pay($claim: ID!, $amount: Amount!, $paymentRef: String!, $wait: Boolean) {
  payClaim(claim: $claim, amount: $amount, paymentRef: $paymentRef, wait: $wait) { TX }
}`;

function Pay({ c, scope }: { c: any; scope: string }) {
  const due = minorOf(c.approved, c.currency) - minorOf(c.paidAmount, c.currency);
  const [ref, setRef] = useState('');
  const a = useAction(scope);
  return (
    <ActionForm
      class="panel"
      aria-labelledby="pay-title"
      a={a}
      check={(k) => {
        k.need(!ref.trim(), 'paymentRef', 'Enter the bank transfer’s reference.');
      }}
      run={async () => {
        await submit(PAY, { claim: c.id, amount: decimal(due, c.currency), paymentRef: ref.trim() });
        return `Payment of ${minorMoney(due, c.currency)} for ${c.id} recorded (${ref.trim()}).`;
      }}
    >
      <h2 id="pay-title">Mark paid</h2>
      <p>
        Pay the approved total of {minorMoney(due, c.currency)} to <OrgName id={c.provider} />.
      </p>
      <InputField a={a} label="Payment reference" name="paymentRef" value={ref} onValue={setRef} />
      <ActionButton a={a} type="submit">
        Mark paid
      </ActionButton>
    </ActionForm>
  );
}

const APPEAL = `mutation Appeal($claim: ID!, $reason: String!, $wait: Boolean) { appealClaim(claim: $claim, reason: $reason, wait: $wait) { TX } }`;

/** The provider's appeal of a denied or partly approved claim, with the reason chosen by its label. */
function Appeal({ c, scope }: { c: any; scope: string }) {
  const [reason, setReason] = useState('');
  const a = useAction(scope);
  return (
    <ActionForm
      class="panel"
      aria-labelledby="appeal-title"
      a={a}
      check={(k) => {
        k.need(!reason, 'appeal-reason', 'Choose why the claim should be decided again.');
      }}
      run={async () => {
        await submit(APPEAL, { claim: c.id, reason });
        return `Claim ${c.id} is appealed: ${say(APPEAL_REASONS, reason).toLowerCase()}.`;
      }}
    >
      <h2 id="appeal-title">Appeal</h2>
      <p>
        <OrgName id={c.insurer} /> {c.outcome === 'DENIED' ? 'denied it' : `approved ${money(c.approved, c.currency)} of ${money(c.claimed, c.currency)}`}; an appeal
        sends it back for a new decision.
      </p>
      <Field label="Reason" error={a.fieldError('appeal-reason')}>
        <Select name="appeal-reason" value={reason} choices={options(APPEAL_REASONS)} placeholder="Choose a reason…" onChange={setReason} />
      </Field>
      <ActionButton a={a} type="submit">
        Appeal
      </ActionButton>
    </ActionForm>
  );
}

const MINE = `query Mine { myClaims(first: 20) { nodes { ${ROW} } } }`;
const PROVIDER = `query Provider($provider: ID) { providerClaims(first: 50, provider: $provider) { nodes { ${ROW} } } }`;

export function MyClaims() {
  const q = useQuery(MINE);
  return <Show q={q} what="Loading your claims">{(d: any) => <ClaimTable claims={d.myClaims.nodes} caption="Your claims" />}</Show>;
}

/** The claims a hospital filed: the viewer's own hospital, or one an auditor chooses. */
export function ProviderClaims() {
  const { viewer } = useViewer();
  const orgs = useOrgs();
  const auditor = has(viewer, 'auditor') && viewer?.org?.kind !== 'hospital';
  const hospitals = [...orgs.values()].filter((o) => o.kind === 'hospital');
  const [choice, setChoice] = useState('');
  const provider = auditor ? choice || hospitals[0]?.id || '' : null;
  const q = useQuery(PROVIDER, { provider }, auditor && !provider);
  return (
    <>
      {auditor && (
        <Field label="Hospital">
          <Select name="provider" value={provider ?? ''} choices={orgChoices(hospitals)} onChange={setChoice} />
        </Field>
      )}
      <Show q={q} what="Loading the claims">
        {(d: any) => <ClaimTable claims={d.providerClaims.nodes} caption={`Claims ${provider ? whoName(orgs, provider) : 'your hospital'} filed`} />}
      </Show>
    </>
  );
}
