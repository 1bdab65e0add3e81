import { useEffect, useState } from 'preact/hooks';
import { get, markRead, withQuery } from '../api.ts';
import { LoadState, ScreenHead, TicketStatusBadge, ticketStatusLabel, Time } from '../components/common.tsx';
import { Field, FilterSelect } from '../components/forms.tsx';
import { nameIsPhone, plural } from '../format.ts';
import { useDebounced, useResource, useTitle } from '../hooks.ts';
import { useLiveReload } from '../live.tsx';
import { knownGroups, knownNumbers, useSession } from '../session.tsx';
import { TICKET_STATUSES, type Conversation } from '../types.ts';

interface Filters {
  status: string;
  number: string;
  group: string;
  q: string;
}

// Kept while the page is open, so coming back from a thread shows the same filters.
let remembered: Filters = { status: '', number: '', group: '', q: '' };
const seenNumbers = new Set<string>();

/** Conversations, most recent activity first, filtered by status, Twilio number, group and a search; live. */
export function Inbox() {
  useTitle('Inbox');
  const { settings } = useSession();
  const [status, setStatus] = useState(remembered.status);
  const [number, setNumber] = useState(remembered.number);
  const [group, setGroup] = useState(remembered.group);
  const [q, setQ] = useState(remembered.q);
  const query = useDebounced(q.trim(), 300);

  useEffect(() => {
    remembered = { status, number, group, q };
  }, [status, number, group, q]);

  const list = useResource(
    () =>
      get<{ conversations: Conversation[] }>(withQuery('/api/v1/conversations', { status, number, group, q: query })).then((r) => {
        for (const c of r.conversations) if (c.twilioNumber) seenNumbers.add(c.twilioNumber);
        return r.conversations;
      }),
    [status, number, group, query],
    true,
  );

  useLiveReload(list.reload, ['message', 'ticket']);

  const configured = knownNumbers(settings).map((n) => n.number);
  const numberOptions = configured.length > 0 ? configured : Array.from(seenNumbers).sort();
  if (number && !numberOptions.includes(number)) numberOptions.push(number);
  const groupOptions = [...knownGroups(settings)];
  if (group && !groupOptions.includes(group)) groupOptions.push(group);

  const conversations = list.data;
  const filtered = Boolean(status || number || group || query);

  return (
    <section class="inbox">
      <ScreenHead title="Inbox" updating={list.loading && Boolean(conversations)} />
      <form class="filters" role="search" aria-label="Filter conversations" onSubmit={(e) => e.preventDefault()}>
        <FilterSelect id="inbox-status" label="Status" all="All" options={TICKET_STATUSES} optionLabel={ticketStatusLabel} value={status} onChange={setStatus} />
        <FilterSelect id="inbox-number" label="Twilio number" all="All numbers" options={numberOptions} value={number} onChange={setNumber} />
        {groupOptions.length > 0 ? (
          <FilterSelect id="inbox-group" label="Group" all="All groups" options={groupOptions} value={group} onChange={setGroup} />
        ) : null}
        <Field id="inbox-search" label="Search" class="field-grow">
          <input
            id="inbox-search"
            type="search"
            placeholder="Phone number or text"
            value={q}
            onInput={(e) => setQ(e.currentTarget.value)}
            data-testid="inbox-search"
            autoComplete="off"
          />
        </Field>
      </form>

      <LoadState of={list} what="the conversations" loadingWhat="conversations" />
      {conversations ? (
        <>
          <p class="hint" aria-live="polite">
            {conversations.length === 0
              ? filtered
                ? 'No conversations match these filters.'
                : 'No conversations yet. When a customer texts one of your numbers, it appears here.'
              : `${plural(conversations.length, 'conversation')}${conversations.length >= 100 ? ' (the 100 most recent)' : ''}`}
          </p>
          <ul class="inbox-list" data-testid="inbox-list">
            {conversations.map((c) => (
              <InboxRow
                key={c.ticketId}
                conversation={c}
                onOpen={() => {
                  markRead(c.ticketId);
                  list.setData((all) => all?.map((x) => (x.ticketId === c.ticketId ? { ...x, unread: false } : x)));
                }}
              />
            ))}
          </ul>
        </>
      ) : null}
    </section>
  );
}

function InboxRow({ conversation: c, onOpen }: { conversation: Conversation; onOpen: () => void }) {
  const name = c.contact.name || c.contact.phone;
  const last = c.lastMessage;
  const preview = last ? last.body || '(picture or attachment)' : '';
  // A ticket's subject is the first words of its first text: while that text is the last one, show it once.
  const subject = c.subject || '(no subject)';
  const subjectIsPreview = Boolean(last && last.direction === 'inbound' && c.subject && preview.startsWith(c.subject.replace(/…$/, '')));
  return (
    <li
      class={`inbox-row${c.unread ? ' unread' : ''}`}
      data-testid="inbox-row"
      data-ticket-id={c.ticketId}
      data-unread={c.unread ? 'true' : 'false'}
      data-twilio-number={c.twilioNumber ?? ''}
      data-group={c.group ?? ''}
    >
      <a class="inbox-link" href={`#/tickets/${c.ticketId}`} onClick={onOpen}>
        <span class="row-top">
          <span class="row-contact">
            {c.unread ? <span class="unread-dot" role="img" aria-label="unread" title="unread" /> : null}
            <span class="contact-name">{name}</span>
            {!nameIsPhone(c.contact.name, c.contact.phone) ? <span class="contact-phone">{c.contact.phone}</span> : null}
          </span>
          <span class="row-time">
            <Time value={c.lastActivityAt || last?.createdAt} />
          </span>
        </span>
        {subjectIsPreview ? null : (
          <span class="row-subject">
            <span class="visually-hidden">Subject: </span>
            {subject}
          </span>
        )}
        {last ? (
          <span class="row-preview">
            {last.direction === 'outbound' ? <span class="preview-who">You: </span> : <span class="visually-hidden">Customer: </span>}
            {preview}
          </span>
        ) : null}
        <span class="row-meta">
          <TicketStatusBadge status={c.status} />
          {c.twilioNumber ? <span class="row-number">to {c.twilioNumber}</span> : null}
          {c.group ? (
            <span class="row-group" data-testid="inbox-row-group">
              <span class="visually-hidden">Group: </span>
              {c.group}
            </span>
          ) : null}
          <span class="visually-hidden">Ticket #{c.ticketId}</span>
        </span>
      </a>
    </li>
  );
}
