// Charity officer, milestone validator and auditor: the charity's
// campaigns with their milestones (submit evidence, approve or reject,
// disburse, open), a new campaign, and the report with a chart and CSV.
import { useState } from 'preact/hooks';
import { submit } from '../api';
import { day, decimal, download, minorMoney, minorOf, money, parseAmount } from '../format';
import { Hash } from '../display';
import { Link } from '../router';
import { useOrgs, whoName } from '../names';
import { has, useViewer } from '../session';
import { ActionButton, ActionForm, AddRemove, Busy, Entries, Field, InputField, Notices, Page, Result, Show, StackTable, SubmitRow, useAction, useQuery, withField } from '../ui';
import { Milestones, StateBadge } from './Campaigns';
import { bytesToHex } from '../verify';

/** The page's confirmations (ui Notices). */
const NOTICES = 'charity';

const CAMPAIGNS = `query Mine { campaigns(first: 100) { nodes { id title status currency goal raised disbursed refunded charityId
  milestones { seq title amount status funded escrow disbursed refunded evidenceHash validator deadline } } } }`;

export function CharityHome() {
  const { viewer } = useViewer();
  const q = useQuery(CAMPAIGNS);
  const officer = has(viewer, 'charity_officer');
  const validator = has(viewer, 'milestone_validator');
  const charity = officer ? viewer?.org?.id : null;
  return (
    <Page title={officer ? `Campaigns of ${viewer?.org?.name ?? charity}` : validator ? 'Milestones to validate' : 'Charity reports'}>
      <Notices scope={NOTICES} />
      <Show q={q} what="Loading campaigns">
        {(d: any) => {
          if (validator && !officer) return <ValidatorHome campaigns={d.campaigns.nodes} me={viewer?.account ?? ''} onDone={q.reload} />;
          const list = d.campaigns.nodes.filter((c: any) => (officer ? c.charityId === charity : true));
          return (
            <>
              {list.length === 0 && <p>No campaigns.</p>}
              {list.map((c: any) => (
                <CampaignPanel key={c.id} c={c} officer={officer} onDone={q.reload} />
              ))}
              {officer && charity && <NewCampaign charity={charity} onDone={q.reload} />}
            </>
          );
        }}
      </Show>
      {(officer || has(viewer, 'auditor')) && <Report charity={charity ?? 'hope'} />}
    </Page>
  );
}

function CampaignPanel({ c, officer, onDone }: { c: any; officer: boolean; onDone: () => void }) {
  return (
    <section class="panel" aria-labelledby={`c-${c.id}`}>
      <h2 id={`c-${c.id}`}>
        <Link href={`/campaigns/${encodeURIComponent(c.id)}`}>{c.title}</Link> <StateBadge c={c} />
      </h2>
      <p class="nums">
        {money(c.raised, c.currency)} raised of {money(c.goal, c.currency)}; {money(c.disbursed, c.currency)} disbursed,{' '}
        {money(c.refunded, c.currency)} refunded.
      </p>
      {officer && c.status === 'DRAFT' && <OpenCampaign c={c} onDone={onDone} />}
      <Milestones c={c} names actions={(m) => <MilestoneActions c={c} m={m} officer={officer} onDone={onDone} />} />
    </section>
  );
}

/** The milestones waiting for this validator's decision: evidence submitted, naming them as validator. */
export function validatorTodos(campaigns: any[], me: string): { c: any; m: any }[] {
  return campaigns.flatMap((c) =>
    c.milestones.filter((m: any) => m.validator === me && m.status === 'EVIDENCE_SUBMITTED').map((m: any) => ({ c, m })),
  );
}

/**
 * A milestone validator's page: first their to-dos (evidence waiting for
 * their decision, each with the evidence's fingerprint on the ledger and a
 * check of the file they received), then, behind a toggle, every campaign
 * they validate a milestone of.
 */
