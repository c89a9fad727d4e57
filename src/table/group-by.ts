import { ValueStateDescriptor } from '../state/state-descriptor.ts';
import type { KeyedProcessFunction } from '../api/process-function.ts';
import type { Collector } from '../runtime/collector.ts';
import { compile, predicate, columnName, Constants, resolveColumn, toFunction, type Scope } from './expressions.ts';
import { AggregateCompiler } from './aggregates.ts';
import { TIMESTAMP, type Column } from './schema.ts';
import { rowRelation, lazyRelation, type Relation } from './relation.ts';
import type { WindowAggregateSpec } from './window-join.ts';
import type { Change } from './changelog.ts';
import { planBoundedJoinAggregate } from './bounded-join.ts';

/** What a planned SELECT item needs: its output name and expression. */
export interface SelectItem {
  name: string;
  expr: any;
}

type RowBuilder = (key: unknown, a: unknown, w: { start: number; end: number } | undefined) => Record<string, unknown> | undefined;

/**
 * GROUP BY over a relation: a window aggregation when the input is a window TVF (the existing
 * window operator; HOP shares slices), else an unbounded aggregation whose output is a changelog
 * (+I on a key's first row, then -U/+U per update; -D when HAVING stops holding).
 */
export function planGroupBy(input: Relation, groupBy: any[], items: SelectItem[], having: any, scope: Scope, name: string): Relation {
  if (input.boundedJoin) {
    const fused = planBoundedJoinAggregate(input.boundedJoin, groupBy, items, having, scope, name);
    if (fused) return fused;
  }
  const k = new Constants();
  if (input.changelog && input.window) scope.fail('a window aggregation needs an append-only input', 'GROUP');
  const inScope: Scope = { entries: input.entries, fail: scope.fail };
  const windowCols: string[] = [];
  const keys: { name: string; code: string; column: Column; alias?: string }[] = [];
  // GROUP BY <expression>: a key column of its own, which SELECT and HAVING read where they repeat the expression.
  const exprKeys: { ast: any; name: string }[] = [];
  groupBy.forEach((g, i) => {
    if (g.type === 'column_ref') return;
    const name = items.find((it) => sameExpression(it.expr, g))?.name ?? `EXPR$GROUP${i}`;
    const c = compile(g, inScope, k);
    keys.push({ name, code: c.code, column: { name, type: c.type }, alias: input.entries[0]?.alias });
    exprKeys.push({ ast: g, name });
  });
  if (exprKeys.length) {
    items = items.map((it) => ({ name: it.name, expr: replaceExpressions(it.expr, exprKeys) }));
    if (having) having = replaceExpressions(having, exprKeys);
  }
  for (const g of groupBy) {
    if (g.type !== 'column_ref') continue;
    const n = columnName(g);
    if (input.window && (n === 'window_start' || n === 'window_end' || n === 'window_time')) {
      windowCols.push(n);
      continue;
    }
    const c = resolveColumn(g, inScope);
    const alias = g.table ?? input.entries.find((e) => e.columns.some((col) => col.name === n))?.alias;
    keys.push({ name: n, code: c.code, column: { name: n, type: c.type }, alias });
  }
  if (input.window && !windowCols.includes('window_start') && !windowCols.includes('window_end')) scope.fail('a window TVF needs window_start and window_end in GROUP BY', 'GROUP');
  const keyCode = keys.length === 0 ? '0' : keys.length === 1 ? keys[0]!.code : `JSON.stringify([${keys.map((x) => x.code).join(', ')}])`;
  const keyFn = toFunction<(r: unknown) => unknown>('r', keyCode, k);
  const gFields = keys.map((x, i) => `${JSON.stringify(x.name)}: ${keys.length === 1 ? 'key' : `kk[${i}]`}`);
  const windowValue: Record<string, string> = { window_start: 'w.start', window_end: 'w.end', window_time: 'w.end - 1' };
  for (const w of windowCols) gFields.push(`${JSON.stringify(w)}: ${windowValue[w]}`);
  // Output scope: the group columns (under their input's alias) and the aggregates.
  const aliases = [...new Set(keys.map((x) => x.alias))];
  const entries = (aliases.length ? aliases : [input.entries[0]?.alias]).map((alias, i) => ({
    alias,
    columns: [...keys.filter((x) => x.alias === alias).map((x) => x.column), ...(i === 0 ? windowCols.map((w) => ({ name: w, type: TIMESTAMP })) : [])],
    access: 'g',
  }));
  const aggs = new AggregateCompiler(inScope, k);
  if (input.changelog) aggs.overChangelog();
  const outScope: Scope = {
    entries,
    fail: (m, w) => scope.fail(m.startsWith('column') ? `${m}; in a GROUP BY query a column must be grouped or aggregated` : m, w),
    aggregate: (node) => aggs.ref(node),
  };
  const compiled = items.map((it) => ({ name: it.name, c: compile(it.expr, outScope, k) }));
  const havingCode = having ? predicate(having, outScope, k) : 'true';
  const aggregate = aggs.build();
  const build = toFunction<RowBuilder>('key, a, w', aggs.resolve(`{ ${keys.length > 1 ? 'const kk = JSON.parse(key);' : ''} const g = { ${gFields.join(', ')} }; if (!(${havingCode})) return undefined; return { ${compiled.map((x) => `${JSON.stringify(x.name)}: ${x.c.code}`).join(', ')} }; }`), k);
  const columns = compiled.map((x) => ({ name: x.name, type: x.c.type }));
  const plainOut = (col: string) => items.find((it) => it.expr.type === 'column_ref' && columnName(it.expr) === col)?.name;
  if (input.changelog) {
    // Over a changelog: +I/+U add the row, -U/-D take it back; a group whose rows are all gone is deleted.
    const retract = aggs.retractor();
    const rowKey = (c: Change) => keyFn(c.row);
    const stream = input.stream.keyBy(rowKey).process(retractingAggregate(aggregate, retract, build), `${name}:group-aggregate(retracting)`);
    const upsertKey = keys.map((x) => plainOut(x.name)).filter((x): x is string => x !== undefined);
    return { ...rowRelation(stream, columns, undefined), changelog: true, upsertKey: upsertKey.length === keys.length ? upsertKey : undefined };
  }
  if (input.window) {
    const window = input.window;
    const windowed = () =>
      input.stream.keyBy(keyFn).window(window.assigner).aggregate<unknown, unknown, Record<string, unknown>>(
        aggregate,
        (key, [a], ctx, out) => {
          const row = build(key, a, ctx.window);
          if (row !== undefined) out.emit(row, ctx.window.end - 1);
        },
        `${name}:${window.describe}`,
      );
    if (!window.tumble) return rowRelation(windowed(), columns, undefined, { windowEnd: plainOut('window_end') });
    // Built when read: a window join of two such aggregations may run them as one operator instead.
    const groupCode = new Map<string, string>();
    const windowColumns = new Map<string, 'window_start' | 'window_end'>();
    for (const it of items) {
      if (it.expr.type !== 'column_ref') continue;
      const n = columnName(it.expr);
      const key = keys.find((x) => x.name === n);
      if (key) groupCode.set(it.name, key.code);
      else if (n === 'window_start' || n === 'window_end') windowColumns.set(it.name, n);
    }
    const windowAggregate: WindowAggregateSpec = { input: input.stream, ...window.tumble, key: keyFn, aggregate, build, groupCode, windowColumns, describe: window.describe };
    return lazyRelation({ ...rowRelation(undefined as never, columns, undefined, { windowEnd: plainOut('window_end') }), windowAggregate }, windowed);
  }
  const keyed = input.stream.keyBy(keyFn);
  const stream = keyed.process(unboundedAggregate(aggregate, build), `${name}:group-aggregate`);
  const upsertKey = keys.map((x) => plainOut(x.name)).filter((x): x is string => x !== undefined);
  return { ...rowRelation(stream, columns, undefined), changelog: true, upsertKey: upsertKey.length === keys.length ? upsertKey : undefined };
}

