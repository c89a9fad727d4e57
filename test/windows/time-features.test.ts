import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  StreamEnvironment, CollectSink, WatermarkStrategy, TumblingEventTimeWindows, SlidingEventTimeWindows, TumblingProcessingTimeWindows, systemClock,
  type Source, type SourceReader, type WatermarkGenerator,
} from '../../src/index.ts';

/** A source that sends `items`, then stays open (reading nothing) until `until` resolves. */
function openSource<T>(name: string, items: T[], until: Promise<void>): Source<T> {
  return {
    name,
    createReader: (): SourceReader<T> => {
      let sent = false;
      let done = false;
      void until.then(() => (done = true));
      return {
        open() {},
        read(out) {
          if (!sent && items.length > 0) {
            sent = true;
            out.push(...items);
            return items.length;
          }
          return done ? -1 : 0;
        },
        whenAvailable: () => until,
        snapshot: () => sent,
        restore(p) { sent = p === true; },
        close() {},
      };
    },
  };
}

const count = { createAccumulator: () => 0, add: (_v: unknown, a: number) => a + 1, getResult: (a: number) => a, merge: (a: number, b: number) => a + b };

test('an idle input stops holding back the watermark (withIdleness); without it windows wait', async () => {
  let release!: () => void;
  const released = new Promise<void>((r) => (release = r));
  const env = StreamEnvironment.create({ clock: systemClock });
  const sink = new CollectSink<number>();
  let fired = 0;
  const strategy = WatermarkStrategy.forMonotonousTimestamps<{ at: number }>().withTimestampAssigner((r) => r.at).withIdleness(10);
  const busy = env.fromCollection(Array.from({ length: 50 }, (_, i) => ({ at: i * 100 }))).assignTimestampsAndWatermarks(strategy);
  const quiet = env.fromSource(openSource<{ at: number }>('quiet', [], released)).assignTimestampsAndWatermarks(strategy);
  busy
    .union(quiet)
    .keyBy(() => 'all')
    .window(TumblingEventTimeWindows.of(1000))
    .aggregate(count)
    .map((n) => {
      // Every window fired while the quiet source was still open: only idleness can have let the watermark through.
      if (++fired === 5) release();
      return n;
    })
    .sinkTo(sink);
  await env.execute('idleness');
  assert.equal(sink.values, [10, 10, 10, 10, 10]);
});

test('a custom watermark generator drives event time', async () => {
  interface Ev { at: number; marker: boolean }
  const markers = (): WatermarkGenerator<Ev> => {
    let wm = -Infinity;
    return { onEvent: (e, ts) => { if (e.marker) wm = Math.max(wm, ts); }, currentWatermark: () => wm, snapshot: () => wm, restore: (s) => { wm = s as number; } };
  };
  const env = StreamEnvironment.create({ batchSize: 1 });
  const sink = new CollectSink<number>();
  const events: Ev[] = [{ at: 10, marker: false }, { at: 1500, marker: false }, { at: 20, marker: false }, { at: 1200, marker: true }, { at: 30, marker: false }];
  env.fromCollection(events)
    .assignTimestampsAndWatermarks(WatermarkStrategy.forGenerator(markers).withTimestampAssigner((e) => e.at))
    .keyBy(() => 'k')
    .window(TumblingEventTimeWindows.of(1000))
    .aggregate(count)
    .sinkTo(sink);
  const result = await env.execute('generator');
  // Only the marker moved the watermark (to 1200): [0,1000) fired with 2 records, then 30 was late; [1000,2000) fired at the end.
  assert.equal(sink.values, [2, 2]);
  assert.is(result.deadLetterCount, 1);
});

test('processing-time windows fire on the clock while input is open', async () => {
  let release!: () => void;
  const released = new Promise<void>((r) => (release = r));
  const env = StreamEnvironment.create({ clock: systemClock });
  const sink = new CollectSink<[string, number]>();
  let seen = 0;
  env.fromSource(openSource('clicks', ['a', 'a', 'b', 'a'], released))
    .keyBy((k) => k)
    .window(TumblingProcessingTimeWindows.of(20))
    .aggregate<number, number, [string, number]>(count, (key, [n], _ctx, out) => out.emit([key, n!], NaN))
    .map((r) => {
      seen += r[1];
      if (seen === 4) release();
      return r;
    })
    .sinkTo(sink);
  await env.execute('processing-windows');
  const totals = new Map<string, number>();
  for (const [k, n] of sink.values) totals.set(k, (totals.get(k) ?? 0) + n);
  assert.equal([...totals].sort(), [['a', 3], ['b', 1]]);
});

test('a generator with event-time knobs (out of order, skewed subtasks) feeds windows without late records', async () => {
  const env = StreamEnvironment.create({ parallelism: 2 });
  const sink = new CollectSink<number>();
  env
    .fromGenerator((i) => i, { count: 20_000, seed: 3, eventTime: { startMs: 0, perRecordMs: 1, outOfOrderMs: 50, skewMs: 200 } })
    .assignTimestampsAndWatermarks(WatermarkStrategy.forBoundedOutOfOrderness<number>(50))
    .keyBy((i) => i % 3)
    .window(TumblingEventTimeWindows.of(1000))
    .aggregate(count)
    .sinkTo(sink);
  const result = await env.execute('generator-time');
  assert.is(result.deadLetterCount, 0, 'no record was late');
  assert.is(sink.values.reduce((a, b) => a + b, 0), 20_000, 'every record counted once');
});

test('continuous trigger fires open windows early every interval; with purging each firing counts only what is new', async () => {
  const run = async (purging: boolean) => {
    const env = StreamEnvironment.create({ batchSize: 1 });
    const sink = new CollectSink<[number, number]>();
    const w = env
      .fromCollection(Array.from({ length: 10 }, (_, i) => ({ at: i * 100 })))
      .assignTimestampsAndWatermarks(WatermarkStrategy.forMonotonousTimestamps<{ at: number }>().withTimestampAssigner((r) => r.at))
      .keyBy(() => 'k')
      .window(TumblingEventTimeWindows.of(1000))
      .continuousTrigger(300);
    (purging ? w.purgingTrigger() : w)
      .aggregate<number, number, [number, number]>(count, (_k, [n], ctx, out) => out.emit([ctx.currentWatermark, n!], ctx.window.end - 1))
      .sinkTo(sink);
    await env.execute('continuous');
    return sink.values;
  };
  // Watermarks 299, 599, 899 cross the 300 ms boundaries; the final firing comes at the end of input.
  assert.equal(await run(false), [[299, 4], [599, 7], [899, 10], [Infinity, 10]]);
  assert.equal(await run(true), [[299, 4], [599, 3], [899, 3]]);
  assert.throws(() => StreamEnvironment.create().fromCollection([1]).keyBy(() => 0).window(SlidingEventTimeWindows.of(10, 5)).purgingTrigger().aggregate(count).print(), /purging trigger needs tumbling windows/);
});

test.run();
