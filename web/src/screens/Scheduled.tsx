import { useState } from 'preact/hooks';
import { get, listOf, withQuery } from '../api.ts';
import { LoadState, ScreenHead } from '../components/common.tsx';
import { Field, FilterSelect } from '../components/forms.tsx';
import { HeldBy, ScheduledActions, ScheduledTime, useRecipientZone } from '../components/ScheduledMessage.tsx';
import { plural } from '../format.ts';
import { agentZone } from '../schedule-time.ts';
import { useResource, useTitle } from '../hooks.ts';
import { useLiveReload } from '../live.tsx';
import { knownNumbers, useSession } from '../session.tsx';
import type { Message, User } from '../types.ts';

// Kept while the page is open, so coming back from a ticket shows the same filters.
let remembered = { number: '', agent: '' };

/** Every text waiting to be sent, across tickets, soonest first; filtered by Twilio number and by who wrote it. */
export function Scheduled() {
  useTitle('Scheduled');
  const { settings, user, isAdmin } = useSession();
  const [number, setNumber] = useState(remembered.number);
  // '' everyone, else a user id ("Mine" is the signed-in user's).
  const [agent, setAgent] = useState(remembered.agent);
  remembered = { number, agent };

  // Only admins may list the users; agents choose between their own and everyone's.
  const users = useResource(() => (isAdmin ? get<unknown>('/api/v1/users').then((r) => listOf<User>(r, 'users')) : Promise.resolve([])), [isAdmin]);
  const list = useResource(
    () => get<{ messages: Message[] }>(withQuery('/api/v1/messages', { status: 'scheduled', number, createdBy: agent })).then((r) => r.messages),
    [number, agent],
    true,
  );
  useLiveReload(list.reload, ['message']);

  const names = new Map((users.data ?? []).map((u) => [String(u.id), u.name]));
  names.set(String(user.id), `${user.name} (you)`);
  const agentOptions = [String(user.id), ...(users.data ?? []).map((u) => String(u.id)).filter((id) => id !== String(user.id))];
  const numbers = knownNumbers(settings).map((n) => n.number);
  if (number && !numbers.includes(number)) numbers.push(number);

  const [notice, setNotice] = useState<string | null>(null);
  // An edited text stays in place; one canceled (or gone meanwhile) leaves the list, and the screen says so.
  const replace = (updated: Message) => {
    if (updated.status === 'scheduled') {
      list.setData((all) => all?.map((m) => (m.id === updated.id ? updated : m)));
      return;
    }
    list.setData((all) => all?.filter((m) => m.id !== updated.id));
    setNotice(updated.status === 'canceled' ? `Canceled the text to ${updated.to}.` : `The text to ${updated.to} is no longer scheduled: it is ${updated.status}.`);
  };

  return (
    <section class="scheduled-screen">
      <ScreenHead title="Scheduled" updating={list.loading && Boolean(list.data)} />
      <p class="hint">Texts waiting for their time, soonest first, on your clock ({agentZone()}) and the customer's.</p>
      <form class="filters" role="search" aria-label="Filter scheduled texts" onSubmit={(e) => e.preventDefault()}>
        <FilterSelect id="scheduled-number" label="Twilio number" all="All numbers" options={numbers} value={number} onChange={setNumber} />
        {isAdmin ? (
          <FilterSelect
            id="scheduled-agent"
            label="Scheduled by"
            all="Everyone"
            options={agentOptions}
            value={agent}
            onChange={setAgent}
            optionLabel={(id) => names.get(id) ?? `User ${id}`}
          />
        ) : (
          <Field id="scheduled-agent" label="Scheduled by">
            <select id="scheduled-agent" value={agent} onChange={(e) => setAgent(e.currentTarget.value)} data-testid="scheduled-agent">
              <option value="">Everyone</option>
              <option value={String(user.id)}>Mine</option>
            </select>
          </Field>
        )}
      </form>

      <p class="notice-ok" role="status" data-testid="scheduled-notice">
        {notice ?? ''}
      </p>
      <LoadState of={list} what="the scheduled texts" />
      {list.data ? (
        <>
          <p class="hint" aria-live="polite" data-testid="scheduled-count">
            {list.data.length === 0 ? (number || agent ? 'No scheduled texts match these filters.' : 'No texts are scheduled.') : plural(list.data.length, 'scheduled text')}
          </p>
          {list.data.length ? (
            <ol class="scheduled-list" aria-label="Scheduled texts, soonest first" data-testid="scheduled-list">
              {list.data.map((m) => (
                <ScheduledRow key={m.id} message={m} by={m.createdBy != null ? (names.get(String(m.createdBy)) ?? null) : null} onChange={replace} />
              ))}
            </ol>
          ) : null}
        </>
      ) : null}
    </section>
  );
}

function ScheduledRow({ message: m, by, onChange }: { message: Message; by: string | null; onChange: (m: Message) => void }) {
  const zone = useRecipientZone(m.to);
  const origin = m.origin?.startsWith('automation:') ? 'an automation' : m.origin === 'helpdesk' ? 'the helpdesk' : m.origin === 'api' ? 'the API' : null;
  return (
    <li class="card scheduled-row" data-testid="scheduled-row" data-message-id={m.id}>
      <article aria-label={`Text to ${m.to}`}>
        <p class="scheduled-when">
          <ScheduledTime message={m} zone={zone} />
        </p>
        <dl class="facts facts-small">
          <div>
            <dt>To</dt>
            <dd class="nowrap">{m.to}</dd>
          </div>
          <div>
            <dt>From</dt>
            <dd class="nowrap">{m.from}</dd>
          </div>
          <div>
            <dt>Ticket</dt>
            <dd>{m.ticketId !== null ? <a href={`#/tickets/${m.ticketId}`} data-testid="scheduled-ticket">#{m.ticketId}</a> : 'None'}</dd>
          </div>
          {by || origin ? (
            <div>
              <dt>By</dt>
              <dd>{by ?? origin}</dd>
            </div>
          ) : null}
          {m.media.length ? (
            <div>
              <dt>Attachments</dt>
              <dd data-testid="scheduled-media">{plural(m.media.length, 'file')}</dd>
            </div>
          ) : null}
        </dl>
        {m.body ? <p class="msg-body scheduled-body" data-testid="scheduled-body">{m.body}</p> : <p class="msg-body msg-empty">(no text)</p>}
        <HeldBy message={m} />
        <ScheduledActions message={m} onChange={onChange} />
      </article>
    </li>
  );
}
