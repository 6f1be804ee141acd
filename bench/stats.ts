/** Small statistics for the bench: spread as min / median / max. */
export interface Spread {
  median: number;
  min: number;
  max: number;
  runs: number;
}

export const round = (value: number, places = 1): number => Math.round(value * 10 ** places) / 10 ** places;

export function spread(values: number[], places = 1): Spread {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length / 2;
  const median = sorted.length % 2 ? sorted[Math.floor(middle)]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
  return {
    median: round(median, places),
    min: round(sorted[0]!, places),
    max: round(sorted.at(-1)!, places),
    runs: values.length
  };
}

export const showSpread = (s: Spread, unit = ' ms'): string => `${s.median}${unit} (${s.min}–${s.max})`;
export const showRatio = (s: Spread): string => `${s.median}x (${s.min}–${s.max})`;

/** Total length of the union of [start, end] intervals, clipped to [from, to]. */
export function unionLength(intervals: [number, number][], from: number, to: number): number {
  const clipped = intervals
    .map(([start, end]): [number, number] => [Math.max(start, from), Math.min(end, to)])
    .filter(([start, end]) => end > start)
    .sort((a, b) => a[0] - b[0]);
  let total = 0;
  let reach = -Infinity;
  for (const [start, end] of clipped) {
    if (end <= reach) continue;
    total += end - Math.max(start, reach);
    reach = end;
  }
  return total;
}
