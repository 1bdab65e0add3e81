import { describe, expect, it } from 'vitest';
import { decodeEntities, htmlToText } from '../../src/domain/html-to-text.ts';

describe('htmlToText: structure', () => {
  const cases: { name: string; html: string; text: string }[] = [
    { name: 'plain text', html: 'Hello there', text: 'Hello there' },
    { name: 'empty', html: '', text: '' },
    { name: 'only markup', html: '<div><br></div><p></p>', text: '' },
    { name: 'inline tags are removed', html: 'Your <b>order</b> <i>#123</i> <span style="color:red">shipped</span>', text: 'Your order #123 shipped' },
    { name: 'source whitespace collapses', html: '  Hello\n\n   there,\t  friend  ', text: 'Hello there, friend' },
    { name: 'br', html: 'one<br>two<br/>three<BR />four', text: 'one\ntwo\nthree\nfour' },
    { name: 'two br make a blank line', html: 'one<br><br>two', text: 'one\n\ntwo' },
    { name: 'many br make at most one blank line', html: 'one<br><br><br><br>two', text: 'one\n\ntwo' },
    { name: 'stray </br> is a line break', html: 'one</br>two', text: 'one\ntwo' },
    { name: 'divs are lines', html: '<div>one</div><div>two</div>', text: 'one\ntwo' },
    { name: 'nested divs make one break', html: '<div><div><div>one</div></div></div><div><div>two</div></div>', text: 'one\ntwo' },
    { name: 'paragraphs are separated by a blank line', html: '<p>one</p><p>two</p>', text: 'one\n\ntwo' },
    { name: 'whitespace between blocks adds nothing', html: '<div>one</div>\n  \n<div>two</div>\n<p>three</p>\n', text: 'one\ntwo\n\nthree' },
    { name: 'a paragraph keeps its blank line next to a div', html: '<p>one</p><div>two</div>', text: 'one\n\ntwo' },
    { name: 'trailing br inside a block adds no line', html: '<div>one<br></div><div>two</div>', text: 'one\ntwo' },
    { name: 'trailing br inside a paragraph', html: '<p>one<br></p><p>two</p>', text: 'one\n\ntwo' },
    { name: 'text after a block', html: '<div>one</div>two', text: 'one\ntwo' },
    { name: 'headings', html: '<h1>Title</h1>Body<h3>Sub</h3>More', text: 'Title\n\nBody\n\nSub\n\nMore' },
    { name: 'blockquote', html: 'Reply<blockquote>quoted text</blockquote>', text: 'Reply\n\nquoted text' },
    { name: 'list items', html: '<ul><li>one</li><li>two</li></ul>', text: '- one\n- two' },
    { name: 'ordered list items use the same marker', html: '<ol><li>one</li><li>two</li></ol>', text: '- one\n- two' },
    { name: 'list between text', html: 'Steps:<ul><li>a</li><li>b</li></ul>Done', text: 'Steps:\n\n- a\n- b\n\nDone' },
    {
      name: 'nested list',
      html: '<ul><li>a<ul><li>a1</li><li>a2</li></ul></li><li>b</li></ul>',
      text: '- a\n- a1\n- a2\n- b',
    },
    { name: 'list item without closing tags', html: '<ul><li>one<li>two</ul>', text: '- one\n- two' },
    { name: 'table rows are lines, cells are spaced', html: '<table><tr><td>Name</td><td>Sam</td></tr><tr><th>Role</th><th>Agent</th></tr></table>', text: 'Name Sam\nRole Agent' },
    { name: 'hr', html: 'above<hr>below', text: 'above\nbelow' },
  ];
  it.each(cases)('$name', ({ html, text }) => {
    expect(htmlToText(html)).toBe(text);
  });
});

describe('htmlToText: content that is not text', () => {
  const cases: { name: string; html: string; text: string }[] = [
    { name: 'script contents', html: 'a<script>var x = "<div>no</div>";</script>b', text: 'ab' },
    { name: 'script with attributes and odd case', html: 'a<SCRIPT type="text/javascript">alert(1)</Script >b', text: 'ab' },
    { name: 'style contents', html: '<style>p { color: red; } .x > .y {}</style><p>Hi</p>', text: 'Hi' },
    { name: 'unclosed script drops the rest', html: 'Hi<script>alert(1)', text: 'Hi' },
    { name: '"</scripts" does not end a script', html: 'a<script>x="</scripts>"</script>b', text: 'ab' },
    { name: 'title', html: '<html><head><title>Ticket #5</title></head><body>Hi</body></html>', text: 'Hi' },
    { name: 'comments', html: 'a<!-- hidden <b>x</b> -->b<!---->c', text: 'abc' },
    { name: 'conditional comments', html: 'a<!--[if mso]><table><tr><td>x</td></tr></table><![endif]-->b', text: 'ab' },
    { name: 'doctype', html: '<!DOCTYPE html><p>Hi</p>', text: 'Hi' },
    { name: 'processing instruction', html: '<?xml version="1.0"?><p>Hi</p>', text: 'Hi' },
    { name: 'images', html: 'Logo: <img src="logo.png" alt="ACME"> end', text: 'Logo: end' },
    { name: '">" inside a quoted attribute', html: '<span title="a > b">text</span>', text: 'text' },
    { name: 'single-quoted attribute with ">"', html: "<div data-x='1>2'>text</div>", text: 'text' },
    { name: 'a "<" that is not a tag', html: 'a < b and x<3 and 1 </ 2', text: 'a < b and x<3 and 1 </ 2' },
    { name: 'unterminated tag at the end', html: 'Hello <span class="x', text: 'Hello' },
    { name: 'Outlook namespaced tags', html: '<p class="MsoNormal">Hi<o:p></o:p></p>', text: 'Hi' },
  ];
  it.each(cases)('$name', ({ html, text }) => {
    expect(htmlToText(html)).toBe(text);
  });
});

