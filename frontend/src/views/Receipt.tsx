// Receipts: download a transaction's proof as JSON (verifiable offline with
// `almoner verify`), open a printable receipt, and verify a proof in the
// browser against the consortium's genesis file (this portal's
// /genesis.json by default, with its fingerprint to compare; or a file the
// user chooses), the verified statement said in plain words. For a gift,
// also every receipt of what moved it as one bundle (giftProofBundle):
// downloaded, verified here step by step, each step said in words.
import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { gql } from '../api';
import { CopyButton, Time } from '../display';
import { download, minorMoney } from '../format';
import { OrgName, Who } from '../names';
import { Link } from '../router';
import { useViewer } from '../session';
import { failureCause, namesFor, parseReceiptFile, statement, verifyBundle, type Bundle, type BundleVerdict, type Names } from '../statement';
import { Busy, ErrorBox, Field, Loading, Page, Show, useFetch } from '../ui';
import { useQuery } from '../ui';
import { bytesToHex, exactTime, verifyProof, type Genesis, type Proof, type Verdict } from '../verify';
import { actionName } from '../vocab';
import { loadProof } from './Gifts';

/** A proof as a file's text: the header time a string of digits, exact through any JSON tool. */
export function proofJSON(p: Proof): string {
  return JSON.stringify({ ...p, header: { ...p.header, time: exactTime(p.header.time).toString() } }, null, 2);
}

/** The gift's proof bundle from this portal. */
export async function loadBundle(gift: string): Promise<Bundle> {
  const d = await gql<{ giftProofBundle: Bundle | null }>(`query Bundle($g: ID!) { giftProofBundle(gift: $g) }`, { g: gift });
  if (!d.giftProofBundle) throw new Error('no such gift');
  return d.giftProofBundle;
}

export function ReceiptTools({ txId, since }: { txId: string; since?: (n: Names) => string[] }) {
  const [proof, setProof] = useState<Proof | null>(null);
  const { busy, error, get: fetchProof } = useFetch(async () => {
    const { proof: p } = await loadProof(txId);
    setProof(p);
    return p;
  });
  const get = async (): Promise<Proof | null> => proof ?? fetchProof();
  return (
    <section class="panel" aria-labelledby="receipt-title">
      <h2 id="receipt-title">Receipt</h2>
      <p>
        The receipt proves, to anyone who trusts only the consortium's genesis file, that this gift is in a block signed by the
        consortium's nodes.
      </p>
      <div class="row">
        <DownloadJSON busy={busy} get={get} file={`receipt-${txId.slice(0, 12)}.json`} text={proofJSON}>
          Download receipt (JSON)
        </DownloadJSON>
        <Link class="button" href={`/receipts/${txId}`}>
          Printable receipt
        </Link>
      </div>
      {error && <ErrorBox error={error} />}
      <VerifyForm id="verify" getProof={get} since={since} />
      <BundleTools gift={txId} />
    </section>
  );
}

/** A button that gets a value (busy meanwhile) and, when it comes, downloads it as a JSON file. */
function DownloadJSON<T>(props: { busy: boolean; get: () => Promise<T | null>; file: string; text: (v: T) => string; children: ComponentChildren }) {
  const { busy, get, file, text, children } = props;
  return (
    <Busy
      type="button"
      busy={busy}
      onClick={async () => {
        const v = await get();
        if (v) download(file, 'application/json', text(v));
      }}
    >
      {children}
    </Busy>
  );
}

/** Every receipt of what moved a gift: download them as one file, verify them here. */
function BundleTools({ gift }: { gift: string }) {
  // Fetched afresh each time: the lineage grows as the money moves.
  const { busy, error, get } = useFetch(() => loadBundle(gift));
  return (
    <div class="bundle" aria-labelledby="bundle-title">
      <h3 id="bundle-title">Every receipt of where the money went</h3>
      <p>
        One file with the receipt of each transaction that moved this gift: the gift, the approval of its milestone, each
        disbursement that drew on it and the payee's confirmation, or its refund. Verify it here or offline with{' '}
        <code>almoner verify gift-receipts.json</code>. Where a receipt also names other donors' gifts, their part is left out;
        that receipt then proves its transaction, not its events.
      </p>
      <div class="row">
        <DownloadJSON busy={busy} get={get} file={`gift-receipts-${gift.slice(0, 12)}.json`} text={(b) => JSON.stringify(b, null, 2)}>
          Download all receipts (JSON)
        </DownloadJSON>
      </div>
      {error && <ErrorBox error={error} />}
      <VerifyForm id="verify-bundle" getBundle={get} />
    </div>
  );
}

