// Reading a record: readRecord commits a record.access on the ledger (under
// a consent, or the patient's own) and returns the decrypted content to
// this viewer only. It is an explicit action because the access is logged.
// The consent is found, not typed: consentsGranted lists what patients
// granted to the viewer's organisation or to the viewer. What was read
// shows as a summary of the FHIR content (allergies, medications,
// problems, recent encounters), the raw JSON behind a toggle.
import { useState } from 'preact/hooks';
import { gql } from '../api';
import { summarise, TYPE_WORDS, type Line } from '../fhir';
import { day, pretty } from '../format';
import { useViewer } from '../session';
import { ActionButton, CheckGroup, useAction, useQuery } from '../ui';
import { CATEGORIES, PURPOSES, say } from '../vocab';

const READ = `mutation Read($record: ID!, $purpose: String!, $consent: ID) {
  readRecord(record: $record, purpose: $purpose, consent: $consent) { recordId version kind content contentBase64 access { id height } }
}`;

const CONSENT_FIELDS = 'id status patient grantee purpose records categories start end requester';
const GRANTED = `query Granted($me: ID) {
  org: consentsGranted(first: 100, status: ACTIVE) { nodes { ${CONSENT_FIELDS} } }
  mine: consentsGranted(first: 100, status: ACTIVE, grantee: $me) { nodes { ${CONSENT_FIELDS} } }
}`;

/** The active consents granted to the viewer's organisation and to the viewer. */
export function useGranted() {
  const { viewer } = useViewer();
  const q = useQuery<any>(GRANTED, { me: viewer?.account ?? null }, !viewer?.org);
  const seen = new Set<string>();
  const list: any[] = [];
  for (const c of [...(q.data?.org.nodes ?? []), ...(q.data?.mine.nodes ?? [])]) {
    if (!seen.has(c.id)) {
      seen.add(c.id);
      list.push(c);
    }
  }
  return { list, q };
}

/**
 * The consent a read of record (of patient, in category) may rely on:
 * active now, of that patient, naming the record or its category (or no
 * record and no category: all of them), for purpose when one is given.
 */
export function consentFor(consents: any[], patient: string, record: string, category?: string, purpose?: string): any | null {
  const now = Date.now();
  return (
    consents.find(
      (c) =>
        c.status === 'ACTIVE' &&
        c.patient === patient &&
        (!purpose || c.purpose === purpose) &&
        Date.parse(c.start) <= now &&
        now < Date.parse(c.end) &&
        (c.records.includes(record) ||
          (!!category && c.categories.includes(category)) ||
          (c.records.length === 0 && c.categories.length === 0)),
    ) ?? null
  );
}

/** A button that reads a record (under consent when one is given) and shows it. */
export function RecordReader({
  record,
  purpose,
  consent,
  label,
}: {
  record: string;
  purpose: string;
  consent?: string | null;
  label?: string;
}) {
  const [read, setRead] = useState<any>(null);
  const a = useAction();
  return (
    <div class="reader">
      <ActionButton
        a={a}
        class="secondary"
        run={async () => {
          const d = await gql<any>(READ, { record, purpose, consent: consent ?? null });
          setRead(d.readRecord);
          return `Read ${record} (version ${d.readRecord.version})${consent ? ` under the patient’s consent for ${say(PURPOSES, purpose).toLowerCase()}` : ''}; the access is on the ledger (block ${d.readRecord.access.height}) and in the patient’s access log.`;
        }}
      >
        {label ?? `Read ${record}`}
      </ActionButton>
      {read && <RecordContent read={read} />}
    </div>
  );
}

/** What a read returned: a summary of the FHIR content and the raw JSON behind a toggle. */
export function RecordContent({ read, emergency = false }: { read: any; emergency?: boolean }) {
  if (read.content === null)
    return <p class="note">The record is not text ({atob(read.contentBase64).length} bytes): download it with the API.</p>;
  return (
    <div class="record-content">
      <FhirSummary json={read.content} emergency={emergency} />
      <details class="raw">
        <summary>Raw FHIR JSON of {read.recordId} (version {read.version})</summary>
        <pre class="fhir">{pretty(read.content)}</pre>
      </details>
    </div>
  );
}