describe('htmlToText: links', () => {
  const cases: { name: string; html: string; text: string }[] = [
    { name: 'text and address differ', html: 'Track it <a href="https://t.example.com/1">here</a>.', text: 'Track it here (https://t.example.com/1).' },
    { name: 'text is the address', html: '<a href="https://example.com">https://example.com</a>', text: 'https://example.com' },
    { name: 'text is the address without scheme or slash', html: '<a href="https://example.com/">example.com</a>', text: 'example.com' },
    { name: 'mailto', html: 'Email <a href="mailto:help@example.com">help@example.com</a>', text: 'Email help@example.com' },
    { name: 'tel', html: 'Call <a href="tel:+14155550100">+14155550100</a>', text: 'Call +14155550100' },
    { name: 'mailto with different text', html: '<a href="mailto:help@example.com">Email us</a>', text: 'Email us (mailto:help@example.com)' },
    { name: 'entities in href are decoded', html: '<a href="https://x.example/?a=1&amp;b=2">link</a>', text: 'link (https://x.example/?a=1&b=2)' },
    { name: 'unquoted href', html: '<a href=https://x.example/p>link</a>', text: 'link (https://x.example/p)' },
    { name: 'markup inside the link text', html: '<a href="https://x.example"><b>Open</b> <i>portal</i></a>', text: 'Open portal (https://x.example)' },
    { name: 'image link', html: '<a href="https://x.example"><img src="logo.png"></a>', text: 'https://x.example' },
    { name: 'anchor without href', html: '<a name="top">Top</a>', text: 'Top' },
    { name: 'fragment link', html: '<a href="#section">See below</a>', text: 'See below' },
    { name: 'javascript link', html: '<a href="javascript:void(0)">Click</a>', text: 'Click' },
    { name: 'unclosed link', html: 'See <a href="https://x.example">docs', text: 'See docs (https://x.example)' },
    { name: 'line break at the start of a link', html: 'see <a href="https://x.example"><br>docs</a>', text: 'see\ndocs (https://x.example)' },
    { name: 'block boundary at the start of a link', html: '<div>see </div><a href="https://x.example"><div>docs</div></a>', text: 'see\ndocs (https://x.example)' },
    { name: 'link in a block', html: '<div><a href="https://x.example">docs</a></div><div>next</div>', text: 'docs (https://x.example)\nnext' },
  ];
  it.each(cases)('$name', ({ html, text }) => {
    expect(htmlToText(html)).toBe(text);
  });
});

describe('decodeEntities', () => {
  const cases: [string, string][] = [
    ['&amp; &lt; &gt; &quot; &#39; &apos;', '& < > " \' \''],
    ['&nbsp;', '\u00a0'],
    ['Caf&eacute; &Eacute;cole', 'Café École'],
    ['&copy; 2024 &reg; &trade;', '© 2024 ® ™'],
    ['&euro;5 &pound;4 &yen;3 &cent;', '€5 £4 ¥3 ¢'],
    ['&iexcl;Hola! &iquest;Qu&eacute;?', '¡Hola! ¿Qué?'],
    ['&Auml;&ouml;&uuml;&szlig;&ntilde;&ccedil;&aring;&oslash;&aelig;', 'Äöüßñçåøæ'],
    ['&yuml;', 'ÿ'], // last of the Latin-1 table: checks its alignment
    ['&times;&divide;&deg;&plusmn;&frac12;&middot;&sect;&para;', '×÷°±½·§¶'],
    ['&ldquo;Hi&rdquo; &lsquo;there&rsquo; &ndash; &mdash; &hellip; &bull;', '“Hi” ‘there’ – — … •'],
    ['&#233;&#xE9;&#XE9;&#xe9;', 'éééé'],
    ['&#128512; &#x1F600;', '😀 😀'],
    ['&#65 &#x41', '&#65 &#x41'], // every reference needs its semicolon, numeric ones too
    ['&#0;', '\uFFFD'],
    ['&#xD800;', '\uFFFD'],
    ['&#x110000;', '\uFFFD'],
    ['&#99999999999999999999;', '\uFFFD'],
    ['&#146;&#147;&#148;&#150;&#128;', '’“”–€'], // Windows-1252 range
    ['&#129;', '\u0081'], // unmapped in Windows-1252: kept
    ['AT&T', 'AT&T'],
    ['fish & chips', 'fish & chips'],
    ['&unknown; &AMP;', '&unknown; &'], // HTML5 has &AMP;
    ['&copy 2024', '&copy 2024'], // named references need their semicolon
    ['&#; &#x; &#xZZ;', '&#; &#x; &#xZZ;'],
    ['&amp;lt;', '&lt;'], // decoded once
  ];
  it.each(cases)('%s', (input, expected) => {
    expect(decodeEntities(input)).toBe(expected);
  });

  it('htmlToText decodes after tokenizing, so escaped markup stays text', () => {
    expect(htmlToText('Use &lt;b&gt; for bold &amp; more')).toBe('Use <b> for bold & more');
  });

  it('&nbsp; becomes a plain space and does not collapse lines', () => {
    expect(htmlToText('Hi&nbsp;&nbsp;&nbsp;there')).toBe('Hi there');
    expect(htmlToText('<div>one</div><div>&nbsp;</div><div>two</div>')).toBe('one\n\ntwo');
  });

  it('drops invisible soft hyphens and zero-width spaces', () => {
    expect(htmlToText('super&shy;cali&#8203;fragilistic')).toBe('supercalifragilistic');
  });
});

