import { useEffect, useRef, useState } from 'preact/hooks';
import { del, errorMessage, get, listOf, patch, post } from '../api.ts';
import { LoadError, Loading, Time } from '../components/common.tsx';
import { yesNo } from '../format.ts';
import { useResource, useTitle } from '../hooks.ts';
import { knownGroups, useSession } from '../session.tsx';
import type { ApiToken, Role, Settings, SettingsChange, Template, User } from '../types.ts';

/** Admins: Twilio numbers and their groups, threading, templates, the helpdesk, users and API tokens. Agents see the numbers. */
export function SettingsScreen() {
  useTitle('Settings');
  const { isAdmin, setSettings } = useSession();
  // Agents may read the settings too (the numbers and their groups); only admins change them. The console's
  // shared copy is updated at once (not in an effect), so a screen opened right after a save sees the change.
  const settings = useResource(
    () =>
      get<Settings>('/api/v1/settings').then((loaded) => {
        setSettings(loaded);
        return loaded;
      }),
    [],
  );

  const s = settings.data;
  const onSaved = (updated: Settings) => {
    settings.setData(() => updated);
    setSettings(updated);
  };

  if (!isAdmin) {
    return (
      <section class="settings">
        <h1 tabIndex={-1}>Settings</h1>
        <p class="notice" data-testid="settings-admin-only">
          Only admins can change settings. Ask an admin of this smsdesk if something here needs to change.
        </p>
        {settings.error ? <LoadError error={settings.error} retry={settings.reload} what="the settings" /> : null}
        {!s && settings.loading ? <Loading what="the settings" /> : null}
        {s ? <TwilioSection settings={s} editable={false} onSaved={onSaved} /> : null}
      </section>
    );
  }

  return (
    <section class="settings">
      <h1 tabIndex={-1}>Settings</h1>
      {settings.error ? <LoadError error={settings.error} retry={settings.reload} what="the settings" /> : null}
      {!s && settings.loading ? <Loading what="the settings" /> : null}
      {s ? (
        <>
          <TwilioSection settings={s} editable onSaved={onSaved} />
          <ThreadingSection settings={s} onSaved={onSaved} />
        </>
      ) : null}
      <TemplatesSection />
      {s ? <HelpdeskSection settings={s} /> : null}
      <UsersSection />
      <TokensSection />
    </section>
  );
}

const MAX_GROUP_CHARS = 50;

/** Each number's group as the settings have it ('' for none). */
function groupsOf(settings: Settings): Record<string, string> {
  const groups: Record<string, string> = {};
  for (const n of settings.twilio.numbers) groups[n.number] = n.group ?? '';
  return groups;
}

