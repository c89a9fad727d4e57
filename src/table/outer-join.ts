import { ValueStateDescriptor } from '../state/state-descriptor.ts';
import type { KeyedCoProcessFunction, KeyedProcessContext, ProcessCollector } from '../api/process-function.ts';
import type { Change } from './changelog.ts';
import type { Column } from './schema.ts';

/** Which sides of an outer join keep their unmatched rows (padded with NULLs). */
export interface OuterSides {
  left: boolean;
  right: boolean;
}

/** A row kept by the join and the number of rows of the other side it has met. */
interface Kept {
  row: unknown;
  n: number;
}

/** A row of NULLs in the place of a side's row (computed columns are NULL through their expressions). */
export function nullRow(columns: Column[]): Record<string, null> {
  return Object.fromEntries(columns.filter((c) => c.computed === undefined).map((c) => [c.name, null]));
}

/**
 * LEFT / RIGHT / FULL OUTER regular join of two append-only inputs, as a changelog of `[left, right]`
 * tuples: a row with no match yet is emitted padded with the other side's NULL row (+I); when its
 * first match arrives that row is retracted (-D) and the joined rows inserted (+I), as Flink does.
 * Both sides are kept in keyed state with the number of matches of each row.
 */
export function outerJoin(sides: OuterSides, check: ((t: unknown[]) => boolean) | undefined, nullLeft: unknown, nullRight: unknown): KeyedCoProcessFunction<unknown, unknown, unknown, Change<unknown[]>> {
  const lefts = new ValueStateDescriptor<Kept[]>('outer-join-left');
  const rights = new ValueStateDescriptor<Kept[]>('outer-join-right');
  const arrive = (row: unknown, isLeft: boolean, ctx: KeyedProcessContext<unknown>, out: ProcessCollector<Change<unknown[]>>) => {
    const mineState = ctx.getState(isLeft ? lefts : rights);
    const otherState = ctx.getState(isLeft ? rights : lefts);
    const others = otherState.value() ?? [];
    const pair = (mine: unknown, other: unknown) => (isLeft ? [mine, other] : [other, mine]);
    const otherOuter = isLeft ? sides.right : sides.left;
    const mineOuter = isLeft ? sides.left : sides.right;
    let n = 0;
    let touched = false;
    for (const o of others) {
      const t = pair(row, o.row);
      if (check && !check(t)) continue;
      n++;
      // The other row was out padded with NULLs: its first match takes that row back.
      if (otherOuter && o.n === 0) out.collect({ kind: '-D', row: pair(isLeft ? nullLeft : nullRight, o.row) });
      o.n++;
      touched = true;
      out.collect({ kind: '+I', row: t });
    }
    if (n === 0 && mineOuter) out.collect({ kind: '+I', row: pair(row, isLeft ? nullRight : nullLeft) });
    // In place: snapshots encode the state synchronously when taken; `update` marks the key.
    if (touched) otherState.update(others);
    const mine = mineState.value() ?? [];
    mine.push({ row, n });
    mineState.update(mine);
  };
  return {
    processElement1: (a, ctx, out) => arrive(a, true, ctx, out),
    processElement2: (b, ctx, out) => arrive(b, false, ctx, out),
  };
}
