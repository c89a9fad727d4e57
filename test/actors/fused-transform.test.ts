import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { FusedTransform } from '../../actors/chain/fused-transform.ts';
import { UserFunctionError } from '../../src/index.ts';

test('map, flatMap (array and generator) and filter fuse into one loop with the same results as step by step', () => {
  const steps = [
    { kind: 'map', name: 'inc', fn: (x: number) => x + 1 },
    { kind: 'flatMap', name: 'dup', fn: (x: number) => [x, x * 10] },
    { kind: 'filter', name: 'odd', fn: (x: number) => x % 2 === 1 },
    { kind: 'flatMap', name: 'gen', fn: function* (x: number) { yield x; yield -x; } },
    { kind: 'filter', name: 'pos', fn: (x: number) => x > 0 },
    { kind: 'map', name: 'str', fn: (x: number) => `s${x}` },
  ] as const;
  const input = Array.from({ length: 50 }, (_, i) => i);
  const ts = input.map((i) => 1000 + i);
  const out = { values: [] as unknown[], timestamps: [] as number[] };
  new FusedTransform([...steps]).processBatch(input, ts, 0, out);
  // Reference: apply each step to whole arrays.
  let ref = input.map((v, i) => [v, ts[i]!] as [unknown, number]);
  for (const s of steps) {
    if (s.kind === 'map') ref = ref.map(([v, t]) => [(s.fn as (x: unknown) => unknown)(v), t]);
    if (s.kind === 'filter') ref = ref.filter(([v]) => (s.fn as (x: unknown) => boolean)(v));
    if (s.kind === 'flatMap') ref = ref.flatMap(([v, t]) => [...(s.fn as (x: unknown) => Iterable<unknown>)(v)].map((x) => [x, t] as [unknown, number]));
  }
  assert.equal(out.values, ref.map(([v]) => v));
  assert.equal(out.timestamps, ref.map(([, t]) => t));
});

test('a throwing step is reported with its own name, the record index and the record', () => {
  const op = new FusedTransform([
    { kind: 'map', name: 'double', fn: (x: number) => x * 2 },
    { kind: 'map', name: 'check', fn: (x: number) => { if (x === 6) throw new RangeError('six'); return x; } },
  ]);
  const out = { values: [] as unknown[], timestamps: [] as number[] };
  try {
    op.processBatch([1, 2, 3, 4], [10, 20, 30, 40], 0, out);
    assert.unreachable();
  } catch (e) {
    // Outputs are written into arrays sized up front: they end at the failing record, with no holes.
    assert.equal(out.values, [2, 4]);
    assert.equal(out.timestamps, [10, 20]);
    assert.instance(e, UserFunctionError);
    const err = e as UserFunctionError;
    assert.is(err.index, 2);
    assert.is(err.record, 3);
    assert.match(err.message, /operator 'check'/);
    assert.match(err.message, /six/);
    assert.instance(err.cause, RangeError);
  }
});



test('a traced batch gives the same output as an untraced one, and says where each sampled record went', () => {
  const op = new FusedTransform([
    { kind: 'map', name: 'inc', fn: (x: number) => x + 1 },
    { kind: 'filter', name: 'odd', fn: (x: number) => x % 2 === 1 },
    { kind: 'flatMap', name: 'twice', fn: (x: number) => (x % 3 === 0 ? [x, -x] : [x]) },
  ]);
  const values = Array.from({ length: 50 }, (_, i) => i);
  const plain = { values: [] as unknown[], timestamps: null };
  op.processBatch(values, null, 0, plain);
  const traced = { values: [] as unknown[], timestamps: null };
  const hits: number[] = [];
  const sampled = [0, 1, 2, 8, 49];
  op.processBatchTraced(values, null, traced, sampled.map((s): [number, string] => [s, `tp${s}`]), hits);
  assert.equal(traced.values, plain.values);
  const expected: number[] = [];
  for (const s of sampled) {
    const x = s + 1;
    if (x % 2 !== 1) continue; // filtered: no hit
    const outs = x % 3 === 0 ? [x, -x] : [x];
    for (const o of outs) expected.push(s, plain.values.indexOf(o));
  }
  assert.equal(hits, expected);
  assert.ok(hits.length >= 4, 'some sampled records survived, one into two outputs');
});

test.run();
