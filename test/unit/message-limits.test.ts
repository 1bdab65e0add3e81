import { describe, expect, it } from 'vitest';
import { AppError } from '../../src/domain/errors.ts';
import {
  checkOutbound,
  MAX_BODY_CHARS,
  MAX_MEDIA,
  MAX_MEDIA_BYTES,
  outboundProblems,
  type OutboundMedia,
  type OutboundMessage,
  type OutboundProblemCode,
} from '../../src/domain/message-limits.ts';
import { thrown } from '../helpers/errors.ts';

const FROM = '+14155550199';
const EMOJI = '😀'; // one code point, two UTF-16 units
const msg = (over: Partial<OutboundMessage>): OutboundMessage => ({ body: 'Hello', from: FROM, mmsCapable: true, ...over });
const image = (n: number, size?: number): OutboundMedia => ({ url: `https://cdn.example.com/${n}.jpg`, size });
const images = (count: number, size?: number) => Array.from({ length: count }, (_, i) => image(i, size));
const MB = 1024 * 1024;


describe('constants', () => {
  it('match Twilio limits', () => {
    expect(MAX_BODY_CHARS).toBe(1600);
    expect(MAX_MEDIA).toBe(10);
    expect(MAX_MEDIA_BYTES).toBe(5 * 1024 * 1024);
  });
});

describe('outboundProblems', () => {
  const cases: { name: string; message: OutboundMessage; codes: OutboundProblemCode[] }[] = [
    { name: 'a short text', message: msg({}), codes: [] },
    { name: 'exactly 1,600 characters', message: msg({ body: 'a'.repeat(1600) }), codes: [] },
    { name: '1,601 characters', message: msg({ body: 'a'.repeat(1601) }), codes: ['body_too_long'] },
    // Emoji count as two (UTF-16 code units).
    { name: '800 emoji = 1,600 units', message: msg({ body: EMOJI.repeat(800) }), codes: [] },
    { name: '801 emoji = 1,602 units', message: msg({ body: EMOJI.repeat(801) }), codes: ['body_too_long'] },
    { name: '1,599 letters + one emoji = 1,601 units', message: msg({ body: 'a'.repeat(1599) + EMOJI }), codes: ['body_too_long'] },
    { name: 'accented letters count as one', message: msg({ body: 'é'.repeat(1600) }), codes: [] },
    { name: 'empty body, no media', message: msg({ body: '' }), codes: ['empty_message'] },
    { name: 'whitespace body, no media', message: msg({ body: ' \n\t ' }), codes: ['empty_message'] },
    { name: 'empty media list', message: msg({ body: '', media: [] }), codes: ['empty_message'] },
    { name: 'media without a body', message: msg({ body: '', media: [image(1)] }), codes: [] },
    { name: '10 media', message: msg({ media: images(10) }), codes: [] },
    { name: '11 media', message: msg({ media: images(11) }), codes: ['too_many_media'] },
    { name: 'media exactly 5 MB in total', message: msg({ media: [image(1, 3 * MB), image(2, 2 * MB)] }), codes: [] },
    { name: 'media over 5 MB in total', message: msg({ media: [image(1, 3 * MB), image(2, 2 * MB + 1)] }), codes: ['media_too_large'] },
    { name: 'unknown sizes are not counted', message: msg({ media: [image(1), image(2, 4 * MB)] }), codes: [] },
    { name: 'nonsense sizes are not counted', message: msg({ media: [image(1, Number.NaN), image(2, -1), image(3, Infinity)] }), codes: [] },
    { name: 'media on a number without MMS', message: msg({ mmsCapable: false, media: [image(1)] }), codes: ['mms_not_supported'] },
    { name: 'text on a number without MMS', message: msg({ mmsCapable: false }), codes: [] },
    { name: 'http media URL', message: msg({ media: [{ url: 'http://cdn.example.com/a.jpg' }] }), codes: ['invalid_media_url'] },
    // Plain http only where the caller says so (smsdesk's own links, SMSDESK_FETCH_ALLOW): not for loopback as such.
    { name: 'http on 127.0.0.1', message: msg({ media: [{ url: 'http://127.0.0.1:8080/a.jpg' }] }), codes: ['invalid_media_url'] },
    { name: 'http on localhost', message: msg({ media: [{ url: 'http://localhost:3000/a.jpg' }] }), codes: ['invalid_media_url'] },
    { name: 'http on [::1]', message: msg({ media: [{ url: 'http://[::1]:3000/a.jpg' }] }), codes: ['invalid_media_url'] },
    { name: 'http allowed by the caller', message: msg({ media: [{ url: 'http://127.0.0.1:8080/a.jpg', plainHttp: true }] }), codes: [] },
    { name: 'a URL smsdesk will not fetch', message: msg({ media: [{ ...image(1), refused: 'is a loopback address (127.0.0.1)' }] }), codes: ['media_url_not_allowed'] },
    { name: 'relative URL', message: msg({ media: [{ url: '/files/a.jpg' }] }), codes: ['invalid_media_url'] },
    { name: 'not a URL', message: msg({ media: [{ url: 'not a url' }] }), codes: ['invalid_media_url'] },
    { name: 'ftp URL', message: msg({ media: [{ url: 'ftp://example.com/a.jpg' }] }), codes: ['invalid_media_url'] },
    { name: 'data URL', message: msg({ media: [{ url: 'data:image/png;base64,AAAA' }] }), codes: ['invalid_media_url'] },
    {
      name: 'every problem at once, in order',
      message: msg({ body: 'x'.repeat(2000), mmsCapable: false, media: [...images(10, MB), { url: 'http://x.example/a', size: MB }] }),
      codes: ['body_too_long', 'mms_not_supported', 'too_many_media', 'invalid_media_url', 'media_too_large'],
    },
  ];
  it.each(cases)('$name → $codes', ({ message, codes }) => {
    expect(outboundProblems(message).map((p) => p.code)).toEqual(codes);
  });

  it('reports each bad media URL', () => {
    const problems = outboundProblems(msg({ media: [{ url: 'http://a.example/1' }, image(2), { url: 'nope' }] }));
    expect(problems.map((p) => p.message)).toEqual([
      'Attachment URL "http://a.example/1" is not a valid https:// URL: Twilio fetches each attachment from its URL, which must be public and use https.',
      'Attachment URL "nope" is not a valid https:// URL: Twilio fetches each attachment from its URL, which must be public and use https.',
    ]);
  });
});

