import { useMemo, useState } from 'preact/hooks';
import { del, errorMessage, get, listOf, patch, post, withQuery } from '../../api.ts';
import { ActionList, EditorContext, PlaceholderBar, type EditorContextValue, type TextTarget } from '../../components/AutomationActions.tsx';
import { LoadState, ScreenHead, TableRegion, ticketStatusLabel, Time } from '../../components/common.tsx';
import { DataList, Field, FormMessages, SubmitActions, useSubmit } from '../../components/forms.tsx';
import { conditionDefault, draftFromSpec, draftProblem, newDraft, specOf, type AutomationDraft } from '../../automation-draft.ts';
import {
  actionLabel, automationSummary, CONDITION_KEYS, CONDITION_LABEL, eventLabel, runStateLabel, whenLabel, type ConditionKey,
} from '../../automation-words.ts';
import { plural } from '../../format.ts';
import { useResource, useTitle } from '../../hooks.ts';
import { useLiveReload } from '../../live.tsx';
import { href, navigate } from '../../router.ts';
import { knownGroups, knownNumbers, useSession } from '../../session.tsx';
import {
  TICKET_STATUSES, type AutomationRun, type AutomationVocabulary, type StoredAutomation, type Template, type Trigger,
} from '../../types.ts';

/**
 * Settings → Automations: when (an event) → if (conditions) → then (actions, in order), as CONTRACT.md's
 * "Automations" has them, in words. Admins write; agents read the list, each automation and its runs.
 * smsdesk checks every automation whole (400 invalid_automation naming the bad part): the editor shows its
 * answer next to the form and marks the part it names, keeping everything as typed.
 */

const LIST = href({ name: 'automations' });
// What the list says once, after the editor saved or deleted (the editor navigates back to it).
let flash: string | null = null;

const loadVocabulary = () => get<AutomationVocabulary>('/api/v1/automations/vocabulary');
const loadTemplates = () => get<unknown>('/api/v1/templates').then((r) => listOf<Template>(r, 'templates'));

