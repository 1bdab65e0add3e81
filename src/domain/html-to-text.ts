import { decodeHTMLStrict } from 'entities';

/**
 * Plain text from the HTML a helpdesk sends for an agent's reply (Freshdesk, Zendesk and friends wrap even a
 * one-line answer in divs, <br>s and &nbsp;s). The result goes out as SMS, so it aims at what a reader saw in
 * the agent's editor: line structure kept, markup and invisible content gone, links spelled out because SMS
 * has no anchors. A small tokenizer rather than a DOM: the input is a fragment we only read, never fix up.
 */

/** Contents never shown to a reader. */
const DROPPED = new Set(['script', 'style', 'title', 'template']);

/** Elements that start and end a paragraph: a blank line around them, like their default CSS margins. */
const PARAGRAPH = new Set(['p', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'blockquote', 'pre', 'ul', 'ol', 'dl']);

/** Elements that start and end a line. */
const LINE = new Set([
  'div', 'li', 'tr', 'table', 'thead', 'tbody', 'tfoot', 'caption', 'hr', 'dt', 'dd',
  'section', 'article', 'header', 'footer', 'nav', 'aside', 'main', 'address', 'figure', 'figcaption',
  'center', 'form', 'fieldset', 'legend', 'details', 'summary',
]);

export function htmlToText(html: string): string {
  const out = new TextBuilder();
  const n = html.length;
  let i = 0;
  while (i < n) {
    const lt = html.indexOf('<', i);
    const end = lt === -1 ? n : lt;
    if (end > i) out.text(html.slice(i, end));
    if (lt === -1) break;
    i = readMarkup(html, lt, out);
  }
  return out.finish();
}

/** Reads the markup starting at `<` (html[at]) and returns the index after it. */
function readMarkup(html: string, at: number, out: TextBuilder): number {
  const next = html[at + 1] ?? '';
  if (html.startsWith('<!--', at)) {
    // Searching from at + 2 also ends the degenerate comments "<!-->" and "<!--->", as browsers do.
    const close = html.indexOf('-->', at + 2);
    return close === -1 ? html.length : close + 3;
  }
  if (next === '!' || next === '?') {
    // Doctype, CDATA, processing instruction: none of it is text.
    const close = html.indexOf('>', at);
    return close === -1 ? html.length : close + 1;
  }
  const isEnd = next === '/';
  const nameStart = isEnd ? at + 2 : at + 1;
  if (!/[A-Za-z]/.test(html[nameStart] ?? '')) {
    // "a < b", "x <3", "</ ": not a tag, so the "<" is text.
    out.text('<');
    return at + 1;
  }
  const tag = readTag(html, nameStart);
  if (!tag) return html.length; // unterminated tag at the end: dropped, as browsers do
  if (isEnd) {
    out.endTag(tag.name);
    return tag.end;
  }
  if (DROPPED.has(tag.name)) return skipRawText(html, tag.end, tag.name);
  out.startTag(tag.name, tag.attributes);
  return tag.end;
}

interface Tag {
  name: string;
  attributes: Map<string, string>;
  /** Index after the closing `>`. */
  end: number;
}

/** Parses a tag name and attributes from `from` (the name's first letter) to `>`, honouring quoted values. */
function readTag(html: string, from: number): Tag | null {
  const n = html.length;
  let i = from;
  while (i < n && !/[\s/>]/.test(html[i] ?? '')) i++;
  const name = html.slice(from, i).toLowerCase();
  const attributes = new Map<string, string>();
  while (i < n) {
    const ch = html[i] ?? '';
    if (ch === '>') return { name, attributes, end: i + 1 };
    if (/[\s/]/.test(ch)) {
      i++;
      continue;
    }
    const attrStart = i;
    i++; // an attribute name may begin with any character, even "="
    while (i < n && !/[\s/>=]/.test(html[i] ?? '')) i++;
    const attrName = html.slice(attrStart, i).toLowerCase();
    while (i < n && /\s/.test(html[i] ?? '')) i++;
    let value = '';
    if (html[i] === '=') {
      i++;
      while (i < n && /\s/.test(html[i] ?? '')) i++;
      const quote = html[i];
      if (quote === '"' || quote === "'") {
        const close = html.indexOf(quote, i + 1);
        if (close === -1) return null;
        value = html.slice(i + 1, close);
        i = close + 1;
      } else {
        const valueStart = i;
        while (i < n && !/[\s>]/.test(html[i] ?? '')) i++;
        value = html.slice(valueStart, i);
      }
    }
    // The first occurrence of an attribute wins, as in browsers.
    if (!attributes.has(attrName)) attributes.set(attrName, decodeEntities(value));
  }
  return null;
}

