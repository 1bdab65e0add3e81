import { useState } from 'preact/hooks';
import { del, get, listOf, post } from '../../api.ts';
import { LoadState, TableRegion, Time } from '../../components/common.tsx';
import { Field, FormMessages, ShownOnceField, SubmitActions, useSubmit } from '../../components/forms.tsx';
import { plural } from '../../format.ts';
import { useResource } from '../../hooks.ts';
import type { Webhook, WebhookAttempt, WebhookDelivery } from '../../types.ts';
import { WEBHOOK_EVENT_TYPES, webhookUrlProblem, type WebhookEventType } from '../../../../src/domain/webhooks.ts';

/** What each event type means, for the checkboxes and the lists. */
const EVENT_LABEL: Record<WebhookEventType, string> = {
  'message.received': 'A text comes in',
  'message.status_changed': 'A reply’s delivery status changes',
  'ticket.created': 'A ticket is created',
  'ticket.status_changed': 'A ticket’s status changes',
  'optout.changed': 'A customer opts out or back in',
  'csat.received': 'A satisfaction rating comes in',
  'usage.threshold': 'Usage reaches a threshold',
};

const eventLabel = (type: string) => (EVENT_LABEL as Record<string, string>)[type] ?? type;

/**
 * Settings → Webhooks (admins): where smsdesk POSTs its events, signed with each subscription's secret (shown
 * once, when it is made); which of them filter inbound texts; and each one's deliveries, with a Resend.
 */
export function WebhooksSection() {
  const list = useResource(() => get<unknown>('/api/v1/webhooks').then((r) => listOf<Webhook>(r, 'webhooks')), []);
  const form = useSubmit();
  const [created, setCreated] = useState<{ url: string; secret: string } | null>(null);
  const [open, setOpen] = useState<number | null>(null);

  const remove = (w: Webhook) =>
    form.run(
      async () => {
        await del(`/api/v1/webhooks/${w.id}`);
        list.setData((all) => all?.filter((x) => x.id !== w.id));
        if (open === w.id) setOpen(null);
        list.reload();
        return `Deleted the webhook to ${w.url}.`;
      },
      { busy: false },
    );

  return (
    <section class="card" aria-labelledby="settings-webhooks">
      <h2 id="settings-webhooks">Webhooks</h2>
      <p class="hint">
        smsdesk POSTs each event to these URLs as JSON <code>{'{"id", "type", "createdAt", "data"}'}</code>, signed in the{' '}
        <code>X-Smsdesk-Signature</code> header. A receiver that does not answer 2xx within 10 s is tried again for 24 hours,
        with the same <code>id</code>.
      </p>
      <LoadState of={list} what="the webhooks" loadingWhat="webhooks" />
      {list.data ? (
        list.data.length === 0 ? (
          <p class="hint">No webhooks yet.</p>
        ) : (
          <TableRegion label="Webhooks" testId="settings-webhooks" heads={['URL', 'Events', 'Filters texts', 'Secret', 'Created']} hiddenHead="Actions">
            {list.data.map((w) => (
              <tr key={w.id}>
                <th scope="row" class="wrap-anywhere">
                  <code>{w.url}</code>
                </th>
                <td>
                  <ul class="plain-list">
                    {w.events.map((e) => (
                      <li key={e}>{eventLabel(e)}</li>
                    ))}
                  </ul>
                </td>
                <td>{w.decide ? 'Yes' : 'No'}</td>
                <td>
                  <code>{w.secret}</code>
                </td>
                <td>
                  <Time value={w.createdAt} />
                </td>
                <td class="nowrap">
                  <button
                    type="button"
                    class="button-secondary button-small"
                    aria-expanded={open === w.id}
                    aria-controls={`webhook-deliveries-${w.id}`}
                    onClick={() => setOpen(open === w.id ? null : w.id)}
                    data-testid="webhook-deliveries-toggle"
                  >
                    Deliveries<span class="visually-hidden"> to {w.url}</span>
                  </button>{' '}
                  <button type="button" class="button-danger button-small" onClick={() => void remove(w)} data-testid="webhook-delete">
                    Delete<span class="visually-hidden"> webhook to {w.url}</span>
                  </button>
                </td>
              </tr>
            ))}
          </TableRegion>
        )
      ) : null}
      <FormMessages error={form.error} notice={form.notice} />
      {open !== null && list.data?.some((w) => w.id === open) ? (
        <Deliveries key={open} webhook={list.data.find((w) => w.id === open)!} />
      ) : null}
      {created ? <CreatedSecret created={created} onDone={() => setCreated(null)} /> : null}
      <AddWebhook
        onCreated={(w, secret) => {
          setCreated({ url: w.url, secret });
          list.reload();
        }}
      />
    </section>
  );
}

