import { StreamEnvironment, CountSink, SeededRandom, WatermarkStrategy, TumblingEventTimeWindows, SlidingEventTimeWindows, EventTimeSessionWindows, type WindowAssigner } from '../../src/index.ts';
import type { Scenario } from '../scenario.ts';
import { SEED } from '../workloads.ts';

/** A timestamped event: 10k keys, `perMs` events per millisecond of event time, in order. */
interface Ev {
  key: number;
  at: number;
}

const ev = (perMs: number) => (i: number, r: SeededRandom): Ev => ({ key: r.int(10_000), at: Math.floor(i / perMs) });

/** Counts per key and window with Weir: source → timestamps → keyBy → window → count. */
function weirWindowCount(assigner: WindowAssigner, perMs: number) {
  return async (n: number) => {
    const env = StreamEnvironment.create();
    const sink = new CountSink();
    env
      .fromGenerator(ev(perMs), { count: n, seed: SEED })
      .assignTimestampsAndWatermarks(WatermarkStrategy.forMonotonousTimestamps<Ev>().withTimestampAssigner((e) => e.at))
      .keyBy((e) => e.key)
      .window(assigner)
      .aggregate({ createAccumulator: () => 0, add: (_e, c) => c + 1, getResult: (c) => c, merge: (a, b) => a + b })
      .sinkTo(sink);
    await env.execute('windows');
    return sink.count;
  };
}

/** Hand-written event-time windows (size/slide in ms): per window start a Map key → count, fired as time passes. */
function handSliding(size: number, slide: number, perMs: number) {
  return (n: number) => {
    const r = new SeededRandom(SEED);
    const make = ev(perMs);
    const windows = new Map<number, Map<number, number>>();
    const out = new Array<number>(1024);
    let k = 0;
    let emitted = 0;
    let nextFire = slide;
    const fireUpTo = (wm: number) => {
      while (nextFire - 1 <= wm) {
        const start = nextFire - size;
        const w = windows.get(start);
        if (w) {
          for (const c of w.values()) {
            out[k++] = c;
            if (k === out.length) (emitted += k), (k = 0);
          }
          windows.delete(start);
        }
        nextFire += slide;
      }
    };
    for (let i = 0; i < n; i++) {
      const e = make(i, r.reset(i));
      if (e.at - 1 >= nextFire - 1) fireUpTo(e.at - 1);
      for (let s = Math.floor(e.at / slide) * slide; s > e.at - size; s -= slide) {
        let w = windows.get(s);
        if (!w) windows.set(s, (w = new Map()));
        w.set(e.key, (w.get(e.key) ?? 0) + 1);
      }
    }
    // End of input: every window fires.
    for (const w of windows.values()) emitted += w.size;
    return emitted + k;
  };
}

function handSession(gap: number, perMs: number) {
  return (n: number) => {
    const r = new SeededRandom(SEED);
    const make = ev(perMs);
    const sessions = new Map<number, [number, number]>(); // key → [end, count]
    let emitted = 0;
    for (let i = 0; i < n; i++) {
      const e = make(i, r.reset(i));
      const s = sessions.get(e.key);
      if (s && e.at < s[0]) {
        s[0] = Math.max(s[0], e.at + gap);
        s[1]++;
      } else {
        if (s) emitted++;
        sessions.set(e.key, [e.at + gap, 1]);
      }
    }
    return emitted + sessions.size;
  };
}

const note = 'RxJS has no event-time windows (its window operators count records or wall-clock time), so only hand-loop is the baseline';

export const tumblingCount: Scenario = {
  name: 'tumbling-count',
  events: 10_000_000,
  quickEvents: 2_000_000,
  note,
  systems: { 'hand-loop': handSliding(10_000, 10_000, 10), weir: weirWindowCount(TumblingEventTimeWindows.of(10_000), 10) },
};

export const slidingCount: Scenario = {
  name: 'sliding-count',
  events: 10_000_000,
  quickEvents: 2_000_000,
  note,
  systems: { 'hand-loop': handSliding(10_000, 2_000, 10), weir: weirWindowCount(SlidingEventTimeWindows.of(10_000, 2_000), 10) },
};

export const sessionCount: Scenario = {
  name: 'session-count',
  events: 10_000_000,
  quickEvents: 2_000_000,
  note,
  systems: { 'hand-loop': handSession(2_000, 2), weir: weirWindowCount(EventTimeSessionWindows.withGap(2_000), 2) },
};