/** Skips a script/style/… element's raw content, including its end tag. */
function skipRawText(html: string, from: number, name: string): number {
  const endTag = new RegExp(`</${name}[\\s/>]`, 'gi');
  endTag.lastIndex = from;
  const match = endTag.exec(html);
  if (!match) return html.length;
  const close = html.indexOf('>', match.index);
  return close === -1 ? html.length : close + 1;
}

interface OpenLink {
  href: string;
  /** Index in the output parts where the link opened: its text is what was written since. */
  start: number;
}

/**
 * Accumulates text with HTML's whitespace rules (runs of spaces, tabs and newlines in the source are one space)
 * and block boundaries as pending line breaks, so nested and adjacent blocks ("</div><div>", "</p>\n<p>")
 * produce one break rather than one per tag.
 */
class TextBuilder {
  /**
   * Output so far, as small pieces joined once at the end: appending to one long string and then indexing
   * it (to look at its last character) makes V8 flatten the whole string every time, which is quadratic.
   * No piece is ever empty.
   */
  private readonly parts: string[] = [];
  /** Newlines owed before the next text: 1 for a line boundary, 2 for a paragraph boundary. */
  private pending = 0;
  private readonly links: OpenLink[] = [];
  private listDepth = 0;

  text(raw: string): void {
    const collapsed = decodeEntities(raw).replace(/[ \t\n\r\f]+/g, ' ');
    if (collapsed === '') return;
    if (collapsed === ' ') {
      this.space();
      return;
    }
    this.append(collapsed);
  }

  startTag(name: string, attributes: Map<string, string>): void {
    if (name === 'br') return this.lineBreak();
    if (name === 'a') {
      this.links.push({ href: attributes.get('href')?.trim() ?? '', start: this.parts.length });
      return;
    }
    if (name === 'td' || name === 'th') return this.space();
    if (name === 'li') {
      this.block(1);
      this.append('- ');
      return;
    }
    if (name === 'ul' || name === 'ol') {
      // A list nested in a list item continues the list rather than starting a paragraph.
      this.block(this.listDepth > 0 ? 1 : 2);
      this.listDepth++;
      return;
    }
    this.boundary(name);
  }

  endTag(name: string): void {
    if (name === 'br') return this.lineBreak(); // browsers treat a stray </br> as <br>
    if (name === 'a') return this.closeLink();
    if (name === 'td' || name === 'th') return this.space();
    if (name === 'ul' || name === 'ol') {
      this.listDepth = Math.max(0, this.listDepth - 1);
      this.block(this.listDepth > 0 ? 1 : 2);
      return;
    }
    this.boundary(name);
  }

  finish(): string {
    while (this.links.length > 0) this.closeLink();
    return this.parts
      .join('')
      .replace(/[\u00AD\u200B\uFEFF]/g, '') // soft hyphen, zero-width space, BOM: invisible, and not GSM-7
      .replace(/\p{Zs}/gu, ' ') // &nbsp; and other spaces are plain spaces in a text message
      .split('\n')
      .map((line) => line.replace(/ {2,}/g, ' ').trim())
      .join('\n')
      .replace(/\n{3,}/g, '\n\n')
      .trim();
  }

