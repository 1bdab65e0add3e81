import { useState } from 'preact/hooks';
import { get, patch } from '../../api.ts';
import { LoadState, TableRegion } from '../../components/common.tsx';
import { DataList, Field, SaveActions, useSubmit } from '../../components/forms.tsx';
import { busiestAccount, UsageBanner, usageChanged, useUsage } from '../../components/UsageWarning.tsx';
import { plural } from '../../format.ts';
import { useResource } from '../../hooks.ts';
import { agentTime } from '../../schedule-time.ts';
import type { ScheduleSettings, ScheduleSettingsChange, Usage } from '../../types.ts';

/**
 * Settings → Hours and usage (admins): quiet hours, business hours and holidays, the team's time zone, the
 * monthly limit and the price table; and what this month has sent. smsdesk checks every value (400
 * invalid_setting naming it); the console shows its answer as it comes.
 */
export function HoursAndUsageSection() {
  const schedule = useResource(() => get<ScheduleSettings>('/api/v1/settings/schedule'), []);
  const s = schedule.data;
  return (
    <section class="card" aria-labelledby="settings-hours">
      <h2 id="settings-hours">Hours and usage</h2>
      <LoadState of={schedule} what="the hours and the limit" />
      {s ? (
        <>
          <HoursForm settings={s} onSaved={schedule.reload} />
          <LimitForm settings={s} onSaved={schedule.reload} />
        </>
      ) : null}
      <UsageView />
    </section>
  );
}

const TIME = /^([01]\d|2[0-3]):[0-5]\d$/;

function splitWindow(raw: string | null): { start: string; end: string } {
  const [start = '', end = ''] = (raw ?? '').split('-').map((p) => p.trim());
  return { start, end };
}

/** Every IANA zone this browser knows, for the time-zone field's suggestions. */
function timeZones(): string[] {
  try {
    return Intl.supportedValuesOf('timeZone');
  } catch {
    return [];
  }
}

