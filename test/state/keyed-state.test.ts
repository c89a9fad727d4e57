import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { SimulatedClock, ValueStateDescriptor, ListStateDescriptor, MapStateDescriptor, ReducingStateDescriptor, AggregatingStateDescriptor, type ValueState, type ListState, type MapState, type ReducingState, type AggregatingState } from '../../src/index.ts';
import { KeyedStateBackend } from '../../src/state/keyed-state-backend.ts';
import { packValue, unpackValue } from '../../src/state/snapshot-codec.ts';

const ttl = { ttl: { ttlMs: 100 } };

test('value, list, map, reducing and aggregating state are per key', () => {
  const b = new KeyedStateBackend<string>('op', new SimulatedClock(0), 128, 1, 0);
  const v = b.state<ValueState<number>>(new ValueStateDescriptor<number>('v', { defaultValue: 7 }));
  const l = b.state<ListState<string>>(new ListStateDescriptor<string>('l'));
  const m = b.state<MapState<string, number>>(new MapStateDescriptor<string, number>('m'));
  const r = b.state<ReducingState<number>>(new ReducingStateDescriptor<number>('r', (x, y) => x + y));
  const a = b.state<AggregatingState<number, number>>(new AggregatingStateDescriptor('a', { createAccumulator: () => [0, 0] as [number, number], add: (x: number, [s, n]: [number, number]) => [s + x, n + 1] as [number, number], getResult: ([s, n]) => s / n, merge: (x, y) => [x[0] + y[0], x[1] + y[1]] as [number, number] }));
  b.currentKey = 'x';
  assert.is(v.value(), 7);
  v.update(1); l.add('a'); l.add('b'); m.put('k', 1); r.add(2); r.add(3); a.add(2); a.add(4);
  b.currentKey = 'y';
  assert.is(v.value(), 7);
  assert.equal(l.get(), []);
  assert.ok(m.isEmpty());
  assert.is(r.get(), undefined);
  b.currentKey = 'x';
  assert.is(v.value(), 1);
  assert.equal(l.get(), ['a', 'b']);
  assert.equal(m.entries(), [['k', 1]]);
  assert.is(r.get(), 5);
  assert.is(a.get(), 3);
  assert.throws(() => b.state(new ListStateDescriptor('v')), /registered as value state/);
});

test('TTL: expired entries are never returned and are dropped from snapshots; onReadAndWrite refreshes', () => {
  const clock = new SimulatedClock(0);
  const b = new KeyedStateBackend<string>('op', clock, 128, 1, 0);
  const v = b.state<ValueState<number>>(new ValueStateDescriptor<number>('v', ttl));
  const l = b.state<ListState<number>>(new ListStateDescriptor<number>('l', ttl));
  const m = b.state<MapState<string, number>>(new MapStateDescriptor<string, number>('m', ttl));
  const read = b.state<ValueState<number>>(new ValueStateDescriptor<number>('read', { ttl: { ttlMs: 100, updateType: 'onReadAndWrite' } }));
  b.currentKey = 'k';
  v.update(1); l.add(1); m.put('a', 1); read.update(1);
  clock.advance(60);
  l.add(2); m.put('b', 2);
  assert.is(read.value(), 1); // refreshed to expire at 160
  clock.advance(50); // now 110
  assert.is(v.value(), undefined);
  assert.equal(l.get(), [2]);
  assert.equal(m.entries(), [['b', 2]]);
  assert.is(read.value(), 1);
  clock.advance(200);
  const snap = b.snapshot();
  assert.equal(snap.groups, [], 'everything expired: the snapshot holds nothing');
});

test('snapshots are per key group: state of 2 subtasks restores into 3 and into 1 with nothing lost', () => {
  const clock = new SimulatedClock(0);
  const d = new ValueStateDescriptor<number>('count');
  const keys = Array.from({ length: 500 }, (_, i) => `key-${i}`);
  const old = [0, 1].map((s) => new KeyedStateBackend<string>('op', clock, 128, 2, s));
  for (const k of keys) {
    // Put each key where hash partitioning would: try both, the owning one keeps it after restore.
    for (const b of old) {
      b.currentKey = k;
      b.state<ValueState<number>>(d).update(k.length);
      b.eventTimers.register(k, 10);
    }
  }
  const snaps = old.map((b) => unpackValue(packValue(b.snapshot())) as ReturnType<KeyedStateBackend<string>['snapshot']>);
  for (const p of [3, 1]) {
    const fresh = Array.from({ length: p }, (_, s) => new KeyedStateBackend<string>('op', clock, 128, p, s));
    for (const b of fresh) b.restore(snaps);
    const total = fresh.reduce((n, b) => n + b.keyCount(), 0);
    // Every key was written into both old subtasks; after restore exactly one new subtask owns it.
    assert.is(total, keys.length);
    assert.is(fresh.reduce((n, b) => n + b.eventTimers.size, 0), keys.length);
    for (const b of fresh) {
      const lazily = b.state<ValueState<number>>(d);
      for (const [k] of (lazily as unknown as { table: Map<string, number> }).table) {
        b.currentKey = k;
        assert.is(lazily.value(), k.length);
      }
    }
  }
});

test('delta snapshots: list appends travel as appends, and a full snapshot plus its deltas restores the same state', () => {
  const clock = new SimulatedClock(0);
  const live = new KeyedStateBackend<string>('op', clock, 128, 1, 0);
  const list = live.state<ListState<number>>(new ListStateDescriptor<number>('l'));
  const value = live.state<ValueState<number>>(new ValueStateDescriptor<number>('v'));
  let seed = 7;
  const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31);
  const keys = ['a', 'b', 'c', 'd', 'e'];
  const base = unpackValue(packValue(live.snapshot()));
  const deltas: unknown[] = [];
  for (let round = 0; round < 20; round++) {
    for (let i = 0; i < 50; i++) {
      live.currentKey = keys[next() % keys.length]!;
      const op = next() % 20;
      if (op === 0) list.clear();
      else if (op === 1) list.update([next() % 100]);
      else if (op === 2) value.update(next() % 100);
      else list.add(next() % 1000);
    }
    const d = live.delta();
    deltas.push(unpackValue(packValue(d)));
  }
  // A key only appended to carries its new elements, not its whole list.
  live.currentKey = 'a';
  const before = list.get().length;
  list.add(1);
  list.add(2);
  const d = live.delta();
  assert.equal(d.keys, []);
  assert.equal(d.appends, [['a', [['l', [1, 2]]]]]);
  assert.ok(before >= 5, `the list is long (${before}) while the delta holds 2 elements`);
  deltas.push(unpackValue(packValue(d)));
  const restored = new KeyedStateBackend<string>('op', clock, 128, 1, 0);
  restored.restore([base as never]);
  for (const delta of deltas) restored.applyDelta(delta as never);
  const rl = restored.state<ListState<number>>(new ListStateDescriptor<number>('l'));
  const rv = restored.state<ValueState<number>>(new ValueStateDescriptor<number>('v'));
  for (const k of keys) {
    live.currentKey = k;
    restored.currentKey = k;
    assert.equal(rl.get(), list.get(), `list of ${k}`);
    assert.equal(rv.value(), value.value(), `value of ${k}`);
  }
});

test.run();
