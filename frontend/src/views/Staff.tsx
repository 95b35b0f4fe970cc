// Hospital staff: register a record (FHIR JSON, sealed by the portal for
// the hospital's node), request a patient's consent, file a claim with
// linked records, break the glass in an emergency; privacy officers review
// break-glass accesses.
import { useState } from 'preact/hooks';
import { gql, submit } from '../api';
import { money, parseAmount, pretty, when } from '../format';
import { has, useViewer } from '../session';
import { Badge, Busy, Field, Page, Result, Show, useAction, useQuery } from '../ui';
import { ProviderClaims } from './Claims';
import { PURPOSES } from './Patient';

export function StaffHome() {
  const { viewer } = useViewer();
  const writer = has(viewer, 'physician', 'records_clerk');
  return (
    <Page title={`${viewer?.org?.name ?? 'Hospital'} staff`}>
      {writer && <RegisterRecord />}
      {writer && <RequestConsent />}
      {has(viewer, 'records_clerk', 'physician') && <FileClaim />}
      {has(viewer, 'physician') && <BreakGlass />}
      {has(viewer, 'privacy_officer', 'auditor') && <BreakGlassQueue />}
      {has(viewer, 'records_clerk', 'privacy_officer', 'auditor') && (
        <section aria-labelledby="pc-title">
          <h2 id="pc-title">Claims we filed</h2>
          <ProviderClaims />
        </section>
      )}
    </Page>
  );
}

const CATEGORIES = ['encounter', 'lab', 'imaging', 'medication', 'discharge-summary', 'claim-support', 'bundle'];
const REGISTER = `mutation Register($id: ID!, $patient: ID!, $category: String!, $content: String!, $wait: Boolean) {
  registerRecord(id: $id, patient: $patient, category: $category, content: $content, wait: $wait) { TX }
}`;

function RegisterRecord() {
  const [id, setId] = useState('');
  const [patient, setPatient] = useState('');
  const [category, setCategory] = useState('bundle');
  const [file, setFile] = useState<File | null>(null);
  const a = useAction();
  return (
    <form
      class="panel"
      aria-labelledby="reg-title"
      onSubmit={(e) => {
        e.preventDefault();
        a.run(async () => {
          if (!id.trim() || !patient.trim()) throw new Error('enter the record id and the patient');
          if (!file) throw new Error('choose the FHIR JSON file');
          const content = await file.text();
          try {
            JSON.parse(content);
          } catch {
            throw new Error(`${file.name} is not JSON: choose a FHIR JSON file`);
          }
          const r = await submit(REGISTER, { id: id.trim(), patient: patient.trim(), category, content });
          return `Record ${id.trim()} is registered (block ${r.height}); its content is encrypted at the hospital's node.`;
        });
      }}
    >
      <h2 id="reg-title">Register a record</h2>
      <div class="row">
        <Field label="Record id">
          <input name="record-id" value={id} onInput={(e) => setId(e.currentTarget.value)} placeholder="rec-ana-3" />
        </Field>
        <Field label="Patient">
          <input name="record-patient" value={patient} onInput={(e) => setPatient(e.currentTarget.value)} placeholder="stmarys/patient-ana" />
        </Field>
        <Field label="Category">
          <select name="record-category" value={category} onChange={(e) => setCategory(e.currentTarget.value)}>
            {CATEGORIES.map((c) => (
              <option key={c} value={c}>
                {c}
              </option>
            ))}
          </select>
        </Field>
      </div>
      <Field label="FHIR JSON file" hint={file ? `${file.name}: ${file.size} bytes` : 'A FHIR resource, e.g. a Bundle'}>
        <input
          type="file"
          name="record-file"
          accept="application/json,application/fhir+json,.json"
          onChange={(e) => setFile(e.currentTarget.files?.[0] ?? null)}
        />
      </Field>
      <Busy type="submit" busy={a.busy}>
        Register record
      </Busy>
      <Result a={a} />
    </form>
  );
}

const REQUEST = `mutation Request($id: ID!, $patient: ID!, $purpose: String!, $start: String!, $end: String!, $records: [ID!], $wait: Boolean) {
  requestConsent(id: $id, patient: $patient, purpose: $purpose, start: $start, end: $end, records: $records, wait: $wait) { TX }
}`;

