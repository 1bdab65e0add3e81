import { localUrl } from '../api.ts';
import { bytes } from '../format.ts';
import { htmlToText } from '../../../src/domain/html-to-text.ts';
import { isFailure } from '../../../src/domain/message-status.ts';
import type { Attachment, Media, Message, Note } from '../types.ts';
import { DeliveryBadge, Time } from './common.tsx';
import { ScheduledDetails } from './ScheduledMessage.tsx';


/**
 * One text in a thread: inbound on the left, outbound on the right with its delivery status; a scheduled one
 * with its time and Edit/Cancel (`onChange` gets it back edited or canceled).
 */
export function MessageItem({ message: m, contactName, onChange }: { message: Message; contactName: string; onChange?: (m: Message) => void }) {
  const inbound = m.direction === 'inbound';
  const who = inbound ? contactName || m.from : 'Sent by SMS';
  return (
    <li
      class={`msg ${inbound ? 'msg-in' : 'msg-out'}${isFailure(m.status) ? ' msg-failed' : ''}${m.status === 'scheduled' ? ' msg-scheduled' : ''}`}
      data-testid="message"
      data-direction={m.direction}
      data-message-id={m.id}
    >
      <article class="bubble" aria-label={`${inbound ? 'Text from' : 'Text to'} ${inbound ? who : m.to}`}>
        <p class="msg-who">
          {inbound ? who : `To ${m.to}`}
          <span class="msg-route">
            {' '}
            {inbound ? `to ${m.to}` : `from ${m.from}`}
          </span>
        </p>
        {m.body ? <p class="msg-body">{m.body}</p> : m.media.length === 0 ? <p class="msg-body msg-empty">(no text)</p> : null}
        <MediaList media={m.media} who={inbound ? who : 'you'} />
        <p class="msg-meta">
          <Time value={m.createdAt} />
          {m.segments !== undefined && !inbound ? (
            <span class="msg-segments">
              {m.segments} segment{m.segments === 1 ? '' : 's'}
              {m.encoding ? `, ${m.encoding}` : ''}
            </span>
          ) : null}
          {!inbound ? <DeliveryBadge status={m.status} /> : null}
        </p>
      </article>
      {!inbound && isFailure(m.status) ? <DeliveryProblem message={m} /> : null}
      {!inbound && (m.status === 'scheduled' || m.status === 'canceled') ? <ScheduledDetails message={m} onChange={onChange ?? (() => {})} /> : null}
      {inbound ? (
        <details class="why">
          <summary>Why here?</summary>
          <p>{routingText(m)}</p>
        </details>
      ) : null}
    </li>
  );
}

function routingText(m: Message): string {
  const r = m.routing;
  if (!r) return 'This text has not been routed yet.';
  const parts: string[] = [];
  if (r.reason) parts.push(capitalizeFirst(r.reason) + (/[.!?]$/.test(r.reason) ? '' : '.'));
  else if (r.rule) parts.push(`Rule: ${r.rule}.`);
  if (r.keyword) parts.push(`The text was the keyword ${r.keyword.toUpperCase()}.`);
  return parts.join(' ') || 'No reason was recorded.';
}

const capitalizeFirst = (s: string) => (s ? s[0]!.toUpperCase() + s.slice(1) : s);

/** A failed or undelivered text: Twilio's error in plain words and what to do. */
export function DeliveryProblem({ message: m }: { message: Message }) {
  const e = m.errorExplanation;
  const moreInfo = e?.moreInfo ? localUrl(e.moreInfo) : null;
  return (
    <div class="delivery-problem" data-testid="delivery-problem">
      <p class="problem-title">
        <strong>
          {m.status === 'failed' ? 'Not sent' : 'Not delivered'}
          {e ? `: ${e.title}` : m.errorMessage ? `: ${m.errorMessage}` : ''}
        </strong>
        {m.errorCode !== null ? <span class="problem-code"> (Twilio error {m.errorCode})</span> : null}
      </p>
      {e ? (
        <>
          <p>{e.explanation}</p>
          <p>
            <strong>What to do:</strong> {e.fix}
          </p>
          {moreInfo ? (
            <p>
              <a href={moreInfo} target="_blank" rel="noopener noreferrer">
                Twilio's page on this error
              </a>
            </p>
          ) : null}
        </>
      ) : (
        <p>{m.errorMessage ?? 'Twilio gave no reason.'} Check the number and try again later.</p>
      )}
    </div>
  );
}

