import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { pgliteBackend } from '../helpers/databases.ts';
import { CUSTOMER, NUMBER, postReply, startHarness, ticketFrom as ticketFromHelper, waitForMessage, type Harness } from '../helpers/outbound.ts';
import { OTHER_NUMBER } from '../helpers/harness.ts';

/**
 * What goes into an outbound message, end to end through HTTP and the emulator: segment counts, MMS rules
 * (capability, count, total size asked of the media servers), 21610 and template replies. One backend:
 * these are about the message, not the database (outbound.test.ts runs on both).
 */

const MB = 1024 * 1024;

/** Media URLs as Twilio would fetch them: sizes by HEAD, by ranged GET only, or not there. */
function mediaServer(): Server {
  return createServer((req, res) => {
    const path = req.url ?? '/';
    const sized = /^\/(\d+)\/[\w.-]+$/.exec(path);
    if (path.startsWith('/missing/')) return void res.writeHead(404).end();
    if (path.startsWith('/private/')) return void res.writeHead(403).end();
    if (path.startsWith('/nohead/')) {
      // HEAD refused; a ranged GET tells the total in Content-Range.
      if (req.method === 'HEAD') return void res.writeHead(405).end();
      const total = Number(path.split('/')[2]);
      return void res.writeHead(206, { 'content-type': 'image/gif', 'content-range': `bytes 0-0/${total}`, 'content-length': '1' }).end('G');
    }
    if (sized) {
      res.writeHead(200, { 'content-type': 'image/jpeg', 'content-length': sized[1] });
      // Only headers are ever asked for; a GET would get a truncated body, which the probe never reads.
      return void res.end();
    }
    res.writeHead(404).end();
  });
}

