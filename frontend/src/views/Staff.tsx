// Hospital staff, in tabs: patients (a picker, each patient's records, a
// read under the consent the patient gave, a consent request), emergency
// access (break-glass, one tap from the top of the page, with an emergency
// summary of what was read), registering a record, filing a claim, and the
// claims the hospital filed; privacy officers (and auditors) review
// break-glass accesses: what was read, by whom, why, with an outcome
// chosen (none is preselected) and a note kept off the ledger (its SHA-256
// goes on it).
import { useState } from 'preact/hooks';
import { gql, submit } from '../api';
import { Time } from '../display';
import { day, decimal, minorMoney, parseAmount } from '../format';
import { PatientName, Who, memberShort, orgChoices, patientNames, useOrgs, usePatientNames } from '../names';
import { explain } from '../messages';
import { noteToSend, type AccessNote } from '../notes';
import { Link, useLocation } from '../router';
import { has, roleNames, useViewer } from '../session';
import { ActionButton, ActionForm, AddRemove, Badge, Checks, ConfirmForm, Done, Entries, Field, InputField, Notices, Page, Select, Show, SubmitRow, type Tab, Tabs, invalid, useAction, useQuery, withField } from '../ui';
import { CATEGORIES, EMERGENCIES, PURPOSES, REGISTERABLE, REVIEW_OUTCOMES, options, say } from '../vocab';
import { ProviderClaims } from './Claims';
import { RecordChecks, RecordContent, RecordReader, categoryName, consentFor, useGranted } from './Records';

export function StaffHome() {
  const { viewer } = useViewer();
  const physician = has(viewer, 'physician');
  const writer = has(viewer, 'physician', 'records_clerk');
  const reviewer = has(viewer, 'privacy_officer', 'auditor');
  const hospitalStaff = writer || has(viewer, 'privacy_officer');
  const tabs: Tab[] = [];
  if (writer) tabs.push({ id: 'patients', label: 'Patients', content: () => <Patients /> });
  if (physician) tabs.push({ id: 'emergency', label: 'Emergency access', content: () => <BreakGlass /> });
  if (writer) tabs.push({ id: 'register', label: 'Register a record', content: () => <RegisterRecord /> });
  if (writer) tabs.push({ id: 'claim', label: 'File a claim', content: () => <FileClaim /> });
  if (reviewer) tabs.push({ id: 'review', label: 'Break-glass review', content: () => <BreakGlassQueue /> });
  if (writer || has(viewer, 'auditor'))
    tabs.push({
      id: 'claims',
      label: 'Claims filed',
      content: () => (
        <section aria-labelledby="pc-title">
          <h2 id="pc-title">Claims we filed</h2>
          <ProviderClaims />
        </section>
      ),
    });
  return (
    <Page
      title={hospitalStaff ? `${viewer?.org?.name ?? 'Hospital'} staff` : 'Hospitals: emergency accesses and claims'}
      actions={
        physician && (
          <Link class="button danger emergency-button" href="/staff?tab=emergency">
            Break the glass (emergency)
          </Link>
        )
      }
    >
      <Notices scope="staff" />
      {tabs.length === 0 ? <p>Your role has nothing to do on this page.</p> : <Tabs tabs={tabs} label="Hospital tasks" />}
    </Page>
  );
}

const PATIENTS = `query Patients($org: ID!) { members(first: 100, organisation: $org) { nodes { id roles revoked } } }`;

/**
 * Chooses a patient: the hospital's patients (members with the patient
 * role) and the patients who granted it a consent, filtered by a search.
 */
