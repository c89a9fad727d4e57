import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  StreamEnvironment, CollectSink, WatermarkStrategy, TumblingEventTimeWindows, SeededRandom, OutputTag,
  MapStateDescriptor, ValueStateDescriptor, ListStateDescriptor, systemClock,
  type KeyedProcessFunction, type KeyedProcessContext, type OnTimerContext, type ProcessCollector, type RuntimeContext, type MapState,
  type Source, type SourceReader,
} from '../../src/index.ts';

interface Click {
  page: string;
  at: number;
  n: number;
}

function clicks(count: number, seed: number, delay: number): Click[] {
  const r = new SeededRandom(seed);
  return Array.from({ length: count }, (_, i) => {
    r.reset(i);
    return { page: `p${r.int(7)}`, at: i * 13 + r.int(delay), n: 1 + r.int(5) };
  });
}

type Row = [string, number, number];
const byRow = (a: Row, b: Row) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] - b[1] || a[2] - b[2]);

/** Tumbling sums per key and 1000 ms bucket, written as a keyed process function with MapState and event-time timers. */
class BucketSums implements KeyedProcessFunction<string, Click, Row> {
  sums!: MapState<number, number>;
  crashOnce: { at: number; done: boolean } | undefined;
  open(ctx: RuntimeContext) {
    this.sums = ctx.getMapState(new MapStateDescriptor<number, number>('sums'));
  }
  processElement(c: Click, ctx: KeyedProcessContext<string>) {
    if (this.crashOnce && !this.crashOnce.done && c.at >= this.crashOnce.at) {
      this.crashOnce.done = true;
      throw new Error('injected crash in processElement');
    }
    const end = Math.floor(c.at / 1000) * 1000 + 999;
    this.sums.put(end, (this.sums.get(end) ?? 0) + c.n);
    ctx.timerService().registerEventTimeTimer(end);
  }
  onTimer(t: number, ctx: OnTimerContext<string>, out: ProcessCollector<Row>) {
    out.collect([ctx.currentKey, t, this.sums.get(t)!]);
    this.sums.remove(t);
  }
}

function bucketReference(input: Click[]): Row[] {
  const m = new Map<string, number>();
  for (const c of input) {
    const k = `${c.page}|${Math.floor(c.at / 1000) * 1000 + 999}`;
    m.set(k, (m.get(k) ?? 0) + c.n);
  }
  return [...m].map(([k, v]) => [k.split('|')[0]!, Number(k.split('|')[1]), v] as Row).sort(byRow);
}

const timestamped = <T extends { at: number }>(env: StreamEnvironment, items: T[], outOfOrder = 500) =>
  env.fromCollection(items).setParallelism(1).assignTimestampsAndWatermarks(WatermarkStrategy.forBoundedOutOfOrderness<T>(outOfOrder).withTimestampAssigner((c) => c.at));

test('keyed process function with MapState and event-time timers equals the reference, across a crash, at parallelism 2', async () => {
  const input = clicks(20_000, 11, 400);
  const env = StreamEnvironment.create({ parallelism: 2, batchSize: 256, snapshotEvery: 4, supervision: { maxRestarts: 5, backoff: { initialMs: 1, maxMs: 1 } } });
  const sink = new CollectSink<Row>();
  const fn = new BucketSums();
  fn.crashOnce = { at: 100_000 + new SeededRandom(2).int(100_000), done: false };
  timestamped(env, input).keyBy((c) => c.page).process(fn).sinkTo(sink);
  const result = await env.execute('buckets');
  assert.ok(result.restarts >= 1, 'the process actor crashed and was restored');
  assert.equal(sink.values.slice().sort(byRow), bucketReference(input));
  // Output carries the timer's time as its event time.
  assert.ok(sink.values.every((r, i) => sink.timestamps[i] === r[1]));
});

