import { Fragment } from 'preact';
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { segmentInfo } from '../../../src/domain/segments.ts';
import { MAX_BODY_CHARS, MAX_MEDIA, MAX_MEDIA_BYTES } from '../../../src/domain/message-limits.ts';
import { ApiError, errorMessage, get, listOf, post, withQuery } from '../api.ts';
import { bytes, isoDay, plural } from '../format.ts';
import { useResource } from '../hooks.ts';
import { useLiveEvents } from '../live.tsx';
import { knownNumbers, useSession } from '../session.tsx';
import type { Message, OptOut, Template, Ticket } from '../types.ts';
import { agentTime } from '../schedule-time.ts';
import { SendLaterPicker, useSendLater } from './SendLater.tsx';

const draftKey = (ticketId: number) => `smsdesk.draft.${ticketId}`;

export function readDraft(ticketId: number): string {
  try {
    return window.localStorage.getItem(draftKey(ticketId)) ?? '';
  } catch {
    return '';
  }
}

function writeDraft(ticketId: number, text: string): void {
  try {
    if (text) window.localStorage.setItem(draftKey(ticketId), text);
    else window.localStorage.removeItem(draftKey(ticketId));
  } catch {
    // Storage full or disabled: the draft lives only in the page.
  }
}

interface Upload {
  key: number;
  name: string;
  type: string;
  size: number;
  preview: string | null;
  url: string | null;
  error: string | null;
}

/** Characters that have a GSM-7 equivalent an agent usually means. */
const PLAIN: Record<string, string> = {
  '\u2018': "'", '\u2019': "'", '\u201A': "'", '\u201B': "'", '\u2032': "'",
  '\u201C': '"', '\u201D': '"', '\u201E': '"', '\u201F': '"', '\u2033': '"',
  '\u2013': '-', '\u2014': '-', '\u2012': '-', '\u2212': '-', '\u2026': '...',
  '\u00A0': ' ', '\u2002': ' ', '\u2003': ' ', '\u2009': ' ', '\u202F': ' ', '\u200B': '', '\uFEFF': '',
  '\t': ' ', '\u2022': '*',
};

/** How a character that forces UCS-2 is shown: itself, or its code point when it is invisible. */
function visible(ch: string): string {
  const cp = ch.codePointAt(0) ?? 0;
  const code = `U+${cp.toString(16).toUpperCase().padStart(4, '0')}`;
  return /^[\s\p{C}\p{Z}]$/u.test(ch) ? code : ch;
}

const codePoint = (ch: string) => `U+${(ch.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`;

let uploadKeys = 0;

/**
 * The reply box of a thread: live character/segment/encoding count, templates, sender, MMS attachments,
 * opt-out check, and a per-ticket draft in localStorage that survives a reload or a failed send.
 */
