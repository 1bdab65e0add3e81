import type { Clock } from '../ports/clock.ts';
import type { InboundFilter, InboundVerdict } from '../ports/inbound-filter.ts';
import type { InboundForRouting } from '../ports/message-store.ts';
import type { RecordedVerdict, SubscriptionWithSecret, WebhookPoster, WebhookStore } from '../ports/webhooks.ts';
import { DECIDE_TIMEOUT_MS, envelopeBody, isSuccess, parseFilterAnswer, type FilterVerdict } from '../domain/webhooks.ts';
import { filterQuestionId } from '../domain/webhook-signature.ts';
import { signedHeaders } from './deliver-webhook.ts';

const ACCEPT: InboundVerdict = { action: 'accept' };

/**
 * The inbound filter of outgoing webhooks with `"decide": true` on message.received: before a text is
 * routed, each is POSTed a signed message.received envelope (`data.decide: true`) and has `timeoutMs` (5 s)
 * to answer `{"action": "reject", "reason"}`; every filter is asked at once and any rejection rejects (the
 * lowest subscription id's reason is kept). No answer, an error, a non-2xx or a body that is not a verdict
 * counts as accept: the filter fails open. Each question is logged as a delivery of kind `decide` with its
 * one attempt (they are not retried: the text does not wait).
 *
 * The verdict is recorded before it is returned; a replayed routing job gets the recorded one and asks
 * nobody. The question's envelope `id` is derived from the text's SID (filterQuestionId), so the rare
 * question asked twice (a crash before the verdict was recorded) carries the same id.
 */
export class AskInboundFilter implements InboundFilter {
  constructor(
    private readonly store: WebhookStore,
    private readonly poster: WebhookPoster,
    private readonly clock: Clock,
    private readonly opts: { timeoutMs: number } = { timeoutMs: DECIDE_TIMEOUT_MS },
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

  /** One filter's verdict, or null when it gave none (the text is then routed as usual). */
  private async ask(f: SubscriptionWithSecret, body: string, question: { id: string; type: string }): Promise<FilterVerdict | null> {
    const at = this.clock.now();
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
