// Number formatting shared by the bench scripts' reports.

/** A whole number with thousands separators: 12,345. */
export const int = (n: number) => Math.round(n).toLocaleString('en-US');
/** Milliseconds, one decimal below 10: "4.2 ms", "37 ms". */
export const ms = (n: number) => (n < 10 ? n.toFixed(1) : Math.round(n).toString()) + ' ms';
/** ✓ or ✗ for a check or floor. */
export const mark = (met: boolean) => (met ? '✓' : '✗');
/** Rounded to `digits` decimals, as a number (for the results JSON). */
export const round = (n: number, digits = 2) => Number(n.toFixed(digits));
