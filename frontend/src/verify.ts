// Offline verification of a receipt proof in the browser, trusting only a
// genesis file: the same checks as consortium-node/ledger ReceiptProof.Verify
// (and `almoner verify`): the receipt is the transaction's, both are in the
// block under its RFC 6962 roots, and a quorum of the genesis node keys
// signed the block header (Ed25519, WebCrypto). The header and receipt are
// re-encoded with CBOR core deterministic encoding, as the ledger hashes them.

export interface Proof {
  chain_id: string;
  tx: string; // base64
  receipt: { tx_id: string; status: number; error?: string; events: Ev[] | null };
  index: number;
  size: number;
  tx_path: string[] | null;
  receipt_path: string[] | null;
  header: {
    chain_id: string;
    height: number;
    time: number | string; // Unix nanoseconds (see exactTime)
    prev_hash: string;
    tx_root: string;
    receipt_root: string;
    state_hash: string;
    proposer: string;
  };
  signatures: { node: string; alg: number; sig: string }[] | null;
}

interface Ev {
  contract: string;
  type: string;
  attrs: { key: string; value: string }[] | null;
}

export interface Genesis {
  chain_id: string;
  nodes: { id: string; sign_key: string }[];
}

export interface Check {
  name: string;
  ok: boolean;
  detail: string;
}

export interface Verdict {
  ok: boolean;
  checks: Check[];
  /** What the receipt states (its events), meaningful only when ok. */
  states: string[];
}

// ---- encodings -------------------------------------------------------------

