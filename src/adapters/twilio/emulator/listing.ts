/** What the 2010-04-01 list endpoints (Messages, Calls) share: date filters and Twilio's paging envelope. */

const DEFAULT_PAGE_SIZE = 50;
const MAX_PAGE_SIZE = 1000;
const DAY_MS = 24 * 60 * 60 * 1000;

export interface DateRange {
  /** Inclusive, ms since the epoch. */
  start: number;
  /** Exclusive. */
  end: number;
}

/** `YYYY-MM-DD` is that whole UTC day; a date-time (the SDK sends ISO 8601) is that second. */
export function parseDateFilter(value: string): DateRange | undefined {
  const day = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (day) {
    const start = Date.UTC(Number(day[1]), Number(day[2]) - 1, Number(day[3]));
    // Date.UTC rolls 2024-13-45 over into 2025; a day that does not exist is refused instead.
    return new Date(start).toISOString().slice(0, 10) === value ? { start, end: start + DAY_MS } : undefined;
  }
  const instant = Date.parse(value);
  if (Number.isNaN(instant)) return undefined;
  const start = instant - (instant % 1000);
  return { start, end: start + 1000 };
}

/** The filters of one date field: `Name` (that day or second), `Name<` (on or before), `Name>` (on or after). */
export interface DateFilters {
  exact?: DateRange;
  before?: DateRange;
  after?: DateRange;
}

/**
 * Reads `field`, `field<` and `field>` from the query into `filters` (the names given are kept, for the page
 * URIs); an error message naming the parameter when one is not a date.
 */
export function readDateFilters(query: URLSearchParams, field: string, filters: URLSearchParams): DateFilters | string {
  const result: DateFilters = {};
  for (const [suffix, key] of [['', 'exact'], ['<', 'before'], ['>', 'after']] as const) {
    const name = field + suffix;
    const value = query.get(name);
    if (value === null) continue;
    filters.set(name, value);
    const range = parseDateFilter(value);
    if (!range) return `Invalid ${name}: ${value} is not a date (YYYY-MM-DD) or date-time`;
    result[key] = range;
  }
  return result;
}

/** Whether `at` passes one date field's filters; a resource without the date (null) matches none of them. */
export function inDateRanges(at: Date | null, { exact, before, after }: DateFilters): boolean {
  if (!exact && !before && !after) return true;
  if (at === null) return false;
  const t = at.getTime();
  if (exact && (t < exact.start || t >= exact.end)) return false;
  if (after && t < after.start) return false;
  if (before && t >= before.end) return false;
  return true;
}

/** `PageSize` (1–1000, default 50) and `Page` (≥ 0, default 0); null when either is out of range. */
export function readPaging(query: URLSearchParams): { pageSize: number; page: number } | null {
  const pageSize = Number(query.get('PageSize') ?? DEFAULT_PAGE_SIZE);
  const page = Number(query.get('Page') ?? 0);
  if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > MAX_PAGE_SIZE || !Number.isInteger(page) || page < 0) return null;
  return { pageSize, page };
}

export const PAGING_ERROR = `PageSize must be 1 to ${MAX_PAGE_SIZE} and Page a non-negative integer`;

export interface PageInput<T extends { sid: string }> {
  url: URL;
  /** The list's filters as the request gave them: every page URI repeats them. */
  filters: URLSearchParams;
  /** Every matching resource, in the list's order. */
  matching: readonly T[];
  /** The envelope's key for the items: `messages`, `calls`. */
  key: string;
  render: (item: T) => unknown;
  pageSize: number;
  page: number;
}

/**
 * One page in Twilio's envelope. Next/previous pages carry a PageToken (the SID the page continues from), so
 * paging is stable while resources are being created, as with Twilio.
 */
export function listPage<T extends { sid: string }>(input: PageInput<T>): Record<string, unknown> {
  const { url, filters, matching, pageSize, page } = input;
  const pageToken = url.searchParams.get('PageToken');
  const tokenIndex = pageToken === null ? -1 : matching.findIndex((m) => m.sid === pageToken.slice(2));
  let start = page * pageSize;
  if (tokenIndex >= 0 && pageToken?.startsWith('PA')) start = tokenIndex + 1;
  else if (tokenIndex >= 0 && pageToken?.startsWith('PB')) start = Math.max(0, tokenIndex - pageSize);
  const items = matching.slice(start, start + pageSize);

  const base = url.pathname;
  const pageUri = (pageNumber: number, token?: string): string => {
    const params = new URLSearchParams(filters);
    params.set('PageSize', String(pageSize));
    params.set('Page', String(pageNumber));
    if (token !== undefined) params.set('PageToken', token);
    return `${base}?${params.toString()}`;
  };
  const last = items.at(-1);
  const first = items[0];
  return {
    [input.key]: items.map(input.render),
    page,
    page_size: pageSize,
    start,
    end: Math.max(start + items.length - 1, start),
    uri: pageUri(page, pageToken ?? undefined),
    first_page_uri: pageUri(0),
    next_page_uri: last && start + items.length < matching.length ? pageUri(page + 1, `PA${last.sid}`) : null,
    previous_page_uri: first && page > 0 && start > 0 ? pageUri(page - 1, `PB${first.sid}`) : null,
  };
}
