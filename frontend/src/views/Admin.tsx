// Consortium admin: organisations and their members (roles, revoke, add),
// the node's status, and a block and transaction explorer that follows
// new blocks live (newBlocks).
import { useEffect, useState } from 'preact/hooks';
import { gql, submit } from '../api';
import { short, when } from '../format';
import { Link, navigate } from '../router';
import { has, roleNames, useViewer } from '../session';
import { Badge, Busy, Field, Page, Result, Show, useAction, useQuery, useSubscription } from '../ui';
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

const BLOCKS = `query Blocks($after: String) { blocks(first: 15, after: $after) { nodes { height hash time transactionCount proposer signatures } pageInfo { hasNextPage endCursor } } }`;
const NEW_BLOCKS = `subscription NewBlocks { newBlocks { height hash time transactionCount proposer signatures } }`;

export function Explorer() {
  const [after, setAfter] = useState<string | null>(null);
  const q = useQuery(BLOCKS, { after });
  const live = useSubscription<any>(NEW_BLOCKS, {}, after === null);
  const [fresh, setFresh] = useState<any[]>([]);
  useEffect(() => {
    const b = live.data?.newBlocks;
    if (b) setFresh((xs) => (xs.some((x) => x.height === b.height) ? xs : [b, ...xs].slice(0, 30)));
  }, [live.data]);
  const [find, setFind] = useState('');
  return (
    <Page title="Blocks and transactions">
      <form
        class="filters"
        role="search"
        onSubmit={(e) => {
          e.preventDefault();
          const v = find.trim();
          if (/^\d+$/.test(v)) navigate(`/explorer/blocks/${v}`);
          else if (v) navigate(`/explorer/tx/${v}`);
        }}
      >
        <Field label="Block height or transaction id">
          <input name="find" value={find} onInput={(e) => setFind(e.currentTarget.value)} />
        </Field>
        <button type="submit">Find</button>
      </form>
      <Show q={q} what="Loading blocks">
        {(d: any) => {
          const known = new Set(d.blocks.nodes.map((b: any) => b.height));
          const rows = after === null ? [...fresh.filter((b) => !known.has(b.height)), ...d.blocks.nodes] : d.blocks.nodes;
          return (
            <>
              <p class="live">{after === null ? (live.error ? `Live updates stopped: ${live.error.message}` : 'New blocks appear as they commit.') : ''}</p>
              <div class="table-wrap">
                <table>
                  <caption class="sr-only">Blocks, newest first</caption>
                  <thead>
                    <tr>
                      <th scope="col">Height</th>
                      <th scope="col">Time</th>
                      <th scope="col">Transactions</th>
                      <th scope="col">Proposer</th>
                      <th scope="col">Signatures</th>
                      <th scope="col">Hash</th>
                    </tr>
                  </thead>
                  <tbody>
                    {rows.map((b: any) => (
                      <tr key={b.height}>
                        <td>
                          <Link href={`/explorer/blocks/${b.height}`}>{b.height}</Link>
                        </td>
                        <td>{when(b.time)}</td>
                        <td>{b.transactionCount}</td>
                        <td>{b.proposer}</td>
                        <td>{b.signatures}</td>
                        <td title={b.hash}>
                          <code>{short(b.hash)}</code>
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
              <nav class="pager" aria-label="Pages">
                {after && (
                  <button type="button" class="secondary" onClick={() => setAfter(null)}>
                    Newest
                  </button>
                )}
                {d.blocks.pageInfo.hasNextPage && (
                  <button type="button" class="secondary" onClick={() => setAfter(d.blocks.pageInfo.endCursor)}>
                    Older blocks
                  </button>
                )}
              </nav>
            </>
          );
        }}
      </Show>
    </Page>
  );
}

const BLOCK = `query Block($h: Int!) {
  block(height: $h) { height hash prevHash time proposer signatures txRoot receiptRoot stateHash transactionCount
    transactions { id contract method sender index receipt { status error } } }
}`;

export function BlockView({ height }: { height: number }) {
  const q = useQuery(BLOCK, { h: height });
  return (
    <Page title={`Block ${height}`}>
      <Show q={q} what="Loading the block">
        {(d: any) =>
          !d.block ? (
            <p>No block {height} yet.</p>
          ) : (
            <>
              <dl class="facts wide">
                <div><dt>Time</dt><dd>{when(d.block.time)}</dd></div>
                <div><dt>Proposer</dt><dd>{d.block.proposer}</dd></div>
                <div><dt>Node signatures</dt><dd>{d.block.signatures}</dd></div>
                <div><dt>Hash</dt><dd><code>{d.block.hash}</code></dd></div>
                <div><dt>Previous</dt><dd><code>{d.block.prevHash}</code></dd></div>
                <div><dt>State hash</dt><dd><code>{d.block.stateHash}</code></dd></div>
                <div><dt>Transaction root</dt><dd><code>{d.block.txRoot}</code></dd></div>
                <div><dt>Receipt root</dt><dd><code>{d.block.receiptRoot}</code></dd></div>
              </dl>
              <nav class="pager" aria-label="Neighbouring blocks">
                {height > 1 && <Link class="button secondary" href={`/explorer/blocks/${height - 1}`}>Previous block</Link>}
                <Link class="button secondary" href={`/explorer/blocks/${height + 1}`}>Next block</Link>
              </nav>
              <h2>Transactions ({d.block.transactionCount})</h2>
              {d.block.transactions.length === 0 ? (
                <p>None you may see.</p>
              ) : (
                <ul>
                  {d.block.transactions.map((t: any) => (
                    <li key={t.id}>
                      <Link href={`/explorer/tx/${t.id}`}>{short(t.id)}</Link> {t.contract}.{t.method} by {t.sender} <Badge v={t.receipt.status} />
                    </li>
                  ))}
                </ul>
              )}
            </>
          )
        }
      </Show>
    </Page>
  );
}

const TX = `query Tx($id: ID!) {
  transaction(id: $id) { id contract method sender height index time nonce expiry receipt { status error events { contract type attrs { key value } } } }
}`;

export function TxView({ id }: { id: string }) {
  const q = useQuery(TX, { id });
  return (
    <Page title="Transaction">
      <Show q={q} what="Loading the transaction">
        {(d: any) =>
          !d.transaction ? (
            <p>No committed transaction {id} that you may see.</p>
          ) : (
            <>
              <dl class="facts wide">
                <div><dt>Id</dt><dd><code>{d.transaction.id}</code></dd></div>
                <div><dt>Call</dt><dd>{d.transaction.contract}.{d.transaction.method}</dd></div>
                <div><dt>Sender</dt><dd>{d.transaction.sender}</dd></div>
                <div><dt>Block</dt><dd><Link href={`/explorer/blocks/${d.transaction.height}`}>{d.transaction.height}</Link> (#{d.transaction.index + 1})</dd></div>
                <div><dt>Time</dt><dd>{when(d.transaction.time)}</dd></div>
                <div><dt>Receipt</dt><dd><Badge v={d.transaction.receipt.status} /> {d.transaction.receipt.error ?? ''}</dd></div>
              </dl>
              <h2>Events</h2>
              {d.transaction.receipt.events.length === 0 && <p>None.</p>}
              {d.transaction.receipt.events.map((e: any, i: number) => (
                <div class="panel" key={i}>
                  <h3>
                    {e.contract}.{e.type}
                  </h3>
                  <dl class="facts wide">
                    {e.attrs.map((a: any) => (
                      <div key={a.key}>
                        <dt>{a.key}</dt>
                        <dd>{a.value || '—'}</dd>
                      </div>
                    ))}
                  </dl>
                </div>
              ))}
            </>
          )
        }
      </Show>
    </Page>
  );
}
