// Patient, in tabs: my records (metadata only), my consents (grant,
// revoke, change purpose and period, accept or decline a request), who
// accessed my data and why (names, roles, the reason in words, a refusal
// explained rather than the policy's text), my claims; live alerts
// (accessAlerts) above the tabs, break-glass highlighted.
import { useEffect, useState } from 'preact/hooks';
import { ApiError, gql, submit } from '../api';
import { Time } from '../display';
import { day } from '../format';
import { refusalInWords } from '../messages';
import { OrgName, Who } from '../names';
import { roleNames } from '../session';
import { ActionButton, ActionForm, Badge, Busy, ErrorBox, Field, InputField, LiveStopped, Notices, Page, Result, Select, Show, StackTable, SubmitRow, Tabs, useAction, useQuery, useSubscription } from '../ui';
import { CATEGORIES, CONSENT_STATUSES, EMERGENCIES, PURPOSES as PURPOSE_LABELS, REVIEW_OUTCOMES, options, say } from '../vocab';
import { MyClaims } from './Claims';
import { RecordChecks } from './Records';

const RECORDS = `query Records { patientRecords(first: 20) { nodes { id category custodian createdAt erased erasedBy latestVersion } } }`;
const CONSENTS = `query Consents { patientConsents(first: 15) { nodes { id status grantee requester purpose scope category categories records actorRole start end version } } }`;
const LOG_FIELDS =
  'id kind reader recordId purpose time consentId consentStatusAtAccess refusal breakGlassReason expiresAt ' +
  'delivered undelivered { reason time } reviewed review { outcome reviewer time } ' +
  'readerOrganisation readerRoles category legalBasis';
const LOG = `query Log { accessLog(first: 12) { nodes { ${LOG_FIELDS} } } }`;
const ALERTS = `subscription Alerts { accessAlerts { ${LOG_FIELDS} } }`;

export const PURPOSES = ['treatment', 'claims', 'payment', 'research', 'public-health', 'care-coordination'];

const CONSENT_CHANGES = `subscription ConsentChanges { consentChanges(first: 15) { height changes { kind by consent { id } } } }`;

export function PatientHome() {
  const records = useQuery(RECORDS);
  const consents = useQuery(CONSENTS);
  // Consents change from elsewhere too (a hospital's request, a lapse):
  // reload them after every block that changes one.
  const changes = useSubscription<any>(CONSENT_CHANGES, {});
  const reloadConsents = consents.reload;
  useEffect(() => {
    if (changes.updates > 1) reloadConsents();
  }, [changes.updates, reloadConsents]);
  // Access alerts, whatever tab is open.
  const live = useSubscription<any>(ALERTS, {});
  const [alerts, setAlerts] = useState<any[]>([]);
  const [dismissed, setDismissed] = useState<string[]>([]);
  useEffect(() => {
    const e = live.data?.accessAlerts;
    if (e) setAlerts((xs) => (xs.some((x) => x.id === e.id) ? xs : [e, ...xs]));
  }, [live.data]);
  const waiting = (consents.data?.patientConsents.nodes ?? []).filter((c: any) => c.status === 'PROPOSED').length;
  return (
    <Page title="My health data">
      <div aria-live="assertive" role="log" aria-label="New access alerts">
        {alerts
          .filter((e) => !dismissed.includes(e.id))
          .map((e) => (
            <div key={e.id} class={e.kind === 'BREAK_GLASS' || e.kind === 'REFUSED' ? 'alert' : 'notice'}>
              <p>
                <strong>{e.kind === 'BREAK_GLASS' ? 'Emergency (break-glass) access' : e.kind === 'REFUSED' ? 'Refused access' : 'New access'}:</strong>{' '}
                <Who id={e.reader} /> read your <span class="record" title={e.recordId}>{say(CATEGORIES, e.category).toLowerCase()}</span> for {say(PURPOSE_LABELS, e.purpose).toLowerCase()},{' '}
                <Time value={e.time} />
                {e.breakGlassReason ? ` — emergency: ${say(EMERGENCIES, e.breakGlassReason)}` : ''}
                {e.kind === 'REFUSED' ? ` — ${refusalInWords(e.refusal)}` : ''}{' '}
                <button type="button" class="dismiss" onClick={() => setDismissed([...dismissed, e.id])}>
                  Dismiss
                </button>
              </p>
            </div>
          ))}
      </div>
      <p class="live">{live.error ? <span class="warn">Live alerts stopped: reload the page.</span> : 'Alerts appear here as accesses commit.'}</p>
      <Notices scope="patient" />
      <Tabs
        label="My health data"
        tabs={[
          {
            id: 'records',
            label: 'Records',
            content: () => <Records q={records} />,
          },
          {
            id: 'consents',
            label: waiting ? `Consents (${waiting} waiting)` : 'Consents',
            content: () => (
              <>
                <h2>My consents</h2>
                <p class="live">{changes.error ? <LiveStopped error={changes.error} /> : 'Changes appear as they commit.'}</p>
                <Show q={consents} what="Loading your consents">
                  {(d: any) => (
                    <>
                      {d.patientConsents.nodes.length === 0 && <p>No consents.</p>}
                      <ul class="cards" aria-label="Consents">
                        {d.patientConsents.nodes.map((c: any) => (
                          <ConsentCard key={c.id} c={c} onChange={consents.reload} />
                        ))}
                      </ul>
                    </>
                  )}
                </Show>
                {records.data && <Grant records={records.data.patientRecords.nodes} onDone={consents.reload} />}
              </>
            ),
          },
          { id: 'log', label: 'Who read my data', content: () => <AccessLog fresh={alerts} /> },
          {
            id: 'claims',
            label: 'Claims',
            content: () => (
              <>
                <h2>My claims</h2>
                <MyClaims />
              </>
            ),
          },
        ]}
      />
    </Page>
  );
}

