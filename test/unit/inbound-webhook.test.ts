import { describe, expect, it } from 'vitest';
import { MAX_BODY_CHARS, parseInboundWebhook, WebhookError } from '../../src/adapters/twilio/inbound-webhook.ts';

const SM = `SM${'0123456789abcdef'.repeat(2)}`;
const MM = `MM${'a'.repeat(32)}`;
const AC = `AC${'b'.repeat(32)}`;
const MG = `MG${'c'.repeat(32)}`;
const MEDIA = (n: number) => `https://api.twilio.com/2010-04-01/Accounts/${AC}/Messages/${MM}/Media/ME${String(n).repeat(32)}`;

/** The fields Twilio posts for a plain SMS (plus a few smsdesk ignores). */
const sms: Record<string, string> = {
  ToCountry: 'US',
  SmsMessageSid: SM,
  NumMedia: '0',
  SmsSid: SM,
  SmsStatus: 'received',
  Body: 'Hello, is my order ready?',
  To: '+15005550001',
  NumSegments: '1',
  MessageSid: SM,
  AccountSid: AC,
  From: '+14155550100',
  ApiVersion: '2010-04-01',
};

const mms: Record<string, string> = {
  ...sms,
  MessageSid: MM,
  Body: 'photo attached',
  NumMedia: '2',
  MediaUrl0: MEDIA(1),
  MediaContentType0: 'image/jpeg',
  MediaUrl1: MEDIA(2),
  MediaContentType1: 'video/3gpp; codecs=mp4v',
};

function webhookError(params: Record<string, string>): WebhookError {
  try {
    parseInboundWebhook(params);
  } catch (err) {
    expect(err).toBeInstanceOf(WebhookError);
    return err as WebhookError;
  }
  throw new Error(`parseInboundWebhook accepted ${JSON.stringify(params)}`);
}

function without(params: Record<string, string>, ...keys: string[]): Record<string, string> {
  const copy = { ...params };
  for (const k of keys) delete copy[k];
  return copy;
}

describe('parseInboundWebhook: valid webhooks', () => {
  it('parses an SMS', () => {
    expect(parseInboundWebhook(sms)).toEqual({
      messageSid: SM,
      accountSid: AC,
      from: '+14155550100',
      to: '+15005550001',
      body: 'Hello, is my order ready?',
      media: [],
      messagingServiceSid: null,
    });
  });

  it('parses an MMS with its media in order', () => {
    expect(parseInboundWebhook(mms)).toMatchObject({
      messageSid: MM,
      body: 'photo attached',
      media: [
        { url: MEDIA(1), contentType: 'image/jpeg' },
        { url: MEDIA(2), contentType: 'video/3gpp; codecs=mp4v' },
      ],
    });
  });

  const cases: { name: string; params: Record<string, string>; check: (w: ReturnType<typeof parseInboundWebhook>) => void }[] = [
    { name: 'MM-prefixed MessageSid', params: { ...sms, MessageSid: MM }, check: (w) => expect(w.messageSid).toBe(MM) },
    { name: 'upper-case hex in SIDs', params: { ...sms, MessageSid: `SM${'ABCDEF0123456789'.repeat(2)}` }, check: (w) => expect(w.messageSid).toBe(`SM${'ABCDEF0123456789'.repeat(2)}`) },
    { name: 'empty Body with media', params: { ...mms, Body: '' }, check: (w) => expect([w.body, w.media.length]).toEqual(['', 2]) },
    { name: 'Body absent with media', params: without(mms, 'Body'), check: (w) => expect([w.body, w.media.length]).toEqual(['', 2]) },
    { name: 'NumMedia absent means none', params: without(sms, 'NumMedia'), check: (w) => expect(w.media).toEqual([]) },
    { name: 'NumMedia 10 (the limit)', params: { ...sms, NumMedia: '10', ...Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`MediaUrl${i}`, MEDIA(i)])) }, check: (w) => expect(w.media).toHaveLength(10) },
    { name: 'MediaUrl beyond NumMedia is ignored', params: { ...sms, NumMedia: '1', MediaUrl0: MEDIA(1), MediaUrl1: 'file:///etc/passwd' }, check: (w) => expect(w.media).toEqual([{ url: MEDIA(1), contentType: null }]) },
    { name: 'MediaContentType absent → null', params: without(mms, 'MediaContentType0'), check: (w) => expect(w.media[0]!.contentType).toBeNull() },
    { name: 'plain http media URL (emulator)', params: { ...mms, MediaUrl0: 'http://127.0.0.1:4010/media/1' }, check: (w) => expect(w.media[0]!.url).toBe('http://127.0.0.1:4010/media/1') },
    { name: 'MessagingServiceSid', params: { ...sms, MessagingServiceSid: MG }, check: (w) => expect(w.messagingServiceSid).toBe(MG) },
    { name: 'From and To are trimmed', params: { ...sms, From: ' +14155550100 ', To: '\t+15005550001\n' }, check: (w) => expect([w.from, w.to]).toEqual(['+14155550100', '+15005550001']) },
    { name: 'short code and alphanumeric senders', params: { ...sms, From: 'ACME', To: '12345' }, check: (w) => expect([w.from, w.to]).toEqual(['ACME', '12345']) },
    { name: 'Body of exactly the limit', params: { ...sms, Body: 'x'.repeat(MAX_BODY_CHARS) }, check: (w) => expect(w.body).toHaveLength(MAX_BODY_CHARS) },
    { name: 'Body is kept verbatim (not trimmed)', params: { ...sms, Body: '  hi\n' }, check: (w) => expect(w.body).toBe('  hi\n') },
  ];
  it.each(cases)('accepts $name', ({ params, check }) => {
    check(parseInboundWebhook(params));
  });
});

