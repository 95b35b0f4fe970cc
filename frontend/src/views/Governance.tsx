// Consortium governance: proposals with who approved, who rejected and who
// is missing (organisations by name), updated as blocks commit; approve,
// reject or withdraw; propose every kind of change the governance contract
// takes (add or remove an organisation or a node, change the policy rules
// with a readable diff, change the approval threshold); and the policy in
// force, rule by rule in words.
import { useEffect, useState } from 'preact/hooks';
import { submit } from '../api';
import { Time } from '../display';
import { label } from '../format';
import { explain } from '../messages';
import { Who, orgChoices, orgName, reloadOrgs, type Org, useOrgs } from '../names';
import { has, roleNames, useViewer } from '../session';
import { ActionButton, ActionForm, AddRemove, Badge, Busy, CheckGroup, Checks, Entries, Field, InputField, LiveStopped, Notices, Result, Select, Show, useAction, useQuery, useSubscription, withField } from '../ui';

const PROPOSALS = `query Proposals($status: ProposalStatus) {
  proposals(first: 20, status: $status) { nodes { id kind status proposer proposedAt expiresAt failureReason closedAt
    change { summary addRules removeRules organisation organisationName organisationKind admins node raftId raftAddr apiAddr thresholdPercent }
    approvedBy rejectedBy missing needed organisations thresholdPercent } }
}`;
const POLICY = `{ policy { thresholdPercent needed organisations height rules { sub dom obj act cond eft line } } }`;
const BLOCKS = `subscription GovBlocks { newBlocks { height } }`;

const KINDS: Record<string, string> = {
  ADD_ORG: 'Add an organisation',
  REMOVE_ORG: 'Remove an organisation',
  ADD_NODE: 'Add a node',
  REMOVE_NODE: 'Remove a node',
  CHANGE_POLICY: 'Change the policy',
  SET_THRESHOLD: 'Change the approval threshold',
};

/** Reloads reload after each committed block (at most every 2 s) while mounted. */
export function useOnBlocks(reload: () => void) {
  const live = useSubscription<any>(BLOCKS, {});
  useEffect(() => {
    if (live.updates === 0) return;
    const t = window.setTimeout(reload, 300);
    return () => window.clearTimeout(t);
  }, [live.updates, reload]);
  return live;
}

export function Governance() {
  const [status, setStatus] = useState('');
  const q = useQuery(PROPOSALS, { status: status || null });
  const live = useOnBlocks(q.reload);
  const { viewer } = useViewer();
  const admin = has(viewer, 'org_admin');
  const proposer = has(viewer, 'org_admin', 'consortium_admin');
  return (
    <section aria-labelledby="gov-title">
      <h2 id="gov-title">Proposals</h2>
      <p class="live">{live.error ? <LiveStopped error={live.error} /> : 'Votes appear as blocks commit.'}</p>
      <Notices scope="governance" />
      <div class="filters">
        <Field label="Status">
          <Select
            name="proposal-status"
            value={status}
            choices={['OPEN', 'EXECUTED', 'REJECTED', 'FAILED', 'WITHDRAWN', 'EXPIRED'].map((s): [string, string] => [s, label(s)])}
            placeholder="All"
            onChange={setStatus}
          />
        </Field>
      </div>
      <Show q={q} what="Loading proposals">
        {(d: any) => (
          <>
            {d.proposals.nodes.length === 0 && <p>No proposals.</p>}
            <ul class="cards wide" aria-label="Proposals">
              {d.proposals.nodes.map((p: any) => (
                <Proposal
                  key={p.id}
                  p={p}
                  canVote={admin && !!viewer?.org && p.status === 'OPEN' && p.missing.includes(viewer.org.id)}
                  canWithdraw={p.status === 'OPEN' && p.proposer === viewer?.account}
                  onDone={q.reload}
                />
              ))}
            </ul>
          </>
        )}
      </Show>
      {proposer && <Propose onDone={q.reload} />}
    </section>
  );
}

