// Display of ledger values for people: times in the viewer's own locale and
// time zone (with a relative hint), and long hashes and ids shortened or
// wrapped, never overflowing, each with a copy button.
import { useEffect, useRef, useState } from 'preact/hooks';

/**
 * A time from the ledger or the API as a Date, or null when there is none:
 * RFC 3339 text, or Unix time as a number or digits in seconds (up to 11
 * digits), milliseconds (12 to 14) or nanoseconds (16 and more). 0 and ''
 * are "none".
 */
export function toDate(v: string | number | null | undefined): Date | null {
  if (v === null || v === undefined || v === '' || v === 0 || v === '0') return null;
  const s = String(v).trim();
  let ms: number;
  if (/^-?\d+$/.test(s)) {
    const digits = s.replace('-', '').length;
    if (digits <= 11) ms = Number(s) * 1000;
    else if (digits <= 14) ms = Number(s);
    else ms = Number(BigInt(s) / 1_000_000n);
  } else {
    ms = Date.parse(s);
  }
  if (!Number.isFinite(ms)) return null;
  const d = new Date(ms);
  return isNaN(d.getTime()) ? null : d;
}

/** A date and time in the viewer's locale and time zone, e.g. "5 Dec 2025, 17:57" (en-GB) or "Dec 5, 2025, 5:57 PM" (en-US). */
export function localTime(d: Date, seconds = false): string {
  return d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: seconds ? 'medium' : 'short' });
}

/** A date in the viewer's locale. */
export function localDay(d: Date): string {
  return d.toLocaleDateString(undefined, { dateStyle: 'long' });
}

const units: [Intl.RelativeTimeFormatUnit, number][] = [
  ['year', 365 * 24 * 3600],
  ['month', 30 * 24 * 3600],
  ['week', 7 * 24 * 3600],
  ['day', 24 * 3600],
  ['hour', 3600],
  ['minute', 60],
  ['second', 1],
];

/** How long ago or ahead d is, in the viewer's language: "3 minutes ago", "in 2 days". */
export function relativeTime(d: Date, now = Date.now()): string {
  const secs = Math.round((d.getTime() - now) / 1000);
  const rtf = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });
  for (const [unit, size] of units) {
    // 59.9 minutes reads "1 hour", not "60 minutes".
    if (Math.abs(secs) >= size * 0.9 || unit === 'second') return rtf.format(Math.round(secs / size), unit);
  }
  return rtf.format(0, 'second');
}

/** A <time> in the viewer's locale with a relative hint; the exact UTC time on hover. */
export function Time({ value, relative = true, seconds = false, none = '—' }: { value: string | number | null | undefined; relative?: boolean; seconds?: boolean; none?: string }) {
  const d = toDate(value);
  if (!d) return <span>{none}</span>;
  return (
    <time dateTime={d.toISOString()} title={d.toISOString()}>
      {localTime(d, seconds)}
      {relative && <span class="rel"> ({relativeTime(d)})</span>}
    </time>
  );
}

/** The first and last characters of a long value: 3f2a9c1b…0a41. */
export function shorten(v: string, head = 10, tail = 4): string {
  return v.length > head + tail + 1 ? `${v.slice(0, head)}…${v.slice(-tail)}` : v;
}

async function copyText(text: string): Promise<boolean> {
  try {
    if (navigator.clipboard && window.isSecureContext) {
      await navigator.clipboard.writeText(text);
      return true;
    }
  } catch {
    /* fall back below */
  }
  // Plain http on another host: the clipboard API is not offered.
  const ta = document.createElement('textarea');
  ta.value = text;
  ta.setAttribute('readonly', '');
  ta.style.position = 'fixed';
  ta.style.opacity = '0';
  document.body.appendChild(ta);
  ta.select();
  let ok = false;
  try {
    ok = document.execCommand('copy');
  } catch {
    ok = false;
  }
  ta.remove();
  return ok;
}

/** A small button that copies text, saying so for a moment. */
export function CopyButton({ text, what }: { text: string; what: string }) {
  const [state, setState] = useState<'idle' | 'copied' | 'failed'>('idle');
  const timer = useRef<number | undefined>(undefined);
  useEffect(() => () => window.clearTimeout(timer.current), []);
  return (
    <button
      type="button"
      class="copy"
      aria-label={`Copy ${what}`}
      title={`Copy ${what}`}
      onClick={async () => {
        setState((await copyText(text)) ? 'copied' : 'failed');
        window.clearTimeout(timer.current);
        timer.current = window.setTimeout(() => setState('idle'), 2000);
      }}
    >
      {state === 'copied' ? 'Copied' : state === 'failed' ? 'Select it' : 'Copy'}
    </button>
  );
}

/**
 * A hash or long id: shortened (the whole value on hover) or, with full,
 * wrapped at any character; either way with a copy button and never wider
 * than its container.
 */
export function Hash({ value, what = 'value', full = false }: { value: string; what?: string; full?: boolean }) {
  return (
    <span class={`hash${full ? ' full' : ''}`}>
      <code title={value}>{full ? value : shorten(value)}</code>
      <CopyButton text={value} what={what} />
    </span>
  );
}
