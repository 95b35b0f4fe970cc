// Receipts: download a transaction's proof as JSON (verifiable offline with
// `almoner verify`), open a printable receipt, and verify a proof in the
// browser against a genesis file the user trusts.
import { useState } from 'preact/hooks';
import { download, money, when } from '../format';
import { Link } from '../router';
import { Busy, ErrorBox, Field, Loading, Page, Show, toApiError } from '../ui';
import { useQuery } from '../ui';
import { parseProof, proofText, verifyProof, type Genesis, type Proof, type Verdict } from '../verify';
import { loadProof } from './Gifts';
import type { ApiError } from '../api';

export function ReceiptTools({ txId }: { txId: string }) {
  const [proof, setProof] = useState<Proof | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const get = async (): Promise<Proof | null> => {
    if (proof) return proof;
    setBusy(true);
    setError(null);
    try {
      const { proof: p } = await loadProof(txId);
      setProof(p);
      return p;
    } catch (e) {
      setError(toApiError(e));
      return null;
    } finally {
      setBusy(false);
    }
  };
  return (
    <section class="panel" aria-labelledby="receipt-title">
      <h2 id="receipt-title">Receipt</h2>
      <p>
        The receipt proves, to anyone who trusts only the consortium's genesis file, that this gift is in a block signed by the
        consortium's nodes.
      </p>
      <div class="row">
        <Busy
          type="button"
          busy={busy}
          onClick={async () => {
            const p = await get();
            if (p) download(`receipt-${txId.slice(0, 12)}.json`, 'application/json', proofText(p));
          }}
        >
          Download receipt (JSON)
        </Busy>
        <Link class="button" href={`/receipts/${txId}`}>
          Printable receipt
        </Link>
      </div>
      {error && <ErrorBox error={error} />}
      <VerifyForm getProof={get} />
    </section>
  );
}

function VerifyForm({ getProof }: { getProof?: () => Promise<Proof | null> }) {
  // The files are read when the form is submitted, so a quick submit never
  // races the reading.
  const [genesisFile, setGenesisFile] = useState<File | null>(null);
  const [proofFile, setProofFile] = useState<File | null>(null);
  const [verdict, setVerdict] = useState<Verdict | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const chosen = (set: (f: File | null) => void) => (e: Event) => {
    setVerdict(null);
    setProblem(null);
    set((e.currentTarget as HTMLInputElement).files?.[0] ?? null);
  };
  const read = async <T,>(f: File, what: string, parse: (text: string) => T): Promise<T> => {
    try {
      return parse(await f.text());
    } catch (e) {
      throw new Error(`That ${what} is unreadable: ${e instanceof Error ? e.message : e}`);
    }
  };
  return (
    <form
      class="verify"
      aria-labelledby="verify-title"
      onSubmit={async (e) => {
        e.preventDefault();
        setVerdict(null);
        setProblem(null);
        if (!genesisFile) return setProblem('Choose the genesis file first.');
        if (!getProof && !proofFile) return setProblem('Choose a receipt file first.');
        setBusy(true);
        try {
          const genesis = await read(genesisFile, 'genesis file', (t) => {
            const g = JSON.parse(t) as Genesis;
            if (!g.chain_id || !Array.isArray(g.nodes)) throw new Error('it has no chain_id and nodes');
            return g;
          });
          const p = getProof ? await getProof() : await read(proofFile!, 'receipt', parseProof);
          if (!p) return setProblem('The receipt could not be loaded.');
          setVerdict(await verifyProof(p, genesis));
        } catch (err) {
          setProblem(err instanceof Error ? err.message : String(err));
        } finally {
          setBusy(false);
        }
      }}
    >
      <h3 id="verify-title">Verify in this browser</h3>
      <p class="note">
        Nothing is sent anywhere: the checks run here, with the genesis file you trust (for the dev consortium:{' '}
        <code>.almoner/dev/genesis.json</code>).
      </p>
      {!getProof && (
        <Field label="Receipt file (JSON)">
          <input type="file" name="proof" accept="application/json,.json" onChange={chosen(setProofFile)} />
        </Field>
      )}
      <Field label="Genesis file (genesis.json)">
        <input type="file" name="genesis" accept="application/json,.json" onChange={chosen(setGenesisFile)} />
      </Field>
      <Busy type="submit" busy={busy}>
        Verify receipt
      </Busy>
      {busy && <Loading what="Verifying" />}
      {problem && (
        <p class="error" role="alert">
          {problem}
        </p>
      )}
      {verdict && (
        <div class={`verdict ${verdict.ok ? 'good' : 'bad'}`} role="status" aria-live="polite">
          <p class="verdict-line">{verdict.ok ? '✔ Verified: the receipt is genuine.' : '✘ Not verified: do not trust this receipt.'}</p>
          <ul>
            {verdict.checks.map((c) => (
              <li key={c.name} class={c.ok ? 'pass' : 'fail'}>
                <span aria-hidden="true">{c.ok ? '✔' : '✘'}</span> <strong>{c.name}</strong>
                <span class="sr-only">{c.ok ? ' passed' : ' failed'}</span>: {c.detail}
              </li>
            ))}
          </ul>
          {verdict.ok && verdict.states.length > 0 && (
            <>
              <p>
                <strong>What the consortium's nodes signed:</strong>
              </p>
              <ul class="states">
                {verdict.states.map((st) => (
                  <li key={st}>
                    <code>{st}</code>
                  </li>
                ))}
              </ul>
            </>
          )}
        </div>
      )}
    </form>
  );
}

export function VerifyPage() {
  return (
    <Page title="Verify a receipt">
      <p>Check a receipt file (downloaded here or made with <code>almoner receipt</code>) against a genesis file.</p>
      <VerifyForm />
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
                    <div><dt>Gift</dt><dd>{money(Number(attr('amount')), attr('currency'))}</dd></div>
                    <div><dt>Campaign</dt><dd>{attr('campaign')}</dd></div>
                    <div><dt>Charity</dt><dd>{attr('charity')}</dd></div>
                    <div><dt>Donor</dt><dd>{attr('donor')}</dd></div>
                  </>
                )}
                <div><dt>Transaction</dt><dd><code>{t.id}</code></dd></div>
                <div><dt>Call</dt><dd>{t.contract}.{t.method} by {t.sender}</dd></div>
                <div><dt>Block</dt><dd>{t.height}, {when(t.time)}</dd></div>
                <div><dt>Status</dt><dd>{t.receipt.status}{t.receipt.error ? `: ${t.receipt.error}` : ''}</dd></div>
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