function TwilioSection({ settings, editable, onSaved }: { settings: Settings; editable: boolean; onSaved: (s: Settings) => void }) {
  const { twilio } = settings;
  const [groups, setGroups] = useState<Record<string, string>>(() => groupsOf(settings));
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [saved, setSaved] = useState<string | null>(null);

  const saved0 = groupsOf(settings);
  const changed = Object.entries(groups).filter(([number, group]) => group.trim() !== (saved0[number] ?? ''));

  const edit = (number: string, group: string) => {
    setGroups((all) => ({ ...all, [number]: group }));
    setSaved(null);
  };

  const save = async (e: Event) => {
    e.preventDefault();
    setError(null);
    setSaved(null);
    if (changed.length === 0) {
      setSaved('No changes to save.');
      return;
    }
    const tooLong = changed.find(([, group]) => group.trim().length > MAX_GROUP_CHARS);
    if (tooLong) {
      setError(`The group of ${tooLong[0]} is ${tooLong[1].trim().length} characters; a group name can be at most ${MAX_GROUP_CHARS}.`);
      return;
    }
    setSaving(true);
    try {
      const numberGroups = Object.fromEntries(changed.map(([number, group]) => [number, group.trim()]));
      const updated = await patch<Settings>('/api/v1/settings', { numberGroups } satisfies SettingsChange);
      if (updated?.twilio) {
        onSaved(updated);
        setGroups(groupsOf(updated));
      }
      setSaved('Saved');
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setSaving(false);
    }
  };

  const table = (
    <div class="table-wrap" role="region" aria-label="Twilio numbers" tabIndex={0}>
      <table class="table" data-testid="settings-numbers">
        <thead>
          <tr>
            <th scope="col">Number</th>
            <th scope="col">Account</th>
            <th scope="col">SMS</th>
            <th scope="col">MMS (pictures)</th>
            <th scope="col">Rate (segments/s)</th>
            <th scope="col">Group</th>
          </tr>
        </thead>
        <tbody>
          {twilio.numbers.map((n) => {
            const inputId = `number-group-${n.number.replace(/[^0-9A-Za-z]/g, '')}`;
            return (
              <tr key={`${n.accountSid ?? ''}-${n.number}`}>
                <th scope="row" class="nowrap">
                  {n.number}
                </th>
                <td>{n.accountSid ? <code>{n.accountSid}</code> : 'Unknown'}</td>
                <td>{yesNo(n.sms)}</td>
                <td>{yesNo(n.mms)}</td>
                <td>{n.ratePerSecond ?? 'Unknown'}</td>
                <td>
                  {editable ? (
                    <>
                      <label for={inputId} class="visually-hidden">
                        Group for {n.number}
                      </label>
                      <input
                        id={inputId}
                        type="text"
                        class="group-input"
                        list="settings-group-names"
                        autoComplete="off"
                        aria-describedby="settings-groups-help"
                        placeholder="No group"
                        value={groups[n.number] ?? ''}
                        onInput={(e) => edit(n.number, e.currentTarget.value)}
                        data-testid="settings-number-group"
                        data-number={n.number}
                      />
                    </>
                  ) : (
                    <span data-testid="settings-number-group" data-number={n.number}>
                      {n.group ?? <span class="hint">None</span>}
                    </span>
                  )}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );

  return (
    <section class="card" aria-labelledby="settings-twilio">
      <h2 id="settings-twilio">Twilio</h2>
      <p>
        {twilio.sandbox
          ? 'Sandbox mode: no Twilio credentials are set, so texts go to the built-in Twilio emulator. Try it on the Sandbox page.'
          : 'Connected to Twilio.'}
      </p>
      {twilio.numbers.length === 0 ? (
        <p class="hint">No numbers known yet.</p>
      ) : editable ? (
        <form class="form" onSubmit={save} noValidate aria-label="Groups of the Twilio numbers">
          <p class="hint" id="settings-groups-help">
            A group is the team a number belongs to (e.g. Support, Sales); the inbox filters conversations by it. Leave it empty for
            no group.
          </p>
          {table}
          <datalist id="settings-group-names">
            {knownGroups(settings).map((g) => (
              <option key={g} value={g} />
            ))}
          </datalist>
          {error ? (
            <p class="field-error" role="alert" data-testid="settings-groups-error">
              {error}
            </p>
          ) : null}
          <div class="actions">
            <button type="submit" disabled={saving} data-testid="settings-save-groups">
              {saving ? 'Saving…' : 'Save groups'}
            </button>
            <span role="status" class="saved" data-testid="settings-groups-saved">
              {saved ?? ''}
            </span>
          </div>
        </form>
      ) : (
        table
      )}
    </section>
  );
}

function ThreadingSection({ settings, onSaved }: { settings: Settings; onSaved: (s: Settings) => void }) {
  const [windowMinutes, setWindowMinutes] = useState(String(settings.threading.windowMinutes));
  const [pattern, setPattern] = useState(settings.threading.ticketIdPattern ?? '');
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [saved, setSaved] = useState(false);

  const save = async (e: Event) => {
    e.preventDefault();
    setError(null);
    setSaved(false);
    const minutes = Number(windowMinutes);
    if (windowMinutes.trim() === '' || !Number.isInteger(minutes) || minutes < 0) {
      setError('The window must be a whole number of minutes, 0 or more (0 turns the rule off).');
      return;
    }
    setSaving(true);
    try {
      const updated = await patch<Settings>('/api/v1/settings', { threading: { windowMinutes: minutes, ticketIdPattern: pattern } } satisfies SettingsChange);
      if (updated?.threading) {
        onSaved(updated);
        setWindowMinutes(String(updated.threading.windowMinutes));
        setPattern(updated.threading.ticketIdPattern ?? '');
      }
      setSaved(true);
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setSaving(false);
    }
  };

  return (
    <section class="card" aria-labelledby="settings-threading">
      <h2 id="settings-threading">Threading</h2>
      <p class="hint">How a text finds its ticket. Changes apply to the next text routed, on every instance.</p>
      <form class="form" onSubmit={save} noValidate>
        <div class="field">
          <label for="threading-window">Recent-activity window (minutes)</label>
          <input
            id="threading-window"
            type="number"
            min={0}
            step={1}
            inputMode="numeric"
            value={windowMinutes}
            onInput={(e) => {
              setWindowMinutes(e.currentTarget.value);
              setSaved(false);
            }}
            data-testid="settings-threading-window"
            aria-describedby="threading-window-help"
          />
          <span id="threading-window-help" class="hint">
            A text joins the customer's open or pending ticket on the same number if it was active this recently. 0 turns this off.
          </span>
        </div>
        <div class="field">
          <label for="threading-pattern">Ticket-number pattern</label>
          <input
            id="threading-pattern"
            type="text"
            spellcheck={false}
            autoComplete="off"
            class="mono"
            value={pattern}
            onInput={(e) => {
              setPattern(e.currentTarget.value);
              setSaved(false);
            }}
            data-testid="settings-threading-pattern"
            aria-describedby="threading-pattern-help"
          />
          <span id="threading-pattern-help" class="hint">
            A regular expression; its first capture group is the ticket number, e.g. <code>#(\d+)</code>. Empty turns this off.
          </span>
        </div>
        {error ? (
          <p class="field-error" role="alert" data-testid="settings-threading-error">
            {error}
          </p>
        ) : null}
        <div class="actions">
          <button type="submit" disabled={saving} data-testid="settings-save-threading">
            {saving ? 'Saving…' : 'Save'}
          </button>
          <span role="status" class="saved" data-testid="settings-threading-saved">
            {saved ? 'Saved' : ''}
          </span>
        </div>
      </form>
    </section>
  );
}

const PLACEHOLDERS = [
  'ticket.id', 'ticket.subject', 'ticket.status', 'contact.name', 'contact.phone', 'agent.name', 'agent.email', 'twilio.number',
];

function TemplatesSection() {
  const list = useResource(() => get<unknown>('/api/v1/templates').then((r) => listOf<Template>(r, 'templates')), []);
  const [name, setName] = useState('');
  const [body, setBody] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);

  const add = async (e: Event) => {
    e.preventDefault();
    setError(null);
    setNotice(null);
    if (!name.trim() || !body.trim()) {
      setError('Give the template a name and a body.');
      return;
    }
    setBusy(true);
    try {
      await post('/api/v1/templates', { name: name.trim(), body });
      setNotice(`Added template “${name.trim()}”.`);
      setName('');
      setBody('');
      list.reload();
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  };

  const remove = async (t: Template) => {
    setError(null);
    setNotice(null);
    try {
      await del(`/api/v1/templates/${t.id}`);
      setNotice(`Deleted template “${t.name}”.`);
      list.setData((all) => all?.filter((x) => x.id !== t.id));
      list.reload();
    } catch (err) {
      setError(errorMessage(err));
    }
  };

  return (
    <section class="card" aria-labelledby="settings-templates">
      <h2 id="settings-templates">Templates</h2>
      {list.error ? <LoadError error={list.error} retry={list.reload} what="the templates" /> : null}
      {!list.data && list.loading ? <Loading what="templates" /> : null}
      {list.data ? (
        list.data.length === 0 ? (
          <p class="hint">No templates yet.</p>
        ) : (
          <ul class="item-list" data-testid="settings-templates">
            {list.data.map((t) => (
              <li key={t.id} class="item">
                <div class="item-main">
                  <h3 class="small-heading">{t.name}</h3>
                  <p class="msg-body">{t.body}</p>
                </div>
                <button type="button" class="button-danger" onClick={() => void remove(t)}>
                  Delete<span class="visually-hidden"> template {t.name}</span>
                </button>
              </li>
            ))}
          </ul>
        )
      ) : null}
      <form class="form" onSubmit={add} noValidate aria-labelledby="template-add-heading">
        <h3 id="template-add-heading" class="small-heading">
          Add a template
        </h3>
        <div class="field">
          <label for="template-name">Name</label>
          <input id="template-name" type="text" maxLength={100} value={name} onInput={(e) => setName(e.currentTarget.value)} data-testid="template-name" />
        </div>
        <div class="field">
          <label for="template-body">Text</label>
          <textarea
            id="template-body"
            rows={3}
            maxLength={1600}
            value={body}
            onInput={(e) => setBody(e.currentTarget.value)}
            data-testid="template-body"
            aria-describedby="template-body-help"
          />
          <span id="template-body-help" class="hint">
            Placeholders: {PLACEHOLDERS.map((p) => `{{${p}}}`).join(', ')}.
          </span>
        </div>
        {error ? (
          <p class="field-error" role="alert">
            {error}
          </p>
        ) : null}
        {notice ? (
          <p class="notice-ok" role="status">
            {notice}
          </p>
        ) : null}
        <div class="actions">
          <button type="submit" disabled={busy} data-testid="template-add">
            {busy ? 'Adding…' : 'Add template'}
          </button>
        </div>
      </form>
    </section>
  );
}

function HelpdeskSection({ settings }: { settings: Settings }) {
  const h = settings.helpdesk;
  return (
    <section class="card" aria-labelledby="settings-helpdesk">
      <h2 id="settings-helpdesk">Helpdesk</h2>
      <p class="hint">Set by smsdesk's configuration (environment variables); shown here read-only.</p>
      <dl class="facts facts-stacked">
        <div>
          <dt>Helpdesk</dt>
          <dd>{h.kind}</dd>
        </div>
        <div>
          <dt>URL</dt>
          <dd>{h.url || '—'}</dd>
        </div>
        <div>
          <dt>SMS tag</dt>
          <dd>
            <code>{h.smsTag}</code>
          </dd>
        </div>
        <div>
          <dt>Webhook secret</dt>
          <dd>{h.webhookSecretSet ? 'Set' : 'Not set: every helpdesk event is refused'}</dd>
        </div>
      </dl>
    </section>
  );
}

function UsersSection() {
  const { user: me } = useSession();
  const list = useResource(() => get<unknown>('/api/v1/users').then((r) => listOf<User>(r, 'users')), []);
  const [email, setEmail] = useState('');
  const [name, setName] = useState('');
  const [role, setRole] = useState<Role>('agent');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);

  const add = async (e: Event) => {
    e.preventDefault();
    setError(null);
    setNotice(null);
    if (!email.trim() || !name.trim() || !password) {
      setError('Fill in the email, name and password.');
      return;
    }
    setBusy(true);
    try {
      await post('/api/v1/users', { email: email.trim(), name: name.trim(), role, password });
      setNotice(`Added ${email.trim()} as ${role === 'admin' ? 'an admin' : 'an agent'}.`);
      setEmail('');
      setName('');
      setPassword('');
      setRole('agent');
      list.reload();
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  };

  const remove = async (u: User) => {
    setError(null);
    setNotice(null);
    try {
      await del(`/api/v1/users/${u.id}`);
      setNotice(`Deleted ${u.email}.`);
      list.setData((all) => all?.filter((x) => x.id !== u.id));
      list.reload();
    } catch (err) {
      setError(errorMessage(err));
    }
  };

  return (
    <section class="card" aria-labelledby="settings-users">
      <h2 id="settings-users">Users</h2>
      {list.error ? <LoadError error={list.error} retry={list.reload} what="the users" /> : null}
      {!list.data && list.loading ? <Loading what="users" /> : null}
      {list.data ? (
        <div class="table-wrap" role="region" aria-label="Users" tabIndex={0}>
          <table class="table" data-testid="settings-users">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Email</th>
                <th scope="col">Role</th>
                <th scope="col">
                  <span class="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {list.data.map((u) => (
                <tr key={u.id}>
                  <th scope="row">{u.name}</th>
                  <td>{u.email}</td>
                  <td>{u.role}</td>
                  <td>
                    {String(u.id) === String(me.id) ? (
                      <span class="hint">You</span>
                    ) : (
                      <button type="button" class="button-danger button-small" onClick={() => void remove(u)}>
                        Delete<span class="visually-hidden"> {u.email}</span>
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      <form class="form" onSubmit={add} noValidate aria-labelledby="user-add-heading">
        <h3 id="user-add-heading" class="small-heading">
          Add a user
        </h3>
        <div class="form-grid">
          <div class="field">
            <label for="user-email">Email</label>
            <input id="user-email" type="email" autoComplete="off" value={email} onInput={(e) => setEmail(e.currentTarget.value)} />
          </div>
          <div class="field">
            <label for="user-name">Name</label>
            <input id="user-name" type="text" autoComplete="off" value={name} onInput={(e) => setName(e.currentTarget.value)} />
          </div>
          <div class="field">
            <label for="user-role">Role</label>
            <select id="user-role" value={role} onChange={(e) => setRole(e.currentTarget.value as Role)}>
              <option value="agent">Agent</option>
              <option value="admin">Admin</option>
            </select>
          </div>
          <div class="field">
            <label for="user-password">Password</label>
            <input id="user-password" type="password" autoComplete="new-password" value={password} onInput={(e) => setPassword(e.currentTarget.value)} />
          </div>
        </div>
        {error ? (
          <p class="field-error" role="alert">
            {error}
          </p>
        ) : null}
        {notice ? (
          <p class="notice-ok" role="status">
            {notice}
          </p>
        ) : null}
        <div class="actions">
          <button type="submit" disabled={busy}>
            {busy ? 'Adding…' : 'Add user'}
          </button>
        </div>
      </form>
    </section>
  );
}

function TokensSection() {
  const list = useResource(() => get<unknown>('/api/v1/tokens').then((r) => listOf<ApiToken>(r, 'tokens')), []);
  const [name, setName] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [created, setCreated] = useState<{ name: string; token: string } | null>(null);
  const [copied, setCopied] = useState(false);
  const tokenRef = useRef<HTMLInputElement>(null);

  useEffect(() => {
    if (created) tokenRef.current?.select();
  }, [created]);

  const create = async (e: Event) => {
    e.preventDefault();
    setError(null);
    setCopied(false);
    if (!name.trim()) {
      setError('Give the token a name, e.g. the integration that will use it.');
      return;
    }
    setBusy(true);
    try {
      const r = await post<{ id: number | string; name: string; token: string }>('/api/v1/tokens', { name: name.trim() });
      setCreated({ name: r.name ?? name.trim(), token: r.token });
      setName('');
      list.reload();
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  };

  const copy = async () => {
    if (!created) return;
    try {
      await navigator.clipboard.writeText(created.token);
      setCopied(true);
    } catch {
      tokenRef.current?.select();
      setCopied(false);
      setError('Could not copy automatically: the token is selected, press Ctrl+C (⌘C) to copy it.');
    }
  };

  const revoke = async (t: ApiToken) => {
    setError(null);
    try {
      await del(`/api/v1/tokens/${t.id}`);
      list.reload();
    } catch (err) {
      setError(errorMessage(err));
    }
  };

  return (
    <section class="card" aria-labelledby="settings-tokens">
      <h2 id="settings-tokens">API tokens</h2>
      <p class="hint">Integrations call the REST API with <code>Authorization: Bearer &lt;token&gt;</code>.</p>
      {list.error ? <LoadError error={list.error} retry={list.reload} what="the API tokens" /> : null}
      {!list.data && list.loading ? <Loading what="API tokens" /> : null}
      {list.data ? (
        list.data.length === 0 ? (
          <p class="hint">No API tokens yet.</p>
        ) : (
          <div class="table-wrap" role="region" aria-label="API tokens" tabIndex={0}>
            <table class="table" data-testid="settings-tokens">
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Created</th>
                  <th scope="col">Last used</th>
                  <th scope="col">State</th>
                  <th scope="col">
                    <span class="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {list.data.map((t) => (
                  <tr key={t.id} class={t.revokedAt ? 'muted' : undefined}>
                    <th scope="row">{t.name}</th>
                    <td>
                      <Time value={t.createdAt} full />
                    </td>
                    <td>{t.lastUsedAt ? <Time value={t.lastUsedAt} full /> : 'Never'}</td>
                    <td>
                      {t.revokedAt ? (
                        <>
                          Revoked <Time value={t.revokedAt} />
                        </>
                      ) : (
                        'Active'
                      )}
                    </td>
                    <td>
                      {t.revokedAt ? null : (
                        <button type="button" class="button-danger button-small" onClick={() => void revoke(t)}>
                          Revoke<span class="visually-hidden"> token {t.name}</span>
                        </button>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )
      ) : null}
      {created ? (
        <div class="notice notice-warn" data-testid="token-created">
          <p>
            <strong>Copy the token “{created.name}” now: it is shown only once.</strong> smsdesk cannot show it again; if it is
            lost, revoke it and create another.
          </p>
          <div class="field">
            <label for="token-value">New API token</label>
            <div class="input-row">
              <input id="token-value" ref={tokenRef} class="mono" type="text" readOnly value={created.token} data-testid="token-value" onFocus={(e) => e.currentTarget.select()} />
              <button type="button" onClick={() => void copy()}>
                Copy
              </button>
            </div>
            {copied ? (
              <span class="hint" role="status">
                Copied.
              </span>
            ) : null}
          </div>
          <button type="button" class="button-secondary" onClick={() => setCreated(null)}>
            I have copied it
          </button>
        </div>
      ) : null}
      <form class="form" onSubmit={create} noValidate>
        <div class="field">
          <label for="token-name">New token name</label>
          <div class="input-row">
            <input id="token-name" type="text" value={name} onInput={(e) => setName(e.currentTarget.value)} placeholder="e.g. CRM integration" />
            <button type="submit" disabled={busy}>
              {busy ? 'Creating…' : 'Create token'}
            </button>
          </div>
        </div>
        {error ? (
          <p class="field-error" role="alert">
            {error}
          </p>
        ) : null}
      </form>
    </section>
  );
}
