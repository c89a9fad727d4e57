import { TumblingEventTimeWindows, SlidingEventTimeWindows, EventTimeSessionWindows } from '../windows/assigners/window-assigner.ts';
import { columnName, functionName, type Scope } from './expressions.ts';
import { intervalMs } from './sql-text.ts';
import { TIMESTAMP } from './schema.ts';
import type { Relation, WindowTvf } from './relation.ts';

const WINDOW_COLUMNS = ['window_start', 'window_end', 'window_time'];

/** Whether a FROM item is `TABLE(TUMBLE|HOP|SESSION(…))`. */
export function isWindowTvf(item: any): boolean {
  const e = item?.expr;
  return item?.type === 'expr' && e?.type === 'function' && functionName(e) === 'TABLE' && ['TUMBLE', 'HOP', 'SESSION', 'CUMULATE'].includes(functionName(e.args?.value?.[0] ?? {}));
}

/**
 * Plans a window table-valued function: `TUMBLE(TABLE t, DESCRIPTOR(ts), size)`,
 * `HOP(TABLE t, DESCRIPTOR(ts), slide, size)`, `SESSION(TABLE t [PARTITION BY k], DESCRIPTOR(ts), gap)`.
 * The result is `t`'s rows plus window_start, window_end and window_time, kept virtual: the GROUP
 * BY or Top-N that consumes it runs the existing window operator with the matching assigner.
 */
export function planWindowTvf(item: any, table: (name: string, alias?: string) => Relation, scope: Scope, sessionPartitions: string[][]): Relation {
  const call = item.expr.args.value[0];
  const kind = functionName(call);
  if (kind === 'CUMULATE') scope.fail('CUMULATE windows are not supported (TUMBLE, HOP and SESSION are)', 'CUMULATE');
  const args: any[] = call.args?.value ?? [];
  const data = args[0];
  if (data?.type !== 'column_ref') scope.fail(`${kind}: the first argument must be TABLE <name>`, kind);
  const source = table(columnName(data), item.as ?? undefined);
  const descriptor = args[1];
  if (descriptor?.type !== 'function' || functionName(descriptor) !== 'DESCRIPTOR') scope.fail(`${kind}: the second argument must be DESCRIPTOR(<time attribute>)`, kind);
  const timeCol = columnName(descriptor.args.value[0]);
  if (source.rowtime === undefined) scope.fail(`${kind}: '${columnName(data)}' has no time attribute; declare one with WATERMARK FOR <column> AS <column> - INTERVAL 'n' SECOND`, kind);
  if (source.rowtime !== timeCol) scope.fail(`${kind}: DESCRIPTOR(${timeCol}) must name the time attribute of '${columnName(data)}', which is '${source.rowtime}'`, timeCol);
  const ms = args.slice(2).map((a, i) => {
    const v = a?.type === 'interval' ? intervalMs(a.expr.value, a.unit) : undefined;
    if (v === undefined || !(v > 0)) scope.fail(`${kind}: argument ${i + 3} must be a positive INTERVAL, e.g. INTERVAL '10' SECOND`, kind);
    return v!;
  });
  let window: WindowTvf;
  if (kind === 'TUMBLE') {
    if (ms.length < 1 || ms.length > 2) scope.fail('TUMBLE(TABLE t, DESCRIPTOR(ts), size [, offset])', kind);
    window = { kind, assigner: TumblingEventTimeWindows.of(ms[0]!, ms[1] ?? 0), describe: `TUMBLE(size=${ms[0]}ms)`, tumble: { size: ms[0]!, offset: ms[1] ?? 0 } };
  } else if (kind === 'HOP') {
    if (ms.length < 2 || ms.length > 3) scope.fail('HOP(TABLE t, DESCRIPTOR(ts), slide, size [, offset])', kind);
    window = { kind, assigner: SlidingEventTimeWindows.of(ms[1]!, ms[0]!, ms[2] ?? 0), describe: `HOP(size=${ms[1]}ms, slide=${ms[0]}ms, shared slices)` };
  } else {
    if (ms.length !== 1) scope.fail('SESSION(TABLE t [PARTITION BY k], DESCRIPTOR(ts), gap)', kind);
    window = { kind: 'SESSION', assigner: EventTimeSessionWindows.withGap(ms[0]!), describe: `SESSION(gap=${ms[0]}ms)`, sessionPartition: sessionPartitions.shift() };
  }
  const windowCols = WINDOW_COLUMNS.map((name) => ({ name, type: TIMESTAMP }));
  const entries = source.entries.map((e, i) => (i === 0 ? { ...e, columns: [...e.columns.filter((c) => !WINDOW_COLUMNS.includes(c.name)), ...windowCols] } : e));
  return { ...source, entries, columns: [...source.columns, ...windowCols], window };
}

/**
 * A window TVF used as a plain table (no GROUP BY or Top-N over it): each row gets its window's
 * columns — one row per window it falls in (a HOP row falls in size/slide windows).
 */
export function materializeWindow(rel: Relation, scope: Scope): Relation {
  const w = rel.window!;
  if (w.assigner.kind !== 'sliding') scope.fail('a SESSION window TVF must be aggregated with GROUP BY window_start, window_end', 'SESSION');
  if (rel.entries.length !== 1) scope.fail('a window TVF over a join is not supported', 'TABLE');
  const { size, slide, offset } = w.assigner as { size: number; slide: number; offset: number };
  const time = rel.rowtime!;
  const stream = rel.stream.flatMap((r: Record<string, unknown>) => {
    const t = r[time] as number;
    const last = t - ((((t - offset) % slide) + slide) % slide);
    const out: Record<string, unknown>[] = [];
    for (let start = last; start > t - size; start -= slide) out.push({ ...r, window_start: start, window_end: start + size, window_time: start + size - 1 });
    return out.reverse();
  }, `window-tvf:${w.describe}`);
  return { ...rel, stream, entries: [{ ...rel.entries[0]!, access: 'r' }], window: undefined };
}
