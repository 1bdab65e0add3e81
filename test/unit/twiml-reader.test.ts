import { describe, expect, it } from 'vitest';
import { readTwiml } from '../../src/adapters/twilio/emulator/twiml-reader.ts';
import { sayTwiml } from '../../src/domain/twiml.ts';

/** The emulator's reading of a call's TwiML, and the domain's writer read back by it (written independently). */
describe('readTwiml', () => {
  it.each<[string, string, string[]]>([
    ['one Say', '<Response><Say>Hello</Say></Response>', ['Hello']],
    ['the XML declaration and whitespace', '<?xml version="1.0" encoding="UTF-8"?>\n<Response>\n  <Say>Hi</Say>\n</Response>\n', ['Hi']],
    ['the five predefined entities', '<Response><Say>&lt;&gt;&amp;&quot;&apos;</Say></Response>', [`<>&"'`]],
    ['character references', '<Response><Say>caf&#233; &#x1F600;</Say></Response>', ['café 😀']],
    ['CDATA', '<Response><Say><![CDATA[a < b & c]]></Say></Response>', ['a < b & c']],
    ['SSML inside Say', '<Response><Say voice="Polly.Joanna">One<break time="1s"/> <emphasis>two</emphasis></Say></Response>', ['One two']],
    ['several verbs', '<Response><Say>a</Say><Pause length="2"/><Play>https://example.com/x.mp3</Play><Say>b</Say><Hangup/></Response>', ['a', 'b']],
    ['a Say inside Gather', '<Response><Gather input="dtmf"><Say>Press 1</Say></Gather></Response>', ['Press 1']],
    ['comments', '<!-- before --><Response><!-- in --><Say>x</Say></Response><!-- after -->', ['x']],
    ['single-quoted attributes', "<Response><Say voice='alice' loop='1'>x</Say></Response>", ['x']],
    ['an empty Response', '<Response/>', []],
    ['CR LF line ends, read as LF as XML does', '<Response><Say>one\r\ntwo\rthree</Say></Response>', ['one\ntwo\nthree']],
  ])('reads %s', (_case, twiml, spoken) => {
    expect(readTwiml(twiml)).toEqual({ spoken, error: null });
  });

  it.each<[string, string, 12100 | 12200]>([
    ['an empty document', '', 12100],
    ['plain text', 'Hello', 12100],
    ['an unclosed element', '<Response><Say>x</Response>', 12100],
    ['a mismatched close', '<Response><Say>x</say></Response>', 12100],
    ['a raw ampersand', '<Response><Say>a & b</Say></Response>', 12100],
    ['an entity without its semicolon', '<Response><Say>&amp b</Say></Response>', 12100],
    ['an HTML-only entity', '<Response><Say>&nbsp;</Say></Response>', 12100],
    ['a reference to a character XML forbids', '<Response><Say>&#0;</Say></Response>', 12100],
    ['a raw control character', '<Response><Say>\u0007</Say></Response>', 12100],
    ['an unquoted attribute', '<Response><Say voice=alice>x</Say></Response>', 12100],
    ['a repeated attribute', '<Response><Say voice="a" voice="b">x</Say></Response>', 12100],
    ['two roots', '<Response/><Response/>', 12100],
    ['space before the declaration', ' <?xml version="1.0"?><Response/>', 12100],
    ['a DOCTYPE', '<!DOCTYPE x><Response/>', 12100],
    ['a root other than Response', '<response><Say>x</Say></response>', 12100],
    ['a verb TwiML does not have', '<Response><Speak>x</Speak></Response>', 12200],
    ['text outside any verb', '<Response>Hello<Say>x</Say></Response>', 12200],
  ])('refuses %s', (_case, twiml, code) => {
    expect(readTwiml(twiml).error).toMatchObject({ code });
  });

  it.each([
    'Ticket 42 is urgent.',
    'Tom & Jerry <3 > 2',
    'already &amp; escaped, &lt;tags&gt;',
    ']]> and <![CDATA[ and <!-- not a comment -->',
    `"quotes" and 'apostrophes'`,
    'line one\nline two\ttabbed',
    'Grüße, 日本語, emoji 😀, RTL שלום',
  ])('reads what sayTwiml wrote: %j', (text) => {
    expect(readTwiml(sayTwiml(text))).toEqual({ spoken: [text], error: null });
  });
});
