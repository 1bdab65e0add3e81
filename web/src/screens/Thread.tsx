import { useEffect, useMemo, useRef } from 'preact/hooks';
import { get, markRead, patch, withQuery } from '../api.ts';
import { Composer } from '../components/Composer.tsx';
import { LoadError, Loading, LoadState, TicketStatusBadge, ticketStatusLabel, Time } from '../components/common.tsx';
import { useSubmit } from '../components/forms.tsx';
import { isSmsEcho, MessageItem, NoteItem, noteText } from '../components/MessageItem.tsx';
import { nameIsPhone, toDate } from '../format.ts';
import { useResource, useThrottled, useTitle } from '../hooks.ts';
import { useLiveEvents } from '../live.tsx';
import { TICKET_STATUSES, type Message, type Note, type Ticket, type TicketStatusChange, type TicketStatus } from '../types.ts';

type Item =
  | { kind: 'message'; at: number; message: Message }
  | { kind: 'note'; at: number; note: Note; text: string }
  | { kind: 'description'; at: number; text: string }
  | { kind: 'status'; at: number; change: TicketStatusChange };

/** One ticket: its texts in and out and its agents' and internal notes, in time order, with the composer. */
export function Thread({ ticketId }: { ticketId: number }) {
  const ticket = useResource(() => get<Ticket>(`/api/v1/tickets/${ticketId}`), [ticketId]);
  const messages = useResource(
    () => get<{ messages: Message[] }>(withQuery('/api/v1/messages', { ticketId })).then((r) => r.messages),
    [ticketId],
  );
  const history = useResource(
    () => get<{ statusChanges: TicketStatusChange[] }>(`/api/v1/tickets/${ticketId}/history`).then((r) => r.statusChanges),
    [ticketId],
  );
  useTitle(ticket.data ? ticket.data.subject || `Ticket #${ticketId}` : `Ticket #${ticketId}`);

  const loadedId = ticket.data?.id;
  useEffect(() => {
    if (loadedId !== undefined) markRead(loadedId);
  }, [loadedId]);

  const refreshMessages = useThrottled(messages.reload, 500);
  const refreshTicket = useThrottled(() => {
    ticket.reload();
    history.reload();
  }, 500);
  useLiveEvents((event) => {
    if (event.type === 'message' && event.data.ticketId === ticketId) {
      refreshMessages();
      // A failed delivery leaves a note, and a new text may change the ticket's status.
      refreshTicket();
      if (event.data.direction === 'inbound') markRead(ticketId);
    } else if (event.type === 'ticket' && event.data.id === ticketId) {
      refreshTicket();
    }
  });

  const t = ticket.data;
  const items = useMemo(() => buildItems(t, messages.data, history.data), [t, messages.data, history.data]);

  // On first load, bring the latest text into view (the composer sits below it).
  const scrolled = useRef(false);
  const endRef = useRef<HTMLLIElement>(null);
  useEffect(() => {
    if (!scrolled.current && t && messages.data) {
      scrolled.current = true;
      endRef.current?.scrollIntoView?.({ block: 'nearest' });
    }
  }, [t, messages.data]);

  return (
    <section class="thread" data-testid="thread" data-ticket-id={ticketId}>
      <p class="back">
        <a href="#/inbox">← Inbox</a>
      </p>
      <header class="thread-head">
        {/* One heading for the whole life of the screen, so focus moved to it on navigation stays there. */}
        <h1 tabIndex={-1}>{t ? t.subject || `Ticket #${t.id}` : `Ticket #${ticketId}`}</h1>
        {t ? <ThreadHeader ticket={t} onChange={(updated) => ticket.setData(() => updated)} onStatusChanged={history.reload} /> : null}
      </header>
      {!t && ticket.loading ? <Loading what="the ticket" /> : null}
      {!t && ticket.error ? <LoadError error={ticket.error} retry={ticket.reload} what={`ticket #${ticketId}`} /> : null}
      {t && ticket.error ? <LoadError error={ticket.error} retry={ticket.reload} what="the latest notes" /> : null}

      <h2 class="visually-hidden">Conversation</h2>
      <LoadState of={messages} what="the texts" loadingWhat="texts" />
      {t && messages.data ? (
        items.length === 0 ? (
          <p class="hint">No texts on this ticket yet.</p>
        ) : (
          <ol class="conversation" aria-label="Texts and notes, oldest first">
            {items.map((item) => {
              if (item.kind === 'message') {
                return (
                  <MessageItem
                    key={`m${item.message.id}`}
                    message={item.message}
                    contactName={t.requester.name || t.requester.phone}
                    onChange={(updated) => messages.setData((all) => all?.map((x) => (x.id === updated.id ? updated : x)))}
                  />
                );
              }
              if (item.kind === 'note') return <NoteItem key={`n${item.note.id}`} note={item.note} text={item.text} />;
              if (item.kind === 'status') {
                return (
                  <li key={`s${item.at}-${item.change.status}`} class="system-line" data-testid="status-change">
                    Status {item.change.previous ? `${ticketStatusLabel(item.change.previous)} → ` : ''}
                    {ticketStatusLabel(item.change.status)}, by {item.change.changedBy} <Time value={item.change.at} />
                  </li>
                );
              }
              return (
                <li key="description" class="system-line">
                  {item.text}
                </li>
              );
            })}
            <li ref={endRef} class="conversation-end" aria-hidden="true" />
          </ol>
        )
      ) : null}

      {t ? (
        <Composer
          key={t.id}
          ticket={t}
          onSent={(message) => {
            messages.setData((all) => (all && !all.some((m) => m.id === message.id) ? [...all, message] : all));
            refreshMessages();
          }}
        />
      ) : null}
    </section>
  );
}

