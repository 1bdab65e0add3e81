import { describe, expect, it } from 'vitest';
import { KNOWN_PLACEHOLDERS, renderTemplate, validateTemplate, type TemplateValues } from '../../src/domain/templates.ts';
import { thrown } from '../helpers/errors.ts';

const values: TemplateValues = {
  'ticket.id': 4521,
  'ticket.subject': 'SMS from +1 415 555 0100',
  'ticket.status': 'open',
  'contact.name': 'Jane',
  'contact.phone': '+14155550100',
  'agent.name': 'Sam',
  'agent.email': 'sam@example.com',
  'twilio.number': '+14155550199',
  'ticket.url': 'https://acme.freshdesk.com/a/tickets/42',
  'business.next_open': '2026-12-07 09:00 EST',
  'survey.question': 'How did we do?',
};


describe('KNOWN_PLACEHOLDERS', () => {
  it('is the documented set', () => {
    expect([...KNOWN_PLACEHOLDERS]).toEqual([
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
    ]);
  });

  it('every known placeholder renders', () => {
    for (const name of KNOWN_PLACEHOLDERS) {
      expect(renderTemplate(`[{{${name}}}]`, values)).toBe(`[${String(values[name])}]`);
    }
  });
});

describe('renderTemplate', () => {
  const cases: { name: string; template: string; values?: TemplateValues; out: string }[] = [
    { name: 'no placeholders', template: 'Thanks, we got your message.', out: 'Thanks, we got your message.' },
    { name: 'empty template', template: '', out: '' },
    { name: 'one placeholder', template: 'Hi {{contact.name}}!', out: 'Hi Jane!' },
    { name: 'spaces inside the braces', template: 'Hi {{ contact.name }}!', out: 'Hi Jane!' },
    { name: 'tabs and uneven spaces', template: 'Hi {{\tcontact.name  }}!', out: 'Hi Jane!' },
    { name: 'numbers', template: 'Ticket #{{ticket.id}}', out: 'Ticket #4521' },
    { name: 'zero is a value', template: 'n={{ticket.id}}', values: { 'ticket.id': 0 }, out: 'n=0' },
    {
      name: 'several, repeated, adjacent',
      template: '{{agent.name}}{{agent.name}} <{{agent.email}}> re #{{ticket.id}}',
      out: 'SamSam <sam@example.com> re #4521',
    },
    { name: 'multi-line', template: 'Hi {{contact.name}},\nReply to {{twilio.number}}.', out: 'Hi Jane,\nReply to +14155550199.' },
    { name: 'null value renders empty', template: 'Hi {{contact.name}}!', values: { 'contact.name': null }, out: 'Hi !' },
    { name: 'undefined value renders empty', template: 'Hi {{contact.name}}!', values: { 'contact.name': undefined }, out: 'Hi !' },
    { name: 'missing value renders empty', template: 'Hi {{contact.name}}!', values: {}, out: 'Hi !' },
    { name: 'empty string value', template: 'Hi {{contact.name}}!', values: { 'contact.name': '' }, out: 'Hi !' },
    {
      name: 'values are not re-expanded',
      template: 'Hi {{contact.name}}',
      values: { 'contact.name': '{{agent.email}}' },
      out: 'Hi {{agent.email}}',
    },
    { name: 'no HTML escaping', template: '{{ticket.subject}}', values: { 'ticket.subject': 'Tom & Jerry <3 "quotes"' }, out: 'Tom & Jerry <3 "quotes"' },
    { name: 'single braces are text', template: 'Use {code} or {x}', out: 'Use {code} or {x}' },
    { name: 'single closing braces are text', template: 'a } b }', out: 'a } b }' },
    { name: 'extra values are ignored', template: 'Hi', values: { 'other.thing': 'x' }, out: 'Hi' },
    { name: 'emoji around placeholders', template: '👋 {{contact.name}} 🎉', out: '👋 Jane 🎉' },
  ];
  it.each(cases)('$name', ({ template, values: v, out }) => {
    expect(renderTemplate(template, v ?? values)).toBe(out);
  });

  it('throws unknown_placeholder naming the placeholder and listing the known ones', () => {
    const err = thrown(() => renderTemplate('Hi {{foo}}', values));
    expect(err.kind).toBe('invalid');
    expect(err.code).toBe('unknown_placeholder');
    expect(err.message).toBe(
      'Unknown placeholder {{foo}}: use one of {{ticket.id}}, {{ticket.subject}}, {{ticket.status}}, ' +
        '{{contact.name}}, {{contact.phone}}, {{agent.name}}, {{agent.email}}, {{twilio.number}}, {{ticket.url}}, ' +
        '{{business.next_open}}, {{survey.question}}.',
    );
  });

  it('names every unknown placeholder once', () => {
    const err = thrown(() => renderTemplate('{{contact.nmae}} {{ticket.number}} {{contact.nmae}}', values));
    expect(err.code).toBe('unknown_placeholder');
    expect(err.message).toMatch(/^Unknown placeholders \{\{contact\.nmae\}\}, \{\{ticket\.number\}\}: use one of /);
  });

  it('an unknown placeholder throws even when a value is supplied for it', () => {
    expect(thrown(() => renderTemplate('{{foo}}', { foo: 'bar' })).code).toBe('unknown_placeholder');
  });

  it('names are case-sensitive', () => {
    expect(thrown(() => renderTemplate('{{Contact.Name}}', values)).message).toMatch(/^Unknown placeholder \{\{Contact\.Name\}\}/);
  });

  it('throws malformed_placeholder rather than sending braces', () => {
    const err = thrown(() => renderTemplate('Hi {{contact.name}, thanks', values));
    expect(err.kind).toBe('invalid');
    expect(err.code).toBe('malformed_placeholder');
    expect(err.message).toBe(
      'Malformed placeholder "{{contact.name}, thanks": write placeholders as {{name}}, e.g. {{contact.name}}.',
    );
  });
});

