import { createHash } from 'node:crypto';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { backends } from '../helpers/databases.ts';
import { ACCOUNT, CUSTOMER, NUMBER, startHarness, type Harness } from '../helpers/harness.ts';
import { startAzurite } from '../helpers/azurite.ts';
import { pgliteBackend } from '../helpers/databases.ts';

interface Attachment { id: number; filename: string; contentType: string; size: number; sha256: string; url: string }
interface Ticket { id: number; subject: string; descriptionHtml: string; attachments: Attachment[]; notes: { bodyHtml: string; attachments: Attachment[] }[] }
interface Message { sid: string; ticketId: number; media: { id: number | null; state: string; url: string | null; sha256: string | null }[] }

const png = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(3000, 7)]);
const jpeg = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff]), Buffer.alloc(50_000, 3)]);
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe.each(backends)('MMS media on $name', (backend) => {
  let h: Harness;
  afterEach(async () => h?.close());

  const onlyTicket = async () => {
    const { body } = await h.api<{ tickets: Ticket[] }>(`/api/v1/tickets?phone=${encodeURIComponent(CUSTOMER)}`);
    expect(body.tickets).toHaveLength(1);
    return body.tickets[0]!;
  };
  const download = async (url: string) => {
    const res = await fetch(url, { headers: { authorization: 'Bearer test-api-token' } });
    return { status: res.status, type: res.headers.get('content-type'), disposition: res.headers.get('content-disposition'), bytes: Buffer.from(await res.arrayBuffer()) };
  };

  it('keeps every file of an MMS in the blob store, fetched through the cross-origin redirect without leaking credentials', async () => {
    h = await startHarness(backend);
    const res = await h.text(CUSTOMER, NUMBER, 'photos of the damage', {
      media: [{ contentType: 'image/png', bytes: png }, { contentType: 'image/jpeg', bytes: jpeg }],
    });
    expect(res.status).toBe(200);
    await h.idle();
    const t = await onlyTicket();
    expect(t.attachments.map((a) => [a.contentType, a.size, a.sha256])).toEqual([
      ['image/png', png.length, sha(png)],
      ['image/jpeg', jpeg.length, sha(jpeg)],
    ]);
    for (const [i, a] of t.attachments.entries()) {
      expect(a.url).toBe(`${h.smsdesk.publicUrl}/api/v1/attachments/${a.id}`);
      const got = await download(a.url);
      expect(got.status).toBe(200);
      expect(got.type).toBe(a.contentType);
      expect(got.bytes.equals(i === 0 ? png : jpeg)).toBe(true);
    }
    // The ticket never points at Twilio.
    expect(JSON.stringify(t)).not.toContain(h.emulator.apiBaseUrl);
    expect(JSON.stringify(t)).not.toContain(h.emulator.cdnBaseUrl);
    // Credentials went to the API origin only; the CDN saw none.
    const mediaCalls = h.emulator.apiRequests.filter((r) => r.path.includes('/Media/'));
    expect(mediaCalls).toHaveLength(2);
    const basic = 'Basic ' + Buffer.from(`${ACCOUNT.sid}:${ACCOUNT.authToken}`).toString('base64');
    expect(mediaCalls.every((r) => r.authorization === basic)).toBe(true);
    expect(h.emulator.cdnRequests).toHaveLength(2);
    expect(h.emulator.cdnRequests.every((r) => r.authorization === undefined)).toBe(true);
  });

  it('accepts a media-only MMS (empty Body) and attaches the file to a note on follow-ups', async () => {
    h = await startHarness(backend);
    await h.text(CUSTOMER, NUMBER, '', { media: [{ contentType: 'image/png', bytes: png }] });
    await h.idle();
    await h.text(CUSTOMER, NUMBER, '', { media: [{ contentType: 'image/jpeg', bytes: jpeg }] });
    await h.idle();
    const t = await onlyTicket();
    expect(t.subject).toBe('MMS from +1 415 555 0100');
    expect(t.descriptionHtml).toContain('(no text)');
    expect(t.attachments).toHaveLength(1);
    expect(t.notes[0]!.attachments.map((a) => a.sha256)).toEqual([sha(jpeg)]);
    const msgs = (await h.api<{ messages: Message[] }>(`/api/v1/messages?ticketId=${t.id}`)).body.messages;
    expect(msgs.map((m) => m.media.map((x) => x.state))).toEqual([['stored'], ['stored']]);
  });

  it('retries media that is not there yet, and lands the text with a note when a file is gone for good', async () => {
    h = await startHarness(backend);
    await h.text(CUSTOMER, NUMBER, 'two files', {
      media: [
        { contentType: 'image/png', bytes: png, faults: { failFirst: 2, status: 404 } },
        { contentType: 'image/jpeg', bytes: jpeg, faults: { permanent: true, status: 404 } },
      ],
    });
    await h.idle();
    const t = await onlyTicket();
    expect(t.attachments.map((a) => a.sha256)).toEqual([sha(png)]);
    expect(t.descriptionHtml).toMatch(/Attachment 2 \(image\/jpeg\) could not be fetched from Twilio: HTTP 404/);
    const [msg] = (await h.api<{ messages: Message[] }>(`/api/v1/messages?ticketId=${t.id}`)).body.messages;
    expect(msg!.media.map((m) => m.state)).toEqual(['stored', 'missing']);
  });

  it('keeps a file through an outage longer than one attempt: the job retries instead of giving up', async () => {
    h = await startHarness(backend);
    // Five failures outlast one job attempt (three downloads); the second attempt gets the file.
    await h.text(CUSTOMER, NUMBER, 'slow to propagate', { media: [{ contentType: 'image/png', bytes: png, faults: { failFirst: 5, status: 503 } }] });
    await h.idle();
    const t = await onlyTicket();
    expect(t.attachments.map((a) => a.sha256)).toEqual([sha(png)]);
    expect(t.descriptionHtml).not.toContain('Missing attachment');
    const attempts = await h.sql.query<{ n: number }>('SELECT count(*)::int AS n FROM jobs');
    expect(attempts[0]!.n).toBe(0);
  });

  it('never sends credentials to a MediaUrl on another origin', async () => {
    const seen: IncomingHttpHeaders[] = [];
    const foreign = createServer((req, res) => {
      seen.push(req.headers);
      res.writeHead(200, { 'content-type': 'image/png' }).end(png);
    });
    await new Promise<void>((r) => foreign.listen(0, '127.0.0.1', r));
    try {
      h = await startHarness(backend);
      const url = `http://127.0.0.1:${(foreign.address() as AddressInfo).port}/steal`;
      await h.text(CUSTOMER, NUMBER, 'look', { extraParams: { NumMedia: '1', MediaUrl0: url, MediaContentType0: 'image/png' } });
      await h.idle();
      expect(seen).toHaveLength(1);
      expect(seen[0]!.authorization).toBeUndefined();
      expect((await onlyTicket()).attachments).toHaveLength(1);
    } finally {
      foreign.close();
    }
  });

  it('serves attachments safely: non-image types download instead of rendering', async () => {
    h = await startHarness(backend);
    await h.text(CUSTOMER, NUMBER, 'a page', { media: [{ contentType: 'text/html', bytes: Buffer.from('<script>alert(1)</script>') }] });
    await h.idle();
    const [a] = (await onlyTicket()).attachments;
    const got = await download(a!.url);
    expect(got.disposition).toMatch(/^attachment;/);
    const res = await fetch(a!.url, { headers: { authorization: 'Bearer test-api-token' } });
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('content-security-policy')).toContain('sandbox');
    expect((await fetch(a!.url)).status).toBe(401);
    expect((await h.api('/api/v1/attachments/99999')).status).toBe(404);
  });
});

