// Names for ids: organisations by their names from the directory (the
// organisations query, public), members as their name within their
// organisation and the organisation's name; the id stays on hover. The
// ledger holds no person's name, so a member shows as the part of the id
// after the organisation ("dr-lee"). A patient's name comes from their
// hospital's own records, to those entitled to it (usePatientNames).
import { useEffect, useState } from 'preact/hooks';
import { gql } from './api';

export interface Org {
  id: string;
  name: string;
  kind: string;
}

let orgs: Promise<Org[]> | null = null;

/** The consortium's organisations, asked once per page load. */
export function loadOrgs(): Promise<Org[]> {
  if (!orgs) {
    orgs = gql<{ organisations: Org[] }>(`{ organisations { id name kind } }`).then((d) => d.organisations);
    orgs.catch(() => (orgs = null));
  }
  return orgs;
}

/** Forgets the directory (after a governance change adds or removes one). */
export function reloadOrgs() {
  orgs = null;
}

/** The organisations by id (empty until loaded). */
export function useOrgs(): Map<string, Org> {
  const [m, setM] = useState<Map<string, Org>>(new Map());
  useEffect(() => {
    let live = true;
    loadOrgs().then(
      (l) => live && setM(new Map(l.map((o) => [o.id, o]))),
      () => {},
    );
    return () => {
      live = false;
    };
  }, []);
  return m;
}

/** An organisation's name (its id until the directory is loaded or when unknown). */
export function orgName(orgs: Map<string, Org>, id: string | null | undefined): string {
  if (!id) return '—';
  return orgs.get(id)?.name ?? id;
}

/** Organisations as [id, name] choices (for a Select). */
export function orgChoices(list: Org[]): [string, string][] {
  return list.map((o) => [o.id, o.name]);
}

/** A member id's own part: stmarys/dr-lee -> dr-lee. */
export function memberShort(id: string): string {
  const i = id.indexOf('/');
  return i >= 0 ? id.slice(i + 1) : id;
}

/** A member, or an organisation, in words: "dr-lee, St Mary's Hospital". */
export function whoName(orgs: Map<string, Org>, id: string | null | undefined): string {
  if (!id) return '—';
  const i = id.indexOf('/');
  if (i < 0) return orgName(orgs, id);
  return `${id.slice(i + 1)}, ${orgName(orgs, id.slice(0, i))}`;
}

/** An organisation by name, the id on hover. */
export function OrgName({ id }: { id: string | null | undefined }) {
  const o = useOrgs();
  if (!id) return <span>—</span>;
  return <span title={id}>{orgName(o, id)}</span>;
}

/** A member (or organisation) by name: "dr-lee" with the organisation's name after it, the id on hover. */
export function Who({ id, org = true }: { id: string | null | undefined; org?: boolean }) {
  const o = useOrgs();
  if (!id) return <span>—</span>;
  const i = id.indexOf('/');
  if (i < 0) return <span title={id}>{orgName(o, id)}</span>;
  return (
    <span title={id} class="who-name">
      {id.slice(i + 1)}
      {org && <span class="muted">, {orgName(o, id.slice(0, i))}</span>}
    </span>
  );
}

const PATIENT_NAMES = `query PatientNames($ids: [ID!]!) { patientNames(patients: $ids) { patient name } }`;

/**
 * Patients' names from the viewer's hospital's own records (patientNames:
 * kept off the ledger by the hospital's portal, given only to its staff
 * whom the policy lets read the patient's records, and to the patient).
 * Patients without a name the viewer may see are not in the map.
 */
export function usePatientNames(ids: string[]): Map<string, string> {
  const key = [...new Set(ids)].sort().slice(0, 200).join('\n');
  const [m, setM] = useState<Map<string, string>>(new Map());
  useEffect(() => {
    if (!key) return;
    let live = true;
    patientNames(key.split('\n')).then(
      (names) => live && setM(names),
      () => {},
    );
    return () => {
      live = false;
    };
  }, [key]);
  return m;
}

/** The names of these patients the viewer may see (see usePatientNames), fetched once. */
export async function patientNames(ids: string[]): Promise<Map<string, string>> {
  const d = await gql<{ patientNames: { patient: string; name: string | null }[] }>(PATIENT_NAMES, { ids });
  return new Map(d.patientNames.filter((p) => p.name).map((p) => [p.patient, p.name as string]));
}

/** A patient by name where the viewer may see it (else by their member name), the id on hover. */
export function PatientName({ id, name }: { id: string | null | undefined; name?: string | null }) {
  if (!id) return <span>—</span>;
  return (
    <span title={id} class="who-name">
      {name || memberShort(id)}
    </span>
  );
}
