/** Records of `want` not in `got` (lost) and of `got` not in `want` (duplicated or wrong), compared as JSON. */
export function multisetDiff(got: readonly unknown[], want: readonly unknown[]): { missing: number; extra: number } {
  const counts = new Map<string, number>();
  for (const w of want) counts.set(JSON.stringify(w), (counts.get(JSON.stringify(w)) ?? 0) + 1);
  let extra = 0;
  for (const g of got) {
    const k = JSON.stringify(g);
    const n = counts.get(k) ?? 0;
    if (n === 0) extra++;
    else counts.set(k, n - 1);
  }
  let missing = 0;
  for (const n of counts.values()) missing += n;
  return { missing, extra };
}