const APPROVE = `mutation ApproveP($proposal: ID!, $wait: Boolean) { approveProposal(proposal: $proposal, wait: $wait) { TX } }`;
const REJECT = `mutation RejectP($proposal: ID!, $wait: Boolean) { rejectProposal(proposal: $proposal, wait: $wait) { TX } }`;
const WITHDRAW = `mutation WithdrawP($proposal: ID!, $wait: Boolean) { withdrawProposal(proposal: $proposal, wait: $wait) { TX } }`;

function names(orgs: Map<string, Org>, ids: string[], none: string): string {
  return ids.map((id) => orgName(orgs, id)).join(', ') || none;
}

function Proposal({ p, canVote, canWithdraw, onDone }: { p: any; canVote: boolean; canWithdraw: boolean; onDone: () => void }) {
  const orgs = useOrgs();
  const a = useAction('governance');
  const vote = (m: string, msg: string) =>
    a.run(async () => {
      await submit(m, { proposal: p.id });
      onDone();
      reloadOrgs();
      return msg;
    });
  return (
    <li class="card">
      <h3>
        {p.change.summary} <Badge v={p.status} />
      </h3>
      <p class="meta">
        {KINDS[p.kind] ?? label(p.kind)} · proposed by <Who id={p.proposer} /> <Time value={p.proposedAt} relative={false} />
        {p.status === 'OPEN' && (
          <>
            ; open until <Time value={p.expiresAt} />
          </>
        )}
      </p>
      <Change p={p} />
      <p>
        Approved by: {names(orgs, p.approvedBy, 'nobody yet')} ({p.approvedBy.length} of {p.needed} needed)
        <br />
        Rejected by: {names(orgs, p.rejectedBy, 'nobody')}
        {p.status === 'OPEN' && (
          <>
            <br />
            Missing: {names(orgs, p.missing, 'nobody')}
          </>
        )}
      </p>
      {p.failureReason && <p class="warn">Not applied: {explain({ message: p.failureReason, code: 'FAILED' }).summary}</p>}
      {(canVote || canWithdraw) && (
        <div class="row">
          {canVote && (
            <>
              <Busy type="button" busy={a.busy} onClick={() => vote(APPROVE, `Your organisation approved “${p.change.summary}”.`)}>
                Approve
              </Busy>
              <Busy type="button" class="secondary" busy={a.busy} onClick={() => vote(REJECT, `Your organisation rejected “${p.change.summary}”.`)}>
                Reject
              </Busy>
            </>
          )}
          {canWithdraw && (
            <Busy type="button" class="secondary" busy={a.busy} onClick={() => vote(WITHDRAW, `You withdrew “${p.change.summary}”.`)}>
              Withdraw
            </Busy>
          )}
        </div>
      )}
      <Result a={a} />
    </li>
  );
}

/** What a proposal changes, in detail. */
function Change({ p }: { p: any }) {
  const c = p.change;
  const orgs = useOrgs();
  switch (p.kind) {
    case 'CHANGE_POLICY':
      return <RuleDiff add={c.addRules} remove={c.removeRules} orgs={orgs} />;
    case 'ADD_ORG':
      return (
        <p class="muted">
          {c.organisationName} ({c.organisation}, {c.organisationKind}); admins {c.admins.join(', ') || '—'}
          {c.node && `; node ${c.node} at ${c.apiAddr}`}
        </p>
      );
    case 'ADD_NODE':
      return (
        <p class="muted">
          Node {c.node} of {orgName(orgs, c.organisation)}: raft {c.raftId} at {c.raftAddr}, API {c.apiAddr}
        </p>
      );
    default:
      return null;
  }
}

const condWords: Record<string, string> = {
  any: '',
  org: 'of their own organisation',
  own: 'their own',
  consent: "under the owner's active consent",
};

/** "access" → "accesses", "policy" → "policies", "record" → "records". */
function plural(w: string): string {
  if (/(s|x|z|ch|sh)$/.test(w)) return `${w}es`;
  if (/[^aeiou]y$/.test(w)) return `${w.slice(0, -1)}ies`;
  return `${w}s`;
}