test('processing-time timers fire on the clock while input is open', async () => {
  let release!: () => void;
  const released = new Promise<void>((r) => (release = r));
  const keys = ['a', 'b', 'c'];
  // A source that sends three records, then waits (no sleep: it waits for the timer output) before it ends.
  const source: Source<string> = {
    name: 'open-source',
    createReader: (): SourceReader<string> => {
      let sent = false;
      let done = false;
      void released.then(() => (done = true));
      return {
        open() {},
        read(out) {
          if (!sent) {
            sent = true;
            out.push(...keys);
            return keys.length;
          }
          return done ? -1 : 0;
        },
        whenAvailable: () => released,
        snapshot: () => ({ sent }),
        restore(p) { sent = (p as { sent: boolean } | null)?.sent ?? false; },
        close() {},
      };
    },
  };
  const fired: string[] = [];
  const env = StreamEnvironment.create({ clock: systemClock });
  const sink = new CollectSink<string>();
  env
    .fromSource(source)
    .keyBy((k) => k)
    .process<string>({
      processElement(_k, ctx) {
        ctx.timerService().registerProcessingTimeTimer(ctx.timerService().currentProcessingTime() + 5);
      },
      onTimer(_t, ctx, out) {
        assert.is(ctx.timeDomain, 'processingTime');
        out.collect(`timer:${ctx.currentKey}`);
      },
    })
    .map((v) => {
      fired.push(v);
      if (fired.length === keys.length) release();
      return v;
    })
    .sinkTo(sink);
  await env.execute('ptime');
  assert.equal(sink.values.slice().sort(), ['timer:a', 'timer:b', 'timer:c']);
});

interface Person { id: number; name: string; at: number }
interface Auction { id: number; seller: number; at: number }

function people(n: number): Person[] {
  return Array.from({ length: n }, (_, i) => ({ id: i, name: `person${i}`, at: i * 50 }));
}
function auctions(n: number, persons: number, seed: number): Auction[] {
  const r = new SeededRandom(seed);
  return Array.from({ length: n }, (_, i) => ({ id: 1000 + i, seller: r.int(persons), at: i * 7 + r.int(100) }));
}

test('keyed co-process: an incremental join (q3 style) equals the reference, whatever the arrival order', async () => {
  const ps = people(300);
  const as = auctions(3000, 300, 4);
  const env = StreamEnvironment.create({ parallelism: 2, batchSize: 64 });
  const sink = new CollectSink<[string, number]>();
  const person = new ValueStateDescriptor<Person>('person');
  const pending = new ListStateDescriptor<Auction>('pending');
  timestamped(env, ps)
    .connect(timestamped(env, as))
    .keyBy((p) => p.id, (a) => a.seller)
    .process<[string, number]>({
      processElement1(p, ctx, out) {
        ctx.getState(person).update(p);
        for (const a of ctx.getListState(pending).get()) out.collect([p.name, a.id]);
        ctx.getListState(pending).clear();
      },
      processElement2(a, ctx, out) {
        const p = ctx.getState(person).value();
        if (p) out.collect([p.name, a.id]);
        else ctx.getListState(pending).add(a);
      },
    })
    .sinkTo(sink);
  await env.execute('incremental-join');
  const expected = as.map((a) => [`person${a.seller}`, a.id] as [string, number]);
  const sort = (x: [string, number][]) => x.slice().sort((a, b) => a[1] - b[1]);
  assert.equal(sort(sink.values), sort(expected));
});

test('window join pairs equal keys within the same tumbling window (inner join)', async () => {
  const ps = people(200).map((p, i) => ({ ...p, at: i * 37 }));
  const as = auctions(2000, 200, 8);
  const env = StreamEnvironment.create({ parallelism: 2 });
  const sink = new CollectSink<[number, number, number]>();
  timestamped(env, ps, 200)
    .join(timestamped(env, as, 200))
    .where((p) => p.id)
    .equalTo((a) => a.seller)
    .window(TumblingEventTimeWindows.of(1000))
    .apply((p, a) => [p.id, a.id, Math.floor(a.at / 1000)] as [number, number, number])
    .sinkTo(sink);
  await env.execute('window-join');
  const expected: [number, number, number][] = [];
  for (const p of ps) for (const a of as) if (a.seller === p.id && Math.floor(p.at / 1000) === Math.floor(a.at / 1000)) expected.push([p.id, a.id, Math.floor(a.at / 1000)]);
  const sort = (x: [number, number, number][]) => x.slice().sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  assert.ok(expected.length > 50, 'the seeded input has matches');
  assert.equal(sort(sink.values), sort(expected));
  assert.ok(sink.timestamps.every((t, i) => Math.floor(t / 1000) === sink.values[i]![2] && t % 1000 === 999), 'pairs carry the window max timestamp');
});

