// The block explorer: the newest blocks (live over newBlocks), one search
// box for a block height or hash, a transaction, an account or
// organisation, a campaign, a gift, a record or a claim (each goes to its
// own view; anything else gets a plain "nothing found"), and the views of
// a block, a transaction, an account and a record. Hashes are shortened or
// wrapped with a copy button, times are in the viewer's locale.
import { useEffect, useState } from 'preact/hooks';
import { gql, type ApiError } from '../api';
import { Hash, Time, shorten, CopyButton } from '../display';
import { label, minorMoney } from '../format';
import { DETAIL_ROLES, explain, refusalInWords } from '../messages';
import { Who, useOrgs } from '../names';
import { Link, navigate } from '../router';
import { has, roleNames, useViewer } from '../session';
import { Badge, Busy, CursorPager, ErrorBox, Field, Head, LiveStopped, Page, Show, toApiError, usePagedQuery, useQuery, useSubscription } from '../ui';
import { APPEAL_REASONS, CATEGORIES, CLAIM_REASONS, CONTRACTS, EMERGENCIES, PURPOSES, REFUND_REASONS, REVIEW_OUTCOMES, actionName, say } from '../vocab';

const enc = encodeURIComponent;
const capital = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

/** Where an account or organisation id is shown. */
export const accountHref = (id: string) => `/explorer/accounts/${enc(id)}`;

/** An account or organisation by name (the id on hover), linked to its view. */
function Account({ id }: { id: string | null | undefined }) {
  if (!id) return <>—</>;
  return (
    <Link href={accountHref(id)}>
      <Who id={id} />
    </Link>
  );
}

/** A transaction's call by its label (vocab ACTIONS), the contract.method on hover. */
function Action({ contract, method }: { contract: string; method: string }) {
  return <span title={`${contract}.${method}`}>{actionName(contract, method)}</span>;
}

/**
 * A receipt's error or a refused read in plain words (messages: explain,
 * refusalInWords); those who may read the policy's own text (DETAIL_ROLES)
 * find it behind Details.
 */
function InWords({ raw, refusal = false }: { raw: string; refusal?: boolean }) {
  const { viewer } = useViewer();
  const orgs = useOrgs();
  const words = refusal ? refusalInWords(raw, false) : explain({ message: raw, code: 'FAILED' }, orgs).summary;
  return (
    <div class="wrap-any">
      {words}
      {has(viewer, ...DETAIL_ROLES) && words !== raw && (
        <details class="why">
          <summary>Details</summary>
          <p>{raw}</p>
        </details>
      )}
    </div>
  );
}

// ---- search ------------------------------------------------------------------

interface Candidate {
  /** What it is, in words ("a record"). */
  kind: string;
  query: string;
  vars: Record<string, unknown>;
  /** The view of what the query found, or null when it found nothing. */
  href: (d: any) => string | null;
}

const HEX64 = /^[0-9a-fA-F]{64}$/;

/** The lookups a search text may match, most specific first. */
export function candidates(text: string): Candidate[] {
  const q = text.trim();
  if (/^\d{1,15}$/.test(q)) {
    return [{ kind: 'a block', query: `query($h: Int!) { block(height: $h) { height } }`, vars: { h: Number(q) }, href: (d) => (d.block ? `/explorer/blocks/${d.block.height}` : null) }];
  }
  if (HEX64.test(q)) {
    const id = q.toLowerCase();
    return [
      { kind: 'a block', query: `query($h: String!) { blockByHash(hash: $h) { height } }`, vars: { h: id }, href: (d) => (d.blockByHash ? `/explorer/blocks/${d.blockByHash.height}` : null) },
      // A gift's id is its giving transaction's: its lineage is the better view.
      { kind: 'a gift', query: `query($id: ID!) { gift(id: $id) { id } }`, vars: { id }, href: (d) => (d.gift ? `/gifts/${d.gift.id}` : null) },
      { kind: 'a transaction', query: `query($id: ID!) { transaction(id: $id) { id } }`, vars: { id }, href: (d) => (d.transaction ? `/explorer/tx/${d.transaction.id}` : null) },
    ];
  }
  const byId = (kind: string, field: string, href: (id: string) => string): Candidate => ({
    kind,
    query: `query($id: ID!) { ${field}(id: $id) { id } }`,
    vars: { id: q },
    href: (d) => (d[field] ? href(d[field].id) : null),
  });
  const out: Candidate[] = [];
  if (q.includes('/')) out.push(byId('an account', 'member', accountHref));
  else out.push(byId('an organisation', 'organisation', accountHref));
  out.push(
    byId('a campaign', 'campaign', (id) => `/campaigns/${enc(id)}`),
    byId('a claim', 'claim', (id) => `/claims/${enc(id)}`),
    byId('a record', 'record', (id) => `/explorer/records/${enc(id)}`),
  );
  return out;
}

