/** Durations in words, for people (pure: the keys rules and the pages share it). */

/** "1 year", "2 hours", "90 seconds"; negative = "never expires". */
export function formatSeconds(s: number): string {
  if (s < 0) return 'never expires';
  const units: [number, string][] = [
    [31_536_000, 'year'],
    [86_400, 'day'],
    [3600, 'hour'],
    [60, 'minute'],
  ];
  for (const [n, name] of units) {
    if (s % n === 0 && s >= n) return s === n ? `1 ${name}` : `${s / n} ${name}s`;
  }
  return s === 1 ? '1 second' : `${s} seconds`;
}
