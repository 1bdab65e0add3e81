import { useState } from 'preact/hooks';
import { segmentInfo } from '../../../src/domain/segments.ts';
import { ApiError, get, patch, post } from '../api.ts';
import { plural } from '../format.ts';
import { useResource } from '../hooks.ts';
import { agentTime, agentZone, forTheCustomer, fromLocalInput, recipientZone, sendAtProblem, toLocalInput } from '../schedule-time.ts';
import type { Message, RecipientZone } from '../types.ts';
import { FormMessages, useSubmit } from './forms.tsx';

/** The recipient's time zone, or null while it loads (or when smsdesk could not tell). */
export function useRecipientZone(phone: string): RecipientZone | null {
  return useResource(() => recipientZone(phone), [phone]).data ?? null;
}

/** When a scheduled text goes: on the agent's clock, and on the customer's. */
export function ScheduledTime({ message: m, zone }: { message: Message; zone: RecipientZone | null }) {
  if (!m.sendAt) return null;
  const at = new Date(m.sendAt);
  return (
    <span class="scheduled-time" data-testid="scheduled-time">
      <time dateTime={m.sendAt}>{agentTime(at)}</time> <span class="hint-inline">your time</span>
      {zone ? <span class="scheduled-customer"> · {forTheCustomer(at, zone.zone)}</span> : null}
    </span>
  );
}

/**
 * What a scheduled or canceled text shows beneath its bubble: when it goes, why it was held (quiet hours),
 * and Edit (time, text) and Cancel while it waits.
 */
export function ScheduledDetails({ message: m, onChange }: { message: Message; onChange: (m: Message) => void }) {
  const zone = useRecipientZone(m.to);
  if (m.status === 'canceled') {
    return (
      <p class="scheduled-info" data-testid="scheduled-canceled">
        Canceled: this text was not sent.
      </p>
    );
  }
  if (m.status !== 'scheduled') return null;
  return (
    <div class="scheduled-info" data-testid="scheduled-info">
      <p>
        <strong>Scheduled</strong> for <ScheduledTime message={m} zone={zone} />
      </p>
      <HeldBy message={m} />
      <ScheduledActions message={m} onChange={onChange} />
    </div>
  );
}

export function HeldBy({ message: m }: { message: Message }) {
  if (!m.heldBy) return null;
  return (
    <p class="hint" data-testid="scheduled-held">
      Held by {m.heldBy}.
    </p>
  );
}

/** Edit (a new time, a new text) and Cancel for a text that waits; a change that comes too late says so. */
export function ScheduledActions({ message: m, onChange }: { message: Message; onChange: (m: Message) => void }) {
  const [mode, setMode] = useState<'idle' | 'edit' | 'cancel'>('idle');
  const form = useSubmit();
  const what = `the text to ${m.to}${m.sendAt ? ` scheduled for ${agentTime(new Date(m.sendAt))}` : ''}`;

  /** Runs a change; on 409 (it went, or was canceled elsewhere) shows the message as it is now. */
  const change = (work: () => Promise<Message>, done: string) =>
    form.run(async () => {
      try {
        onChange(await work());
      } catch (err) {
        if (err instanceof ApiError && err.code === 'not_scheduled') get<Message>(`/api/v1/messages/${m.id}`).then(onChange, () => {});
        throw err;
      }
      setMode('idle');
      return done;
    });

  return (
    <div class="scheduled-actions" data-testid="scheduled-actions">
      {mode === 'edit' ? (
        <EditScheduled
          message={m}
          busy={form.busy}
          onSave={(edit) => void change(() => patch<Message>(`/api/v1/messages/${m.id}`, edit), 'Saved.')}
          onDiscard={() => {
            setMode('idle');
            form.setError(null);
          }}
        />
      ) : mode === 'cancel' ? (
        <div class="actions" role="group" aria-label={`Cancel ${what}?`}>
          <span>Cancel this text? It will not be sent.</span>
          <button
            type="button"
            class="button-danger button-small"
            disabled={form.busy}
            onClick={() => void change(() => post<Message>(`/api/v1/messages/${m.id}/cancel`), 'Canceled.')}
            data-testid="scheduled-cancel-confirm"
          >
            {form.busy ? 'Canceling…' : 'Yes, cancel it'}
          </button>
          <button type="button" class="button-secondary button-small" onClick={() => setMode('idle')}>
            Keep it
          </button>
        </div>
      ) : (
        <div class="actions">
          <button type="button" class="button-secondary button-small" onClick={() => setMode('edit')} data-testid="scheduled-edit">
            Edit<span class="visually-hidden"> {what}</span>
          </button>
          <button type="button" class="button-danger button-small" onClick={() => setMode('cancel')} data-testid="scheduled-cancel">
            Cancel<span class="visually-hidden"> {what}</span>
          </button>
        </div>
      )}
      <FormMessages error={form.error} notice={form.notice} errorTestId="scheduled-error" />
    </div>
  );
}

function EditScheduled({
  message: m, busy, onSave, onDiscard,
}: { message: Message; busy: boolean; onSave: (edit: { sendAt?: string; body?: string }) => void; onDiscard: () => void }) {
  const original = m.sendAt ? toLocalInput(new Date(m.sendAt)) : '';
  const [when, setWhen] = useState(original);
  const [body, setBody] = useState(m.body);
  const zone = useRecipientZone(m.to);
  const at = fromLocalInput(when);
  const timeChanged = when !== original;
  const problem = timeChanged ? sendAtProblem(at) : null;
  const info = segmentInfo(body);
  const empty = body.trim() === '' && m.media.length === 0;
  const ids = { at: `edit-at-${m.id}`, body: `edit-body-${m.id}`, help: `edit-help-${m.id}` };

  const submit = (e: Event) => {
    e.preventDefault();
    if (problem || empty) return;
    const edit: { sendAt?: string; body?: string } = {};
    if (timeChanged && at) edit.sendAt = at.toISOString();
    if (body !== m.body) edit.body = body;
    if (!edit.sendAt && edit.body === undefined) {
      onDiscard();
      return;
    }
    onSave(edit);
  };

  return (
    <form class="form scheduled-edit" onSubmit={submit} noValidate aria-label={`Edit the text to ${m.to}`} data-testid="scheduled-edit-form">
      <div class="field">
        <label for={ids.at}>Date and time (your time, {agentZone()})</label>
        <input
          id={ids.at}
          type="datetime-local"
          value={when}
          onInput={(e) => setWhen(e.currentTarget.value)}
          aria-describedby={ids.help}
          aria-invalid={problem ? true : undefined}
          data-testid="scheduled-edit-at"
        />
        <p id={ids.help} class={problem ? 'field-error' : 'hint'}>
          {problem ?? (at && zone ? forTheCustomer(at, zone.zone) : '')}
        </p>
      </div>
      <div class="field">
        <label for={ids.body}>Text</label>
        <textarea id={ids.body} rows={3} value={body} onInput={(e) => setBody(e.currentTarget.value)} data-testid="scheduled-edit-body" />
        <span class="hint">
          {body.length.toLocaleString()} characters · {plural(info.segments, 'segment')} · {info.encoding}
          {empty ? ' · a text needs words or an attachment' : ''}
        </span>
      </div>
      <div class="actions">
        <button type="submit" class="button-small" disabled={busy || Boolean(problem) || empty} data-testid="scheduled-edit-save">
          {busy ? 'Saving…' : 'Save changes'}
        </button>
        <button type="button" class="button-secondary button-small" onClick={onDiscard}>
          Discard changes
        </button>
      </div>
    </form>
  );
}
