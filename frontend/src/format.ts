// Formatting of amounts, times and ids, in the viewer's own locale (the
// browser's language) and time zone. The portal gives amounts (the GraphQL
// Amount scalar) as people write money: a decimal string in the currency's
// major unit with its decimals ("250.00" EUR, "250" JPY); the ledger's
// events (receipts, the explorer) carry integer minor units.

/** ISO 4217 currencies whose minor unit is not two decimals (as the portal's consortium-node/money). */
const SCALES: Record<string, number> = {
  BIF: 0, CLP: 0, DJF: 0, GNF: 0, ISK: 0, JPY: 0, KMF: 0, KRW: 0, PYG: 0, RWF: 0, UGX: 0, UYI: 0, VND: 0, VUV: 0,
  XAF: 0, XOF: 0, XPF: 0, BHD: 3, IQD: 3, JOD: 3, KWD: 3, LYD: 3, OMR: 3, TND: 3, CLF: 4, UYW: 4,
};

/** How many decimals a currency has (ISO 4217; 2 unless listed). */
export function scale(currency: string): number {
  return SCALES[currency] ?? 2;
}

const fmts = new Map<string, (v: string) => string>();

function formatter(currency: string, digits: number): (v: string) => string {
  const key = `${currency}/${digits}`;
  let f = fmts.get(key);
  if (!f) {
    const opts = { minimumFractionDigits: digits, maximumFractionDigits: digits };
    let nf: Intl.NumberFormat;
    let code = '';
    try {
      nf = new Intl.NumberFormat(undefined, { style: 'currency', currency, ...opts });
    } catch {
      nf = new Intl.NumberFormat(undefined, opts);
      code = currency ? ` ${currency}` : '';
    }
    // A decimal string is formatted exactly (Intl.NumberFormat v3); older
    // engines read it as a number, exact for amounts up to 2^50 minor units.
    const format = nf.format as unknown as (v: string) => string;
    f = (v: string) => format.call(nf, v) + code;
    fmts.set(key, f);
  }
  return f;
}

/**
 * Formats an amount from the portal, a decimal string in the currency's
 * major unit ("123.45"), in the viewer's locale with its currency and
 * decimals: €123.45 (en), 123,45 € (de).
 */
export function money(value: string, currency: string): string {
  const digits = Math.max(scale(currency), (String(value).split('.')[1] ?? '').length);
  return formatter(currency, digits)(String(value));
}

/** Formats integer minor units of a currency (a ledger event's amount, a sum): 12345 EUR -> €123.45. */
export function minorMoney(minor: number | string, currency: string): string {
  return money(decimal(minor, currency), currency);
}

/**
 * Minor units of an amount from the portal ("123.45" EUR -> 12345, "-0.50"
 * -> -50), for sums and comparisons (exact: amounts are at most 2^50).
 */
export function minorOf(value: string, currency: string): number {
  const s = String(value).trim();
  const neg = s.startsWith('-');
  const [whole, frac = ''] = (neg ? s.slice(1) : s).split('.');
  const d = scale(currency);
  const n = Number(whole + frac.padEnd(d, '0').slice(0, d));
  return neg ? -n : n;
}

/**
 * Decimal text of minor units in the currency's major unit, as the portal
 * writes and takes amounts: 12345 EUR -> "123.45", 250 JPY -> "250".
 */
export function decimal(minor: number | string, currency: string): string {
  let s = typeof minor === 'number' ? Math.trunc(minor).toString() : minor.trim();
  const neg = s.startsWith('-');
  if (neg) s = s.slice(1);
  const d = scale(currency);
  if (d > 0) {
    s = s.padStart(d + 1, '0');
    s = `${s.slice(0, -d)}.${s.slice(-d)}`;
  }
  return neg ? `-${s}` : s;
}

/**
 * Parses an amount typed by a user in a currency ("80", "80.50", "80,50")
 * into minor units, or null: not an amount, zero, more decimals than the
 * currency has, or over 2^50 minor units.
 */
export function parseAmount(s: string, currency: string): number | null {
  const d = scale(currency);
  const m = /^\s*(\d{1,16})(?:[.,](\d{1,4}))?\s*$/.exec(s);
  if (!m || (m[2] ?? '').length > d) return null;
  const v = Number(m[1] + (m[2] ?? '').padEnd(d, '0'));
  return v > 0 && v <= 2 ** 50 ? v : null;
}

/** A date and time in the viewer's locale and time zone. */
export function when(t: string | null | undefined): string {
  if (!t) return '—';
  const d = new Date(t);
  return isNaN(d.getTime()) ? t : d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

/** A date in the viewer's locale. */
export function day(t: string | null | undefined): string {
  if (!t) return '—';
  // A date alone (FHIR's "2026-01-02") is that day wherever the viewer is, not midnight UTC.
  const ymd = /^(\d{4})-(\d{2})-(\d{2})$/.exec(t);
  const d = ymd ? new Date(Number(ymd[1]), Number(ymd[2]) - 1, Number(ymd[3])) : new Date(t);
  return isNaN(d.getTime()) ? t : d.toLocaleDateString(undefined, { dateStyle: 'medium' });
}

/** How long ago t was, short: "3 d", "5 h", "12 min". */
export function age(t: string | null | undefined, now = Date.now()): string {
  if (!t) return '—';
  const ms = now - new Date(t).getTime();
  if (!Number.isFinite(ms)) return '—';
  const min = Math.max(0, Math.round(ms / 60000));
  if (min < 60) return `${min} min`;
  const h = Math.round(min / 60);
  if (h < 48) return `${h} h`;
  return `${Math.round(h / 24)} d`;
}

/** The first 10 characters of a long hex id, for display (the full id is in the title). */
export function short(id: string): string {
  return id.length > 14 ? id.slice(0, 10) + '…' : id;
}

export function pct(part: number, whole: number): number {
  return whole > 0 ? Math.min(100, Math.round((part / whole) * 100)) : 0;
}

/** A label for an enum value: IN_REVIEW -> in review. */
export function label(v: string): string {
  return v.toLowerCase().replace(/_/g, ' ');
}

/** Starts a download of text as a file (a same-origin blob URL). */
export function download(name: string, type: string, text: string) {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

/** Pretty-prints JSON text (as it is when it does not parse). */
export function pretty(json: string): string {
  try {
    return JSON.stringify(JSON.parse(json), null, 2);
  } catch {
    return json;
  }
}
