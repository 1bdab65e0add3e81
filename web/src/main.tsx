import { render } from 'preact';
import { useCallback, useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { ApiError, errorMessage, get, onUnauthorized, post, setCsrfToken, withQuery } from './api.ts';
import { ErrorBoundary, LoadError, Loading } from './components/common.tsx';
import { LiveIndicator } from './components/LiveIndicator.tsx';
import { UsageWarning } from './components/UsageWarning.tsx';
import { LiveProvider } from './live.tsx';
import { href, navigate, useRoute, type Route } from './router.ts';
import { Inbox } from './screens/Inbox.tsx';
import { CsatReportScreen } from './screens/Reports.tsx';
import { Sandbox } from './screens/Sandbox.tsx';
import { SettingsScreen } from './screens/Settings.tsx';
import { AutomationEditor, AutomationRuns, Automations } from './screens/settings/Automations.tsx';
import { SignIn } from './screens/SignIn.tsx';
import { Scheduled } from './screens/Scheduled.tsx';
import { FirstAdminGate } from './screens/Setup.tsx';
import { SmsLog } from './screens/SmsLog.tsx';
import { Thread } from './screens/Thread.tsx';
import { SessionContext, type SessionValue } from './session.tsx';
import type { Session, Settings } from './types.ts';
import './styles.css';

type AuthState =
  | { state: 'checking' }
  | { state: 'error'; error: unknown }
  | { state: 'signedOut'; notice?: string }
  | { state: 'signedIn'; session: Session };

function App() {
  const [auth, setAuth] = useState<AuthState>({ state: 'checking' });

  const check = useCallback(() => {
    setAuth({ state: 'checking' });
    get<Session>('/auth/me', { quiet401: true }).then(
      (session) => {
        setCsrfToken(session.csrfToken);
        setAuth({ state: 'signedIn', session });
      },
      (error: unknown) => {
        if (error instanceof ApiError && error.status === 401) setAuth({ state: 'signedOut' });
        else setAuth({ state: 'error', error });
      },
    );
  }, []);

  useEffect(() => {
    check();
    onUnauthorized(() => {
      setCsrfToken(null);
      setAuth((current) => (current.state === 'signedIn' ? { state: 'signedOut', notice: 'Your session has ended. Sign in again.' } : current));
    });
    return () => onUnauthorized(null);
  }, [check]);

  if (auth.state === 'checking') {
    return (
      <main id="main" class="page page-narrow">
        <Loading />
      </main>
    );
  }
  if (auth.state === 'error') {
    return (
      <main id="main" class="page page-narrow">
        <h1>smsdesk</h1>
        <LoadError error={auth.error} retry={check} what="your session" />
      </main>
    );
  }
  if (auth.state === 'signedOut') {
    const signedIn = (session: Session) => {
      setCsrfToken(session.csrfToken);
      setAuth({ state: 'signedIn', session });
      navigate('#/inbox');
    };
    // A fresh instance (no user yet) asks for the first admin instead.
    return <FirstAdminGate onSignedIn={signedIn}>{(notice) => <SignIn notice={notice ?? auth.notice} onSignedIn={signedIn} />}</FirstAdminGate>;
  }
  return (
    <Console
      key={String(auth.session.user.id)}
      session={auth.session}
      onSignedOut={(notice) => {
        setCsrfToken(null);
        setAuth({ state: 'signedOut', notice });
      }}
    />
  );
}

function Console({ session, onSignedOut }: { session: Session; onSignedOut: (notice?: string) => void }) {
  const route = useRoute();
  const { user } = session;
  const isAdmin = user.role === 'admin';
  const [settings, setSettings] = useState<Settings | null>(null);
  const [settingsTick, setSettingsTick] = useState(0);
  const [sandboxProbe, setSandboxProbe] = useState(false);
  const [signingOut, setSigningOut] = useState(false);

  // Everyone reads the settings (the composer's numbers and MMS, the inbox's groups); only admins change them.
  useEffect(() => {
    let live = true;
    get<Settings>('/api/v1/settings').then(
      (s) => {
        if (live) setSettings(s);
      },
      () => {
        // The settings screen shows the error with a Retry button; elsewhere the console does without.
      },
    );
    return () => {
      live = false;
    };
  }, [settingsTick]);

  useEffect(() => {
    if (settings?.twilio.sandbox) return;
    let live = true;
    get(withQuery('/sandbox/messages', { phone: '+14155550100' }), { quiet401: true }).then(
      () => {
        if (live) setSandboxProbe(true);
      },
      () => {
        if (live) setSandboxProbe(false);
      },
    );
    return () => {
      live = false;
    };
  }, [settings?.twilio.sandbox]);

  const signOut = useCallback(() => {
    setSigningOut(true);
    post<void>('/auth/logout').then(
      () => onSignedOut('You have signed out.'),
      (err: unknown) => {
        if (err instanceof ApiError && err.status === 401) onSignedOut('You have signed out.');
        else onSignedOut(`Signing out may not have reached smsdesk: ${errorMessage(err)}`);
      },
    );
  }, [onSignedOut]);

  const value = useMemo<SessionValue>(
    () => ({
      user,
      isAdmin,
      settings,
      setSettings,
      reloadSettings: () => setSettingsTick((n) => n + 1),
      sandboxAvailable: Boolean(settings?.twilio.sandbox) || sandboxProbe,
      signOut,
    }),
    [user, isAdmin, settings, sandboxProbe, signOut],
  );

  // After navigating, move focus to the new screen's heading so keyboard and screen-reader users land there.
  const first = useRef(true);
  const routeKey = href(route);
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    const h1 = document.querySelector<HTMLElement>('main h1');
    h1?.focus();
  }, [routeKey]);

  return (
    <SessionContext.Provider value={value}>
      <LiveProvider>
        <a class="skip-link" href="#main" onClick={(e) => {
          e.preventDefault();
          document.getElementById('main')?.focus();
        }}>
          Skip to content
        </a>
        <header class="topbar">
          <a class="brand" href="#/inbox">
            smsdesk
          </a>
          <nav aria-label="Main">
            <ul class="nav-links">
              <NavLink route={route} to="inbox" label="Inbox" />
              <NavLink route={route} to="log" label="SMS log" />
              <NavLink route={route} to="scheduled" label="Scheduled" />
              <NavLink route={route} to="csatReport" label="Reports" />
              <NavLink route={route} to="settings" label="Settings" />
              {value.sandboxAvailable ? <NavLink route={route} to="sandbox" label="Sandbox" /> : null}
            </ul>
          </nav>
          <div class="topbar-user">
            <LiveIndicator />
            <span class="user-name" title={user.email}>
              {user.name} <span class="user-role">({user.role})</span>
            </span>
            <button type="button" class="button-secondary" onClick={signOut} disabled={signingOut}>
              {signingOut ? 'Signing out…' : 'Sign out'}
            </button>
          </div>
        </header>
        <main id="main" class="page" tabIndex={-1}>
          {isAdmin ? <UsageWarning /> : null}
          <ErrorBoundary key={routeKey}>
            <Screen route={route} />
          </ErrorBoundary>
        </main>
      </LiveProvider>
    </SessionContext.Provider>
  );
}