/** A genesis file the verification trusts, with the SHA-256 of its bytes. */
interface Trusted {
  genesis: Genesis;
  fingerprint: string;
  /** Where it came from: this portal, or the name of a file the user chose. */
  source: 'portal' | string;
}

async function trust(bytes: ArrayBuffer, source: Trusted['source']): Promise<Trusted> {
  const fingerprint = bytesToHex(new Uint8Array(await crypto.subtle.digest('SHA-256', bytes)));
  let g: Genesis;
  try {
    g = JSON.parse(new TextDecoder().decode(bytes)) as Genesis;
  } catch (e) {
    throw new Error(`the genesis file is not JSON: ${e instanceof Error ? e.message : e}`);
  }
  if (!g || !g.chain_id || !Array.isArray(g.nodes)) throw new Error('the genesis file has no chain_id and nodes');
  return { genesis: g, fingerprint, source };
}

/** The consortium's genesis file as this portal serves it (GET /genesis.json). */
async function portalGenesis(): Promise<Trusted> {
  let r: Response;
  try {
    r = await fetch('/genesis.json', { credentials: 'same-origin' });
  } catch {
    throw new Error('the portal cannot be reached for its genesis file');
  }
  if (!r.ok) throw new Error(`this portal does not offer its genesis file (${r.status}): choose one below`);
  return trust(await r.arrayBuffer(), 'portal');
}

/** A fingerprint as people compare it: groups of four, the first 16 characters. */
export const shortFingerprint = (fp: string) => `${fp.slice(0, 16).replace(/(.{4})(?!$)/g, '$1 ')} …`;

/** Where the genesis file comes from and how to check it is the consortium's. */
function TrustPanel({
  t,
  chosen,
  problem,
  onFile,
  name = 'genesis',
}: {
  t: Trusted | null;
  chosen?: string;
  problem: string | null;
  onFile: (f: File | null) => void;
  name?: string;
}) {
  return (
    <div class="trust">
      {!t && chosen ? (
        <p>You chose the genesis file {chosen}: its fingerprint shows when you verify.</p>
      ) : t ? (
        <p>
          Checked against{' '}
          {t.source === 'portal' ? (
            <>
              this consortium's genesis file (<a href="/genesis.json" download="genesis.json">genesis.json</a>, from this portal)
            </>
          ) : (
            <>the genesis file you chose ({t.source})</>
          )}
          : chain <code>{t.genesis.chain_id}</code>, {t.genesis.nodes.length} node{t.genesis.nodes.length === 1 ? '' : 's'}. Its fingerprint:{' '}
          <code class="fingerprint" title={t.fingerprint}>
            {shortFingerprint(t.fingerprint)}
          </code>{' '}
          <CopyButton text={t.fingerprint} what="the full fingerprint" />
        </p>
      ) : (
        !problem && <Loading what="Fetching the consortium's genesis file" />
      )}
      {problem && (
        <p class="error" role="alert">
          {problem}
        </p>
      )}
      <details>
        <summary>How to compare the fingerprint</summary>
        <p>
          A receipt is only as trustworthy as the genesis file it is checked against: it names the nodes whose signatures make a
          block genuine. Compare the fingerprint above with the one your charity or the consortium publishes, or compute it from a
          copy of <code>genesis.json</code> you trust (any member organisation has one):
        </p>
        <ul>
          <li>
            Linux: <code>sha256sum genesis.json</code>
          </li>
          <li>
            macOS: <code>shasum -a 256 genesis.json</code>
          </li>
          <li>
            Windows: <code>certutil -hashfile genesis.json SHA256</code>
          </li>
        </ul>
        {t && (
          <p>
            The whole fingerprint: <code class="wrap-any">{t.fingerprint}</code>
          </p>
        )}
        <p>If they differ, do not trust a receipt verified here: use your own copy below.</p>
      </details>
      <details open={!!problem && !t}>
        <summary>Use another genesis file</summary>
        <Field label="Genesis file (genesis.json)">
          <input type="file" name={name} accept="application/json,.json" onChange={(e) => onFile((e.currentTarget as HTMLInputElement).files?.[0] ?? null)} />
        </Field>
      </details>
    </div>
  );
}

