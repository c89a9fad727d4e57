import { compile, columnName, conjuncts, Constants, toFunction, type Scope } from './expressions.ts';
import { hasAggregate } from './aggregates.ts';
import { planGroupBy, type SelectItem } from './group-by.ts';
import { isWindowTvf, planWindowTvf, materializeWindow } from './window-tvf.ts';
import { planJoin } from './joins.ts';
import { planTopN, rankFilter, type TopNSpec } from './top-n.ts';
import { planOverAggregate, hasOverAggregate } from './over-aggregate.ts';
import type { Relation } from './relation.ts';
import type { TemporalClause } from './sql-text.ts';
import type { Change } from './changelog.ts';

/** What planning a query needs from the table environment. */
export interface PlanContext {
  /** A catalog table or view as a relation (planned once per environment, then shared). */
  table(name: string, alias: string | undefined): Relation;
  fail(message: string, word?: string): never;
  sessionPartitions: string[][];
  /** Temporal joins of the statement (`JOIN t FOR SYSTEM_TIME AS OF …`). */
  temporal: TemporalClause[];
  /** Operator names are prefixed with this (e.g. `sql-1`). */
  name: string;
}

/**
 * Plans a SELECT onto DataStream operators: FROM (tables, views, subqueries, window TVFs, joins)
 * → WHERE (a filter, pushed below joins where it can) → GROUP BY / Top-N → projection.
 */
export function planSelect(ast: any, ctx: PlanContext, topN?: TopNSpec): Relation {
  const scope = (rel: Relation): Scope => ({ entries: rel.entries, fail: ctx.fail });
  if (ast.type !== 'select') ctx.fail(`a query must be a SELECT, not ${String(ast.type).toUpperCase()}`);
  if (ast._next) ctx.fail('UNION / INTERSECT / EXCEPT are not supported', ast.set_op ?? 'UNION');
  if (ast.orderby && !topN) ctx.fail('ORDER BY is only supported inside OVER (…) of a Top-N', 'ORDER');
  if (ast.limit?.value?.length) ctx.fail('LIMIT is not supported on an unbounded stream', 'LIMIT');
  if (ast.distinct?.type) ctx.fail('SELECT DISTINCT is not supported: use GROUP BY', 'DISTINCT');
  if (!ast.from?.length) ctx.fail('SELECT needs a FROM clause', 'SELECT');
  let where = conjuncts(ast.where);
  // Top-N: the outer query filters the inner query's ROW_NUMBER()/RANK() column.
  let innerTopN: TopNSpec | undefined;
  const sub = ast.from.length === 1 ? ast.from[0]?.expr?.ast : undefined;
  if (sub) {
    const found = rankFilter(sub, where, ctx);
    if (found) ((innerTopN = found.spec), (where = found.rest));
  }
  let rel = planFrom(ast.from, where, ctx, innerTopN);
  where = rel.rest;
  let r: Relation = rel.relation;
  for (const w of where) r = filter(r, w, scope(r), ctx.name);
  const items = selectItems(ast.columns, r, ctx);
  if (topN) return planTopN(r, items, topN, scope(r), ctx.name);
  if (items.some((it) => hasOverAggregate(it.expr))) {
    if (ast.groupby?.columns?.length) ctx.fail('OVER aggregations and GROUP BY in one SELECT are not supported: group in a subquery', 'OVER');
    return planOverAggregate(r.window ? materializeWindow(r, scope(r)) : r, items, scope(r), ctx.name);
  }
  if (ast.groupby?.columns?.length || items.some((it) => hasAggregate(it.expr)) || ast.having) {
    return planGroupBy(r, ast.groupby?.columns ?? [], items, ast.having, scope(r), ctx.name);
  }
  if (r.window) r = materializeWindow(r, scope(r));
  return project(r, items, scope(r), ctx.name);
}

function planFrom(from: any[], where: any[], ctx: PlanContext, topN: TopNSpec | undefined): { relation: Relation; rest: any[] } {
  if (from.length === 2) return planJoin(from, where, ctx, (item) => planItem(item, ctx, undefined));
  if (from.length > 2) ctx.fail('joins of more than two inputs are not supported: join two in a subquery first', 'JOIN');
  return { relation: planItem(from[0], ctx, topN), rest: where };
}

