/**
 * Twilio's standard messaging keywords (Advanced Opt-Out defaults). Twilio itself acts on them for long
 * codes and toll-free numbers (blocking further sends after STOP, answering HELP), so the bridge only needs to
 * recognise them: to mark the contact, and to avoid opening a ticket for a bare "STOP".
 */
export const OPT_OUT_KEYWORDS = ['STOP', 'STOPALL', 'UNSUBSCRIBE', 'CANCEL', 'END', 'QUIT', 'REVOKE', 'OPTOUT'] as const;
export const OPT_IN_KEYWORDS = ['START', 'YES', 'UNSTOP'] as const;
export const HELP_KEYWORDS = ['HELP', 'INFO'] as const;

export type KeywordClass = 'opt-out' | 'opt-in' | 'help';

const CLASS_BY_KEYWORD = new Map<string, KeywordClass>([
  ...OPT_OUT_KEYWORDS.map((k) => [k, 'opt-out'] as const),
  ...OPT_IN_KEYWORDS.map((k) => [k, 'opt-in'] as const),
  ...HELP_KEYWORDS.map((k) => [k, 'help'] as const),
]);

/**
 * What may surround the keyword: whitespace (\s covers Unicode spaces, NBSP and the BOM), punctuation in any
 * script (\p{P}: "¡", "¿", "。", "…") and invisible format characters (\p{Cf}: zero-width space, a stray
 * ZWJ) that phones sometimes append. Symbols (\p{S}) and emoji are NOT stripped: "STOP 🙏" or "STOP ❤️" carries
 * more than the keyword, and a message that says more than the bare word is conversation, not a command; it
 * must reach an agent rather than silently unsubscribe someone. "Single word" means exactly that.
 */
const EDGES = /^[\s\p{P}\p{Cf}]+|[\s\p{P}\p{Cf}]+$/gu;

/**
 * Classifies an inbound body that consists of a single Twilio keyword, in any case. Anything else, including
 * a keyword inside a sentence ("please stop"), a misspelling ("stopp") or a split word ("st op"), is null.
 */
export function classifyKeyword(body: string): KeywordClass | null {
  return keywordOf(body)?.kind ?? null;
}

/** The keyword itself (upper-case, as listed above) and its class, for a body that is a single keyword. */
export function keywordOf(body: string): { keyword: string; kind: KeywordClass } | null {
  const word = body.replace(EDGES, '');
  // ASCII letters only before upper-casing: toUpperCase() maps some non-ASCII letters to ASCII ones (the
  // ligature "ﬆ" becomes "ST"), which would let lookalikes match.
  if (!/^[A-Za-z]+$/.test(word)) return null;
  const keyword = word.toUpperCase();
  const kind = CLASS_BY_KEYWORD.get(keyword);
  return kind ? { keyword, kind } : null;
}

/** How smsdesk learnt of an opt-out: the customer texted a keyword, or Twilio refused a send with 21610. */
export type OptOutSource = 'keyword' | 'twilio-21610';

/**
 * Why a customer counts as opted out, in words for agents: the 409 `opted_out`, the opt-out lookup and the
 * console all show this. 21610 is Twilio's error code, not something the customer texted.
 */
export function optOutReason(o: { keyword: string; source: OptOutSource }): string {
  return o.source === 'twilio-21610' ? 'Twilio reported the number unsubscribed (21610)' : `they texted ${o.keyword}`;
}
