import { invalid } from './errors.ts';

/**
 * Message templates (auto-replies, agent macros) with `{{contact.name}}`-style placeholders. The set of names
 * is closed so a typo is caught when the template is saved (validateTemplate) rather than texted to a customer
 * as "Hi {{contact.nmae}}". No HTML escaping: the output is an SMS body, plain text.
 */
export const KNOWN_PLACEHOLDERS = [
  'ticket.id',
  'ticket.subject',
  'ticket.status',
  'contact.name',
  'contact.phone',
  'agent.name',
  'agent.email',
  'twilio.number',
  'ticket.url',
  'business.next_open',
  'survey.question',
] as const;

export type Placeholder = (typeof KNOWN_PLACEHOLDERS)[number];

export type TemplateValues = Record<string, string | number | null | undefined>;

export interface TemplateProblems {
  /** Well-formed placeholders whose name is not in KNOWN_PLACEHOLDERS, each once, in order of appearance. */
  unknown: string[];
  /** Fragments that open or close a placeholder but are not one ("{{contact.name}", "{{}}"), each once. */
  malformed: string[];
}

const known: ReadonlySet<string> = new Set(KNOWN_PLACEHOLDERS);

/** Dotted identifiers: "contact.name", "ticket.id". Anything else between braces is malformed. */
const NAME = /^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*$/;

/** Longest fragment quoted back for a malformed placeholder, so an unclosed "{{" does not echo a whole body. */
const MAX_FRAGMENT = 40;

type Piece =
  | { kind: 'text'; text: string }
  | { kind: 'placeholder'; name: string }
  | { kind: 'malformed'; text: string };

/**
 * Splits a template into text, placeholders and malformed fragments. A placeholder is "{{", optional spaces, a
 * dotted name, optional spaces, "}}". Single braces are ordinary text ("{ok}"); a "{{" with no "}}" before the
 * next "{{" or the end, a "{{…}}" whose inside is not a name, and a "}}" with no opener are malformed.
 */
function parse(template: string): Piece[] {
  const pieces: Piece[] = [];
  let text = '';
  let i = 0;
  while (i < template.length) {
    const open = template.indexOf('{{', i);
    const strayClose = template.indexOf('}}', i);
    if (strayClose !== -1 && (open === -1 || strayClose < open)) {
      text += template.slice(i, strayClose);
      pushText();
      pieces.push({ kind: 'malformed', text: '}}' });
      i = strayClose + 2;
      continue;
    }
    if (open === -1) {
      text += template.slice(i);
      break;
    }
    text += template.slice(i, open);
    pushText();
    const close = template.indexOf('}}', open + 2);
    const nextOpen = template.indexOf('{{', open + 2);
    if (close === -1 || (nextOpen !== -1 && nextOpen < close)) {
      // Unclosed: quote up to the end of the line (or the next "{{"), which is where the writer meant it to end.
      const stop = [template.indexOf('\n', open), nextOpen, template.length].filter((n) => n !== -1);
      const fragment = template.slice(open, Math.min(...stop)).trimEnd();
      pieces.push({ kind: 'malformed', text: clip(fragment) });
      i = open + fragment.length;
      continue;
    }
    const inner = template.slice(open + 2, close).trim();
    const whole = template.slice(open, close + 2);
    pieces.push(NAME.test(inner) ? { kind: 'placeholder', name: inner } : { kind: 'malformed', text: clip(whole) });
    i = close + 2;
  }
  pushText();
  return pieces;

  function pushText() {
    if (text) pieces.push({ kind: 'text', text });
    text = '';
  }
}

function clip(fragment: string): string {
  return fragment.length > MAX_FRAGMENT ? `${fragment.slice(0, MAX_FRAGMENT - 1)}…` : fragment;
}

export function validateTemplate(template: string): TemplateProblems {
  const unknown: string[] = [];
  const malformed: string[] = [];
  for (const piece of parse(template)) {
    if (piece.kind === 'placeholder' && !known.has(piece.name) && !unknown.includes(piece.name)) unknown.push(piece.name);
    if (piece.kind === 'malformed' && !malformed.includes(piece.text)) malformed.push(piece.text);
  }
  return { unknown, malformed };
}

/**
 * Fills in a template. A known placeholder without a value (absent, null or undefined) renders as empty: a
 * contact with no name gets "Hi ," rather than a failed auto-reply. An unknown or malformed placeholder throws,
 * because sending the literal braces to a customer is worse than not sending. Values are inserted verbatim
 * and never re-expanded, so a contact named "{{agent.email}}" stays that.
 */
export function renderTemplate(template: string, values: TemplateValues): string {
  const pieces = parse(template);
  const { unknown, malformed } = validateTemplate(template);
  if (unknown.length > 0) {
    const names = unknown.map((n) => `{{${n}}}`).join(', ');
    const noun = unknown.length === 1 ? 'Unknown placeholder' : 'Unknown placeholders';
    throw invalid('unknown_placeholder', `${noun} ${names}: use one of ${placeholderList()}.`);
  }
  if (malformed.length > 0) {
    const noun = malformed.length === 1 ? 'Malformed placeholder' : 'Malformed placeholders';
    throw invalid(
      'malformed_placeholder',
      `${noun} ${malformed.map((m) => `"${m}"`).join(', ')}: write placeholders as {{name}}, e.g. {{contact.name}}.`,
    );
  }
  let out = '';
  for (const piece of pieces) {
    if (piece.kind === 'text') out += piece.text;
    else if (piece.kind === 'placeholder') out += String(values[piece.name] ?? '');
  }
  return out;
}

/** Refuses values for names that are not placeholders (a typo would otherwise be silently ignored). */
export function checkValueNames(values: TemplateValues): void {
  const unknown = Object.keys(values).filter((k) => !known.has(k));
  if (unknown.length > 0) {
    const noun = unknown.length === 1 ? 'Unknown placeholder' : 'Unknown placeholders';
    throw invalid('unknown_placeholder', `${noun} ${unknown.map((k) => `"${k}"`).join(', ')} in values: use one of ${KNOWN_PLACEHOLDERS.join(', ')}.`);
  }
}

/** The placeholders a ticket fills in; the agent's own (agent.name, agent.email) come from whoever sends. */
export function ticketValues(ticket: { id: number; subject: string; status: string; requester: { name: string; phone: string } }, twilioNumber: string | null): TemplateValues {
  return {
    'ticket.id': ticket.id,
    'ticket.subject': ticket.subject,
    'ticket.status': ticket.status,
    'contact.name': ticket.requester.name,
    'contact.phone': ticket.requester.phone,
    'twilio.number': twilioNumber,
  };
}

/** "{{ticket.id}}, {{ticket.subject}}, …": the placeholders as a template writes them (the console shows this list). */
export function placeholderList(): string {
  return KNOWN_PLACEHOLDERS.map((n) => `{{${n}}}`).join(', ');
}
