import { StreamEnvironment, SeededRandom, WatermarkStrategy, TumblingEventTimeWindows, SlidingEventTimeWindows, EventTimeSessionWindows, type WindowAssigner } from '../../src/index.ts';
import type { Scenario } from '../scenario.ts';
import { SEED } from '../workloads.ts';
import { ResultDigest, digestSink, digestResult, mix } from '../result-digest.ts';

/** Every system emits one count per key and window; the digest is over those counts. */
const hashCount = (c: number) => mix(0, c);

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
    const sink = digestSink(hashCount);
    env
      .fromGenerator(ev(perMs), { count: n, seed: SEED })
      .assignTimestampsAndWatermarks(WatermarkStrategy.forMonotonousTimestamps<Ev>().withTimestampAssigner((e) => e.at))
      .keyBy((e) => e.key)
      .window(assigner)
      .aggregate({ createAccumulator: () => 0, add: (_e, c) => c + 1, getResult: (c) => c, merge: (a, b) => a + b })
      .sinkTo(sink);
    await env.execute('windows');
    return digestResult(sink.digest);
  };
}

/** Hand-written event-time windows (size/slide in ms): per window start a Map key → count, fired as time passes. */
function handSliding(size: number, slide: number, perMs: number) {
  return (n: number) => {
    const r = new SeededRandom(SEED);
    const make = ev(perMs);
    const windows = new Map<number, Map<number, number>>();
    const out = new Array<number>(1024);
    const d = new ResultDigest();
    let k = 0;
    const flush = () => {
      for (let j = 0; j < k; j++) d.add(hashCount(out[j]!));
      k = 0;
    };
    let nextFire = slide;
    const fireUpTo = (wm: number) => {
      while (nextFire - 1 <= wm) {
        const start = nextFire - size;
        const w = windows.get(start);
        if (w) {
          for (const c of w.values()) {
            out[k++] = c;
            if (k === out.length) flush();
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
    for (const w of windows.values()) for (const c of w.values()) d.add(hashCount(c));
    flush();
    return digestResult(d);
  };
}

function handSession(gap: number, perMs: number) {
  return (n: number) => {
    const r = new SeededRandom(SEED);
    const make = ev(perMs);
    const sessions = new Map<number, [number, number]>(); // key → [end, count]
    const d = new ResultDigest();
    for (let i = 0; i < n; i++) {
      const e = make(i, r.reset(i));
      const s = sessions.get(e.key);
      if (s && e.at < s[0]) {
        s[0] = Math.max(s[0], e.at + gap);
        s[1]++;
      } else {
        if (s) d.add(hashCount(s[1]));
        sessions.set(e.key, [e.at + gap, 1]);
      }
    }
    for (const s of sessions.values()) d.add(hashCount(s[1]));
    return digestResult(d);
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
