import {
  ListStateDescriptor, MapStateDescriptor, ValueStateDescriptor,
  type KeyedProcessFunction, type KeyedProcessContext, type OnTimerContext, type ProcessCollector, type RuntimeContext,
  type ListState, type MapState, type ValueState,
} from '../../../src/index.ts';
import { runEmbedded } from './embedded.ts';
import type { FaultInjector } from '../fault-injector.ts';
import type { Reading } from '../fixtures/inputs.ts';
import type { TrialPlan } from '../schedule.ts';
import type { TrialResult } from '../trial.ts';
import { keyedPayments, payments } from './payments.ts';

const WINDOW = 1000;

/** [user, window start, records (map), sum (map), records (list), max (list), windows fired so far, running sum]. */
export type StateRow = [number, number, number, number, number, number, number, number];

/**
 * Per user: a MapState of one-second windows to a tally object changed in place, a ListState of
 * [window, value] pairs, and a ValueState object of running totals changed in place when a window's
 * event-time timer fires. None of it is offered by key group (its values are objects), so a
 * checkpoint must capture it at the barrier: the records after it change the same objects.
 */
class WindowTallies implements KeyedProcessFunction<number, Reading, StateRow> {
  tallies!: MapState<number, { n: number; sum: number }>;
  values!: ListState<[number, number]>;
  running!: ValueState<{ windows: number; sum: number }>;
  /** Fault sites, shared by the subtasks' instances (each is an `Object.create` of this one). */
  private readonly strikeElement: () => void;
  private readonly strikeTimer: () => void;
  constructor(faults: FaultInjector) {
    this.strikeElement = faults.wrap('process-function', () => {});
    this.strikeTimer = faults.wrap('on-timer', () => {});
  }
  open(ctx: RuntimeContext) {
    this.tallies = ctx.getMapState(new MapStateDescriptor<number, { n: number; sum: number }>('tallies'));
    this.values = ctx.getListState(new ListStateDescriptor<[number, number]>('values'));
    this.running = ctx.getState(new ValueStateDescriptor<{ windows: number; sum: number }>('running'));
  }
  processElement(p: Reading, ctx: KeyedProcessContext<number>) {
    this.strikeElement();
    const w = Math.floor(p.at / WINDOW) * WINDOW;
    let t = this.tallies.get(w);
    if (t === undefined) this.tallies.put(w, (t = { n: 0, sum: 0 }));
    t.n++;
    t.sum += p.value;
    this.values.add([w, p.value]);
    ctx.timerService().registerEventTimeTimer(w + WINDOW - 1);
  }
  onTimer(time: number, ctx: OnTimerContext<number>, out: ProcessCollector<StateRow>) {
    this.strikeTimer();
    const w = time - WINDOW + 1;
    const t = this.tallies.get(w)!;
    this.tallies.remove(w);
    const mine: number[] = [];
    const rest: Array<[number, number]> = [];
    for (const e of this.values.get()) {
      if (e[0] === w) mine.push(e[1]);
      else rest.push(e);
    }
    this.values.update(rest);
    let r = this.running.value();
    if (r === undefined) this.running.update((r = { windows: 0, sum: 0 }));
    r.windows++;
    r.sum += t.sum;
    out.emit([ctx.currentKey, w, t.n, t.sum, mine.length, Math.max(...mine), r.windows, r.sum], time);
  }
}

/**
 * Keyed state in this process: seeded payments into a keyed process function of its own (a
 * rebalance before the sink, so no pre-commit holds it at the barrier) with MapState, ListState, a
 * ValueState object changed in place and event-time timers, one row per user and second, under
 * exceptions in the map, key selector, process function and timers, failed commits, and slow or
 * stalled sink writes. A record after a barrier that leaked into the checkpoint is counted twice
 * after a restore, in its window's row and in every later running total of its user: with the
 * checkpoint code before e81a7a6 most trials with a job rollback failed so (a one-actor restart
 * replays from its local snapshot and did not).
 */
export function keyedState(plan: TrialPlan): Promise<TrialResult> {
  const seed = plan.seed;
  return runEmbedded<StateRow>(plan, {
    build: (env, faults, sink) => {
      keyedPayments(env, seed, faults)
        .process(new WindowTallies(faults), 'window-tallies')
        .rebalance()
        .sinkTo(sink);
    },
    row: (r) => JSON.stringify(r),
    reference: () => {
      const byUser = new Map<number, Map<number, number[]>>();
      for (const p of payments(seed)) {
        const windows = byUser.get(p.key) ?? new Map<number, number[]>();
        byUser.set(p.key, windows);
        const w = Math.floor(p.at / WINDOW) * WINDOW;
        const vs = windows.get(w) ?? [];
        windows.set(w, vs);
        vs.push(p.value);
      }
      const rows: string[] = [];
      for (const [user, windows] of byUser) {
        let fired = 0;
        let running = 0;
        for (const w of [...windows.keys()].sort((a, b) => a - b)) {
          const vs = windows.get(w)!;
          const sum = vs.reduce((a, b) => a + b, 0);
          fired++;
          running += sum;
          rows.push(JSON.stringify([user, w, vs.length, sum, vs.length, Math.max(...vs), fired, running] satisfies StateRow));
        }
      }
      return rows;
    },
  });
}
