import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  StreamEnvironment, CollectSink, WatermarkStrategy, TumblingEventTimeWindows, SlidingEventTimeWindows, EventTimeSessionWindows, GlobalWindows, OutputTag, SeededRandom,
  type WindowAssigner, type AggregateFunction,
} from '../../src/index.ts';

interface Click {
  page: string;
  at: number;
  n: number;
}

/** Seeded clicks, shuffled within `delay` ms: out of order, but never later than the watermark allows. */
function clicks(count: number, seed: number, delay: number): Click[] {
  const r = new SeededRandom(seed);
  const out: Click[] = [];
  for (let i = 0; i < count; i++) {
    r.reset(i);
    out.push({ page: `p${r.int(7)}`, at: i * 13 + r.int(delay), n: 1 + r.int(5) });
  }
  return out;
}

type Row = [string, number, number, number]; // key, window start, window end, value

/** Plain-TypeScript reference: the sum of n per key and window. */
function reference(input: Click[], windowsOf: (at: number) => Array<[number, number]>): Row[] {
  const m = new Map<string, number>();
  for (const c of input) for (const [s, e] of windowsOf(c.at)) m.set(`${c.page}|${s}|${e}`, (m.get(`${c.page}|${s}|${e}`) ?? 0) + c.n);
  return [...m].map(([k, v]) => { const [p, s, e] = k.split('|'); return [p!, Number(s), Number(e), v] as Row; }).sort(cmp);
}

function sessionReference(input: Click[], gap: number): Row[] {
  const byKey = new Map<string, Click[]>();
  for (const c of input) byKey.set(c.page, [...(byKey.get(c.page) ?? []), c]);
  const rows: Row[] = [];
  for (const [page, cs] of byKey) {
    cs.sort((a, b) => a.at - b.at);
    let start = cs[0]!.at, end = start + gap, sum = 0;
    for (const c of cs) {
      if (c.at >= end) { rows.push([page, start, end, sum]); start = c.at; sum = 0; }
      end = Math.max(end, c.at + gap);
      sum += c.n;
    }
    rows.push([page, start, end, sum]);
  }
  return rows.sort(cmp);
}

const cmp = (a: Row, b: Row) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] - b[1] || a[2] - b[2]);

const sumAgg: AggregateFunction<Click, number, number> = { createAccumulator: () => 0, add: (c, acc) => acc + c.n, getResult: (acc) => acc, merge: (a, b) => a + b };

async function runWindows(input: Click[], assigner: WindowAssigner, style: 'reduce' | 'aggregate' | 'process', options: { crashAt?: number; parallelism?: number } = {}): Promise<Row[]> {
  let crashed = false;
  const env = StreamEnvironment.create({ parallelism: options.parallelism ?? 1, batchSize: 256, snapshotEvery: 4, supervision: { maxRestarts: 5, backoff: { initialMs: 1, maxMs: 1 } } });
  const sink = new CollectSink<Row>();
  const windowed = env
    .fromCollection(input)
    .setParallelism(1)
    .assignTimestampsAndWatermarks(WatermarkStrategy.forBoundedOutOfOrderness<Click>(500).withTimestampAssigner((c) => c.at))
    .map((c) => {
      if (options.crashAt !== undefined && !crashed && c.at >= options.crashAt) {
        crashed = true;
      }
      return c;
    })
    .keyBy((c) => c.page)
    .window(assigner);
  const crash = (c: Click) => {
    if (options.crashAt !== undefined && crashed && c.at >= options.crashAt && !(crash as { done?: boolean }).done) {
      (crash as { done?: boolean }).done = true;
      throw new Error('injected window crash');
    }
  };
  const out =
    style === 'reduce'
      ? windowed.reduce<Row>((a, b) => { crash(b); return { page: a.page, at: a.at, n: a.n + b.n }; }, (page, [r], ctx, o) => o.emit([page, ctx.window.start, ctx.window.end, r!.n] as Row, ctx.window.end - 1))
      : style === 'aggregate'
        ? windowed.aggregate<number, number, Row>({ ...sumAgg, add: (c, acc) => { crash(c); return acc + c.n; } }, (page, [sum], ctx, o) => o.emit([page, ctx.window.start, ctx.window.end, sum!] as Row, ctx.window.end - 1))
        : windowed.process<Row>((page, cs, ctx, o) => { cs.forEach(crash); o.emit([page, ctx.window.start, ctx.window.end, cs.reduce((s, c) => s + c.n, 0)] as Row, ctx.window.end - 1); });
  out.sinkTo(sink);
  const result = await env.execute('windows');
  if (options.crashAt !== undefined) assert.ok(result.restarts >= 1, 'the window actor crashed and recovered');
  return sink.values.slice().sort(cmp);
}