function HoursForm({ settings, onSaved }: { settings: ScheduleSettings; onSaved: () => void }) {
  const initial = splitWindow(settings.quietHours);
  const [quietOn, setQuietOn] = useState(Boolean(settings.quietHours));
  const [quietStart, setQuietStart] = useState(initial.start || '21:00');
  const [quietEnd, setQuietEnd] = useState(initial.end || '08:00');
  const [business, setBusiness] = useState(settings.businessHours ?? '');
  const [holidays, setHolidays] = useState<string[]>(settings.holidays);
  const [holiday, setHoliday] = useState('');
  const [zone, setZone] = useState(settings.defaultTimezone);
  const form = useSubmit();
  const edited = <T,>(set: (v: T) => void) => (value: T) => {
    set(value);
    form.setNotice(null);
  };

  const addHoliday = () => {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(holiday)) {
      form.setError('Choose the date of the holiday first.');
      return;
    }
    form.setError(null);
    form.setNotice(null);
    setHolidays((all) => (all.includes(holiday) ? all : [...all, holiday].sort()));
    setHoliday('');
  };

  const save = (e: Event) => {
    e.preventDefault();
    const refusal = !quietOn
      ? null
      : !TIME.test(quietStart) || !TIME.test(quietEnd)
        ? 'Give quiet hours a start and an end time (HH:MM), or turn them off.'
        : quietStart === quietEnd
          ? 'Quiet hours start and end at the same time: give them a length, or turn them off.'
          : null;
    void form.run(async () => {
      const change: ScheduleSettingsChange = {
        quietHours: quietOn ? `${quietStart}-${quietEnd}` : null,
        businessHours: business.trim() || null,
        holidays,
        defaultTimezone: zone.trim(),
      };
      await patch<ScheduleSettings>('/api/v1/settings/schedule', change);
      onSaved();
      return 'Saved';
    }, { refusal });
  };

  const next = settings.nextOpening ? new Date(settings.nextOpening) : null;

  return (
    <form class="form" onSubmit={save} noValidate aria-labelledby="hours-heading">
      <h3 id="hours-heading" class="small-heading">
        Quiet hours and business hours
      </h3>
      <fieldset class="fieldset">
        <legend>Quiet hours</legend>
        <label class="checkbox">
          <input type="checkbox" checked={quietOn} onChange={(e) => edited(setQuietOn)(e.currentTarget.checked)} data-testid="schedule-quiet-on" />
          Hold scheduled and automated texts during quiet hours
        </label>
        <p class="hint" id="quiet-help">
          In each customer's own time zone (from their number, else the default below). Agents' direct replies are never held.
        </p>
        <div class="form-grid">
          <Field id="quiet-start" label="From">
            <input
              id="quiet-start"
              type="time"
              value={quietStart}
              disabled={!quietOn}
              onInput={(e) => edited(setQuietStart)(e.currentTarget.value)}
              aria-describedby="quiet-help"
              data-testid="schedule-quiet-start"
            />
          </Field>
          <Field id="quiet-end" label="Until">
            <input
              id="quiet-end"
              type="time"
              value={quietEnd}
              disabled={!quietOn}
              onInput={(e) => edited(setQuietEnd)(e.currentTarget.value)}
              aria-describedby="quiet-help"
              data-testid="schedule-quiet-end"
            />
          </Field>
        </div>
      </fieldset>

      <Field id="business-hours" label="Business hours">
        <input
          id="business-hours"
          type="text"
          class="mono"
          spellcheck={false}
          autoComplete="off"
          placeholder="Mon-Fri 09:00-17:00"
          value={business}
          onInput={(e) => edited(setBusiness)(e.currentTarget.value)}
          aria-describedby="business-hours-help business-hours-state"
          data-testid="schedule-business-hours"
        />
        <span id="business-hours-help" class="hint">
          Days and hours in the team's time zone, e.g. <code>Mon-Fri 09:00-17:00; Sat 10:00-14:00</code>. Empty: no business hours
          (and no "Next business morning" in the composer).
        </span>
        <span id="business-hours-state" class="hint" data-testid="schedule-business-state">
          {settings.businessHours
            ? `${settings.businessOpen ? 'Open now.' : 'Closed now.'}${next ? ` Next opening: ${agentTime(next)} (your time).` : ''}`
            : ''}
        </span>
      </Field>

      <fieldset class="fieldset">
        <legend>Holidays (closed all day)</legend>
        {holidays.length ? (
          <ul class="chip-list" data-testid="schedule-holidays">
            {holidays.map((d) => (
              <li key={d} class="chip">
                <span>{d}</span>
                <button
                  type="button"
                  class="button-secondary button-small"
                  onClick={() => edited(setHolidays)(holidays.filter((x) => x !== d))}
                >
                  Remove<span class="visually-hidden"> the holiday {d}</span>
                </button>
              </li>
            ))}
          </ul>
        ) : (
          <p class="hint">No holidays.</p>
        )}
        <Field id="holiday-new" label="Add a holiday">
          <div class="input-row">
            <input
              id="holiday-new"
              type="date"
              value={holiday}
              onInput={(e) => setHoliday(e.currentTarget.value)}
              onKeyDown={(e) => {
                if (e.key === 'Enter') {
                  e.preventDefault();
                  addHoliday();
                }
              }}
              data-testid="schedule-holiday-date"
            />
            <button type="button" class="button-secondary" onClick={addHoliday} data-testid="schedule-holiday-add">
              Add holiday
            </button>
          </div>
        </Field>
      </fieldset>

      <Field id="default-zone" label="Team time zone (DEFAULT_TIMEZONE)">
        <input
          id="default-zone"
          type="text"
          list="default-zone-list"
          autoComplete="off"
          spellcheck={false}
          value={zone}
          onInput={(e) => edited(setZone)(e.currentTarget.value)}
          aria-describedby="default-zone-help"
          data-testid="schedule-timezone"
        />
        <DataList id="default-zone-list" values={timeZones()} />
        <span id="default-zone-help" class="hint">
          An IANA name such as America/New_York. Business hours are in it, and so is a customer whose number does not tell.
        </span>
      </Field>
      <SaveActions form={form} label="Save hours" errorTestId="schedule-hours-error" buttonTestId="schedule-save-hours" savedTestId="schedule-hours-saved" />
    </form>
  );
}

interface PriceRow {
  key: number;
  country: string;
  price: string;
}

let priceKeys = 0;
const priceRows = (prices: Record<string, number>): PriceRow[] =>
  Object.entries(prices)
    .sort(([a], [b]) => (a === '*' ? 1 : b === '*' ? -1 : a.localeCompare(b)))
    .map(([country, price]) => ({ key: ++priceKeys, country, price: String(price) }));

