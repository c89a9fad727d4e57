/**
 * Records of `want` not in `got` (lost) and of `got` not in `want` (duplicated or wrong), compared as JSON,
 * with up to five examples of each (a wrong record shows as one missing and one extra).
 */
export function multisetDiff(got: readonly unknown[], want: readonly unknown[]): { missing: number; extra: number; examples: { missing: string[]; extra: string[] } } {
  const counts = new Map<string, number>();
  for (const w of want) counts.set(JSON.stringify(w), (counts.get(JSON.stringify(w)) ?? 0) + 1);
  let extra = 0;
  const examples = { missing: [] as string[], extra: [] as string[] };
  for (const g of got) {
    const k = JSON.stringify(g);
    const n = counts.get(k) ?? 0;
    if (n === 0) {
      extra++;
      if (examples.extra.length < 5) examples.extra.push(k);
    } else counts.set(k, n - 1);
  }
  let missing = 0;
  for (const [k, n] of counts) {
    missing += n;
    if (n > 0 && examples.missing.length < 5) examples.missing.push(k);
  }
  return { missing, extra, examples };
}
