import { MapStateDescriptor, ValueStateDescriptor } from '../state/state-descriptor.ts';
import type { KeyedCoProcessFunction } from '../api/process-function.ts';

/**
 * The keyed function of an event-time temporal join (`JOIN rates FOR SYSTEM_TIME AS OF o.ts`):
 * the versioned side's rows are kept per key, in time order; a probe row at time t waits until the
 * watermark passes t and then meets the version valid at t — the latest with time ≤ t. Versions
 * older than that one are dropped then, since later probes (timers fire in time order) need
 * only it or newer ones. An inner join: a probe row without a version yet is dropped.
 */
export function temporalJoin(
  probeTime: (row: unknown) => number,
  versionTime: (row: unknown) => number,
  check: ((t: unknown[]) => boolean) | undefined,
): KeyedCoProcessFunction<unknown, unknown, unknown, unknown[]> {
  const waiting = new MapStateDescriptor<number, unknown[]>('temporal-probes');
  const versions = new ValueStateDescriptor<unknown[]>('temporal-versions');
  return {
    processElement1(a, ctx) {
      const t = probeTime(a);
      const w = ctx.getMapState(waiting);
      const rows = w.get(t);
      if (rows) rows.push(a);
      else w.put(t, [a]);
      ctx.timerService().registerEventTimeTimer(t);
    },
    processElement2(b, ctx) {
      const state = ctx.getState(versions);
      const list = state.value() ?? [];
      const u = versionTime(b);
      let i = list.length;
      while (i > 0 && versionTime(list[i - 1]) > u) i--;
      // A version with the same time replaces the earlier one (an update of the key at that instant).
      if (i > 0 && versionTime(list[i - 1]) === u) list[i - 1] = b;
      else list.splice(i, 0, b);
      state.update(list);
    },
    onTimer(t, ctx, out) {
      const w = ctx.getMapState(waiting);
      const probes = w.get(t) ?? [];
      w.remove(t);
      const state = ctx.getState(versions);
      const list = state.value() ?? [];
      let v = -1;
      while (v + 1 < list.length && versionTime(list[v + 1]) <= t) v++;
      if (v < 0) return;
      const version = list[v];
      for (const a of probes) {
        const tuple = [a, version];
        if (!check || check(tuple)) out.collect(tuple);
      }
      if (v > 0) state.update(list.slice(v));
    },
  };
}
