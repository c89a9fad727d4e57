import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  StreamEnvironment, CollectSink, WatermarkStrategy, TumblingEventTimeWindows, SlidingEventTimeWindows, GlobalWindows, OutputTag, SeededRandom,
  CountEvictor, TimeEvictor, DeltaEvictor, type AggregateFunction, type Evictor,
} from '../../src/index.ts';

interface Ev {
  k: string;
  at: number;
  n: number;
}

type Row = [string, number, number, number]; // key, window start, window end, sum of n
const cmp = (a: Row, b: Row) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] - b[1] || a[2] - b[2] || a[3] - b[3]);

/** Seeded events, far out of order: some are late, some too late for the allowed lateness. */
function events(count: number, seed: number, jitter: number): Ev[] {
  const r = new SeededRandom(seed);
  const out: Ev[] = [];
  for (let i = 0; i < count; i++) {
    r.reset(i);
    out.push({ k: `k${r.int(5)}`, at: i * 10 + r.int(jitter), n: 1 + r.int(9) });
  }
  return out;
}

/**
 * Plain-TypeScript reference for sliding event-time windows with allowed lateness, one record
 * per batch (each record followed by its watermark, max − bound − 1): every emission (firings
 * and per-key late re-firings) and the records dropped as too late.
 */
function slidingReference(input: Ev[], size: number, slide: number, bound: number, lateness: number): { rows: Row[]; late: Ev[] } {
  const sums = new Map<string, number>(); // `${k}|${start}` → sum
  const rows: Row[] = [];
  const late: Ev[] = [];
  let wm = -Infinity;
  let max = -Infinity;
  let firedUpTo = -Infinity; // windows with end <= firedUpTo fired
  const starts = new Set<number>();
  const fire = (upTo: number) => {
    for (const start of [...starts].sort((a, b) => a - b)) {
      const end = start + size;
      if (end - 1 > upTo || end <= firedUpTo) continue;
      for (const [id, sum] of sums) {
        const [k, s] = id.split('|');
        if (Number(s) === start) rows.push([k!, start, end, sum]);
      }
    }
  };
  for (const e of input) {
    const lastStart = Math.floor(e.at / slide) * slide;
    if (lastStart + size - 1 + lateness <= wm) {
      late.push(e);
    } else {
      for (let start = lastStart; start > e.at - size; start -= slide) {
        const end = start + size;
        if (end - 1 + lateness <= wm) continue; // expired: that window never fires again
        const id = `${e.k}|${start}`;
        sums.set(id, (sums.get(id) ?? 0) + e.n);
        starts.add(start);
        if (end <= firedUpTo) rows.push([e.k, start, end, sums.get(id)!]); // late but allowed: re-fire for this key
      }
    }
    max = Math.max(max, e.at);
    const next = max - bound - 1;
    if (next > wm) {
      fire(next);
      wm = next;
      firedUpTo = Math.max(firedUpTo, Math.floor((wm + 1 - size) / slide) * slide + size);
    }
  }
  fire(Infinity);
  return { rows: rows.sort(cmp), late };
}

const sumAgg: AggregateFunction<Ev, number, number> = { createAccumulator: () => 0, add: (e, acc) => acc + e.n, getResult: (acc) => acc, merge: (a, b) => a + b };

async function runSliding(input: Ev[], size: number, slide: number, bound: number, lateness: number, crashAt?: number): Promise<{ rows: Row[]; late: Ev[]; restarts: number }> {
  const tag = new OutputTag<Ev>('late');
  const sink = new CollectSink<Row>();
  const lateSink = new CollectSink<Ev>();
  let seen = 0;
  const env = StreamEnvironment.create({ batchSize: 1, snapshotEvery: 4, supervision: { maxRestarts: 5, backoff: { initialMs: 1, maxMs: 1 } } });
  const w = env
    .fromCollection(input)
    .assignTimestampsAndWatermarks(WatermarkStrategy.forBoundedOutOfOrderness<Ev>(bound).withTimestampAssigner((e) => e.at))
    .keyBy((e) => e.k)
    .window(SlidingEventTimeWindows.of(size, slide))
    .allowedLateness(lateness)
    .sideOutputLateData(tag)
    .aggregate<number, number, Row>(
      {
        ...sumAgg,
        add: (e, acc) => {
          if (++seen === crashAt) throw new Error('injected crash inside the sliding window');
          return acc + e.n;
        },
      },
      (k, [sum], ctx, o) => o.emit([k, ctx.window.start, ctx.window.end, sum!], ctx.window.end - 1),
    );
  w.sinkTo(sink);
  w.getSideOutput(tag).sinkTo(lateSink);
  const result = await env.execute('sliding-panes');
  return { rows: sink.values.slice().sort(cmp), late: lateSink.values, restarts: result.restarts };
}