function NavLink({ route, to, label }: { route: Route; to: 'inbox' | 'log' | 'scheduled' | 'csatReport' | 'settings' | 'sandbox'; label: string }) {
  const current = route.name === to || (to === 'inbox' && route.name === 'thread') || (to === 'settings' && inSettings(route));
  return (
    <li>
      <a href={href({ name: to })} aria-current={route.name === to ? 'page' : undefined} class={current ? 'active' : undefined}>
        {label}
      </a>
    </li>
  );
}

/** Screens under Settings (automations): the Settings link stays highlighted there. */
const inSettings = (route: Route) => route.name === 'automations' || route.name === 'automation' || route.name === 'automationRuns';

function Screen({ route }: { route: Route }) {
  switch (route.name) {
    case 'inbox':
      return <Inbox />;
    case 'thread':
      return <Thread ticketId={route.ticketId} />;
    case 'log':
      return <SmsLog />;
    case 'scheduled':
      return <Scheduled />;
    case 'csatReport':
      return <CsatReportScreen />;
    case 'settings':
      return <SettingsScreen />;
    case 'automations':
      return <Automations />;
    case 'automation':
      return <AutomationEditor id={route.id} />;
    case 'automationRuns':
      return <AutomationRuns id={route.id} />;
    case 'sandbox':
      return <Sandbox />;
    case 'notFound':
      return (
        <section>
          <h1 tabIndex={-1}>Page not found</h1>
          <p>
            There is no page at <code>{route.path}</code>. <a href="#/inbox">Go to the inbox</a>.
          </p>
        </section>
      );
  }
}

const root = document.getElementById('app');
if (root) {
  root.textContent = '';
  render(<App />, root);
}
