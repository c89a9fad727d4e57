import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { SeededRandom, type MapState, type KeyedProcessContext, type OnTimerContext, type ProcessCollector } from '../../src/index.ts';
import { windowJoin, type WindowAggregateSpec } from '../../src/internal.ts';

/**
 * The fused window join (q8's shape: two TUMBLE GROUP BYs joined on their window and key) registers
 * one event-time timer per key and window, not one per record, and its rows equal a plain-TypeScript
 * window join of the two groupings. The function runs here under a context that keeps its map state
 * per key and records the timers it registers.
 */

const SIZE = 1000;
type Row = { k: number; t: number };
const random = new SeededRandom(8);
const lefts: Row[] = Array.from({ length: 400 }, () => ({ k: random.int(6), t: random.int(8 * SIZE) })).sort((a, b) => a.t - b.t);
const rights: Row[] = Array.from({ length: 1200 }, () => ({ k: random.int(6), t: random.int(8 * SIZE) })).sort((a, b) => a.t - b.t);

const side = (): WindowAggregateSpec => ({
  input: undefined as never,
  size: SIZE,
  offset: 0,
  key: (r) => (r as Row).k,
  aggregate: { createAccumulator: () => 0, add: (_r, a) => a, merge: (x) => x, getResult: (a) => a },
  build: (key, _a, w) => ({ k: key, start: w.start }),
  groupCode: new Map(),
  windowColumns: new Map(),
  describe: 'TUMBLE',
});

test('one timer per key and window however many records it holds; the joined rows equal the reference', () => {
  const fn = windowJoin(side(), side(), undefined);
  const maps = new Map<unknown, Map<unknown, unknown>>();
  const registered: [unknown, number][] = [];
  const timers = new Map<string, { key: unknown; t: number }>();
  let key: unknown;
  let timestamp: number | undefined;
  const mapState: MapState<unknown, unknown> = {
    get: (k) => maps.get(key)?.get(k),
    put: (k, v) => void (maps.get(key) ?? maps.set(key, new Map()).get(key)!).set(k, v),
    contains: (k) => maps.get(key)?.has(k) ?? false,
    remove: (k) => void maps.get(key)?.delete(k),
    entries: () => [...(maps.get(key) ?? [])],
    keys: () => [...(maps.get(key)?.keys() ?? [])],
    values: () => [...(maps.get(key)?.values() ?? [])],
    isEmpty: () => (maps.get(key)?.size ?? 0) === 0,
    clear: () => void maps.delete(key),
  };
  const ctx = {
    get currentKey() {
      return key;
    },
    get timestamp() {
      return timestamp;
    },
    timeDomain: 'eventTime',
    getMapState: () => mapState,
    timerService: () => ({
      currentWatermark: () => -Infinity,
      currentProcessingTime: () => 0,
      registerEventTimeTimer: (t: number) => {
        registered.push([key, t]);
        timers.set(`${key}@${t}`, { key, t });
      },
      registerProcessingTimeTimer: () => {},
      deleteEventTimeTimer: () => {},
      deleteProcessingTimeTimer: () => {},
    }),
  } as unknown as KeyedProcessContext<unknown> & OnTimerContext<unknown>;
  const out: unknown[][] = [];
  const collector = { collect: (t: unknown[]) => void out.push(t) } as unknown as ProcessCollector<unknown[]>;
  const feed = (r: Row, n: 1 | 2) => {
    key = r.k;
    timestamp = r.t;
    if (n === 1) fn.processElement1(r, ctx, collector);
    else fn.processElement2(r, ctx, collector);
  };
  for (const r of lefts) feed(r, 1);
  for (const r of rights) feed(r, 2);
  timestamp = undefined;
  for (const { key: k, t } of [...timers.values()].sort((a, b) => a.t - b.t)) {
    key = k;
    fn.onTimer!(t, ctx, collector);
  }
  const windowsOf = (rows: Row[]) => new Set(rows.map((r) => `${r.k}@${Math.floor(r.t / SIZE) * SIZE + SIZE - 1}`));
  const keyWindows = new Set([...windowsOf(lefts), ...windowsOf(rights)]);
  assert.is(registered.length, keyWindows.size, `${registered.length} timer registrations for ${keyWindows.size} keys × windows (${lefts.length + rights.length} records)`);
  const both = [...windowsOf(lefts)].filter((x) => windowsOf(rights).has(x)).sort();
  const rows = out.map(([l, r]) => `${(l as any).k}@${(l as any).start + SIZE - 1}|${(r as any).k}@${(r as any).start + SIZE - 1}`).sort();
  assert.equal(rows, both.map((x) => `${x}|${x}`));
  assert.is(maps.size === 0 || [...maps.values()].every((m) => m.size === 0), true, 'every window state removed by its timer');
});

test.run();
