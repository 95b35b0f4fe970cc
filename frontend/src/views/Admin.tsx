// Consortium admin: organisations and their members (roles, revoke, add)
// and the node's status. The block explorer is in Explorer.tsx.
import { useState } from 'preact/hooks';
import { gql, submit } from '../api';
import { when } from '../format';
import { has, roleNames, useViewer } from '../session';
import { Badge, Busy, Field, Page, Result, Show, useAction, useQuery } from '../ui';
import { Governance } from './Governance';

const STATUS = `{ nodeStatus { chainId nodeId raftState height indexedHeight lag nodes pending headTime headHash
  keysExpiring { member organisation expires expired } } organisations { id kind name } }`;

export function AdminHome() {
  const q = useQuery(STATUS);
  const { viewer } = useViewer();
  return (
    <Page title="Consortium">
      <Show q={q} what="Loading the consortium">
        {(d: any) => (
          <>
            <h2>Node status</h2>
            <dl class="facts">
              <div><dt>Chain</dt><dd>{d.nodeStatus.chainId}</dd></div>
              <div><dt>Node</dt><dd>{d.nodeStatus.nodeId}</dd></div>
              <div><dt>Raft</dt><dd>{d.nodeStatus.raftState.replace(/^State/, '')}</dd></div>
              <div><dt>Nodes</dt><dd>{d.nodeStatus.nodes}</dd></div>
              <div><dt>Height</dt><dd>{d.nodeStatus.height}</dd></div>
              <div><dt>Indexed</dt><dd>{d.nodeStatus.indexedHeight ?? '—'}{d.nodeStatus.lag ? ` (${d.nodeStatus.lag} behind)` : ''}</dd></div>
              <div><dt>Pending txs</dt><dd>{d.nodeStatus.pending}</dd></div>
              <div><dt>Last block</dt><dd>{when(d.nodeStatus.headTime)}</dd></div>
            </dl>
            <button type="button" class="secondary" onClick={q.reload}>
              Refresh
            </button>
            <h2>Signing keys expiring</h2>
            {d.nodeStatus.keysExpiring.length === 0 ? (
              <p>No signing key you may see expires within 30 days.</p>
            ) : (
              <ul>
                {d.nodeStatus.keysExpiring.map((k: any) => (
                  <li key={k.member} class={k.expired ? 'alert' : 'warn'}>
                    {k.member} ({k.organisation}): {k.expired ? 'expired' : 'expires'} {when(k.expires)} — an admin of {k.organisation} must rotate it
                  </li>
                ))}
              </ul>
            )}
            <h2>Organisations</h2>
            <ul class="cards">
              {d.organisations.map((o: any) => (
                <li class="card" key={o.id}>
                  <h3>
                    {o.name} <Badge v={o.kind} />
                  </h3>
                  <Members org={o.id} canManage={has(viewer, 'org_admin') && viewer?.org?.id === o.id} />
                </li>
              ))}
            </ul>
            <Governance />
          </>
        )}
      </Show>
    </Page>
  );
}

const MEMBERS = `query Members($org: ID!, $after: String) {
  members(first: 20, organisation: $org, after: $after) { nodes { id roles revoked since } pageInfo { hasNextPage endCursor } }
}`;

function Members({ org, canManage }: { org: string; canManage: boolean }) {
  const [after, setAfter] = useState<string | null>(null);
  const q = useQuery(MEMBERS, { org, after });
  return (
    <Show q={q} what="Loading members">
      {(d: any) => (
        <>
          <ul class="members">
            {d.members.nodes.map((m: any) => (
              <li key={m.id}>
                <MemberRow m={m} canManage={canManage} onChange={q.reload} />
              </li>
            ))}
          </ul>
          {d.members.pageInfo.hasNextPage && (
            <button type="button" class="link" onClick={() => setAfter(d.members.pageInfo.endCursor)}>
              More members
            </button>
          )}
          {after && (
            <button type="button" class="link" onClick={() => setAfter(null)}>
              First members
            </button>
          )}
          {canManage && <AddMember org={org} onDone={q.reload} />}
        </>
      )}
    </Show>
  );
}

const ROLES = Object.keys(roleNames);
const SET_ROLES = `mutation Roles($member: ID!, $roles: [String!]!, $wait: Boolean) { setMemberRoles(member: $member, roles: $roles, wait: $wait) { TX } }`;
const REVOKE = `mutation RevokeM($member: ID!, $wait: Boolean) { revokeMember(member: $member, wait: $wait) { TX } }`;

function MemberRow({ m, canManage, onChange }: { m: any; canManage: boolean; onChange: () => void }) {
  const [editing, setEditing] = useState(false);
  const [roles, setRoles] = useState<string[]>(m.roles);
  const [confirm, setConfirm] = useState(false);
  const a = useAction();
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
              <Busy
                type="button"
                class="danger"
                busy={a.busy}
                onClick={() =>
                  a.run(async () => {
                    await submit(REVOKE, { member: m.id });
                    onChange();
                    return `${m.id} is revoked.`;
                  })
                }
              >
                Yes, revoke {m.id}
              </Busy>
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
        <form
          onSubmit={(e) => {
            e.preventDefault();
            a.run(async () => {
              await submit(SET_ROLES, { member: m.id, roles });
              setEditing(false);
              onChange();
              return `Roles of ${m.id} are changed.`;
            });
          }}
        >
          <fieldset>
            <legend>Roles of {m.id}</legend>
            {ROLES.map((r) => (
              <label key={r} class="check">
                <input type="checkbox" checked={roles.includes(r)} onChange={(e) => setRoles(e.currentTarget.checked ? [...roles, r] : roles.filter((x) => x !== r))} />{' '}
                {roleNames[r]}
              </label>
            ))}
          </fieldset>
          <Busy type="submit" busy={a.busy}>
            Save roles
          </Busy>
        </form>
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
  const a = useAction();
  return (
    <form
      class="add-member"
      onSubmit={(e) => {
        e.preventDefault();
        a.run(async () => {
          if (!/^[a-z0-9][a-z0-9-]*$/.test(name)) throw new Error('a member name is lower-case letters, digits and dashes');
          const d = await gql<any>(CREATE, { id: `${org}/${name}`, roles: [role] });
          const r = d.createMember;
          if (r.transaction?.receipt?.status === 'FAILED') throw new Error(`the ledger refused it: ${r.transaction.receipt.error}`);
          setName('');
          onDone();
          return r.initialPassword ? `${r.id} is added. Initial password (shown once): ${r.initialPassword}` : `${r.id} is added.`;
        });
      }}
    >
      <div class="row">
        <Field label={`New member of ${org}`}>
          <input name={`new-member-${org}`} value={name} onInput={(e) => setName(e.currentTarget.value)} placeholder="nurse-2" />
        </Field>
        <Field label="Role">
          <select name={`new-member-role-${org}`} value={role} onChange={(e) => setRole(e.currentTarget.value)}>
            {ROLES.map((r) => (
              <option key={r} value={r}>
                {roleNames[r]}
              </option>
            ))}
          </select>
        </Field>
        <Busy type="submit" busy={a.busy}>
          Add member
        </Busy>
      </div>
      <Result a={a} />
    </form>
  );
}
