// Consortium admin, in tabs: the node's status (live: it refreshes as
// blocks commit) and expiring keys; the members of each organisation,
// searchable and paged (roles, revoke, add); governance proposals; the
// policy in force. The block explorer is in Explorer.tsx.
import { useEffect, useState } from 'preact/hooks';
import { allPages, gql, submit, type ApiError } from '../api';
import { Time } from '../display';
import { OrgName, orgChoices, useOrgs } from '../names';
import { has, roleNames, useViewer } from '../session';
import { ActionForm, Badge, Busy, CheckGroup, ErrorBox, Field, InputField, LiveStopped, Loading, Notices, Page, Result, RunButton, Select, Show, SubmitRow, Tabs, toApiError, useAction, useQuery } from '../ui';
import { options } from '../vocab';
import { Governance, Policy, useOnBlocks } from './Governance';

const STATUS = `{ nodeStatus { chainId nodeId raftState height indexedHeight lag nodes pending headTime headHash
  keysExpiring { member organisation expires expired } } }`;

export function AdminHome() {
  return (
    <Page title="Consortium">
      <Notices scope="admin" />
      <Tabs
        label="Consortium"
        tabs={[
          { id: 'status', label: 'Node status', content: () => <NodeStatus /> },
          { id: 'members', label: 'Members', content: () => <MembersTab /> },
          { id: 'governance', label: 'Proposals', content: () => <Governance /> },
          { id: 'policy', label: 'Policy', content: () => <Policy /> },
        ]}
      />
    </Page>
  );
}

function NodeStatus() {
  const q = useQuery(STATUS);
  const live = useOnBlocks(q.reload);
  return (
    <Show q={q} what="Loading the node's status">
      {(d: any) => (
        <>
          <h2>Node status</h2>
          <p class="live" role="status">
            {live.error ? (
              <LiveStopped error={live.error} />
            ) : (
              <>
                <span class="dot" aria-hidden="true" /> Live: refreshes as blocks commit
              </>
            )}
          </p>
          <dl class="facts">
            <div><dt>Chain</dt><dd>{d.nodeStatus.chainId}</dd></div>
            <div><dt>Node</dt><dd>{d.nodeStatus.nodeId}</dd></div>
            <div><dt>Raft</dt><dd>{d.nodeStatus.raftState.replace(/^State/, '')}</dd></div>
            <div><dt>Nodes</dt><dd>{d.nodeStatus.nodes}</dd></div>
            <div><dt>Height</dt><dd class="height">{d.nodeStatus.height}</dd></div>
            <div><dt>Indexed</dt><dd>{d.nodeStatus.indexedHeight ?? '—'}{d.nodeStatus.lag ? ` (${d.nodeStatus.lag} behind)` : ''}</dd></div>
            <div><dt>Pending transactions</dt><dd>{d.nodeStatus.pending}</dd></div>
            <div><dt>Last block</dt><dd><Time value={d.nodeStatus.headTime} /></dd></div>
          </dl>
          <h2>Signing keys expiring</h2>
          {d.nodeStatus.keysExpiring.length === 0 ? (
            <p>No signing key you may see expires within 30 days.</p>
          ) : (
            <ul>
              {d.nodeStatus.keysExpiring.map((k: any) => (
                <li key={k.member} class={k.expired ? 'alert' : 'warn'}>
                  {k.member} (<OrgName id={k.organisation} />): {k.expired ? 'expired' : 'expires'} <Time value={k.expires} /> — an admin of <OrgName id={k.organisation} /> must
                  rotate it
                </li>
              ))}
            </ul>
          )}
        </>
      )}
    </Show>
  );
}

const MEMBERS = `query Members($org: ID!, $after: String) {
  members(first: 100, organisation: $org, after: $after) { nodes { id roles revoked since } pageInfo { hasNextPage endCursor } }
}`;
const PAGE = 20;
/** At most this many members of an organisation are loaded (50 pages of 100). */
const MAX_MEMBERS = 5000;

/** Every member of an organisation, loaded page by page. */
function useMembers(org: string) {
  const [state, setState] = useState<{ list: any[] | null; error: ApiError | null }>({ list: null, error: null });
  const [n, setN] = useState(0);
  useEffect(() => {
    if (!org) return;
    let live = true;
    setState({ list: null, error: null });
    allPages(MEMBERS, 'members', { org }, MAX_MEMBERS).then(
      ({ nodes }) => live && setState({ list: nodes, error: null }),
      (e) => live && setState({ list: null, error: toApiError(e) }),
    );
    return () => {
      live = false;
    };
  }, [org, n]);
  return { ...state, reload: () => setN((x) => x + 1) };
}

