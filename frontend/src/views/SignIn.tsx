// Sign-in, and the role switcher of a development portal's demo accounts.
import { useEffect, useState } from 'preact/hooks';
import { devAccounts, gql, signIn, type DevAccount } from '../api';
import { navigate } from '../router';
import { roleNames, useViewer } from '../session';
import { ActionForm, Busy, ErrorBox, Field, Page, RunButton, useAction } from '../ui';

export function SignIn() {
  const { refresh } = useViewer();
  const [account, setAccount] = useState('');
  const [password, setPassword] = useState('');
  const a = useAction();
  const next = new URLSearchParams(location.search).get('next') || '/';
  return (
    <Page title="Sign in">
      <ActionForm
        class="panel narrow"
        a={a}
        run={async () => {
          await signIn(account.trim(), password);
          await refresh();
          navigate(next.startsWith('/') ? next : '/');
        }}
      >
        <Field label="Account">
          <input name="account" autoComplete="username" required value={account} onInput={(e) => setAccount(e.currentTarget.value)} placeholder="hope/donor-sam" />
        </Field>
        <Field label="Password">
          <input name="password" type="password" autoComplete="current-password" required value={password} onInput={(e) => setPassword(e.currentTarget.value)} />
        </Field>
        <Busy type="submit" busy={a.busy}>
          Sign in
        </Busy>
        {a.error && <ErrorBox error={a.error} />}
      </ActionForm>
      <DemoAccounts />
    </Page>
  );
}

const CHANGE_PASSWORD = `mutation($c: String!, $n: String!) { changePassword(currentPassword: $c, newPassword: $n) { endedSessions } }`;

/**
 * Changing the signed-in account's password. With initial, the account's
 * password was set by an admin and nothing else is possible until it is
 * changed.
 */
export function ChangePassword({ initial }: { initial?: boolean }) {
  const { refresh } = useViewer();
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [again, setAgain] = useState('');
  const a = useAction();
  return (
    <Page title={initial ? 'Choose your own password' : 'Change your password'}>
      {initial && (
        <p class="note">
          Your account was created with an initial password. Choose your own before you continue: at least 12 characters, known
          only to you.
        </p>
      )}
      <ActionForm
        class="panel narrow"
        a={a}
        run={async () => {
          if (next !== again) throw new Error('the two new passwords differ: type the same one twice');
          await gql(CHANGE_PASSWORD, { c: current, n: next });
          await refresh();
          navigate('/');
        }}
      >
        <Field label={initial ? 'Initial password' : 'Current password'}>
          <input name="current" type="password" autoComplete="current-password" required value={current} onInput={(e) => setCurrent(e.currentTarget.value)} />
        </Field>
        <Field label="New password" hint="At least 12 characters.">
          <input name="new" type="password" autoComplete="new-password" required minLength={12} value={next} onInput={(e) => setNext(e.currentTarget.value)} />
        </Field>
        <Field label="New password again">
          <input name="again" type="password" autoComplete="new-password" required minLength={12} value={again} onInput={(e) => setAgain(e.currentTarget.value)} />
        </Field>
        <Busy type="submit" busy={a.busy}>
          Save the new password
        </Busy>
        {a.error && <ErrorBox error={a.error} />}
      </ActionForm>
    </Page>
  );
}

/** The demo accounts of a development portal (none elsewhere). */
export function useDevAccounts(): DevAccount[] {
  const [list, setList] = useState<DevAccount[]>([]);
  useEffect(() => {
    devAccounts().then(setList, () => setList([]));
  }, []);
  return list;
}

function DemoAccounts() {
  const list = useDevAccounts();
  if (list.length === 0) return null;
  return (
    <section class="panel" aria-labelledby="demo-title">
      <h2 id="demo-title">Demo accounts</h2>
      <p class="note">This portal runs in development mode: sign in as any demo role with one click.</p>
      <ul class="demo-list">
        {list.map((d) => (
          <li key={d.account}>
            <SwitchButton d={d} />
          </li>
        ))}
      </ul>
    </section>
  );
}

function SwitchButton({ d }: { d: DevAccount }) {
  const { refresh } = useViewer();
  const a = useAction();
  return (
    <>
      <RunButton
        a={a}
        class="secondary"
        run={async () => {
          await signIn(d.account, d.password);
          await refresh();
          navigate(homeFor(d.roles));
        }}
      >
        {d.account} <small>({d.roles.map((r) => roleNames[r] ?? r).join(', ') || 'member'})</small>
      </RunButton>
      {a.error && <ErrorBox error={a.error} />}
    </>
  );
}

/** The first page of a role. */
export function homeFor(roles: string[]): string {
  const order: [string, string][] = [
    ['donor', '/gifts'],
    ['claims_adjuster', '/claims'],
    ['patient', '/patient'],
    ['consortium_admin', '/admin'],
    ['charity_officer', '/charity'],
    ['milestone_validator', '/charity'],
    ['auditor', '/charity'],
    ['physician', '/staff'],
    ['records_clerk', '/staff'],
    ['privacy_officer', '/staff'],
  ];
  for (const [r, p] of order) if (roles.includes(r)) return p;
  return '/';
}
