import { invalid } from './errors.ts';

/**
 * The most TwiML Twilio takes inline in a call's `Twiml` parameter: "Max 4000 characters"
 * (https://www.twilio.com/docs/voice/api/call-resource, Create a Call, `Twiml`); longer is error 32018,
 * "Twiml size exceeded maximum allowed value of 4000 characters" (https://www.twilio.com/docs/api/errors/32018).
 * Counted here in UTF-16 code units (String#length), which is never fewer than code points, so a text this
 * accepts fits whichever way Twilio counts.
 */
export const MAX_TWIML_LENGTH = 4000;

const OPENING = '<Response><Say>';
const CLOSING = '</Say></Response>';

/**
 * The escapes XML element content needs: `&` and `<` must be escaped, `>` is escaped too so that `]]>` never
 * appears. Quotes need none outside attributes, and every escape costs length out of the 4000.
 */
const CONTENT_ESCAPES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;' };

/** Escapes text for XML element content (not for attribute values). */
export function escapeXmlContent(text: string): string {
  return text.replace(/[&<>]/g, (c) => CONTENT_ESCAPES[c] ?? c);
}

/**
 * Characters XML 1.0 cannot carry at all, escaped or not (https://www.w3.org/TR/xml/#charsets): C0 controls other
 * than tab, line feed and carriage return, U+FFFE and U+FFFF, and half a surrogate pair.
 */
const NOT_XML = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * The TwiML of a call that reads `text` aloud, `<Response><Say>…</Say></Response>`, for the Calls API's `Twiml`
 * parameter. Refuses (`invalid_say`) a text with nothing to say, one with characters XML cannot carry, and one
 * whose TwiML would pass Twilio's 4000 characters (escaping counts: `&` takes five).
 */
export function sayTwiml(text: string): string {
  if (text.trim() === '') throw invalid('invalid_say', 'The text to say is empty: a call must say something.');
  const bad = NOT_XML.exec(text);
  if (bad) {
    const code = bad[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0');
    throw invalid('invalid_say', `The text to say contains U+${code} at position ${bad.index}, which a voice call's TwiML cannot carry; remove it.`);
  }
  const twiml = OPENING + escapeXmlContent(text) + CLOSING;
  if (twiml.length > MAX_TWIML_LENGTH) {
    const room = MAX_TWIML_LENGTH - OPENING.length - CLOSING.length;
    throw invalid(
      'invalid_say',
      `The text to say is too long: as TwiML it takes ${twiml.length} characters and Twilio takes at most ${MAX_TWIML_LENGTH} ` +
        `(about ${room} characters of text; each & counts 5, each < or > 4). Shorten it.`,
    );
  }
  return twiml;
}