export interface SearchResult {
  /** The view to go to, or null when nothing the viewer may see matched. */
  href: string | null;
  /** Things that exist with this id but that the viewer may not see. */
  hidden: string[];
}

/** Runs every candidate lookup at once; the first (most specific) match wins. */
export async function search(text: string): Promise<SearchResult> {
  const results = await Promise.all(
    candidates(text).map(async (c) => {
      try {
        return { href: c.href(await gql(c.query, c.vars)) };
      } catch (e) {
        const err = toApiError(e);
        if (err.code === 'FORBIDDEN') return { hidden: `${c.kind}, which only some members may see` };
        if (err.code === 'NOT_FOUND' || err.code === 'BAD_USER_INPUT') return {};
        return { error: err };
      }
    }),
  );
  const found = results.find((r) => 'href' in r && r.href);
  if (found && 'href' in found) return { href: found.href ?? null, hidden: [] };
  const failed = results.find((r) => 'error' in r);
  if (failed && 'error' in failed) throw failed.error;
  return { href: null, hidden: results.flatMap((r) => ('hidden' in r && r.hidden ? [r.hidden] : [])) };
}

function Search() {
  const [text, setText] = useState('');
  const [busy, setBusy] = useState(false);
  const [missing, setMissing] = useState<{ text: string; hidden: string[] } | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  return (
    <form
      class="search"
      role="search"
      aria-label="Explorer"
      onSubmit={async (e) => {
        e.preventDefault();
        const v = text.trim();
        setMissing(null);
        setError(null);
        if (!v) return;
        setBusy(true);
        try {
          const r = await search(v);
          if (r.href) navigate(r.href);
          else setMissing({ text: v, hidden: r.hidden });
        } catch (err) {
          setError(toApiError(err));
        } finally {
          setBusy(false);
        }
      }}
    >
      <div class="row">
        <Field label="Search" hint="A block height or hash, a transaction id, an account (hope/donor-sam), a campaign, gift, record or claim id">
          <input name="find" type="search" value={text} onInput={(e) => setText(e.currentTarget.value)} autocomplete="off" spellcheck={false} />
        </Field>
        <Busy type="submit" busy={busy}>
          Find
        </Busy>
      </div>
      {missing && (
        <div class="notice" role="status">
          <p>
            Nothing found for “<span class="wrap-any">{missing.text}</span>”.
          </p>
          {missing.hidden.length > 0 ? (
            <p>It exists as {missing.hidden.join('; and as ')}.</p>
          ) : (
            <p class="hint">Check the spelling, or try a block height (such as 12), a 64-character block hash or transaction id, or an account such as hope/donor-sam.</p>
          )}
        </div>
      )}
      {error && <ErrorBox error={error} />}
    </form>
  );
}

// ---- the blocks ----------------------------------------------------------------

const BLOCKS = `query Blocks($after: String) { blocks(first: 15, after: $after) { nodes { height hash time transactionCount proposer proposerOrganisation { name } signatures } pageInfo { hasNextPage endCursor } } }`;
const NEW_BLOCKS = `subscription NewBlocks { newBlocks { height hash time transactionCount proposer proposerOrganisation { name } signatures } }`;