test('interval join pairs each left record with right records in [t-300, t+200], and dead-letters records behind the watermark', async () => {
  const r = new SeededRandom(21);
  const lefts = Array.from({ length: 1500 }, (_, i) => ({ k: r.int(20), at: i * 10 + r.int(50), id: i }));
  const rights = Array.from({ length: 1500 }, (_, i) => ({ k: r.int(20), at: i * 10 + r.int(50), id: 10_000 + i }));
  const env = StreamEnvironment.create({ parallelism: 2, batchSize: 100 });
  const sink = new CollectSink<[number, number]>();
  timestamped(env, lefts, 60)
    .keyBy((l) => l.k)
    .intervalJoin(timestamped(env, rights, 60).keyBy((x) => x.k))
    .between(-300, 200)
    .process<[number, number]>((l, x, ctx, out) => {
      assert.is(ctx.timestamp, Math.max(l.at, x.at));
      out.collect([l.id, x.id]);
    })
    .sinkTo(sink);
  const result = await env.execute('interval-join');
  const expected: [number, number][] = [];
  for (const l of lefts) for (const x of rights) if (l.k === x.k && x.at >= l.at - 300 && x.at <= l.at + 200) expected.push([l.id, x.id]);
  const sort = (v: [number, number][]) => v.slice().sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  assert.is(result.deadLetterCount, 0, 'no record was behind the watermark');
  assert.equal(sort(sink.values), sort(expected));

  // A record behind the watermark cannot be joined reliably: dead letter with the reason, the job goes on.
  const env2 = StreamEnvironment.create({ batchSize: 1 });
  const sink2 = new CollectSink<[number, number]>();
  type KV = { k: number; at: number; id: number };
  const byAt = () => WatermarkStrategy.forMonotonousTimestamps<KV>().withTimestampAssigner((v) => v.at);
  const seqL: KV[] = [{ k: 1, at: 100, id: 1 }, { k: 1, at: 5000, id: 2 }, { k: 1, at: 200, id: 3 }];
  env2.fromCollection(seqL)
    .assignTimestampsAndWatermarks(byAt())
    .keyBy((l) => l.k)
    .intervalJoin(env2.fromCollection<KV>([{ k: 1, at: 150, id: 9 }]).assignTimestampsAndWatermarks(byAt()).keyBy((x) => x.k))
    .between(-100, 100)
    .process<[number, number]>((l, x, _c, out) => out.collect([l.id, x.id]))
    .sinkTo(sink2);
  const r2 = await env2.execute('late-interval');
  assert.equal(sink2.values, [[1, 9]]);
  assert.is(r2.deadLetterCount, 1);
  assert.match(r2.deadLetters[0]!.reason, /behind the watermark/);
});