/** Objects whose plural in words is not their name's. */
const objectWords: Record<string, string> = {
  break_glass: 'emergency (break-glass) accesses',
  access_log: 'access logs',
};

/** A policy rule in words: "Allow claims adjusters (any organisation) to read records under the owner's active consent." */
export function ruleWords(r: { sub: string; dom: string; obj: string; act: string; cond: string; eft: string }, orgs: Map<string, Org>): string {
  const who = plural(roleNames[r.sub] ? roleNames[r.sub].toLowerCase() : r.sub.replace(/_/g, ' '));
  const where = r.dom === '*' ? '' : ` of ${orgName(orgs, r.dom)}`;
  const what = `${r.act.replace(/_/g, ' ')} ${objectWords[r.obj] ?? plural(r.obj.replace(/_/g, ' '))}`;
  const cond = condWords[r.cond] ?? r.cond;
  const verb = r.eft === 'deny' ? 'Forbid' : 'Allow';
  return `${verb} ${who}${where} to ${what}${cond ? ` (${cond})` : ''}.`;
}

/** "sub,dom,obj,act,cond,eft" (or separated by spaces) as a rule. */
export function parseRule(line: string): { sub: string; dom: string; obj: string; act: string; cond: string; eft: string } | null {
  const f = line
    .trim()
    .replace(/^p\s*,\s*/, '')
    .split(/\s*,\s*|\s+/)
    .filter(Boolean);
  if (f.length !== 6) return null;
  const [sub, dom, obj, act, cond, eft] = f;
  if (!['allow', 'deny'].includes(eft)) return null;
  return { sub, dom, obj, act, cond, eft };
}

/** A readable diff of a policy change: removed rules struck through, added ones marked, each in words. */
function RuleDiff({ add, remove, orgs }: { add: string[]; remove: string[]; orgs: Map<string, Org> }) {
  return (
    <ul class="diff" aria-label="Policy change">
      {remove.map((l) => {
        const r = parseRule(l);
        return (
          <li key={`-${l}`} class="del">
            <span class="sign" aria-hidden="true">−</span> <span class="sr-only">Removed: </span>
            {r ? ruleWords(r, orgs) : l} <code>{l}</code>
          </li>
        );
      })}
      {add.map((l) => {
        const r = parseRule(l);
        return (
          <li key={`+${l}`} class="ins">
            <span class="sign" aria-hidden="true">+</span> <span class="sr-only">Added: </span>
            {r ? ruleWords(r, orgs) : l} <code>{l}</code>
          </li>
        );
      })}
    </ul>
  );
}

const THRESHOLD = `mutation Threshold($percent: Int!, $validForSeconds: Int, $wait: Boolean) { proposeThreshold(percent: $percent, validForSeconds: $validForSeconds, wait: $wait) { TX } }`;
const POLICY_CHANGE = `mutation PolicyChange($addRules: [String!], $removeRules: [String!], $validForSeconds: Int, $wait: Boolean) {
  proposePolicyChange(addRules: $addRules, removeRules: $removeRules, validForSeconds: $validForSeconds, wait: $wait) { TX } }`;
const ADD_ORG = `mutation AddOrg($id: ID!, $name: String!, $kind: OrganisationKind!, $admins: [OrganisationAdminInput!]!, $node: NodeInput, $claimsKeyId: String, $validForSeconds: Int, $wait: Boolean) {
  proposeAddOrganisation(id: $id, name: $name, kind: $kind, admins: $admins, node: $node, claimsKeyId: $claimsKeyId, validForSeconds: $validForSeconds, wait: $wait) { TX } }`;
