import { SeededRandom } from '../../src/connectors/seeded-random.ts';

/** A record of the seeded test stream. */
export interface Event {
  i: number;
  key: string;
  value: number;
}

/** Record i of the seeded stream: same (seed, i) → same record, in every run. */
export function makeEvent(i: number, random: SeededRandom, keys = 100): Event {
  return { i, key: `k${random.int(keys)}`, value: random.int(1000) };
}

/** The seeded stream as an array (for references). */
export function events(count: number, seed: number, keys = 100): Event[] {
  const r = new SeededRandom(seed);
  const out: Event[] = [];
  for (let i = 0; i < count; i++) out.push(makeEvent(i, r.reset(i), keys));
  return out;
}

/** The reference of a keyed running sum over the seeded stream: one output per input, `value` summed per key. */
export function runningSums(count: number, seed: number, keys = 100): Event[] {
  const state = new Map<string, Event>();
  const out: Event[] = [];
  for (const e of events(count, seed, keys)) {
    const prev = state.get(e.key);
    const next = prev ? { i: e.i, key: e.key, value: prev.value + e.value } : e;
    state.set(e.key, next);
    out.push(next);
  }
  return out;
}

/** Compares outputs with a reference per key (order within a key must match): lost, duplicated, and the first difference. */
export function compareByKey<T>(actual: T[], expected: T[], key: (v: T) => string, id: (v: T) => string): { lost: number; duplicated: number; mismatch?: string } {
  const group = (xs: T[]) => {
    const m = new Map<string, string[]>();
    for (const x of xs) {
      const k = key(x);
      if (!m.has(k)) m.set(k, []);
      m.get(k)!.push(id(x));
    }
    return m;
  };
  const a = group(actual);
  const e = group(expected);
  let lost = 0;
  let duplicated = 0;
  let mismatch: string | undefined;
  for (const [k, exp] of e) {
    const act = a.get(k) ?? [];
    const seen = new Map<string, number>();
    for (const x of act) seen.set(x, (seen.get(x) ?? 0) + 1);
    for (const x of exp) {
      const n = seen.get(x) ?? 0;
      if (n === 0) lost++;
      else seen.set(x, n - 1);
    }
    for (const n of seen.values()) duplicated += n;
    if (mismatch === undefined && act.join('|') !== exp.join('|')) mismatch = `key ${k}: first difference at position ${firstDiff(act, exp)}`;
  }
  for (const [k, act] of a) if (!e.has(k)) duplicated += act.length;
  return { lost, duplicated, mismatch };
}

function firstDiff(a: string[], b: string[]): number {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return i;
}