const lateInput = events(2500, 11, 5000);

test('sliding windows over panes equal the reference, with late records inside and beyond the allowed lateness', async () => {
  const expected = slidingReference(lateInput, 1000, 250, 1000, 1500);
  assert.ok(expected.late.length > 20, 'the input has records beyond the allowed lateness');
  assert.ok(expected.rows.length > new Set(expected.rows.map((r) => `${r[0]}|${r[1]}`)).size, 'the input re-fires windows with allowed late records');
  const got = await runSliding(lateInput, 1000, 250, 1000, 1500);
  assert.equal(got.rows, expected.rows);
  assert.equal(got.late, expected.late);
});

test('sliding windows with an uneven slide (size 1000, slide 400: panes of 200) equal the reference', async () => {
  const expected = slidingReference(lateInput, 1000, 400, 500, 700);
  const got = await runSliding(lateInput, 1000, 400, 500, 700);
  assert.equal(got.rows, expected.rows);
  assert.equal(got.late, expected.late);
});

test('a crash in the sliding window actor restores from its snapshots and replays: same emissions, nothing lost or duplicated', async () => {
  const expected = slidingReference(lateInput, 1000, 250, 1000, 1500);
  const crashAt = 1 + new SeededRandom(23).reset(0).int(2000);
  const got = await runSliding(lateInput, 1000, 250, 1000, 1500, crashAt);
  assert.ok(got.restarts >= 1, 'the window actor crashed and was restored');
  assert.equal(got.rows, expected.rows);
  assert.equal(got.late, expected.late);
});

/** Runs tumbling windows (in order, no late data) with an evictor; each window emits the sum of what is left. */
async function runEvicting(input: Ev[], size: number, evictor: Evictor<Ev>, style: 'aggregate' | 'reduce' | 'process'): Promise<Row[]> {
  const sink = new CollectSink<Row>();
  const env = StreamEnvironment.create({ batchSize: 64, snapshotEvery: 4 });
  const w = env
    .fromCollection(input)
    .assignTimestampsAndWatermarks(WatermarkStrategy.forMonotonousTimestamps<Ev>().withTimestampAssigner((e) => e.at))
    .keyBy((e) => e.k)
    .window(TumblingEventTimeWindows.of(size))
    .evictor(evictor);
  const out =
    style === 'aggregate'
      ? w.aggregate<number, number, Row>(sumAgg, (k, [sum], ctx, o) => o.emit([k, ctx.window.start, ctx.window.end, sum!], ctx.window.end - 1))
      : style === 'reduce'
        ? w.reduce<Row>((a, b) => ({ k: a.k, at: a.at, n: a.n + b.n }), (k, [r], ctx, o) => o.emit([k, ctx.window.start, ctx.window.end, r!.n], ctx.window.end - 1))
        : w.process<Row>((k, es, ctx, o) => o.emit([k, ctx.window.start, ctx.window.end, es.reduce((s, e) => s + e.n, 0)], ctx.window.end - 1));
  out.sinkTo(sink);
  await env.execute('evicting');
  return sink.values.slice().sort(cmp);
}

