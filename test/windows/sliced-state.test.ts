import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { SlicedWindows } from '../../actors/window/sliced-windows.ts';
import { WindowEmitter } from '../../actors/window/window-emitter.ts';
import { packValue, unpackValue } from '../../src/state/snapshot-codec.ts';

type Fired = Array<[number, number]>; // window end, count

const count = { createAccumulator: () => 0, add: (_v: string, n: number) => n + 1, getResult: (n: number) => n, merge: (a: number, b: number) => a + b };

/** Sliding windows of 10 over slices of 2, counting records per key. */
function sliding(): SlicedWindows<string, string, number, number> {
  return new SlicedWindows<string, string, number, number>(10, 2, 0, 2, 0, new WindowEmitter<string, number, unknown, number, string>(count, undefined, false));
}

function feed(w: SlicedWindows<string, string, number, number>, records: Array<[string, number]>): void {
  for (const [key, ts] of records) w.add(key, ts, key, -Infinity, { emit: () => {} });
}

/** Fires every window up to `watermark`: each key's count with its window end, sorted. */
function fire(w: SlicedWindows<string, string, number, number>, watermark: number): Fired {
  const fired: Fired = [];
  w.advance(watermark, { emit: (n, ts) => fired.push([ts + 1, n]) });
  return fired.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
}

function restored(state: unknown): SlicedWindows<string, string, number, number> {
  const w = sliding();
  w.restore(state);
  return w;
}

const RECORDS: Array<[string, number]> = Array.from({ length: 400 }, (_, i) => [`k${i % 7}`, (i * 13) % 40]);

test('sliced windows restore from their snapshot and deltas (columnar) through msgpack: the same firings as the original', () => {
  const original = sliding();
  feed(original, RECORDS.slice(0, 200));
  const full = unpackValue(packValue(original.snapshot()));
  feed(original, RECORDS.slice(200));
  const delta = unpackValue(packValue(original.snapshotDelta()));
  const copy = restored(full);
  copy.restoreDelta(delta);
  const firings = fire(original, 100);
  assert.ok(firings.length > 20, 'windows fired');
  assert.equal(fire(copy, 100), firings);
});

test('sliced windows read the earlier [start, [[key, acc], ...]] slice layout, and rescaling keeps only the owned keys', () => {
  const original = sliding();
  feed(original, RECORDS);
  const state = unpackValue(packValue(original.snapshot())) as { slices: Array<[number, string[], number[]]>; firedUpTo: number; lifecycles: unknown[] };
  const pairs = { ...state, slices: state.slices.map(([start, keys, accs]) => [start, keys.map((k, i) => [k, accs[i]])]) };
  assert.equal(fire(restored(pairs), 100), fire(restored(state), 100));
  const owns = (k: string) => k === 'k1' || k === 'k4';
  for (const layout of [state, pairs]) {
    const part = sliding();
    part.restoreFiltered([layout], owns);
    const reference = sliding();
    feed(reference, RECORDS.filter(([k]) => owns(k)));
    assert.equal(fire(part, 100), fire(reference, 100));
  }
});

test('a merge that is not commutative (concatenation) sees the slices in time order, on every firing path', () => {
  // Records in time order, one per ms over 3 keys; windows of 10 ms sliding by 2 (5 slices each), and with the
  // watermark held back now and then so several windows fire at once.
  const concat = { createAccumulator: () => '', add: (v: string, acc: string) => acc + v, getResult: (acc: string) => acc, merge: (a: string, b: string) => a + b };
  const w = new SlicedWindows<string, string, string, [string, number, string]>(
    10, 2, 0, 2, 0,
    new WindowEmitter<string, string, unknown, [string, number, string], string>(concat, (key, [acc], ctx, out) => out.emit([key, ctx.window.end, acc as string], ctx.window.end), false),
  );
  const got: Array<[string, number, string]> = [];
  const out = { emit: (row: [string, number, string]) => void got.push(row) };
  const records = Array.from({ length: 600 }, (_, ts) => [`k${ts % 3}`, ts, `${ts},`] as const);
  for (const [key, ts, v] of records) {
    w.add(v, ts, key, -Infinity, out);
    if (ts % 7 === 6 && ts % 5 !== 0) w.advance(ts - 1, out);
  }
  w.advance(Infinity, out);
  const expected = new Map<string, string>();
  for (const [key, ts, v] of records) for (let start = Math.floor(ts / 2) * 2; start > ts - 10; start -= 2) expected.set(`${key}|${start + 10}`, (expected.get(`${key}|${start + 10}`) ?? '') + v);
  assert.is(got.length, expected.size);
  for (const [key, end, acc] of got) assert.is(acc, expected.get(`${key}|${end}`), `${key}, window ending ${end}`);
});

test('an aggregate written as a class (its merge reads `this`) fires sliding windows as plain counting does', () => {
  class Counting {
    readonly one = 1;
    createAccumulator(): number {
      return 0;
    }
    add(_v: string, n: number): number {
      return n + this.one;
    }
    getResult(n: number): number {
      return n;
    }
    merge(a: number, b: number): number {
      return this.one * (a + b);
    }
  }
  const w = new SlicedWindows<string, string, number, number>(10, 2, 0, 2, 0, new WindowEmitter<string, number, unknown, number, string>(new Counting(), undefined, false));
  const records: Array<[string, number]> = Array.from({ length: 200 }, (_, ts) => [`k${ts % 4}`, ts]);
  const fired: Fired = [];
  const out = { emit: (n: number, ts: number) => void fired.push([ts + 1, n]) };
  for (const [key, ts] of records) {
    w.add(key, ts, key, -Infinity, out);
    if (ts % 2 === 1) w.advance(ts, out);
  }
  w.advance(Infinity, out);
  const reference = sliding();
  feed(reference, records);
  assert.equal(fired.sort((a, b) => a[0] - b[0] || a[1] - b[1]), fire(reference, Infinity));
});

test.run();