function VerifyForm({
  id,
  getProof,
  getBundle,
  since,
}: {
  id: string;
  getProof?: () => Promise<Proof | null>;
  getBundle?: () => Promise<Bundle | null>;
  since?: (n: Names) => string[];
}) {
  // The portal's genesis file is fetched once; a file the user chooses
  // replaces it. Files are read when the form is submitted, so a quick
  // submit never races the reading.
  const [portal, setPortal] = useState<Trusted | null>(null);
  const [portalProblem, setPortalProblem] = useState<string | null>(null);
  const [genesisFile, setGenesisFile] = useState<File | null>(null);
  const [used, setUsed] = useState<Trusted | null>(null);
  const [proofFile, setProofFile] = useState<File | null>(null);
  const [verdict, setVerdict] = useState<Verdict | null>(null);
  const [bundleVerdict, setBundleVerdict] = useState<BundleVerdict | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  const [words, setWords] = useState<string[]>([]);
  const [sinceWords, setSinceWords] = useState<string[]>([]);
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const { viewer } = useViewer();
  const given = !!getProof || !!getBundle;
  useEffect(() => {
    let live = true;
    portalGenesis().then(
      (t) => live && setPortal(t),
      (e) => live && setPortalProblem(e instanceof Error ? e.message : String(e)),
    );
    return () => {
      live = false;
    };
  }, []);
  const reset = () => {
    setVerdict(null);
    setBundleVerdict(null);
    setFailure(null);
    setProblem(null);
    setWords([]);
    setSinceWords([]);
  };
  return (
    <form
      class="verify"
      aria-labelledby={`${id}-title`}
      onSubmit={async (e) => {
        e.preventDefault();
        reset();
        if (!given && !proofFile) return setProblem('Choose a receipt file first.');
        setBusy(true);
        try {
          let t: Trusted;
          if (genesisFile) {
            try {
              t = await trust(await genesisFile.arrayBuffer(), genesisFile.name);
            } catch (err) {
              throw new Error(`That genesis file is unreadable: ${err instanceof Error ? err.message : err}`);
            }
          } else if (portal) {
            t = portal;
          } else {
            t = await portalGenesis();
            setPortal(t);
          }
          setUsed(t);
          let p: Proof | null = null;
          let b: Bundle | null = null;
          if (getBundle) b = await getBundle();
          else if (getProof) p = await getProof();
          else {
            try {
              const f = parseReceiptFile(await proofFile!.text());
              if ('bundle' in f) b = f.bundle;
              else p = f.proof;
            } catch (err) {
              throw new Error(`That receipt is unreadable: ${err instanceof Error ? err.message : err}`);
            }
          }
          if (b) {
            const names = b.steps[0]?.proof ? await namesFor(b.steps[0].proof, viewer?.account) : undefined;
            setBundleVerdict(await verifyBundle(b, t.genesis, names));
            return;
          }
          if (!p) return setProblem('The receipt could not be loaded.');
          const v = await verifyProof(p, t.genesis);
          if (v.ok) {
            const names = await namesFor(p, viewer?.account);
            setWords(statement(p, names));
            setSinceWords(since ? since(names) : []);
          } else setFailure(failureCause(p, v));
          setVerdict(v);
        } catch (err) {
          setProblem(err instanceof Error ? err.message : String(err));
        } finally {
          setBusy(false);
        }
      }}
    >
      <h3 id={`${id}-title`}>{getBundle ? 'Verify every receipt in this browser' : 'Verify in this browser'}</h3>
      <p class="note">Nothing is sent anywhere: the checks run here, trusting only the consortium's genesis file.</p>
      {!given && (
        <Field label="Receipt file (JSON): one receipt, or a gift's receipts">
          <input
            type="file"
            name="proof"
            accept="application/json,.json"
            onChange={(e) => {
              reset();
              setProofFile((e.currentTarget as HTMLInputElement).files?.[0] ?? null);
            }}
          />
        </Field>
      )}
      <TrustPanel
        name={getBundle ? 'bundle-genesis' : 'genesis'}
        t={genesisFile ? (used?.source === genesisFile.name ? used : null) : portal}
        chosen={genesisFile?.name}
        problem={genesisFile ? null : portalProblem}
        onFile={(f) => {
          reset();
          setGenesisFile(f);
        }}
      />
      <Busy type="submit" busy={busy}>
        {getBundle ? 'Verify all receipts' : 'Verify receipt'}
      </Busy>
      {busy && <Loading what="Verifying" />}
      {problem && (
        <p class="error" role="alert">
          {problem}
        </p>
      )}
      {bundleVerdict && <BundleResult v={bundleVerdict} />}
      {verdict && (
        <div class={`verdict ${verdict.ok ? 'good' : 'bad'}`} role="status" aria-live="polite">
          <p class="verdict-line">{verdict.ok ? '✔ Verified: the receipt is genuine.' : '✘ Not verified: do not trust this receipt.'}</p>
          {failure && <p>Why: {failure}.</p>}
          {verdict.ok && words.length > 0 && (
            <>
              <p>
                <strong>What the consortium's nodes signed:</strong>
              </p>
              <ul class="statement">
                {words.map((w, i) => (
                  <li key={i}>{w}</li>
                ))}
              </ul>
              {used && used.source === 'portal' && (
                <p class="note">
                  Checked against the genesis file with fingerprint <code>{shortFingerprint(used.fingerprint)}</code>. Names are this
                  portal's; the ids in brackets are what the nodes signed.
                </p>
              )}
            </>
          )}
          {verdict.ok && sinceWords.length > 0 && (
            <>
              <p>
                <strong>Where the money went since</strong> (this portal's records, not part of the signed receipt):
              </p>
              <ul class="statement">
                {sinceWords.map((w, i) => (
                  <li key={i}>{w}</li>
                ))}
              </ul>
            </>
          )}
          <Checks checks={verdict.checks} />
          {verdict.ok && verdict.states.length > 0 && (
            <details>
              <summary>The signed events, word for word</summary>
              <ul class="states">
                {verdict.states.map((st) => (
                  <li key={st}>
                    <code>{st}</code>
                  </li>
                ))}
              </ul>
            </details>
          )}
        </div>
      )}
    </form>
  );
}

function Checks({ checks }: { checks: Verdict['checks'] }) {
  return (
    <>
      <p>
        <strong>The checks:</strong>
      </p>
      <ul>
        {checks.map((c) => (
          <li key={c.name} class={c.ok ? 'pass' : 'fail'}>
            <span aria-hidden="true">{c.ok ? '✔' : '✘'}</span> <strong>{c.name}</strong>
            <span class="sr-only">{c.ok ? ' passed' : ' failed'}</span>: <span class="wrap-any">{c.detail}</span>
          </li>
        ))}
      </ul>
    </>
  );
}

/** A verified bundle: the verdict, then each step in words. */
function BundleResult({ v }: { v: BundleVerdict }) {
  return (
    <div class={`verdict ${v.ok ? 'good' : 'bad'}`} role="status" aria-live="polite">
      <p class="verdict-line">
        {v.ok ? `✔ Verified: all ${v.steps.length} receipts are genuine, and they are this gift's.` : '✘ Not verified: do not trust these receipts.'}
      </p>
      {v.problem && <p>Why: {v.problem}.</p>}
      <ol class="statement bundle-steps">
        {v.steps.map((s, i) => (
          <li key={i}>
            <p>
              <span aria-hidden="true">{s.ok ? '✔' : '✘'}</span> <strong>{s.title}</strong>
              {s.height ? `, block ${s.height}` : ''}
              {s.when ? `, ${s.when}` : ''}
              {s.whole ? '' : ' (receipt shown in part)'}
            </p>
            {s.proves.length > 0 && (
              <ul>
                {s.proves.map((w, j) => (
                  <li key={j}>{w}</li>
                ))}
              </ul>
            )}
            {s.portalSays.length > 0 && (
              <>
                <p class="note">Not proven by this receipt (the portal's word):</p>
                <ul>
                  {s.portalSays.map((w, j) => (
                    <li key={j}>{w}</li>
                  ))}
                </ul>
              </>
            )}
            {s.problem && <p class="error">{s.problem}</p>}
            {s.checks.length > 0 && (
              <details>
                <summary>The checks of this receipt</summary>
                <Checks checks={s.checks} />
              </details>
            )}
          </li>
        ))}
      </ol>
    </div>
  );
}

export function VerifyPage() {
  return (
    <Page title="Verify a receipt">
      <p>
        Check a receipt file (downloaded here or made with <code>almoner receipt</code>), or a gift's receipts (“Download all
        receipts”), against the consortium's genesis file.
      </p>
      <VerifyForm id="verify" />
    </Page>
  );
}

const TX = `query Tx($id: ID!) { transaction(id: $id) { id contract method sender height time receipt { status error events { contract type attrs { key value } } } } }`;

/** A printable receipt of a transaction (a gift: amount, campaign, block). */
export function PrintableReceipt({ id }: { id: string }) {
  const q = useQuery(TX, { id });
  return (
    <Page
      title="Receipt"
      actions={
        <button type="button" class="no-print" onClick={() => window.print()}>
          Print
        </button>
      }
    >
      <Show q={q} what="Loading the receipt">
        {(d: any) => {
          const t = d.transaction;
          if (!t) return <p>No committed transaction {id} that you may see.</p>;
          const ev = t.receipt.events.find((e: any) => e.type === 'gift_received');
          const attr = (k: string) => ev?.attrs.find((a: any) => a.key === k)?.value ?? '';
          return (
            <div class="printable">
              <dl class="facts wide">
                {ev && (
                  <>
                    <div><dt>Gift</dt><dd>{minorMoney(attr('amount'), attr('currency'))}</dd></div>
                    <div><dt>Campaign</dt><dd><CampaignTitle id={attr('campaign')} /></dd></div>
                    <div><dt>Charity</dt><dd><OrgName id={attr('charity')} /></dd></div>
                    <div><dt>Donor</dt><dd><Who id={attr('donor')} /></dd></div>
                  </>
                )}
                <div><dt>What</dt><dd>
                  <span title={`${t.contract}.${t.method}`}>{actionName(t.contract, t.method)}</span> by <Who id={t.sender} />
                </dd></div>
                <div><dt>When</dt><dd><Time value={t.time} /></dd></div>
                <div><dt>Block</dt><dd>{t.height}</dd></div>
                <div><dt>Status</dt><dd>{t.receipt.status === 'OK' ? 'Committed' : 'Failed'}{t.receipt.error ? `: ${t.receipt.error}` : ''}</dd></div>
                <div><dt>Transaction</dt><dd><code class="wrap-any">{t.id}</code></dd></div>
              </dl>
              <p class="note">
                Verify it offline: download the JSON receipt and run <code>almoner verify receipt.json</code>, or verify it on the gift's page.
              </p>
            </div>
          );
        }}
      </Show>
    </Page>
  );
}

const CAMPAIGN_TITLE = `query CampaignTitle($id: ID!) { campaign(id: $id) { id title } }`;

/** A campaign by its title (public), linked; the id on hover, and shown until the title is known. */
function CampaignTitle({ id }: { id: string }) {
  const q = useQuery<any>(CAMPAIGN_TITLE, { id }, !id);
  if (!id) return <span>—</span>;
  return (
    <Link href={`/campaigns/${encodeURIComponent(id)}`} title={id}>
      {q.data?.campaign?.title ?? id}
    </Link>
  );
}
