import { createContext, type ComponentChildren } from 'preact';
import { useContext, useEffect, useRef, useState } from 'preact/hooks';
import { errorMessage, post } from '../api.ts';
import { newAction, newAnswer, textOf, type ActionDraft } from '../automation-draft.ts';
import { actionLabel } from '../automation-words.ts';
import { useDebounced } from '../hooks.ts';
import { TICKET_STATUSES, type ActionKind, type AutomationVocabulary, type Template } from '../types.ts';
import { ticketStatusLabel } from './common.tsx';
import { Field } from './forms.tsx';

/**
 * The "Then" part of the automation editor: an ordered list of actions (add, remove, move up and down), each
 * with its own fields; an `ask` holds, per expected answer, a list of its own (one level: the same editor
 * without `ask`). Every text field that takes placeholders registers itself as the placeholder bar's target
 * when focused, and shows its live preview for the ticket the editor names.
 */

/** A text field the placeholder bar inserts into: the last one focused. */
export interface TextTarget {
  id: string;
  label: string;
  apply: (value: string) => void;
}

export interface EditorContextValue {
  vocabulary: AutomationVocabulary;
  templates: readonly Template[];
  /** The templates could not be loaded: why (the template picker says so). */
  templatesError: string | null;
  /** The ticket the previews are for, or null (no preview). */
  previewTicket: number | null;
  setTarget: (target: TextTarget) => void;
  /** Ids of the datalists of known Twilio numbers. */
  numbersList: string;
  readOnly: boolean;
}

export const EditorContext = createContext<EditorContextValue | null>(null);

function useEditor(): EditorContextValue {
  const value = useContext(EditorContext);
  if (!value) throw new Error('useEditor outside the automation editor');
  return value;
}

type ListUpdate = (update: (list: ActionDraft[]) => ActionDraft[]) => void;

/** Ids for each list's "add" controls. */
let lists = 0;

/** An ordered list of actions. `name` says what they are in labels ("Action", "Answer YES, action"). */
export function ActionList({
  actions, onChange, depth, name, errorIndex = null, error = null, emptyHint, testId,
}: {
  actions: readonly ActionDraft[];
  onChange: ListUpdate;
  depth: number;
  name: string;
  /** The action smsdesk's refusal named (then[i]…), and the refusal. */
  errorIndex?: number | null;
  error?: string | null;
  emptyHint?: string;
  testId: string;
}) {
  const { vocabulary, readOnly } = useEditor();
  const kinds = vocabulary.actions.filter((k) => depth === 0 || k !== 'ask');
  const [adding, setAdding] = useState<ActionKind>(kinds[0] ?? 'sendSms');
  const focusAfter = useRef<string | null>(null);
  const [listId] = useState(() => `action-list-${++lists}`);

  useEffect(() => {
    if (!focusAfter.current) return;
    const el = document.getElementById(focusAfter.current) as HTMLButtonElement | HTMLSelectElement | null;
    focusAfter.current = null;
    el?.focus();
  });

  const update = (key: number) => (change: (a: ActionDraft) => ActionDraft) => onChange((list) => list.map((a) => (a.key === key ? change(a) : a)));
  const move = (index: number, by: -1 | 1) => {
    const a = actions[index];
    if (!a) return;
    const to = index + by;
    // Focus stays on the button pressed; at either end, on the other one.
    const atEnd = to === 0 || to === actions.length - 1;
    focusAfter.current = `a${a.key}-${atEnd ? (by < 0 ? 'down' : 'up') : by < 0 ? 'up' : 'down'}`;
    onChange((list) => {
      const next = [...list];
      const [moved] = next.splice(index, 1);
      next.splice(to, 0, moved!);
      return next;
    });
  };
  const remove = (key: number) => {
    focusAfter.current = `${listId}-add-kind`;
    onChange((list) => list.filter((a) => a.key !== key));
  };
  const add = () => {
    const a = newAction(adding);
    focusAfter.current = `a${a.key}-kind`;
    onChange((list) => [...list, a]);
  };

  return (
    <div class="action-list-wrap">
      {actions.length ? (
        <ol class="action-list" data-testid={testId}>
          {actions.map((a, i) => (
            <li key={a.key} class={`action-card${errorIndex === i ? ' action-error' : ''}`} data-testid="action" data-kind={a.kind}>
              <ActionEditor
                action={a}
                label={`${name} ${i + 1}`}
                index={i}
                count={actions.length}
                depth={depth}
                kinds={kinds}
                update={update(a.key)}
                onMove={(by) => move(i, by)}
                onRemove={() => remove(a.key)}
              />
              {errorIndex === i && error ? (
                <p class="field-error" data-testid="action-error">
                  smsdesk refused this action: {error}
                </p>
              ) : null}
            </li>
          ))}
        </ol>
      ) : (
        <p class="hint">{emptyHint ?? 'No actions yet.'}</p>
      )}
      {readOnly ? null : (
        <div class="add-row">
          <label for={`${listId}-add-kind`} class="visually-hidden">
            Kind of the new {name.toLowerCase()}
          </label>
          <select id={`${listId}-add-kind`} value={adding} onChange={(e) => setAdding(e.currentTarget.value as ActionKind)} data-testid={`${testId}-add-kind`}>
            {kinds.map((k) => (
              <option key={k} value={k}>
                {actionLabel(k)}
              </option>
            ))}
          </select>
          <button type="button" class="button-secondary" onClick={add} data-testid={`${testId}-add`}>
            Add {name.toLowerCase()}
          </button>
        </div>
      )}
    </div>
  );
}