export function Automations() {
  useTitle('Automations');
  const { isAdmin } = useSession();
  const list = useResource(() => get<unknown>('/api/v1/automations').then((r) => listOf<StoredAutomation>(r, 'automations')), []);
  // For the summaries' template names only: without them a summary says "template 3".
  const templates = useResource(() => loadTemplates().catch(() => [] as Template[]), []);
  const [notice, setNotice] = useState<string | null>(() => {
    const said = flash;
    flash = null;
    return said;
  });
  const [confirming, setConfirming] = useState<number | null>(null);
  const form = useSubmit();

  const toggle = (a: StoredAutomation, enabled: boolean) => {
    setNotice(null);
    list.setData((all) => all?.map((x) => (x.id === a.id ? { ...x, enabled } : x)));
    void form.run(
      async () => {
        try {
          const saved = await patch<StoredAutomation>(`/api/v1/automations/${a.id}`, { enabled });
          list.setData((all) => all?.map((x) => (x.id === a.id ? saved : x)));
          return `${enabled ? 'Turned on' : 'Turned off'} “${a.name}”.`;
        } catch (err) {
          list.setData((all) => all?.map((x) => (x.id === a.id ? { ...x, enabled: a.enabled } : x)));
          throw err;
        }
      },
      { busy: false },
    );
  };

  const remove = (a: StoredAutomation) => {
    setNotice(null);
    void form.run(
      async () => {
        await del(`/api/v1/automations/${a.id}`);
        setConfirming(null);
        list.setData((all) => all?.filter((x) => x.id !== a.id));
        return `Deleted “${a.name}”.`;
      },
      { busy: false },
    );
  };

  return (
    <section class="automations" data-testid="automations">
      <p class="back">
        <a href="#/settings">← Settings</a>
      </p>
      <ScreenHead title="Automations" updating={list.loading && Boolean(list.data)} />
      <p class="hint">
        When something happens to a ticket or a text, each automation checks its conditions and, if they all hold, does its actions in order.
        It acts at most once per event, and never on an event its own actions caused. Its runs show what it did and why.
      </p>
      {isAdmin ? (
        <p>
          <a class="link-button" href={href({ name: 'automation', id: null })} data-testid="automation-new">
            New automation
          </a>
        </p>
      ) : (
        <p class="notice" data-testid="automations-admin-only">
          Only admins can change automations; you can read them and their runs.
        </p>
      )}
      <p class="notice-ok" role="status" data-testid="automations-notice">
        {notice ?? form.notice ?? ''}
      </p>
      <FormMessages error={form.error} errorTestId="automations-error" />
      <LoadState of={list} what="the automations" />
      {list.data ? (
        list.data.length === 0 ? (
          <p class="hint" data-testid="automations-empty">
            No automations yet.{isAdmin ? ' Start with “New automation”, e.g. text the requester when their ticket is resolved.' : ''}
          </p>
        ) : (
          <TableRegion label="Automations" testId="automations-list" class="automations-table stack-on-narrow" heads={['Name', 'When', 'If and then', 'On']} hiddenHead="Actions">
            {list.data.map((a) => (
              <tr key={a.id} data-testid="automation-row" data-automation-id={a.id} class={a.enabled ? undefined : 'muted'}>
                <th scope="row" data-label="Name">
                  {a.name}
                </th>
                <td data-label="When" data-testid="automation-when">
                  {whenLabel(a)}
                </td>
                <td data-label="If and then" class="excerpt" data-testid="automation-summary">
                  {automationSummary(a, templates.data)}
                </td>
                <td data-label="On">
                  {isAdmin ? (
                    <label class="checkbox">
                      {/* A stable name ("On: <name>"); checked or not says whether it is. */}
                      <input type="checkbox" checked={a.enabled} onChange={(e) => toggle(a, e.currentTarget.checked)} aria-label={`On: ${a.name}`} data-testid="automation-enabled" />
                      <span aria-hidden="true">On</span>
                    </label>
                  ) : (
                    <span data-testid="automation-enabled-text">{a.enabled ? 'On' : 'Off'}</span>
                  )}
                </td>
                <td class="cell-action">
                  <div class="actions row-actions">
                    <a href={href({ name: 'automationRuns', id: a.id })} data-testid="automation-runs">
                      Runs<span class="visually-hidden"> of {a.name}</span>
                    </a>
                    <a href={href({ name: 'automation', id: a.id })} data-testid="automation-edit">
                      {isAdmin ? 'Edit' : 'View'}
                      <span class="visually-hidden"> {a.name}</span>
                    </a>
                    {!isAdmin ? null : confirming === a.id ? (
                      <span class="confirm" role="group" aria-label={`Delete ${a.name}?`}>
                        <span>Delete it?</span>
                        <button type="button" class="button-danger button-small" onClick={() => remove(a)} data-testid="automation-delete-confirm">
                          Yes, delete<span class="visually-hidden"> {a.name}</span>
                        </button>
                        <button type="button" class="button-secondary button-small" onClick={() => setConfirming(null)}>
                          Keep it
                        </button>
                      </span>
                    ) : (
                      <button type="button" class="button-danger button-small" onClick={() => setConfirming(a.id)} data-testid="automation-delete">
                        Delete<span class="visually-hidden"> {a.name}</span>
                      </button>
                    )}
                  </div>
                </td>
              </tr>
            ))}
          </TableRegion>
        )
      ) : null}
    </section>
  );
}

/** New (`id` null) or existing automation: admins edit it, agents read it. */
export function AutomationEditor({ id }: { id: number | null }) {
  const { isAdmin } = useSession();
  const vocabulary = useResource(loadVocabulary, []);
  const templates = useResource(loadTemplates, []);
  const automation = useResource(() => (id === null ? Promise.resolve(null) : get<StoredAutomation>(`/api/v1/automations/${id}`)), [id]);
  useTitle(id === null ? 'New automation' : (automation.data?.name ?? 'Automation'));
  const ready = vocabulary.data && automation.data !== undefined;

  return (
    <section class="automation-editor" data-testid="automation-editor">
      <p class="back">
        <a href={LIST}>← Automations</a>
      </p>
      <h1 tabIndex={-1}>{id === null ? 'New automation' : automation.data ? automation.data.name : `Automation ${id}`}</h1>
      {!isAdmin ? (
        <p class="notice" data-testid="automation-read-only">
          Only admins can change automations.
        </p>
      ) : null}
      <LoadState of={vocabulary} what="what automations can do" />
      <LoadState of={automation} what="the automation" />
      {ready ? (
        <EditorForm
          key={id ?? 'new'}
          id={id}
          initial={automation.data ? draftFromSpec(automation.data) : newDraft(vocabulary.data!.events.includes('ticket.status_changed') ? 'ticket.status_changed' : vocabulary.data!.events[0])}
          vocabulary={vocabulary.data!}
          templates={templates.data ?? []}
          templatesError={templates.error ? errorMessage(templates.error) : null}
          readOnly={!isAdmin}
        />
      ) : null}
    </section>
  );
}