describe('validateTemplate', () => {
  const cases: { template: string; unknown: string[]; malformed: string[] }[] = [
    { template: 'Hi {{contact.name}}, ticket {{ ticket.id }}', unknown: [], malformed: [] },
    { template: 'plain text', unknown: [], malformed: [] },
    { template: '{{foo}} {{ bar.baz }} {{foo}}', unknown: ['foo', 'bar.baz'], malformed: [] },
    { template: '{{contact.name}', unknown: [], malformed: ['{{contact.name}'] },
    { template: 'Hi {{contact.name} and more\nnext line', unknown: [], malformed: ['{{contact.name} and more'] },
    { template: '{{}}', unknown: [], malformed: ['{{}}'] },
    { template: '{{   }}', unknown: [], malformed: ['{{   }}'] },
    { template: '{{contact name}}', unknown: [], malformed: ['{{contact name}}'] },
    { template: '{{contact.}}', unknown: [], malformed: ['{{contact.}}'] },
    { template: '{{.name}}', unknown: [], malformed: ['{{.name}}'] },
    { template: '{{contact-name}}', unknown: [], malformed: ['{{contact-name}}'] },
    { template: '{{1st}}', unknown: [], malformed: ['{{1st}}'] },
    { template: 'end {{', unknown: [], malformed: ['{{'] },
    { template: 'contact.name}}', unknown: [], malformed: ['}}'] },
    { template: '{{{contact.name}}}', unknown: [], malformed: ['{{{contact.name}}'] },
    // An unclosed "{{" ends at the next "{{", so the placeholder after it is still checked.
    { template: '{{contact.name {{agent.nam}}', unknown: ['agent.nam'], malformed: ['{{contact.name'] },
    { template: '{{a}} {{b}', unknown: ['a'], malformed: ['{{b}'] },
    // Long unclosed fragments are clipped.
    { template: `{{${'x'.repeat(100)}`, unknown: [], malformed: [`{{${'x'.repeat(37)}…`] },
  ];
  it.each(cases)('$template', ({ template, unknown, malformed }) => {
    expect(validateTemplate(template)).toEqual({ unknown, malformed });
  });
});