function LimitForm({ settings, onSaved }: { settings: ScheduleSettings; onSaved: () => void }) {
  const [limit, setLimit] = useState(settings.monthlyLimit === null ? '' : String(settings.monthlyLimit));
  const [rows, setRows] = useState<PriceRow[]>(() => priceRows(settings.prices));
  const form = useSubmit();
  const editRow = (key: number, change: Partial<PriceRow>) => {
    setRows((all) => all.map((r) => (r.key === key ? { ...r, ...change } : r)));
    form.setNotice(null);
  };

  const save = (e: Event) => {
    e.preventDefault();
    const n = Number(limit);
    const filled = rows.filter((r) => r.country.trim() || r.price.trim());
    const badCountry = filled.find((r) => !/^([A-Z]{2}|\*)$/.test(r.country.trim().toUpperCase()));
    const badPrice = filled.find((r) => r.price.trim() === '' || !(Number(r.price) >= 0));
    const countries = filled.map((r) => r.country.trim().toUpperCase());
    const twice = countries.find((c, i) => countries.indexOf(c) !== i);
    const refusal =
      limit.trim() !== '' && (!Number.isInteger(n) || n < 1)
        ? 'The monthly limit must be a whole number of segments, 1 or more (empty for no limit).'
        : badCountry
          ? `"${badCountry.country}" is not a country code: use two letters such as US or GB, or * for every other country.`
          : badPrice
            ? `The price for ${badPrice.country || 'a country'} must be a number, 0 or more.`
            : twice
              ? `${twice} is in the price table twice.`
              : null;
    void form.run(async () => {
      const prices = Object.fromEntries(filled.map((r) => [r.country.trim().toUpperCase(), Number(r.price)]));
      const saved = await patch<ScheduleSettings>('/api/v1/settings/schedule', {
        monthlyLimit: limit.trim() === '' ? null : n,
        prices,
      } satisfies ScheduleSettingsChange);
      if (saved?.prices) setRows(priceRows(saved.prices));
      onSaved();
      usageChanged();
      return 'Saved';
    }, { refusal });
  };

  return (
    <form class="form" onSubmit={save} noValidate aria-labelledby="limit-heading">
      <h3 id="limit-heading" class="small-heading">
        Monthly limit and prices
      </h3>
      <Field id="monthly-limit" label="Monthly limit (segments per Twilio account)">
        <input
          id="monthly-limit"
          type="number"
          min={1}
          step={1}
          inputMode="numeric"
          placeholder="No limit"
          value={limit}
          onInput={(e) => {
            setLimit(e.currentTarget.value);
            form.setNotice(null);
          }}
          aria-describedby="monthly-limit-help"
          data-testid="schedule-limit"
        />
        <span id="monthly-limit-help" class="hint">
          SMS_MONTHLY_LIMIT: a send that would pass it is refused before Twilio is called. Counted per calendar month (UTC). Empty: no
          limit.
        </span>
      </Field>
      <fieldset class="fieldset">
        <legend>Price per segment, by destination country</legend>
        <p class="hint" id="prices-help">
          For the cost estimate, in your Twilio account's currency. Country codes such as US or GB; <code>*</code> for every other
          country.
        </p>
        {rows.length ? (
          <ul class="price-list" data-testid="schedule-prices">
            {rows.map((r, i) => (
              <li key={r.key} class="price-row" data-testid="schedule-price-row">
                <Field id={`price-country-${r.key}`} label={`Country ${i + 1}`}>
                  <input
                    id={`price-country-${r.key}`}
                    type="text"
                    class="mono price-country"
                    maxLength={2}
                    autoComplete="off"
                    value={r.country}
                    onInput={(e) => editRow(r.key, { country: e.currentTarget.value })}
                    aria-describedby="prices-help"
                    data-testid="schedule-price-country"
                  />
                </Field>
                <Field id={`price-value-${r.key}`} label={`Price for ${r.country || `country ${i + 1}`}`}>
                  <input
                    id={`price-value-${r.key}`}
                    type="number"
                    min={0}
                    step="any"
                    inputMode="decimal"
                    value={r.price}
                    onInput={(e) => editRow(r.key, { price: e.currentTarget.value })}
                    data-testid="schedule-price-value"
                  />
                </Field>
                <button
                  type="button"
                  class="button-secondary button-small"
                  onClick={() => {
                    setRows((all) => all.filter((x) => x.key !== r.key));
                    form.setNotice(null);
                  }}
                >
                  Remove<span class="visually-hidden"> the price for {r.country || `country ${i + 1}`}</span>
                </button>
              </li>
            ))}
          </ul>
        ) : (
          <p class="hint">No prices: no cost estimate.</p>
        )}
        <button
          type="button"
          class="button-secondary button-small"
          onClick={() => setRows((all) => [...all, { key: ++priceKeys, country: '', price: '' }])}
          data-testid="schedule-price-add"
        >
          Add a country
        </button>
      </fieldset>
      <SaveActions form={form} label="Save limit and prices" errorTestId="schedule-limit-error" buttonTestId="schedule-save-limit" savedTestId="schedule-limit-saved" />
    </form>
  );
}