export function PatientPicker({ name, value, onChange, label = 'Patient' }: { name: string; value: string; onChange: (id: string) => void; label?: string }) {
  const { viewer } = useViewer();
  const q = useQuery<any>(PATIENTS, { org: viewer?.org?.id ?? '' }, !viewer?.org);
  const granted = useGranted();
  const [search, setSearch] = useState('');
  const ids = new Set<string>();
  for (const m of q.data?.members.nodes ?? []) if (m.roles.includes('patient') && !m.revoked) ids.add(m.id);
  for (const c of granted.list) ids.add(c.patient);
  const names = usePatientNames([...ids]);
  const shownName = (id: string) => names.get(id) ?? memberShort(id);
  const s = search.trim().toLowerCase();
  const all = [...ids].sort((a, b) => shownName(a).localeCompare(shownName(b)) || a.localeCompare(b));
  const shown = all.filter((id) => !s || id.toLowerCase().includes(s) || (names.get(id) ?? '').toLowerCase().includes(s) || id === value);
  return (
    <div class="picker row">
      <Field label="Find a patient" hint={`${shown.length} of ${all.length} patients`}>
        <input type="search" name={`${name}-search`} value={search} placeholder="name or id" onInput={(e) => setSearch(e.currentTarget.value)} />
      </Field>
      <Field label={label}>
        <select name={name} value={value} onChange={(e) => onChange(e.currentTarget.value)}>
          <option value="">Choose a patient…</option>
          {shown.map((id) => (
            <option key={id} value={id} title={id}>
              {names.has(id) ? `${names.get(id)} (${memberShort(id)})` : memberShort(id)}
            </option>
          ))}
        </select>
      </Field>
    </div>
  );
}

const RECORDS = `query PatientRecords($patient: ID!) {
  patientRecords(patient: $patient, first: 100) { nodes { id category custodian createdAt erased latestVersion patientName } }
}`;

/** The patient's records the viewer's hospital holds (not erased, not claim documents). */
function usePatientRecords(patient: string) {
  const q = useQuery<any>(RECORDS, { patient }, !patient);
  const records: any[] = (q.data?.patientRecords.nodes ?? []).filter((r: any) => !r.erased && r.category !== 'claim');
  return { q, records };
}

function Patients() {
  const { query } = useLocation();
  const [patient, setPatient] = useState(query.get('patient') ?? '');
  return (
    <section aria-labelledby="pt-title">
      <h2 id="pt-title">Patients</h2>
      <PatientPicker name="patient" value={patient} onChange={setPatient} />
      {patient ? <PatientRecords key={patient} patient={patient} /> : <p class="note">Choose a patient to see their records and consents.</p>}
    </section>
  );
}

function PatientRecords({ patient }: { patient: string }) {
  const { q, records } = usePatientRecords(patient);
  const granted = useGranted();
  const mine = granted.list.filter((c) => c.patient === patient);
  return (
    <>
      <h3>
        Records of <PatientName id={patient} name={q.data?.patientRecords.nodes.find((r: any) => r.patientName)?.patientName} />
      </h3>
      <Show q={q} what="Loading the records">
        {() =>
          records.length === 0 ? (
            <p>This hospital holds no record of this patient.</p>
          ) : (
            <ul class="cards one" aria-label="Records">
              {records.map((r) => {
                const c = consentFor(granted.list, patient, r.id, r.category);
                return (
                  <li class="card" key={r.id}>
                    <h4>{categoryName(r.category)}</h4>
                    <p class="meta">
                      <code title="Record id">{r.id}</code> · version {r.latestVersion} · {day(r.createdAt)}
                    </p>
                    {c ? (
                      <>
                        <p class="consent-line">
                          <Badge v="ACTIVE" /> Consent for {say(PURPOSES, c.purpose).toLowerCase()} until {day(c.end)}
                        </p>
                        <RecordReader record={r.id} purpose={c.purpose} consent={c.id} label="Read under consent" />
                      </>
                    ) : (
                      <p class="note">No consent of this patient covers it: request one below (or use emergency access in an emergency).</p>
                    )}
                  </li>
                );
              })}
            </ul>
          )
        }
      </Show>
      <h3>Consents this patient gave us</h3>
      {mine.length === 0 ? (
        <p>None active.</p>
      ) : (
        <ul>
          {mine.map((c) => (
            <li key={c.id}>
              {say(PURPOSES, c.purpose)}: {c.records.length ? c.records.join(', ') : c.categories.length ? c.categories.map(categoryName).join(', ') : 'all records'} until{' '}
              {day(c.end)} <span class="muted">({c.id})</span>
            </li>
          ))}
        </ul>
      )}
      {records.length > 0 && (
        <RequestConsent patient={patient} name={q.data?.patientRecords.nodes.find((r: any) => r.patientName)?.patientName} records={records} />
      )}
    </>
  );
}