const REMOVE_ORG = `mutation RemoveOrg($organisation: ID!, $validForSeconds: Int, $wait: Boolean) { proposeRemoveOrganisation(organisation: $organisation, validForSeconds: $validForSeconds, wait: $wait) { TX } }`;
const ADD_NODE = `mutation AddNode($node: NodeInput!, $validForSeconds: Int, $wait: Boolean) { proposeAddNode(node: $node, validForSeconds: $validForSeconds, wait: $wait) { TX } }`;
const NODES = `{ consortiumNodes { id organisation organisationName raftId removed } }`;
const REMOVE_NODE = `mutation RemoveNode($node: ID!, $validForSeconds: Int, $wait: Boolean) { proposeRemoveNode(node: $node, validForSeconds: $validForSeconds, wait: $wait) { TX } }`;

const ID = /^[a-z0-9][a-z0-9._-]{1,127}$/;

interface NodeForm {
  id: string;
  raftId: string;
  raftAddr: string;
  apiAddr: string;
  signKey: string;
  encKey: string;
}
const emptyNode: NodeForm = { id: '', raftId: '', raftAddr: '', apiAddr: '', signKey: '', encKey: '' };

/** Checks a node's fields (prefix names them) and returns the NodeInput. */
function nodeInput(c: Checks, n: NodeForm, prefix: string, organisation?: string) {
  c.need(!ID.test(n.id), `${prefix}id`, 'A node id: lower-case letters, digits, dots and dashes.');
  const raft = Number(n.raftId);
  c.need(!Number.isInteger(raft) || raft < 1, `${prefix}raftId`, 'A whole number from 1, unused by other nodes.');
  c.need(!/^[^\s:]+:\d+$/.test(n.raftAddr.trim()), `${prefix}raftAddr`, 'host:port, e.g. node5.example.org:7100');
  c.need(!/^[^\s:]+:\d+$/.test(n.apiAddr.trim()), `${prefix}apiAddr`, 'host:port, e.g. node5.example.org:7070');
  c.need(!/^ed25519:\S+$/.test(n.signKey.trim()), `${prefix}signKey`, 'The node’s public signing key, ed25519:… as the CLI prints it.');
  c.need(!/^\S+:\S+$/.test(n.encKey.trim()), `${prefix}encKey`, 'The node’s public encryption key, as the CLI prints it.');
  return {
    id: n.id.trim(),
    raftId: raft,
    raftAddr: n.raftAddr.trim(),
    apiAddr: n.apiAddr.trim(),
    signKey: n.signKey.trim(),
    encKey: n.encKey.trim(),
    ...(organisation ? { organisation } : {}),
  };
}

function NodeFields({ n, set, prefix, a }: { n: NodeForm; set: (n: NodeForm) => void; prefix: string; a: ReturnType<typeof useAction> }) {
  const f = (k: keyof NodeForm, l: string, hint?: string) => (
    <InputField a={a} label={l} hint={hint} name={prefix + k} value={n[k]} onValue={(v) => set({ ...n, [k]: v })} />
  );
  return (
    <div class="grid2">
      {f('id', 'Node id')}
      {f('raftId', 'Raft id', 'A number no other node uses')}
      {f('raftAddr', 'Raft address', 'host:port')}
      {f('apiAddr', 'API address', 'host:port')}
      {f('signKey', 'Signing key', 'ed25519:…')}
      {f('encKey', 'Encryption key')}
    </div>
  );
}

const blankAdmin = () => ({ member: '', signKey: '', encKey: '' });

