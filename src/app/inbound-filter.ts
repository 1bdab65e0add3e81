import type { Clock } from '../ports/clock.ts';
import type { InboundFilter, InboundVerdict } from '../ports/inbound-filter.ts';
import type { InboundForRouting } from '../ports/message-store.ts';
import type { RecordedVerdict, SubscriptionWithSecret, WebhookPoster, WebhookStore } from '../ports/webhooks.ts';
import { DECIDE_TIMEOUT_MS, envelopeBody, isSuccess, parseFilterAnswer, type FilterVerdict } from '../domain/webhooks.ts';
import { filterQuestionId } from '../domain/webhook-signature.ts';
import { signedHeaders } from './deliver-webhook.ts';

const ACCEPT: InboundVerdict = { action: 'accept' };

/** Three questions in a row without an answer: the filter rests for 30 s. */
export const DEFAULT_BREAKER = { failures: 3, restMs: 30_000 };

/**
 * The inbound filter of outgoing webhooks with `"decide": true` on message.received: before a text is
 * routed, each is POSTed a signed message.received envelope (`data.decide: true`) and has `timeoutMs` (5 s)
 * to answer `{"action": "reject", "reason"}`; every filter is asked at once and any rejection rejects (the
 * lowest subscription id's reason is kept). No answer, an error, a non-2xx or a body that is not a verdict
 * counts as accept: the filter fails open. Each question is logged as a delivery of kind `decide` with its
 * one attempt (they are not retried: the text does not wait).
 *
 * A filter that keeps giving no verdict rests a while (see ask): in-process, per subscription.
 *
 * The verdict is recorded before it is returned; a replayed routing job gets the recorded one and asks
 * nobody. The question's envelope `id` is derived from the text's SID (filterQuestionId), so the rare
 * question asked twice (a crash before the verdict was recorded) carries the same id.
 */
export class AskInboundFilter implements InboundFilter {
  /** Per subscription: questions in a row that got no answer, and until when it is not asked. */
  private readonly health = new Map<number, { failures: number; restUntil: number }>();

  constructor(
    private readonly store: WebhookStore,
    private readonly poster: WebhookPoster,
    private readonly clock: Clock,
    private readonly opts: { timeoutMs: number; breaker?: { failures: number; restMs: number } } = { timeoutMs: DECIDE_TIMEOUT_MS },
  ) {}

  async decide(msg: InboundForRouting): Promise<InboundVerdict> {
    const filters = await this.store.filters();
    if (!filters.length) return ACCEPT;
    const recorded = await this.store.verdictFor(msg.id);
    if (recorded) return verdictOf(recorded);
    const question = {
      id: filterQuestionId(msg.sid),
      type: 'message.received',
      createdAt: msg.createdAt,
      data: {
        message: { id: msg.id, sid: msg.sid, direction: 'inbound', from: msg.from, to: msg.to, body: msg.body, status: 'received' },
        numMedia: msg.media.length,
        decide: true,
      },
    };
    const body = envelopeBody(question);
    const answers = await Promise.all(filters.map(async (f) => ({ id: f.id, verdict: await this.ask(f, body, question) })));
    const rejection = answers.find((a) => a.verdict?.action === 'reject');
    const verdict: RecordedVerdict = rejection?.verdict ? { ...rejection.verdict, webhookId: rejection.id } : { action: 'accept', webhookId: null };
    return verdictOf(await this.store.recordVerdict(msg.id, verdict));
  }

  /**
   * One filter's verdict, or null when it gave none (the text is then routed as usual). A filter that did
   * not answer `breaker.failures` times in a row is not asked for `breaker.restMs` (each text then says so
   * in its log), then asked again: one that hangs would otherwise hold every text for its whole budget, and
   * the routing workers with them.
   */
  private async ask(f: SubscriptionWithSecret, body: string, question: { id: string; type: string }): Promise<FilterVerdict | null> {
    const at = this.clock.now();
    const breaker = this.opts.breaker ?? DEFAULT_BREAKER;
    const health = this.health.get(f.id) ?? { failures: 0, restUntil: 0 };
    if (health.restUntil > at.getTime()) {
      await this.store.recordQuestion({
        subscriptionId: f.id, eventId: question.id, delivered: false,
        attempt: {
          at, statusCode: null, durationMs: 0,
          error: `not asked: it did not answer ${breaker.failures} times in a row, so it rests until ${new Date(health.restUntil).toISOString()}; routed as usual`,
        },
      });
      return null;
    }
    const started = performance.now();
    const result = await this.poster.post(f.url, body, signedHeaders(f.secret, body, at, question), this.opts.timeoutMs);
    const durationMs = Math.round(performance.now() - started);
    let verdict: FilterVerdict | null = null;
    let error: string | null = null;
    if (!result.ok) error = `${result.error}; routed as usual`;
    else if (!isSuccess(result.status)) error = 'not a 2xx answer; routed as usual';
    else {
      const parsed = parseFilterAnswer(result.body);
      if ('verdict' in parsed) verdict = parsed.verdict;
      else error = `${parsed.problem}; routed as usual`;
    }
    // Only silence counts (no answer in time, no connection): a quick "no" costs the texts nothing.
    if (result.ok) this.health.delete(f.id);
    else {
      const failures = health.failures + 1;
      // Once rested, one more silence sends it back to rest.
      this.health.set(f.id, failures >= breaker.failures
        ? { failures: breaker.failures - 1, restUntil: this.clock.now().getTime() + breaker.restMs }
        : { failures, restUntil: 0 });
    }
    await this.store.recordQuestion({
      subscriptionId: f.id, eventId: question.id, delivered: verdict !== null,
      attempt: { at, statusCode: result.ok ? result.status : null, error, durationMs },
    });
    return verdict;
  }
}

function verdictOf(v: RecordedVerdict): InboundVerdict {
  return v.action === 'reject' ? { action: 'reject', reason: v.reason, webhookId: v.webhookId } : ACCEPT;
}