describe('outbound message content', () => {
  let h: Harness;
  let media: Server;
  let mediaBase = '';
  beforeAll(async () => {
    media = mediaServer();
    await new Promise<void>((r) => media.listen(0, '127.0.0.1', r));
    mediaBase = `http://127.0.0.1:${(media.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => media.close(() => r())));
  afterEach(async () => h?.close());

  const ticketFrom = (customer = CUSTOMER) => ticketFromHelper(h, customer);
  const reply = (ticketId: number, payload: Record<string, unknown>) => postReply(h, ticketId, payload);
  const atTwilio = () => h.emulator.messages().filter((m) => m.direction !== 'inbound');
  const settled = (id: number) => waitForMessage(h, id, (m) => ['delivered', 'failed', 'undelivered'].includes(m.status), 'settled');

  it('stores encoding and segments as Twilio counts them: GSM-7, its extension table, UCS-2 and emoji', async () => {
    h = await startHarness(pgliteBackend);
    const ticketId = await ticketFrom();
    const cases: [string, string, number][] = [
      ['a'.repeat(160), 'GSM-7', 1],
      ['a'.repeat(161), 'GSM-7', 2],
      // Each of [ ] { } ~ € takes two septets: 150 + 5×2 = 160 fits one segment, one more does not.
      ['a'.repeat(150) + '[]{}~', 'GSM-7', 1],
      ['a'.repeat(150) + '[]{}~€', 'GSM-7', 2],
      ['ж'.repeat(70), 'UCS-2', 1],
      ['ж'.repeat(71), 'UCS-2', 2],
      // An emoji is two UTF-16 units: 35 fill one 70-unit segment; 36 need two (33 per 67-unit part).
      ['😀'.repeat(35), 'UCS-2', 1],
      ['😀'.repeat(36), 'UCS-2', 2],
      ['😀'.repeat(67), 'UCS-2', 3],
    ];
    for (const [body, encoding, segments] of cases) {
      const res = await reply(ticketId, { body });
      expect(res.status).toBe(202);
      expect([res.body.message.encoding, res.body.message.segments], body).toEqual([encoding, segments]);
      await settled(res.body.message.id);
      const sent = atTwilio().find((m) => m.body === body)!;
      expect(sent.numSegments, body).toBe(segments);
    }
  });

  /** The media server is on 127.0.0.1: smsdesk reaches it only through the development allow-list. */
  const withMediaServer = () => startHarness(pgliteBackend, { env: { SMSDESK_FETCH_ALLOW: new URL(mediaBase).host } });

  it('sends media from an MMS-capable number, refuses it from one without MMS, and counts at most 10', async () => {
    h = await withMediaServer();
    const ticketId = await ticketFrom();
    const photo = `${mediaBase}/120000/photo.jpg`;
    const ok = await reply(ticketId, { body: 'Your label', mediaUrls: [photo] });
    expect(ok.status).toBe(202);
    expect((await settled(ok.body.message.id)).status).toBe('delivered');
    expect(atTwilio()[0]!.mediaUrls).toEqual([photo]);

    const eleven = await reply(ticketId, { body: 'many', mediaUrls: Array.from({ length: 11 }, (_, i) => `${mediaBase}/10/${i}.jpg`) });
    expect([eleven.status, eleven.body.error?.code]).toEqual([400, 'too_many_media']);

    // Twilio lists OTHER_NUMBER without MMS (IncomingPhoneNumbers capabilities): refused before any send.
    h.emulator.setSender(OTHER_NUMBER, { mms: false });
    for (let i = 0; i < 2; i++) {
      const refused = await reply(ticketId, { body: 'pic', mediaUrls: [photo], from: OTHER_NUMBER });
      expect([refused.status, refused.body.error?.code]).toEqual([400, 'mms_not_supported']);
      expect(refused.body.error!.message).toContain(OTHER_NUMBER);
    }
    // Asked once, then remembered.
    expect(h.emulator.apiRequests.filter((r) => r.path.includes('/IncomingPhoneNumbers.json'))).toHaveLength(2);
    const textOnly = await reply(ticketId, { body: 'no picture', from: OTHER_NUMBER });
    expect(textOnly.status).toBe(202);
    await settled(textOnly.body.message.id);
    expect(atTwilio().map((m) => [m.body, m.from, m.mediaUrls.length])).toEqual([['Your label', NUMBER, 1], ['no picture', OTHER_NUMBER, 0]]);
  });

  it('asks the media servers for sizes: over 5 MB in all, or a missing or private file, is refused up front', async () => {
    h = await withMediaServer();
    const ticketId = await ticketFrom();
    const tooBig = await reply(ticketId, { body: 'two big', mediaUrls: [`${mediaBase}/${3 * MB}/a.jpg`, `${mediaBase}/${2 * MB + 1}/b.jpg`] });
    expect([tooBig.status, tooBig.body.error?.code]).toEqual([400, 'media_too_large']);
    expect(tooBig.body.error!.message).toMatch(/total 5\.1 MB; Twilio accepts at most 5 MB/);
    // Where HEAD is refused, a one-byte ranged GET tells the size.
    const ranged = await reply(ticketId, { body: 'gifs', mediaUrls: [`${mediaBase}/nohead/${3 * MB}/a.gif`, `${mediaBase}/nohead/${3 * MB}/b.gif`] });
    expect([ranged.status, ranged.body.error?.code]).toEqual([400, 'media_too_large']);
    const missing = await reply(ticketId, { body: 'gone', mediaUrls: [`${mediaBase}/missing/x.png`] });
    expect([missing.status, missing.body.error?.code]).toEqual([400, 'media_unreachable']);
    expect(missing.body.error!.message).toContain('answered 404 Not Found');
    const privateFile = await reply(ticketId, { body: 'secret', mediaUrls: [`${mediaBase}/private/x.png`] });
    expect([privateFile.status, privateFile.body.error?.code]).toEqual([400, 'media_unreachable']);
    const justUnder = await reply(ticketId, { body: 'fits', mediaUrls: [`${mediaBase}/${3 * MB}/a.jpg`, `${mediaBase}/${2 * MB}/b.jpg`] });
    expect(justUnder.status).toBe(202);
    await settled(justUnder.body.message.id);
    expect(atTwilio().map((m) => m.body)).toEqual(['fits']);
  });

  it('marks the customer opted out when Twilio answers 21610, and refuses the next reply saying so', async () => {
    h = await startHarness(pgliteBackend);
    const unsubscribed = '+15005550004';
    const ticketId = await ticketFrom(unsubscribed);
    const first = await reply(ticketId, { body: 'Hello?' });
    expect(first.status).toBe(202);
    expect(await settled(first.body.message.id)).toMatchObject({ status: 'failed', errorCode: 21610 });
    const second = await reply(ticketId, { body: 'Still there?' });
    expect(second.status).toBe(409);
    expect(second.body.error).toMatchObject({ code: 'opted_out' });
    expect(second.body.error!.message).toContain('Twilio reported the number unsubscribed (21610)');
    expect(atTwilio()).toHaveLength(0);
  });

  it('replies with a template filled in for the ticket, the agent\'s values on top', async () => {
    h = await startHarness(pgliteBackend);
    const ticketId = await ticketFrom();
    const created = await h.api<{ template: { id: number } }>('/api/v1/templates', {
      method: 'POST', body: { name: 'greeting', body: 'Hi {{contact.name}}, about #{{ticket.id}} ({{ticket.status}}): {{agent.name}} here, on {{twilio.number}}.' },
    });
    const templateId = created.body.template.id;
    const expected = `Hi +1 415 555 0100, about #${ticketId} (open): Ana here, on ${NUMBER}.`;
    const preview = await h.api<{ body: string }>(`/api/v1/templates/${templateId}/render`, { method: 'POST', body: { ticketId, values: { 'agent.name': 'Ana' } } });
    expect(preview.body.body).toBe(expected);
    const res = await reply(ticketId, { templateId, values: { 'agent.name': 'Ana' } });
    expect(res.status).toBe(202);
    expect(res.body.message.body).toBe(expected);
    await settled(res.body.message.id);
    expect(atTwilio().map((m) => m.body)).toEqual([expected]);

    const both = await reply(ticketId, { templateId, body: 'text too' });
    const html = await reply(ticketId, { bodyHtml: '<p>Hello &amp; welcome,</p><p>Ana<br>Support</p>' });
    expect(html.status).toBe(202);
    expect(html.body.message.body).toBe('Hello & welcome,\n\nAna\nSupport');
    expect([both.status, both.body.error?.code]).toEqual([400, 'body_and_template']);
    const typo = await reply(ticketId, { templateId, values: { 'agent.nmae': 'Ana' } });
    expect([typo.status, typo.body.error?.code]).toEqual([400, 'unknown_placeholder']);
    expect(typo.body.error!.message).toContain('"agent.nmae"');
    const none = await reply(ticketId, { templateId: 999 });
    expect([none.status, none.body.error?.code]).toEqual([404, 'template_not_found']);
    await settled(html.body.message.id);
    expect(atTwilio().map((m) => m.body)).toEqual([expected, 'Hello & welcome,\n\nAna\nSupport']);
  });
});
