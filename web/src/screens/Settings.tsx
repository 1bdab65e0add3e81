import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import { del, get, listOf, patch, post } from '../api.ts';
import { LoadState, TableRegion, Time } from '../components/common.tsx';
import { DataList, Field, FormMessages, SaveActions, SubmitActions, useSubmit, type Submit, ShownOnceField } from '../components/forms.tsx';
import { yesNo } from '../format.ts';
import { useResource, useTitle } from '../hooks.ts';
import { knownGroups, useSession } from '../session.tsx';
import type { ApiToken, Role, Settings, SettingsChange, Template, User } from '../types.ts';
import { placeholderList } from '../../../src/domain/templates.ts';
import { MAX_BODY_CHARS } from '../../../src/domain/message-limits.ts';
import { HoursAndUsageSection } from './settings/Schedule.tsx';
import { WebhooksSection } from './settings/Webhooks.tsx';
import { href } from '../router.ts';

/** Admins: Twilio numbers and their groups, threading, hours and usage, a link to automations, templates, the helpdesk, users, API tokens and webhooks. Agents see the numbers. */
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
        <LoadState of={settings} what="the settings" />
        {s ? <TwilioSection settings={s} editable={false} onSaved={onSaved} /> : null}
        <AutomationsLink />
      </section>
    );
  }

  return (
    <section class="settings">
      <h1 tabIndex={-1}>Settings</h1>
      <LoadState of={settings} what="the settings" />
      {s ? (
        <>
          <TwilioSection settings={s} editable onSaved={onSaved} />
          <ThreadingSection settings={s} onSaved={onSaved} />
        </>
      ) : null}
      <HoursAndUsageSection />
      <AutomationsLink />
      <TemplatesSection />
      {s ? <HelpdeskSection settings={s} /> : null}
      <UsersSection />
      <TokensSection />
      <WebhooksSection />
    </section>
  );
}

