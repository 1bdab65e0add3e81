// npm run bench:html
//
// How htmlToText's time grows with the size of a helpdesk reply: the same paragraph repeated 1,250 to 10,000
// times (about 110 kB to 860 kB). Linear means 8× the input takes about 8× the time; the check allows 16×. The unit
// test only checks the output of a large input: a speed bound there would fail on a busy CI machine.
// A report, not a test: exits 0 and marks the check ✓ or ✗.
import { htmlToText } from '../src/domain/html-to-text.ts';
import { mark, ms } from './lib/format.ts';

const PARAGRAPH = '<div>Hello &amp; welcome <a href="https://x.example/1">link</a></div><p>para<br>line</p>';
const SIZES = [1250, 2500, 5000, 10000];

/** Median of five runs, in ms. */
function timeOf(html: string): number {
  const runs = Array.from({ length: 5 }, () => {
    const started = performance.now();
    htmlToText(html);
    return performance.now() - started;
  }).sort((a, b) => a - b);
  return runs[2]!;
}

htmlToText(PARAGRAPH.repeat(SIZES[0]!)); // warm-up
const times = SIZES.map((n) => timeOf(PARAGRAPH.repeat(n)));
SIZES.forEach((n, i) => console.log(`${String(n).padStart(6)} paragraphs (${Math.round((n * PARAGRAPH.length) / 1024)} kB): ${ms(times[i]!)}`));
const growth = times.at(-1)! / times[0]!;
console.log(`${mark(growth <= 16)} 8× the input took ${growth.toFixed(1)}× the time (linear: ~8×, allowed: 16×)`);