/** Which part smsdesk's refusal names: "then[1].sendSms.body: …" → action 1; "if.tag: …" → the tag; "name: …". */
function refusedPart(message: string | null): { action: number | null; field: string | null } {
  if (!message) return { action: null, field: null };
  const action = /^then\[(\d+)\]/.exec(message);
  if (action) return { action: Number(action[1]), field: null };
  const field = /^(name|when|if\.[A-Za-z]+|if):/.exec(message);
  return { action: null, field: field ? field[1]! : null };
}

function EditorForm({
  id, initial, vocabulary, templates, templatesError, readOnly,
}: {
  id: number | null;
  initial: AutomationDraft;
  vocabulary: AutomationVocabulary;
  templates: Template[];
  templatesError: string | null;
  readOnly: boolean;
}) {
  const { settings } = useSession();
  const [draft, setDraft] = useState<AutomationDraft>(initial);
  const [previewFor, setPreviewFor] = useState('');
  const [target, setTarget] = useState<TextTarget | null>(null);
  const [targetHint, setTargetHint] = useState(false);
  const form = useSubmit();
  const refused = refusedPart(form.error);
  const edit = (change: Partial<AutomationDraft>) => setDraft((d) => ({ ...d, ...change }));

  const previewNumber = Number(previewFor);
  const previewTicket = previewFor.trim() && Number.isInteger(previewNumber) && previewNumber > 0 ? previewNumber : null;
  const context = useMemo<EditorContextValue>(
    () => ({
      vocabulary,
      templates,
      templatesError,
      previewTicket,
      setTarget: (t) => {
        setTarget(t);
        setTargetHint(false);
      },
      numbersList: 'automation-numbers',
      readOnly,
    }),
    [vocabulary, templates, templatesError, previewTicket, readOnly],
  );

  const save = (e: Event) => {
    e.preventDefault();
    if (readOnly) return;
    void form.run(
      async () => {
        const spec = specOf(draft);
        const saved = id === null
          ? await post<StoredAutomation>('/api/v1/automations', spec)
          : await patch<StoredAutomation>(`/api/v1/automations/${id}`, spec);
        flash = id === null ? `Saved the new automation “${saved.name}”.` : `Saved “${saved.name}”.`;
        navigate(LIST);
        return null;
      },
      { refusal: draftProblem(draft) },
    );
  };

  const invalid = (field: string) => (refused.field === field ? true : undefined);
  const events = vocabulary.events.includes(draft.when) ? vocabulary.events : [...vocabulary.events, draft.when];

  return (
    <EditorContext.Provider value={context}>
      <form class="form automation-form" onSubmit={save} noValidate aria-label={id === null ? 'New automation' : `Edit ${initial.name}`} data-testid="automation-form">
        <fieldset class="plain" disabled={readOnly}>
          <div class="form-grid">
            <Field id="automation-name" label="Name">
              <input
                id="automation-name"
                type="text"
                maxLength={120}
                autoComplete="off"
                placeholder="e.g. Resolved notice"
                value={draft.name}
                onInput={(e) => edit({ name: e.currentTarget.value })}
                aria-invalid={invalid('name')}
                data-testid="automation-name"
              />
            </Field>
            <label class="checkbox automation-enabled">
              <input type="checkbox" checked={draft.enabled} onChange={(e) => edit({ enabled: e.currentTarget.checked })} data-testid="automation-form-enabled" />
              On (acts on events from now on)
            </label>
          </div>
        </fieldset>

        <section class="card editor-part" aria-labelledby="automation-when-heading">
          <h2 id="automation-when-heading">When</h2>
          <fieldset class="plain" disabled={readOnly}>
            <Field id="automation-when" label="This happens">
              <select
                id="automation-when"
                value={draft.when}
                onChange={(e) => edit({ when: e.currentTarget.value as Trigger })}
                aria-invalid={invalid('when')}
                data-testid="automation-when-select"
              >
                {events.map((ev) => (
                  <option key={ev} value={ev}>
                    {eventLabel(ev)}
                  </option>
                ))}
              </select>
            </Field>
            {draft.when === 'ticket.idle' ? (
              <Field id="automation-idle" label="Minutes without activity">
                <input
                  id="automation-idle"
                  type="number"
                  min={1}
                  step={1}
                  inputMode="numeric"
                  value={draft.idleMinutes}
                  onInput={(e) => edit({ idleMinutes: e.currentTarget.value })}
                  aria-invalid={invalid('if.idleMinutes')}
                  aria-describedby="automation-idle-help"
                  data-testid="automation-idle"
                />
                <span id="automation-idle-help" class="hint">
                  How long a ticket goes without a text or a change before this acts.
                </span>
              </Field>
            ) : null}
          </fieldset>
        </section>

        <section class="card editor-part" aria-labelledby="automation-if-heading">
          <h2 id="automation-if-heading">If</h2>
          <fieldset class="plain" disabled={readOnly}>
            <Conditions draft={draft} setDraft={setDraft} invalid={invalid} />
          </fieldset>
        </section>

        <section class="card editor-part" aria-labelledby="automation-then-heading">
          <h2 id="automation-then-heading">Then</h2>
          <div class="then-tools">
            <Field id="automation-preview-ticket" label="Preview for ticket #">
              <input
                id="automation-preview-ticket"
                type="number"
                min={1}
                step={1}
                inputMode="numeric"
                value={previewFor}
                onInput={(e) => setPreviewFor(e.currentTarget.value)}
                aria-describedby="automation-preview-help"
                data-testid="automation-preview-ticket"
              />
              <span id="automation-preview-help" class="hint">
                Each text below shows what it would say on this ticket.
              </span>
            </Field>
            {readOnly ? null : <PlaceholderBar target={target} onMissing={() => setTargetHint(true)} />}
            {targetHint ? (
              <p class="field-error" role="alert">
                Click in one of the texts below first: the placeholder goes where the cursor is.
              </p>
            ) : null}
          </div>
          <p class="hint">In order, top to bottom; if one fails, the ones after it are skipped.</p>
          <ActionList
            actions={draft.then}
            onChange={(change) => setDraft((d) => ({ ...d, then: change(d.then) }))}
            depth={0}
            name="Action"
            errorIndex={refused.action}
            error={form.error}
            emptyHint="No actions yet: add what it should do."
            testId="automation-actions"
          />
        </section>

        <DataList id="automation-numbers" values={knownNumbers(settings).map((n) => n.number)} />
        <DataList id="automation-groups" values={knownGroups(settings)} />
        {readOnly ? null : (
          <>
            <FormMessages error={form.error} errorTestId="automation-form-error" />
            <SubmitActions busy={form.busy} label={id === null ? 'Save automation' : 'Save changes'} busyLabel="Saving…" testId="automation-save">
              <a href={LIST}>Cancel</a>
            </SubmitActions>
          </>
        )}
        {id !== null ? (
          <p>
            <a href={href({ name: 'automationRuns', id })}>See its runs</a>
          </p>
        ) : null}
      </form>
    </EditorContext.Provider>
  );
}

