// The signed-in viewer, shared by every view.
import { createContext } from 'preact';
import { useContext } from 'preact/hooks';

export interface Viewer {
  account: string;
  roles: string[];
  org: { id: string; kind: string; name: string } | null;
  /** An initial password set by an admin: the app asks for a new one first. */
  mustChangePassword?: boolean;
}

export interface SessionState {
  viewer: Viewer | null;
  /** Reloads the session (after sign-in, sign-out, role switch). */
  refresh: () => Promise<void>;
}

export const SessionContext = createContext<SessionState>({ viewer: null, refresh: async () => {} });

export function useViewer(): SessionState {
  return useContext(SessionContext);
}

export const roleNames: Record<string, string> = {
  donor: 'Donor',
  patient: 'Patient',
  physician: 'Physician',
  records_clerk: 'Records clerk',
  privacy_officer: 'Privacy officer',
  claims_adjuster: 'Claims adjuster',
  charity_officer: 'Charity officer',
  milestone_validator: 'Milestone validator',
  org_admin: 'Organisation admin',
  consortium_admin: 'Consortium admin',
  auditor: 'Auditor',
};

export function has(v: Viewer | null, ...roles: string[]): boolean {
  return !!v && v.roles.some((r) => roles.includes(r));
}