/** Reference: per key and tumbling window, the elements in arrival order, reduced to a sum after `keep` chose the survivors. */
function evictingReference(input: Ev[], size: number, keep: (es: Ev[]) => Ev[]): Row[] {
  const windows = new Map<string, Ev[]>();
  for (const e of input) {
    const id = `${e.k}|${Math.floor(e.at / size) * size}`;
    windows.set(id, [...(windows.get(id) ?? []), e]);
  }
  const rows: Row[] = [];
  for (const [id, es] of windows) {
    const [k, s] = id.split('|');
    const kept = keep(es);
    if (kept.length > 0) rows.push([k!, Number(s), Number(s) + size, kept.reduce((sum, e) => sum + e.n, 0)]);
  }
  return rows.sort(cmp);
}

const ordered = events(3000, 5, 1).map((e, i) => ({ ...e, at: i * 7 }));

for (const style of ['aggregate', 'reduce', 'process'] as const) {
  test(`CountEvictor keeps the last n elements of each window (${style})`, async () => {
    assert.equal(await runEvicting(ordered, 1000, CountEvictor.of(4), style), evictingReference(ordered, 1000, (es) => es.slice(-4)));
  });
}

test('TimeEvictor keeps the elements of the last ms of event time before the newest', async () => {
  const keep = (es: Ev[]) => {
    const max = Math.max(...es.map((e) => e.at));
    return es.filter((e) => e.at > max - 300);
  };
  assert.equal(await runEvicting(ordered, 1000, TimeEvictor.of(300), 'aggregate'), evictingReference(ordered, 1000, keep));
});

test('DeltaEvictor drops the elements too far from the last one; CountEvictor after the function leaves the window untouched for it', async () => {
  const keep = (es: Ev[]) => es.filter((e) => Math.abs(e.n - es[es.length - 1]!.n) < 4);
  assert.equal(await runEvicting(ordered, 1000, DeltaEvictor.of<Ev>(4, (a, b) => Math.abs(a.n - b.n)), 'process'), evictingReference(ordered, 1000, keep));
  assert.equal(await runEvicting(ordered, 1000, CountEvictor.of(1, true), 'aggregate'), evictingReference(ordered, 1000, (es) => es));
});

test('evictAfter on a window that re-fires: the late firing sees what the evictor left plus the late record', async () => {
  const sink = new CollectSink<Row>();
  const seq: Ev[] = [
    { k: 'a', at: 100, n: 1 },
    { k: 'a', at: 200, n: 2 },
    { k: 'a', at: 300, n: 4 },
    { k: 'a', at: 1500, n: 100 }, // watermark 1499: [0,1000) fires with 7, then keeps its last 2 elements (2 + 4)
    { k: 'a', at: 900, n: 8 }, // late, allowed: [0,1000) fires again with 2 + 4 + 8
  ];
  const env = StreamEnvironment.create({ batchSize: 1 });
  env
    .fromCollection(seq)
    .assignTimestampsAndWatermarks(WatermarkStrategy.forMonotonousTimestamps<Ev>().withTimestampAssigner((e) => e.at))
    .keyBy((e) => e.k)
    .window(TumblingEventTimeWindows.of(1000))
    .allowedLateness(1000)
    .evictor(CountEvictor.of(2, true))
    .aggregate<number, number, Row>(sumAgg, (k, [sum], ctx, o) => o.emit([k, ctx.window.start, ctx.window.end, sum!], ctx.window.end - 1))
    .sinkTo(sink);
  await env.execute('evict-after');
  assert.equal(sink.values, [
    ['a', 0, 1000, 7],
    ['a', 0, 1000, 14],
    ['a', 1000, 2000, 100],
  ]);
});

test('an evictor on a global window with a count trigger', async () => {
  const sink = new CollectSink<number>();
  const env = StreamEnvironment.create();
  env
    .fromCollection(Array.from({ length: 12 }, (_, i) => ({ k: 'x', at: i, n: i })))
    .keyBy((e) => e.k)
    .window(GlobalWindows.create())
    .countTrigger(4)
    .evictor(CountEvictor.of(2))
    .process<number>((_k, es, _c, o) => o.emit(es.reduce((s, e) => s + e.n, 0), NaN))
    .sinkTo(sink);
  await env.execute('evict-global');
  // Windows of 4 records (0–3, 4–7, 8–11); the evictor keeps the last 2 of each.
  assert.equal(sink.values, [2 + 3, 6 + 7, 10 + 11]);
});

test.run();