function RequestConsent() {
  const [patient, setPatient] = useState('');
  const [records, setRecords] = useState('');
  const [purpose, setPurpose] = useState('treatment');
  const [end, setEnd] = useState(new Date(Date.now() + 90 * 864e5).toISOString().slice(0, 10));
  const a = useAction();
  return (
    <form
      class="panel"
      aria-labelledby="req-title"
      onSubmit={(e) => {
        e.preventDefault();
        a.run(async () => {
          const recs = records.split(/[\s,]+/).filter(Boolean);
          if (!patient.trim() || recs.length === 0) throw new Error('enter the patient and at least one record id');
          const id = `req-${Date.now().toString(36)}`;
          await submit(REQUEST, {
            id,
            patient: patient.trim(),
            purpose,
            start: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
            end: `${end}T23:59:59Z`,
            records: recs,
          });
          return `Consent ${id} is requested; it waits for the patient.`;
        });
      }}
    >
      <h2 id="req-title">Request a consent</h2>
      <div class="row">
        <Field label="Patient">
          <input name="req-patient" value={patient} onInput={(e) => setPatient(e.currentTarget.value)} />
        </Field>
        <Field label="Records" hint="Record ids, separated by commas">
          <input name="req-records" value={records} onInput={(e) => setRecords(e.currentTarget.value)} />
        </Field>
        <Field label="Purpose">
          <select name="req-purpose" value={purpose} onChange={(e) => setPurpose(e.currentTarget.value)}>
            {PURPOSES.map((p) => (
              <option key={p} value={p}>
                {p}
              </option>
            ))}
          </select>
        </Field>
        <Field label="Until">
          <input name="req-end" type="date" value={end} onInput={(e) => setEnd(e.currentTarget.value)} />
        </Field>
      </div>
      <Busy type="submit" busy={a.busy}>
        Request consent
      </Busy>
      <Result a={a} />
    </form>
  );
}

const FILE = `mutation File($id: ID!, $patient: ID!, $insurer: ID!, $currency: String!, $items: [ClaimItemInput!]!, $records: [ID!], $wait: Boolean) {
  submitClaim(id: $id, patient: $patient, insurer: $insurer, currency: $currency, items: $items, records: $records, wait: $wait) { TX }
}`;

function FileClaim() {
  const [patient, setPatient] = useState('');
  const [insurer, setInsurer] = useState('acme');
  const [records, setRecords] = useState('');
  const [items, setItems] = useState([{ serviceCode: '', date: '', amount: '' }]);
  const a = useAction();
  const set = (i: number, k: 'serviceCode' | 'date' | 'amount', v: string) => setItems(items.map((x, j) => (j === i ? { ...x, [k]: v } : x)));
  return (
    <form
      class="panel"
      aria-labelledby="claim-title"
      onSubmit={(e) => {
        e.preventDefault();
        a.run(async () => {
          if (!patient.trim()) throw new Error('enter the patient');
          const its = items.map((x, i) => {
            const amount = parseAmount(x.amount);
            if (!x.serviceCode.trim() || !x.date || amount === null) throw new Error(`item ${i + 1}: enter a service code, a date and an amount`);
            return { serviceCode: x.serviceCode.trim(), date: x.date, amount };
          });
          const id = `clm-${Date.now().toString(36)}`;
          await submit(FILE, {
            id,
            patient: patient.trim(),
            insurer: insurer.trim(),
            currency: 'EUR',
            items: its,
            records: records.split(/[\s,]+/).filter(Boolean),
          });
          const total = its.reduce((n, x) => n + x.amount, 0);
          return `Claim ${id} for ${money(total, 'EUR')} is filed with ${insurer}.`;
        });
      }}
    >
      <h2 id="claim-title">File a claim</h2>
      <div class="row">
        <Field label="Patient">
          <input name="claim-patient" value={patient} onInput={(e) => setPatient(e.currentTarget.value)} />
        </Field>
        <Field label="Insurer">
          <input name="claim-insurer" value={insurer} onInput={(e) => setInsurer(e.currentTarget.value)} />
        </Field>
        <Field label="Linked records" hint="Record ids, separated by commas (optional)">
          <input name="claim-records" value={records} onInput={(e) => setRecords(e.currentTarget.value)} />
        </Field>
      </div>
      {items.map((x, i) => (
        <fieldset key={i}>
          <legend>Item {i + 1}</legend>
          <div class="row">
            <Field label="Service code">
              <input name={`item-code-${i}`} value={x.serviceCode} onInput={(e) => set(i, 'serviceCode', e.currentTarget.value)} placeholder="99213" />
            </Field>
            <Field label="Date">
              <input name={`item-date-${i}`} type="date" value={x.date} onInput={(e) => set(i, 'date', e.currentTarget.value)} />
            </Field>
            <Field label="Amount (EUR)">
              <input name={`item-amount-${i}`} inputMode="decimal" value={x.amount} onInput={(e) => set(i, 'amount', e.currentTarget.value)} />
            </Field>
          </div>
        </fieldset>
      ))}
      <div class="row">
        <button type="button" class="secondary" onClick={() => setItems([...items, { serviceCode: '', date: '', amount: '' }])}>
          Add an item
        </button>
        {items.length > 1 && (
          <button type="button" class="secondary" onClick={() => setItems(items.slice(0, -1))}>
            Remove the last item
          </button>
        )}
        <Busy type="submit" busy={a.busy}>
          File claim
        </Busy>
      </div>
      <Result a={a} />
    </form>
  );
}

