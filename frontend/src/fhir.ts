// An emergency summary of a FHIR R4 resource or Bundle, read in the
// browser from the decrypted record: who the patient is, allergies,
// medications, problems (conditions), recent encounters and the latest
// vital signs. Everything else is counted, and the raw JSON stays one
// toggle away.

export interface Line {
  text: string;
  /** Status, severity or value, in words. */
  detail?: string;
  /** An ISO date or date-time. */
  date?: string;
  /** True for what is current (active condition, active medication). */
  current?: boolean;
}

export interface Summary {
  patient: { name?: string; gender?: string; birthDate?: string; deceased?: boolean } | null;
  allergies: Line[];
  medications: Line[];
  conditions: Line[];
  encounters: Line[];
  vitals: Line[];
  /** Resources by type, for "and 62 observations, 5 immunisations…". */
  counts: Record<string, number>;
  total: number;
}

type R = Record<string, any>;

/** The text of a CodeableConcept: its text, or its first coding's display or code. */
export function concept(c: any): string {
  if (!c) return '';
  if (Array.isArray(c)) return c.map(concept).filter(Boolean).join(', ');
  if (typeof c.text === 'string' && c.text) return c.text;
  for (const cd of c.coding ?? []) if (cd.display) return cd.display;
  for (const cd of c.coding ?? []) if (cd.code) return cd.code;
  return '';
}

function code(c: any): string {
  return c?.coding?.[0]?.code ?? '';
}

/** "Chronic sinusitis (disorder)" -> "Chronic sinusitis": SNOMED's semantic tags add nothing here. */
function clean(s: string): string {
  return s.replace(/\s*\((disorder|finding|situation|procedure|substance|qualifier value)\)\s*$/i, '');
}

function resources(doc: R): R[] {
  if (doc?.resourceType === 'Bundle') return (doc.entry ?? []).map((e: R) => e?.resource).filter((r: any) => r && typeof r === 'object');
  return doc && typeof doc === 'object' && doc.resourceType ? [doc] : [];
}

function byDateDesc(a: Line, b: Line): number {
  return (b.date ?? '').localeCompare(a.date ?? '');
}

function name(p: R): string | undefined {
  const n = (p.name ?? []).find((x: R) => x.use === 'official') ?? p.name?.[0];
  if (!n) return undefined;
  if (n.text) return n.text;
  const given = (n.given ?? []).join(' ');
  return [given, n.family].filter(Boolean).join(' ').replace(/\d+/g, '').trim() || undefined;
}

function quantity(o: R): string | undefined {
  const q = o.valueQuantity;
  if (q && typeof q.value === 'number') {
    const v = Math.abs(q.value) >= 100 ? Math.round(q.value) : Math.round(q.value * 10) / 10;
    // UCUM annotations ({score}) are no unit to a reader.
    const unit = String(q.unit ?? q.code ?? '').replace(/^\{.*\}$/, '');
    return `${v} ${unit}`.trim();
  }
  const bp = (c: string) => o.component?.find((x: R) => code(x.code) === c)?.valueQuantity;
  const sys = bp('8480-6'), dia = bp('8462-4');
  if (sys && dia) return `${Math.round(sys.value)}/${Math.round(dia.value)} ${sys.unit ?? 'mmHg'}`;
  if (o.component?.length) {
    const parts = o.component.map((c: R) => quantity(c)).filter(Boolean);
    if (parts.length) return parts.join(' / ');
  }
  if (o.valueCodeableConcept) return concept(o.valueCodeableConcept);
  if (typeof o.valueString === 'string') return o.valueString;
  return undefined;
}

/** Reads a FHIR JSON text; null when it is not FHIR JSON. */
export function summarise(json: string): Summary | null {
  let doc: R;
  try {
    doc = JSON.parse(json);
  } catch {
    return null;
  }
  const rs = resources(doc);
  if (rs.length === 0) return null;
  const s: Summary = { patient: null, allergies: [], medications: [], conditions: [], encounters: [], vitals: [], counts: {}, total: rs.length };
  const latestVital = new Map<string, Line>();
  for (const r of rs) {
    const t = r.resourceType as string;
    s.counts[t] = (s.counts[t] ?? 0) + 1;
    switch (t) {
      case 'Patient':
        s.patient = { name: name(r), gender: r.gender, birthDate: r.birthDate, deceased: !!(r.deceasedBoolean || r.deceasedDateTime) };
        break;
      case 'AllergyIntolerance': {
        const reactions = (r.reaction ?? []).flatMap((x: R) => (x.manifestation ?? []).map(concept)).filter(Boolean);
        const status = code(r.clinicalStatus);
        s.allergies.push({
          text: clean(concept(r.code)) || 'Allergy',
          detail: [r.criticality ? `${r.criticality} criticality` : '', reactions.join(', '), status && status !== 'active' ? status : '']
            .filter(Boolean)
            .join(' · '),
          date: r.recordedDate ?? r.onsetDateTime,
          current: !status || status === 'active',
        });
        break;
      }
      case 'MedicationRequest':
      case 'MedicationStatement':
        s.medications.push({
          text: concept(r.medicationCodeableConcept) || r.medicationReference?.display || 'Medication',
          detail: [r.status, r.dosageInstruction?.[0]?.text].filter(Boolean).join(' · '),
          date: r.authoredOn ?? r.effectiveDateTime ?? r.dateAsserted,
          current: r.status === 'active',
        });
        break;
      case 'Condition': {
        const status = code(r.clinicalStatus);
        s.conditions.push({
          text: clean(concept(r.code)) || 'Condition',
          detail: status || undefined,
          date: r.onsetDateTime ?? r.recordedDate,
          current: status === 'active' || status === 'recurrence' || status === 'relapse',
        });
        break;
      }
      case 'Encounter':
        s.encounters.push({
          text: clean(concept(r.type)) || r.class?.display || r.class?.code || 'Encounter',
          detail: clean(concept(r.reasonCode)) || undefined,
          date: r.period?.start,
        });
        break;
      case 'Observation': {
        const cat = (r.category ?? []).map(code);
        if (!cat.includes('vital-signs')) break;
        const v = quantity(r);
        if (!v) break;
        const key = code(r.code) || concept(r.code);
        const line = { text: concept(r.code) || 'Vital sign', detail: v, date: r.effectiveDateTime ?? r.issued };
        const prev = latestVital.get(key);
        if (!prev || (line.date ?? '') > (prev.date ?? '')) latestVital.set(key, line);
        break;
      }
    }
  }
  const currentFirst = (a: Line, b: Line) => Number(!!b.current) - Number(!!a.current) || byDateDesc(a, b);
  s.allergies.sort(currentFirst);
  s.medications.sort(currentFirst);
  s.conditions.sort(currentFirst);
  s.encounters.sort(byDateDesc);
  s.vitals = [...latestVital.values()].sort(byDateDesc);
  return s;
}

/** Plural words for the resource types counted under "also in the record". */
export const TYPE_WORDS: Record<string, string> = {
  Observation: 'observations',
  Immunization: 'immunisations',
  Procedure: 'procedures',
  DiagnosticReport: 'diagnostic reports',
  CarePlan: 'care plans',
  Goal: 'goals',
  ImagingStudy: 'imaging studies',
  Claim: 'claims',
  ExplanationOfBenefit: 'explanations of benefit',
  Organization: 'organisations',
  Practitioner: 'practitioners',
};