const REQUEST = `mutation Request($id: ID!, $patient: ID!, $purpose: String!, $start: String!, $end: String!, $records: [ID!], $wait: Boolean) {
  requestConsent(id: $id, patient: $patient, purpose: $purpose, start: $start, end: $end, records: $records, wait: $wait) { TX }
}`;

function RequestConsent({ patient, name, records }: { patient: string; name?: string | null; records: any[] }) {
  const [chosen, setChosen] = useState<string[]>([]);
  const [purpose, setPurpose] = useState('treatment');
  const [end, setEnd] = useState(new Date(Date.now() + 90 * 864e5).toISOString().slice(0, 10));
  const a = useAction('staff');
  return (
    <ActionForm
      class="panel"
      aria-labelledby="req-title"
      a={a}
      check={(c) => {
        c.need(chosen.length === 0, 'req-records', 'Choose at least one record.');
        c.need(!end || Date.parse(`${end}T23:59:59Z`) <= Date.now(), 'req-end', 'Choose a date in the future.');
      }}
      run={async () => {
        const id = `req-${Date.now().toString(36)}`;
        await submit(REQUEST, {
          id,
          patient,
          purpose,
          start: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
          end: `${end}T23:59:59Z`,
          records: chosen,
        });
        setChosen([]);
        return `Consent requested from ${name || memberShort(patient)} for ${say(PURPOSES, purpose).toLowerCase()}; it waits for the patient.`;
      }}
    >
      <h3 id="req-title">Request a consent</h3>
      <RecordChecks legend="Records" name="req-record" records={records} chosen={chosen} onChange={setChosen} error={a.fieldError('req-records')} />
      <div class="row">
        <Field label="Purpose">
          <Select name="req-purpose" value={purpose} choices={options(PURPOSES)} onChange={setPurpose} />
        </Field>
        <InputField a={a} label="Until" name="req-end" type="date" value={end} onValue={setEnd} />
      </div>
      <ActionButton a={a} type="submit">
        Request consent
      </ActionButton>
    </ActionForm>
  );
}

const REGISTER = `mutation Register($id: ID!, $patient: ID!, $category: String!, $content: String!, $wait: Boolean) {
  registerRecord(id: $id, patient: $patient, category: $category, content: $content, wait: $wait) { TX }
}`;

function RegisterRecord() {
  const [id, setId] = useState('');
  const [patient, setPatient] = useState('');
  const [category, setCategory] = useState('bundle');
  const [file, setFile] = useState<File | null>(null);
  const a = useAction('staff');
  return (
    <ActionForm
      class="panel"
      aria-labelledby="reg-title"
      a={a}
      check={(c) => {
        c.need(!patient, 'record-patient', 'Choose the patient.');
        c.need(!/^[a-z0-9][a-z0-9._-]{1,127}$/.test(id.trim()), 'record-id', 'Give the record an id of lower-case letters, digits, dots and dashes, e.g. rec-ana-3.');
        c.need(!file, 'record-file', 'Choose the FHIR JSON file.');
      }}
      run={async () => {
        const content = await file!.text();
        try {
          JSON.parse(content);
        } catch {
          invalid('record-file', `${file!.name} is not JSON: choose a FHIR JSON file.`);
        }
        const r = await submit(REGISTER, { id: id.trim(), patient, category, content });
        // The record may be what first names the patient (FHIR Patient.name).
        const names = await patientNames([patient]).catch(() => new Map<string, string>());
        return `Record ${id.trim()} (${categoryName(category).toLowerCase()}) is registered for ${names.get(patient) ?? memberShort(patient)} (block ${r.height}); its content is encrypted at the hospital's node.`;
      }}
    >
      <h2 id="reg-title">Register a record</h2>
      <PatientPicker name="record-patient" value={patient} onChange={setPatient} />
      {a.fieldError('record-patient') && <p class="field-error">⚠ {a.fieldError('record-patient')}</p>}
      <div class="row">
        <InputField a={a} label="Record id" name="record-id" value={id} placeholder="rec-ana-3" onValue={setId} />
        <Field label="Category">
          <Select name="record-category" value={category} choices={options(CATEGORIES, REGISTERABLE)} onChange={setCategory} />
        </Field>
      </div>
      <Field label="FHIR JSON file" hint={file ? `${file.name}: ${file.size} bytes` : 'A FHIR resource, e.g. a Bundle'} error={a.fieldError('record-file')}>
        <input type="file" name="record-file" accept="application/json,application/fhir+json,.json" onChange={(e) => setFile(e.currentTarget.files?.[0] ?? null)} />
      </Field>
      <ActionButton a={a} type="submit">
        Register record
      </ActionButton>
    </ActionForm>
  );
}