const BREAK = `mutation Break($record: ID!, $reason: String!) {
  breakGlassRead(record: $record, reason: $reason) { recordId version kind content access { id height } }
}`;
const REASONS = ['life-threatening', 'unconscious-patient', 'urgent-treatment', 'mass-casualty'];

function BreakGlass() {
  const [record, setRecord] = useState('');
  const [reason, setReason] = useState('');
  const [confirm, setConfirm] = useState(false);
  const [read, setRead] = useState<any>(null);
  const a = useAction();
  return (
    <form
      class="panel danger-zone"
      aria-labelledby="bg-title"
      onSubmit={(e) => {
        e.preventDefault();
        if (!confirm) return setConfirm(true);
        a.run(async () => {
          if (!record.trim() || !reason) throw new Error('enter the record and choose the emergency');
          const d = await gql<any>(BREAK, { record: record.trim(), reason });
          setRead(d.breakGlassRead);
          setConfirm(false);
          return `Emergency access to ${record.trim()} is recorded (block ${d.breakGlassRead.access.height}); the patient is alerted and the privacy officer will review it.`;
        });
      }}
    >
      <h2 id="bg-title">Break the glass</h2>
      <p class="note">For an emergency only: the access is on the ledger, the patient is alerted, and your privacy officer reviews it.</p>
      <div class="row">
        <Field label="Record">
          <input name="bg-record" value={record} onInput={(e) => (setRecord(e.currentTarget.value), setConfirm(false))} />
        </Field>
        <Field label="Emergency">
          <select name="bg-reason" value={reason} onChange={(e) => (setReason(e.currentTarget.value), setConfirm(false))}>
            <option value="">Choose…</option>
            {REASONS.map((r) => (
              <option key={r} value={r}>
                {r.replace(/-/g, ' ')}
              </option>
            ))}
          </select>
        </Field>
      </div>
      {confirm && (
        <p class="alert" role="alert">
          Confirm: read {record} without the patient's consent because of “{reason}”?
        </p>
      )}
      <Busy type="submit" class="danger" busy={a.busy}>
        {confirm ? 'Yes, break the glass' : 'Break the glass'}
      </Busy>
      {confirm && (
        <button type="button" class="secondary" onClick={() => setConfirm(false)}>
          Cancel
        </button>
      )}
      <Result a={a} />
      {read && (
        <details open>
          <summary>Content of {read.recordId} (version {read.version})</summary>
          <pre class="fhir">{read.content !== null ? pretty(read.content) : '(binary)'}</pre>
        </details>
      )}
    </form>
  );
}

const QUEUE = `query BG { breakGlassQueue(first: 12) { nodes { id reader recordId patient breakGlassReason time reviewed review { outcome reviewer time } } } }`;
const REVIEW = `mutation ReviewBG($access: ID!, $outcome: String!, $wait: Boolean) { reviewBreakGlass(access: $access, outcome: $outcome, wait: $wait) { TX } }`;
const OUTCOMES = ['justified', 'unjustified', 'referred'];

function BreakGlassQueue() {
  const q = useQuery(QUEUE);
  return (
    <section aria-labelledby="bgq-title">
      <h2 id="bgq-title">Break-glass review</h2>
      <Show q={q} what="Loading the review queue">
        {(d: any) =>
          d.breakGlassQueue.nodes.length === 0 ? (
            <p>Nothing to review.</p>
          ) : (
            <ul class="cards">
              {d.breakGlassQueue.nodes.map((e: any) => (
                <li class="card" key={e.id}>
                  <h3>
                    {e.reader} read {e.recordId} {e.reviewed ? <Badge v="REVIEWED" /> : <Badge v="BREAK_GLASS" />}
                  </h3>
                  <p>
                    Patient {e.patient}; emergency “{e.breakGlassReason}”, {when(e.time)}
                  </p>
                  {e.reviewed ? <p>Reviewed by {e.review?.reviewer}: {e.review?.outcome}</p> : <ReviewForm id={e.id} onDone={q.reload} />}
                </li>
              ))}
            </ul>
          )
        }
      </Show>
    </section>
  );
}

function ReviewForm({ id, onDone }: { id: string; onDone: () => void }) {
  const [outcome, setOutcome] = useState('justified');
  const a = useAction();
  return (
    <form
      onSubmit={(e) => {
        e.preventDefault();
        a.run(async () => {
          await submit(REVIEW, { access: id, outcome });
          onDone();
          return 'Reviewed.';
        });
      }}
    >
      <Field label="Outcome">
        <select name={`outcome-${id}`} value={outcome} onChange={(e) => setOutcome(e.currentTarget.value)}>
          {OUTCOMES.map((o) => (
            <option key={o} value={o}>
              {o.replace(/-/g, ' ')}
            </option>
          ))}
        </select>
      </Field>
      <Busy type="submit" busy={a.busy}>
        Close review
      </Busy>
      <Result a={a} />
    </form>
  );
}
