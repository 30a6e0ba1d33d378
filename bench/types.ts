/** One row of `npm run bench`: a measured figure with its unit and a note (spread, comparison). */
export interface BenchRow {
  name: string;
  size: string;
  value: number;
  unit: string;
  note?: string;
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : 0.5 * (s[m - 1] + s[m]);
}
