// The member's inbox: notices in words (accesses to my records, emergency
// accesses, consent requests, my claims, my gifts: names and labels, the
// portal's words), newest first, live as blocks commit, the id of what
// each is about on hover; kinds switched on and off; marked read.
import { useEffect, useState } from 'preact/hooks';
import { gql } from '../api';
import { when } from '../format';
import { ErrorBox, Page, Show, useQuery, useSubscription, toApiError } from '../ui';
import type { ApiError } from '../api';

const INBOX = `{ inbox(first: 50) { unread notices { id kind text ref time } hasNextPage } notificationSettings { kinds muted } }`;
const LIVE = `subscription { inboxAlerts { id kind text ref time } }`;

/** The kinds of notice, in words. */
export const KINDS: Record<string, string> = {
  ACCESS: 'Someone read, or tried to read, one of my records',
  BREAK_GLASS: 'An emergency access to one of my records',
  CONSENT_REQUEST: 'A request for my consent',
  CLAIM: 'A claim for my care changed',
  GIFT: 'My gift was disbursed or refunded',
};

export function InboxPage() {
  const q = useQuery<any>(INBOX);
  const live = useSubscription<any>(LIVE, {});
  const [fresh, setFresh] = useState<any[]>([]);
  const [error, setError] = useState<ApiError | null>(null);
  useEffect(() => {
    const n = live.data?.inboxAlerts;
    if (n) setFresh((xs) => (xs.some((x) => x.id === n.id) ? xs : [n, ...xs]));
  }, [live.data]);
  const act = async (run: () => Promise<unknown>) => {
    setError(null);
    try {
      await run();
      setFresh([]);
      q.reload();
    } catch (e) {
      setError(toApiError(e));
    }
  };
  return (
    <Page title="Inbox">
      {error && <ErrorBox error={error} />}
      <Show q={q} what="Loading your inbox">
        {(d: any) => {
          const known = new Set(d.inbox.notices.map((n: any) => n.id));
          const all = [...fresh.filter((n) => !known.has(n.id)), ...d.inbox.notices];
          const muted: string[] = d.notificationSettings.muted;
          const unread = d.inbox.unread + fresh.filter((n) => !known.has(n.id)).length;
          return (
            <>
              <p>
                {unread === 0 ? 'Nothing unread.' : `${unread} unread.`}{' '}
                {unread > 0 && (
                  <button type="button" onClick={() => act(() => gql(`mutation { markInboxRead }`))}>
                    Mark all read
                  </button>
                )}
              </p>
              {all.length === 0 ? (
                <p>No notices yet: you are told here when someone reads your records, asks for your consent, or moves your money.</p>
              ) : (
                <ul class="inbox" aria-label="Notices">
                  {all.map((n: any) => (
                    <li key={n.id} class={n.kind === 'BREAK_GLASS' ? 'urgent' : ''}>
                      <strong>{KINDS[n.kind] ?? n.kind}</strong>
                      <div title={n.ref ?? undefined}>{n.text}</div>
                      <div class="muted">{when(n.time)}</div>
                    </li>
                  ))}
                </ul>
              )}
              <fieldset>
                <legend>Tell me about</legend>
                {Object.entries(KINDS).map(([k, text]) => (
                  <label key={k} class="check">
                    <input
                      type="checkbox"
                      checked={!muted.includes(k)}
                      onChange={(e) => {
                        const next = e.currentTarget.checked ? muted.filter((m) => m !== k) : [...muted, k];
                        act(() => gql(`mutation($m: [NotificationKind!]!) { setNotifications(muted: $m) { muted } }`, { m: next }));
                      }}
                    />{' '}
                    {text}
                  </label>
                ))}
              </fieldset>
              <p class="live">{live.error ? <span class="warn">Live notices stopped: {live.error.message}</span> : 'New notices appear here as they happen.'}</p>
            </>
          );
        }}
      </Show>
    </Page>
  );
}