const FILE = `mutation File($id: ID!, $patient: ID!, $insurer: ID!, $currency: String!, $items: [ClaimItemInput!]!, $records: [ID!], $wait: Boolean) {
  submitClaim(id: $id, patient: $patient, insurer: $insurer, currency: $currency, items: $items, records: $records, wait: $wait) { TX }
}`;

const blankItem = () => ({ serviceCode: '', date: '', amount: '' });

function FileClaim() {
  const orgs = useOrgs();
  const insurers = [...orgs.values()].filter((o) => o.kind === 'insurer');
  const [patient, setPatient] = useState('');
  const [insurer, setInsurer] = useState('');
  const [linked, setLinked] = useState<string[]>([]);
  const [items, setItems] = useState([blankItem()]);
  const { records } = usePatientRecords(patient);
  const a = useAction('staff');
  const set = (i: number, k: 'serviceCode' | 'date' | 'amount', v: string) => setItems(withField(items, i, k, v));
  const total = items.reduce((n, x) => n + (parseAmount(x.amount, 'EUR') ?? 0), 0);
  const chosenInsurer = insurer || insurers[0]?.id || '';
  return (
    <ActionForm
      class="panel"
      aria-labelledby="claim-title"
      a={a}
      run={async () => {
        const c = new Checks();
        c.need(!patient, 'claim-patient', 'Choose the patient.');
        c.need(!chosenInsurer, 'claim-insurer', 'Choose the insurer.');
        const its = items.map((x, i) => {
          c.need(!x.serviceCode.trim(), `item-code-${i}`, 'Enter the service code, e.g. 99213.');
          c.need(!x.date, `item-date-${i}`, 'Enter the date of the service.');
          const amount = parseAmount(x.amount, 'EUR');
          c.need(amount === null, `item-amount-${i}`, 'Enter an amount such as 80 or 80.50.');
          return { serviceCode: x.serviceCode.trim(), date: x.date, amount: decimal(amount ?? 0, 'EUR') };
        });
        c.throw();
        const id = `clm-${Date.now().toString(36)}`;
        await submit(FILE, { id, patient, insurer: chosenInsurer, currency: 'EUR', items: its, records: linked });
        setItems([blankItem()]);
        setLinked([]);
        return `Claim ${id} for ${minorMoney(total, 'EUR')} is filed with ${orgs.get(chosenInsurer)?.name ?? chosenInsurer}.`;
      }}
    >
      <h2 id="claim-title">File a claim</h2>
      <PatientPicker name="claim-patient" value={patient} onChange={(p) => (setPatient(p), setLinked([]))} />
      {a.fieldError('claim-patient') && <p class="field-error">⚠ {a.fieldError('claim-patient')}</p>}
      <Field label="Insurer" error={a.fieldError('claim-insurer')}>
        <Select name="claim-insurer" value={chosenInsurer} choices={orgChoices(insurers)} onChange={setInsurer} />
      </Field>
      {records.length > 0 && (
        <RecordChecks legend="Linked records (optional)" name="claim-record" records={records} chosen={linked} onChange={setLinked} />
      )}
      <Entries list={items} legend="Item">
        {(x, i) => (
          <div class="row">
            <InputField a={a} label="Service code" name={`item-code-${i}`} value={x.serviceCode} placeholder="99213" onValue={(v) => set(i, 'serviceCode', v)} />
            <InputField a={a} label="Date" name={`item-date-${i}`} type="date" value={x.date} onValue={(v) => set(i, 'date', v)} />
            <InputField a={a} label="Amount (EUR)" name={`item-amount-${i}`} inputMode="decimal" value={x.amount} onValue={(v) => set(i, 'amount', v)} />
          </div>
        )}
      </Entries>
      <p class="total" aria-live="polite">
        Total: <strong>{minorMoney(total, 'EUR')}</strong> for {items.length} item{items.length > 1 ? 's' : ''}
      </p>
      <SubmitRow a={a} submit="File claim">
        <AddRemove list={items} set={setItems} blank={blankItem} add="Add an item" remove="Remove the last item" />
      </SubmitRow>
    </ActionForm>
  );
}

