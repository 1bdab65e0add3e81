import { Fragment } from 'preact';
import { useState } from 'preact/hooks';
import { get, withQuery } from '../api.ts';
import { DeliveryBadge, LoadState, ScreenHead, TableRegion, Time } from '../components/common.tsx';
import { DataList, Field, FilterSelect } from '../components/forms.tsx';
import { DeliveryProblem } from '../components/MessageItem.tsx';
import { plural } from '../format.ts';
import { useDebounced, useResource, useTitle } from '../hooks.ts';
import { useLiveReload } from '../live.tsx';
import { knownNumbers, useSession } from '../session.tsx';
import type { Message } from '../types.ts';
import { isFailure, MESSAGE_STATUSES } from '../../../src/domain/message-status.ts';

/** Start of a local day (YYYY-MM-DD) as an ISO timestamp; `end` gives its last millisecond. */
export function dayBound(day: string, end: boolean): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day);
  if (!m) return '';
  const d = end
    ? new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]), 23, 59, 59, 999)
    : new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]), 0, 0, 0, 0);
  return Number.isNaN(d.getTime()) ? '' : d.toISOString();
}

let remembered = { status: '', number: '', since: '', until: '' };

/** Every text in and out, newest first, filtered by status, number and dates; each row opens its status history. */
export function SmsLog() {
  useTitle('SMS log');
  const { settings } = useSession();
  const [status, setStatus] = useState(remembered.status);
  const [number, setNumber] = useState(remembered.number);
  const [since, setSince] = useState(remembered.since);
  const [until, setUntil] = useState(remembered.until);
  const [open, setOpen] = useState<Set<number>>(new Set());
  const numberQuery = useDebounced(number.trim(), 300);
  remembered = { status, number, since, until };

  const badRange = Boolean(since && until && since > until);
  const log = useResource(
    () =>
      get<{ messages: Message[] }>(
        withQuery('/api/v1/messages', {
          status,
          number: numberQuery,
          since: since ? dayBound(since, false) : '',
          until: until ? dayBound(until, true) : '',
        }),
      ).then((r) => [...r.messages].sort((a, b) => Date.parse(b.createdAt) - Date.parse(a.createdAt) || b.id - a.id)),
    [status, numberQuery, since, until],
    true,
  );
  useLiveReload(log.reload, ['message']);

  const toggle = (id: number) =>
    setOpen((current) => {
      const next = new Set(current);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });

  const suggestions = new Set(knownNumbers(settings).map((n) => n.number));
  for (const m of log.data ?? []) {
    suggestions.add(m.direction === 'inbound' ? m.to : m.from);
  }

  return (
    <section class="sms-log-screen">
      <ScreenHead title="SMS log" updating={log.loading && Boolean(log.data)} />
      <form class="filters" role="search" aria-label="Filter the SMS log" onSubmit={(e) => e.preventDefault()}>
        <FilterSelect id="log-status" label="Status" all="All" options={MESSAGE_STATUSES} value={status} onChange={setStatus} />
        <Field id="log-number" label="Number">
          <input
            id="log-number"
            type="search"
            inputMode="tel"
            placeholder="+14155550199"
            list="log-number-list"
            value={number}
            onInput={(e) => setNumber(e.currentTarget.value)}
            data-testid="log-number"
            autoComplete="off"
          />
          <DataList id="log-number-list" values={Array.from(suggestions).sort()} />
        </Field>
        <Field id="log-since" label="From date">
          <input id="log-since" type="date" value={since} max={until || undefined} onInput={(e) => setSince(e.currentTarget.value)} data-testid="log-since" />
        </Field>
        <Field id="log-until" label="To date">
          <input id="log-until" type="date" value={until} min={since || undefined} onInput={(e) => setUntil(e.currentTarget.value)} data-testid="log-until" />
        </Field>
      </form>
      {badRange ? (
        <p class="field-error" role="alert">
          The from date is after the to date: no message can match.
        </p>
      ) : null}

      <LoadState of={log} what="the SMS log" />
      {log.data ? (
        <>
          <p class="hint" aria-live="polite">
            {log.data.length === 0 ? 'No messages match these filters.' : plural(log.data.length, 'message')}
          </p>
          <TableRegion
            label="SMS log"
            testId="sms-log"
            class="sms-log stack-on-narrow"
            caption="Messages, newest first. Each row's History button shows its status changes."
            heads={['Time', 'Direction', 'From', 'To', 'Message', 'Status']}
            hiddenHead="Details"
          >
            {log.data.map((m) => {
              const expanded = open.has(m.id);
              const detailsId = `log-details-${m.id}`;
              return (
                <Fragment key={m.id}>
                  <tr data-testid="sms-log-row" data-message-id={m.id} class={expanded ? 'expanded' : undefined}>
                    <td data-label="Time">
                      <Time value={m.createdAt} full />
                    </td>
                    <td data-label="Direction">{m.direction === 'inbound' ? 'In' : 'Out'}</td>
                    <td class="nowrap" data-label="From">{m.from}</td>
                    <td class="nowrap" data-label="To">{m.to}</td>
                    <td class="excerpt" title={m.body} data-label="Message">
                      {excerpt(m.body) || (m.media.length ? `(${plural(m.media.length, 'attachment')})` : '(no text)')}
                    </td>
                    <td data-label="Status">
                      <DeliveryBadge status={m.status} />
                      {m.errorCode !== null ? <span class="problem-code"> {m.errorCode}</span> : null}
                    </td>
                    <td class="cell-action">
                      <button
                        type="button"
                        class="button-secondary button-small"
                        aria-expanded={expanded ? 'true' : 'false'}
                        aria-controls={detailsId}
                        onClick={() => toggle(m.id)}
                        data-testid="sms-log-expand"
                      >
                        {expanded ? 'Hide' : 'History'}
                        <span class="visually-hidden"> of the text {m.direction === 'inbound' ? 'from' : 'to'} {m.direction === 'inbound' ? m.from : m.to}</span>
                      </button>
                    </td>
                  </tr>
                  {expanded ? (
                    <tr class="details-row" id={detailsId}>
                      <td colSpan={7}>
                        <LogDetails message={m} />
                      </td>
                    </tr>
                  ) : null}
                </Fragment>
              );
            })}
          </TableRegion>
        </>
      ) : null}
    </section>
  );
}

