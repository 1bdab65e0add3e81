/** Display helpers: times, dates, sizes, counts. */

const timeFmt = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
const dayFmt = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric' });
const yearFmt = new Intl.DateTimeFormat(undefined, { year: 'numeric', month: 'short', day: 'numeric' });
const fullFmt = new Intl.DateTimeFormat(undefined, {
  year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit',
});

export function toDate(value: string | number | Date | null | undefined): Date | null {
  if (value === null || value === undefined || value === '') return null;
  const d = value instanceof Date ? value : new Date(value);
  return Number.isNaN(d.getTime()) ? null : d;
}

/** Today: the time; this year: the day; else the date with the year. */
export function shortTime(value: string | null | undefined, now = new Date()): string {
  const d = toDate(value);
  if (!d) return '';
  if (d.toDateString() === now.toDateString()) return timeFmt.format(d);
  if (d.getFullYear() === now.getFullYear()) return dayFmt.format(d);
  return yearFmt.format(d);
}

export function fullTime(value: string | null | undefined): string {
  const d = toDate(value);
  return d ? fullFmt.format(d) : '';
}

/** YYYY-MM-DD in local time. */
export function isoDay(value: string | null | undefined): string {
  const d = toDate(value);
  if (!d) return value ?? '';
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

export function bytes(n: number | null | undefined): string {
  if (n === null || n === undefined) return '';
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(n < 10 * 1024 ? 1 : 0)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

export const plural = (n: number, one: string, many = `${one}s`) => `${n.toLocaleString()} ${n === 1 ? one : many}`;

export function yesNo(value: boolean | null | undefined): string {
  if (value === true) return 'Yes';
  if (value === false) return 'No';
  return 'Unknown';
}

/** True when a contact's name is just their number written another way (smsdesk names new contacts so). */
export function nameIsPhone(name: string, phone: string): boolean {
  const digits = (s: string) => s.replace(/\D/g, '');
  return !name || digits(name) === digits(phone) || (digits(name).length > 0 && digits(phone).endsWith(digits(name)) && !/[a-z]/i.test(name));
}

export const capitalize = (s: string) => (s ? s[0]!.toUpperCase() + s.slice(1) : s);
