import { describe, expect, it } from 'vitest';
import { attachmentFilename, incomingSmsHtml, subjectFor, type IncomingSmsHtml } from '../../src/domain/ticket-format.ts';

const FROM = '+14155550100';

describe('subjectFor', () => {
  const long = 'x'.repeat(200);
  const cases: { name: string; body: string; from?: string; media?: number; want: string }[] = [
    { name: 'short text is the subject', body: 'Where is my order?', want: 'Where is my order?' },
    { name: 'surrounding and repeated whitespace collapses', body: '  Where\n is \t my   order?  ', want: 'Where is my order?' },
    { name: 'exactly 8 words: no ellipsis', body: 'one two three four five six seven eight', want: 'one two three four five six seven eight' },
    { name: '9 words: first 8 plus ellipsis', body: 'one two three four five six seven eight nine', want: 'one two three four five six seven eight…' },
    { name: 'many lines: first 8 words', body: 'Hi,\nmy printer\r\nis on fire again and the toner leaks', want: 'Hi, my printer is on fire again and…' },
    { name: 'one long word is cut to 80 characters with the ellipsis', body: long, want: `${'x'.repeat(79)}…` },
    { name: 'an 80-character word is kept whole', body: 'y'.repeat(80), want: 'y'.repeat(80) },
    { name: 'an 81-character word is cut', body: 'y'.repeat(81), want: `${'y'.repeat(79)}…` },
    {
      name: 'a cut at a word boundary does not leave a trailing space',
      body: `${'a'.repeat(78)} bbbbbbbb`,
      want: `${'a'.repeat(78)}…`,
    },
    { name: 'text with media uses the text', body: 'see photo', media: 2, want: 'see photo' },
    { name: 'media only: MMS from the formatted number', body: '', media: 1, want: 'MMS from +1 415 555 0100' },
    { name: 'media only with whitespace body', body: '  \n ', media: 3, want: 'MMS from +1 415 555 0100' },
    { name: 'empty text, no media: SMS from the formatted number', body: '', media: 0, want: 'SMS from +1 415 555 0100' },
    { name: 'short code sender stays raw', body: '', from: '12345', media: 0, want: 'SMS from 12345' },
    { name: 'alphanumeric sender stays raw', body: '', from: 'ACME', media: 1, want: 'MMS from ACME' },
  ];
  it.each(cases)('$name', ({ body, from = FROM, media = 0, want }) => {
    const subject = subjectFor(body, from, media);
    expect(subject).toBe(want);
    expect(subject.length).toBeLessThanOrEqual(80);
  });
});