  private boundary(name: string): void {
    if (PARAGRAPH.has(name)) this.block(2);
    else if (LINE.has(name)) this.block(1);
  }

  private push(t: string): void {
    if (t !== '') this.parts.push(t);
  }

  private lastChar(): string {
    return this.parts[this.parts.length - 1]?.slice(-1) ?? '';
  }

  /** Writes text that is already decoded and collapsed, after any line breaks it is owed. */
  private append(t: string): void {
    this.flush();
    const last = this.lastChar();
    const atLineStart = last === '' || last === '\n' || last === ' ';
    this.push(t.startsWith(' ') && atLineStart ? t.slice(1) : t);
  }

  private block(newlines: number): void {
    this.pending = Math.max(this.pending, newlines);
  }

  private space(): void {
    const last = this.lastChar();
    if (this.pending > 0 || last === '' || last === '\n' || last === ' ') return;
    this.push(' ');
  }

  /** A <br> always adds a line; a block boundary right after it reuses that line rather than adding one. */
  private lineBreak(): void {
    this.flush();
    this.trimTrailingSpaces();
    this.push('\n');
  }

  private flush(): void {
    if (this.pending === 0) return;
    if (this.parts.length > 0) {
      this.trimTrailingSpaces();
      const have = this.trailingNewlines(this.pending);
      if (have < this.pending) this.push('\n'.repeat(this.pending - have));
    }
    this.pending = 0;
  }

  private trimTrailingSpaces(): void {
    for (let last = this.parts.pop(); last !== undefined; last = this.parts.pop()) {
      const trimmed = last.replace(/ +$/, '');
      if (trimmed !== '') {
        this.parts.push(trimmed);
        break;
      }
    }
    // An open link's text starts no later than the end of what is left.
    for (const link of this.links) link.start = Math.min(link.start, this.parts.length);
  }

  /** How many newlines the output ends with, counting no further than `max`. */
  private trailingNewlines(max: number): number {
    let count = 0;
    for (let p = this.parts.length - 1; p >= 0 && count < max; p--) {
      const part = this.parts[p] ?? '';
      for (let c = part.length - 1; c >= 0 && count < max; c--) {
        if (part[c] !== '\n') return count;
        count++;
      }
    }
    return count;
  }

  private closeLink(): void {
    const link = this.links.pop();
    if (!link) return;
    const { href } = link;
    if (href === '' || href.startsWith('#') || /^javascript:/i.test(href)) return;
    const text = this.parts
      .slice(link.start)
      .join('')
      .replace(/\s+/g, ' ')
      .trim();
    if (text === '') {
      // An image or an empty anchor: the address is all the reader can use.
      this.append(href);
      return;
    }
    if (sameTarget(text, href)) return;
    this.trimTrailingSpaces();
    this.push(` (${href})`);
  }
}

/**
 * Whether link text already shows the address: "jane@example.com" for "mailto:jane@example.com", or
 * "https://example.com" for "https://example.com/". Repeating it in parentheses would only cost segments.
 */
function sameTarget(text: string, href: string): boolean {
  const norm = (s: string) =>
    s
      .trim()
      .toLowerCase()
      .replace(/^(mailto|tel|sms):/, '')
      .replace(/^https?:\/\//, '')
      .replace(/\/$/, '');
  return norm(text) === norm(href);
}

/**
 * Character references, by HTML5's full table (the `entities` package: `&hearts;`, `&check;`, `&NotEqualTilde;`
 * and the other 2,000-odd), numeric ones with HTML's fix-ups (`&#146;` is Windows-1252's ’; NUL, surrogates and
 * anything past U+10FFFF become U+FFFD). Every reference needs its semicolon (the library's strict mode): editors
 * always write one, and decoding the legacy bare form would mangle hand-written text and URLs such as
 * "?a=1&copy=2". Unknown names are left as written, so "AT&T" and "&foo;" survive.
 */
export function decodeEntities(text: string): string {
  return text.includes('&') ? decodeHTMLStrict(text) : text;
}