function Records({ q }: { q: any }) {
  return (
    <>
      <h2>My records</h2>
      <p class="note">Only metadata is shown: the contents stay encrypted at the hospital that keeps them.</p>
      <Show q={q} what="Loading your records">
        {(d: any) =>
          d.patientRecords.nodes.length === 0 ? (
            <p>No records.</p>
          ) : (
            <StackTable caption="Your records" cols={['Record', 'What', 'Kept by', 'Created', 'Version', 'State', 'Actions']}>
              {d.patientRecords.nodes.map((r: any) => (
                <tr key={r.id}>
                  <td data-label="Record">{r.id}</td>
                  <td data-label="What">{say(CATEGORIES, r.category)}</td>
                  <td data-label="Kept by">
                    <OrgName id={r.custodian} />
                  </td>
                  <td data-label="Created">{day(r.createdAt)}</td>
                  <td data-label="Version">{r.latestVersion}</td>
                  <td data-label="State">{r.erased ? <Badge v="ERASED" /> : 'kept'}</td>
                  <td data-label="Actions">{!r.erased && <Erase id={r.id} onDone={q.reload} />}</td>
                </tr>
              ))}
            </StackTable>
          )
        }
      </Show>
    </>
  );
}

const REVOKE = `mutation Revoke($id: ID!, $wait: Boolean) { revokeConsent(id: $id, wait: $wait) { TX } }`;
const ACCEPT = `mutation Accept($id: ID!, $wait: Boolean) { acceptConsent(id: $id, wait: $wait) { TX } }`;
const DECLINE = `mutation Decline($id: ID!, $wait: Boolean) { declineConsent(id: $id, wait: $wait) { TX } }`;
const AMEND = `mutation Amend($id: ID!, $purpose: String, $start: String, $end: String, $wait: Boolean) {
  amendConsent(id: $id, purpose: $purpose, start: $start, end: $end, wait: $wait) { TX }
}`;