describe('parseInboundWebhook: malformed webhooks throw a WebhookError naming the field', () => {
  const cases: { name: string; params: Record<string, string>; message: RegExp }[] = [
    { name: 'missing From', params: without(sms, 'From'), message: /^From is required$/ },
    { name: 'missing To', params: without(sms, 'To'), message: /^To is required$/ },
    { name: 'blank From', params: { ...sms, From: '   ' }, message: /^From is required$/ },
    { name: 'From longer than 64', params: { ...sms, From: '1'.repeat(65) }, message: /^From is longer than any phone number/ },
    { name: 'missing MessageSid', params: without(sms, 'MessageSid'), message: /^MessageSid is required$/ },
    { name: 'MessageSid with a bad prefix', params: { ...sms, MessageSid: `SK${'a'.repeat(32)}` }, message: /^MessageSid must be \(SM\|MM\) followed by 32 hex digits$/ },
    { name: 'MessageSid too short', params: { ...sms, MessageSid: 'SM123' }, message: /^MessageSid must be/ },
    { name: 'MessageSid with non-hex', params: { ...sms, MessageSid: `SM${'g'.repeat(32)}` }, message: /^MessageSid must be/ },
    { name: 'MessageSid with trailing text', params: { ...sms, MessageSid: `${SM}x` }, message: /^MessageSid must be/ },
    { name: 'missing AccountSid', params: without(sms, 'AccountSid'), message: /^AccountSid is required$/ },
    { name: 'AccountSid malformed', params: { ...sms, AccountSid: 'AC-nope' }, message: /^AccountSid must be AC followed by 32 hex digits$/ },
    { name: "NumMedia 'abc'", params: { ...sms, NumMedia: 'abc' }, message: /^NumMedia must be a whole number from 0 to 10$/ },
    { name: "NumMedia '11'", params: { ...sms, NumMedia: '11' }, message: /^NumMedia must be at most 10 \(Twilio's MMS limit\)$/ },
    { name: "NumMedia '-1'", params: { ...sms, NumMedia: '-1' }, message: /^NumMedia must be a whole number/ },
    { name: "NumMedia '1.5'", params: { ...sms, NumMedia: '1.5' }, message: /^NumMedia must be a whole number/ },
    { name: "NumMedia '100'", params: { ...sms, NumMedia: '100' }, message: /^NumMedia must be a whole number/ },
    { name: 'MediaUrl0 missing while NumMedia is 1', params: { ...sms, NumMedia: '1' }, message: /^MediaUrl0 is missing while NumMedia is 1$/ },
    { name: 'MediaUrl1 missing while NumMedia is 2', params: without(mms, 'MediaUrl1'), message: /^MediaUrl1 is missing while NumMedia is 2$/ },
    { name: 'MediaUrl0 empty', params: { ...mms, MediaUrl0: '' }, message: /^MediaUrl0 is missing/ },
    { name: 'MediaUrl file:', params: { ...mms, MediaUrl0: 'file:///etc/passwd' }, message: /^MediaUrl0 must be an http\(s\) URL of at most 2048 characters$/ },
    { name: 'MediaUrl javascript:', params: { ...mms, MediaUrl1: 'javascript:alert(1)' }, message: /^MediaUrl1 must be an http\(s\) URL/ },
    { name: 'MediaUrl data:', params: { ...mms, MediaUrl0: 'data:text/html,<script>1</script>' }, message: /^MediaUrl0 must be an http\(s\) URL/ },
    { name: 'MediaUrl ftp:', params: { ...mms, MediaUrl0: 'ftp://example.com/x.jpg' }, message: /^MediaUrl0 must be an http\(s\) URL/ },
    { name: 'MediaUrl relative', params: { ...mms, MediaUrl0: '/2010-04-01/Media/1' }, message: /^MediaUrl0 must be an http\(s\) URL/ },
    { name: 'MediaUrl that does not parse', params: { ...mms, MediaUrl0: 'https://exa mple.com/x' }, message: /^MediaUrl0 must be an http\(s\) URL/ },
    { name: 'MediaUrl over 2048 characters', params: { ...mms, MediaUrl0: `https://api.twilio.com/${'a'.repeat(2048)}` }, message: /^MediaUrl0 must be an http\(s\) URL of at most 2048/ },
    { name: 'MediaContentType not a media type', params: { ...mms, MediaContentType0: 'jpeg' }, message: /^MediaContentType0 is not a media type$/ },
    { name: `Body over ${MAX_BODY_CHARS} characters`, params: { ...sms, Body: 'x'.repeat(MAX_BODY_CHARS + 1) }, message: /^Body is over 5000 characters$/ },
    { name: 'MessagingServiceSid malformed', params: { ...sms, MessagingServiceSid: `MS${'c'.repeat(32)}` }, message: /^MessagingServiceSid must be MG followed by 32 hex digits$/ },
    { name: 'MessagingServiceSid empty', params: { ...sms, MessagingServiceSid: '' }, message: /^MessagingServiceSid must be MG/ },
  ];
  it.each(cases)('$name', ({ params, message }) => {
    expect(webhookError(params).message).toMatch(message);
  });

  it('names every bad field at once', () => {
    const message = webhookError({ ...without(sms, 'From'), NumMedia: 'abc', AccountSid: 'x' }).message;
    expect(message.split('; ').sort()).toEqual(
      ['AccountSid must be AC followed by 32 hex digits', 'From is required', 'NumMedia must be a whole number from 0 to 10'].sort(),
    );
  });

  it('names every bad media field at once', () => {
    const message = webhookError({ ...mms, NumMedia: '3', MediaUrl0: 'javascript:x', MediaContentType1: '???' }).message;
    expect(message).toBe(
      'MediaUrl0 must be an http(s) URL of at most 2048 characters; MediaContentType1 is not a media type; MediaUrl2 is missing while NumMedia is 3',
    );
  });

  it('an empty form names the required fields', () => {
    const message = webhookError({}).message;
    for (const field of ['MessageSid', 'AccountSid', 'From', 'To']) expect(message).toContain(`${field} is required`);
  });
});