describe('checkOutbound', () => {
  it('returns for a valid message', () => {
    expect(() => checkOutbound(msg({ media: [image(1, MB)] }))).not.toThrow();
  });

  it('body_too_long names the length and the limit, with thousands separators', () => {
    const err = thrown(() => checkOutbound(msg({ body: 'a'.repeat(1742) })));
    expect(err.kind).toBe('invalid');
    expect(err.code).toBe('body_too_long');
    expect(err.message).toBe(
      'Body is 1,742 characters; Twilio accepts at most 1,600 per message. Shorten it or split it into several messages.',
    );
  });

  it('body_too_long counts emoji as two characters', () => {
    expect(thrown(() => checkOutbound(msg({ body: EMOJI.repeat(900) }))).message).toMatch(/^Body is 1,800 characters;/);
  });

  it('never truncates: the message object is left as it was', () => {
    const message = msg({ body: 'a'.repeat(1700) });
    expect(() => checkOutbound(message)).toThrow(AppError);
    expect(message.body).toHaveLength(1700);
  });

  const messages: { name: string; message: OutboundMessage; code: string; text: string }[] = [
    { name: 'empty', message: msg({ body: '' }), code: 'empty_message', text: 'The message is empty: write some text or attach a file.' },
    {
      name: 'too many media',
      message: msg({ media: images(12) }),
      code: 'too_many_media',
      text: 'The message has 12 attachments; Twilio accepts at most 10 per message. Send the rest in another message.',
    },
    {
      name: 'media too large',
      message: msg({ media: [image(1, 4 * MB), image(2, 2.2 * MB)] }),
      code: 'media_too_large',
      text: 'Attachments total 6.2 MB; Twilio accepts at most 5 MB per message. Send fewer or smaller files, or spread them over several messages.',
    },
    {
      name: 'media a byte too large is not "5 MB"',
      message: msg({ media: [image(1, 5 * MB + 1)] }),
      code: 'media_too_large',
      text: 'Attachments total 5.1 MB; Twilio accepts at most 5 MB per message. Send fewer or smaller files, or spread them over several messages.',
    },
    {
      name: 'MMS not supported',
      message: msg({ mmsCapable: false, media: [image(1)] }),
      code: 'mms_not_supported',
      text: 'The number +14155550199 cannot send MMS: send the text without attachments, or send from an MMS-capable number.',
    },
    {
      name: 'invalid media URL',
      message: msg({ media: [{ url: 'http://cdn.example.com/a.jpg' }] }),
      code: 'invalid_media_url',
      text: 'Attachment URL "http://cdn.example.com/a.jpg" is not a valid https:// URL: Twilio fetches each attachment from its URL, which must be public and use https.',
    },
    {
      name: 'media URL smsdesk will not fetch',
      message: msg({ media: [{ url: 'https://intranet.example/a.jpg', refused: 'resolves to a private address (10.0.0.5)' }] }),
      code: 'media_url_not_allowed',
      text: 'Attachment URL "https://intranet.example/a.jpg" resolves to a private address (10.0.0.5): smsdesk fetches attachments only over https from public addresses, as Twilio does. ' +
        'Link a file on a public https:// server (a development server can be listed in SMSDESK_FETCH_ALLOW).',
    },
  ];
  it.each(messages)('$name → invalid($code)', ({ message, code, text }) => {
    const err = thrown(() => checkOutbound(message));
    expect(err.kind).toBe('invalid');
    expect(err.code).toBe(code);
    expect(err.message).toBe(text);
  });

  it('throws the first problem when there are several', () => {
    const err = thrown(() => checkOutbound(msg({ body: 'a'.repeat(1601), mmsCapable: false, media: [image(1)] })));
    expect(err.code).toBe('body_too_long');
  });
});