function ConsentCard({ c, onChange }: { c: any; onChange: () => void }) {
  const a = useAction('patient');
  const [confirming, setConfirming] = useState(false);
  const [editing, setEditing] = useState(false);
  const act = (m: string, msg: string) =>
    a.run(async () => {
      await submit(m, { id: c.id });
      setConfirming(false);
      onChange();
      return msg;
    });
  return (
    <li class="card" aria-labelledby={`consent-${c.id}`}>
      <h3 id={`consent-${c.id}`}>
        <Who id={c.grantee} /> · {say(PURPOSE_LABELS, c.purpose)} <Badge v={c.status} text={say(CONSENT_STATUSES, c.status)} />
      </h3>
      <p class="meta">
        {c.id}
        {c.requester && (
          <>
            {' '}
            · requested by <Who id={c.requester} />
          </>
        )}
      </p>
      <p>
        {day(c.start)} – {day(c.end)}
        <br />
        Covers: {c.records.length > 0 ? c.records.join(', ') : c.categories.length > 0 ? c.categories.map((x: string) => say(CATEGORIES, x)).join(', ') : 'all your records'}
      </p>
      {c.status === 'ACTIVE' && (
        <div class="row">
          {confirming ? (
            <>
              <Busy type="button" class="danger" busy={a.busy} onClick={() => act(REVOKE, 'The consent is revoked.')}>
                Yes, revoke
              </Busy>
              <button type="button" class="secondary" onClick={() => setConfirming(false)}>
                Keep it
              </button>
            </>
          ) : (
            <>
              <button type="button" class="secondary" onClick={() => setConfirming(true)}>
                Revoke
              </button>
              <button type="button" class="secondary" aria-expanded={editing} onClick={() => setEditing(!editing)}>
                Change purpose or period
              </button>
            </>
          )}
        </div>
      )}
      {c.status === 'PROPOSED' && (
        <div class="row">
          <Busy type="button" busy={a.busy} onClick={() => act(ACCEPT, 'You accepted the request.')}>
            Accept
          </Busy>
          <Busy type="button" class="secondary" busy={a.busy} onClick={() => act(DECLINE, 'You declined the request.')}>
            Decline
          </Busy>
        </div>
      )}
      {editing && c.status === 'ACTIVE' && <Amend c={c} onDone={() => (setEditing(false), onChange())} />}
      <Result a={a} />
    </li>
  );
}

function dateInput(iso: string): string {
  return iso ? iso.slice(0, 10) : '';
}

function Amend({ c, onDone }: { c: any; onDone: () => void }) {
  const [purpose, setPurpose] = useState(c.purpose);
  const [end, setEnd] = useState(dateInput(c.end));
  const a = useAction();
  return (
    <ActionForm
      a={a}
      run={async () => {
        await submit(AMEND, { id: c.id, purpose: purpose !== c.purpose ? purpose : null, end: end ? `${end}T23:59:59Z` : null });
        onDone();
        return 'The consent is changed.';
      }}
    >
      <Field label="Purpose">
        <Select name="amend-purpose" value={purpose} choices={options(PURPOSE_LABELS)} onChange={setPurpose} />
      </Field>
      <Field label="Until">
        <input name="amend-end" type="date" value={end} onInput={(e) => setEnd(e.currentTarget.value)} />
      </Field>
      <ActionButton a={a} type="submit">
        Save the change
      </ActionButton>
    </ActionForm>
  );
}

const GRANT = `mutation Grant($id: ID!, $grantee: ID!, $purpose: String!, $start: String!, $end: String!, $records: [ID!], $wait: Boolean) {
  grantConsent(id: $id, grantee: $grantee, purpose: $purpose, start: $start, end: $end, records: $records, wait: $wait) { TX }
}`;

