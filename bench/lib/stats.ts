// Statistics and the one summary line every benchmark prints (`name: key=value …`).

/** The p-th percentile (0–100) of xs by nearest rank; NaN for no values. */
export function percentile(xs: readonly number[], p: number): number {
  const sorted = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))] as number;
}

/** The median (50th percentile by nearest rank). */
export const median = (xs: readonly number[]): number => percentile(xs, 50);

/** a / b, NaN when b is 0 or either is not a number. */
export function ratio(a: number, b: number): number {
  return Number.isFinite(a) && Number.isFinite(b) && b !== 0 ? a / b : NaN;
}

/** Peak of a series (NaN when empty). */
export const max = (xs: readonly number[]): number =>
  xs.length ? xs.reduce((m, x) => (x > m ? x : m), -Infinity) : NaN;

/** A value as the summary line shows it: integers as is, other numbers with `digits` decimals. */
export function fmt(v: number | string | boolean, digits = 1): string {
  if (typeof v !== "number") return String(v);
  if (!Number.isFinite(v)) return "NaN";
  return Number.isInteger(v) ? String(v) : v.toFixed(digits);
}

/** `name: k=v k=v …` (ratios get 3 decimals: key names ending in "ratio"). */
export function summaryLine(name: string, fields: Record<string, number | string | boolean>): string {
  const parts = Object.entries(fields).map(([k, v]) => `${k}=${fmt(v, /ratio/.test(k) ? 3 : 1)}`);
  return `${name}: ${parts.join(" ")}`;
}
