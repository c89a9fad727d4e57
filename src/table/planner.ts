import { compile, columnName, conjuncts, Constants, predicate, toFunction, type Scope, type ScopeEntry } from './expressions.ts';
import { hasAggregate } from './aggregates.ts';
import { planGroupBy, type SelectItem } from './group-by.ts';
import { isWindowTvf, planWindowTvf, materializeWindow } from './window-tvf.ts';
import { planJoin } from './joins.ts';
import { planTopN, rankFilter, type TopNSpec } from './top-n.ts';
import { planOverAggregate, hasOverAggregate } from './over-aggregate.ts';
import { RECORD, copyRelation, lazyRelation, type Relation } from './relation.ts';
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
    return withAlias(planSelect(item.expr.ast, ctx, topN), item.as ?? undefined);
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

/** The relation seen under another alias (a fusable projection stays unbuilt). */
export function withAlias(rel: Relation, alias: string | undefined): Relation {
  const aliased = (es: ScopeEntry[]) => es.map((e) => ({ ...e, alias }));
  return copyRelation(rel, { entries: aliased(rel.entries), ...(rel.fusable ? { fusable: { input: rel.fusable.input, entries: aliased(rel.fusable.entries), k: rel.fusable.k } } : {}) });
}

/** Generated code over {@link RECORD} as code over the parameter `r`. */
const overR = (code: string) => code.split(RECORD).join('r');

/** A WHERE conjunct as a filter over the relation's records (changes: over their rows). */
export function filter(rel: Relation, cond: any, scope: Scope, name: string): Relation {
  if (rel.fusable) {
    // Below the projection: the condition reads the projected columns' code over the input record.
    const { input, entries, k } = rel.fusable;
    const fn = toFunction<(r: unknown) => boolean>('r', `!!(${overR(predicate(cond, { entries, fail: scope.fail }, k))})`, k);
    const filtered = { ...input, stream: input.stream.filter(fn, `${name}:where`) };
    return fusableProjection(rel, filtered, entries, k, name);
  }
  const k = new Constants();
  const fn = toFunction<(r: unknown) => boolean>('r', `!!(${predicate(cond, scope, k)})`, k);
  const stream = rel.changelog ? rel.stream.filter((ch: Change) => fn(ch.row), `${name}:where`) : rel.stream.filter(fn, `${name}:where`);
  // Filtered: no longer the unbuilt operator a join or GROUP BY could fuse with.
  return { ...rel, stream, windowAggregate: undefined, boundedJoin: undefined };
}

/** A projection of `input`'s records whose stream (one generated map) is built only if read. */
function fusableProjection(meta: Omit<Relation, 'stream'>, input: Relation, entries: ScopeEntry[], k: Constants, name: string): Relation {
  const build = () => {
    const cols = entries[0]!.columns;
    const fn = toFunction<(r: unknown) => unknown>('r', `({ ${cols.map((c) => `${JSON.stringify(c.name)}: ${overR(c.inline!)}`).join(', ')} })`, k);
    return input.stream.map(fn, `${name}:select`);
  };
  const { fusable: _f, boundedJoin: _b, ...rest } = Object.fromEntries(Object.entries(Object.getOwnPropertyDescriptors(meta)).filter(([key]) => key !== 'stream').map(([key, d]) => [key, d.value])) as Relation;
  return lazyRelation({ ...rest, fusable: { input, entries, k } }, build);
}

/** The SELECT list as one generated map (or nothing, when it selects every column unchanged). */
export function project(rel: Relation, items: SelectItem[], scope: Scope, name: string): Relation {
  // Over a fusable projection, its constants are shared: the columns' code refers to them.
  const k = rel.fusable?.k ?? new Constants();
  // Over a projection not yet run, or over plain rows: compile over the input record so that a
  // further projection or filter fuses into the same map.
  const fusing = !rel.changelog && !rel.window && (rel.fusable !== undefined || (rel.entries.length === 1 && rel.entries[0]!.access === 'r'));
  const fuseEntries = rel.fusable ? rel.fusable.entries : rel.entries.map((e) => ({ ...e, access: RECORD }));
  const compileScope: Scope = fusing ? { entries: fuseEntries, fail: scope.fail } : scope;
  const compiled = items.map((it) => ({ name: it.name, c: compile(it.expr, compileScope, k), plain: it.expr.type === 'column_ref' ? columnName(it.expr) : undefined }));
  const columns = compiled.map((x) => ({ name: x.name, type: x.c.type }));
  const renamed = (col: string | undefined) => (col === undefined ? undefined : compiled.find((x) => x.plain === col)?.name);
  // A key survives a projection that keeps all its columns (as plain column references): unique-key inference.
  const renamedAll = (key: string[] | undefined) => (key?.every((u) => renamed(u) !== undefined) ? key.map((u) => renamed(u)!) : undefined);
  const extra = { rowtime: renamed(rel.rowtime), windowEnd: renamed(rel.windowEnd), upsertKey: renamedAll(rel.upsertKey), primaryKey: renamedAll(rel.primaryKey) };
  // Selecting every stored column unchanged (computed columns are not stored) passes the records on as they are.
  const stored = rel.columns.filter((c) => c.computed === undefined);
  const identity = !rel.fusable && rel.entries.length === 1 && rel.entries[0]!.access === 'r' && compiled.length === stored.length && compiled.every((x, i) => x.plain === stored[i]!.name && x.name === x.plain);
  const entries = [{ alias: undefined, columns, access: 'r' }];
  if (identity) return { ...rel, ...extra, entries: [{ alias: undefined, columns: stored, access: 'r' }], columns: stored, window: undefined };
  if (fusing) {
    const input = rel.fusable ? rel.fusable.input : rel;
    const inlineEntries = [{ alias: undefined, columns: compiled.map((x) => ({ name: x.name, type: x.c.type, inline: x.c.code })), access: RECORD }];
    return fusableProjection({ entries, columns, changelog: false, ...extra }, input, inlineEntries, k, name);
  }
  const fn = toFunction<(r: unknown) => unknown>('r', `({ ${compiled.map((x) => `${JSON.stringify(x.name)}: ${fusing ? overR(x.c.code) : x.c.code}`).join(', ')} })`, k);
  const source = fusing && rel.fusable ? rel.fusable.input.stream : rel.stream;
  const stream = rel.changelog ? source.map((ch: Change) => ({ kind: ch.kind, row: fn(ch.row) }), `${name}:select`) : source.map(fn, `${name}:select`);
  return { stream, entries, columns, changelog: rel.changelog, ...extra };
}
