import { useEffect, useRef, useState } from 'preact/hooks';
import { get, localUrl, post, withQuery } from '../api.ts';
import { LoadState, Time } from '../components/common.tsx';
import { DataList, Field, FormMessages, SubmitActions, useSubmit } from '../components/forms.tsx';
import { bytes } from '../format.ts';
import { useDebounced, useResource, useTitle } from '../hooks.ts';
import { useLiveReload } from '../live.tsx';
import { knownNumbers, useSession } from '../session.tsx';
import type { HandsetMessage } from '../types.ts';
import { MAX_MEDIA_BYTES } from '../../../src/domain/message-limits.ts';

const DEFAULT_PHONE = '+14155550100';
const DEFAULT_TO = '+14155550199';

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
  const form = useSubmit();
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
  useLiveReload(handset.reload, ['message']);

  /** Why the form cannot be sent as it is, if it cannot. */
  const refusal = (): string | null => {
    if (!phone.trim() || !to.trim()) return 'Fill in the customer phone and the number to text.';
    if (!body.trim() && files.length === 0) return 'Write a message or attach a file.';
    const total = files.reduce((n, f) => n + f.size, 0);
    if (total > MAX_MEDIA_BYTES) return `Attachments can be at most ${bytes(MAX_MEDIA_BYTES)} in all.`;
    return null;
  };

  const send = (e: Event) => {
    e.preventDefault();
    void form.run(
      async () => {
        const media = await Promise.all(files.map(async (f) => ({ contentType: f.type || 'application/octet-stream', base64: await toBase64(f) })));
        await post('/sandbox/messages', { from: phone.trim(), to: to.trim(), body, ...(media.length ? { media } : {}) });
        setBody('');
        setFiles([]);
        if (fileRef.current) fileRef.current.value = '';
        handset.reload();
        setTimeout(handset.reload, 1500);
        return 'Sent to smsdesk. It appears in the inbox in a moment.';
      },
      { refusal: refusal() },
    );
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
            <Field id="sandbox-phone" label="Customer phone">
              <input id="sandbox-phone" type="tel" autoComplete="off" value={phone} onInput={(e) => setPhone(e.currentTarget.value)} data-testid="sandbox-phone" />
            </Field>
            <Field id="sandbox-to" label="To (your Twilio number)">
              <input id="sandbox-to" type="tel" autoComplete="off" list="sandbox-to-list" value={to} onInput={(e) => setTo(e.currentTarget.value)} data-testid="sandbox-to" />
              <DataList id="sandbox-to-list" values={numberOptions} />
            </Field>
            <Field id="sandbox-body" label="Message">
              <textarea id="sandbox-body" rows={3} value={body} onInput={(e) => setBody(e.currentTarget.value)} data-testid="sandbox-body" />
            </Field>
            <Field id="sandbox-media" label="Pictures (optional)">
              <input
                id="sandbox-media"
                ref={fileRef}
                type="file"
                multiple
                accept="image/*,video/*,audio/*,application/pdf,text/vcard"
                onChange={(e) => setFiles(Array.from(e.currentTarget.files ?? []).slice(0, 10))}
              />
            </Field>
            <FormMessages error={form.error} notice={form.notice} errorTestId="sandbox-error" />
            <SubmitActions busy={form.busy} label="Send as the customer" busyLabel="Sending…" testId="sandbox-send" />
          </form>
        </section>

        <section class="card handset" aria-labelledby="sandbox-handset">
          <h2 id="sandbox-handset">Handset of {handset.data?.phone || handsetPhone || '…'}</h2>
          <LoadState of={handset} what="the handset" />
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
