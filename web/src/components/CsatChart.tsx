import { useEffect, useRef, useState } from 'preact/hooks';
import { formatAverage, type CsatTotal } from '../csat-report.ts';
import { plural } from '../format.ts';

const HEIGHT = 240;
const MARGIN = { top: 22, right: 12, bottom: 46, left: 34 };

/**
 * The average rating of each week as a bar (scale 0–5), its number of ratings under the week, drawn at the
 * width it is shown at (so its text stays readable on a phone). Hand-written SVG: one image for assistive
 * technology, named by its <title> and described by its <desc>; the table after it has the same figures.
 */
export function CsatChart({ weeks, id, tableName }: { weeks: readonly CsatTotal[]; id: string; tableName: string }) {
  const wrap = useRef<HTMLDivElement>(null);
  const [width, setWidth] = useState(720);
  useEffect(() => {
    const el = wrap.current;
    if (!el) return;
    const measure = () => setWidth(Math.max(240, Math.floor(el.clientWidth)));
    measure();
    if (typeof ResizeObserver === 'undefined') return;
    const observer = new ResizeObserver(measure);
    observer.observe(el);
    return () => observer.disconnect();
  }, []);

  const plotW = width - MARGIN.left - MARGIN.right;
  const plotH = HEIGHT - MARGIN.top - MARGIN.bottom;
  const band = plotW / Math.max(1, weeks.length);
  const barW = Math.max(2, Math.min(44, band * 0.7));
  const y = (v: number) => MARGIN.top + plotH - (v / 5) * plotH;
  const x = (i: number) => MARGIN.left + band * i + band / 2;
  // Figures on every bar only while they fit; week names every `every` weeks (about 36 px apart at least).
  const figures = band >= 30;
  const every = Math.max(1, Math.ceil(36 / band));

  const rated = weeks.filter((w) => w.ratings > 0);
  const total = rated.reduce((n, w) => n + w.ratings, 0);
  const first = weeks[0]?.key ?? '';
  const last = weeks[weeks.length - 1]?.key ?? '';
  const titleId = `${id}-title`;
  const descId = `${id}-desc`;
  const description =
    `Bars: the average rating of each week from ${first} to ${last}, on a scale of 1 (poor) to 5 (great). ` +
    `${plural(total, 'rating')} in ${plural(rated.length, 'week')}` +
    // Each week's figures while they are few; past a dozen, the table is the better way to hear them.
    (rated.length && rated.length <= 12 ? `: ${rated.map((w) => `${w.key} ${formatAverage(w.average)} from ${plural(w.ratings, 'rating')}`).join('; ')}. ` : '. ') +
    `The table “${tableName}” below has the same figures.`;

  return (
    <figure class="chart" data-testid="csat-chart">
      <div class="chart-wrap" ref={wrap}>
        <svg
          role="img"
          aria-labelledby={`${titleId} ${descId}`}
          width={width}
          height={HEIGHT}
          viewBox={`0 0 ${width} ${HEIGHT}`}
          class="chart-svg"
          focusable="false"
        >
          <title id={titleId}>Average CSAT rating per week</title>
          <desc id={descId}>{description}</desc>
          {[0, 1, 2, 3, 4, 5].map((v) => (
            <g key={v} class="chart-grid">
              <line x1={MARGIN.left} x2={width - MARGIN.right} y1={y(v)} y2={y(v)} class={v === 0 ? 'chart-axis' : 'chart-gridline'} />
              {v > 0 ? (
                <text x={MARGIN.left - 8} y={y(v)} dy="0.35em" text-anchor="end" class="chart-tick">
                  {v}
                </text>
              ) : null}
            </g>
          ))}
          {weeks.map((w, i) => (
            <g key={w.key ?? i} class="chart-week">
              {w.ratings > 0 && w.average !== null ? (
                <g data-testid="csat-bar" data-week={w.key} data-ratings={w.ratings} data-average={formatAverage(w.average)}>
                  <title>{`${w.key}: average ${formatAverage(w.average)} from ${plural(w.ratings, 'rating')}`}</title>
                  <rect class="chart-bar" x={x(i) - barW / 2} y={y(w.average)} width={barW} height={Math.max(1, y(0) - y(w.average))} rx={2} />
                  {figures ? (
                    <text x={x(i)} y={y(w.average) - 6} text-anchor="middle" class="chart-value" data-testid="csat-bar-value">
                      {formatAverage(w.average)}
                    </text>
                  ) : null}
                </g>
              ) : null}
              {i % every === 0 ? (
                <text x={x(i)} y={y(0) + 16} text-anchor="middle" class="chart-tick">
                  {w.key ? w.key.slice(5) : ''}
                </text>
              ) : null}
              {figures ? (
                <text x={x(i)} y={y(0) + 34} text-anchor="middle" class="chart-count" data-testid="csat-bar-count">
                  {w.ratings}
                </text>
              ) : null}
            </g>
          ))}
        </svg>
      </div>
      <figcaption class="hint">
        Bars: each week's average rating, from 1 (poor) to 5 (great).{figures ? ' Under each week: its number of ratings.' : ''} Weeks are ISO
        weeks (Monday to Sunday, UTC).
      </figcaption>
    </figure>
  );
}