function ActionEditor({
  action: a, label, index, count, depth, kinds, update, onMove, onRemove,
}: {
  action: ActionDraft;
  label: string;
  index: number;
  count: number;
  depth: number;
  kinds: readonly ActionKind[];
  update: (change: (a: ActionDraft) => ActionDraft) => void;
  onMove: (by: -1 | 1) => void;
  onRemove: () => void;
}) {
  const { readOnly } = useEditor();
  const id = (field: string) => `a${a.key}-${field}`;
  const set = <K extends keyof ActionDraft>(field: K) => (value: ActionDraft[K]) => update((d) => ({ ...d, [field]: value }));
  const changeKind = (kind: ActionKind) =>
    update((d) => ({
      ...d,
      kind,
      // An ask starts with two answers and a wait; fields typed for another kind are kept.
      ...(kind === 'ask' && d.answers.length === 0 ? { answers: [newAnswer('YES'), newAnswer('NO')], timeoutMinutes: d.timeoutMinutes || '60' } : {}),
    }));

  return (
    <fieldset class="action" disabled={readOnly}>
      <legend>{label}</legend>
      <div class="action-head">
        <Field id={id('kind')} label="Do">
          <select id={id('kind')} value={a.kind} onChange={(e) => changeKind(e.currentTarget.value as ActionKind)} data-testid="action-kind">
            {kinds.map((k) => (
              <option key={k} value={k}>
                {actionLabel(k)}
              </option>
            ))}
          </select>
        </Field>
        {readOnly ? null : (
          <div class="action-buttons">
            <button type="button" id={id('up')} class="button-secondary button-small" disabled={index === 0} onClick={() => onMove(-1)}>
              Move up<span class="visually-hidden"> {label}</span>
            </button>
            <button type="button" id={id('down')} class="button-secondary button-small" disabled={index === count - 1} onClick={() => onMove(1)}>
              Move down<span class="visually-hidden"> {label}</span>
            </button>
            <button type="button" class="button-danger button-small" onClick={onRemove} data-testid="action-remove">
              Remove<span class="visually-hidden"> {label}</span>
            </button>
          </div>
        )}
      </div>
      {a.kind === 'sendSms' ? <SendSmsFields a={a} label={label} id={id} set={set} /> : null}
      {a.kind === 'note' ? (
        <>
          <TemplateText id={id('note')} label="Note (HTML)" target={`the note of ${label.toLowerCase()}`} value={a.bodyHtml} onValue={set('bodyHtml')} rows={3} testId="action-note" preview={a} help="HTML such as <p>…</p>; placeholders are filled in, their values escaped." />
          <label class="checkbox">
            <input type="checkbox" checked={a.private} onChange={(e) => set('private')(e.currentTarget.checked)} data-testid="action-note-private" />
            Private (only agents see it)
          </label>
        </>
      ) : null}
      {a.kind === 'setStatus' ? (
        <Field id={id('status')} label="New status">
          <select id={id('status')} value={a.status} onChange={(e) => set('status')(e.currentTarget.value as ActionDraft['status'])} data-testid="action-status">
            {TICKET_STATUSES.map((s) => (
              <option key={s} value={s}>
                {ticketStatusLabel(s)}
              </option>
            ))}
          </select>
        </Field>
      ) : null}
      {a.kind === 'webhook' ? (
        <Field id={id('url')} label="Webhook URL">
          <input id={id('url')} type="url" inputMode="url" spellcheck={false} autoComplete="off" placeholder="https://example.com/hooks/smsdesk" value={a.url} onInput={(e) => set('url')(e.currentTarget.value)} aria-describedby={id('url-help')} data-testid="action-url" />
          <span id={id('url-help')} class="hint">
            smsdesk POSTs the event to this address (public addresses only).
          </span>
        </Field>
      ) : null}
      {a.kind === 'call' ? (
        <>
          <Field id={id('call-to')} label="Phone number to call">
            <input id={id('call-to')} type="tel" autoComplete="off" placeholder="+14155550100" value={a.callTo} onInput={(e) => set('callTo')(e.currentTarget.value)} data-testid="action-call-to" />
          </Field>
          <TemplateText id={id('say')} label="What the call says" target={`what ${label.toLowerCase()} says`} value={a.say} onValue={set('say')} rows={2} testId="action-say" preview={a} />
        </>
      ) : null}
      {a.kind === 'survey' ? <SurveyFields a={a} label={label} id={id} set={set} /> : null}
      {a.kind === 'ask' && depth === 0 ? <AskFields a={a} label={label} id={id} set={set} update={update} /> : null}
    </fieldset>
  );
}

