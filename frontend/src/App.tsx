// The app shell: session, navigation per role, the role switcher and the
// routes.
import { useCallback, useEffect, useState } from 'preact/hooks';
import { currentSession, gql, signIn, signOut } from './api';
import { Link, match, navigate, useLocation } from './router';
import { SessionContext, has, roleNames, type Viewer } from './session';
import { ErrorBox, Loading, Page, toApiError } from './ui';
import { Campaign, Campaigns } from './views/Campaigns';
import { AdminHome } from './views/Admin';
import { AccountView, BlockView, Explorer, RecordView, TxView } from './views/Explorer';
import { CharityHome } from './views/Charity';
import { Claim, ClaimQueue } from './views/Claims';
import { Gift, MyGifts } from './views/Gifts';
import { InboxPage } from './views/Inbox';
import { PatientHome } from './views/Patient';
import { StaffHome } from './views/Staff';
import { PrintableReceipt, VerifyPage } from './views/Receipt';
import { ChangePassword, SignIn, homeFor, useDevAccounts } from './views/SignIn';
import type { ApiError } from './api';
import type { ComponentChildren } from 'preact';

const VIEWER = `{ viewer { account member { roles organisation { id kind name } } } }`;

async function loadViewer(): Promise<Viewer | null> {
  const s = await currentSession();
  if (!s) return null;
  if (s.mustChangePassword) return { account: s.account, roles: [], org: null, mustChangePassword: true };
  const d = await gql<any>(VIEWER);
  const m = d.viewer?.member;
  return { account: s.account, roles: m?.roles ?? [], org: m?.organisation ?? null };
}

interface NavItem {
  href: string;
  label: string;
  show: (v: Viewer | null) => boolean;
}

const nav: NavItem[] = [
  { href: '/', label: 'Campaigns', show: () => true },
  { href: '/gifts', label: 'My gifts', show: (v) => has(v, 'donor') },
  { href: '/claims', label: 'Claims', show: (v) => has(v, 'claims_adjuster', 'auditor') },
  { href: '/patient', label: 'My health data', show: (v) => has(v, 'patient') },
  { href: '/charity', label: 'Charity', show: (v) => has(v, 'charity_officer', 'milestone_validator', 'auditor') },
  { href: '/staff', label: 'Hospital', show: (v) => has(v, 'physician', 'records_clerk', 'privacy_officer', 'auditor') },
  { href: '/admin', label: 'Consortium', show: (v) => has(v, 'consortium_admin', 'org_admin', 'auditor') },
  { href: '/inbox', label: 'Inbox', show: (v) => !!v },
  { href: '/explorer', label: 'Explorer', show: (v) => !!v },
  { href: '/verify', label: 'Verify a receipt', show: () => true },
];

type Route = [string, (p: Record<string, string>) => ComponentChildren, ((v: Viewer | null) => boolean)?];

const routes: Route[] = [
  ['/', () => <Campaigns />],
  ['/campaigns/:id', (p) => <Campaign id={p.id} />],
  ['/gifts', () => <MyGifts />, (v) => !!v],
  ['/gifts/:id', (p) => <Gift id={p.id} />, (v) => !!v],
  ['/receipts/:id', (p) => <PrintableReceipt id={p.id} />, (v) => !!v],
  ['/verify', () => <VerifyPage />],
  ['/claims', () => <ClaimQueue />, (v) => !!v],
  ['/claims/:id', (p) => <Claim id={p.id} />, (v) => !!v],
  ['/patient', () => <PatientHome />, (v) => !!v],
  ['/admin', () => <AdminHome />, (v) => !!v],
  ['/charity', () => <CharityHome />, (v) => !!v],
  ['/staff', () => <StaffHome />, (v) => !!v],
  ['/inbox', () => <InboxPage />, (v) => !!v],
  ['/explorer', () => <Explorer />, (v) => !!v],
  ['/explorer/blocks/:h', (p) => <BlockView height={Number(p.h)} />, (v) => !!v],
  ['/explorer/tx/:id', (p) => <TxView id={p.id} />, (v) => !!v],
  ['/explorer/accounts/:id', (p) => <AccountView id={p.id} />, (v) => !!v],
  ['/explorer/records/:id', (p) => <RecordView id={p.id} />, (v) => !!v],
  ['/signin', () => <SignIn />],
  ['/account/password', () => <ChangePassword />, (v) => !!v],
];