/** The new subscription's secret, shown this once, with a copy button. */
function CreatedSecret({ created, onDone }: { created: { url: string; secret: string }; onDone: () => void }) {
  return (
    <div class="notice notice-warn" data-testid="webhook-created">
      <p>
        <strong>Copy the signing secret of the webhook to {created.url} now: it is shown only once.</strong> The receiver needs it
        to check <code>X-Smsdesk-Signature</code>; if it is lost, delete the webhook and add it again.
      </p>
      <ShownOnceField id="webhook-secret" label="Signing secret" value={created.secret} what="secret" testId="webhook-secret" />
      <button type="button" class="button-secondary" onClick={onDone}>
        I have copied it
      </button>
    </div>
  );
}

function AddWebhook({ onCreated }: { onCreated: (w: Webhook, secret: string) => void }) {
  const [url, setUrl] = useState('');
  const [events, setEvents] = useState<WebhookEventType[]>([]);
  const [decide, setDecide] = useState(false);
  const form = useSubmit();
  const toggle = (type: WebhookEventType, on: boolean) => {
    setEvents((all) => (on ? [...all.filter((e) => e !== type), type] : all.filter((e) => e !== type)));
    if (type === 'message.received' && !on) setDecide(false);
  };

  const submit = (e: Event) => {
    e.preventDefault();
    const trimmed = url.trim();
    const urlProblem = trimmed ? webhookUrlProblem(trimmed) : 'is required';
    const refusal = urlProblem
      ? `The URL ${urlProblem}.`
      : events.length === 0
        ? 'Choose at least one event to send.'
        : null;
    void form.run(
      async () => {
        // In the order the checkboxes show them.
        const chosen = WEBHOOK_EVENT_TYPES.filter((t) => events.includes(t));
        const made = await post<Webhook>('/api/v1/webhooks', { url: trimmed, events: chosen, decide });
        onCreated(made, made.secret);
        setUrl('');
        setEvents([]);
        setDecide(false);
        return `Added the webhook to ${made.url}.`;
      },
      { refusal },
    );
  };

  return (
    <form class="form" onSubmit={submit} noValidate aria-labelledby="webhook-add-heading">
      <h3 id="webhook-add-heading" class="small-heading">
        Add a webhook
      </h3>
      <Field id="webhook-url" label="URL">
        <input
          id="webhook-url"
          type="url"
          class="mono"
          spellcheck={false}
          autoComplete="off"
          placeholder="https://example.com/smsdesk-events"
          value={url}
          onInput={(e) => setUrl(e.currentTarget.value)}
          data-testid="webhook-url"
        />
      </Field>
      <fieldset class="fieldset">
        <legend>Events to send</legend>
        {WEBHOOK_EVENT_TYPES.map((type) => (
          <div key={type}>
            <label class="checkbox">
              <input type="checkbox" checked={events.includes(type)} onChange={(e) => toggle(type, e.currentTarget.checked)} data-testid="webhook-event" data-type={type} />
              {EVENT_LABEL[type]} <code class="hint-inline">{type}</code>
            </label>
          </div>
        ))}
      </fieldset>
      <label class="checkbox">
        <input
          type="checkbox"
          checked={decide}
          disabled={!events.includes('message.received')}
          onChange={(e) => setDecide(e.currentTarget.checked)}
          aria-describedby="webhook-decide-help"
          data-testid="webhook-decide"
        />
        Filter incoming texts
      </label>
      <p class="hint" id="webhook-decide-help">
        With “A text comes in”: smsdesk asks this URL before putting each text on a ticket. An answer{' '}
        <code>{'{"action": "reject", "reason": "…"}'}</code> keeps the text off the tickets; anything else, or no answer within 5 s,
        lets it through.
      </p>
      <FormMessages error={form.error} notice={form.notice} />
      <SubmitActions busy={form.busy} label="Add webhook" busyLabel="Adding…" testId="webhook-add" />
    </form>
  );
}