describe('incomingSmsHtml', () => {
  const base: IncomingSmsHtml = { body: 'Hello', from: FROM, to: '+15005550001', missing: [] };

  it('renders the heading and a row each for body, from and to', () => {
    expect(incomingSmsHtml(base)).toBe(
      '<h3>INCOMING SMS: via Twilio Webhook</h3><table>' +
        '<tr><th style="text-align:left;vertical-align:top">Body</th><td>Hello</td></tr>' +
        '<tr><th style="text-align:left;vertical-align:top">From</th><td>+14155550100</td></tr>' +
        '<tr><th style="text-align:left;vertical-align:top">To</th><td>+15005550001</td></tr>' +
        '</table>',
    );
  });

  const hostile = `<script>alert("x")</script> & 'y' <img src=x onerror=alert(1)>`;
  const escaped = '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;y&#39; &lt;img src=x onerror=alert(1)&gt;';

  it.each([
    ['body', { ...base, body: hostile }],
    ['from', { ...base, from: hostile }],
    ['to', { ...base, to: hostile }],
    ['missing-attachment reason', { ...base, missing: [{ index: 0, contentType: 'image/png', reason: hostile }] }],
    ['missing-attachment content type', { ...base, missing: [{ index: 0, contentType: hostile, reason: 'HTTP 404' }] }],
  ])('escapes markup, quotes and ampersands in the %s', (_field, msg) => {
    const html = incomingSmsHtml(msg);
    expect(html).toContain(escaped);
    expect(html).not.toContain('<script');
    expect(html).not.toContain('<img');
    expect(html).not.toContain('"x"');
    expect(html).not.toContain("'y'");
    // Every "&" in the output starts an entity.
    expect(html.match(/&(?!(amp|lt|gt|quot|#39);)/g)).toBeNull();
  });

  it('does not double-escape an existing entity', () => {
    expect(incomingSmsHtml({ ...base, body: '&amp; &lt;' })).toContain('<td>&amp;amp; &amp;lt;</td>');
  });

  it.each([
    ['\n', 'line one\nline two\nline three', 'line one<br>line two<br>line three'],
    ['\r\n', 'line one\r\nline two', 'line one<br>line two'],
    ['blank lines', 'a\n\nb', 'a<br><br>b'],
  ])('keeps %s line breaks as <br>', (_name, body, want) => {
    expect(incomingSmsHtml({ ...base, body })).toContain(`<td>${want}</td>`);
  });

  it('an empty body is shown as "(no text)"', () => {
    expect(incomingSmsHtml({ ...base, body: '' })).toContain('<th style="text-align:left;vertical-align:top">Body</th><td><i>(no text)</i></td>');
  });

  it('lists each missing attachment with its 1-based index, type and reason, in order', () => {
    const html = incomingSmsHtml({
      ...base,
      missing: [
        { index: 0, contentType: 'image/jpeg', reason: 'HTTP 404 from https://api.twilio.com (gave up after 5 attempts)' },
        { index: 2, contentType: null, reason: 'file is over the 26214400-byte limit' },
      ],
    });
    const rows = html.match(/<tr><th[^>]*>Missing attachment<\/th><td>[^<]*<\/td><\/tr>/g);
    expect(rows).toEqual([
      '<tr><th style="text-align:left;vertical-align:top">Missing attachment</th><td>Attachment 1 (image/jpeg) could not be fetched from Twilio: HTTP 404 from https://api.twilio.com (gave up after 5 attempts)</td></tr>',
      '<tr><th style="text-align:left;vertical-align:top">Missing attachment</th><td>Attachment 3 could not be fetched from Twilio: file is over the 26214400-byte limit</td></tr>',
    ]);
    // After the body/from/to rows.
    expect(html.indexOf('>To<')).toBeLessThan(html.indexOf('Missing attachment'));
    expect(html.startsWith('<h3>INCOMING SMS: via Twilio Webhook</h3>')).toBe(true);
  });
});

describe('attachmentFilename', () => {
  const SID = 'MM' + 'a'.repeat(32);
  it.each([
    ['image/jpeg', 0, 'jpg', 1],
    ['image/png', 1, 'png', 2],
    ['image/gif', 2, 'gif', 3],
    ['image/webp', 0, 'webp', 1],
    ['image/heic', 0, 'heic', 1],
    ['video/mp4', 0, 'mp4', 1],
    ['video/3gpp', 0, '3gp', 1],
    ['audio/mpeg', 0, 'mp3', 1],
    ['audio/amr', 0, 'amr', 1],
    ['audio/ogg', 0, 'ogg', 1],
    ['text/vcard', 0, 'vcf', 1],
    ['text/x-vcard', 0, 'vcf', 1],
    ['text/plain', 0, 'txt', 1],
    ['application/pdf', 9, 'pdf', 10],
    // Parameters and case do not matter.
    ['IMAGE/JPEG', 0, 'jpg', 1],
    ['text/plain; charset=utf-8', 0, 'txt', 1],
    [' image/png ; q=1', 0, 'png', 1],
    // Unknown types get a neutral extension.
    ['application/octet-stream', 0, 'bin', 1],
    ['application/x-msdownload', 0, 'bin', 1],
    ['', 0, 'bin', 1],
  ])('%j at index %i → .%s, position %i', (type, index, ext, position) => {
    expect(attachmentFilename(SID, index, type)).toBe(`${SID}-${position}.${ext}`);
  });
});