function ThreadHeader({ ticket: t, onChange, onStatusChanged }: { ticket: Ticket; onChange: (t: Ticket) => void; onStatusChanged: () => void }) {
  const { busy: saving, error, notice: saved, run } = useSubmit();

  const setStatus = async (status: TicketStatus) => {
    if (status === t.status) return;
    await run(async () => {
      const updated = await patch<Ticket>(`/api/v1/tickets/${t.id}`, { status });
      onChange(updated && typeof updated === 'object' && 'id' in updated ? updated : { ...t, status });
      onStatusChanged();
      return 'Saved';
    });
  };

  return (
    <>
      <dl class="facts">
        <div>
          <dt>Contact</dt>
          <dd>
            {t.requester.name || t.requester.phone}
            {!nameIsPhone(t.requester.name, t.requester.phone) ? <span class="contact-phone"> {t.requester.phone}</span> : null}
          </dd>
        </div>
        <div>
          <dt>Twilio number</dt>
          <dd>{t.twilioNumber ?? 'None (replies use the default number)'}</dd>
        </div>
        <div>
          <dt>Ticket</dt>
          <dd>
            #{t.id} <TicketStatusBadge status={t.status} />
          </dd>
        </div>
        {t.csat ? (
          <div>
            <dt>CSAT</dt>
            <dd class="csat-fact" data-testid="ticket-csat">
              <span data-testid="ticket-csat-text">
                Rated {t.csat.rating}/5{t.csat.comment ? ` — ${t.csat.comment}` : ''}
              </span>{' '}
              <span class="hint">
                <Time value={t.csat.at} />
              </span>
            </dd>
          </div>
        ) : null}
      </dl>
      <div class="field field-inline">
        <label for="ticket-status">Status</label>
        <select
          id="ticket-status"
          data-testid="ticket-status"
          value={t.status}
          disabled={saving}
          onChange={(e) => void setStatus(e.currentTarget.value as TicketStatus)}
        >
          {TICKET_STATUSES.map((s) => (
            <option key={s} value={s}>
              {ticketStatusLabel(s)}
            </option>
          ))}
        </select>
        {saving ? <span class="hint">Saving…</span> : null}
        {saved && !saving ? (
          <span class="hint" role="status">
            {saved}
          </span>
        ) : null}
        {error ? (
          <span class="field-error" role="alert">
            Could not change the status: {error}
          </span>
        ) : null}
      </div>
    </>
  );
}

function buildItems(ticket: Ticket | undefined, messages: Message[] | undefined, changes: TicketStatusChange[] | undefined): Item[] {
  const items: Item[] = [];
  const time = (v: string) => toDate(v)?.getTime() ?? 0;
  for (const change of changes ?? []) items.push({ kind: 'status', at: time(change.at), change });
  for (const m of messages ?? []) items.push({ kind: 'message', at: time(m.createdAt), message: m });
  if (ticket) {
    const description = noteText(ticket.descriptionHtml ?? '');
    if (description && !isSmsEcho(description)) items.push({ kind: 'description', at: time(ticket.createdAt), text: description });
    for (const note of ticket.notes ?? []) {
      const text = noteText(note.bodyHtml ?? '');
      if (isSmsEcho(text)) continue;
      items.push({ kind: 'note', at: time(note.createdAt), note, text });
    }
  }
  const order = { description: 0, message: 1, note: 2, status: 3 } as const;
  return items.sort((a, b) => a.at - b.at || order[a.kind] - order[b.kind]);
}