const input = clicks(20_000, 3, 400);
const tumbling = (at: number): Array<[number, number]> => [[Math.floor(at / 1000) * 1000, Math.floor(at / 1000) * 1000 + 1000]];
const sliding = (at: number): Array<[number, number]> => {
  const w: Array<[number, number]> = [];
  for (let s = Math.floor(at / 400) * 400; s > at - 1000; s -= 400) w.push([s, s + 1000]);
  return w;
};

for (const style of ['reduce', 'aggregate', 'process'] as const) {
  test(`tumbling × ${style} equals the reference`, async () => {
    assert.equal(await runWindows(input, TumblingEventTimeWindows.of(1000), style), reference(input, tumbling));
  });
  test(`sliding (1000/400, slices of 200) × ${style} equals the reference`, async () => {
    assert.equal(await runWindows(input, SlidingEventTimeWindows.of(1000, 400), style), reference(input, sliding));
  });
  test(`session (gap 30) × ${style} equals the reference`, async () => {
    const sparse = clicks(3000, 9, 20).map((c, i) => ({ ...c, at: c.at * 3 + (i % 50 === 0 ? 500 : 0) }));
    assert.equal(await runWindows(sparse, EventTimeSessionWindows.withGap(30), style), sessionReference(sparse, 30));
  });
}

test('session windows over 2000 keys (idle keys swept and reopened) with a crash in the window actor: equal the reference', async () => {
  const r = new SeededRandom(11);
  const many = Array.from({ length: 30_000 }, (_, i): Click => ({ page: `p${r.reset(i).int(2000)}`, at: i * 2 + r.int(40), n: 1 + r.int(5) }));
  const crashAt = 10_000 + new SeededRandom(12).reset(1).int(40_000);
  assert.equal(await runWindows(many, EventTimeSessionWindows.withGap(3000), 'aggregate', { crashAt }), sessionReference(many, 3000));
});

test('a crash inside the window actor at a random point: identical results, nothing lost or duplicated', async () => {
  const crashAt = 1000 + new SeededRandom(5).reset(1).int(200_000);
  assert.equal(await runWindows(input, SlidingEventTimeWindows.of(1000, 400), 'aggregate', { crashAt, parallelism: 2 }), reference(input, sliding));
});

test('allowed lateness re-fires windows; later records go to the late side output', async () => {
  const late = new OutputTag<Click>('late');
  const sink = new CollectSink<Row>();
  const lateSink = new CollectSink<Click>();
  // Watermark = max timestamp - 1 (monotonous); one record per batch so watermarks advance between them.
  const seq: Click[] = [
    { page: 'a', at: 100, n: 1 },
    { page: 'a', at: 1500, n: 1 }, // watermark 1499: window [0,1000) fires with 1
    { page: 'a', at: 900, n: 5 }, // late but within 1000 ms lateness: [0,1000) fires again with 6
    { page: 'a', at: 2600, n: 1 }, // watermark 2599: [1000,2000) fires; [0,1000) is past its lateness
    { page: 'a', at: 500, n: 7 }, // too late: side output
  ];
  const env2 = StreamEnvironment.create({ batchSize: 1 });
  const w = env2
    .fromCollection(seq)
    .assignTimestampsAndWatermarks(WatermarkStrategy.forMonotonousTimestamps<Click>().withTimestampAssigner((c) => c.at))
    .keyBy((c) => c.page)
    .window(TumblingEventTimeWindows.of(1000))
    .allowedLateness(1000)
    .sideOutputLateData(late)
    .aggregate<number, number, Row>(sumAgg, (page, [sum], ctx, o) => o.emit([page, ctx.window.start, ctx.window.end, sum!], ctx.window.end - 1));
  w.sinkTo(sink);
  w.getSideOutput(late).sinkTo(lateSink);
  await env2.execute('lateness');
  assert.equal(sink.values, [
    ['a', 0, 1000, 1],
    ['a', 0, 1000, 6],
    ['a', 1000, 2000, 1],
    ['a', 2000, 3000, 1],
  ]);
  assert.equal(lateSink.values, [{ page: 'a', at: 500, n: 7 }]);
});

