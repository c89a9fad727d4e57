import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { KeySlots } from '../../actors/window/key-slots.ts';
import { SlicedWindows } from '../../actors/window/sliced-windows.ts';
import { WindowEmitter } from '../../actors/window/window-emitter.ts';
import { SeededRandom } from '../../src/index.ts';
import { packValue, unpackValue } from '../../src/state/snapshot-codec.ts';

type Fired = Array<[string, number, number]>; // key, window end, count

const count = { createAccumulator: () => 0, add: (_v: string, n: number) => n + 1, getResult: (n: number) => n, merge: (a: number, b: number) => a + b };

/** Sliding windows of 10 s over slices of 2 s, emitting [key, count] at the window's end. */
function sliding(): SlicedWindows<string, string, number, [string, number]> {
  const emitter = new WindowEmitter<string, number, unknown, [string, number], string>(count, (key, [n], ctx, out) => out.emit([key, n as number], ctx.window.end), false);
  return new SlicedWindows(10_000, 2_000, 0, 2_000, 0, emitter);
}

/**
 * Records in event-time order, 20 per ms over `ms` ms: half from 50 steady keys, half (before
 * `quietFrom`) from a key set that changes every 4 s (3000 keys each): keys come and go by the thousand.
 */
function churn(ms: number, quietFrom = ms): Array<[string, number]> {
  const r = new SeededRandom(11);
  const out: Array<[string, number]> = [];
  for (let ts = 0; ts < ms; ts++) for (let j = 0; j < 20; j++) out.push([j % 2 === 0 || ts >= quietFrom ? `s${r.int(50)}` : `g${Math.floor(ts / 4_000)}-${r.int(3_000)}`, ts]);
  return out;
}

/** Plain-TypeScript reference: the count per key of every window [start, start + 10 s) with start a multiple of 2 s. */
function reference(records: Array<[string, number]>): Fired {
  const m = new Map<string, number>();
  for (const [key, ts] of records) for (let start = Math.floor(ts / 2_000) * 2_000; start > ts - 10_000; start -= 2_000) m.set(`${key}|${start + 10_000}`, (m.get(`${key}|${start + 10_000}`) ?? 0) + 1);
  return sort([...m].map(([k, n]) => [k.split('|')[0]!, Number(k.split('|')[1]), n]));
}

/** Equal row lists; on a difference shows the first differing row (uvu's diff of 100k-row arrays takes minutes). */
function same(actual: Fired, expected: Fired): void {
  const i = actual.findIndex((row, j) => row.join() !== expected[j]?.join());
  assert.equal(i === -1 ? undefined : actual[i], i === -1 ? undefined : expected[i], `first difference at row ${i}`);
  assert.is(actual.length, expected.length);
}

const sort = (f: Fired): Fired => f.sort((a, b) => a[1] - b[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));

/** Feeds records, advancing the watermark every 1000 of them; returns what fired (with `end`, what the end of input fires too). */
function run(w: SlicedWindows<string, string, number, [string, number]>, records: Array<[string, number]>, end = true): Fired {
  const fired: Fired = [];
  const out = { emit: ([key, n]: [string, number], windowEnd: number) => void fired.push([key, windowEnd, n]) };
  for (let i = 0; i < records.length; i++) {
    w.add(records[i]![0], records[i]![1], records[i]![0], -Infinity, out);
    if (i % 1000 === 999) w.advance(records[i]![1] - 1, out);
  }
  if (end) w.advance(Infinity, out);
  return fired;
}

test('key slots: an idle key keeps its slot through one purge interval, is freed after a whole one, and its slot is reused', () => {
  const slots = new KeySlots<string>();
  for (let i = 0; i < 3000; i++) slots.hold(slots.slotOf(`k${i}`));
  const kept = slots.slotOf('k0');
  for (let i = 0; i < 3000; i++) slots.release(i);
  slots.sweep(); // the purge that idled them: none freed yet
  assert.is(slots.slotOf('k0'), kept);
  assert.is(slots.size, 3000);
  slots.hold(kept); // k0 comes back; the others stay idle through the next interval
  slots.sweep();
  assert.is(slots.size, 1);
  assert.is(slots.slotOf('k0'), kept);
  const reused = slots.slotOf('new');
  assert.ok(reused < 3000, 'a freed slot is reused');
  assert.is(slots.capacity, 3000);
  assert.ok(slots.sparse, 'most slots are free');
});