function ValidatorHome({ campaigns, me, onDone }: { campaigns: any[]; me: string; onDone: () => void }) {
  const [all, setAll] = useState(false);
  const mine = campaigns.filter((c) => c.milestones.some((m: any) => m.validator === me));
  const todo = validatorTodos(mine, me);
  return (
    <>
      <section class="panel" aria-labelledby="todo-title">
        <h2 id="todo-title">
          Waiting for your decision <span class="count">({todo.length})</span>
        </h2>
        {todo.length === 0 ? (
          <p>No evidence is waiting for you.</p>
        ) : (
          <ul class="cards todos" aria-label="Milestones waiting for your decision">
            {todo.map(({ c, m }) => (
              <li class="card" key={`${c.id}-${m.seq}`}>
                <h3>
                  <Link href={`/campaigns/${encodeURIComponent(c.id)}`}>{c.title}</Link>: milestone {m.seq}, {m.title}
                </h3>
                <p class="nums">
                  {money(m.escrow, c.currency)} in escrow of {money(m.amount, c.currency)}; deadline {day(m.deadline)}.
                </p>
                <MilestoneActions c={c} m={m} officer={false} onDone={onDone} />
              </li>
            ))}
          </ul>
        )}
      </section>
      <p>
        <button type="button" class="link" aria-expanded={all} aria-controls="validated" onClick={() => setAll(!all)}>
          {all ? 'Hide' : 'Show'} every campaign you validate ({mine.length})
        </button>
      </p>
      {all && (
        <div id="validated">
          {mine.length === 0 && <p>You validate no milestone yet.</p>}
          {mine.map((c) => (
            <CampaignPanel key={c.id} c={c} officer={false} onDone={onDone} />
          ))}
        </div>
      )}
    </>
  );
}

const OPEN = `mutation Open($campaign: ID!, $wait: Boolean) { openCampaign(campaign: $campaign, wait: $wait) { TX } }`;

function OpenCampaign({ c, onDone }: { c: any; onDone: () => void }) {
  const a = useAction();
  return (
    <div class="row">
      <ActionButton
        a={a}
        run={async () => {
          await submit(OPEN, { campaign: c.id });
          onDone();
          return 'The campaign is open for gifts.';
        }}
      >
        Open for gifts
      </ActionButton>
    </div>
  );
}

const EVIDENCE = `mutation Evidence($campaign: ID!, $milestone: Int!, $evidenceHash: String!, $wait: Boolean) {
  submitEvidence(campaign: $campaign, milestone: $milestone, evidenceHash: $evidenceHash, wait: $wait) { TX }
}`;
const APPROVE = `mutation Approve($campaign: ID!, $milestone: Int!, $wait: Boolean) { approveMilestone(campaign: $campaign, milestone: $milestone, wait: $wait) { TX } }`;
const REJECT = `mutation Reject($campaign: ID!, $milestone: Int!, $wait: Boolean) { rejectMilestone(campaign: $campaign, milestone: $milestone, wait: $wait) { TX } }`;
const DISBURSE = `mutation Disburse($campaign: ID!, $milestone: Int!, $id: ID!, $payee: ID!, $amount: Amount!, $purpose: String!, $paymentRef: String!, $evidenceHash: String!, $wait: Boolean) {
  disburse(campaign: $campaign, milestone: $milestone, id: $id, payee: $payee, amount: $amount, purpose: $purpose, paymentRef: $paymentRef, evidenceHash: $evidenceHash, wait: $wait) { TX }
}`;

/** SHA-256 of a file, hex: evidence stays off the ledger, its hash goes on. */
async function fileHash(f: File): Promise<string> {
  return bytesToHex(new Uint8Array(await crypto.subtle.digest('SHA-256', await f.arrayBuffer())));
}

function MilestoneActions({ c, m, officer, onDone }: { c: any; m: any; officer: boolean; onDone: () => void }) {
  const { viewer } = useViewer();
  const [open, setOpen] = useState(false);
  const [note, setNote] = useState<string | null>(null);
  // A decision's confirmation goes to the page (Notices): the milestone leaves the to-do list when it commits.
  const a = useAction(NOTICES);
  const vars = { campaign: c.id, milestone: m.seq };
  const finished = (msg: string) => {
    setOpen(false);
    setNote(msg);
    onDone();
  };
  const isValidator = viewer?.account === m.validator;
  const act = (mut: string, msg: string) =>
    a.run(async () => {
      await submit(mut, vars);
      onDone();
      return msg;
    });
  const canEvidence = officer && c.status !== 'DRAFT' && (m.status === 'PENDING' || m.status === 'REJECTED') && minorOf(m.funded, c.currency) > 0;
  const canDisburse = officer && m.status === 'APPROVED' && minorOf(m.escrow, c.currency) > 0;
  return (
    <div class="actions">
      {isValidator && m.status === 'EVIDENCE_SUBMITTED' && (
        <>
          <EvidenceCheck expected={m.evidenceHash ?? ''} name={`check-${c.id}-${m.seq}`} />
          <div class="row">
            <Busy type="button" busy={a.busy} onClick={() => act(APPROVE, `Milestone ${m.seq} of ${c.title} is approved.`)}>
              Approve evidence
            </Busy>
            <Busy type="button" class="danger" busy={a.busy} onClick={() => act(REJECT, `Milestone ${m.seq} of ${c.title} is rejected; its escrow is refunded.`)}>
              Reject
            </Busy>
          </div>
        </>
      )}
      {(canEvidence || canDisburse) && (
        <button type="button" class="link" aria-expanded={open} onClick={() => setOpen(!open)}>
          {canEvidence ? 'Submit evidence' : 'Disburse'}
        </button>
      )}
      {open && canEvidence && <EvidenceForm vars={vars} onDone={finished} />}
      {open && canDisburse && <DisburseForm c={c} m={m} onDone={finished} />}
      {!isValidator && !canEvidence && !canDisburse && !note && <span class="note">—</span>}
      {note && (
        <p class="ok" role="status">
          {note}
        </p>
      )}
      <Result a={a} />
    </div>
  );
}

