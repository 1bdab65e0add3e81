/**
 * What the emulator makes of a call's TwiML once the call is answered, as Twilio would: the document must be
 * well-formed XML whose root is `<Response>`, else the call fails with 12100 "Document parse failure"
 * (https://www.twilio.com/docs/api/errors/12100); an element Twilio does not know as a verb is 12200 "Schema
 * validation warning" (https://www.twilio.com/docs/api/errors/12200). Twilio says "an application error has
 * occurred" and hangs up in both cases; the emulator records the error with the call so a test sees it.
 *
 * Deliberately a small XML reader of its own (not the domain's builder run backwards, not a library the app
 * might share): a misunderstanding of escaping shared by writer and reader would pass every test.
 */

export interface TwimlError {
  code: 12100 | 12200;
  message: string;
}

/** The texts of the document's `<Say>` verbs, in order, entities decoded; or why Twilio could not run it. */
export type TwimlReading = { spoken: string[]; error: null } | { spoken: string[]; error: TwimlError };

interface XmlElement {
  name: string;
  attributes: Record<string, string>;
  children: (XmlElement | string)[];
}

/** TwiML voice verbs (https://www.twilio.com/docs/voice/twiml). */
const VOICE_VERBS = new Set([
  'Connect', 'Dial', 'Enqueue', 'Gather', 'Hangup', 'Leave', 'Pause', 'Pay', 'Play', 'Prompt', 'Record',
  'Redirect', 'Refer', 'Reject', 'Say', 'Sms', 'Start', 'Stop',
]);
/** Verbs whose children may include `<Say>` (prompts read while gathering or paying). */
const SAYING_CONTAINERS = new Set(['Gather', 'Pay', 'Prompt']);

export function readTwiml(twiml: string): TwimlReading {
  let root: XmlElement;
  try {
    root = parseXml(twiml);
  } catch (err) {
    return { spoken: [], error: { code: 12100, message: `Document parse failure: ${(err as Error).message}` } };
  }
  if (root.name !== 'Response') {
    return { spoken: [], error: { code: 12100, message: `Document parse failure: the root element is <${root.name}>, not <Response>` } };
  }
  const spoken: string[] = [];
  let error: TwimlError | null = null;
  const visit = (parent: XmlElement): void => {
    for (const child of parent.children) {
      if (typeof child === 'string') {
        if (child.trim() !== '' && error === null) error = { code: 12200, message: `Schema validation warning: text ${JSON.stringify(child.trim())} directly inside <${parent.name}>` };
        continue;
      }
      if (!VOICE_VERBS.has(child.name)) {
        error ??= { code: 12200, message: `Schema validation warning: <${child.name}> is not a TwiML voice verb` };
        continue;
      }
      if (child.name === 'Say') spoken.push(textOf(child));
      else if (SAYING_CONTAINERS.has(child.name)) visit(child);
    }
  };
  visit(root);
  return error === null ? { spoken, error: null } : { spoken, error };
}

/** A `<Say>`'s text: its own and that of SSML children (`<break/>`, `<emphasis>`, `<prosody>`…). */
function textOf(element: XmlElement): string {
  return element.children.map((c) => (typeof c === 'string' ? c : textOf(c))).join('');
}

const PREDEFINED: Readonly<Record<string, string>> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };
const NAME = /[A-Za-z_:][A-Za-z0-9_:.-]*/y;
// XML 1.0 Char (https://www.w3.org/TR/xml/#charsets), per code point.
const NOT_XML_CHAR = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;