type Setter = <K extends keyof ActionDraft>(field: K) => (value: ActionDraft[K]) => void;
interface FieldsProps {
  a: ActionDraft;
  label: string;
  id: (field: string) => string;
  set: Setter;
}

function SendSmsFields({ a, label, id, set }: FieldsProps) {
  const { templates, templatesError, numbersList } = useEditor();
  const template = templates.find((t) => String(t.id) === a.templateId);
  return (
    <>
      <fieldset class="fieldset">
        <legend>Text</legend>
        <div class="radio-row">
          <label class="radio">
            <input type="radio" name={id('source')} checked={a.source === 'text'} onChange={() => set('source')('text')} data-testid="action-sms-write" />
            Write the text
          </label>
          <label class="radio">
            <input type="radio" name={id('source')} checked={a.source === 'template'} onChange={() => set('source')('template')} data-testid="action-sms-use-template" />
            Use a template
          </label>
        </div>
        {a.source === 'text' ? (
          <TemplateText id={id('body')} label="Text to send" target={`the text of ${label.toLowerCase()}`} value={a.body} onValue={set('body')} rows={3} testId="action-sms-body" preview={a} />
        ) : (
          <Field id={id('template')} label="Template">
            <select id={id('template')} value={a.templateId} onChange={(e) => set('templateId')(e.currentTarget.value)} aria-describedby={id('template-help')} data-testid="action-sms-template">
              <option value="">Choose a template…</option>
              {templates.map((t) => (
                <option key={t.id} value={String(t.id)}>
                  {t.name}
                </option>
              ))}
              {a.templateId && !template ? <option value={a.templateId}>Template {a.templateId} (not found)</option> : null}
            </select>
            <span id={id('template-help')} class={templatesError ? 'field-error' : 'hint'}>
              {templatesError
                ? `Could not load the templates: ${templatesError}`
                : templates.length === 0
                  ? 'No templates yet: add one under Settings → Templates.'
                  : template
                    ? template.body
                    : 'Templates are kept under Settings → Templates.'}
            </span>
            {template ? <Preview text={template.body} /> : null}
          </Field>
        )}
      </fieldset>
      <fieldset class="fieldset">
        <legend>Send to</legend>
        <div class="radio-row">
          <label class="radio">
            <input type="radio" name={id('to')} checked={a.toRequester} onChange={() => set('toRequester')(true)} data-testid="action-sms-to-requester" />
            The ticket's requester
          </label>
          <label class="radio">
            <input type="radio" name={id('to')} checked={!a.toRequester} onChange={() => set('toRequester')(false)} data-testid="action-sms-to-number" />
            Another number
          </label>
        </div>
        {a.toRequester ? null : (
          <Field id={id('to-number')} label="Phone number">
            <input id={id('to-number')} type="tel" autoComplete="off" placeholder="+14155550100" value={a.to} onInput={(e) => set('to')(e.currentTarget.value)} aria-describedby={id('to-help')} data-testid="action-sms-to" />
            <span id={id('to-help')} class="hint">
              In international form, e.g. an on-call phone.
            </span>
          </Field>
        )}
      </fieldset>
      <div class="form-grid">
        <Field id={id('from')} label="From (Twilio number)">
          <input id={id('from')} type="tel" list={numbersList} autoComplete="off" placeholder="The ticket's number" value={a.from} onInput={(e) => set('from')(e.currentTarget.value)} data-testid="action-sms-from" />
        </Field>
        <Field id={id('delay')} label="Wait before sending (minutes)">
          <input id={id('delay')} type="number" min={0} step={1} inputMode="numeric" placeholder="0" value={a.delayMinutes} onInput={(e) => set('delayMinutes')(e.currentTarget.value)} aria-describedby={id('delay-help')} data-testid="action-sms-delay" />
          <span id={id('delay-help')} class="hint">
            Quiet hours and the monthly limit still apply.
          </span>
        </Field>
      </div>
    </>
  );
}

