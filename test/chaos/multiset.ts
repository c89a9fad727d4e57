/** How a trial's output differs from its reference, counted as multisets of rows. */
export interface Difference {
  lost: number;
  duplicated: number;
  unexpected: number;
  /** A few rows of each kind, for the failure message. */
  examples: { lost: string[]; duplicated: string[]; unexpected: string[] };
}

/**
 * Compares output rows with the reference as multisets: a reference row missing (or present
 * fewer times) is lost; a reference row present more often is duplicated; a row the reference
 * does not have at all is unexpected.
 */
export function compareMultisets(actual: Iterable<string>, expected: Iterable<string>): Difference {
  const want = new Map<string, number>();
  for (const row of expected) want.set(row, (want.get(row) ?? 0) + 1);
  const got = new Map<string, number>();
  for (const row of actual) got.set(row, (got.get(row) ?? 0) + 1);
  const d: Difference = { lost: 0, duplicated: 0, unexpected: 0, examples: { lost: [], duplicated: [], unexpected: [] } };
  const note = (kind: 'lost' | 'duplicated' | 'unexpected', row: string, n: number) => {
    d[kind] += n;
    if (d.examples[kind].length < 5) d.examples[kind].push(row);
  };
  for (const [row, n] of want) {
    const m = got.get(row) ?? 0;
    if (m < n) note('lost', row, n - m);
    if (m > n) note('duplicated', row, m - n);
  }
  for (const [row, m] of got) if (!want.has(row)) note('unexpected', row, m);
  return d;
}