const STATUS_LABEL: Record<WebhookDelivery['status'], string> = { pending: 'Retrying', delivered: 'Delivered', failed: 'Failed' };
const STATUS_CLASS: Record<WebhookDelivery['status'], string> = { pending: 'delivery-queued', delivered: 'delivery-delivered', failed: 'delivery-failed' };

/** One subscription's deliveries, newest first, each with its attempts and a Resend. */
function Deliveries({ webhook }: { webhook: Webhook }) {
  const deliveries = useResource(
    () => get<unknown>(`/api/v1/webhooks/${webhook.id}/deliveries`).then((r) => listOf<WebhookDelivery>(r, 'deliveries')),
    [webhook.id],
  );
  const form = useSubmit();
  const resend = (d: WebhookDelivery) =>
    form.run(
      async () => {
        await post(`/api/v1/webhooks/${webhook.id}/deliveries/${d.id}/resend`);
        deliveries.reload();
        return `Sending ${d.type} (${d.eventId}) again.`;
      },
      { busy: false },
    );
  const headingId = `webhook-deliveries-heading-${webhook.id}`;
  return (
    <section id={`webhook-deliveries-${webhook.id}`} aria-labelledby={headingId} data-testid="webhook-deliveries">
      <div class="row-top">
        <h3 id={headingId} class="small-heading">
          Deliveries to <code>{webhook.url}</code>
        </h3>
        <button type="button" class="button-secondary button-small" onClick={deliveries.reload}>
          Refresh
        </button>
      </div>
      <LoadState of={deliveries} what="the deliveries" loadingWhat="deliveries" />
      {deliveries.data ? (
        deliveries.data.length === 0 ? (
          <p class="hint">Nothing has been sent to this webhook yet.</p>
        ) : (
          <TableRegion
            label={`Deliveries to ${webhook.url}`}
            testId="webhook-deliveries-table"
            heads={['Event', 'Status', 'Answer', 'Attempts', 'When']}
            hiddenHead="Actions"
          >
            {deliveries.data.map((d) => (
              <tr key={d.id} data-testid="webhook-delivery" data-status={d.status}>
                <th scope="row">
                  {eventLabel(d.type)}
                  {d.kind === 'decide' ? <span class="hint-inline"> (filter question)</span> : null}
                  <br />
                  <code class="hint-inline">{d.eventId}</code>
                </th>
                <td>
                  <span class={`badge ${STATUS_CLASS[d.status]}`}>{STATUS_LABEL[d.status]}</span>
                  {d.status === 'pending' && d.nextAttemptAt ? (
                    <span class="hint-inline">
                      {' '}
                      next <Time value={d.nextAttemptAt} />
                    </span>
                  ) : null}
                </td>
                <td>
                  {d.lastStatusCode !== null ? <span data-testid="webhook-delivery-code">HTTP {d.lastStatusCode}</span> : null}
                  {d.lastError ? <p class="hint">{d.lastError}</p> : null}
                </td>
                <td>
                  <AttemptLog attempts={d.attemptLog} />
                </td>
                <td>
                  <Time value={d.attemptLog[0]?.at ?? d.createdAt} />
                </td>
                <td>
                  {d.kind === 'event' ? (
                    <button type="button" class="button-secondary button-small" onClick={() => void resend(d)} data-testid="webhook-resend">
                      Resend<span class="visually-hidden"> {d.eventId}</span>
                    </button>
                  ) : null}
                </td>
              </tr>
            ))}
          </TableRegion>
        )
      ) : null}
      <FormMessages error={form.error} notice={form.notice} />
    </section>
  );
}

/** Every attempt, resends' included (the API's `attempts` counts the current series only). */
function AttemptLog({ attempts }: { attempts: WebhookAttempt[] }) {
  if (!attempts.length) return <>0</>;
  return (
    <details>
      <summary>{plural(attempts.length, 'attempt')}</summary>
      <ol class="plain-list">
        {attempts.map((a, i) => (
          <li key={i}>
            <Time value={a.at} full />: {a.statusCode !== null ? `HTTP ${a.statusCode}` : a.error ?? 'no answer'}
            {a.statusCode !== null && a.error ? ` (${a.error})` : ''}, {a.durationMs} ms{a.series > 1 ? `, resend ${a.series - 1}` : ''}
          </li>
        ))}
      </ol>
    </details>
  );
}