export function Explorer() {
  const { q, after, setAfter } = usePagedQuery(BLOCKS);
  const live = useSubscription<any>(NEW_BLOCKS, {}, after === null);
  const [fresh, setFresh] = useState<any[]>([]);
  useEffect(() => {
    const b = live.data?.newBlocks;
    if (b) setFresh((xs) => (xs.some((x) => x.height === b.height) ? xs : [b, ...xs].slice(0, 30)));
  }, [live.data]);
  return (
    <Page title="Blocks and transactions">
      <Search />
      <Show q={q} what="Loading blocks">
        {(d: any) => {
          const known = new Set(d.blocks.nodes.map((b: any) => b.height));
          const rows = after === null ? [...fresh.filter((b) => !known.has(b.height)), ...d.blocks.nodes] : d.blocks.nodes;
          return (
            <>
              <h2>Latest blocks</h2>
              <p class="live">{after === null ? live.error ? <LiveStopped error={live.error} /> : 'New blocks appear as they commit.' : ''}</p>
              <table class="stack blocks">
                <caption class="sr-only">Blocks, newest first</caption>
                <Head cols={['Block', 'Time', 'Transactions', 'Proposer', 'Signatures', 'Hash']} />
                <tbody>
                  {rows.map((b: any) => (
                    <tr key={b.height}>
                      <td data-label="Block">
                        <Link href={`/explorer/blocks/${b.height}`}>{b.height}</Link>
                      </td>
                      <td data-label="Time">
                        <Time value={b.time} />
                      </td>
                      <td data-label="Transactions">{b.transactionCount}</td>
                      <td data-label="Proposer"><span title={`node ${b.proposer}`}>{b.proposerOrganisation?.name ?? b.proposer}</span></td>
                      <td data-label="Signatures">{b.signatures}</td>
                      <td data-label="Hash">
                        <Hash value={b.hash} what={`the hash of block ${b.height}`} />
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
              <CursorPager label="Pages" after={after} setAfter={setAfter} page={d.blocks.pageInfo} first="Newest" next="Older blocks" buttonClass="secondary" />
            </>
          );
        }}
      </Show>
    </Page>
  );
}

const BLOCK = `query Block($h: Int!) {
  block(height: $h) { height hash prevHash time proposer proposerOrganisation { name } signatures txRoot receiptRoot stateHash transactionCount
    transactions { id contract method sender index receipt { status error } } }
}`;

export function BlockView({ height }: { height: number }) {
  const q = useQuery(BLOCK, { h: height });
  return (
    <Page title={`Block ${height}`}>
      <Show q={q} what="Loading the block">
        {(d: any) =>
          !d.block ? (
            <p>There is no block {height} yet.</p>
          ) : (
            <>
              <dl class="facts wide">
                <div><dt>Time</dt><dd><Time value={d.block.time} seconds /></dd></div>
                <div><dt>Proposer</dt><dd>{d.block.proposerOrganisation ? <>{d.block.proposerOrganisation.name} <span class="muted">(node {d.block.proposer})</span></> : d.block.proposer}</dd></div>
                <div><dt>Node signatures</dt><dd>{d.block.signatures}</dd></div>
                <div><dt>Hash</dt><dd><Hash value={d.block.hash} what="the block hash" full /></dd></div>
                <div><dt>Previous block</dt><dd><Hash value={d.block.prevHash} what="the previous block's hash" full /></dd></div>
                <div><dt>State hash</dt><dd><Hash value={d.block.stateHash} what="the state hash" full /></dd></div>
                <div><dt>Transaction root</dt><dd><Hash value={d.block.txRoot} what="the transaction root" full /></dd></div>
                <div><dt>Receipt root</dt><dd><Hash value={d.block.receiptRoot} what="the receipt root" full /></dd></div>
              </dl>
              <nav class="pager" aria-label="Neighbouring blocks">
                {height > 0 && <Link class="button secondary" href={`/explorer/blocks/${height - 1}`}>Previous block</Link>}
                <Link class="button secondary" href={`/explorer/blocks/${height + 1}`}>Next block</Link>
              </nav>
              <h2>Transactions ({d.block.transactionCount})</h2>
              {d.block.transactions.length === 0 ? (
                <p>{d.block.transactionCount === 0 ? 'None.' : 'None that you may see.'}</p>
              ) : (
                <ul class="txs">
                  {d.block.transactions.map((t: any) => (
                    <li key={t.id}>
                      <Link href={`/explorer/tx/${t.id}`} title={t.id}>
                        {shorten(t.id)}
                      </Link>{' '}
                      <CopyButton text={t.id} what={`transaction ${t.index + 1}'s id`} /> <Action contract={t.contract} method={t.method} /> by{' '}
                      <Account id={t.sender} /> <Badge v={t.receipt.status} />
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

// ---- a transaction and its events ------------------------------------------------

/** Event attributes holding a Unix time in seconds (0: none). */
const timeKeys = new Set(['expires', 'start', 'end', 'deadline', 'until']);
/** Event attributes holding an amount in minor units of the event's currency. */
const amountKeys = new Set(['amount', 'goal', 'total', 'claimed', 'approved', 'patient_share', 'paid']);
/** Event attributes naming a member or an organisation. */
const accountKeys = new Set([
  'donor', 'sender', 'patient', 'reader', 'grantee', 'by', 'validator', 'proposer', 'requester', 'reviewer', 'member',
  'registrar', 'payee', 'custodian', 'provider', 'insurer', 'charity', 'org', 'organisation',
]);

/** Reasons by label, whichever contract wrote them (refunds, emergencies, adjudications, appeals). */
const REASONS = { ...REFUND_REASONS, ...EMERGENCIES, ...CLAIM_REASONS, ...APPEAL_REASONS };

/** One event attribute as people read it: times, amounts, labels, names, links and hashes. */
export function AttrValue({ k, v, attrs, type }: { k: string; v: string; attrs: { key: string; value: string }[]; type?: string }) {
  if (v === '') return <>—</>;
  if (k === 'reason' && type === 'access_refused') return <InWords raw={v} refusal />;
  if (k === 'reason' && REASONS[v]) return <span title={v}>{REASONS[v]}</span>;
  if (k === 'purpose' && PURPOSES[v]) return <span title={v}>{say(PURPOSES, v)}</span>;
  if (k === 'outcome' && REVIEW_OUTCOMES[v]) return <span title={v}>{say(REVIEW_OUTCOMES, v)}</span>;
  if (k === 'category' && CATEGORIES[v]) return <span title={v}>{say(CATEGORIES, v)}</span>;
  if (k === 'roles' && /^[a-z_]+(,[a-z_]+)*$/.test(v)) return <span title={v}>{v.split(',').map((r) => roleNames[r] ?? label(r)).join(', ')}</span>;
  const currency = attrs.find((a) => a.key === 'currency')?.value;
  if (timeKeys.has(k) && /^\d+$/.test(v)) return <Time value={v} none="none" />;
  if (amountKeys.has(k) && /^\d+$/.test(v) && currency) return <>{minorMoney(v, currency)}</>;
  if (k === 'allocations' && currency && /^\d+:\d+(,\d+:\d+)*$/.test(v))
    return <>{v.split(',').map((p) => p.split(':')).map(([m, a]) => `milestone ${m}: ${minorMoney(a, currency)}`).join('; ')}</>;
  if (k === 'campaign') return <Link href={`/campaigns/${enc(v)}`}>{v}</Link>;
  if (k === 'claim') return <Link href={`/claims/${enc(v)}`}>{v}</Link>;
  if (k === 'record') return <Link href={`/explorer/records/${enc(v)}`}>{v}</Link>;
  if ((k === 'gift' || k === 'access') && HEX64.test(v))
    return (
      <span class="hash">
        <Link href={k === 'gift' ? `/gifts/${v}` : `/explorer/tx/${v}`} title={v}>
          <code>{shorten(v)}</code>
        </Link>
        <CopyButton text={v} what={`the ${k} id`} />
      </span>
    );
  if (accountKeys.has(k) && /^[a-z0-9][a-z0-9./_-]*$/i.test(v)) return <Account id={v} />;
  if (HEX64.test(v)) return <Hash value={v} what={label(k)} />;
  if (/^(ed25519|xwing|mldsa65):/.test(v)) return <Hash value={v} what={label(k)} />;
  return <span class="wrap-any">{v}</span>;
}

const TX = `query Tx($id: ID!) {
  transaction(id: $id) { id contract method sender height index time nonce expiry receipt { status error events { contract type attrs { key value } } } }
}`;

export function TxView({ id }: { id: string }) {
  const q = useQuery(TX, { id });
  return (
    <Page title="Transaction">
      <Show q={q} what="Loading the transaction">
        {(d: any) => {
          const t = d.transaction;
          if (!t) return <p>There is no committed transaction {shorten(id)} that you may see.</p>;
          const gift = t.receipt.events.some((e: any) => e.contract === 'donation' && e.type === 'gift_received');
          return (
            <>
              <dl class="facts wide">
                <div><dt>Id</dt><dd><Hash value={t.id} what="the transaction id" full /></dd></div>
                <div><dt>Action</dt><dd><Action contract={t.contract} method={t.method} /></dd></div>
                <div><dt>Sender</dt><dd><Account id={t.sender} /></dd></div>
                <div><dt>Block</dt><dd><Link href={`/explorer/blocks/${t.height}`}>{t.height}</Link> (transaction {t.index + 1})</dd></div>
                <div><dt>Time</dt><dd><Time value={t.time} seconds /></dd></div>
                <div><dt>Valid until block</dt><dd>{t.expiry}</dd></div>
                <div><dt>Receipt</dt><dd><Badge v={t.receipt.status} />{t.receipt.error && <InWords raw={t.receipt.error} />}</dd></div>
              </dl>
              {gift && (
                <p>
                  This transaction is a gift: <Link href={`/gifts/${t.id}`}>see where it went and its receipt</Link>.
                </p>
              )}
              <h2>Events</h2>
              {t.receipt.events.length === 0 && <p>None.</p>}
              {t.receipt.events.map((e: any, i: number) => (
                <section class="panel event" key={i} aria-label={`${say(CONTRACTS, e.contract)}: ${label(e.type)}`}>
                  <h3>
                    {capital(label(e.type))} <small title={e.contract}>{say(CONTRACTS, e.contract)}</small>
                  </h3>
                  <dl class="facts wide">
                    {e.attrs.map((a: any) => (
                      <div key={a.key}>
                        <dt>{capital(label(a.key))}</dt>
                        <dd>
                          <AttrValue k={a.key} v={a.value} attrs={e.attrs} type={e.type} />
                        </dd>
                      </div>
                    ))}
                  </dl>
                </section>
              ))}
            </>
          );
        }}
      </Show>
    </Page>
  );
}

// ---- accounts, organisations and records ----------------------------------------

const ACCOUNT = `query Account($id: ID!) {
  member(id: $id) { id roles revoked since updated organisation { id name kind } }
  organisation(id: $id) { id name kind members(first: 50) { nodes { id roles revoked } pageInfo { hasNextPage } } }
}`;

export function AccountView({ id }: { id: string }) {
  const q = useQuery(ACCOUNT, { id });
  const roles = (rs: string[]) => rs.map((r) => roleNames[r] ?? label(r)).join(', ') || 'no roles';
  return (
    <Page title={id.includes('/') ? 'Account' : 'Organisation'}>
      <Show q={q} what="Loading the account">
        {(d: any) => {
          const m = d.member;
          const o = d.organisation;
          if (m)
            return (
              <dl class="facts wide">
                <div><dt>Account</dt><dd><Hash value={m.id} what="the account id" full /></dd></div>
                <div><dt>Organisation</dt><dd>{m.organisation ? <Link href={accountHref(m.organisation.id)}>{m.organisation.name}</Link> : '—'}</dd></div>
                <div><dt>Roles</dt><dd>{roles(m.roles)}</dd></div>
                <div><dt>Status</dt><dd>{m.revoked ? <Badge v="REVOKED" /> : 'active'}</dd></div>
                <div><dt>Member since</dt><dd>{m.since === 0 ? 'the start of the chain' : <>block <Link href={`/explorer/blocks/${m.since}`}>{m.since}</Link></>}</dd></div>
                <div><dt>Last changed</dt><dd>{m.updated === 0 ? 'never' : <>block <Link href={`/explorer/blocks/${m.updated}`}>{m.updated}</Link></>}</dd></div>
              </dl>
            );
          if (o)
            return (
              <>
                <dl class="facts wide">
                  <div><dt>Name</dt><dd>{o.name}</dd></div>
                  <div><dt>Id</dt><dd>{o.id}</dd></div>
                  <div><dt>Kind</dt><dd>{o.kind}</dd></div>
                </dl>
                <h2>Members</h2>
                <ul class="members">
                  {o.members.nodes.map((x: any) => (
                    <li key={x.id}>
                      <Link href={accountHref(x.id)}>
                        <Who id={x.id} org={false} />
                      </Link>{' '}
                      {x.revoked && <Badge v="REVOKED" />}
                      <br />
                      <small>{roles(x.roles)}</small>
                    </li>
                  ))}
                </ul>
                {o.members.pageInfo.hasNextPage && <p class="note">The first 50 members are shown.</p>}
              </>
            );
          return <p>There is no account or organisation “{id}”.</p>;
        }}
      </Show>
    </Page>
  );
}

const RECORD = `query Record($id: ID!) {
  record(id: $id) { id patient custodian category latestVersion erased erasedBy createdAt createdHeight
    versions { version ciphertextHash registrar height time } }
}`;

export function RecordView({ id }: { id: string }) {
  const q = useQuery(RECORD, { id });
  return (
    <Page title={`Record ${id}`}>
      <p class="note">The ledger holds a record's metadata and the hash of its encrypted content, never the content.</p>
      <Show q={q} what="Loading the record">
        {(d: any) => {
          const r = d.record;
          if (!r) return <p>There is no record “{id}”.</p>;
          return (
            <>
              <dl class="facts wide">
                <div><dt>Patient</dt><dd><Account id={r.patient} /></dd></div>
                <div><dt>Held by</dt><dd><Account id={r.custodian} /></dd></div>
                <div><dt>Category</dt><dd>{label(r.category)}</dd></div>
                <div><dt>Registered</dt><dd><Time value={r.createdAt} /> in block <Link href={`/explorer/blocks/${r.createdHeight}`}>{r.createdHeight}</Link></dd></div>
                <div><dt>Versions</dt><dd>{r.latestVersion}</dd></div>
                <div><dt>Status</dt><dd>{r.erased ? <>erased{r.erasedBy && <> by <Account id={r.erasedBy} /></>}</> : 'kept'}</dd></div>
              </dl>
              <h2>Versions</h2>
              <ol class="versions">
                {r.versions.map((v: any) => (
                  <li key={v.version}>
                    Version {v.version}, <Time value={v.time} /> by <Account id={v.registrar} /> in block{' '}
                    <Link href={`/explorer/blocks/${v.height}`}>{v.height}</Link>: ciphertext <Hash value={v.ciphertextHash} what={`version ${v.version}'s ciphertext hash`} />
                  </li>
                ))}
              </ol>
            </>
          );
        }}
      </Show>
    </Page>
  );
}