function Conditions({
  draft, setDraft, invalid,
}: { draft: AutomationDraft; setDraft: (update: (d: AutomationDraft) => AutomationDraft) => void; invalid: (field: string) => true | undefined }) {
  const applies = (key: ConditionKey) => key !== 'keyword' || draft.when === 'message.received';
  const present = CONDITION_KEYS.filter((k) => draft.conditions[k] !== undefined);
  const addable = CONDITION_KEYS.filter((k) => draft.conditions[k] === undefined && applies(k));
  const [adding, setAdding] = useState<ConditionKey | ''>('');
  const choice = adding && addable.includes(adding) ? adding : (addable[0] ?? '');

  const set = (key: ConditionKey, value: string | undefined) =>
    setDraft((d) => {
      const conditions = { ...d.conditions };
      if (value === undefined) delete conditions[key];
      else conditions[key] = value;
      return { ...d, conditions };
    });
  const add = () => {
    if (!choice) return;
    set(choice, conditionDefault(choice));
    requestAnimationFrame(() => document.getElementById(`cond-${choice}`)?.focus());
  };

  return (
    <>
      {present.length ? (
        <ul class="condition-list" data-testid="automation-conditions">
          {present.map((key) => {
            const id = `cond-${key}`;
            const value = draft.conditions[key] ?? '';
            const bad = invalid(`if.${key}`);
            return (
              <li key={key} class="condition" data-testid="automation-condition" data-condition={key}>
                <Field id={id} label={CONDITION_LABEL[key]}>
                  {key === 'status' || key === 'previousStatus' ? (
                    <select id={id} value={value} onChange={(e) => set(key, e.currentTarget.value)} aria-invalid={bad} data-testid={id}>
                      {TICKET_STATUSES.map((s) => (
                        <option key={s} value={s}>
                          {ticketStatusLabel(s)}
                        </option>
                      ))}
                    </select>
                  ) : key === 'businessHours' ? (
                    <select id={id} value={value} onChange={(e) => set(key, e.currentTarget.value)} aria-invalid={bad} aria-describedby={`${id}-help`} data-testid={id}>
                      <option value="inside">Only inside business hours</option>
                      <option value="outside">Only outside business hours</option>
                    </select>
                  ) : (
                    <input
                      id={id}
                      type={key === 'twilioNumber' ? 'tel' : 'text'}
                      list={key === 'twilioNumber' ? 'automation-numbers' : key === 'group' ? 'automation-groups' : undefined}
                      autoComplete="off"
                      spellcheck={false}
                      placeholder={key === 'twilioNumber' ? '+14155550199' : key === 'keyword' ? 'e.g. HOURS' : undefined}
                      value={value}
                      onInput={(e) => set(key, e.currentTarget.value)}
                      aria-invalid={bad}
                      aria-describedby={key === 'keyword' || key === 'group' ? `${id}-help` : undefined}
                      data-testid={id}
                    />
                  )}
                  {key === 'keyword' ? (
                    <span id={`${id}-help`} class={applies(key) ? 'hint' : 'field-error'}>
                      {applies(key)
                        ? 'An incoming text that is just this word, in any case (a trailing . ! or ? is fine).'
                        : `Only for “${eventLabel('message.received')}”: remove it, or change “When”.`}
                    </span>
                  ) : key === 'group' ? (
                    <span id={`${id}-help`} class="hint">
                      The team of the ticket's Twilio number (Settings → Twilio).
                    </span>
                  ) : key === 'businessHours' ? (
                    <span id={`${id}-help`} class="hint">
                      As set under Settings → Hours and usage; with none set, this never holds.
                    </span>
                  ) : null}
                </Field>
                <button type="button" class="button-secondary button-small" onClick={() => set(key, undefined)} data-testid="automation-condition-remove">
                  Remove<span class="visually-hidden"> the condition “{CONDITION_LABEL[key]}”</span>
                </button>
              </li>
            );
          })}
        </ul>
      ) : (
        <p class="hint">No conditions: it acts on every such event.</p>
      )}
      {invalid('if') ? <p class="field-error">smsdesk refused the conditions: see the message below.</p> : null}
      {addable.length ? (
        <div class="add-row">
          <label for="automation-add-condition" class="visually-hidden">
            Condition to add
          </label>
          <select id="automation-add-condition" value={choice} onChange={(e) => setAdding(e.currentTarget.value as ConditionKey)} data-testid="automation-add-condition">
            {addable.map((k) => (
              <option key={k} value={k}>
                {CONDITION_LABEL[k]}
              </option>
            ))}
          </select>
          <button type="button" class="button-secondary" onClick={add} data-testid="automation-add-condition-button">
            Add condition
          </button>
        </div>
      ) : null}
    </>
  );
}

