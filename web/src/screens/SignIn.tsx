import type { Ref } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, errorMessage, post } from '../api.ts';
import { Field, FormMessages, SubmitActions } from '../components/forms.tsx';
import { useTitle } from '../hooks.ts';
import { emailKey } from '../../../src/domain/email.ts';
import type { Session } from '../types.ts';

/** A 429 from sign-in: it concerns the email tried (from this address), not whoever signs in next in this browser. */
interface Lock {
  emailKey: string;
  message: string;
  until: number | null;
}

/** Email and password; `POST /auth/login`. Errors stay on the form (wrong credentials, too many attempts). */
export function SignIn({ notice, onSignedIn }: { notice?: string; onSignedIn: (session: Session) => void }) {
  useTitle('Sign in');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [lock, setLock] = useState<Lock | null>(null);
  const [now, setNow] = useState(Date.now());
  const emailRef = useRef<HTMLInputElement>(null);

  useEffect(() => {
    emailRef.current?.focus();
  }, []);

  // Counts down a 429's Retry-After so the user knows when to try again.
  useEffect(() => {
    const until = lock?.until;
    if (until == null) return;
    const timer = setInterval(() => {
      setNow(Date.now());
      if (Date.now() >= until) setLock(null);
    }, 1000);
    return () => clearInterval(timer);
  }, [lock]);

  // The lock holds only while the form names its email (compared as the server compares emails).
  const locked = lock !== null && emailKey(email) === lock.emailKey ? lock : null;
  const shown = error ?? locked?.message ?? null;
  const invalid = Boolean(shown);
  const secondsLeft = locked?.until == null ? 0 : Math.max(0, Math.ceil((locked.until - now) / 1000));

  const submit = async (e: Event) => {
    e.preventDefault();
    if (busy) return;
    if (!email.trim() || !password) {
      setError('Enter your email and password.');
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const session = await post<Session>('/auth/login', { email: email.trim(), password }, { quiet401: true });
      onSignedIn(session);
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) {
        setError(err.code === 'invalid_credentials' || !err.message ? 'Wrong email or password.' : err.message);
      } else if (err instanceof ApiError && err.status === 429) {
        const seconds = err.retryAfter;
        setNow(Date.now());
        setLock({
          emailKey: emailKey(email),
          message: err.message || `Too many failed sign-ins for ${email.trim()}; try again${seconds !== null ? ` in ${formatWait(seconds)}` : ' later'}, or ask an admin.`,
          until: seconds === null ? null : Date.now() + seconds * 1000,
        });
      } else {
        setError(errorMessage(err));
      }
      setBusy(false);
    }
  };

  return (
    <main id="main" class="page page-narrow signin">
      <h1 tabIndex={-1}>Sign in to smsdesk</h1>
      {notice ? (
        <p class="notice" role="status">
          {notice}
        </p>
      ) : null}
      <form class="card form" onSubmit={submit} data-testid="signin-form" noValidate>
        <CredentialField label="Email" input={{ type: 'email', autoComplete: 'username' }} value={email} onInput={setEmail} invalid={invalid} inputRef={emailRef} />
        <CredentialField label="Password" input={{ type: 'password', autoComplete: 'current-password' }} value={password} onInput={setPassword} invalid={invalid} />
        <FormMessages error={shown} errorId={ERROR_ID} errorTestId="signin-error" />
        {secondsLeft > 0 ? <p class="hint countdown">You can try again with {email.trim()} in {secondsLeft} s.</p> : null}
        <SubmitActions busy={busy} disabled={secondsLeft > 0} label="Sign in" busyLabel="Signing in…" />
      </form>
      <p class="hint">
        No account yet? An admin adds users in Settings; the first admin is made with{' '}
        <code>npx smsdesk user add --admin</code>.
      </p>
    </main>
  );
}

const ERROR_ID = 'signin-error';

/** The email or the password (its name, after its type): required, and described by the form's error while there is one. */
function CredentialField({
  label, input, value, onInput, invalid, inputRef,
}: {
  label: string;
  input: { type: 'email'; autoComplete: 'username' } | { type: 'password'; autoComplete: 'current-password' };
  value: string;
  onInput: (value: string) => void;
  invalid: boolean;
  inputRef?: Ref<HTMLInputElement>;
}) {
  const id = `signin-${input.type}`;
  return (
    <Field id={id} label={label}>
      <input
        ref={inputRef}
        id={id}
        name={input.type}
        {...input}
        required
        value={value}
        onInput={(e) => onInput(e.currentTarget.value)}
        aria-invalid={invalid ? true : undefined}
        aria-describedby={invalid ? ERROR_ID : undefined}
      />
    </Field>
  );
}

function formatWait(seconds: number): string {
  if (seconds < 90) return `${seconds} second${seconds === 1 ? '' : 's'}`;
  const minutes = Math.ceil(seconds / 60);
  return `${minutes} minutes`;
}