function Grant({ records, onDone }: { records: any[]; onDone: () => void }) {
  const orgs = useQuery(`{ organisations { id name kind } }`);
  const today = new Date().toISOString().slice(0, 10);
  const nextYear = new Date(Date.now() + 365 * 864e5).toISOString().slice(0, 10);
  const [grantee, setGrantee] = useState('');
  const [purpose, setPurpose] = useState('treatment');
  const [end, setEnd] = useState(nextYear);
  const [chosen, setChosen] = useState<string[]>([]);
  const a = useAction();
  const live = records.filter((r) => !r.erased);
  return (
    <ActionForm
      class="panel"
      aria-labelledby="grant-title"
      a={a}
      check={(c) => {
        c.need(!grantee, 'grantee', 'Choose who may read.');
        c.need(chosen.length === 0, 'record', 'Choose at least one record.');
      }}
      run={async () => {
        const id = `consent-${Date.now().toString(36)}`;
        await submit(GRANT, { id, grantee, purpose, start: new Date().toISOString().replace(/\.\d+Z$/, 'Z'), end: `${end}T23:59:59Z`, records: chosen });
        setChosen([]);
        onDone();
        const who = (orgs.data?.organisations ?? []).find((o: any) => o.id === grantee)?.name ?? grantee;
        return `${who} may now read the chosen records for ${say(PURPOSE_LABELS, purpose).toLowerCase()}, until ${day(`${end}T12:00:00Z`)}.`;
      }}
    >
      <h2 id="grant-title">Grant a consent</h2>
      <div class="row">
        <Field label="Who may read" error={a.fieldError('grantee')}>
          <Select
            name="grantee"
            value={grantee}
            choices={(orgs.data?.organisations ?? []).map((o: any): [string, string] => [o.id, `${o.name} (${o.kind})`])}
            placeholder="Choose an organisation…"
            onChange={setGrantee}
          />
        </Field>
        <Field label="Purpose">
          <Select name="purpose" value={purpose} choices={options(PURPOSE_LABELS)} onChange={setPurpose} />
        </Field>
        <Field label="Until">
          <input name="end" type="date" min={today} required value={end} onInput={(e) => setEnd(e.currentTarget.value)} />
        </Field>
      </div>
      <RecordChecks legend="Records" name="record" records={live} chosen={chosen} onChange={setChosen} error={a.fieldError('record')} />
      {orgs.error && <ErrorBox error={orgs.error} retry={orgs.reload} />}
      <ActionButton a={a} type="submit">
        Grant
      </ActionButton>
    </ActionForm>
  );
}

const EXPORT = `query($f: AccessLogFormat, $from: String) { accessLogExport(format: $f, from: $from) { filename contentType entries content } }`;

/** Downloads the accounting of disclosures (the last 6 years by default) as CSV or FHIR AuditEvents. */
function ExportLog() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const download = async (format: 'CSV' | 'AUDIT_EVENT') => {
    setBusy(true);
    setError(null);
    try {
      const d = await gql(EXPORT, { f: format });
      const e = d.accessLogExport;
      const url = URL.createObjectURL(new Blob([e.content], { type: e.contentType }));
      const link = document.createElement('a');
      link.href = url;
      link.download = e.filename;
      link.click();
      setTimeout(() => URL.revokeObjectURL(url), 1000);
    } catch (err) {
      setError(err instanceof ApiError ? err : new ApiError(String(err)));
    } finally {
      setBusy(false);
    }
  };
  return (
    <p>
      Download every access of the last 6 years:{' '}
      <button type="button" disabled={busy} onClick={() => download('CSV')}>
        Spreadsheet (CSV)
      </button>{' '}
      <button type="button" disabled={busy} onClick={() => download('AUDIT_EVENT')}>
        FHIR AuditEvents
      </button>
      {error && <ErrorBox error={error} />}
    </p>
  );
}

