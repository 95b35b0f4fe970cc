// Consortium governance: proposals with who approved, who rejected and who
// is missing, approve or reject for the viewer's organisation, propose a new
// approval threshold; and the policy in force.
import { useState } from 'preact/hooks';
import { submit } from '../api';
import { label, when } from '../format';
import { has, useViewer } from '../session';
import { Badge, Busy, Field, Result, Show, useAction, useQuery } from '../ui';

const PROPOSALS = `query Proposals($status: ProposalStatus) {
  proposals(first: 10, status: $status) { nodes { id kind status proposer proposedAt expiresAt failureReason
    change { summary } approvedBy rejectedBy missing needed organisations thresholdPercent } }
}`;
const POLICY = `{ policy { thresholdPercent needed organisations height rules { line } } }`;

export function Governance() {
  const [status, setStatus] = useState('');
  const q = useQuery(PROPOSALS, { status: status || null });
  const { viewer } = useViewer();
  const admin = has(viewer, 'org_admin');
  return (
    <section aria-labelledby="gov-title">
      <h2 id="gov-title">Proposals</h2>
      <div class="filters">
        <Field label="Status">
          <select name="proposal-status" value={status} onChange={(e) => setStatus(e.currentTarget.value)}>
            <option value="">All</option>
            {['OPEN', 'EXECUTED', 'REJECTED', 'FAILED', 'WITHDRAWN', 'EXPIRED'].map((s) => (
              <option key={s} value={s}>
                {label(s)}
              </option>
            ))}
          </select>
        </Field>
      </div>
      <Show q={q} what="Loading proposals">
        {(d: any) => (
          <>
            {d.proposals.nodes.length === 0 && <p>No proposals.</p>}
            <ul class="cards" aria-label="Proposals">
              {d.proposals.nodes.map((p: any) => (
                <Proposal key={p.id} p={p} canVote={admin && !!viewer?.org && p.status === 'OPEN' && p.missing.includes(viewer.org.id)} onDone={q.reload} />
              ))}
            </ul>
          </>
        )}
      </Show>
      {admin && <ProposeThreshold onDone={q.reload} />}
      <Policy />
    </section>
  );
}

const APPROVE = `mutation ApproveP($proposal: ID!, $wait: Boolean) { approveProposal(proposal: $proposal, wait: $wait) { TX } }`;
const REJECT = `mutation RejectP($proposal: ID!, $wait: Boolean) { rejectProposal(proposal: $proposal, wait: $wait) { TX } }`;

function Proposal({ p, canVote, onDone }: { p: any; canVote: boolean; onDone: () => void }) {
  const a = useAction();
  const vote = (m: string, msg: string) =>
    a.run(async () => {
      await submit(m, { proposal: p.id });
      onDone();
      return msg;
    });
  return (
    <li class="card">
      <h3>
        {p.change.summary} <Badge v={p.status} />
      </h3>
      <p class="meta">
        {label(p.kind)} by {p.proposer}, {when(p.proposedAt)}; open until {when(p.expiresAt)}
      </p>
      <p>
        Approved by: {p.approvedBy.join(', ') || 'nobody yet'} ({p.approvedBy.length} of {p.needed} needed)
        <br />
        Rejected by: {p.rejectedBy.join(', ') || 'nobody'}
        <br />
        Missing: {p.missing.join(', ') || 'nobody'}
      </p>
      {p.failureReason && <p class="warn">Not applied: {p.failureReason}</p>}
      {canVote && (
        <div class="row">
          <Busy type="button" busy={a.busy} onClick={() => vote(APPROVE, 'Your organisation approved it.')}>
            Approve
          </Busy>
          <Busy type="button" class="secondary" busy={a.busy} onClick={() => vote(REJECT, 'Your organisation rejected it.')}>
            Reject
          </Busy>
        </div>
      )}
      <Result a={a} />
    </li>
  );
}

const THRESHOLD = `mutation Threshold($percent: Int!, $wait: Boolean) { proposeThreshold(percent: $percent, wait: $wait) { TX } }`;

function ProposeThreshold({ onDone }: { onDone: () => void }) {
  const [percent, setPercent] = useState('66');
  const a = useAction();
  return (
    <form
      class="panel"
      aria-labelledby="thr-title"
      onSubmit={(e) => {
        e.preventDefault();
        a.run(async () => {
          const n = Number(percent);
          if (!Number.isInteger(n) || n < 1 || n > 99) throw new Error('the threshold is a whole percentage from 1 to 99');
          await submit(THRESHOLD, { percent: n });
          onDone();
          return `The proposal to set the threshold to ${n}% is open for votes.`;
        });
      }}
    >
      <h3 id="thr-title">Propose an approval threshold</h3>
      <div class="row">
        <Field label="Approvals from more than (%) of organisations">
          <input name="threshold" inputMode="numeric" value={percent} onInput={(e) => setPercent(e.currentTarget.value)} />
        </Field>
        <Busy type="submit" busy={a.busy}>
          Propose
        </Busy>
      </div>
      <Result a={a} />
    </form>
  );
}

function Policy() {
  const q = useQuery(POLICY);
  return (
    <Show q={q} what="Loading the policy">
      {(d: any) => (
        <details>
          <summary>
            Policy in force at block {d.policy.height}: {d.policy.rules.length} rules; proposals need approvals from more than{' '}
            {d.policy.thresholdPercent}% of {d.policy.organisations.length} organisations ({d.policy.needed})
          </summary>
          <pre class="fhir">{d.policy.rules.map((r: any) => r.line).join('\n')}</pre>
        </details>
      )}
    </Show>
  );
}
