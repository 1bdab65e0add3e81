import { useMemo, useState } from 'preact/hooks';
import { get, withQuery } from '../api.ts';
import { CsatChart } from '../components/CsatChart.tsx';
import { LoadState, ScreenHead, TableRegion } from '../components/common.tsx';
import { Field } from '../components/forms.tsx';
import { formatAverage, summarizeCsat, weekStart, type CsatTotal } from '../csat-report.ts';
import { shortTime } from '../format.ts';
import { useResource, useTitle } from '../hooks.ts';
import { useLiveReload } from '../live.tsx';
import { useSession } from '../session.tsx';
import type { CsatReport } from '../types.ts';

/** The periods offered, in days. */
export const CSAT_PERIODS = [30, 90, 365] as const;

// Kept while the page is open, so coming back shows the same period.
let rememberedDays: number = 90;

const weekDay = new Intl.DateTimeFormat(undefined, { year: 'numeric', month: 'short', day: 'numeric', timeZone: 'UTC' });

/**
 * Reports → CSAT: the ratings customers gave in answer to an automation's survey over the last 30, 90 or 365
 * days: the average of each week as a chart (and a table), and by agent, by Twilio number and by group.
 */
export function CsatReportScreen() {
  useTitle('CSAT report');
  const { isAdmin } = useSession();
  const [days, setDays] = useState(rememberedDays);
  rememberedDays = days;

  const report = useResource(() => get<CsatReport>(withQuery('/api/v1/reports/csat', { days })), [days], true);
  // A rating comes in as a text: follow them (the report is small).
  useLiveReload(report.reload, ['message']);

  const data = report.data;
  const summary = useMemo(() => (data ? summarizeCsat(data.rows, new Date(data.since), new Date()) : null), [data]);

  return (
    <section class="report-screen" data-testid="csat-report">
      <ScreenHead title="CSAT report" updating={report.loading && Boolean(data)} />
      <p class="hint">
        Customer satisfaction: the 1–5 ratings customers texted back to a survey. A rating counts for the agent who last replied on the
        ticket, its Twilio number and that number's group at the time.
      </p>
      <form class="filters" aria-label="Report period" onSubmit={(e) => e.preventDefault()}>
        <Field id="csat-days" label="Period">
          <select id="csat-days" value={String(days)} onChange={(e) => setDays(Number(e.currentTarget.value))} data-testid="csat-period">
            {CSAT_PERIODS.map((d) => (
              <option key={d} value={String(d)}>
                Last {d} days
              </option>
            ))}
          </select>
        </Field>
      </form>

      <LoadState of={report} what="the CSAT report" />
      {data && summary ? (
        summary.ratings === 0 ? (
          <div class="card empty-state" data-testid="csat-empty">
            <h2>No ratings in the last {days} days</h2>
            <p>
              Ratings come from CSAT surveys: to get them, add a survey action to an automation in{' '}
              <a href="#/settings/automations">Settings → Automations</a>
              {isAdmin ? '' : ' (an admin can)'}, for example “when a ticket's status changes to Resolved, send a CSAT survey”. Each
              customer's 1–5 answer is then counted here.
            </p>
          </div>
        ) : (
          <>
            <dl class="facts report-facts" data-testid="csat-summary">
              <div>
                <dt>Ratings</dt>
                <dd data-testid="csat-total">{summary.ratings.toLocaleString()}</dd>
              </div>
              <div>
                <dt>Average</dt>
                <dd>
                  <span data-testid="csat-average">{formatAverage(summary.average)}</span> of 5
                </dd>
              </div>
              <div>
                <dt>Since</dt>
                <dd>
                  <time dateTime={data.since}>{shortTime(data.since)}</time>
                </dd>
              </div>
            </dl>

            <h2>By week</h2>
            <CsatChart id="csat-chart" weeks={summary.weeks} tableName="Ratings by week" />
            <TotalsTable
              label="Ratings by week"
              testId="csat-by-week"
              caption="Ratings by week, oldest first: the weeks with ratings, as in the chart."
              head="Week"
              rows={summary.weeks.filter((w) => w.ratings > 0)}
              name={weekName}
            />

            <div class="report-grid">
              <div>
                <h2>By agent</h2>
                <TotalsTable
                  label="Ratings by agent"
                  testId="csat-by-agent"
                  caption="Ratings by the agent who last replied on the ticket, most ratings first."
                  head="Agent"
                  rows={summary.byAgent}
                  name={(key) => key ?? 'No agent replied'}
                />
              </div>
              <div>
                <h2>By Twilio number</h2>
                <TotalsTable
                  label="Ratings by Twilio number"
                  testId="csat-by-number"
                  caption="Ratings by the ticket's Twilio number, most ratings first."
                  head="Twilio number"
                  rows={summary.byNumber}
                  name={(key) => key ?? 'Unknown number'}
                />
              </div>
              <div>
                <h2>By group</h2>
                <TotalsTable
                  label="Ratings by group"
                  testId="csat-by-group"
                  caption="Ratings by the group of the ticket's Twilio number, most ratings first."
                  head="Group"
                  rows={summary.byGroup}
                  name={(key) => key ?? 'No group'}
                />
              </div>
            </div>
            {summary.byGroup.every((g) => g.key === null) ? (
              <p class="hint">Groups are the teams of the Twilio numbers{isAdmin ? ', set in Settings → Twilio' : ''}.</p>
            ) : null}
          </>
        )
      ) : null}
    </section>
  );
}

function weekName(week: string | null): string {
  if (!week) return 'Unknown week';
  const start = weekStart(week);
  return start ? `${week} (from ${weekDay.format(start)})` : week;
}

function TotalsTable({
  label, testId, caption, head, rows, name,
}: {
  label: string;
  testId: string;
  caption: string;
  head: string;
  rows: readonly CsatTotal[];
  name: (key: string | null) => string;
}) {
  return (
    <TableRegion label={label} testId={testId} caption={caption} heads={[head, 'Ratings', 'Average']} class="report-table">
      {rows.map((r) => (
        <tr key={r.key ?? ''} data-testid="csat-row" data-key={r.key ?? ''}>
          <th scope="row" data-testid="csat-row-name">
            {name(r.key)}
          </th>
          <td class="num" data-testid="csat-row-ratings">
            {r.ratings.toLocaleString()}
          </td>
          <td class="num" data-testid="csat-row-average">
            {formatAverage(r.average)}
          </td>
        </tr>
      ))}
    </TableRegion>
  );
}