/** What one automation did with each event it saw, newest first. */
export function AutomationRuns({ id }: { id: number }) {
  useTitle('Automation runs');
  const automation = useResource(() => get<StoredAutomation>(`/api/v1/automations/${id}`), [id]);
  const runs = useResource(() => get<unknown>(withQuery(`/api/v1/automations/${id}/runs`, { limit: 50 })).then((r) => listOf<AutomationRun>(r, 'runs')), [id]);
  // A run follows the texts and ticket changes the console hears of; the button is there for the rest.
  useLiveReload(runs.reload, ['message', 'ticket']);
  const a = automation.data;

  return (
    <section class="automation-runs" data-testid="automation-runs-screen">
      <p class="back">
        <a href={LIST}>← Automations</a>
      </p>
      <ScreenHead title={a ? `Runs of “${a.name}”` : 'Runs'} updating={runs.loading && Boolean(runs.data)} />
      <LoadState of={automation} what="the automation" />
      {a ? (
        <p class="hint">
          When: {whenLabel(a)}. {automationSummary(a)}.{a.enabled ? '' : ' It is off.'}{' '}
          <a href={href({ name: 'automation', id })}>Open the automation</a>
        </p>
      ) : null}
      <div class="actions">
        <button type="button" class="button-secondary" onClick={runs.reload} disabled={runs.loading} data-testid="automation-runs-refresh">
          {runs.loading && runs.data ? 'Refreshing…' : 'Refresh'}
        </button>
      </div>
      <LoadState of={runs} what="the runs" />
      {runs.data ? (
        runs.data.length === 0 ? (
          <p class="hint" data-testid="automation-runs-empty">
            No runs yet: it runs when its event next happens.
          </p>
        ) : (
          <>
            <p class="hint" aria-live="polite">
              {plural(runs.data.length, 'run')}, newest first.
            </p>
            <ol class="run-list" aria-label="Runs, newest first" data-testid="automation-runs">
              {runs.data.map((r) => (
                <RunItem key={r.id} run={r} />
              ))}
            </ol>
          </>
        )
      ) : null}
    </section>
  );
}