/**
 * The evidence's fingerprint on the ledger (its SHA-256, shortened, whole on
 * hover and copy) and a check of the file the validator received: hashed in
 * the browser and compared with it.
 */
function EvidenceCheck({ expected, name }: { expected: string; name: string }) {
  const [got, setGot] = useState<{ file: string; hash: string } | null>(null);
  const matches = got !== null && got.hash === expected.toLowerCase();
  return (
    <div class="evidence">
      <p>
        Evidence fingerprint on the ledger (SHA-256): {expected ? <Hash value={expected} what="the evidence's SHA-256" /> : 'none'}
      </p>
      <Field label="Check the evidence file you received" hint="It is hashed in your browser; nothing is uploaded">
        <input
          type="file"
          name={name}
          onChange={async (e) => {
            const f = e.currentTarget.files?.[0];
            setGot(f ? { file: f.name, hash: await fileHash(f) } : null);
          }}
        />
      </Field>
      {got && (
        <p class={matches ? 'ok' : 'error'} role="status">
          {matches
            ? `${got.file} matches the fingerprint on the ledger.`
            : `${got.file} does NOT match the fingerprint on the ledger: it is not the evidence the charity submitted.`}
        </p>
      )}
    </div>
  );
}

function EvidenceForm({ vars, onDone }: { vars: { campaign: string; milestone: number }; onDone: (msg: string) => void }) {
  const [hash, setHash] = useState('');
  const a = useAction();
  const field = `evidence-${vars.milestone}`;
  return (
    <ActionForm
      a={a}
      check={(c) => c.need(!/^[0-9a-f]{64}$/.test(hash), field, 'Choose the evidence file, or paste its SHA-256 (64 hex digits).')}
      run={async () => {
        await submit(EVIDENCE, { ...vars, evidenceHash: hash });
        onDone('The evidence is submitted to the validator.');
      }}
    >
      <Field label="Evidence file" hint="Only its SHA-256 goes on the ledger">
        <input type="file" name={`evidence-file-${vars.milestone}`} onChange={async (e) => {
          const f = e.currentTarget.files?.[0];
          if (f) setHash(await fileHash(f));
        }} />
      </Field>
      <InputField a={a} label="Evidence SHA-256" name={field} value={hash} onValue={(v) => setHash(v.trim().toLowerCase())} />
      <ActionButton a={a} type="submit">
        Submit evidence
      </ActionButton>
    </ActionForm>
  );
}