const money = (n: number) => n.toLocaleString(undefined, { minimumFractionDigits: 2, maximumFractionDigits: 4 });

function UsageView() {
  const usage = useUsage();
  const u = usage.data;
  return (
    <div class="usage" data-testid="usage">
      <h3 class="small-heading" id="usage-heading">
        Usage this month{u ? ` (${u.month}, UTC)` : ''}
      </h3>
      <LoadState of={usage} what="this month's usage" />
      {u ? (
        <>
          <UsageBanner usage={u} />
          <dl class="facts">
            <div>
              <dt>Segments</dt>
              <dd data-testid="usage-segments">
                {u.segments.toLocaleString()}
                {u.limit !== null ? ` (limit ${u.limit.toLocaleString()} per account)` : ''}
              </dd>
            </div>
            <div>
              <dt>Messages</dt>
              <dd data-testid="usage-messages">{u.messages.toLocaleString()}</dd>
            </div>
            <div>
              <dt>Estimated cost</dt>
              <dd data-testid="usage-cost">{u.estimatedCost === null ? 'No prices set' : money(u.estimatedCost)}</dd>
            </div>
          </dl>
          {u.limit !== null ? <LimitMeter usage={u} /> : null}
          <ByNumber usage={u} />
          {u.byCountry.length ? (
            <TableRegion label="Usage by country" testId="usage-by-country" heads={['Country', 'Segments', 'Messages', 'Price per segment', 'Cost']}>
              {u.byCountry.map((c) => {
                const price = u.prices[c.country ?? '*'] ?? u.prices['*'];
                return (
                  <tr key={c.country ?? '*'}>
                    <th scope="row">{c.country ?? 'Unknown'}</th>
                    <td>{c.segments.toLocaleString()}</td>
                    <td>{c.messages.toLocaleString()}</td>
                    <td>{price === undefined ? '—' : money(price)}</td>
                    <td>{price === undefined ? '—' : money(c.segments * price)}</td>
                  </tr>
                );
              })}
            </TableRegion>
          ) : null}
        </>
      ) : null}
    </div>
  );
}

/** How much of the limit the busiest account has used, as a bar and in words. */
function LimitMeter({ usage: u }: { usage: Usage }) {
  const used = busiestAccount(u);
  const share = Math.min(1, used / (u.limit ?? 1));
  return (
    <div class="limit-meter" data-testid="usage-limit">
      <p class="hint" id="usage-limit-text">
        {Math.round((used / (u.limit ?? 1)) * 100)}% of the limit used: {used.toLocaleString()} of {u.limit?.toLocaleString()} segments
        (the busiest account).
      </p>
      <div class="bar-track" aria-hidden="true">
        <div class={`bar-fill${u.warning === 1 ? ' bar-full' : u.warning ? ' bar-warn' : ''}`} style={{ width: `${share * 100}%` }} />
      </div>
    </div>
  );
}

/** Segments by sending number: a bar each (decorative), the figures in text. */
function ByNumber({ usage: u }: { usage: Usage }) {
  if (!u.byNumber.length) return <p class="hint">Nothing sent this month yet.</p>;
  const max = Math.max(1, ...u.byNumber.map((n) => n.segments));
  return (
    <div class="by-number">
      <h4 class="small-heading">By number</h4>
      <ul class="bar-chart" data-testid="usage-by-number">
        {u.byNumber.map((n) => (
          <li key={n.number} class="bar-row" data-testid="usage-number" data-number={n.number}>
            <span class="bar-label nowrap">{n.number}</span>
            <span class="bar-track" aria-hidden="true">
              <span class="bar-fill" style={{ width: `${(n.segments / max) * 100}%` }} />
            </span>
            <span class="bar-value">
              {plural(n.segments, 'segment')}, {plural(n.messages, 'message')}
            </span>
          </li>
        ))}
      </ul>
    </div>
  );
}