/** Every kind of proposal the governance contract takes. */
function Propose({ onDone }: { onDone: () => void }) {
  const { viewer } = useViewer();
  const orgs = useOrgs();
  const [kind, setKind] = useState('SET_THRESHOLD');
  const [days, setDays] = useState('7');
  const [percent, setPercent] = useState('66');
  const [org, setOrg] = useState({ id: '', name: '', kind: 'HOSPITAL', claimsKeyId: '' });
  const [admins, setAdmins] = useState([blankAdmin()]);
  const [withNode, setWithNode] = useState(false);
  const [node, setNode] = useState<NodeForm>(emptyNode);
  const [removeOrg, setRemoveOrg] = useState('');
  const [removeNode, setRemoveNode] = useState('');
  const [add, setAdd] = useState('');
  const [remove, setRemove] = useState<string[]>([]);
  const policy = useQuery(POLICY, {}, kind !== 'CHANGE_POLICY');
  const nodes = useQuery<any>(NODES, {}, kind !== 'REMOVE_NODE');
  const a = useAction('governance');
  const addLines = add.split('\n').map((l) => l.trim()).filter(Boolean);
  return (
    <ActionForm
      class="panel"
      aria-labelledby="prop-title"
      a={a}
      run={async () => {
        const c = new Checks();
        const validForSeconds = Math.round(Number(days) * 86400);
        c.need(!(validForSeconds >= 3600 && validForSeconds <= 90 * 86400), 'valid-days', 'From 1 hour (0.05 days) to 90 days.');
        let msg = '';
        switch (kind) {
          case 'SET_THRESHOLD': {
            const n = Number(percent);
            c.need(!Number.isInteger(n) || n < 1 || n > 99, 'threshold', 'A whole percentage from 1 to 99 (50: a majority).');
            c.throw();
            await submit(THRESHOLD, { percent: n, validForSeconds });
            msg = `The proposal to set the threshold to ${n}% is open for votes.`;
            break;
          }
          case 'CHANGE_POLICY': {
            addLines.forEach((l, i) => c.need(!parseRule(l), 'add-rules', `Line ${i + 1} is not a rule: give six values, role, organisation (* for any), object, action, condition, allow or deny.`));
            c.need(addLines.length + remove.length === 0, 'add-rules', 'Add a rule or choose one to remove.');
            c.throw();
            await submit(POLICY_CHANGE, { addRules: addLines.map((l) => Object.values(parseRule(l)!).join(',')), removeRules: remove, validForSeconds });
            msg = `The policy change (${addLines.length} added, ${remove.length} removed) is open for votes.`;
            setAdd('');
            setRemove([]);
            break;
          }
          case 'ADD_ORG': {
            c.need(!ID.test(org.id), 'org-id', 'An id never used before: lower-case letters, digits, dots and dashes.');
            c.need(!org.name.trim(), 'org-name', 'The organisation’s name as people know it.');
            c.need(!!org.claimsKeyId && !/^[0-9a-f]{32}$/.test(org.claimsKeyId), 'org-claims-key', '32 lower-case hex digits, or leave it empty.');
            const ads = admins.map((ad, i) => {
              c.need(!ad.member.startsWith(`${org.id}/`) || !ID.test(ad.member.slice(org.id.length + 1)), `admin-member-${i}`, `A member id of the new organisation: ${org.id || 'id'}/name.`);
              c.need(!/^ed25519:\S+$/.test(ad.signKey.trim()), `admin-sign-${i}`, 'The admin’s public signing key, ed25519:…');
              c.need(!/^\S+:\S+$/.test(ad.encKey.trim()), `admin-enc-${i}`, 'The admin’s public encryption key.');
              return { member: ad.member.trim(), signKey: ad.signKey.trim(), encKey: ad.encKey.trim() };
            });
            const n = withNode ? nodeInput(c, node, 'node-') : null;
            c.throw();
            await submit(ADD_ORG, {
              id: org.id,
              name: org.name.trim(),
              kind: org.kind,
              admins: ads,
              node: n,
              claimsKeyId: org.claimsKeyId || null,
              validForSeconds,
            });
            msg = `The proposal to add ${org.name.trim()} is open for votes.`;
            break;
          }
          case 'REMOVE_ORG': {
            c.need(!removeOrg, 'remove-org', 'Choose the organisation.');
            c.throw();
            await submit(REMOVE_ORG, { organisation: removeOrg, validForSeconds });
            msg = `The proposal to remove ${orgName(orgs, removeOrg)} is open for votes.`;
            break;
          }
          case 'ADD_NODE': {
            const n = nodeInput(c, node, 'node-', viewer?.org?.id);
            c.throw();
            await submit(ADD_NODE, { node: n, validForSeconds });
            msg = `The proposal to add node ${n.id} is open for votes.`;
            break;
          }
          case 'REMOVE_NODE': {
            c.need(!ID.test(removeNode.trim()), 'remove-node', 'Choose the node to remove.');
            c.throw();
            await submit(REMOVE_NODE, { node: removeNode.trim(), validForSeconds });
            const n = (nodes.data?.consortiumNodes ?? []).find((x: any) => x.id === removeNode.trim());
            msg = `The proposal to remove node ${removeNode.trim()}${n?.organisationName ? ` of ${n.organisationName}` : ''} is open for votes.`;
            break;
          }
        }
        onDone();
        return msg;
      }}
    >
      <h3 id="prop-title">Make a proposal</h3>
      <div class="row">
        <Field label="Proposal">
          <Select name="proposal-kind" value={kind} choices={Object.entries(KINDS)} onChange={(v) => (setKind(v), a.clear())} />
        </Field>
        <InputField a={a} label="Open for (days)" name="valid-days" inputMode="decimal" size={4} value={days} onValue={setDays} />
      </div>
      {kind === 'SET_THRESHOLD' && (
        <InputField a={a} label="Approvals from more than (%) of organisations" name="threshold" inputMode="numeric" value={percent} onValue={setPercent} />
      )}
      {kind === 'REMOVE_ORG' && (
        <Field label="Organisation to remove" hint="Its members can no longer sign, its nodes leave, its id is never reused." error={a.fieldError('remove-org')}>
          <Select name="remove-org" value={removeOrg} choices={orgChoices([...orgs.values()])} placeholder="Choose…" onChange={setRemoveOrg} />
        </Field>
      )}
      {kind === 'REMOVE_NODE' && (
        <Field label="Node" error={a.fieldError('remove-node')}>
          <Select
            name="remove-node"
            value={removeNode}
            placeholder={nodes.loading ? 'Loading the nodes…' : 'Choose a node…'}
            choices={(nodes.data?.consortiumNodes ?? [])
              .filter((n: any) => !n.removed)
              .map((n: any): [string, string] => [n.id, `${n.id}, ${n.organisationName ?? n.organisation} (raft id ${n.raftId})`])}
            onChange={setRemoveNode}
          />
        </Field>
      )}
      {kind === 'ADD_NODE' && (
        <>
          <p class="note">A node of {viewer?.org?.name ?? 'your organisation'}.</p>
          <NodeFields n={node} set={setNode} prefix="node-" a={a} />
        </>
      )}
      {kind === 'ADD_ORG' && (
        <>
          <div class="grid2">
            <InputField a={a} label="Organisation id" name="org-id" value={org.id} placeholder="northclinic" onValue={(v) => setOrg({ ...org, id: v })} />
            <InputField a={a} label="Name" name="org-name" value={org.name} placeholder="North Clinic" onValue={(v) => setOrg({ ...org, name: v })} />
            <Field label="Kind">
              <Select
                name="org-kind"
                value={org.kind}
                choices={[
                  ['HOSPITAL', 'Hospital'],
                  ['INSURER', 'Insurer'],
                  ['CHARITY', 'Charity'],
                  ['REGULATOR', 'Regulator'],
                ]}
                onChange={(kind) => setOrg({ ...org, kind })}
              />
            </Field>
            {org.kind === 'HOSPITAL' && (
              <InputField a={a} label="Claims key id (optional)" hint="For a hospital that files claims: 32 hex digits" name="org-claims-key" value={org.claimsKeyId} onValue={(v) => setOrg({ ...org, claimsKeyId: v.trim() })} />
            )}
          </div>
          <Entries list={admins} legend="Admin">
            {(ad, i) => (
              <div class="grid2">
                <InputField a={a} label="Member id" name={`admin-member-${i}`} value={ad.member} placeholder={`${org.id || 'id'}/admin`} onValue={(v) => setAdmins(withField(admins, i, 'member', v))} />
                <InputField a={a} label="Signing key" name={`admin-sign-${i}`} value={ad.signKey} onValue={(v) => setAdmins(withField(admins, i, 'signKey', v))} />
                <InputField a={a} label="Encryption key" name={`admin-enc-${i}`} value={ad.encKey} onValue={(v) => setAdmins(withField(admins, i, 'encKey', v))} />
              </div>
            )}
          </Entries>
          <div class="row">
            <AddRemove list={admins} set={setAdmins} blank={blankAdmin} add="Add an admin" remove="Remove the last admin" />
          </div>
          <label class="check">
            <input type="checkbox" name="with-node" checked={withNode} onChange={(e) => setWithNode(e.currentTarget.checked)} /> Add its node with it
          </label>
          {withNode && <NodeFields n={node} set={setNode} prefix="node-" a={a} />}
        </>
      )}
      {kind === 'CHANGE_POLICY' && (
        <Show q={policy} what="Loading the policy">
          {(d: any) => (
            <>
              <Field
                label="Rules to add, one per line"
                hint="role, organisation (* for any), object, action, condition (any, org, own, consent), allow or deny — e.g. physician,*,record,read,consent,allow"
                error={a.fieldError('add-rules')}
              >
                <textarea name="add-rules" rows={3} value={add} onInput={(e) => setAdd(e.currentTarget.value)} />
              </Field>
              <RuleChooser rules={d.policy.rules} chosen={remove} setChosen={setRemove} />
              {(addLines.length > 0 || remove.length > 0) && (
                <>
                  <h4>The change, in words</h4>
                  <RuleDiff add={addLines.map((l) => (parseRule(l) ? Object.values(parseRule(l)!).join(',') : l))} remove={remove} orgs={orgs} />
                </>
              )}
            </>
          )}
        </Show>
      )}
      <ActionButton a={a} type="submit">
        Propose
      </ActionButton>
    </ActionForm>
  );
}

