import { MapStateDescriptor } from '../state/state-descriptor.ts';
import type { KeyedCoProcessFunction, KeyedProcessContext } from '../api/process-function.ts';
import type { AggregateFunction } from '../windows/window-function.ts';
import type { DataStream } from '../api/data-stream.ts';
import { columnName, Constants, toFunction, type ScopeEntry } from './expressions.ts';
import type { Relation } from './relation.ts';

/** A TUMBLE window aggregation not yet run (see `planGroupBy`): a window join may run two of them as one operator. */
export interface WindowAggregateSpec {
  /** The window TVF's input rows. */
  input: DataStream<unknown>;
  size: number;
  offset: number;
  /** The group key of an input row (as the window operator keys it). */
  key: (r: unknown) => unknown;
  aggregate: AggregateFunction<unknown, unknown, unknown>;
  /** The output row of a group (undefined when HAVING drops it). */
  build: (key: unknown, acc: unknown, w: { start: number; end: number }) => Record<string, unknown> | undefined;
  /** Output column → code over the input row `r`, for the grouped columns. */
  groupCode: Map<string, string>;
  /** The output columns holding window_start / window_end. */
  windowColumns: Map<string, 'window_start' | 'window_end'>;
  describe: string;
}

/** Per window of a join key: each side's groups, as [group key, accumulator] pairs. */
interface WindowGroups {
  l: [unknown, unknown][];
  r: [unknown, unknown][];
}

/**
 * Two TUMBLE aggregations with the same windows, joined on their window and on grouped columns
 * (Nexmark q8: persons ⋈ sellers per window): one keyed operator keyed by the join key, holding
 * both sides' group accumulators per window and joining the groups' rows when the window closes —
 * as a DataStream version would with one window over the union. The join's rows are those of the
 * separate plan: every left group row meets every right group row of its key and window.
 * Returns undefined when the join does not fit that shape.
 */
export function planFusedWindowJoin(left: Relation, right: Relation, keys: { l: any; r: any }[], entries: ScopeEntry[], check: ((t: unknown[]) => boolean) | undefined, name: string): Relation | undefined {
  const a = left.windowAggregate;
  const b = right.windowAggregate;
  if (!a || !b || a.size !== b.size || a.offset !== b.offset) return undefined;
  let sameWindow = false;
  const codes: { l: string; r: string }[] = [];
  for (const key of keys) {
    if (key.l.type !== 'column_ref' || key.r.type !== 'column_ref') return undefined;
    const nl = columnName(key.l);
    const nr = columnName(key.r);
    const wl = a.windowColumns.get(nl);
    const wr = b.windowColumns.get(nr);
    if (wl || wr) {
      if (wl !== wr) return undefined;
      sameWindow = true;
      continue;
    }
    const cl = a.groupCode.get(nl);
    const cr = b.groupCode.get(nr);
    if (cl === undefined || cr === undefined) return undefined;
    codes.push({ l: cl, r: cr });
  }
  if (!sameWindow) return undefined;
  const k = new Constants();
  const keyOf = (side: 'l' | 'r') => toFunction<(r: unknown) => unknown>('r', codes.length === 0 ? '0' : codes.length === 1 ? codes[0]![side] : `JSON.stringify([${codes.map((c) => c[side]).join(', ')}])`, k);
  const stream = a.input
    .connect(b.input)
    .keyBy(keyOf('l'), keyOf('r'))
    .process(windowJoin(a, b, check), `${name}:window-join(TUMBLE(size=${a.size}ms), both aggregations in one operator)`);
  return { stream, entries, columns: [...left.columns, ...right.columns], changelog: false, windowEnd: undefined };
}

/** The keyed function of {@link planFusedWindowJoin} (exported for its test). */
export function windowJoin(a: WindowAggregateSpec, b: WindowAggregateSpec, check: ((t: unknown[]) => boolean) | undefined): KeyedCoProcessFunction<unknown, unknown, unknown, unknown[]> {
  const windows = new MapStateDescriptor<number, WindowGroups>('window-join-groups');
  const { size, offset } = a;
  const add = (spec: WindowAggregateSpec, side: 'l' | 'r', r: unknown, ctx: KeyedProcessContext<unknown>) => {
    const t = ctx.timestamp!;
    const start = t - ((((t - offset) % size) + size) % size);
    const end = start + size;
    const timers = ctx.timerService();
    if (end - 1 <= timers.currentWatermark()) return; // late: its window fired already
    const state = ctx.getMapState(windows);
    let w = state.get(start);
    if (!w) {
      w = { l: [], r: [] };
      // One timer per key and window: registered with the window's state, which the timer removes.
      timers.registerEventTimeTimer(end - 1);
    }
    const groups = w[side];
    const key = spec.key(r);
    let i = 0;
    while (i < groups.length && groups[i]![0] !== key) i++;
    // In place: snapshots encode the state synchronously when taken, and `put` marks the key.
    if (i === groups.length) groups.push([key, spec.aggregate.add(r, spec.aggregate.createAccumulator())]);
    else {
      const acc = groups[i]![1];
      const next = spec.aggregate.add(r, acc);
      // A number accumulator left as it was (a GROUP BY without aggregates): nothing to write.
      if (next === acc && !Array.isArray(acc)) return;
      groups[i]![1] = next;
    }
    state.put(start, w);
  };
  return {
    processElement1: (r, ctx) => add(a, 'l', r, ctx),
    processElement2: (r, ctx) => add(b, 'r', r, ctx),
    onTimer(t, ctx, out) {
      const start = t + 1 - size;
      const state = ctx.getMapState(windows);
      const w = state.get(start);
      if (!w) return;
      state.remove(start);
      if (w.l.length === 0 || w.r.length === 0) return;
      const win = { start, end: start + size };
      const rights = w.r.map(([key, acc]) => b.build(key, b.aggregate.getResult(acc), win)).filter((x) => x !== undefined);
      for (const [key, acc] of w.l) {
        const lrow = a.build(key, a.aggregate.getResult(acc), win);
        if (lrow === undefined) continue;
        for (const rrow of rights) {
          const tuple = [lrow, rrow];
          if (!check || check(tuple)) out.collect(tuple);
        }
      }
    },
  };
}