/** Pictures as thumbnails linking to the file; anything else as a download link. */
export function MediaList({ media, who }: { media: Media[]; who: string }) {
  if (media.length === 0) return null;
  return (
    <ul class="media-list">
      {media.map((x, i) => {
        const url = localUrl(x.url);
        const type = x.contentType ?? 'file';
        if (!url) {
          return (
            <li key={i} class="media-missing">
              Attachment {i + 1} ({type}) is not available
              {x.state === 'pending' || x.state === 'downloading' ? ': still being fetched from Twilio.' : x.error ? `: ${x.error}` : '.'}
            </li>
          );
        }
        if (type.startsWith('image/')) {
          return (
            <li key={i}>
              <a href={url} target="_blank" rel="noopener" class="media-thumb">
                <img src={url} alt={`Picture ${i + 1} from ${who}`} loading="lazy" />
              </a>
            </li>
          );
        }
        return (
          <li key={i}>
            <a href={url} download class="media-file">
              Download attachment {i + 1} ({type}
              {x.size ? `, ${bytes(x.size)}` : ''})
            </a>
          </li>
        );
      })}
    </ul>
  );
}

/** A helpdesk attachment on a note: thumbnail for pictures, else a download link. */
function NoteAttachments({ attachments }: { attachments: Attachment[] }) {
  if (!attachments.length) return null;
  return (
    <ul class="media-list">
      {attachments.map((a) => {
        const url = localUrl(a.url);
        if (!url) return <li key={a.id}>{a.filename}</li>;
        return (
          <li key={a.id}>
            {a.contentType.startsWith('image/') ? (
              <a href={url} target="_blank" rel="noopener" class="media-thumb">
                <img src={url} alt={a.filename} loading="lazy" />
              </a>
            ) : (
              <a href={url} download={a.filename} class="media-file">
                Download {a.filename} ({bytes(a.size)})
              </a>
            )}
          </li>
        );
      })}
    </ul>
  );
}

/** The notes smsdesk writes for every text in and out: already shown as the messages themselves. */
export function isSmsEcho(text: string): boolean {
  return /INCOMING SMS: via Twilio|OUTGOING SMS: via Twilio/i.test(text);
}

/** Note text without smsdesk's idempotency marker line. */
export function noteText(html: string): string {
  return htmlToText(html)
    .split('\n')
    .filter((line) => !/^smsdesk ref \S+$/.test(line.trim()))
    .join('\n')
    .trim();
}

/** A helpdesk note: private ones as internal notes; agents' public replies and customers' notes otherwise. */
export function NoteItem({ note, text }: { note: Note; text: string }) {
  const kind = note.private ? 'internal' : note.incoming ? 'customer' : 'agent';
  const label = note.private ? 'Internal note' : note.incoming ? 'Customer note (helpdesk)' : 'Agent note (helpdesk)';
  return (
    <li class={`note note-${kind}`} data-testid="note" data-note-id={note.id} data-private={note.private ? 'true' : 'false'}>
      <article aria-label={label}>
        <p class="note-label">
          {label}
          {note.private ? <span class="visually-hidden"> (not sent to the customer)</span> : null}
        </p>
        <p class="note-body">{text || '(empty note)'}</p>
        <NoteAttachments attachments={note.attachments} />
        <p class="msg-meta">
          <Time value={note.createdAt} />
        </p>
      </article>
    </li>
  );
}
