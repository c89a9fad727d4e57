import { ValueStateDescriptor } from '../state/state-descriptor.ts';
import type { AggregateFunction } from '../windows/window-function.ts';
import { compile, columnName, Constants, toFunction, type Scope } from './expressions.ts';
import { NUMBER, TIMESTAMP } from './schema.ts';
import { rowRelation, type Relation } from './relation.ts';
import type { SelectItem } from './group-by.ts';
import type { PlanContext } from './planner.ts';
import type { Change } from './changelog.ts';

/** A Top-N found in a query: `ROW_NUMBER()|RANK() OVER (PARTITION BY … ORDER BY …) AS rn` and `rn <= n`. */
export interface TopNSpec {
  fn: 'ROW_NUMBER' | 'RANK';
  rankName: string;
  n: number;
  partition: any[];
  order: { expr: any; desc: boolean }[];
}

/** Finds the rank column of `inner` and the outer conjunct bounding it; the other conjuncts stay. */
export function rankFilter(inner: any, where: any[], ctx: PlanContext): { spec: TopNSpec; rest: any[] } | undefined {
  const col = (inner.columns ?? []).find((c: any) => c.expr?.type === 'window_func');
  if (!col) return undefined;
  const fn = String(col.expr.name).toUpperCase();
  if (fn !== 'ROW_NUMBER' && fn !== 'RANK') ctx.fail(`${fn}() OVER is not supported (ROW_NUMBER and RANK are, for Top-N)`, fn);
  const rankName: string = col.as ?? ctx.fail(`give ${fn}() OVER (…) a name with AS, and filter on it in the outer WHERE`, fn);
  const bound = where.find((w) => w.type === 'binary_expr' && w.left?.type === 'column_ref' && columnName(w.left) === rankName && ['<=', '<', '='].includes(w.operator) && w.right?.type === 'number');
  if (!bound) ctx.fail(`Top-N needs the outer WHERE to bound the rank: WHERE ${rankName} <= N`, rankName);
  const n = bound.operator === '<' ? Number(bound.right.value) - 1 : Number(bound.right.value);
  if (bound.operator === '=' && n !== 1) ctx.fail(`${rankName} = ${n}: only ${rankName} = 1 or ${rankName} <= N are supported`, rankName);
  const spec = col.expr.over?.as_window_specification?.window_specification;
  if (!spec?.orderby?.length) ctx.fail(`${fn}() OVER needs ORDER BY`, fn);
  if (spec.window_frame_clause) ctx.fail('a window frame is meaningless for a Top-N rank', 'ROWS');
  return {
    spec: { fn, rankName, n, partition: (spec.partitionby ?? []).map((p: any) => p.expr), order: spec.orderby.map((o: any) => ({ expr: o.expr, desc: o.type === 'DESC' })) },
    rest: where.filter((w) => w !== bound),
  };
}

type Compare = (x: unknown, y: unknown) => number;

/** Inserts `row` into `best` (sorted) and cuts what ranks beyond n; RANK keeps ties. */
function insertRanked(best: unknown[], row: unknown, cmp: Compare, n: number, rank: boolean): unknown[] {
  let i = best.length;
  while (i > 0 && cmp(best[i - 1], row) > 0) i--;
  if (i >= n && !(rank && cmp(best[n - 1], row) === 0)) return best;
  best.splice(i, 0, row);
  let keep = Math.min(n, best.length);
  if (rank) while (keep < best.length && cmp(best[keep - 1], best[keep]) === 0) keep++;
  best.length = keep;
  return best;
}

/**
 * Window Top-N: over a window TVF (the window operator with a bounded top-N accumulator, HOP on
 * shared slices) or over a window aggregation's final rows (keyed by partition, emitted when the
 * watermark passes the window end), or unbounded: an updating result, a changed rank is retracted
 * (-U) and emitted anew (+U), a row pushed out of the top N deleted (-D).
 */