export function hexToBytes(h: string): Uint8Array {
  if (!/^([0-9a-f]{2})*$/i.test(h)) throw new Error(`not hex: ${h.slice(0, 16)}`);
  const out = new Uint8Array(h.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(h.slice(2 * i, 2 * i + 2), 16);
  return out;
}

export function bytesToHex(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

export function b64ToBytes(s: string): Uint8Array {
  const std = s.replace(/-/g, '+').replace(/_/g, '/');
  const bin = atob(std + '='.repeat((4 - (std.length % 4)) % 4));
  return Uint8Array.from(bin, (c) => c.charCodeAt(0));
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

// CBOR core deterministic encoding: shortest heads, definite lengths.
function head(major: number, n: bigint): Uint8Array {
  const m = major << 5;
  if (n < 24n) return Uint8Array.of(m | Number(n));
  const sizes: [number, number][] = [
    [24, 1],
    [25, 2],
    [26, 4],
    [27, 8],
  ];
  for (const [ai, len] of sizes) {
    if (n < 1n << BigInt(8 * len)) {
      const out = new Uint8Array(1 + len);
      out[0] = m | ai;
      for (let i = len; i >= 1; i--) {
        out[i] = Number(n & 0xffn);
        n >>= 8n;
      }
      return out;
    }
  }
  throw new Error('integer too large for CBOR');
}

const cUint = (n: bigint | number) => head(0, BigInt(n));
const cInt = (n: bigint) => (n >= 0n ? head(0, n) : head(1, -1n - n));
const cBytes = (b: Uint8Array) => concat([head(2, BigInt(b.length)), b]);
const cText = (s: string) => {
  const b = new TextEncoder().encode(s);
  return concat([head(3, BigInt(b.length)), b]);
};
const cArray = (items: Uint8Array[] | null) => (items === null ? Uint8Array.of(0xf6) : concat([head(4, BigInt(items.length)), ...items]));

/** The header time in exact Unix nanoseconds (JSON numbers above 2^53 lose digits). */
export function exactTime(t: number | string): bigint {
  if (typeof t === 'string') {
    if (/^-?\d+$/.test(t)) return BigInt(t);
    // RFC 3339 with nanoseconds, as GraphQL's Block.time gives it.
    const m = /^(.*T\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)$/.exec(t);
    if (!m) throw new Error(`unreadable time ${t}`);
    const secs = Date.parse(m[1] + m[3]);
    if (isNaN(secs)) throw new Error(`unreadable time ${t}`);
    return BigInt(secs / 1000) * 1_000_000_000n + BigInt((m[2] ?? '').padEnd(9, '0'));
  }
  if (!Number.isSafeInteger(t)) throw new Error('the header time lost precision in transit');
  return BigInt(t);
}

export function encodeHeader(h: Proof['header']): Uint8Array {
  return cArray([
    cText(h.chain_id),
    cUint(h.height),
    cInt(exactTime(h.time)),
    cBytes(hexToBytes(h.prev_hash)),
    cBytes(hexToBytes(h.tx_root)),
    cBytes(hexToBytes(h.receipt_root)),
    cBytes(hexToBytes(h.state_hash)),
    cText(h.proposer),
  ]);
}

export function encodeReceipt(r: Proof['receipt']): Uint8Array {
  return cArray([
    cBytes(hexToBytes(r.tx_id)),
    cUint(r.status),
    cText(r.error ?? ''),
    cArray(
      r.events === null
        ? null
        : r.events.map((e) =>
            cArray([cText(e.contract), cText(e.type), cArray(e.attrs === null ? null : e.attrs.map((a) => cArray([cText(a.key), cText(a.value)])))]),
          ),
    ),
  ]);
}

// ---- hashing and RFC 6962 ----------------------------------------------------

async function sha256(b: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest('SHA-256', b as BufferSource));
}

const leafHash = (b: Uint8Array) => sha256(concat([Uint8Array.of(0), b]));
const nodeHash = (l: Uint8Array, r: Uint8Array) => sha256(concat([Uint8Array.of(1), l, r]));

/** RFC 6962 / RFC 9162 inclusion proof verification: the root the path leads to. */
export async function rootFromInclusion(index: number, size: number, leaf: Uint8Array, path: Uint8Array[]): Promise<Uint8Array> {
  if (index >= size) throw new Error(`index ${index} is beyond the tree size ${size}`);
  let fn = index;
  let sn = size - 1;
  let r = leaf;
  for (const p of path) {
    if (sn === 0) throw new Error('the audit path is too long');
    if (fn % 2 === 1 || fn === sn) {
      r = await nodeHash(p, r);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      r = await nodeHash(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  if (sn !== 0) throw new Error('the audit path is too short');
  return r;
}

const equal = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((x, i) => x === b[i]);

const headerSigDomain = new TextEncoder().encode('almoner/header/v1\0');

// ---- the verification ----------------------------------------------------------

/** Verifies a proof against a genesis file; every check is reported. */
export async function verifyProof(p: Proof, g: Genesis): Promise<Verdict> {
  const checks: Check[] = [];
  const add = (name: string, ok: boolean, detail: string) => checks.push({ name, ok, detail });
  const run = async (name: string, fn: () => Promise<string>) => {
    try {
      add(name, true, await fn());
    } catch (e) {
      add(name, false, e instanceof Error ? e.message : String(e));
    }
  };
  await run('Chain', async () => {
    if (p.chain_id !== g.chain_id || p.header.chain_id !== g.chain_id)
      throw new Error(`the proof is for chain "${p.header.chain_id}", the genesis file for "${g.chain_id}"`);
    return `chain ${g.chain_id}`;
  });
  const tx = b64ToBytes(p.tx);
  await run('Receipt belongs to the transaction', async () => {
    const id = bytesToHex(await sha256(tx));
    if (id !== p.receipt.tx_id) throw new Error(`the receipt is for ${p.receipt.tx_id} but the transaction hashes to ${id}`);
    return `transaction ${id}`;
  });
  await run('Transaction is in the block', async () => {
    const root = await rootFromInclusion(p.index, p.size, await leafHash(tx), (p.tx_path ?? []).map(b64ToBytes));
    if (!equal(root, hexToBytes(p.header.tx_root))) throw new Error(`the Merkle path does not lead to block ${p.header.height}'s transaction root`);
    return `position ${p.index + 1} of ${p.size} in block ${p.header.height}`;
  });
  await run('Receipt is in the block', async () => {
    const root = await rootFromInclusion(p.index, p.size, await leafHash(encodeReceipt(p.receipt)), (p.receipt_path ?? []).map(b64ToBytes));
    if (!equal(root, hexToBytes(p.header.receipt_root))) throw new Error(`the Merkle path does not lead to block ${p.header.height}'s receipt root`);
    return `status ${p.receipt.status === 1 ? 'OK' : 'FAILED'}`;
  });
  await run('Block signed by a quorum of the genesis nodes', async () => {
    const hh = await sha256(encodeHeader(p.header));
    const msg = concat([headerSigDomain, hh]);
    const quorum = Math.floor(g.nodes.length / 2) + 1;
    const valid = new Set<string>();
    for (const s of p.signatures ?? []) {
      const n = g.nodes.find((x) => x.id === s.node);
      if (!n || valid.has(s.node) || s.alg !== 1 || !n.sign_key.startsWith('ed25519:')) continue;
      const key = await crypto.subtle.importKey('raw', b64ToBytes(n.sign_key.slice(8)) as BufferSource, { name: 'Ed25519' }, false, ['verify']);
      if (await crypto.subtle.verify({ name: 'Ed25519' }, key, b64ToBytes(s.sig) as BufferSource, msg as BufferSource)) valid.add(s.node);
    }
    if (valid.size < quorum) throw new Error(`${valid.size} valid signature(s) of the ${quorum} needed`);
    return `${valid.size} of ${g.nodes.length} nodes (quorum ${quorum}): ${[...valid].join(', ')}; header ${bytesToHex(hh).slice(0, 16)}…`;
  });
  return { ok: checks.every((c) => c.ok), checks, states: statements(p) };
}

/** One line per event of the receipt, e.g. "donation.gift_received: amount 1234, campaign …". */
function statements(p: Proof): string[] {
  return (p.receipt.events ?? []).map(
    (e) => `${e.contract}.${e.type}: ${(e.attrs ?? []).filter((a) => a.value !== '').map((a) => `${a.key} ${a.value}`).join(', ')}`,
  );
}

/**
 * Parses a proof file's text, keeping the header time exact (it is a JSON
 * number of nanoseconds, above what a float holds).
 */
export function parseProof(text: string): Proof {
  const m = /"time"\s*:\s*(-?\d+)/.exec(text);
  const p = JSON.parse(text) as Proof;
  if (!p || typeof p !== 'object' || !p.header || !p.receipt) throw new Error('this is not a receipt proof');
  if (m) p.header.time = m[1];
  return p;
}

/** Writes a proof as a file's text with the header time as an exact JSON number. */
export function proofText(p: Proof): string {
  const t = exactTime(p.header.time).toString();
  const copy = { ...p, header: { ...p.header, time: 0 } };
  return JSON.stringify(copy, null, 2).replace(/"time": 0/, `"time": ${t}`);
}