describe('MMS media in Azure Blob Storage (Azurite)', () => {
  it('keeps the bytes in the configured container and serves them back', async () => {
    const azurite = await startAzurite();
    const h = await startHarness(pgliteBackend, {
      env: { AZURE_STORAGE_CONNECTION_STRING: azurite.connectionString, AZURE_STORAGE_CONTAINER: 'smsdesk-test' },
    });
    try {
      await h.text(CUSTOMER, NUMBER, 'in the cloud', { media: [{ contentType: 'image/jpeg', bytes: jpeg }] });
      await h.idle();
      const { body } = await h.api<{ tickets: Ticket[] }>('/api/v1/tickets');
      const [a] = body.tickets[0]!.attachments;
      expect(a!.sha256).toBe(sha(jpeg));
      const res = await fetch(a!.url, { headers: { authorization: 'Bearer test-api-token' } });
      expect(Buffer.from(await res.arrayBuffer()).equals(jpeg)).toBe(true);
      // The bytes are in Azure, not on the local disk.
      const { BlobServiceClient } = await import('@azure/storage-blob');
      const container = BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient('smsdesk-test');
      const names: string[] = [];
      for await (const b of container.listBlobsFlat()) names.push(b.name);
      expect(names).toHaveLength(1);
      expect(names[0]).toMatch(/^media\/SM[0-9a-f]{32}\/0$/);
    } finally {
      await h.close();
      await azurite.stop();
    }
  });
});