const BREAK = `mutation Break($record: ID!, $reason: String!, $note: String) {
  breakGlassRead(record: $record, reason: $reason, note: $note) {
    recordId version kind content contentBase64 access { id height } noteDelivery { delivered error code } }
}`;
const SEND_NOTE = `mutation SendNote($access: ID!, $note: String!) { sendAccessNote(access: $access, note: $note) { delivered } }`;

/**
 * A note the custodian did not get: what went wrong and a button to send
 * it again (the text stays in this page only); once sent, a confirmation
 * that stays until dismissed.
 */
function UndeliveredNote({ access, note, error, onSent }: { access: string; note: string; error: string; onSent: () => void }) {
  const a = useAction();
  if (a.done) return <Done text={a.done} onDismiss={onSent} />;
  return (
    <div class="alert" role="alert">
      <p>
        <strong>Your note has not reached the privacy officer.</strong> {error}
      </p>
      <ActionButton
        a={a}
        type="button"
        onClick={() =>
          a.run(async () => {
            try {
              await gql<any>(SEND_NOTE, { access, note });
            } catch (e: any) {
              if (e?.code !== 'CONFLICT') throw e;
            }
            return 'Your note has reached the privacy officer.';
          })
        }
      >
        Send the note again
      </ActionButton>
    </div>
  );
}

/**
 * Emergency access: choose the patient and the record (the newest full
 * health record first), the emergency, and optionally write a note for the
 * privacy officer (only its SHA-256 goes on the ledger); a confirmation,
 * then the emergency summary of what was read.
 */
function BreakGlass() {
  const [patient, setPatient] = useState('');
  const { records } = usePatientRecords(patient);
  const [record, setRecord] = useState('');
  const [reason, setReason] = useState('');
  const [note, setNote] = useState('');
  const [confirm, setConfirm] = useState(false);
  const [read, setRead] = useState<any>(null);
  const [undelivered, setUndelivered] = useState<{ access: string; note: string; error: string } | null>(null);
  const a = useAction();
  const sorted = [...records].sort((x, y) => Number(y.category === 'bundle') - Number(x.category === 'bundle') || y.createdAt.localeCompare(x.createdAt));
  const chosen = record && sorted.some((r) => r.id === record) ? record : sorted[0]?.id ?? '';
  const chosenRec = sorted.find((r) => r.id === chosen);
  const who = records.find((r) => r.patientName)?.patientName ?? memberShort(patient);
  const what = `the ${categoryName(chosenRec?.category).toLowerCase()} of ${who}`;
  const check = () => {
    const c = new Checks();
    c.need(!patient, 'bg-patient', 'Choose the patient.');
    c.need(!!patient && !chosen, 'bg-record', 'This patient has no record here to read.');
    c.need(!reason, 'bg-reason', 'Choose the emergency.');
    c.throw();
  };
  return (
    <section class="panel danger-zone" aria-labelledby="bg-title">
      <h2 id="bg-title">Emergency access (break the glass)</h2>
      <p class="note">
        For an emergency only: you read the record without the patient's consent. The access is on the ledger, the patient is alerted, and your privacy
        officer reviews it.
      </p>
      <ConfirmForm
        a={a}
        check={check}
        run={async () => {
          check();
          const text = noteToSend(note);
          setUndelivered(null);
          const d = await gql<any>(BREAK, { record: chosen, reason, note: text });
          const r = d.breakGlassRead;
          setRead(r);
          setConfirm(false);
          setNote('');
          if (text && r.noteDelivery && !r.noteDelivery.delivered) {
            const why = explain({ message: r.noteDelivery.error ?? '', code: r.noteDelivery.code ?? 'UNAVAILABLE' }).summary;
            setUndelivered({ access: r.access.id, note: text, error: why });
          }
          const sent = text && r.noteDelivery?.delivered ? ' Your note has reached the privacy officer.' : '';
          return `Emergency access to ${what} is recorded (block ${r.access.height}); the patient is alerted and the privacy officer will review it.${sent}`;
        }}
        confirming={confirm}
        setConfirming={setConfirm}
        question={
          <>
            Confirm: read {what} without the patient's consent because of “
            {say(EMERGENCIES, reason)}”?
          </>
        }
        submit="Break the glass"
        yes="Yes, break the glass"
        cancel="Cancel"
        buttonClass="danger"
      >
        <PatientPicker name="bg-patient" value={patient} onChange={(p) => (setPatient(p), setRecord(''), setConfirm(false), setRead(null))} />
        {a.fieldError('bg-patient') && <p class="field-error">⚠ {a.fieldError('bg-patient')}</p>}
        <div class="row">
          <Field label="Record" error={a.fieldError('bg-record')}>
            <Select
              name="bg-record"
              value={chosen}
              choices={sorted.map((r): [string, string] => [r.id, `${categoryName(r.category)}, ${day(r.createdAt)} (${r.id})`])}
              placeholder={sorted.length === 0 ? (patient ? 'No record' : 'Choose the patient first') : undefined}
              onChange={(v) => (setRecord(v), setConfirm(false))}
            />
          </Field>
          <Field label="Emergency" error={a.fieldError('bg-reason')}>
            <Select name="bg-reason" value={reason} choices={options(EMERGENCIES)} placeholder="Choose…" onChange={(v) => (setReason(v), setConfirm(false))} />
          </Field>
        </div>
        <Field
          label="Note for the privacy officer (optional)"
          hint="What happened, in your words. It goes, encrypted, to the hospital that keeps the record, for its privacy officer; only its fingerprint (SHA-256) goes on the ledger."
        >
          <textarea name="bg-note" rows={3} maxLength={4000} value={note} onInput={(e) => setNote(e.currentTarget.value)} />
        </Field>
      </ConfirmForm>
      {undelivered && <UndeliveredNote {...undelivered} onSent={() => setUndelivered(null)} />}
      {read && <RecordContent read={read} emergency />}
    </section>
  );
}

