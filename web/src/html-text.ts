/**
 * Helpdesk note HTML shown as plain text: parsed by DOMParser (which runs no scripts and loads nothing from
 * a document it only parses), markup dropped, line breaks kept for <br>, paragraphs, divs, rows and list
 * items. Nothing from the helpdesk is ever put into the page as HTML.
 */
const BLOCKS = new Set([
  'P', 'DIV', 'TR', 'LI', 'H1', 'H2', 'H3', 'H4', 'H5', 'H6', 'BLOCKQUOTE', 'PRE', 'TABLE', 'UL', 'OL', 'SECTION', 'ARTICLE', 'HEADER', 'FOOTER',
]);
const SKIP = new Set(['SCRIPT', 'STYLE', 'TEMPLATE', 'HEAD', 'TITLE', 'NOSCRIPT']);

export function htmlToText(html: string): string {
  if (!html) return '';
  const doc = new DOMParser().parseFromString(html, 'text/html');
  const out: string[] = [];
  const walk = (node: Node) => {
    if (node.nodeType === Node.TEXT_NODE) {
      out.push((node.textContent ?? '').replace(/[ \t\r\n]+/g, ' '));
      return;
    }
    if (node.nodeType !== Node.ELEMENT_NODE) return;
    const el = node as Element;
    if (SKIP.has(el.tagName)) return;
    if (el.tagName === 'BR') {
      out.push('\n');
      return;
    }
    const block = BLOCKS.has(el.tagName);
    if (block) out.push('\n');
    for (const child of Array.from(el.childNodes)) walk(child);
    if (el.tagName === 'TD' || el.tagName === 'TH') out.push(' ');
    if (block) out.push('\n');
  };
  walk(doc.body);
  return out
    .join('')
    .split('\n')
    .map((line) => line.replace(/^ +| +$/g, ''))
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}
