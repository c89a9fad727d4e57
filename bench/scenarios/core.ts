import { range, map, filter, scan, lastValueFrom, bufferCount, concatMap, from, timer, reduce } from 'rxjs';
import { StreamEnvironment, SeededRandom, type Sink } from '../../src/index.ts';
import type { Scenario } from '../scenario.ts';
import { SEED, trade, discount, expensive, total, type Trade } from '../workloads.ts';
import { ResultDigest, digestSink, digestResult as result, mix } from '../result-digest.ts';

const hashTotal = (x: number) => mix(0, x);
const hashCount = (c: { key: number; count: number }) => mix(mix(0, c.key), c.count);
const hashTrade = (t: Trade) => mix(mix(mix(0, t.id), t.key), t.price);

/** map-filter: generated trades → map → filter → map → count. */
export const mapFilter: Scenario = {
  name: 'map-filter',
  events: 10_000_000,
  quickEvents: 2_000_000,
  systems: {
    'hand-loop': (n) => {
      // Reads records, transforms them and hands them on in batches, as a hand-written streaming loop does.
      const r = new SeededRandom(SEED);
      const out = new Array<number>(1024);
      const d = new ResultDigest();
      let k = 0;
      for (let i = 0; i < n; i++) {
        const t = discount(trade(i, r.reset(i)));
        if (!expensive(t)) continue;
        out[k++] = total(t);
        if (k === out.length) {
          for (let j = 0; j < k; j++) d.add(hashTotal(out[j]!));
          k = 0;
        }
      }
      for (let j = 0; j < k; j++) d.add(hashTotal(out[j]!));
      return result(d);
    },
    rxjs: async (n) => {
      const r = new SeededRandom(SEED);
      const d = await lastValueFrom(range(0, n).pipe(map((i) => trade(i, r.reset(i))), map(discount), filter(expensive), map(total), reduce((d, x) => (d.add(hashTotal(x)), d), new ResultDigest())));
      return result(d);
    },
    weir: async (n) => {
      const env = StreamEnvironment.create();
      const sink = digestSink(hashTotal);
      env.fromGenerator(trade, { count: n, seed: SEED }).map(discount).filter(expensive).map(total).sinkTo(sink);
      await env.execute('map-filter');
      return result(sink.digest);
    },
  },
};

/** keyed-count: a running count per key over 10k keys, one update emitted per record. */
export const keyedCount: Scenario = {
  name: 'keyed-count',
  events: 10_000_000,
  quickEvents: 2_000_000,
  systems: {
    'hand-loop': (n) => {
      const r = new SeededRandom(SEED);
      const counts = new Map<number, number>();
      const out = new Array<{ key: number; count: number }>(1024);
      const d = new ResultDigest();
      let k = 0;
      for (let i = 0; i < n; i++) {
        const t = trade(i, r.reset(i));
        const c = (counts.get(t.key) ?? 0) + 1;
        counts.set(t.key, c);
        out[k++] = { key: t.key, count: c };
        if (k === out.length) {
          for (let j = 0; j < k; j++) d.add(hashCount(out[j]!));
          k = 0;
        }
      }
      for (let j = 0; j < k; j++) d.add(hashCount(out[j]!));
      return result(d);
    },
    rxjs: async (n) => {
      const r = new SeededRandom(SEED);
      const counts = new Map<number, number>();
      return lastValueFrom(
        range(0, n).pipe(
          map((i) => trade(i, r.reset(i))),
          scan((_, t) => {
            const c = (counts.get(t.key) ?? 0) + 1;
            counts.set(t.key, c);
            return { key: t.key, count: c };
          }, { key: 0, count: 0 }),
          reduce((d, c) => (d.add(hashCount(c)), d), new ResultDigest()),
        ),
      ).then(result);
    },
    weir: async (n) => {
      const env = StreamEnvironment.create();
      const sink = digestSink(hashCount);
      env
        .fromGenerator(trade, { count: n, seed: SEED })
        .map((t) => ({ key: t.key, count: 1 }))
        .keyBy((c) => c.key)
        .reduce((a, b) => ({ key: a.key, count: a.count + b.count }))
        .sinkTo(sink);
      await env.execute('keyed-count');
      return result(sink.digest);
    },
  },
};

/** A sink that takes 5 ms per 1024-record batch: about 100× slower than the generator. */
function slowSink(): Sink<Trade> & { digest: ResultDigest } {
  const s = {
    name: 'slow',
    digest: new ResultDigest(),
    createWriter: () => ({
      open() {},
      write(values: Trade[]) {
        for (const t of values) s.digest.add(hashTrade(t));
        return new Promise<void>((resolve) => setTimeout(resolve, 5));
      },
      close() {},
    }),
  };
  return s;
}

/** slow-sink: a fast source into a slow sink; what matters is rssPeakMb (Weir throttles the source, RxJS buffers). */
export const slowSinkScenario: Scenario = {
  name: 'slow-sink',
  events: 2_000_000,
  quickEvents: 500_000,
  note: 'compare rssPeakMb - rssStartMb: Weir stays flat, RxJS buffers',
  systems: {
    weir: async (n) => {
      const env = StreamEnvironment.create();
      const sink = slowSink();
      env.fromGenerator(trade, { count: n, seed: SEED }).map(discount).sinkTo(sink);
      await env.execute('slow-sink');
      return result(sink.digest);
    },
    rxjs: async (n) => {
      const r = new SeededRandom(SEED);
      const d = new ResultDigest();
      await lastValueFrom(
        range(0, n).pipe(
          map((i) => discount(trade(i, r.reset(i)))),
          bufferCount(1024),
          concatMap((batch) => from(timer(5)).pipe(map(() => batch.forEach((t) => d.add(hashTrade(t)))))),
        ),
      );
      return result(d);
    },
  },
};