function AccessLog({ fresh: alerts }: { fresh: any[] }) {
  const q = useQuery(LOG);
  const known = new Set((q.data?.accessLog.nodes ?? []).map((e: any) => e.id));
  const fresh = alerts.filter((a) => !known.has(a.id));
  return (
    <section aria-labelledby="log-title">
      <h2 id="log-title">Who accessed my data and why</h2>
      <ExportLog />
      <Show q={q} what="Loading the access log">
        {(d: any) =>
          d.accessLog.nodes.length === 0 && fresh.length === 0 ? (
            <p>Nobody has accessed your records.</p>
          ) : (
            <StackTable caption="Access log" cols={['When', 'Who', 'Record', 'Decision', 'Why']}>
              {[...fresh, ...d.accessLog.nodes].map((e: any) => (
                <tr key={e.id} class={e.kind === 'BREAK_GLASS' ? 'bg-row' : ''}>
                  <td data-label="When">
                    <Time value={e.time} />
                  </td>
                  <td data-label="Who">
                    <span>
                      <Who id={e.reader} org={false} />
                      <span class="muted">
                        {' '}
                        ({e.readerOrganisation || e.reader.split('/')[0]}
                        {e.readerRoles?.length
                          ? `, ${e.readerRoles
                              .filter((r: string) => r !== 'member')
                              .map((r: string) => roleNames[r] ?? r)
                              .join(', ')}`
                          : ''}
                        )
                      </span>
                    </span>
                  </td>
                  <td data-label="Record">
                    <span>
                      {say(CATEGORIES, e.category)} <span class="muted">({e.recordId})</span>
                    </span>
                  </td>
                  <td data-label="Decision">
                    <Badge v={e.kind} text={e.kind === 'BREAK_GLASS' ? 'emergency' : e.kind === 'REFUSED' ? 'refused' : 'granted'} />
                  </td>
                  <td data-label="Why">
                    <span>
                      {e.kind === 'BREAK_GLASS'
                        ? `Emergency: ${say(EMERGENCIES, e.breakGlassReason)}${e.reviewed ? ` (reviewed: ${say(REVIEW_OUTCOMES, e.review?.outcome ?? '').toLowerCase()})` : ' (not reviewed yet)'}`
                        : e.kind === 'REFUSED'
                          ? refusalInWords(e.refusal)
                          : e.consentId
                            ? `${say(PURPOSE_LABELS, e.purpose)} under your consent ${e.consentId}${e.consentStatusAtAccess && e.consentStatusAtAccess !== 'ACTIVE' ? ` (${say(CONSENT_STATUSES, e.consentStatusAtAccess).toLowerCase()})` : ''}`
                            : `${say(PURPOSE_LABELS, e.purpose)} (your own access, or the hospital keeping it)`}
                      {e.undelivered && <span class="muted"> Nothing was delivered: {UNDELIVERED[e.undelivered.reason] ?? e.undelivered.reason}.</span>}
                    </span>
                  </td>
                </tr>
              ))}
            </StackTable>
          )
        }
      </Show>
    </section>
  );
}

/** Why a granted access released nothing, as its reader reported it. */
const UNDELIVERED: Record<string, string> = {
  'custodian-unreachable': 'the hospital keeping the record could not be reached',
  'ciphertext-missing': 'the hospital keeping the record did not have it',
  'ciphertext-mismatch': 'what the hospital sent was not the registered record, so it was not shown',
  'custodian-refused': 'the hospital refused to release it',
};

const ERASE = `mutation Erase($record: ID!, $confirm: ID!, $wait: Boolean) { eraseRecord(record: $record, confirm: $confirm, wait: $wait) { TX } }`;

/** Erasure with a confirmation step: the patient types the record's id. */
function Erase({ id, onDone }: { id: string; onDone: () => void }) {
  const [asking, setAsking] = useState(false);
  const [typed, setTyped] = useState('');
  const a = useAction('patient');
  if (!asking)
    return (
      <button type="button" class="link" onClick={() => setAsking(true)}>
        Erase…
      </button>
    );
  return (
    <ActionForm
      a={a}
      check={(c) => c.need(typed !== id, `erase-${id}`, `Type ${id} to confirm.`)}
      run={async () => {
        await submit(ERASE, { record: id, confirm: typed });
        onDone();
        return `${id} is erased: the hospital destroyed its content and keys; the ledger keeps the hashes.`;
      }}
    >
      <p class="alert">Erasing cannot be undone. The hospital destroys the content and its keys.</p>
      <InputField a={a} label={`Type ${id} to confirm`} name={`erase-${id}`} value={typed} autoComplete="off" onValue={setTyped} />
      <SubmitRow
        a={a}
        submit={`Erase ${id}`}
        buttonClass="danger"
        after={
          <button type="button" class="secondary" onClick={() => (setAsking(false), setTyped(''))}>
            Cancel
          </button>
        }
      />
    </ActionForm>
  );
}