test('sliding windows over keys that come and go by the thousand: results equal the reference, freed slots are reused, and a sparse index is compacted', () => {
  const records = churn(90_000, 60_000);
  const w = sliding();
  const fired = run(w, records.slice(0, 60 * 20_000), false);
  // 45k keys came, about 12k at a time: freed slots are reused.
  assert.ok(w.keySlotCapacity < 20_000, `slot capacity ${w.keySlotCapacity}`);
  // Then only the 50 steady keys for 30 s: the generations' slots are freed and the index compacted.
  fired.push(...run(w, records.slice(60 * 20_000), false));
  assert.ok(w.keySlotCapacity < 1_000, `slot capacity ${w.keySlotCapacity}`);
  w.advance(Infinity, { emit: ([key, n]: [string, number], end: number) => void fired.push([key, end, n]) });
  same(sort(fired), reference(records));
});

test('sliding windows restored mid-stream from a packed snapshot, a delta and a by-reference one fire as the original', () => {
  const records = churn(30_000);
  const half = records.length / 2;
  const original = sliding();
  const before = run(original, records.slice(0, half), false);
  const packed = unpackValue(packValue(original.snapshot()));
  const byReference = original.snapshotDelta(true);
  assert.ok(original.snapshotByReference(), 'counts are primitives: snapshots may be kept by reference');
  const rest = run(original, records.slice(half));
  for (const restore of [(w: typeof original) => w.restore(packed), (w: typeof original) => (w.restore(null), w.restoreDelta(byReference))]) {
    const copy = sliding();
    restore(copy);
    same(sort(run(copy, records.slice(half))), sort([...rest]));
  }
  same(sort([...before, ...rest]), reference(records));
});

test('a snapshot kept by reference does not see later records, late ones into its closed slices included', () => {
  const early = churn(20_000);
  const later = churn(40_000).slice(20 * 20_000);
  const late: Array<[string, number]> = Array.from({ length: 500 }, (_, i) => [`late${i % 7}`, 12_000 + i]);
  const original = sliding();
  run(original, early, false);
  const shared = original.snapshotDelta(true);
  run(original, late, false);
  run(original, later);
  const copy = sliding();
  copy.restore(null);
  copy.restoreDelta(shared);
  const reference = sliding();
  run(reference, early, false);
  same(sort(run(copy, later)), sort(run(reference, later)));
});

test('snapshots kept by reference one after another, as the actor keeps them (the latest only): the latest restores its moment while the windows reuse arrays earlier ones held', () => {
  const records = churn(25_000);
  const expected = reference(records);
  const original = sliding();
  const fired: Fired = [];
  const out = { emit: ([key, n]: [string, number], windowEnd: number) => void fired.push([key, windowEnd, n]) };
  let latest: { snapshot: unknown; at: number; fired: number } | undefined;
  let checks = 0;
  for (let i = 0; i < records.length; i++) {
    original.add(records[i]![0], records[i]![1], records[i]![0], -Infinity, out);
    if (i % 1000 === 999) original.advance(records[i]![1] - 1, out);
    if (i % 100_000 === 99_999) latest = { snapshot: original.snapshotDelta(true), at: i + 1, fired: fired.length };
    // 90k records after the latest snapshot (slices of 40k records: one it holds was dropped since, and a new one took its arrays): restore a copy from it.
    if (i % 100_000 === 89_999 && latest) {
      const copy = sliding();
      copy.restore(null);
      copy.restoreDelta(latest.snapshot);
      same(sort([...fired.slice(0, latest.fired), ...run(copy, records.slice(latest.at))]), expected);
      checks++;
    }
  }
  original.advance(Infinity, out);
  same(sort(fired), expected);
  assert.is(checks, 4);
});

test('object accumulators are never kept by reference (they may change in place)', () => {
  const list = { createAccumulator: () => [] as string[], add: (v: string, acc: string[]) => (acc.push(v), acc), getResult: (acc: string[]) => acc.length, merge: (a: string[], b: string[]) => a.concat(b) };
  const w = new SlicedWindows<string, string, string[], number>(10, 2, 0, 2, 0, new WindowEmitter<string, string[], unknown, number, string>(list, undefined, false));
  for (let i = 0; i < 2000; i++) w.add('x', i % 10, 'x', -Infinity, { emit: () => {} });
  assert.not.ok(w.snapshotByReference());
});

test.run();