export function planTopN(rel: Relation, items: SelectItem[], spec: TopNSpec, scope: Scope, name: string): Relation {
  const k = new Constants();
  const windowCols = ['window_start', 'window_end', 'window_time'];
  const partNames = spec.partition.map((p) => (p.type === 'column_ref' ? columnName(p) : scope.fail('PARTITION BY supports column names only', 'PARTITION')));
  const rowScope: Scope = { entries: rel.entries, fail: scope.fail };
  const keyCols = rel.window ? spec.partition.filter((_p, i) => !windowCols.includes(partNames[i]!)) : spec.partition;
  if (rel.window && !partNames.some((p) => p === 'window_start' || p === 'window_end')) scope.fail('a Top-N over a window TVF must PARTITION BY window_start, window_end', 'PARTITION');
  if (rel.changelog) scope.fail('Top-N over an updating (changelog) input is not supported: rank an append-only table', 'PARTITION');
  const perWindow = rel.window !== undefined || (rel.windowEnd !== undefined && partNames.includes(rel.windowEnd));
  const keyCodes = keyCols.map((p) => compile(p, rowScope, k).code);
  const keyFn = toFunction<(r: unknown) => unknown>('r', keyCodes.length === 0 ? '0' : keyCodes.length === 1 ? keyCodes[0]! : `JSON.stringify([${keyCodes.join(', ')}])`, k);
  const orderFns = spec.order.map((o) => toFunction<(r: unknown) => any>('r', compile(o.expr, rowScope, k).code, k));
  const desc = spec.order.map((o) => o.desc);
  const cmp: Compare = (x, y) => {
    for (let i = 0; i < orderFns.length; i++) {
      const a = orderFns[i]!(x);
      const b = orderFns[i]!(y);
      if (a !== b) return (a < b ? -1 : 1) * (desc[i] ? -1 : 1);
    }
    return 0;
  };
  const rank = spec.fn === 'RANK';
  const extraCols = [...(rel.window ? windowCols.map((n) => ({ name: n, type: TIMESTAMP })) : []), { name: spec.rankName, type: NUMBER }];
  const entries = [{ ...rel.entries[0]!, columns: rel.entries[0]!.columns.filter((c) => !windowCols.includes(c.name) || !rel.window) }, { alias: rel.entries[0]!.alias, columns: extraCols, access: 'x' }];
  const outScope: Scope = { entries, fail: scope.fail };
  const compiled = items.filter((it) => it.expr.type !== 'window_func').map((it) => ({ name: it.name, c: compile(it.expr, outScope, k) }));
  const rankItem = items.find((it) => it.expr.type === 'window_func');
  const fields = items.map((it) => (it === rankItem ? `${JSON.stringify(it.name)}: x[${JSON.stringify(spec.rankName)}]` : `${JSON.stringify(it.name)}: ${compiled.find((c) => c.name === it.name)!.c.code}`));
  const build = toFunction<(r: unknown, x: Record<string, number>) => Record<string, unknown>>('r, x', `({ ${fields.join(', ')} })`, k);
  const columns = items.map((it) => (it === rankItem ? { name: it.name, type: NUMBER } : { name: it.name, type: compiled.find((c) => c.name === it.name)!.c.type }));
  const emitRanked = (best: unknown[], x: Record<string, number>, emit: (row: Record<string, unknown>) => void) => {
    for (let i = 0; i < best.length; i++) {
      x[spec.rankName] = rank ? (i > 0 && cmp(best[i - 1], best[i]) === 0 ? x[spec.rankName]! : i + 1) : i + 1;
      emit(build(best[i], { ...x }));
    }
  };
  const windowEndOut = items.find((it) => it.expr.type === 'column_ref' && columnName(it.expr) === (rel.window ? 'window_end' : rel.windowEnd))?.name;
  if (rel.window) {
    const topN: AggregateFunction<unknown, unknown[], unknown[]> = {
      createAccumulator: () => [],
      add: (r, best) => insertRanked(best, r, cmp, spec.n, rank),
      getResult: (best) => best,
      merge: (a, b) => b.reduce((acc: unknown[], r) => insertRanked(acc, r, cmp, spec.n, rank), a.slice()),
    };
    const stream = rel.stream.keyBy(keyFn).window(rel.window.assigner).aggregate<unknown[], unknown[], Record<string, unknown>>(
      topN,
      (_key, [best], ctx, out) => emitRanked(best!, { window_start: ctx.window.start, window_end: ctx.window.end, window_time: ctx.window.end - 1 }, (row) => out.emit(row, ctx.window.end - 1)),
      `${name}:top-${spec.n}:${rel.window.describe}`,
    );
    return rowRelation(stream, columns, undefined, { windowEnd: windowEndOut });
  }
  const state = new ValueStateDescriptor<unknown[]>('top-n');
  if (!perWindow) {
    // Unbounded: the result updates; each changed rank position is retracted and re-emitted.
    const stream = rel.stream.keyBy(keyFn).process<Change>(
      {
        processElement(r, ctx, out) {
          const s = ctx.getState(state);
          const before = s.value() ?? [];
          const after = insertRanked(before.slice(), r, cmp, spec.n, rank);
          s.update(after);
          const rows = (best: unknown[]) => {
            const built: Record<string, unknown>[] = [];
            emitRanked(best, {}, (row) => built.push(row));
            return built;
          };
          const old = rows(before);
          const now = rows(after);
          for (let i = 0; i < Math.max(old.length, now.length); i++) {
            if (before[i] === after[i] && old[i]?.[spec.rankName] === now[i]?.[spec.rankName]) continue;
            if (old[i] && now[i]) {
              out.collect({ kind: '-U', row: old[i]! });
              out.collect({ kind: '+U', row: now[i]! });
            } else if (old[i]) out.collect({ kind: '-D', row: old[i]! });
            else out.collect({ kind: '+I', row: now[i]! });
          }
        },
      },
      `${name}:top-${spec.n}:unbounded`,
    );
    return { ...rowRelation(stream, columns, undefined), changelog: true };
  }
  const endOf = toFunction<(r: unknown) => number>('r', compile({ type: 'column_ref', table: null, column: rel.windowEnd }, rowScope, k).code, k);
  const stream = rel.stream.keyBy(keyFn).process<Record<string, unknown>>(
    {
      processElement(r, ctx) {
        const s = ctx.getState(state);
        s.update(insertRanked(s.value() ?? [], r, cmp, spec.n, rank));
        ctx.timerService().registerEventTimeTimer(endOf(r) - 1);
      },
      onTimer(_t, ctx, out) {
        const s = ctx.getState(state);
        emitRanked(s.value() ?? [], {}, (row) => out.collect(row));
        s.clear();
      },
    },
    `${name}:top-${spec.n}:per-window`,
  );
  return rowRelation(stream, columns, undefined, { windowEnd: windowEndOut });
}