/** A strict reader of one XML document: elements, attributes, text, the five predefined entities, character references, CDATA, comments. */
function parseXml(document: string): XmlElement {
  // End-of-line handling (https://www.w3.org/TR/xml/#sec-line-ends): CR LF and a lone CR are read as LF.
  const source = document.replace(/\r\n?/g, '\n');
  const bad = NOT_XML_CHAR.exec(source);
  if (bad) throw new Error(`character U+${bad[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')} is not allowed in XML`);
  let i = 0;
  const fail = (what: string): never => {
    const line = source.slice(0, i).split('\n').length;
    throw new Error(`${what} (line ${line})`);
  };
  const startsWith = (s: string): boolean => source.startsWith(s, i);
  const skipSpace = (): void => {
    while (i < source.length && ' \t\r\n'.includes(source[i]!)) i++;
  };
  const readName = (): string => {
    NAME.lastIndex = i;
    const m = NAME.exec(source);
    if (!m) fail('a name was expected');
    i += m![0].length;
    return m![0];
  };
  const decode = (raw: string): string =>
    raw.replace(/&([^;&\s]*);?/g, (whole, ref: string) => {
      if (!whole.endsWith(';')) fail(`"&" must start an entity such as &amp;`);
      if (ref in PREDEFINED) return PREDEFINED[ref]!;
      const numeric = /^#(?:x([0-9A-Fa-f]+)|([0-9]+))$/.exec(ref);
      if (!numeric) return fail(`the entity &${ref}; is not defined`);
      const code = numeric[1] !== undefined ? parseInt(numeric[1], 16) : Number(numeric[2]);
      const char = code <= 0x10ffff ? String.fromCodePoint(code) : '';
      if (char === '' || NOT_XML_CHAR.test(char)) fail(`&${ref}; is not a character XML allows`);
      return char;
    });
  const skipMisc = (): void => {
    for (;;) {
      skipSpace();
      if (startsWith('<!--')) {
        const end = source.indexOf('-->', i + 4);
        if (end < 0) fail('a comment is not closed');
        i = end + 3;
      } else if (startsWith('<?')) {
        fail('a processing instruction other than the XML declaration at the very start');
      } else if (startsWith('<!')) {
        fail('a DOCTYPE is not allowed');
      } else return;
    }
  };

  if (source.charCodeAt(0) === 0xfeff) i = 1;
  if (startsWith('<?xml')) {
    const end = source.indexOf('?>', i);
    if (end < 0) fail('the XML declaration is not closed');
    i = end + 2;
  }
  skipMisc();
  if (!startsWith('<')) fail(i >= source.length ? 'the document is empty' : 'content before the root element');

  const readElement = (): XmlElement => {
    i++; // '<'
    const element: XmlElement = { name: readName(), attributes: {}, children: [] };
    for (;;) {
      const before = i;
      skipSpace();
      if (startsWith('/>')) {
        i += 2;
        return element;
      }
      if (startsWith('>')) {
        i++;
        break;
      }
      if (i === before) fail(`whitespace or ">" expected in <${element.name}>`);
      const attribute = readName();
      skipSpace();
      if (!startsWith('=')) fail(`the attribute ${attribute} has no value`);
      i++;
      skipSpace();
      const quote = source[i];
      if (quote !== '"' && quote !== "'") fail(`the value of ${attribute} is not quoted`);
      const end = source.indexOf(quote!, i + 1);
      if (end < 0) fail(`the value of ${attribute} is not closed`);
      const raw = source.slice(i + 1, end);
      if (raw.includes('<')) fail(`"<" in the value of ${attribute}`);
      if (attribute in element.attributes) fail(`the attribute ${attribute} appears twice`);
      element.attributes[attribute] = decode(raw);
      i = end + 1;
    }
    for (;;) {
      if (i >= source.length) fail(`<${element.name}> is not closed`);
      if (startsWith('</')) {
        i += 2;
        const name = readName();
        if (name !== element.name) fail(`</${name}> closes <${element.name}>`);
        skipSpace();
        if (!startsWith('>')) fail(`">" expected after </${name}`);
        i++;
        return element;
      }
      if (startsWith('<!--')) {
        const end = source.indexOf('-->', i + 4);
        if (end < 0) fail('a comment is not closed');
        i = end + 3;
      } else if (startsWith('<![CDATA[')) {
        const end = source.indexOf(']]>', i + 9);
        if (end < 0) fail('a CDATA section is not closed');
        element.children.push(source.slice(i + 9, end));
        i = end + 3;
      } else if (startsWith('<?') || startsWith('<!')) {
        fail('markup that TwiML does not use');
      } else if (startsWith('<')) {
        element.children.push(readElement());
      } else {
        const end = source.indexOf('<', i);
        const raw = source.slice(i, end < 0 ? source.length : end);
        if (raw.includes(']]>')) fail('"]]>" in text');
        element.children.push(decode(raw));
        i += raw.length;
      }
    }
  };

  const root = readElement();
  skipMisc();
  if (i < source.length) fail('content after the root element');
  return root;
}