export function Composer({ ticket, onSent }: { ticket: Ticket; onSent: (message: Message) => void }) {
  const { user, settings } = useSession();
  const [body, setBody] = useState(() => readDraft(ticket.id));
  const [from, setFrom] = useState<string>(() => ticket.twilioNumber ?? '');
  const [uploads, setUploads] = useState<Upload[]>([]);
  const [sending, setSending] = useState(false);
  const [sendError, setSendError] = useState<string | null>(null);
  const [sentNotice, setSentNotice] = useState<string | null>(null);
  const [templateBusy, setTemplateBusy] = useState(false);
  const [templateError, setTemplateError] = useState<string | null>(null);
  const [attachError, setAttachError] = useState<string | null>(null);
  const later = useSendLater();
  const textRef = useRef<HTMLTextAreaElement>(null);
  const fileRef = useRef<HTMLInputElement>(null);

  const phone = ticket.requester.phone;
  const templates = useResource(() => get<unknown>('/api/v1/templates').then((r) => listOf<Template>(r, 'templates')), []);
  const optOuts = useResource(
    () => (phone ? get<unknown>(withQuery('/api/v1/opt-outs', { phone })).then((r) => listOf<OptOut>(r, 'optOuts')) : Promise.resolve([])),
    [phone],
  );

  // A STOP or START from this customer changes what may be sent: check again on their texts.
  useLiveEvents((event) => {
    if (event.type === 'message' && event.data.direction === 'inbound' && (event.data.ticketId === ticket.id || event.data.from === phone)) {
      optOuts.reload();
    }
  });

  // The preview object URLs belong to this composer.
  const uploadsRef = useRef(uploads);
  uploadsRef.current = uploads;
  useEffect(
    () => () => {
      for (const u of uploadsRef.current) if (u.preview) URL.revokeObjectURL(u.preview);
    },
    [],
  );

  // Numbers to send from: the account's (from the settings), always including the ticket's own.
  const numbers = useMemo(() => {
    const list = knownNumbers(settings).map((n) => ({ number: n.number, mms: n.mms }));
    if (ticket.twilioNumber && !list.some((n) => n.number === ticket.twilioNumber)) list.unshift({ number: ticket.twilioNumber, mms: null });
    return list;
  }, [settings, ticket.twilioNumber]);
  const selected = numbers.find((n) => n.number === from) ?? null;
  const canMms = selected?.mms === true;

  const info = useMemo(() => segmentInfo(body), [body]);
  const characters = body.length;
  const tooLong = characters > MAX_BODY_CHARS;
  const replaceable = info.nonGsmCharacters.some((ch) => ch in PLAIN);

  // Opt-outs that stop this send: one for the chosen number, one for a Messaging Service (which may include
  // it), or any at all when the sender is the server's default.
  const blocking = (optOuts.data ?? []).filter((o) => !from || o.sender === from || !o.sender.startsWith('+'));
  const otherOptOuts = (optOuts.data ?? []).filter((o) => !blocking.includes(o));

  const uploading = uploads.some((u) => !u.url && !u.error);
  const readyUploads = uploads.filter((u) => u.url);
  const mediaBlocked = readyUploads.length > 0 && !canMms;
  const empty = body.trim() === '' && readyUploads.length === 0;
  const canSend = !sending && !uploading && !tooLong && blocking.length === 0 && !mediaBlocked && !empty && !later.problem;

  const change = (text: string) => {
    setBody(text);
    writeDraft(ticket.id, text);
    setSentNotice(null);
  };

  const applyTemplate = async (id: string) => {
    if (!id) return;
    setTemplateBusy(true);
    setTemplateError(null);
    try {
      const r = await post<{ body: string }>(`/api/v1/templates/${id}/render`, {
        ticketId: ticket.id,
        values: { 'agent.name': user.name },
        ...(from ? { from } : {}),
      });
      change(r.body);
      textRef.current?.focus();
    } catch (err) {
      setTemplateError(errorMessage(err));
    } finally {
      setTemplateBusy(false);
    }
  };

  const attach = (files: FileList | null) => {
    setAttachError(null);
    if (!files || files.length === 0) return;
    const list = Array.from(files);
    if (uploads.length + list.length > MAX_MEDIA) {
      setAttachError(`A text can carry at most ${MAX_MEDIA} attachments.`);
      return;
    }
    const total = uploads.reduce((n, u) => n + (u.error ? 0 : u.size), 0) + list.reduce((n, f) => n + f.size, 0);
    if (total > MAX_MEDIA_BYTES) {
      setAttachError(`Attachments can be at most ${bytes(MAX_MEDIA_BYTES)} in all; these would be ${bytes(total)}.`);
      return;
    }
    for (const file of list) {
      const key = ++uploadKeys;
      const type = file.type || 'application/octet-stream';
      const preview = type.startsWith('image/') ? URL.createObjectURL(file) : null;
      setUploads((all) => [...all, { key, name: file.name, type, size: file.size, preview, url: null, error: null }]);
      post<{ id: number | string; url: string }>('/api/v1/uploads', undefined, { raw: file, contentType: type }).then(
        (r) => setUploads((all) => all.map((u) => (u.key === key ? { ...u, url: r.url } : u))),
        (err: unknown) => setUploads((all) => all.map((u) => (u.key === key ? { ...u, error: errorMessage(err) } : u))),
      );
    }
    if (fileRef.current) fileRef.current.value = '';
  };

  const remove = (key: number) => {
    setUploads((all) => {
      const gone = all.find((u) => u.key === key);
      if (gone?.preview) URL.revokeObjectURL(gone.preview);
      return all.filter((u) => u.key !== key);
    });
  };

  const send = async () => {
    if (!canSend) return;
    setSending(true);
    setSendError(null);
    setSentNotice(null);
    try {
      const payload: { body: string; mediaUrls?: string[]; from?: string; sendAt?: string } = { body };
      if (readyUploads.length) payload.mediaUrls = readyUploads.map((u) => u.url!);
      if (from && from !== ticket.twilioNumber) payload.from = from;
      const sendAt = later.sendAt();
      if (sendAt) payload.sendAt = sendAt;
      const r = await post<{ message: Message }>(`/api/v1/tickets/${ticket.id}/replies`, payload);
      setBody('');
      writeDraft(ticket.id, '');
      for (const u of uploads) if (u.preview) URL.revokeObjectURL(u.preview);
      setUploads([]);
      setSentNotice(sendAt ? `Scheduled for ${agentTime(new Date(sendAt))} (your time): it waits in the thread until then.` : 'Sent: the text is queued.');
      later.reset();
      if (r?.message) onSent(r.message);
      textRef.current?.focus();
    } catch (err) {
      setSendError(errorMessage(err));
      if (err instanceof ApiError && err.code === 'opted_out') optOuts.reload();
    } finally {
      setSending(false);
    }
  };

  return (
    <section class="composer card" aria-labelledby="composer-heading" data-testid="composer">
      <h2 id="composer-heading">Reply by SMS</h2>

      {blocking.length > 0 || otherOptOuts.length > 0 ? (
        <div class={`notice ${blocking.length ? 'notice-error' : ''}`} data-testid="optout-notice" data-blocking={blocking.length ? 'true' : 'false'}>
          {blocking.length > 0 ? <p><strong>You cannot text this customer{from ? ` from ${from}` : ''}.</strong></p> : null}
          {[...blocking, ...otherOptOuts].map((o, i) => (
            <p key={i}>
              {optOutSentence(o)}
              {!blocking.includes(o) ? ` You can still text them from ${from}.` : ''}
            </p>
          ))}
        </div>
      ) : null}
      {optOuts.error ? (
        <div class="notice notice-error" role="alert">
          <p>Could not check whether this customer opted out: {errorMessage(optOuts.error)}</p>
          <button type="button" onClick={optOuts.reload}>
            Retry
          </button>
        </div>
      ) : null}

      <div class="composer-options">
        <div class="field">
          <label for="composer-template">Template</label>
          {templates.error ? (
            <span class="field-error">
              Could not load templates: {errorMessage(templates.error)}{' '}
              <button type="button" class="button-link" onClick={templates.reload}>
                Retry
              </button>
            </span>
          ) : (
            <select
              id="composer-template"
              data-testid="template-picker"
              value=""
              disabled={templateBusy || !templates.data}
              onChange={(e) => {
                const id = e.currentTarget.value;
                e.currentTarget.value = '';
                void applyTemplate(id);
              }}
            >
              <option value="">
                {templates.loading ? 'Loading templates…' : templates.data?.length ? 'Insert a template…' : 'No templates yet'}
              </option>
              {(templates.data ?? []).map((t) => (
                <option key={t.id} value={String(t.id)}>
                  {t.name}
                </option>
              ))}
            </select>
          )}
          {templateBusy ? <span class="hint">Filling in the template…</span> : null}
          {templateError ? (
            <span class="field-error" role="alert">
              {templateError}
            </span>
          ) : null}
        </div>
        <div class="field">
          <label for="composer-from">From</label>
          <select id="composer-from" data-testid="from-select" value={from} onChange={(e) => setFrom(e.currentTarget.value)}>
            {!ticket.twilioNumber ? <option value="">The default number</option> : null}
            {numbers.map((n) => (
              <option key={n.number} value={n.number}>
                {n.number}
                {n.number === ticket.twilioNumber ? ' (the ticket’s number)' : ''}
              </option>
            ))}
          </select>
        </div>
      </div>

      <div class="field">
        <label for="composer-text">Message</label>
        <textarea
          id="composer-text"
          ref={textRef}
          data-testid="composer-text"
          rows={4}
          value={body}
          onInput={(e) => change(e.currentTarget.value)}
          onKeyDown={(e) => {
            if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
              e.preventDefault();
              void send();
            }
          }}
          aria-describedby="composer-count composer-limit"
          aria-invalid={tooLong ? true : undefined}
        />
        <p id="composer-count" class={`composer-count${tooLong ? ' over' : ''}`} data-testid="composer-count">
          {characters.toLocaleString()} / {MAX_BODY_CHARS.toLocaleString()} characters · {plural(info.segments, 'segment')} · {info.encoding}
        </p>
        <div id="composer-limit">
          {tooLong ? (
            <p class="field-error" role="alert" data-testid="composer-too-long">
              This text is {characters.toLocaleString()} characters; a text can be at most {MAX_BODY_CHARS.toLocaleString()}. Shorten it by{' '}
              {(characters - MAX_BODY_CHARS).toLocaleString()} to send it.
            </p>
          ) : null}
          {info.nonGsmCharacters.length > 0 ? (
            <p class="ucs2" data-testid="composer-ucs2">
              These characters force UCS-2 (70 characters a segment instead of 160):{' '}
              {info.nonGsmCharacters.map((ch, i) => (
                <Fragment key={i}>
                  {i > 0 ? ' ' : ''}
                  <mark title={codePoint(ch)}>{visible(ch)}</mark>
                </Fragment>
              ))}
              {replaceable ? (
                <>
                  {' '}
                  <button
                    type="button"
                    class="button-link"
                    onClick={() => change(Array.from(body, (ch) => PLAIN[ch] ?? ch).join(''))}
                  >
                    Replace quotes, dashes and spaces with plain ones
                  </button>
                </>
              ) : null}
            </p>
          ) : null}
        </div>
      </div>

      <div class="attachments">
        {canMms ? (
          <div class="field">
            <label for="composer-attach">Attach pictures or files</label>
            <input
              id="composer-attach"
              ref={fileRef}
              type="file"
              multiple
              accept="image/*,video/*,audio/*,application/pdf,text/vcard,text/x-vcard"
              data-testid="attach-input"
              onChange={(e) => attach(e.currentTarget.files)}
            />
            <span class="hint">Up to {MAX_MEDIA} files, {bytes(MAX_MEDIA_BYTES)} in all.</span>
          </div>
        ) : (
          <p class="hint" data-testid="no-mms">
            {selected?.mms === false
              ? 'This number cannot send pictures.'
              : 'This number cannot send pictures (smsdesk does not know that it supports MMS).'}
          </p>
        )}
        {attachError ? (
          <p class="field-error" role="alert">
            {attachError}
          </p>
        ) : null}
        {uploads.length > 0 ? (
          <ul class="upload-list" aria-label="Attachments">
            {uploads.map((u) => (
              <li key={u.key} class="upload" data-testid="attachment">
                {u.preview ? <img src={u.preview} alt={`Attached: ${u.name}`} /> : <span class="upload-file">{u.name}</span>}
                <span class="upload-state">
                  {u.error ? <span class="field-error">Upload failed: {u.error}</span> : u.url ? `${u.name} (${bytes(u.size)})` : `Uploading ${u.name}…`}
                </span>
                <button type="button" class="button-secondary" onClick={() => remove(u.key)} aria-label={`Remove ${u.name}`}>
                  Remove
                </button>
              </li>
            ))}
          </ul>
        ) : null}
        {mediaBlocked ? (
          <p class="field-error">{from || 'This number'} cannot send pictures: remove the attachments or choose a number that can.</p>
        ) : null}
      </div>

      <SendLaterPicker state={later} phone={phone} />

      {sendError ? (
        <div class="notice notice-error" role="alert" data-testid="send-error">
          <p>
            <strong>{later.later ? 'Not scheduled.' : 'Not sent.'}</strong> {sendError}
          </p>
          <p class="hint">Your text is kept as a draft.</p>
        </div>
      ) : null}
      {sentNotice ? (
        <p class="notice notice-ok" role="status" data-testid="sent-notice">
          {sentNotice}
        </p>
      ) : null}

      <div class="actions">
        <button type="button" data-testid="composer-send" onClick={() => void send()} disabled={!canSend}>
          {later.later ? (sending ? 'Scheduling…' : 'Schedule') : sending ? 'Sending…' : 'Send'}
        </button>
        <span class="hint">Ctrl+Enter {later.later ? 'schedules' : 'sends'}.</span>
      </div>
    </section>
  );
}

/** The reason comes from the server (src/domain/opt-out.ts optOutReason), worded the same as its 409. */
function optOutSentence(o: OptOut): string {
  const to = o.sender.startsWith('MG') ? `the Messaging Service ${o.sender}` : o.sender;
  const when = o.at ? ` on ${isoDay(o.at)}` : '';
  const reason = o.reason || `they texted ${(o.keyword || 'STOP').toUpperCase()}`;
  return `Opted out of messages from ${to}${when}: ${reason}. They can text START to receive messages again.`;
}
