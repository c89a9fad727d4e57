import { range, map, filter, count as rxCount, scan, lastValueFrom, bufferCount, concatMap, from, timer } from 'rxjs';
import { StreamEnvironment, CountSink, SeededRandom, type Sink } from '../../src/index.ts';
import type { Scenario } from '../scenario.ts';
import { SEED, trade, discount, expensive, total } from '../workloads.ts';

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
      let k = 0;
      let c = 0;
      for (let i = 0; i < n; i++) {
        const t = discount(trade(i, r.reset(i)));
        if (!expensive(t)) continue;
        out[k++] = total(t);
        if (k === out.length) {
          c += k;
          k = 0;
        }
      }
      return c + k;
    },
    rxjs: async (n) => {
      const r = new SeededRandom(SEED);
      return lastValueFrom(range(0, n).pipe(map((i) => trade(i, r.reset(i))), map(discount), filter(expensive), map(total), rxCount()));
    },
    weir: async (n) => {
      const env = StreamEnvironment.create();
      const sink = new CountSink();
      env.fromGenerator(trade, { count: n, seed: SEED }).map(discount).filter(expensive).map(total).sinkTo(sink);
      await env.execute('map-filter');
      return sink.count;
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
      let k = 0;
      let emitted = 0;
      for (let i = 0; i < n; i++) {
        const t = trade(i, r.reset(i));
        const c = (counts.get(t.key) ?? 0) + 1;
        counts.set(t.key, c);
        out[k++] = { key: t.key, count: c };
        if (k === out.length) {
          emitted += k;
          k = 0;
        }
      }
      return emitted + k;
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
          rxCount(),
        ),
      );
    },
    weir: async (n) => {
      const env = StreamEnvironment.create();
      const sink = new CountSink();
      env
        .fromGenerator(trade, { count: n, seed: SEED })
        .map((t) => ({ key: t.key, count: 1 }))
        .keyBy((c) => c.key)
        .reduce((a, b) => ({ key: a.key, count: a.count + b.count }))
        .sinkTo(sink);
      await env.execute('keyed-count');
      return sink.count;
    },
  },
};

/** A sink that takes 5 ms per 1024-record batch: about 100× slower than the generator. */
function slowSink(): Sink<unknown> & { count: number } {
  const s = {
    name: 'slow',
    count: 0,
    createWriter: () => ({
      open() {},
      write(values: unknown[]) {
        s.count += values.length;
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
      return sink.count;
    },
    rxjs: async (n) => {
      const r = new SeededRandom(SEED);
      let count = 0;
      await lastValueFrom(
        range(0, n).pipe(
          map((i) => discount(trade(i, r.reset(i)))),
          bufferCount(1024),
          concatMap((batch) => from(timer(5)).pipe(map(() => (count += batch.length)))),
        ),
      );
      return count;
    },
  },
};
