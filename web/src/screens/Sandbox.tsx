import { useEffect, useRef, useState } from 'preact/hooks';
import { errorMessage, get, localUrl, post, withQuery } from '../api.ts';
import { LoadError, Loading, Time } from '../components/common.tsx';
import { bytes } from '../format.ts';
import { useDebounced, useResource, useThrottled, useTitle } from '../hooks.ts';
import { useLiveEvents } from '../live.tsx';
import { knownNumbers, useSession } from '../session.tsx';
import type { HandsetMessage } from '../types.ts';

const DEFAULT_PHONE = '+14155550100';
const DEFAULT_TO = '+14155550199';
const MAX_MEDIA_BYTES = 5 * 1024 * 1024;

let remembered: { phone: string; to: string } | null = null;

/** Reads a file as base64 (no data: prefix), for the sandbox's `media`. */
function toBase64(file: File): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => {
      const result = String(reader.result ?? '');
      resolve(result.slice(result.indexOf(',') + 1));
    };
    reader.onerror = () => reject(reader.error ?? new Error('Could not read the file.'));
    reader.readAsDataURL(file);
  });
}

/** Sandbox mode: text smsdesk as a customer would, and see that customer's handset. */
export function Sandbox() {
  useTitle('Sandbox');
  const { settings } = useSession();
  const firstNumber = knownNumbers(settings)[0]?.number;
  const [phone, setPhone] = useState(remembered?.phone ?? DEFAULT_PHONE);
  const [to, setToValue] = useState(remembered?.to ?? firstNumber ?? DEFAULT_TO);
  const toTouched = useRef(Boolean(remembered));
  const setTo = (value: string) => {
    toTouched.current = true;
    setToValue(value);
  };
  // The settings may arrive after the screen: default to the first known number until the user picks one.
  useEffect(() => {
    if (!toTouched.current && firstNumber) setToValue(firstNumber);
  }, [firstNumber]);
  const [body, setBody] = useState('');
  const [files, setFiles] = useState<File[]>([]);
  const [sending, setSending] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const fileRef = useRef<HTMLInputElement>(null);
  remembered = { phone, to };

  const handsetPhone = useDebounced(phone.trim(), 400);
  const handset = useResource(
    () =>
      handsetPhone
        ? get<{ phone: string; messages: HandsetMessage[] }>(withQuery('/sandbox/messages', { phone: handsetPhone }))
        : Promise.resolve({ phone: '', messages: [] }),
    [handsetPhone],
    true,
  );
  const refresh = useThrottled(handset.reload, 500);
  useLiveEvents((event) => {
    if (event.type === 'message') refresh();
  });

  const send = async (e: Event) => {
    e.preventDefault();
    setError(null);
    setNotice(null);
    if (!phone.trim() || !to.trim()) {
      setError('Fill in the customer phone and the number to text.');
      return;
    }
    if (!body.trim() && files.length === 0) {
      setError('Write a message or attach a file.');
      return;
    }
    const total = files.reduce((n, f) => n + f.size, 0);
    if (total > MAX_MEDIA_BYTES) {
      setError(`Attachments can be at most ${bytes(MAX_MEDIA_BYTES)} in all.`);
      return;
    }
    setSending(true);
    try {
      const media = await Promise.all(files.map(async (f) => ({ contentType: f.type || 'application/octet-stream', base64: await toBase64(f) })));
      await post('/sandbox/messages', { from: phone.trim(), to: to.trim(), body, ...(media.length ? { media } : {}) });
      setBody('');
      setFiles([]);
      if (fileRef.current) fileRef.current.value = '';
      setNotice('Sent to smsdesk. It appears in the inbox in a moment.');
      handset.reload();
      setTimeout(handset.reload, 1500);
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setSending(false);
    }
  };

  const numberOptions = knownNumbers(settings).map((n) => n.number);

  return (
    <section class="sandbox">
      <h1 tabIndex={-1}>Sandbox</h1>
      <p class="hint">
        The built-in Twilio emulator: text smsdesk as a customer, then answer from the inbox. Nothing leaves this machine.
      </p>
      <div class="sandbox-grid">
        <section class="card" aria-labelledby="sandbox-customer">
          <h2 id="sandbox-customer">Customer phone</h2>
          <form class="form" onSubmit={send} noValidate>
            <div class="field">
              <label for="sandbox-phone">Customer phone</label>
              <input id="sandbox-phone" type="tel" autoComplete="off" value={phone} onInput={(e) => setPhone(e.currentTarget.value)} data-testid="sandbox-phone" />
            </div>
            <div class="field">
              <label for="sandbox-to">To (your Twilio number)</label>
              <input id="sandbox-to" type="tel" autoComplete="off" list="sandbox-to-list" value={to} onInput={(e) => setTo(e.currentTarget.value)} data-testid="sandbox-to" />
              <datalist id="sandbox-to-list">
                {numberOptions.map((n) => (
                  <option key={n} value={n} />
                ))}
              </datalist>
            </div>
            <div class="field">
              <label for="sandbox-body">Message</label>
              <textarea id="sandbox-body" rows={3} value={body} onInput={(e) => setBody(e.currentTarget.value)} data-testid="sandbox-body" />
            </div>
            <div class="field">
              <label for="sandbox-media">Pictures (optional)</label>
              <input
                id="sandbox-media"
                ref={fileRef}
                type="file"
                multiple
                accept="image/*,video/*,audio/*,application/pdf,text/vcard"
                onChange={(e) => setFiles(Array.from(e.currentTarget.files ?? []).slice(0, 10))}
              />
            </div>
            {error ? (
              <p class="field-error" role="alert" data-testid="sandbox-error">
                {error}
              </p>
            ) : null}
            {notice ? (
              <p class="notice-ok" role="status">
                {notice}
              </p>
            ) : null}
            <div class="actions">
              <button type="submit" disabled={sending} data-testid="sandbox-send">
                {sending ? 'Sending…' : 'Send as the customer'}
              </button>
            </div>
          </form>
        </section>

        <section class="card handset" aria-labelledby="sandbox-handset">
          <h2 id="sandbox-handset">Handset of {handsetPhone || '…'}</h2>
          {handset.error ? <LoadError error={handset.error} retry={handset.reload} what="the handset" /> : null}
          {!handset.data && handset.loading ? <Loading what="the handset" /> : null}
          {handset.data ? (
            handset.data.messages.length === 0 ? (
              <p class="hint">No texts yet from or to this phone.</p>
            ) : (
              <ol class="conversation handset-list" data-testid="sandbox-handset" aria-label="Texts on this phone, oldest first">
                {handset.data.messages.map((m) => (
                  <li key={m.sid} class={`msg ${m.direction === 'sent' ? 'msg-out' : 'msg-in'}`} data-testid="handset-message" data-direction={m.direction}>
                    <article class="bubble" aria-label={m.direction === 'sent' ? `Sent to ${m.to}` : `Received from ${m.from}`}>
                      <p class="msg-who">{m.direction === 'sent' ? `Sent to ${m.to}` : `From ${m.from}`}</p>
                      {m.body ? <p class="msg-body">{m.body}</p> : null}
                      {m.mediaUrls?.length ? (
                        <ul class="media-list">
                          {m.mediaUrls.map((u, i) => {
                            const url = localUrl(u);
                            return <li key={i}>{url ? <a href={url} target="_blank" rel="noopener">Attachment {i + 1}</a> : `Attachment ${i + 1}`}</li>;
                          })}
                        </ul>
                      ) : null}
                      <p class="msg-meta">
                        <Time value={m.at} />
                        <span class="visually-hidden">Status: </span>
                        <span class={`badge badge-delivery delivery-${m.status}`}>{m.status}</span>
                        {m.errorCode !== null && m.errorCode !== undefined ? <span class="problem-code"> error {m.errorCode}</span> : null}
                      </p>
                    </article>
                  </li>
                ))}
              </ol>
            )
          ) : null}
        </section>
      </div>
    </section>
  );
}