describe('htmlToText: size', () => {
  it('converts a large reply whole (430 kB: a quadratic pass would run into the test timeout)', () => {
    const html = '<div>Hello &amp; welcome <a href="https://x.example/1">link</a></div><p>para<br>line</p>'.repeat(5000);
    const text = htmlToText(html);
    const one = 'Hello & welcome link (https://x.example/1)\n\npara\nline';
    expect(text).toBe(Array.from({ length: 5000 }, () => one).join('\n\n'));
  });
});

describe('htmlToText: helpdesk replies', () => {
  it('Freshdesk-style reply: nested divs, <br> spacers, &nbsp;, a link and a signature', () => {
    const html =
      '<div dir="ltr">Hi Jane,<div><br></div>' +
      '<div>Your replacement part ships tomorrow.&nbsp;Tracking: <a href="https://track.example.com/123" target="_blank">click here</a></div>' +
      '<div><br></div><div>Thanks,</div><div>Sam</div><div><br></div>-- <br>' +
      '<div class="gmail_signature" data-smartmail="gmail_signature"><div dir="ltr"><div>Sam Lee | Support</div>' +
      '<div>Acme&nbsp;Inc.&nbsp;&middot;&nbsp;<a href="https://acme.example">acme.example</a></div></div></div></div>';
    expect(htmlToText(html)).toBe(
      'Hi Jane,\n\n' +
        'Your replacement part ships tomorrow. Tracking: click here (https://track.example.com/123)\n\n' +
        'Thanks,\nSam\n\n--\nSam Lee | Support\nAcme Inc. · acme.example',
    );
  });

  it('Zendesk-style reply: paragraphs, an ordered list, entities and a quoted message', () => {
    const html = `<div class="zd-comment" dir="auto">
  <p dir="auto">Hello Bob,</p>
  <p dir="auto">Thanks for reaching out. Here are the steps:</p>
  <ol>
    <li>Open <strong>Settings</strong></li>
    <li>Tap &ldquo;Reset&rdquo;</li>
  </ol>
  <p dir="auto">Regards,<br>Ann<br>Caf&eacute; Support &copy; 2024</p>
</div>
<blockquote>On Mon, Bob wrote:<br>It&#39;s broken &#x1F622;</blockquote>`;
    expect(htmlToText(html)).toBe(
      'Hello Bob,\n\nThanks for reaching out. Here are the steps:\n\n- Open Settings\n- Tap “Reset”\n\n' +
        'Regards,\nAnn\nCafé Support © 2024\n\nOn Mon, Bob wrote:\nIt\'s broken 😢',
    );
  });

  it('Outlook-pasted HTML with a head, styles, Mso paragraphs and a signature table', () => {
    const html = `<html xmlns:o="urn:schemas-microsoft-com:office:office">
<head><meta charset="utf-8"><title>Re: Order</title>
<style><!-- p.MsoNormal { margin: 0; } --></style></head>
<body lang="EN-US">
<div class="WordSection1">
<p class="MsoNormal">Hi Pat,<o:p></o:p></p>
<p class="MsoNormal"><o:p>&nbsp;</o:p></p>
<p class="MsoNormal">We&#146;ve refunded $20.<o:p></o:p></p>
<table border="0"><tr><td><img src="cid:logo"></td><td>Lee Wong<br>Billing</td></tr></table>
</div></body></html>`;
    expect(htmlToText(html)).toBe('Hi Pat,\n\nWe’ve refunded $20.\n\nLee Wong\nBilling');
  });
});
