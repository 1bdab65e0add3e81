import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { pgliteBackend } from '../helpers/databases.ts';
import { CUSTOMER, NUMBER, OTHER_CUSTOMER, OTHER_NUMBER, startHarness, type Harness } from '../helpers/harness.ts';
import type { HelpdeskTarget, SeenTicket } from './targets.ts';

/**
 * The contract every helpdesk meets, run against the built-in helpdesk and the fakes of Freshdesk,
 * Freshservice and Zendesk: the same texts in, the same tickets out, the same agent replies back by SMS.
 */
const NEW_CUSTOMER = '+14155550122';
const MB = 1024 * 1024;

/** The suite for one helpdesk; each has its own test file, so they run in parallel. */
export function helpdeskContract(target: HelpdeskTarget): void {
  describe(`helpdesk contract: ${target.name}`, () => {
    let h: Harness;

    beforeEach(async () => {
      await target.start();
      h = await startHarness(pgliteBackend, { env: target.env(), smsdesk: { helpdesk: { maxWaitMs: 2_000 } } });
      target.connect(h);
    });

    afterEach(async () => {
      await h?.close();
      await target.close();
    });

    /** Everything settled: texts routed, events answered and handled, messages handed to Twilio. */
    const settle = async () => {
      for (let i = 0; i < 3; i++) {
        await h.idle();
        await target.settled();
      }
      await h.idle();
    };
    const ticketsOf = async (phone: string): Promise<SeenTicket[]> => (await target.tickets(h)).filter((t) => t.requesterPhone === phone).sort((a, b) => a.id - b.id);
    const textsTo = (phone: string) => h.emulator.messages().filter((m) => m.direction === 'outbound-api' && m.to === phone);
    const image = (size: number, fill: number) => ({ contentType: 'image/jpeg', bytes: Buffer.concat([Buffer.from([0xff, 0xd8, 0xff]), Buffer.alloc(size - 3, fill)]) });

    it("opens one ticket for a new customer's first text and adds each later text as the requester's note", async () => {
      await h.text(CUSTOMER, NUMBER, 'My <order> is late & I am "upset"');
      await settle();
      await h.text(CUSTOMER, NUMBER, 'Order 1234, please');
      await settle();
      const [ticket, ...more] = await ticketsOf(CUSTOMER);
      expect(more).toHaveLength(0);
      expect(ticket!.status).toBe('open');
      expect(ticket!.descriptionHtml).toContain('My &lt;order&gt; is late &amp; I am &quot;upset&quot;');
      const customerNotes = ticket!.notes.filter((n) => n.bodyHtml.includes('Order 1234'));
      expect(customerNotes).toHaveLength(1);
      expect(customerNotes[0]).toMatchObject({ byRequester: true, private: false });
      expect(await target.contactsWith(h, CUSTOMER)).toHaveLength(1);
    });

    it('matches the contact an agent made and makes one contact when a text and an agent start the same customer at once', async () => {
      const agentMade = await target.precreateContact(h, CUSTOMER, 'Known Customer');
      await h.text(CUSTOMER, NUMBER, 'Hi, it is me');
      const [texted, started] = await Promise.all([
        h.text(NEW_CUSTOMER, NUMBER, 'Hello from a new number'),
        h.api('/api/v1/messages', { method: 'POST', body: { to: NEW_CUSTOMER, from: OTHER_NUMBER, body: 'We are reaching out about your order' } }),
      ]);
      expect(texted.status).toBe(200);
      expect(started.status).toBe(202);
      await settle();
      expect((await ticketsOf(CUSTOMER)).map((t) => t.requesterId)).toEqual([agentMade]);
      expect(await target.contactsWith(h, CUSTOMER)).toEqual([agentMade]);
      const contacts = await target.contactsWith(h, NEW_CUSTOMER);
      expect(contacts).toHaveLength(1);
      const newTickets = await ticketsOf(NEW_CUSTOMER);
      expect(newTickets).toHaveLength(2); // one per Twilio number: the text's and the agent's
      expect(new Set(newTickets.map((t) => t.requesterId))).toEqual(new Set(contacts));
    });

    it("puts an MMS's files on the ticket and a follow-up's files on its note", async () => {
      await h.text(CUSTOMER, NUMBER, 'photos', { media: [image(40_000, 1), image(70_000, 2)] });
      await settle();
      await h.text(CUSTOMER, NUMBER, 'one more', { media: [image(55_000, 3)] });
      await settle();
      const [ticket] = await ticketsOf(CUSTOMER);
      expect(ticket!.attachments.map((a) => a.size)).toEqual([40_000, 70_000]);
      expect(ticket!.attachments.every((a) => a.filename.endsWith('.jpg'))).toBe(true);
      const note = ticket!.notes.find((n) => n.bodyHtml.includes('one more'))!;
      expect(note.attachments.map((a) => a.size)).toEqual([55_000]);
    });

    it('never writes to a closed ticket: a later text opens a new ticket, and one naming it opens its follow-up', async () => {
      await h.text(CUSTOMER, NUMBER, 'first problem');
      await settle();
      const [first] = await ticketsOf(CUSTOMER);
      await target.agentClose(h, first!.id);
      await settle();
      await h.text(CUSTOMER, NUMBER, 'a new problem');
      await settle();
      await h.text(CUSTOMER, NUMBER, `still about #${first!.id}`);
      await settle();
      const all = await ticketsOf(CUSTOMER);
      expect(all).toHaveLength(3);
      expect(all[0]!.notes.filter((n) => n.byRequester)).toHaveLength(0);
      expect(all[0]!.status).toBe('closed');
      expect(all[1]!.descriptionHtml).toContain('a new problem');
      expect(all[2]!.descriptionHtml).toContain(`still about #${first!.id}`);
      expect(all[2]!.followUpOf).toBe(first!.id);
    });

    it('handles a ticket closed in the helpdesk without telling smsdesk: the text is kept, as a follow-up where the helpdesk refuses it', async () => {
      await h.text(CUSTOMER, NUMBER, 'first');
      await settle();
      const [first] = await ticketsOf(CUSTOMER);
      target.disconnect();
      await target.agentClose(h, first!.id);
      await h.text(CUSTOMER, NUMBER, 'second');
      await settle();
      const all = await ticketsOf(CUSTOMER);
      const everything = all.flatMap((t) => [t.descriptionHtml, ...t.notes.map((n) => n.bodyHtml)]).join('\n');
      expect(everything).toContain('second');
      if (target.refusesClosedWrites) {
        expect(all).toHaveLength(2);
        expect(all[1]!.followUpOf).toBe(first!.id);
        expect(all[1]!.descriptionHtml).toContain('second');
        const { body } = await h.api<{ messages: { body: string; routing: { rule: string; reason: string } }[] }>(`/api/v1/messages?phone=${encodeURIComponent(CUSTOMER)}`);
        expect(body.messages.find((m) => m.body === 'second')!.routing).toMatchObject({ rule: 'closed-meanwhile' });
      }
    });

    it('texts nothing for a ticket without the SMS tag', async () => {
      await h.text(CUSTOMER, NUMBER, 'hello');
      await settle();
      const [ticket] = await ticketsOf(CUSTOMER);
      if (!target.remote) return; // the built-in helpdesk texts only what is sent through the API
      target.untag(ticket!.id);
      await target.agentReply(h, ticket!.id, '<p>Internal-looking answer</p>');
      await settle();
      expect(textsTo(CUSTOMER)).toHaveLength(0);
      expect(target.deliveries().length).toBeGreaterThan(0);
    });

    it('loses nothing and keeps each conversation in order through a storm of 429s', async () => {
      // Short pauses are waited out in place; one longer than a call may wait sends the job back to the queue.
      target.storm(1, 3);
      const sent = [CUSTOMER, OTHER_CUSTOMER].map((c) => h.text(c, NUMBER, `${c} text 1`));
      await Promise.all(sent);
      await settle();
      target.storm(8, 1);
      for (let i = 2; i <= 4; i++) await Promise.all([CUSTOMER, OTHER_CUSTOMER].map((c) => h.text(c, NUMBER, `${c} text ${i}`)));
      await settle();
      for (const c of [CUSTOMER, OTHER_CUSTOMER]) {
        const [ticket, ...more] = await ticketsOf(c);
        expect(more).toHaveLength(0);
        expect(ticket!.descriptionHtml).toContain(`${c} text 1`);
        const order = ticket!.notes.filter((n) => n.byRequester).map((n) => n.bodyHtml.match(/text (\d)/)![1]);
        expect(order).toEqual(['2', '3', '4']);
      }
      if (target.remote) expect(target.throttled()).toBe(9);
      const [{ failed }] = (await h.sql.query<{ failed: number }>(`SELECT count(*)::int AS failed FROM jobs WHERE state = 'failed'`)) as [{ failed: number }];
      expect(failed).toBe(0);
    });

    it("keeps files past the helpdesk's per-ticket cap in smsdesk and links them from the ticket", async () => {
      const size = Math.floor(4.5 * MB);
      const big = (fill: number) => image(size, fill);
      // One file more than the cap holds (5 where there is no cap), two to a text (an MMS carries 5 MB or so each).
      const files = target.cap === null ? 5 : Math.floor(target.cap / size) + 1;
      for (let i = 0; i < files; i += 2) {
        await h.text(CUSTOMER, NUMBER, `part ${i / 2 + 1}`, { media: [big(i + 1), ...(i + 1 < files ? [big(i + 2)] : [])] });
        await settle();
      }
      const [ticket] = await ticketsOf(CUSTOMER);
      const held = [...ticket!.attachments, ...ticket!.notes.flatMap((n) => n.attachments)];
      if (target.cap === null) {
        expect(held).toHaveLength(files);
        return;
      }
      expect(held).toHaveLength(files - 1);
      expect(held.reduce((n, a) => n + a.size, 0)).toBeLessThanOrEqual(target.cap);
      const last = ticket!.notes.find((n) => n.bodyHtml.includes(`part ${Math.ceil(files / 2)}`))!;
      const link = last.bodyHtml.match(/href="([^"]*\/attachments\/\d+\/[^"]+)"/)?.[1];
      expect(link, last.bodyHtml).toBeDefined();
      expect(last.bodyHtml).toMatch(/kept by smsdesk, not here/);
      const res = await fetch(link!.replace(/&amp;/g, '&'));
      expect(res.status).toBe(200);
      const bytes = Buffer.from(await res.arrayBuffer());
      expect(bytes.equals(big(files).bytes)).toBe(true);
      const forged = await fetch(link!.replace(/\/([^/]+)$/, '/AAAA$1').slice(0, link!.length));
      expect(forged.status).toBe(404);
    });

    it("texts an agent's reply to the customer from the ticket's number, records the SID in a note, and never echoes", async () => {
      await h.text(CUSTOMER, NUMBER, 'When does it ship?');
      await settle();
      const [ticket] = await ticketsOf(CUSTOMER);
      await target.agentReply(h, ticket!.id, '<div>Your order <b>ships</b> today&nbsp;&amp; arrives <i>Friday</i>.</div>');
      const sent = await h.emulator.waitForMessage((m) => m.to === CUSTOMER && m.status === 'delivered', { what: "the agent's reply delivered" });
      expect(sent).toMatchObject({ from: NUMBER, body: 'Your order ships today & arrives Friday.' });
      // The note with the SID is itself an event (the automation fires on every note): once that event is
      // handled, it must not have been texted.
      await target.wrote(sent.sid);
      await settle();
      expect(textsTo(CUSTOMER)).toHaveLength(1);
      const [after] = await ticketsOf(CUSTOMER);
      const record = after!.notes.filter((n) => n.bodyHtml.includes(sent.sid));
      expect(record).toHaveLength(1);
      // In a remote helpdesk the agent's reply is on the ticket already: the record is private.
      expect(record[0]!.private).toBe(target.remote);
      // A reply sent through smsdesk's API leaves a public note in the helpdesk: an event too, never texted again.
      const viaApi = await h.api(`/api/v1/tickets/${ticket!.id}/replies`, { method: 'POST', body: { body: 'Also: thank you!' } });
      expect(viaApi.status).toBe(202);
      await h.emulator.waitForMessage((m) => m.to === CUSTOMER && m.body === 'Also: thank you!' && m.status === 'delivered');
      await target.wrote('Also: thank you!');
      await settle();
      expect(textsTo(CUSTOMER).map((m) => m.body)).toEqual(['Your order ships today & arrives Friday.', 'Also: thank you!']);
      const [last] = await ticketsOf(CUSTOMER);
      expect(last!.notes.filter((n) => n.bodyHtml.includes('Also: thank you!') && !n.private)).toHaveLength(1);
      expect(target.deliveries().every((d) => d.status === 200)).toBe(true);
    });

    it('sends nothing to a customer who opted out, and says why on the ticket', async () => {
      await h.text(CUSTOMER, NUMBER, 'help');
      await settle();
      await h.text(CUSTOMER, NUMBER, 'STOP');
      await settle();
      const [ticket] = await ticketsOf(CUSTOMER);
      if (!target.remote) {
        const res = await h.api<{ error: { code: string } }>(`/api/v1/tickets/${ticket!.id}/replies`, { method: 'POST', body: { body: 'hello?' } });
        expect(res.status).toBe(409);
        expect(res.body.error.code).toBe('opted_out');
        return;
      }
      await target.agentReply(h, ticket!.id, '<p>Are you still there?</p>');
      // The note saying why is written once the reply was refused: by then nothing may have been texted.
      await target.wrote('not sent by SMS');
      await settle();
      expect(textsTo(CUSTOMER)).toHaveLength(0);
      const [after] = await ticketsOf(CUSTOMER);
      const why = after!.notes.filter((n) => n.bodyHtml.includes('not sent by SMS'));
      expect(why).toHaveLength(1);
      expect(why[0]!.private).toBe(true);
      expect(why[0]!.bodyHtml).toMatch(/opted out/);
    });

    it("runs automations on the helpdesk's own changes: a resolve and an escalation each text once, however often the event comes", async () => {
      const create = async (automation: Record<string, unknown>) => {
        const res = await h.api('/api/v1/automations', { method: 'POST', body: automation });
        expect(res.status).toBe(201);
      };
      await create({ name: 'Resolved', when: 'ticket.status_changed', if: { status: 'resolved', previousStatus: 'open' }, then: [{ sendSms: { body: 'Resolved: ticket #{{ticket.id}}' } }] });
      await create({ name: 'Escalated', when: 'ticket.priority_changed', then: [{ sendSms: { body: 'We escalated ticket #{{ticket.id}}.' } }] });
      await create({ name: 'Replied', when: 'ticket.agent_replied', then: [{ note: { bodyHtml: '<p>An agent replied.</p>' } }] });
      await h.text(CUSTOMER, NUMBER, 'Please resolve me');
      await settle();
      const [ticket] = await ticketsOf(CUSTOMER);
      const escalated = await target.agentEscalate(h, ticket!.id);
      await settle();
      await target.agentReply(h, ticket!.id, '<p>We are on it.</p>');
      await settle();
      await target.agentResolve(h, ticket!.id);
      await settle();
      target.refire(ticket!.id);
      target.refire(ticket!.id);
      await settle();
      expect(textsTo(CUSTOMER).filter((m) => m.body === `Resolved: ticket #${ticket!.id}`)).toHaveLength(1);
      expect(textsTo(CUSTOMER).filter((m) => m.body === `We escalated ticket #${ticket!.id}.`)).toHaveLength(escalated ? 1 : 0);
      // The agent's reply was an event too (its note once), and the automation's own note is no agent reply.
      const [after] = await ticketsOf(CUSTOMER);
      expect(after!.notes.filter((n) => n.bodyHtml.includes('An agent replied.'))).toHaveLength(1);
    });

    it('refuses helpdesk events without the secret or signature, and events for another helpdesk', async () => {
      const post = (kind: string, headers: Record<string, string> = {}) =>
        fetch(`${h.smsdesk.url}/webhooks/helpdesk/${kind}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: '{"ticket_id": 1}' });
      const others = ['freshdesk', 'freshservice', 'zendesk'].filter((k) => k !== target.name);
      for (const kind of others) expect((await post(kind)).status).toBe(404);
      if (!target.remote) return;
      const bare = await post(target.name);
      expect(bare.status).toBe(403);
      const forged = await post(target.name, {
        'x-smsdesk-secret': 'not-the-secret-at-all', 'x-zendesk-webhook-signature': 'AAAA', 'x-zendesk-webhook-signature-timestamp': new Date().toISOString(),
      });
      expect(forged.status).toBe(403);
      expect(((await forged.json()) as { error: { code: string } }).error.code).toBe('invalid_signature');
    });
  });
}
