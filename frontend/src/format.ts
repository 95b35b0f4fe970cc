// Formatting of amounts (integer minor units), times and ids, in the
// viewer's own locale (the browser's language) and time zone.

const fmts = new Map<string, Intl.NumberFormat>();

/**
 * Formats integer minor units of an ISO 4217 currency in the viewer's
 * locale with the currency's decimals, e.g. 12345 EUR -> €123.45 (en),
 * 123,45 € (de).
 */
export function money(minor: number | string, currency: string): string {
  let f = fmts.get(currency);
  if (!f) {
    try {
      f = new Intl.NumberFormat(undefined, { style: 'currency', currency });
    } catch {
      f = new Intl.NumberFormat(undefined, { minimumFractionDigits: 2, maximumFractionDigits: 2 });
    }
    fmts.set(currency, f);
  }
  const digits = f.resolvedOptions().maximumFractionDigits ?? 2;
  return f.format(Number(minor) / 10 ** digits);
}

/** Parses a decimal amount typed by a user into minor units (2 decimals), or null. */
export function parseAmount(s: string): number | null {
  const m = /^\s*(\d{1,12})(?:[.,](\d{1,2}))?\s*$/.exec(s);
  if (!m) return null;
  const v = Number(m[1]) * 100 + Number((m[2] ?? '').padEnd(2, '0'));
  return v > 0 ? v : null;
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
  const d = new Date(t);
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

/** Decimal text of minor units for an input (2 decimals): 12345 -> 123.45. */
export function decimal(minor: number): string {
  return (minor / 100).toFixed(2);
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