/** Chooses rules to remove: searchable, each in words. */
function RuleChooser({ rules, chosen, setChosen }: { rules: any[]; chosen: string[]; setChosen: (l: string[]) => void }) {
  const orgs = useOrgs();
  const [search, setSearch] = useState('');
  const s = search.trim().toLowerCase();
  const shown = rules.filter((r) => chosen.includes(r.line) || (s && (r.line.includes(s) || ruleWords(r, orgs).toLowerCase().includes(s)))).slice(0, 30);
  return (
    <CheckGroup
      legend="Rules to remove"
      name="remove-rule"
      items={shown}
      value={(r) => r.line}
      label={(r) => (
        <>
          {ruleWords(r, orgs)} <code>{r.line}</code>
        </>
      )}
      chosen={chosen}
      onChange={setChosen}
    >
      <Field label="Find a rule" hint={`${rules.length} rules in force; type to find one (e.g. auditor, record)`}>
        <input type="search" name="rule-search" value={search} onInput={(e) => setSearch(e.currentTarget.value)} />
      </Field>
    </CheckGroup>
  );
}

/** The policy in force: threshold, and every rule in words, searchable. */
export function Policy() {
  const q = useQuery(POLICY);
  const orgs = useOrgs();
  const [search, setSearch] = useState('');
  return (
    <Show q={q} what="Loading the policy">
      {(d: any) => {
        const s = search.trim().toLowerCase();
        const rules = d.policy.rules.filter((r: any) => !s || r.line.includes(s) || ruleWords(r, orgs).toLowerCase().includes(s));
        return (
          <section aria-labelledby="policy-title">
            <h2 id="policy-title">Policy in force</h2>
            <p>
              At block {d.policy.height}: {d.policy.rules.length} rules; proposals need approvals from more than {d.policy.thresholdPercent}% of{' '}
              {d.policy.organisations.length} organisations ({d.policy.needed}).
            </p>
            <Field label="Find a rule">
              <input type="search" name="policy-search" value={search} onInput={(e) => setSearch(e.currentTarget.value)} />
            </Field>
            <ul class="rules">
              {rules.map((r: any) => (
                <li key={r.line} class={r.eft === 'deny' ? 'deny' : ''}>
                  {ruleWords(r, orgs)} <code>{r.line}</code>
                </li>
              ))}
            </ul>
          </section>
        );
      }}
    </Show>
  );
}