const stripped = (node: any) => JSON.stringify(node, (key, v) => (key === 'loc' || key === 'parentheses' ? undefined : v));

/** Whether two expression ASTs are the same expression (positions and parentheses aside). */
export function sameExpression(a: any, b: any): boolean {
  return stripped(a) === stripped(b);
}

/** The expression with each occurrence of a GROUP BY expression replaced by a read of its key column. */
function replaceExpressions(node: any, exprs: { ast: any; name: string }[]): any {
  if (!node || typeof node !== 'object') return node;
  const hit = exprs.find((e) => sameExpression(e.ast, node));
  if (hit) return { type: 'column_ref', table: null, column: hit.name };
  if (node.type === 'aggr_func') return node; // an aggregate's argument reads the input rows
  if (Array.isArray(node)) return node.map((n) => replaceExpressions(n, exprs));
  return Object.fromEntries(Object.entries(node).map(([key, v]) => [key, replaceExpressions(v, exprs)]));
}

/** The keyed function of an unbounded GROUP BY: per key, the accumulator in keyed state. */
function unboundedAggregate(fn: ReturnType<AggregateCompiler['build']>, build: RowBuilder): KeyedProcessFunction<unknown, unknown, Change> {
  const acc = new ValueStateDescriptor<unknown>('group-accumulator');
  return {
    processElement(r, ctx, out: Collector<Change> & { collect(c: Change): void }) {
      const state = ctx.getState(acc);
      const prev = state.value();
      const next = fn.add(r, prev === undefined ? fn.createAccumulator() : AggregateCompiler.copy(prev));
      // An unchanged accumulator (a MAX the row did not beat, a GROUP BY without aggregates): its row is the same, so no write and no -U/+U.
      if (prev !== undefined && AggregateCompiler.same(prev, next)) return;
      state.update(next);
      const before = prev === undefined ? undefined : build(ctx.currentKey, prev, undefined);
      const after = build(ctx.currentKey, next, undefined);
      if (before && after) {
        out.collect({ kind: '-U', row: before });
        out.collect({ kind: '+U', row: after });
      } else if (before) out.collect({ kind: '-D', row: before });
      else if (after) out.collect({ kind: '+I', row: after });
    },
  };
}