test('broadcast state: every keyed subtask sees every rule; side outputs from a process function', async () => {
  const rules = new MapStateDescriptor<string, number>('rules');
  const env = StreamEnvironment.create({ parallelism: 3 });
  const ruleStream = env.fromCollection([['a', 1], ['b', 2], ['c', 3]] as Array<[string, number]>).setParallelism(1);
  const sink = new CollectSink<[number, string]>();
  const odd = new OutputTag<number>('odd');
  const numbers = timestamped(env, Array.from({ length: 30 }, (_, i) => ({ at: i, k: i })), 0);
  const main = numbers
    .process<{ at: number; k: number }>({
      processElement(v, ctx, out) {
        if (v.k % 2 === 1) ctx.output(odd, v.k);
        out.collect(v);
      },
    });
  main
    .keyBy((v) => v.k % 10)
    .connect(ruleStream.broadcast())
    .process<[number, string]>({
      processElement(v, ctx) {
        if (v.k < 10) ctx.timerService().registerEventTimeTimer(Number.MAX_SAFE_INTEGER);
      },
      processBroadcastElement([name, limit], ctx) {
        ctx.getBroadcastState(rules).put(name, limit);
      },
      onTimer(_t, ctx, out) {
        // At the end every input has ended, so every rule has arrived at every subtask.
        out.collect([ctx.currentKey, ctx.getBroadcastState(rules).keys().sort().join(',')]);
      },
    })
    .sinkTo(sink);
  const oddSink = new CollectSink<number>();
  main.getSideOutput(odd).sinkTo(oddSink);
  await env.execute('broadcast');
  assert.equal(sink.values.slice().sort((a, b) => a[0] - b[0]), Array.from({ length: 10 }, (_, k) => [k, 'a,b,c']));
  assert.equal(oddSink.values.slice().sort((a, b) => a - b), Array.from({ length: 15 }, (_, i) => 2 * i + 1));
});

test('timers fire in time order across keys, once per key and time, and deleted timers never fire', async () => {
  const r = new SeededRandom(77);
  const items = Array.from({ length: 400 }, (_, i) => ({ at: i, key: r.int(25), due: 1000 + r.int(500) }));
  const env = StreamEnvironment.create({ batchSize: 50 });
  const sink = new CollectSink<[number, number]>();
  timestamped(env, items, 0)
    .keyBy((v) => v.key)
    .process<[number, number]>({
      processElement(v, ctx) {
        const timers = ctx.timerService();
        timers.registerEventTimeTimer(v.due);
        timers.registerEventTimeTimer(v.due); // a duplicate registration is one timer
        if (v.due % 7 === 0) timers.deleteEventTimeTimer(v.due);
      },
      onTimer(t, ctx, out) {
        out.collect([t, ctx.currentKey]);
      },
    })
    .sinkTo(sink);
  await env.execute('timer-order');
  const expected = new Map<string, [number, number]>();
  // The last registration or deletion of a (key, time) pair decides whether it fires.
  for (const v of items) {
    if (v.due % 7 === 0) expected.delete(`${v.key}|${v.due}`);
    else expected.set(`${v.key}|${v.due}`, [v.due, v.key]);
  }
  const times = sink.values.map((x) => x[0]);
  assert.equal(times, times.slice().sort((a, b) => a - b), 'fired in time order');
  assert.equal(sink.values.slice().sort((a, b) => a[0] - b[0] || a[1] - b[1]), [...expected.values()].sort((a, b) => a[0] - b[0] || a[1] - b[1]));
});

test('KeyedStream.aggregate: a running average per key', async () => {
  const env = StreamEnvironment.create({ parallelism: 2 });
  const sink = new CollectSink<[string, number]>();
  env
    .fromCollection([['a', 1], ['b', 10], ['a', 3], ['a', 5], ['b', 20]] as Array<[string, number]>)
    .keyBy((p) => p[0])
    .aggregate<{ k: string; sum: number; n: number }, [string, number]>({
      createAccumulator: () => ({ k: '', sum: 0, n: 0 }),
      add: (p, acc) => ({ k: p[0], sum: acc.sum + p[1], n: acc.n + 1 }),
      getResult: (acc) => [acc.k, acc.sum / acc.n],
      merge: (a, b) => ({ k: a.k || b.k, sum: a.sum + b.sum, n: a.n + b.n }),
    })
    .sinkTo(sink);
  await env.execute('rolling-average');
  assert.equal(sink.values.filter((r) => r[0] === 'a').map((r) => r[1]), [1, 2, 3]);
  assert.equal(sink.values.filter((r) => r[0] === 'b').map((r) => r[1]), [10, 15]);
});

test.run();