function planItem(item: any, ctx: PlanContext, topN: TopNSpec | undefined): Relation {
  if (item.join) ctx.fail(`${item.join} must follow a table`, 'JOIN');
  if (item.table) return ctx.table(item.table, item.as ?? item.table);
  if (isWindowTvf(item)) return planWindowTvf(item, ctx.table, { entries: [], fail: ctx.fail }, ctx.sessionPartitions);
  if (item.expr?.ast) {
    const rel = planSelect(item.expr.ast, ctx, topN);
    const alias = item.as ?? undefined;
    return { ...rel, entries: rel.entries.map((e) => ({ ...e, alias })) };
  }
  return ctx.fail('unsupported FROM item: use a table, a view, a subquery or TABLE(TUMBLE|HOP|SESSION(…))', 'FROM');
}

/** The SELECT list with output names (`*` and `t.*` expanded). */
export function selectItems(columns: any[], rel: Relation, ctx: PlanContext): SelectItem[] {
  const items: SelectItem[] = [];
  columns.forEach((c: any, i: number) => {
    if (c.expr?.type === 'column_ref' && columnName(c.expr) === '*') {
      const entries = c.expr.table ? rel.entries.filter((e) => e.alias === c.expr.table) : rel.entries;
      if (entries.length === 0) ctx.fail(`'${c.expr.table}.*': no table '${c.expr.table}' in FROM`, `${c.expr.table}.*`);
      for (const e of entries) for (const col of e.columns) items.push({ name: col.name, expr: { type: 'column_ref', table: rel.entries.length > 1 ? e.alias : null, column: col.name } });
      return;
    }
    const name = c.as ?? (c.expr?.type === 'column_ref' ? columnName(c.expr) : `EXPR$${i}`);
    items.push({ name, expr: c.expr });
  });
  const seen = new Set<string>();
  for (const it of items) {
    if (seen.has(it.name)) ctx.fail(`duplicate output column '${it.name}': give one of them another name with AS`, it.name);
    seen.add(it.name);
  }
  return items;
}

/** A WHERE conjunct as a filter over the relation's records (changes: over their rows). */
export function filter(rel: Relation, cond: any, scope: Scope, name: string): Relation {
  const k = new Constants();
  const c = compile(cond, scope, k);
  const fn = toFunction<(r: unknown) => boolean>('r', `!!(${c.code})`, k);
  const stream = rel.changelog ? rel.stream.filter((ch: Change) => fn(ch.row), `${name}:where`) : rel.stream.filter(fn, `${name}:where`);
  return { ...rel, stream };
}

/** The SELECT list as one generated map (or nothing, when it selects every column unchanged). */
export function project(rel: Relation, items: SelectItem[], scope: Scope, name: string): Relation {
  const k = new Constants();
  const compiled = items.map((it) => ({ name: it.name, c: compile(it.expr, scope, k), plain: it.expr.type === 'column_ref' ? columnName(it.expr) : undefined }));
  const columns = compiled.map((x) => ({ name: x.name, type: x.c.type }));
  const renamed = (col: string | undefined) => (col === undefined ? undefined : compiled.find((x) => x.plain === col)?.name);
  const extra = { rowtime: renamed(rel.rowtime), windowEnd: renamed(rel.windowEnd), upsertKey: rel.upsertKey?.every((u) => renamed(u) !== undefined) ? rel.upsertKey.map((u) => renamed(u)!) : undefined };
  // Selecting every stored column unchanged (computed columns are not stored) passes the records on as they are.
  const stored = rel.columns.filter((c) => c.computed === undefined);
  const identity = rel.entries.length === 1 && rel.entries[0]!.access === 'r' && compiled.length === stored.length && compiled.every((x, i) => x.plain === stored[i]!.name && x.name === x.plain);
  const entries = [{ alias: undefined, columns, access: 'r' }];
  if (identity) return { ...rel, ...extra, entries: [{ alias: undefined, columns: stored, access: 'r' }], columns: stored, window: undefined };
  const fn = toFunction<(r: unknown) => unknown>('r', `({ ${compiled.map((x) => `${JSON.stringify(x.name)}: ${x.c.code}`).join(', ')} })`, k);
  const stream = rel.changelog ? rel.stream.map((ch: Change) => ({ kind: ch.kind, row: fn(ch.row) }), `${name}:select`) : rel.stream.map(fn, `${name}:select`);
  return { stream, entries, columns, changelog: rel.changelog, ...extra };
}