function Lines({ title, lines, empty, max = 8 }: { title: string; lines: Line[]; empty: string; max?: number }) {
  const [all, setAll] = useState(false);
  const shown = all ? lines : lines.slice(0, max);
  return (
    <section class="sum-part" aria-label={title}>
      <h4>
        {title} <span class="count">({lines.length})</span>
      </h4>
      {lines.length === 0 ? (
        <p class="muted">{empty}</p>
      ) : (
        <ul>
          {shown.map((l, i) => (
            <li key={i} class={l.current ? 'current' : ''}>
              <strong>{l.text}</strong>
              {l.detail && <span class="muted"> · {l.detail}</span>}
              {l.date && <span class="muted"> · {day(l.date)}</span>}
            </li>
          ))}
        </ul>
      )}
      {lines.length > max && (
        <button type="button" class="link" aria-expanded={all} onClick={() => setAll(!all)}>
          {all ? 'Show fewer' : `Show all ${lines.length}`}
        </button>
      )}
    </section>
  );
}

/** An emergency summary of FHIR JSON: patient, allergies, medications, problems, encounters, vitals. */
export function FhirSummary({ json, emergency = false }: { json: string; emergency?: boolean }) {
  const s = summarise(json);
  if (!s) return <p class="note">The content is not FHIR JSON: see the raw content below.</p>;
  const others = Object.entries(s.counts)
    .filter(([t]) => TYPE_WORDS[t] && !['Organization', 'Practitioner'].includes(t))
    .map(([t, n]) => `${n} ${TYPE_WORDS[t]}`);
  const p = s.patient;
  return (
    <div class={`summary-card${emergency ? ' emergency' : ''}`}>
      <h3>{emergency ? 'Emergency summary' : 'Summary'}</h3>
      {p && (
        <p class="patient-line">
          <strong>{p.name ?? 'Patient'}</strong>
          {p.gender && ` · ${p.gender}`}
          {p.birthDate && (
            <>
              {' '}
              · born {day(p.birthDate)} ({ageYears(p.birthDate)} years)
            </>
          )}
          {p.deceased && ' · deceased'}
        </p>
      )}
      <div class="sum-grid">
        <Lines title="Allergies" lines={s.allergies} empty="No allergies recorded." />
        <Lines title="Medications" lines={s.medications} empty="No medications recorded." />
        <Lines title="Problems" lines={s.conditions} empty="No problems recorded." />
        <Lines title="Recent encounters" lines={s.encounters} empty="No encounters recorded." max={5} />
        {s.vitals.length > 0 && <Lines title="Latest vital signs" lines={s.vitals} empty="" max={6} />}
      </div>
      {others.length > 0 && <p class="muted">Also in the record: {others.join(', ')}.</p>}
    </div>
  );
}

function ageYears(birth: string): number {
  const b = new Date(birth);
  const n = new Date();
  let y = n.getFullYear() - b.getFullYear();
  if (n.getMonth() < b.getMonth() || (n.getMonth() === b.getMonth() && n.getDate() < b.getDate())) y--;
  return y;
}

/**
 * Records to choose, each by its category in words with its id beside it;
 * the chosen records' ids in chosen.
 */
export function RecordChecks(props: {
  legend: string;
  name: string;
  records: { id: string; category?: string | null }[];
  chosen: string[];
  onChange: (ids: string[]) => void;
  error?: string;
}) {
  const { legend, name, records, chosen, onChange, error } = props;
  return (
    <CheckGroup
      legend={legend}
      name={name}
      items={records}
      value={(r) => r.id}
      label={(r) => (
        <>
          {categoryName(r.category)} <span class="muted">({r.id})</span>
        </>
      )}
      chosen={chosen}
      onChange={onChange}
      error={error}
    />
  );
}

/** A record's category in words. */
export function categoryName(c: string | null | undefined): string {
  return say(CATEGORIES, c);
}
