// The contracts' codes as people read them. The codes are the ledger's
// (consortium-node/contracts: record purposes and categories, break-glass
// reasons, review outcomes, claim reasons); the app sends the code and
// shows the label. A code the app does not know shows as itself, with its
// dashes as spaces.

export type Labels = Record<string, string>;

/** Purposes of use (consent and record.access). */
export const PURPOSES: Labels = {
  treatment: 'Treatment',
  claims: 'Insurance claims',
  payment: 'Payment',
  research: 'Research',
  'public-health': 'Public health',
  'care-coordination': 'Care coordination',
};

/** Record categories (record.register). */
export const CATEGORIES: Labels = {
  bundle: 'Health record (all of it)',
  encounter: 'Visit note',
  lab: 'Lab results',
  imaging: 'Imaging',
  medication: 'Medications',
  'discharge-summary': 'Discharge summary',
  'claim-support': 'Claim support',
  claim: 'Itemised claim',
};

/** The categories staff may register (claims are filed, not registered). */
export const REGISTERABLE = ['bundle', 'encounter', 'lab', 'imaging', 'medication', 'discharge-summary', 'claim-support'];

/** Break-glass reasons (record.access break_glass). */
export const EMERGENCIES: Labels = {
  'life-threatening': 'Life-threatening condition',
  'unconscious-patient': 'Patient unconscious',
  'urgent-treatment': 'Urgent treatment needed',
  'mass-casualty': 'Mass-casualty incident',
};

/** Break-glass review outcomes (record.review_break_glass). */
export const REVIEW_OUTCOMES: Labels = {
  justified: 'Justified: a real emergency',
  unjustified: 'Not justified',
  referred: 'Referred for investigation',
};

/** Adjudication reasons (claim.adjudicate: item reasons and the denial reason). */
export const CLAIM_REASONS: Labels = {
  'not-covered': 'Not covered by the plan',
  'plan-limit': 'Plan limit reached',
  'not-medically-necessary': 'Not medically necessary',
  'prior-authorization-required': 'Prior authorisation required',
  'out-of-network': 'Out of network',
  'patient-ineligible': 'Patient not eligible',
  'coding-error': 'Coding error',
  'missing-documentation': 'Missing documentation',
  'contractual-adjustment': 'Contractual adjustment',
  'duplicate-service': 'Duplicate service',
  'timely-filing': 'Filed too late',
};

/** Appeal reasons (claim.appeal). */
export const APPEAL_REASONS: Labels = {
  'coding-corrected': 'Coding corrected',
  'documentation-added': 'Documentation added',
  'medical-necessity': 'Medically necessary',
  'prior-authorization-obtained': 'Prior authorisation obtained',
  'coverage-dispute': 'Coverage disputed',
  'contract-rate-dispute': 'Contract rate disputed',
};

/** Claim statuses and outcomes. */
export const CLAIM_STATUSES: Labels = {
  SUBMITTED: 'Submitted',
  IN_REVIEW: 'In review',
  ADJUDICATED: 'Adjudicated',
  APPEALED: 'Appealed',
  PAID: 'Paid',
  CANCELLED: 'Cancelled',
};

/** Consent statuses as a patient reads them. */
export const CONSENT_STATUSES: Labels = {
  ACTIVE: 'Active',
  PROPOSED: 'Waiting for the patient',
  INACTIVE: 'Ended or revoked',
  REJECTED: 'Declined',
};

/** Short descriptions of the service codes the demo uses (CPT), when the document has none. */
export const SERVICES: Labels = {
  '99212': 'Office visit, established patient (straightforward)',
  '99213': 'Office visit, established patient (low complexity)',
  '99214': 'Office visit, established patient (moderate complexity)',
  '99215': 'Office visit, established patient (high complexity)',
  '80053': 'Comprehensive metabolic panel',
  '93000': 'Electrocardiogram (ECG)',
  '71046': 'Chest X-ray, 2 views',
  '97110': 'Therapeutic exercises',
  '97140': 'Manual therapy',
};

/** The label of a code: its entry in labels, or the code in words. */
export function say(labels: Labels, code: string | null | undefined): string {
  if (!code) return '—';
  return labels[code] ?? code.replace(/[-_]/g, ' ').toLowerCase();
}

/** Options for a select: [code, label] in the table's order. */
export function options(labels: Labels, only?: string[]): [string, string][] {
  return (only ?? Object.keys(labels)).map((k) => [k, labels[k] ?? k]);
}

/** Transactions (contract.method) as people name them; the code stays on hover. */
export const ACTIONS: Labels = {
  'donation.create_campaign': 'Campaign created',
  'donation.open': 'Campaign opened',
  'donation.close': 'Campaign closed',
  'donation.cancel': 'Campaign cancelled',
  'donation.give': 'Gift',
  'donation.submit_evidence': 'Evidence submitted',
  'donation.approve_milestone': 'Milestone approved',
  'donation.reject_milestone': 'Milestone rejected',
  'donation.settle_milestone': 'Missed milestone settled',
  'donation.disburse': 'Disbursement',
  'donation.confirm_receipt': 'Receipt confirmed by the payee',
  'record.register': 'Record registered',
  'record.access': 'Record read',
  'record.erase': 'Record erased',
  'record.review_break_glass': 'Emergency access reviewed',
  'record.report_undelivered': 'Undelivered record reported',
  'consent.grant': 'Consent granted',
  'consent.request': 'Consent requested',
  'consent.accept': 'Consent request accepted',
  'consent.decline': 'Consent request declined',
  'consent.amend': 'Consent changed',
  'consent.revoke': 'Consent revoked',
  'claim.submit': 'Claim filed',
  'claim.review': 'Claim taken into review',
  'claim.adjudicate': 'Claim adjudicated',
  'claim.pay': 'Claim paid',
  'claim.appeal': 'Claim appealed',
  'claim.cancel': 'Claim withdrawn',
  'identity.add_member': 'Member added',
  'identity.set_roles': 'Member roles changed',
  'identity.rotate_keys': 'Member keys replaced',
  'identity.revoke_member': 'Member revoked',
  'governance.propose': 'Governance proposal made',
  'governance.approve': 'Governance proposal approved',
  'governance.reject': 'Governance proposal rejected',
  'governance.withdraw': 'Governance proposal withdrawn',
  'consortium.add_node': 'Node added',
  'consortium.remove_node': 'Node removed',
};

/** The system contracts as people name what they keep (an event's source). */
export const CONTRACTS: Labels = {
  donation: 'Charity',
  record: 'Medical records',
  consent: 'Consent',
  claim: 'Insurance claims',
  identity: 'Membership',
  governance: 'Governance',
  consortium: 'Consortium nodes',
};

/** A transaction's call in words: donation.give -> Gift. */
export function actionName(contract: string, method: string): string {
  return say(ACTIONS, `${contract}.${method}`);
}

/** Why a gift (or part of it) went back to its donor (donation vocab's refund reasons). */
export const REFUND_REASONS: Labels = {
  campaign_cancelled: 'The campaign was cancelled',
  milestone_rejected: 'The milestone was rejected',
  milestone_missed: 'The milestone missed its deadline',
};