function DisburseForm({ c, m, onDone }: { c: any; m: any; onDone: (msg: string) => void }) {
  const orgs = useOrgs();
  const [payee, setPayee] = useState('stmarys');
  const [amount, setAmount] = useState(m.escrow);
  const [purpose, setPurpose] = useState('');
  const [ref, setRef] = useState('');
  const a = useAction();
  return (
    <ActionForm
      a={a}
      check={(k) => {
        const v = parseAmount(amount, c.currency);
        k.need(v === null || v <= 0 || v > minorOf(m.escrow, c.currency), `disburse-amount-${m.seq}`, `An amount up to ${money(m.escrow, c.currency)}.`);
        k.need(!payee.trim(), `payee-${m.seq}`, 'The organisation or member paid.');
        k.need(!purpose.trim(), `purpose-${m.seq}`, 'What the money pays for.');
        k.need(!ref.trim(), `payref-${m.seq}`, 'The reference of the bank payment.');
      }}
      run={async () => {
        const v = parseAmount(amount, c.currency) as number;
        await submit(DISBURSE, {
          campaign: c.id,
          milestone: m.seq,
          id: `disb-${Date.now().toString(36)}`,
          payee: payee.trim(),
          amount: decimal(v, c.currency),
          purpose: purpose.trim(),
          paymentRef: ref.trim(),
          evidenceHash: m.evidenceHash ?? '',
        });
        onDone(`${minorMoney(v, c.currency)} is disbursed to ${whoName(orgs, payee.trim())}.`);
      }}
    >
      <InputField a={a} label="Payee" hint="An organisation, or a member by id (organisation/name)" name={`payee-${m.seq}`} list={`payees-${m.seq}`} value={payee} onValue={setPayee} />
      <datalist id={`payees-${m.seq}`}>
        {[...orgs.values()].map((o) => (
          <option key={o.id} value={o.id}>
            {o.name}
          </option>
        ))}
      </datalist>
      {payee.trim() && !payee.includes('/') && orgs.size > 0 && (
        <p class="muted">{orgs.get(payee.trim())?.name ?? 'No organisation has this id.'}</p>
      )}
      <InputField a={a} label={`Amount (${c.currency})`} name={`disburse-amount-${m.seq}`} inputMode="decimal" value={amount} onValue={setAmount} />
      <InputField a={a} label="Purpose" name={`purpose-${m.seq}`} value={purpose} onValue={setPurpose} />
      <InputField a={a} label="Payment reference" name={`payref-${m.seq}`} value={ref} onValue={setRef} />
      <ActionButton a={a} type="submit">
        Disburse
      </ActionButton>
    </ActionForm>
  );
}

const CREATE = `mutation Create($id: ID!, $title: String!, $currency: String!, $milestones: [MilestoneInput!]!, $wait: Boolean) {
  createCampaign(id: $id, title: $title, currency: $currency, milestones: $milestones, wait: $wait) { TX }
}`;

const blankMilestone = () => ({ title: '', amount: '', deadline: '' });

function NewCampaign({ charity, onDone }: { charity: string; onDone: () => void }) {
  const { viewer } = useViewer();
  const [id, setId] = useState('');
  const [title, setTitle] = useState('');
  const [ms, setMs] = useState([blankMilestone()]);
  const [validator, setValidator] = useState('healthreg/validator');
  const a = useAction();
  const set = (i: number, k: 'title' | 'amount' | 'deadline', v: string) => setMs(withField(ms, i, k, v));
  return (
    <ActionForm
      class="panel"
      aria-labelledby="new-title"
      a={a}
      check={(c) => {
        c.need(!/^[a-z0-9][a-z0-9-]*$/.test(id), 'campaign-id', 'Lower-case letters, digits and dashes, e.g. school-meals.');
        c.need(!title.trim(), 'campaign-title', 'The title donors will read.');
        c.need(!/^[a-z0-9][a-z0-9._-]*\/[a-z0-9][a-z0-9._-]*$/.test(validator.trim()), 'validator', 'A member id: organisation/name, e.g. healthreg/validator.');
        ms.forEach((m, i) => {
          const amount = parseAmount(m.amount, 'EUR');
          c.need(!m.title.trim(), `ms-title-${i}`, 'What the milestone pays for.');
          c.need(amount === null || amount <= 0, `ms-amount-${i}`, 'An amount such as 100 or 99.50.');
          c.need(!m.deadline, `ms-deadline-${i}`, 'The date the evidence is due.');
        });
      }}
      run={async () => {
        const milestones = ms.map((m) => ({
          title: m.title.trim(),
          amount: decimal(parseAmount(m.amount, 'EUR') as number, 'EUR'),
          validator: validator.trim(),
          deadline: `${m.deadline}T23:59:59Z`,
        }));
        await submit(CREATE, { id, title: title.trim(), currency: 'EUR', milestones });
        setId('');
        setTitle('');
        setMs([blankMilestone()]);
        onDone();
        return `“${title.trim()}” is created as a draft of ${viewer?.org?.name ?? charity}; open it for gifts when ready.`;
      }}
    >
      <h2 id="new-title">New campaign</h2>
      <div class="row">
        <InputField a={a} label="Campaign id" name="campaign-id" value={id} placeholder="school-meals" onValue={setId} />
        <InputField a={a} label="Title" name="campaign-title" value={title} onValue={setTitle} />
        <InputField a={a} label="Validator" hint="A milestone validator of another organisation" name="validator" value={validator} onValue={setValidator} />
      </div>
      <Entries list={ms} legend="Milestone">
        {(m, i) => (
          <div class="row">
            <InputField a={a} label="Title" name={`ms-title-${i}`} value={m.title} onValue={(v) => set(i, 'title', v)} />
            <InputField a={a} label="Amount (EUR)" name={`ms-amount-${i}`} inputMode="decimal" value={m.amount} onValue={(v) => set(i, 'amount', v)} />
            <InputField a={a} label="Deadline" name={`ms-deadline-${i}`} type="date" value={m.deadline} onValue={(v) => set(i, 'deadline', v)} />
          </div>
        )}
      </Entries>
      <SubmitRow a={a} submit="Create campaign">
        <AddRemove list={ms} set={setMs} blank={blankMilestone} add="Add a milestone" remove="Remove the last milestone" />
      </SubmitRow>
    </ActionForm>
  );
}