function SurveyFields({ a, label, id, set }: FieldsProps) {
  const { vocabulary } = useEditor();
  return (
    <TemplateText
      id={id('survey')}
      label="Question"
      target={`the question of ${label.toLowerCase()}`}
      value={a.question}
      onValue={set('question')}
      rows={2}
      placeholder={vocabulary.defaultSurveyQuestion}
      help="Texts the requester a 1–5 rating question. Empty: the question shown."
      testId="action-survey"
      preview={a}
    />
  );
}

function AskFields({ a, label, id, set, update }: FieldsProps & { update: (change: (a: ActionDraft) => ActionDraft) => void }) {
  const { readOnly } = useEditor();
  const answersUpdate = (key: number): ListUpdate => (change) =>
    update((d) => ({ ...d, answers: d.answers.map((x) => (x.key === key ? { ...x, actions: change(x.actions) } : x)) }));
  const setWord = (key: number, word: string) => update((d) => ({ ...d, answers: d.answers.map((x) => (x.key === key ? { ...x, word } : x)) }));
  const addAnswer = () => {
    const answer = newAnswer('');
    update((d) => ({ ...d, answers: [...d.answers, answer] }));
    requestAnimationFrame(() => document.getElementById(id(`answer-${answer.key}`))?.focus());
  };
  return (
    <>
      <TemplateText id={id('ask')} label="Question" target={`the question of ${label.toLowerCase()}`} value={a.question} onValue={set('question')} rows={2} help="Texted to the requester; their reply's first word picks the answer, any case." testId="action-ask-question" preview={a} />
      <ol class="answer-list" data-testid="action-ask-answers">
        {a.answers.map((answer, i) => {
          const word = answer.word.trim().toUpperCase() || `${i + 1}`;
          return (
            <li key={answer.key} class="answer" data-testid="action-ask-answer">
              <div class="answer-head">
                <Field id={id(`answer-${answer.key}`)} label={`Answer ${i + 1} (one word)`}>
                  <input id={id(`answer-${answer.key}`)} type="text" autoComplete="off" spellcheck={false} class="answer-word" value={answer.word} onInput={(e) => setWord(answer.key, e.currentTarget.value)} data-testid="action-ask-word" />
                </Field>
                {readOnly ? null : (
                  <button type="button" class="button-danger button-small" onClick={() => update((d) => ({ ...d, answers: d.answers.filter((x) => x.key !== answer.key) }))}>
                    Remove<span class="visually-hidden"> answer {word} of {label}</span>
                  </button>
                )}
              </div>
              <ActionList actions={answer.actions} onChange={answersUpdate(answer.key)} depth={1} name={`Answer ${word}, action`} emptyHint="No actions for this answer yet: add one." testId="action-ask-answer-actions" />
            </li>
          );
        })}
      </ol>
      {readOnly ? null : (
        <button type="button" class="button-secondary button-small" onClick={addAnswer} data-testid="action-ask-add-answer">
          Add an answer<span class="visually-hidden"> to {label}</span>
        </button>
      )}
      <Field id={id('timeout')} label="Wait for an answer (minutes)">
        <input id={id('timeout')} type="number" min={1} step={1} inputMode="numeric" value={a.timeoutMinutes} onInput={(e) => set('timeoutMinutes')(e.currentTarget.value)} data-testid="action-ask-timeout" />
      </Field>
      <fieldset class="fieldset">
        <legend>If no answer comes in time</legend>
        <ActionList
          actions={a.onTimeout}
          onChange={(change) => update((d) => ({ ...d, onTimeout: change(d.onTimeout) }))}
          depth={1}
          name="No-answer action"
          emptyHint="Nothing happens."
          testId="action-ask-timeout-actions"
        />
      </fieldset>
    </>
  );
}