function RunItem({ run: r }: { run: AutomationRun }) {
  return (
    <li class="card run" data-testid="run" data-run-id={r.id} data-fired={String(r.fired)} data-state={r.state}>
      <article aria-label={`Run of ${eventLabel(r.event)}`}>
        <dl class="facts facts-small">
          <div>
            <dt>When</dt>
            <dd>
              <Time value={r.createdAt} full />
            </dd>
          </div>
          <div>
            <dt>Event</dt>
            <dd data-testid="run-event">{eventLabel(r.event)}</dd>
          </div>
          <div>
            <dt>Ticket</dt>
            <dd>{r.ticketId !== null ? <a href={href({ name: 'thread', ticketId: r.ticketId })} data-testid="run-ticket">#{r.ticketId}</a> : 'None'}</dd>
          </div>
          <div>
            <dt>Result</dt>
            <dd>
              <span class={`badge run-state run-${r.state}`} data-testid="run-state">
                {runStateLabel(r.state)}
              </span>
            </dd>
          </div>
        </dl>
        <p data-testid="run-decision">
          <strong>{r.fired ? 'Acted' : 'Did not act'}</strong>: <span data-testid="run-reason">{r.reason}</span>
        </p>
        {r.actions.length ? (
          <ol class="run-actions" data-testid="run-actions">
            {r.actions.map((x) => (
              <li key={x.index} data-testid="run-action" data-kind={x.kind} data-state={x.state}>
                <span class="run-action-kind">{actionLabel(x.kind)}</span>: <span class={`run-action-state run-${x.state}`}>{runStateLabel(x.state)}</span>
                {x.detail ? <span class="run-action-detail"> ({x.detail})</span> : null}
              </li>
            ))}
          </ol>
        ) : null}
        {r.finishedAt ? (
          <p class="hint">
            Finished <Time value={r.finishedAt} full />
          </p>
        ) : null}
      </article>
    </li>
  );
}