/** An unbounded GROUP BY over a changelog: the accumulator and the group's row count in keyed state. */
function retractingAggregate(fn: ReturnType<AggregateCompiler['build']>, retract: (r: unknown, a: unknown) => unknown, build: RowBuilder): KeyedProcessFunction<unknown, Change, Change> {
  const acc = new ValueStateDescriptor<{ a: unknown; n: number }>('group-accumulator');
  return {
    processElement(c, ctx, out: Collector<Change> & { collect(c: Change): void }) {
      const state = ctx.getState(acc);
      const prev = state.value();
      const adds = c.kind === '+I' || c.kind === '+U';
      if (!prev && !adds) return; // a retraction of nothing (its insert was filtered away)
      const base = prev ? AggregateCompiler.copy(prev.a) : fn.createAccumulator();
      const next = { a: adds ? fn.add(c.row, base) : retract(c.row, base), n: (prev?.n ?? 0) + (adds ? 1 : -1) };
      const before = prev ? build(ctx.currentKey, prev.a, undefined) : undefined;
      const after = next.n > 0 ? build(ctx.currentKey, next.a, undefined) : undefined;
      if (next.n > 0) state.update(next);
      else state.clear();
      if (before && after) {
        if (JSON.stringify(before) === JSON.stringify(after)) return;
        out.collect({ kind: '-U', row: before });
        out.collect({ kind: '+U', row: after });
      } else if (before) out.collect({ kind: '-D', row: before });
      else if (after) out.collect({ kind: '+I', row: after });
    },
  };
}