/** A text that takes placeholders: the placeholder bar's target while focused, with its live preview below. */
function TemplateText({
  id, label, target, value, onValue, rows, placeholder, help, testId, preview,
}: {
  id: string;
  label: string;
  /** How the placeholder bar names this field ("the text of action 1"). */
  target: string;
  value: string;
  onValue: (value: string) => void;
  rows: number;
  placeholder?: string;
  help?: string;
  testId: string;
  /** The action whose text is previewed. */
  preview: ActionDraft;
}) {
  const { setTarget, vocabulary, templates } = useEditor();
  return (
    <div class="field">
      <label for={id}>{label}</label>
      <textarea
        id={id}
        rows={rows}
        value={value}
        placeholder={placeholder}
        onInput={(e) => onValue(e.currentTarget.value)}
        onFocus={() => setTarget({ id, label: target, apply: onValue })}
        aria-describedby={[help ? `${id}-help` : '', `${id}-preview`].filter(Boolean).join(' ')}
        data-testid={testId}
      />
      {help ? (
        <span id={`${id}-help`} class="hint">
          {help}
        </span>
      ) : null}
      <Preview id={`${id}-preview`} text={textOf(preview, templates, vocabulary.defaultSurveyQuestion)} />
    </div>
  );
}

/** `text` with its placeholders filled in for the editor's preview ticket (POST /api/v1/automations/preview), debounced. */
function Preview({ id, text }: { id?: string; text: string }) {
  const { previewTicket } = useEditor();
  const wanted = previewTicket !== null && text.trim() ? JSON.stringify([previewTicket, text]) : '';
  const request = useDebounced(wanted, 350);
  const [result, setResult] = useState<{ for: string; text?: string; error?: string } | null>(null);

  useEffect(() => {
    if (!request) return;
    const [ticketId, body] = JSON.parse(request) as [number, string];
    const controller = new AbortController();
    post<{ text: string }>('/api/v1/automations/preview', { text: body, ticketId }, { signal: controller.signal }).then(
      (r) => setResult({ for: request, text: r.text }),
      (err: unknown) => {
        if ((err as Error)?.name === 'AbortError') return;
        setResult({ for: request, error: errorMessage(err) });
      },
    );
    return () => controller.abort();
  }, [request]);

  if (!text.trim()) return null;
  let content: ComponentChildren;
  let state: string;
  if (previewTicket === null) {
    state = 'idle';
    content = <span class="hint">Enter a ticket number under “Preview for ticket #” to see this filled in.</span>;
  } else if (!result || result.for !== wanted) {
    state = 'loading';
    content = <span class="hint">Previewing for ticket #{previewTicket}…</span>;
  } else if (result.error !== undefined) {
    state = 'error';
    content = (
      <span class="field-error" data-testid="action-preview-text">
        {result.error}
      </span>
    );
  } else {
    state = 'ok';
    content = (
      <>
        <span class="preview-label">Preview for ticket #{previewTicket}:</span>{' '}
        <span class="preview-text" data-testid="action-preview-text">
          {result.text}
        </span>
      </>
    );
  }
  return (
    <p id={id} class="preview" data-testid="action-preview" data-state={state}>
      {content}
    </p>
  );
}

/** The placeholders, each a button that inserts it where the cursor was in the last text field focused. */
export function PlaceholderBar({ target, onMissing }: { target: TextTarget | null; onMissing: () => void }) {
  const { vocabulary } = useEditor();
  const insert = (name: string) => {
    const el = target ? (document.getElementById(target.id) as HTMLTextAreaElement | HTMLInputElement | null) : null;
    if (!target || !el) {
      onMissing();
      return;
    }
    const token = `{{${name}}}`;
    const start = el.selectionStart ?? el.value.length;
    const end = el.selectionEnd ?? start;
    const value = el.value.slice(0, start) + token + el.value.slice(end);
    // Set on the element first, so the re-render leaves the cursor where it is: just after the placeholder.
    el.value = value;
    el.focus();
    el.setSelectionRange(start + token.length, start + token.length);
    target.apply(value);
  };
  return (
    <div class="placeholder-bar" role="group" aria-labelledby="placeholder-bar-label" data-testid="placeholder-bar">
      <p id="placeholder-bar-label" class="hint">
        <strong>Placeholders</strong> (filled in for each ticket): {target ? `insert into ${target.label}` : 'click in a text first, then pick one'}.
      </p>
      <ul class="chip-list">
        {vocabulary.placeholders.map((p) => (
          <li key={p}>
            <button
              type="button"
              class="button-secondary button-small mono"
              // A click keeps the cursor in the text; the keyboard reaches the buttons and inserts into the last text.
              onMouseDown={(e) => e.preventDefault()}
              onClick={() => insert(p)}
              data-testid="placeholder-insert"
              data-placeholder={p}
            >
              <span class="visually-hidden">Insert </span>
              {`{{${p}}}`}
            </button>
          </li>
        ))}
      </ul>
    </div>
  );
}