const QUEUE = `query BG($custodian: ID) { breakGlassQueue(first: 30, custodian: $custodian) { nodes {
  id reader readerOrganisation readerRoles recordId recordVersion category patient patientName custodianName breakGlassReason noteHash time delivered reviewed
  note { text verified problem } review { outcome reviewer time noteHash } reviewNote { text verified problem } } } }`;
const REVIEW = `mutation ReviewBG($access: ID!, $outcome: String!, $note: String, $wait: Boolean) {
  reviewBreakGlass(access: $access, outcome: $outcome, note: $note, wait: $wait) { TX }
}`;

/** A note as the custodian released it: the text when it matches the ledger's fingerprint, else why not. */
function NoteText({ n, hash }: { n: AccessNote; hash: string | null | undefined }) {
  if (!hash) return <span class="muted">none</span>;
  if (n?.verified && n.text != null)
    return (
      <>
        “{n.text}” <span class="muted">(matches the fingerprint on the ledger)</span>
      </>
    );
  return <span class="muted">written, not readable here: {n?.problem ?? 'only the hospital\'s privacy officers and auditors read it'}</span>;
}

function BreakGlassQueue() {
  const { viewer } = useViewer();
  const auditor = has(viewer, 'auditor') && !has(viewer, 'privacy_officer');
  const orgs = useOrgs();
  const hospitals = [...orgs.values()].filter((o) => o.kind === 'hospital');
  const [custodian, setCustodian] = useState('');
  const chosen = auditor ? custodian || hospitals[0]?.id || '' : null;
  const q = useQuery(QUEUE, { custodian: chosen }, auditor && !chosen);
  return (
    <section aria-labelledby="bgq-title">
      <h2 id="bgq-title">Break-glass review</h2>
      {auditor && (
        <Field label="Hospital">
          <Select name="custodian" value={chosen ?? ''} choices={orgChoices(hospitals)} onChange={setCustodian} />
        </Field>
      )}
      <Notices scope="bg-review" />
      <Show q={q} what="Loading the review queue">
        {(d: any) =>
          d.breakGlassQueue.nodes.length === 0 ? (
            <p>Nothing to review.</p>
          ) : (
            <ul class="cards wide" aria-label="Emergency accesses">
              {d.breakGlassQueue.nodes.map((e: any) => (
                <BreakGlassCard key={e.id} e={e} canReview={has(viewer, 'privacy_officer')} onDone={q.reload} />
              ))}
            </ul>
          )
        }
      </Show>
    </section>
  );
}