function MembersTab() {
  const { viewer } = useViewer();
  const orgs = useOrgs();
  const [org, setOrg] = useState(viewer?.org?.id ?? '');
  const [search, setSearch] = useState('');
  const [role, setRole] = useState('');
  const [page, setPage] = useState(0);
  const q = useMembers(org);
  const canManage = has(viewer, 'org_admin') && viewer?.org?.id === org;
  const s = search.trim().toLowerCase();
  const matching = (q.list ?? []).filter((m) => (!s || m.id.toLowerCase().includes(s)) && (!role || m.roles.includes(role)));
  const pages = Math.max(1, Math.ceil(matching.length / PAGE));
  const p = Math.min(page, pages - 1);
  const shown = matching.slice(p * PAGE, (p + 1) * PAGE);
  return (
    <section aria-labelledby="members-title">
      <h2 id="members-title">Members</h2>
      <form class="filters" role="search" aria-label="Find members" onSubmit={(e) => e.preventDefault()}>
        <Field label="Organisation">
          <Select name="members-org" value={org} choices={orgChoices([...orgs.values()])} onChange={(v) => (setOrg(v), setPage(0))} />
        </Field>
        <Field label="Search">
          <input type="search" name="members-search" value={search} placeholder="name or id" onInput={(e) => (setSearch(e.currentTarget.value), setPage(0))} />
        </Field>
        <Field label="Role">
          <Select name="members-role" value={role} choices={options(roleNames)} placeholder="Any role" onChange={(v) => (setRole(v), setPage(0))} />
        </Field>
      </form>
      {q.error && <ErrorBox error={q.error} retry={q.reload} />}
      {!q.list && !q.error && <Loading what="Loading members" />}
      {q.list && (
        <>
          <p class="muted" role="status">
            {matching.length} of {q.list.length} members of <OrgName id={org} />
            {pages > 1 && ` · page ${p + 1} of ${pages}`}
          </p>
          <ul class="members">
            {shown.map((m) => (
              <li key={m.id}>
                <MemberRow m={m} canManage={canManage} onChange={q.reload} />
              </li>
            ))}
          </ul>
          {pages > 1 && (
            <nav class="pager" aria-label="Pages of members">
              <button type="button" class="secondary" disabled={p === 0} onClick={() => setPage(p - 1)}>
                Previous page
              </button>
              <button type="button" class="secondary" disabled={p >= pages - 1} onClick={() => setPage(p + 1)}>
                Next page
              </button>
            </nav>
          )}
          {canManage && <AddMember org={org} onDone={q.reload} />}
        </>
      )}
    </section>
  );
}

const ROLES = Object.keys(roleNames);
const SET_ROLES = `mutation Roles($member: ID!, $roles: [String!]!, $wait: Boolean) { setMemberRoles(member: $member, roles: $roles, wait: $wait) { TX } }`;
const REVOKE = `mutation RevokeM($member: ID!, $wait: Boolean) { revokeMember(member: $member, wait: $wait) { TX } }`;

function MemberRow({ m, canManage, onChange }: { m: any; canManage: boolean; onChange: () => void }) {
  const [editing, setEditing] = useState(false);
  const [roles, setRoles] = useState<string[]>(m.roles);
  const [confirm, setConfirm] = useState(false);
  const a = useAction('admin');
  return (
    <div>
      <strong>{m.id}</strong> {m.revoked && <Badge v="REVOKED" />}
      <br />
      <small>{m.roles.map((r: string) => roleNames[r] ?? r).join(', ') || 'no roles'}</small>
      {canManage && !m.revoked && (
        <div class="row">
          <button type="button" class="link" aria-expanded={editing} onClick={() => setEditing(!editing)}>
            Roles
          </button>
          {confirm ? (
            <>
              <RunButton
                a={a}
                class="danger"
                run={async () => {
                  await submit(REVOKE, { member: m.id });
                  onChange();
                  return `${m.id} is revoked.`;
                }}
              >
                Yes, revoke {m.id}
              </RunButton>
              <button type="button" class="link" onClick={() => setConfirm(false)}>
                Cancel
              </button>
            </>
          ) : (
            <button type="button" class="link" onClick={() => setConfirm(true)}>
              Revoke
            </button>
          )}
        </div>
      )}
      {editing && (
        <ActionForm
          a={a}
          check={(c) => {
            c.need(roles.length === 0, `roles-${m.id}`, 'A member needs at least one role.');
          }}
          run={async () => {
            await submit(SET_ROLES, { member: m.id, roles });
            setEditing(false);
            onChange();
            return `Roles of ${m.id} are changed.`;
          }}
        >
          <CheckGroup
            legend={`Roles of ${m.id}`}
            items={ROLES}
            value={(r) => r}
            label={(r) => roleNames[r]}
            chosen={roles}
            onChange={setRoles}
            error={a.fieldError(`roles-${m.id}`)}
          />
          <Busy type="submit" busy={a.busy}>
            Save roles
          </Busy>
        </ActionForm>
      )}
      <Result a={a} />
    </div>
  );
}

const CREATE = `mutation Create($id: ID!, $roles: [String!]!) {
  createMember(id: $id, roles: $roles) { id initialPassword transaction { status receipt { status error } } }
}`;

function AddMember({ org, onDone }: { org: string; onDone: () => void }) {
  const [name, setName] = useState('');
  const [role, setRole] = useState('auditor');
  const a = useAction('admin');
  return (
    <ActionForm
      class="add-member panel"
      a={a}
      check={(c) => {
        c.need(!/^[a-z0-9][a-z0-9._-]*$/.test(name), `new-member-${org}`, 'Lower-case letters, digits, dots and dashes, e.g. nurse-2.');
      }}
      run={async () => {
        const d = await gql<any>(CREATE, { id: `${org}/${name}`, roles: [role] });
        const r = d.createMember;
        if (r.transaction?.receipt?.status === 'FAILED') throw new Error(`the ledger refused it: ${r.transaction.receipt.error}`);
        setName('');
        onDone();
        return r.initialPassword ? `${r.id} is added. Initial password (shown once): ${r.initialPassword}` : `${r.id} is added.`;
      }}
    >
      <h3>Add a member</h3>
      <SubmitRow a={a} submit="Add member">
        <InputField a={a} label={`New member of ${org}`} name={`new-member-${org}`} value={name} placeholder="nurse-2" onValue={setName} />
        <Field label="Role">
          <Select name={`new-member-role-${org}`} value={role} choices={options(roleNames)} onChange={setRole} />
        </Field>
      </SubmitRow>
    </ActionForm>
  );
}