const REPORT = `query Report($charity: ID!, $from: String!, $to: String!) {
  charityReport(charity: $charity, from: $from, to: $to) {
    truncated csv entriesCsv campaigns { campaignId title currency income disbursed refunded net gifts disbursements refunds }
  }
}`;

function Report({ charity }: { charity: string }) {
  const year = new Date().getUTCFullYear();
  const [from, setFrom] = useState(`${year}-01-01`);
  const [to, setTo] = useState(`${year + 1}-01-01`);
  const [range, setRange] = useState({ from, to });
  const q = useQuery(REPORT, { charity, ...range });
  return (
    <section aria-labelledby="report-title">
      <h2 id="report-title">Report</h2>
      <form
        class="filters"
        onSubmit={(e) => {
          e.preventDefault();
          setRange({ from, to });
        }}
      >
        <Field label="From">
          <input type="date" name="from" value={from} onInput={(e) => setFrom(e.currentTarget.value)} />
        </Field>
        <Field label="To (exclusive)">
          <input type="date" name="to" value={to} onInput={(e) => setTo(e.currentTarget.value)} />
        </Field>
        <button type="submit">Show</button>
      </form>
      <Show q={q} what="Loading the report">
        {(d: any) => {
          const r = d.charityReport;
          const max = Math.max(1, ...r.campaigns.map((c: any) => Number(c.income)));
          return (
            <>
              {r.truncated && <p class="warn">The entries are truncated: narrow the period.</p>}
              <StackTable caption={`Per campaign, ${range.from} to ${range.to}`} cols={['Campaign', 'Income', 'Disbursed', 'Refunded', 'Net', 'Gifts', 'Chart']}>
                {r.campaigns.map((c: any) => (
                  <tr key={c.campaignId}>
                    <td data-label="Campaign">{c.title}</td>
                    <td data-label="Income">{money(c.income, c.currency)}</td>
                    <td data-label="Disbursed">{money(c.disbursed, c.currency)}</td>
                    <td data-label="Refunded">{money(c.refunded, c.currency)}</td>
                    <td data-label="Net">{money(c.net, c.currency)}</td>
                    <td data-label="Gifts">{c.gifts}</td>
                    <td data-label="Chart">
                      <div class="chart" aria-hidden="true">
                        <span class="c-income" style={{ width: `${(100 * Number(c.income)) / max}%` }} />
                        <span class="c-disbursed" style={{ width: `${(100 * Number(c.disbursed)) / max}%` }} />
                        <span class="c-refunded" style={{ width: `${(100 * Number(c.refunded)) / max}%` }} />
                      </div>
                    </td>
                  </tr>
                ))}
              </StackTable>
              <p class="legend" aria-hidden="true">
                <span class="c-income" /> income <span class="c-disbursed" /> disbursed <span class="c-refunded" /> refunded
              </p>
              <div class="row">
                <button type="button" class="secondary" onClick={() => download(`${charity}-report-${range.from}.csv`, 'text/csv', r.csv)}>
                  Download CSV (summary)
                </button>
                <button type="button" class="secondary" onClick={() => download(`${charity}-entries-${range.from}.csv`, 'text/csv', r.entriesCsv)}>
                  Download CSV (every movement)
                </button>
              </div>
            </>
          );
        }}
      </Show>
    </section>
  );
}