function BreakGlassCard({ e, canReview, onDone }: { e: any; canReview: boolean; onDone: () => void }) {
  const roles = (e.readerRoles ?? []).filter((r: string) => r !== 'member').map((r: string) => roleNames[r] ?? r);
  return (
    <li class="card bg-card">
      <h3>
        <Who id={e.reader} org={false} /> read {categoryName(e.category).toLowerCase()} {e.reviewed ? <Badge v="REVIEWED" /> : <Badge v="TO_REVIEW" />}
      </h3>
      <dl class="facts">
        <div>
          <dt>Record</dt>
          <dd>
            <code>{e.recordId}</code> (version {e.recordVersion})
          </dd>
        </div>
        <div>
          <dt>Category</dt>
          <dd>{categoryName(e.category)}</dd>
        </div>
        <div>
          <dt>Patient</dt>
          <dd>
            <PatientName id={e.patient} name={e.patientName} />
          </dd>
        </div>
        <div>
          <dt>Reader</dt>
          <dd>
            <Who id={e.reader} org={false} />
            <br />
            <span class="muted">
              {e.readerOrganisation}
              {roles.length > 0 && ` · ${roles.join(', ')}`}
            </span>
          </dd>
        </div>
        <div>
          <dt>Emergency</dt>
          <dd>{say(EMERGENCIES, e.breakGlassReason)}</dd>
        </div>
        <div>
          <dt>When</dt>
          <dd>
            <Time value={e.time} />
          </dd>
        </div>
      </dl>
      <p class="bg-note">
        <strong>Physician's note:</strong>{' '}
        <NoteText n={e.note} hash={e.noteHash} />
      </p>
      {!e.delivered && <p class="warn">Nothing was delivered to the reader.</p>}
      {e.reviewed ? (
        <p>
          Reviewed by <Who id={e.review?.reviewer} /> <Time value={e.review?.time} />: <strong>{say(REVIEW_OUTCOMES, e.review?.outcome)}</strong>
          {e.review?.noteHash && (
            <>
              {' '}
              — <NoteText n={e.reviewNote} hash={e.review.noteHash} />
            </>
          )}
        </p>
      ) : canReview ? (
        <ReviewForm id={e.id} onDone={onDone} />
      ) : (
        <p class="muted">Not reviewed yet.</p>
      )}
    </li>
  );
}

function ReviewForm({ id, onDone }: { id: string; onDone: () => void }) {
  const [outcome, setOutcome] = useState('');
  const [note, setNote] = useState('');
  const a = useAction('bg-review');
  const err = a.fieldError(`outcome-${id}`);
  return (
    <ActionForm
      class="review-form"
      a={a}
      check={(c) => {
        c.need(!outcome, `outcome-${id}`, 'Choose the outcome of your review.');
      }}
      run={async () => {
        const text = noteToSend(note);
        await submit(REVIEW, { access: id, outcome, note: text });
        onDone();
        return `Review closed: ${say(REVIEW_OUTCOMES, outcome).toLowerCase()}${text ? '; your note stays off the ledger, with the hospital; its fingerprint is on it' : ''}.`;
      }}
    >
      <fieldset aria-describedby={err ? `outcome-${id}-err` : undefined}>
        <legend>Outcome</legend>
        {Object.entries(REVIEW_OUTCOMES).map(([k, v]) => (
          <label key={k} class="check">
            <input type="radio" name={`outcome-${id}`} value={k} checked={outcome === k} onChange={() => setOutcome(k)} /> {v}
          </label>
        ))}
        {err && (
          <small class="field-error" id={`outcome-${id}-err`}>
            ⚠ {err}
          </small>
        )}
      </fieldset>
      <Field label="Note (optional)" hint="Kept by this hospital, off the ledger: only its fingerprint (SHA-256) goes on it.">
        <textarea name={`note-${id}`} rows={2} maxLength={4000} value={note} onInput={(e) => setNote(e.currentTarget.value)} />
      </Field>
      <ActionButton a={a} type="submit">
        Close review
      </ActionButton>
    </ActionForm>
  );
}

