import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, errorMessage, get, post } from '../api.ts';
import { Field, FormMessages, SubmitActions } from '../components/forms.tsx';
import { Loading } from '../components/common.tsx';
import { useTitle } from '../hooks.ts';
import type { Session } from '../types.ts';

/**
 * In front of the sign-in screen: while smsdesk has no user (`GET /auth/setup`), the form that creates the
 * first admin with the setup code from the server's log; otherwise (or if smsdesk cannot say) sign-in.
 */
export function FirstAdminGate({ onSignedIn, children }: { onSignedIn: (session: Session) => void; children: (notice?: string) => ComponentChildren }) {
  const [state, setState] = useState<{ needed: boolean | null; notice?: string }>({ needed: null });

  useEffect(() => {
    let live = true;
    get<{ needed: boolean }>('/auth/setup', { quiet401: true }).then(
      (r) => live && setState({ needed: r.needed }),
      () => live && setState({ needed: false }),
    );
    return () => {
      live = false;
    };
  }, []);

  if (state.needed === null) {
    return (
      <main id="main" class="page page-narrow">
        <Loading />
      </main>
    );
  }
  if (!state.needed) return <>{children(state.notice)}</>;
  return <SetupForm onSignedIn={onSignedIn} onDone={(notice) => setState({ needed: false, notice })} />;
}

const ERROR_ID = 'setup-error';

/** `POST /auth/setup {"code", "name", "email", "password"}`: the first admin, signed in at once. */
function SetupForm({ onSignedIn, onDone }: { onSignedIn: (session: Session) => void; onDone: (notice: string) => void }) {
  useTitle('Create the first admin');
  const [values, setValues] = useState({ code: '', name: '', email: '', password: '' });
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const codeRef = useRef<HTMLInputElement>(null);

  useEffect(() => {
    codeRef.current?.focus();
  }, []);

  const submit = async (e: Event) => {
    e.preventDefault();
    if (busy) return;
    if (!values.code.trim() || !values.name.trim() || !values.email.trim() || !values.password) {
      setError('Fill in the setup code, your name, email and a password.');
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const session = await post<Session>('/auth/setup', { ...values, code: values.code.trim(), email: values.email.trim() }, { quiet401: true });
      onSignedIn(session);
    } catch (err) {
      setBusy(false);
      if (err instanceof ApiError && err.code === 'setup_done') onDone('The first admin exists already: sign in.');
      else setError(errorMessage(err));
    }
  };

  const field = (key: keyof typeof values, label: string, input: Record<string, string>, ref?: typeof codeRef) => (
    <Field id={`setup-${key}`} label={label}>
      <input
        ref={ref}
        id={`setup-${key}`}
        name={key}
        {...input}
        required
        value={values[key]}
        onInput={(ev) => setValues({ ...values, [key]: ev.currentTarget.value })}
        aria-invalid={error ? true : undefined}
        aria-describedby={error ? ERROR_ID : undefined}
      />
    </Field>
  );

  return (
    <main id="main" class="page page-narrow signin">
      <h1 tabIndex={-1}>Create the first admin</h1>
      <p class="hint">
        smsdesk has no user yet. Its log, from when it started, shows the setup code: <q>enter the setup code XXXX-XXXX</q>.
      </p>
      <form class="card form" onSubmit={submit} data-testid="setup-form" noValidate>
        {field('code', 'Setup code', { type: 'text', autoComplete: 'off', autoCapitalize: 'characters', spellcheck: 'false' }, codeRef)}
        {field('name', 'Name', { type: 'text', autoComplete: 'name' })}
        {field('email', 'Email', { type: 'email', autoComplete: 'username' })}
        {field('password', 'Password (10+ characters)', { type: 'password', autoComplete: 'new-password' })}
        <FormMessages error={error} errorId={ERROR_ID} errorTestId="setup-error" />
        <SubmitActions busy={busy} label="Create admin" busyLabel="Creating…" />
      </form>
      <p class="hint">
        Or, in a terminal where smsdesk runs: <code>npx smsdesk user add --email you@example.com --name "Your Name" --admin</code>.
      </p>
    </main>
  );
}