export function App() {
  const [viewer, setViewer] = useState<Viewer | null>(null);
  const [ready, setReady] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const refresh = useCallback(async () => {
    try {
      setViewer(await loadViewer());
      setError(null);
    } catch (e) {
      setError(toApiError(e));
    } finally {
      setReady(true);
    }
  }, []);
  useEffect(() => {
    refresh();
  }, [refresh]);
  const { path } = useLocation();
  // On a phone the menu is collapsed behind a button; it closes on navigation.
  const [menu, setMenu] = useState(false);
  useEffect(() => {
    setMenu(false);
    document.getElementById('page-title')?.focus({ preventScroll: true });
  }, [path]);

  let body: ComponentChildren = null;
  if (!ready) body = <Loading what="Starting" />;
  else if (error) body = <ErrorBox error={error} retry={refresh} />;
  else if (viewer?.mustChangePassword) body = <ChangePassword initial />;
  else {
    for (const [pattern, view, allowed] of routes) {
      const params = match(pattern, path);
      if (!params) continue;
      body =
        allowed && !allowed(viewer) ? (
          <Page title="Sign in needed">
            <p>
              <Link href={`/signin?next=${encodeURIComponent(path)}`}>Sign in</Link> to see this page.
            </p>
          </Page>
        ) : (
          view(params)
        );
      break;
    }
    if (body === null)
      body = (
        <Page title="Page not found">
          <p>
            Nothing here. <Link href="/">Back to the campaigns</Link>
          </p>
        </Page>
      );
  }
  return (
    <SessionContext.Provider value={{ viewer, refresh }}>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class={`top${menu ? ' open' : ''}`}>
        <Link href="/" class="brand">
          Almoner
        </Link>
        <button type="button" class="menu-toggle secondary" aria-expanded={menu} aria-controls="main-menu" onClick={() => setMenu(!menu)}>
          {menu ? 'Close menu' : 'Menu'}
        </button>
        <nav aria-label="Main" id="main-menu">
          <ul>
            {nav
              .filter((n) => n.show(viewer))
              .map((n) => (
                <li key={n.href}>
                  <Link href={n.href} aria-current={path === n.href ? 'page' : undefined}>
                    {n.label}
                  </Link>
                </li>
              ))}
          </ul>
        </nav>
        <Account viewer={viewer} refresh={refresh} />
      </header>
      <main id="main">{body}</main>
      <footer class="foot">
        Almoner · a consortium ledger for charity, medical records and insurance · <a href="/graphiql">GraphQL console</a>
      </footer>
    </SessionContext.Provider>
  );
}

function Account({ viewer, refresh }: { viewer: Viewer | null; refresh: () => Promise<void> }) {
  const demos = useDevAccounts();
  const [busy, setBusy] = useState(false);
  const [err, setErr] = useState<ApiError | null>(null);
  const act = async (fn: () => Promise<unknown>) => {
    setBusy(true);
    setErr(null);
    try {
      await fn();
    } catch (e) {
      setErr(toApiError(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <div class="account">
      {demos.length > 0 && (
        <label class="switcher">
          <span>Demo role</span>
          <select
            name="role-switcher"
            disabled={busy}
            value={viewer?.account ?? ''}
            onChange={(e) => {
              const d = demos.find((x) => x.account === e.currentTarget.value);
              if (d)
                act(async () => {
                  await signIn(d.account, d.password);
                  await refresh();
                  navigate(homeFor(d.roles));
                });
            }}
          >
            {!viewer && <option value="">Choose…</option>}
            {demos.map((d) => (
              <option key={d.account} value={d.account}>
                {d.account} — {d.roles.map((r) => roleNames[r] ?? r).join(', ')}
              </option>
            ))}
          </select>
        </label>
      )}
      {viewer ? (
        <>
          <Link class="who" href="/account/password" title={`${viewer.roles.map((r) => roleNames[r] ?? r).join(', ')} · change password`}>
            {viewer.account}
          </Link>
          <button
            type="button"
            class="secondary"
            disabled={busy}
            onClick={() =>
              act(async () => {
                await signOut();
                await refresh();
                navigate('/');
              })
            }
          >
            Sign out
          </button>
        </>
      ) : (
        <Link class="button" href="/signin">
          Sign in
        </Link>
      )}
      {err && <ErrorBox error={err} />}
    </div>
  );
}
