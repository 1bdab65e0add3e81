import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTwilioEmulator, type TwilioEmulator } from '../../src/adapters/twilio/emulator/index.ts';
import { createTwilioClient } from '../../src/adapters/twilio/client.ts';
import { ACCOUNT } from '../helpers/harness.ts';

describe('the official twilio SDK against the emulator', () => {
  let emulator: TwilioEmulator;
  const sink = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/xml' }).end('<Response/>'));

  beforeAll(async () => {
    await new Promise<void>((r) => sink.listen(0, '127.0.0.1', r));
    emulator = await startTwilioEmulator({ accounts: [ACCOUNT], webhookUrl: `http://127.0.0.1:${(sink.address() as AddressInfo).port}/` });
  });
  afterAll(async () => {
    await emulator.close();
    sink.close();
  });

  it('lists a message\'s media through TWILIO_API_BASE_URL, with basic auth', async () => {
    const sent = await emulator.sendInbound({ from: '+14155550100', to: '+14155550199', body: 'x', media: [{ contentType: 'image/png', bytes: Buffer.from('png') }] });
    const media = await createTwilioClient(ACCOUNT, emulator.apiBaseUrl).messages(sent.messageSid).media.list();
    expect(media.map((m) => m.contentType)).toEqual(['image/png']);
    expect(media[0]!.uri).toContain(`/Messages/${sent.messageSid}/Media/`);
    const call = emulator.apiRequests.find((r) => r.path.endsWith('/Media.json'));
    expect(call?.authorization).toBe('Basic ' + Buffer.from(`${ACCOUNT.sid}:${ACCOUNT.authToken}`).toString('base64'));
  });

  it('fetches one media resource and deletes it, as the SDK does', async () => {
    const sent = await emulator.sendInbound({ from: '+14155550100', to: '+14155550199', body: 'x', media: [{ contentType: 'image/jpeg', bytes: Buffer.from('jpg') }] });
    const client = createTwilioClient(ACCOUNT, emulator.apiBaseUrl);
    const [listed] = await client.messages(sent.messageSid).media.list();
    const fetched = await client.messages(sent.messageSid).media(listed!.sid).fetch();
    expect(fetched).toMatchObject({ sid: listed!.sid, contentType: 'image/jpeg', parentSid: sent.messageSid });
    expect(await client.messages(sent.messageSid).media(listed!.sid).remove()).toBe(true);
    expect(await client.messages(sent.messageSid).media.list()).toEqual([]);
    await expect(client.messages(sent.messageSid).media(listed!.sid).fetch()).rejects.toMatchObject({ status: 404, code: 20404 });
    // The file is gone too, not only its description.
    expect((await fetch(sent.mediaUrls[0]!, { headers: { authorization: 'Basic ' + Buffer.from(`${ACCOUNT.sid}:${ACCOUNT.authToken}`).toString('base64') } })).status).toBe(404);
  });

  it('reads a number\'s capabilities from IncomingPhoneNumbers', async () => {
    emulator.setSender('+14155550142', { mms: false });
    const client = createTwilioClient(ACCOUNT, emulator.apiBaseUrl);
    const [number] = await client.incomingPhoneNumbers.list({ phoneNumber: '+14155550142' });
    expect(number).toMatchObject({ phoneNumber: '+14155550142', capabilities: { sms: true, mms: false, voice: true, fax: false } });
    expect(number!.sid).toMatch(/^PN[0-9a-f]{32}$/);
    expect((await client.incomingPhoneNumbers.list({ phoneNumber: '+14155550143' }))[0]!.capabilities.mms).toBe(true);
    // Short codes are not IncomingPhoneNumbers.
    expect(await client.incomingPhoneNumbers.list({ phoneNumber: '12345' })).toEqual([]);
  });

  it('surfaces Twilio\'s 20003 error for wrong credentials', async () => {
    const sent = await emulator.sendInbound({ from: '+14155550100', to: '+14155550199', body: 'x' });
    const wrong = createTwilioClient({ sid: ACCOUNT.sid, authToken: 'f'.repeat(32) }, emulator.apiBaseUrl);
    await expect(wrong.messages(sent.messageSid).media.list()).rejects.toMatchObject({ status: 401, code: 20003 });
  });
});