function excerpt(body: string, max = 80): string {
  const flat = body.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

function LogDetails({ message: m }: { message: Message }) {
  return (
    <div class="log-details" data-testid="status-history">
      <h3 class="small-heading">Status history</h3>
      {m.statusHistory?.length ? (
        <ol class="timeline">
          {m.statusHistory.map((h, i) => (
            <li key={i}>
              <span class={`badge badge-delivery delivery-${h.status}`}>{h.status}</span> <Time value={h.at} full />
              {h.errorCode !== null && h.errorCode !== undefined ? <span class="problem-code"> error {h.errorCode}</span> : null}
            </li>
          ))}
        </ol>
      ) : (
        <p class="hint">No status changes recorded.</p>
      )}
      {m.direction === 'outbound' && isFailure(m.status) ? <DeliveryProblem message={m} /> : null}
      <dl class="facts facts-small">
        {m.sid ? (
          <div>
            <dt>Message SID</dt>
            <dd>
              <code>{m.sid}</code>
            </dd>
          </div>
        ) : null}
        {m.routing?.action === 'rejected' ? (
          <div data-testid="log-rejected">
            <dt>Rejected</dt>
            <dd>By an inbound filter (webhook): {m.routing.reason ?? 'no reason given'}. It is on no ticket.</dd>
          </div>
        ) : null}
        {m.ticketId !== null ? (
          <div>
            <dt>Ticket</dt>
            <dd>
              <a href={`#/tickets/${m.ticketId}`}>#{m.ticketId}</a>
            </dd>
          </div>
        ) : null}
        {m.segments !== undefined ? (
          <div>
            <dt>Segments</dt>
            <dd>
              {m.segments}
              {m.encoding ? ` (${m.encoding})` : ''}
            </dd>
          </div>
        ) : null}
      </dl>
      {m.body ? <p class="msg-body log-body">{m.body}</p> : null}
    </div>
  );
}