/** Automations have a screen of their own (Settings → Automations): admins change them, agents read them. */
function AutomationsLink() {
  const { isAdmin } = useSession();
  return (
    <section class="card" aria-labelledby="settings-automations">
      <h2 id="settings-automations">Automations</h2>
      <p class="hint">
        When something happens (a ticket is resolved, a text comes in, a ticket sits idle…) and conditions hold, smsdesk acts: texts the
        requester, adds a note, changes the status, calls a webhook.
      </p>
      <p>
        <a href={href({ name: 'automations' })} data-testid="settings-automations-link">
          {isAdmin ? 'Set up automations' : 'See the automations and their runs'}
        </a>
      </p>
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
  const form = useSubmit();

  const saved0 = groupsOf(settings);
  const changed = Object.entries(groups).filter(([number, group]) => group.trim() !== (saved0[number] ?? ''));

  const edit = (number: string, group: string) => {
    setGroups((all) => ({ ...all, [number]: group }));
    form.setNotice(null);
  };

  const save = (e: Event) => {
    e.preventDefault();
    if (changed.length === 0) {
      form.setError(null);
      form.setNotice('No changes to save.');
      return;
    }
    const tooLong = changed.find(([, group]) => group.trim().length > MAX_GROUP_CHARS);
    const refusal = tooLong
      ? `The group of ${tooLong[0]} is ${tooLong[1].trim().length} characters; a group name can be at most ${MAX_GROUP_CHARS}.`
      : null;
    void form.run(async () => {
      const numberGroups = Object.fromEntries(changed.map(([number, group]) => [number, group.trim()]));
      const updated = await patch<Settings>('/api/v1/settings', { numberGroups } satisfies SettingsChange);
      if (updated?.twilio) {
        onSaved(updated);
        setGroups(groupsOf(updated));
      }
      return 'Saved';
    }, { refusal });
  };

  const table = (
    <TableRegion label="Twilio numbers" testId="settings-numbers" heads={['Number', 'Account', 'SMS', 'MMS (pictures)', 'Rate (segments/s)', 'Group']}>
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
    </TableRegion>
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
          <DataList id="settings-group-names" values={knownGroups(settings)} />
          <SaveActions form={form} label="Save groups" errorTestId="settings-groups-error" buttonTestId="settings-save-groups" savedTestId="settings-groups-saved" />
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
  const form = useSubmit();
  /** An input's handler: keeps its value, and the form is no longer "Saved". */
  const edit = (set: (value: string) => void) => (e: { currentTarget: { value: string } }) => {
    set(e.currentTarget.value);
    form.setNotice(null);
  };

  const save = (e: Event) => {
    e.preventDefault();
    const minutes = Number(windowMinutes);
    const refusal =
      windowMinutes.trim() === '' || !Number.isInteger(minutes) || minutes < 0
        ? 'The window must be a whole number of minutes, 0 or more (0 turns the rule off).'
        : null;
    void form.run(async () => {
      const updated = await patch<Settings>('/api/v1/settings', { threading: { windowMinutes: minutes, ticketIdPattern: pattern } } satisfies SettingsChange);
      if (updated?.threading) {
        onSaved(updated);
        setWindowMinutes(String(updated.threading.windowMinutes));
        setPattern(updated.threading.ticketIdPattern ?? '');
      }
      return 'Saved';
    }, { refusal });
  };

  return (
    <section class="card" aria-labelledby="settings-threading">
      <h2 id="settings-threading">Threading</h2>
      <p class="hint">How a text finds its ticket. Changes apply to the next text routed, on every instance.</p>
      <form class="form" onSubmit={save} noValidate>
        <Field id="threading-window" label="Recent-activity window (minutes)">
          <input
            id="threading-window"
            type="number"
            min={0}
            step={1}
            inputMode="numeric"
            value={windowMinutes}
            onInput={edit(setWindowMinutes)}
            data-testid="settings-threading-window"
            aria-describedby="threading-window-help"
          />
          <span id="threading-window-help" class="hint">
            A text joins the customer's open or pending ticket on the same number if it was active this recently. 0 turns this off.
          </span>
        </Field>
        <Field id="threading-pattern" label="Ticket-number pattern">
          <input
            id="threading-pattern"
            type="text"
            spellcheck={false}
            autoComplete="off"
            class="mono"
            value={pattern}
            onInput={edit(setPattern)}
            data-testid="settings-threading-pattern"
            aria-describedby="threading-pattern-help"
          />
          <span id="threading-pattern-help" class="hint">
            A regular expression in RE2 syntax (no backreferences or lookaround); its first capture group is the ticket number, e.g. <code>#(\d+)</code>. Empty turns this off.
          </span>
        </Field>
        <SaveActions form={form} label="Save" errorTestId="settings-threading-error" buttonTestId="settings-save-threading" savedTestId="settings-threading-saved" />
      </form>
    </section>
  );
}


/** A list admins keep in Settings (templates, users, API tokens): loaded from `path` (its `key` array), changed there. */
function useAdminList<T extends { id: number | string }>(path: string, key: string) {
  const list = useResource(() => get<unknown>(path).then((r) => listOf<T>(r, key)), []);
  const form = useSubmit();
  /** The add form's submit: unless `refusal`, `POST path` with `body`, then `reset` the fields, reload and say `done`. */
  const add = (e: Event, { refusal, body, reset, done }: { refusal: string | null; body: unknown; reset: () => void; done: string }) => {
    e.preventDefault();
    void form.run(
      async () => {
        await post(path, body);
        reset();
        list.reload();
        return done;
      },
      { refusal },
    );
  };
  /** Deletes `item` (`DELETE path/id`), takes it off the list at once and says `done`. */
  const remove = (item: T, done: string) =>
    form.run(
      async () => {
        await del(`${path}/${item.id}`);
        list.setData((all) => all?.filter((x) => x.id !== item.id));
        list.reload();
        return done;
      },
      { busy: false },
    );
  return { list, form, add, remove };
}

/** The form under an admin list that adds to it: a heading, the fields, what it said, and its button. */
function AddForm({
  headingId, heading, form, onSubmit, label, testId, children,
}: { headingId: string; heading: string; form: Submit; onSubmit: (e: Event) => void; label: string; testId?: string; children: ComponentChildren }) {
  return (
    <form class="form" onSubmit={onSubmit} noValidate aria-labelledby={headingId}>
      <h3 id={headingId} class="small-heading">
        {heading}
      </h3>
      {children}
      <FormMessages error={form.error} notice={form.notice} />
      <SubmitActions busy={form.busy} label={label} busyLabel="Adding…" testId={testId} />
    </form>
  );
}

function TemplatesSection() {
  const { list, form, add, remove } = useAdminList<Template>('/api/v1/templates', 'templates');
  const [name, setName] = useState('');
  const [body, setBody] = useState('');

  const submit = (e: Event) =>
    add(e, {
      refusal: !name.trim() || !body.trim() ? 'Give the template a name and a body.' : null,
      body: { name: name.trim(), body },
      reset: () => {
        setName('');
        setBody('');
      },
      done: `Added template “${name.trim()}”.`,
    });

  return (
    <section class="card" aria-labelledby="settings-templates">
      <h2 id="settings-templates">Templates</h2>
      <LoadState of={list} what="the templates" loadingWhat="templates" />
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
                <button type="button" class="button-danger" onClick={() => void remove(t, `Deleted template “${t.name}”.`)}>
                  Delete<span class="visually-hidden"> template {t.name}</span>
                </button>
              </li>
            ))}
          </ul>
        )
      ) : null}
      <AddForm headingId="template-add-heading" heading="Add a template" form={form} onSubmit={submit} label="Add template" testId="template-add">
        <Field id="template-name" label="Name">
          <input id="template-name" type="text" maxLength={100} value={name} onInput={(e) => setName(e.currentTarget.value)} data-testid="template-name" />
        </Field>
        <Field id="template-body" label="Text">
          <textarea
            id="template-body"
            rows={3}
            maxLength={MAX_BODY_CHARS}
            value={body}
            onInput={(e) => setBody(e.currentTarget.value)}
            data-testid="template-body"
            aria-describedby="template-body-help"
          />
          <span id="template-body-help" class="hint">
            Placeholders: {placeholderList()}.
          </span>
        </Field>
      </AddForm>
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
  const { list, form, add, remove } = useAdminList<User>('/api/v1/users', 'users');
  const [email, setEmail] = useState('');
  const [name, setName] = useState('');
  const [role, setRole] = useState<Role>('agent');
  const [password, setPassword] = useState('');

  const submit = (e: Event) =>
    add(e, {
      refusal: !email.trim() || !name.trim() || !password ? 'Fill in the email, name and password.' : null,
      body: { email: email.trim(), name: name.trim(), role, password },
      reset: () => {
        setEmail('');
        setName('');
        setPassword('');
        setRole('agent');
      },
      done: `Added ${email.trim()} as ${role === 'admin' ? 'an admin' : 'an agent'}.`,
    });

  return (
    <section class="card" aria-labelledby="settings-users">
      <h2 id="settings-users">Users</h2>
      <LoadState of={list} what="the users" loadingWhat="users" />
      {list.data ? (
        <TableRegion label="Users" testId="settings-users" heads={['Name', 'Email', 'Role']} hiddenHead="Actions">
          {list.data.map((u) => (
            <tr key={u.id}>
              <th scope="row">{u.name}</th>
              <td>{u.email}</td>
              <td>{u.role}</td>
              <td>
                {String(u.id) === String(me.id) ? (
                  <span class="hint">You</span>
                ) : (
                  <button type="button" class="button-danger button-small" onClick={() => void remove(u, `Deleted ${u.email}.`)}>
                    Delete<span class="visually-hidden"> {u.email}</span>
                  </button>
                )}
              </td>
            </tr>
          ))}
        </TableRegion>
      ) : null}
      <AddForm headingId="user-add-heading" heading="Add a user" form={form} onSubmit={submit} label="Add user">
        <div class="form-grid">
          <Field id="user-email" label="Email">
            <input id="user-email" type="email" autoComplete="off" value={email} onInput={(e) => setEmail(e.currentTarget.value)} />
          </Field>
          <Field id="user-name" label="Name">
            <input id="user-name" type="text" autoComplete="off" value={name} onInput={(e) => setName(e.currentTarget.value)} />
          </Field>
          <Field id="user-role" label="Role">
            <select id="user-role" value={role} onChange={(e) => setRole(e.currentTarget.value as Role)}>
              <option value="agent">Agent</option>
              <option value="admin">Admin</option>
            </select>
          </Field>
          <Field id="user-password" label="Password">
            <input id="user-password" type="password" autoComplete="new-password" value={password} onInput={(e) => setPassword(e.currentTarget.value)} />
          </Field>
        </div>
      </AddForm>
    </section>
  );
}