test('global window with a count trigger fires every n records per key', async () => {
  const env = StreamEnvironment.create();
  const sink = new CollectSink<number>();
  env
    .fromCollection(Array.from({ length: 10 }, (_, i) => ({ k: i % 2, v: i })))
    .keyBy((r) => r.k)
    .window(GlobalWindows.create())
    .countTrigger(2)
    .reduce<number>((a, b) => ({ k: a.k, v: a.v + b.v }), (_k, [r], _c, o) => o.emit(r!.v, NaN))
    .sinkTo(sink);
  await env.execute('count');
  // The last record of each key (8 and 9) waits for a second one: a count window never fires half full.
  assert.equal(sink.values, [2, 4, 10, 12]);
});

test('a record without a valid timestamp goes to dead letters with the reason; the rest is windowed', async () => {
  const env = StreamEnvironment.create();
  const sink = new CollectSink<number>();
  env
    .fromCollection([{ at: 1 }, { at: Number.NaN }, { at: 2 }])
    .assignTimestampsAndWatermarks(WatermarkStrategy.forMonotonousTimestamps<{ at: number }>().withTimestampAssigner((r) => r.at))
    .keyBy(() => 'k')
    .window(TumblingEventTimeWindows.of(10))
    .aggregate({ createAccumulator: () => 0, add: (_r, a) => a + 1, getResult: (a) => a, merge: (a, b) => a + b })
    .sinkTo(sink);
  const result = await env.execute('bad-ts');
  assert.equal(sink.values, [2]);
  assert.is(result.deadLetterCount, 1);
  assert.match(result.deadLetters[0]!.reason, /no valid timestamp/);
});

test('a crash in the batch that sent a record to the late side output: the late record arrives once', async () => {
  const late = new OutputTag<Click>('late');
  const lateSink = new CollectSink<Click>();
  const sink = new CollectSink<number>();
  let crashed = false;
  // One batch: the watermark from the first batch makes the record at 50 late; the record at 5000 then fails once.
  const env = StreamEnvironment.create({ batchSize: 4, supervision: { maxRestarts: 3, backoff: { initialMs: 1, maxMs: 1 } } });
  const w = env
    .fromCollection<Click>([{ page: 'a', at: 100, n: 1 }, { page: 'a', at: 1500, n: 1 }, { page: 'a', at: 1600, n: 1 }, { page: 'a', at: 1700, n: 1 }, { page: 'a', at: 50, n: 1 }, { page: 'a', at: 1800, n: 1 }, { page: 'a', at: 5000, n: 1 }, { page: 'a', at: 5100, n: 1 }])
    .assignTimestampsAndWatermarks(WatermarkStrategy.forMonotonousTimestamps<Click>().withTimestampAssigner((c) => c.at))
    .disableChaining()
    .keyBy((c) => c.page)
    .window(TumblingEventTimeWindows.of(1000))
    .sideOutputLateData(late)
    .aggregate<number, number, number>({ ...sumAgg, add: (c, acc) => {
      if (c.at === 5000 && !crashed) {
        crashed = true;
        throw new Error('injected crash after a late record in the same batch');
      }
      return acc + c.n;
    } }, (_p, [n], _c, o) => o.emit(n!, NaN));
  w.sinkTo(sink);
  w.getSideOutput(late).sinkTo(lateSink);
  const result = await env.execute('late-crash');
  assert.ok(crashed && result.restarts >= 1, 'the window actor crashed and was restored');
  assert.equal(lateSink.values.map((c) => c.at), [50], 'the late record once');
  assert.is(sink.values.reduce((a, b) => a + b, 0), 7, 'every other record counted once');
});

test.run();