function TokensSection() {
  // A revoked token stays listed (marked revoked), so tokens are not deleted with `remove`.
  const { list, form } = useAdminList<ApiToken>('/api/v1/tokens', 'tokens');
  const [name, setName] = useState('');
  const [created, setCreated] = useState<{ name: string; token: string } | null>(null);
  const create = (e: Event) => {
    e.preventDefault();
    void form.run(
      async () => {
        const r = await post<{ id: number | string; name: string; token: string }>('/api/v1/tokens', { name: name.trim() });
        setCreated({ name: r.name ?? name.trim(), token: r.token });
        setName('');
        list.reload();
        return null;
      },
      { refusal: !name.trim() ? 'Give the token a name, e.g. the integration that will use it.' : null },
    );
  };

  const revoke = (t: ApiToken) =>
    form.run(
      async () => {
        await del(`/api/v1/tokens/${t.id}`);
        list.reload();
        return null;
      },
      { busy: false },
    );

  return (
    <section class="card" aria-labelledby="settings-tokens">
      <h2 id="settings-tokens">API tokens</h2>
      <p class="hint">Integrations call the REST API with <code>Authorization: Bearer &lt;token&gt;</code>.</p>
      <LoadState of={list} what="the API tokens" loadingWhat="API tokens" />
      {list.data ? (
        list.data.length === 0 ? (
          <p class="hint">No API tokens yet.</p>
        ) : (
          <TableRegion label="API tokens" testId="settings-tokens" heads={['Name', 'Created', 'Last used', 'State']} hiddenHead="Actions">
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
          </TableRegion>
        )
      ) : null}
      {created ? (
        <div class="notice notice-warn" data-testid="token-created">
          <p>
            <strong>Copy the token “{created.name}” now: it is shown only once.</strong> smsdesk cannot show it again; if it is
            lost, revoke it and create another.
          </p>
          <ShownOnceField id="token-value" label="New API token" value={created.token} what="token" testId="token-value" />
          <button type="button" class="button-secondary" onClick={() => setCreated(null)}>
            I have copied it
          </button>
        </div>
      ) : null}
      <form class="form" onSubmit={create} noValidate>
        <Field id="token-name" label="New token name">
          <div class="input-row">
            <input id="token-name" type="text" value={name} onInput={(e) => setName(e.currentTarget.value)} placeholder="e.g. CRM integration" />
            <button type="submit" disabled={form.busy}>
              {form.busy ? 'Creating…' : 'Create token'}
            </button>
          </div>
        </Field>
        <FormMessages error={form.error} />
      </form>
    </section>
  );
}
