import { ListStateDescriptor } from '../state/state-descriptor.ts';
import type { KeyedCoProcessFunction, KeyedProcessContext, ProcessCollector } from '../api/process-function.ts';
import { compile, predicate, columnName, conjuncts, Constants, toFunction, type Scope, type ScopeEntry } from './expressions.ts';
import { intervalMs } from './sql-text.ts';
import { filter, type PlanContext } from './planner.ts';
import type { Relation } from './relation.ts';
import { temporalJoin } from './temporal-join.ts';
import type { BoundedJoinSpec } from './bounded-join.ts';
import { planFusedWindowJoin } from './window-join.ts';
import { outerJoin, nullRow } from './outer-join.ts';
import type { DataStream } from '../api/data-stream.ts';

class NotThisSide extends Error {}

/** Which input(s) a condition reads: 'left', 'right' or 'both' (tried by compiling against each side). */
function sideOf(cond: any, left: ScopeEntry, right: ScopeEntry): 'left' | 'right' | 'both' {
  const tryOn = (e: ScopeEntry) => {
    try {
      compile(cond, { entries: [e], fail: () => { throw new NotThisSide(); } }, new Constants());
      return true;
    } catch (error) {
      if (error instanceof NotThisSide) return false;
      throw error;
    }
  };
  return tryOn(left) ? 'left' : tryOn(right) ? 'right' : 'both';
}

/** `x BETWEEN y - INTERVAL a AND y + INTERVAL b` over the two rowtimes, as interval-join bounds (right time − left time). */
function intervalBounds(cond: any, left: Relation, right: Relation, l: ScopeEntry, r: ScopeEntry): { lower: number; upper: number } | undefined {
  if (cond.type !== 'binary_expr' || String(cond.operator).toUpperCase() !== 'BETWEEN') return undefined;
  const isTime = (n: any, rel: Relation, e: ScopeEntry) => n?.type === 'column_ref' && columnName(n) === rel.rowtime && (!n.table || n.table === e.alias);
  const offset = (n: any, rel: Relation, e: ScopeEntry): number | undefined => {
    if (isTime(n, rel, e)) return 0;
    if (n?.type === 'binary_expr' && (n.operator === '+' || n.operator === '-') && isTime(n.left, rel, e) && n.right?.type === 'interval') {
      const ms = intervalMs(n.right.expr.value, n.right.unit);
      return ms === undefined ? undefined : n.operator === '+' ? ms : -ms;
    }
    return undefined;
  };
  const [lo, hi] = cond.right.value;
  if (isTime(cond.left, left, l)) {
    // l.t BETWEEN r.t + a AND r.t + b  ⇔  r.t ∈ [l.t − b, l.t − a]
    const a = offset(lo, right, r);
    const b = offset(hi, right, r);
    return a === undefined || b === undefined ? undefined : { lower: -b, upper: -a };
  }
  if (isTime(cond.left, right, r)) {
    const a = offset(lo, left, l);
    const b = offset(hi, left, l);
    return a === undefined || b === undefined ? undefined : { lower: a, upper: b };
  }
  return undefined;
}

/**
 * `p.t BETWEEN b.t [± a] AND b.col [± c]`, where t are the rowtimes and col another column of the base
 * row b (Nexmark q4: a bid within its auction's lifetime): a bounded join. Undefined otherwise.
 */
function boundedBounds(cond: any, rels: Relation[], es: ScopeEntry[]): { base: 0 | 1; lower: number; upper: any; cond: any } | undefined {
  if (cond.type !== 'binary_expr' || String(cond.operator).toUpperCase() !== 'BETWEEN') return undefined;
  const isTime = (n: any, i: number) => n?.type === 'column_ref' && columnName(n) === rels[i]!.rowtime && (!n.table || n.table === es[i]!.alias);
  for (const probe of [0, 1] as const) {
    const base = (1 - probe) as 0 | 1;
    if (!isTime(cond.left, probe)) continue;
    const [lo, hi] = cond.right.value;
    let lower: number | undefined;
    if (isTime(lo, base)) lower = 0;
    else if (lo?.type === 'binary_expr' && (lo.operator === '+' || lo.operator === '-') && isTime(lo.left, base) && lo.right?.type === 'interval') {
      const ms = intervalMs(lo.right.expr.value, lo.right.unit);
      if (ms !== undefined) lower = lo.operator === '+' ? ms : -ms;
    }
    if (lower === undefined || sideOf(hi, es[0]!, es[1]!) !== (base === 0 ? 'left' : 'right')) continue;
    return { base, lower, upper: hi, cond };
  }
  return undefined;
}

/**
 * Plans `a JOIN b ON …` (or `FROM a, b WHERE …`): conditions on one side become filters below
 * the join, equalities between the sides its key. With a BETWEEN on the two time attributes it
 * is an interval join (the existing operator, state dropped as the watermark passes); otherwise a
 * regular join keeping both sides in keyed state, which two window aggregations joined on their
 * window end clear when the window closes (a window join).
 */
export function planJoin(from: any[], where: any[], ctx: PlanContext, planItem: (item: any) => Relation): { relation: Relation; rest: any[] } {
  const joinKind = from[1].join;
  const outer = joinKind === 'LEFT JOIN' ? { left: true, right: false } : joinKind === 'RIGHT JOIN' ? { left: false, right: true } : joinKind === 'FULL JOIN' ? { left: true, right: true } : undefined;
  if (joinKind && !outer && joinKind !== 'INNER JOIN' && joinKind !== 'JOIN') ctx.fail(`${joinKind} is not supported (INNER, LEFT, RIGHT and FULL OUTER JOIN are)`, joinKind.split(' ')[0]);
  if (outer && ctx.temporal.some((t) => t.table === from[1].table)) ctx.fail(`${joinKind} with FOR SYSTEM_TIME AS OF is not supported (the temporal join is an inner join)`, joinKind.split(' ')[0]);
  let left = planItem({ ...from[0], join: undefined });
  let right = planItem({ ...from[1], join: undefined });
  if (left.changelog || right.changelog) ctx.fail('joining an updating (changelog) input is not supported', 'JOIN');
  if (left.entries.length !== 1 || right.entries.length !== 1) ctx.fail('joins of more than two inputs are not supported', 'JOIN');
  const l = { ...left.entries[0]!, alias: left.entries[0]!.alias ?? from[0].as ?? from[0].table };
  const r = { ...right.entries[0]!, alias: right.entries[0]!.alias ?? from[1].as ?? from[1].table };
  const scopeOf = (e: ScopeEntry): Scope => ({ entries: [e], fail: ctx.fail });
  const keys: { l: any; r: any }[] = [];
  const residual: any[] = [];
  let interval: { lower: number; upper: number } | undefined;
  let bounded: ReturnType<typeof boundedBounds>;
  // An outer join's WHERE filters its result (a NULL-padded row may fail it); in its ON, a
  // condition on a preserved side only decides whether rows match.
  const after = outer ? where : [];
  const on = outer ? conjuncts(from[1].on) : [...conjuncts(from[1].on), ...where];
  for (const c of on) {
    const side = sideOf(c, l, r);
    if (outer && (side === 'left' ? outer.left : side === 'right' ? outer.right : false)) residual.push(c);
    else if (side === 'left') left = filter(left, c, scopeOf(l), ctx.name);
    else if (side === 'right') right = filter(right, c, scopeOf(r), ctx.name);
    else if (c.type === 'binary_expr' && c.operator === '=' && sideOf(c.left, l, r) !== 'both' && sideOf(c.right, l, r) !== 'both' && sideOf(c.left, l, r) !== sideOf(c.right, l, r)) {
      keys.push(sideOf(c.left, l, r) === 'left' ? { l: c.left, r: c.right } : { l: c.right, r: c.left });
    } else if (!outer && !interval && (interval = intervalBounds(c, left, right, l, r))) continue;
    else {
      if (!bounded && !outer) bounded = boundedBounds(c, [left, right], [l, r]);
      residual.push(c);
    }
  }
  if (keys.length === 0) ctx.fail('a join needs an equality between the two inputs (a cross join is not supported)', 'JOIN');
  const k = new Constants();
  const keyFn = (side: 'l' | 'r', e: ScopeEntry) => {
    const codes = keys.map((x) => compile(x[side], scopeOf({ ...e, access: 'r' }), k).code);
    return toFunction<(v: unknown) => unknown>('r', codes.length === 1 ? codes[0]! : `JSON.stringify([${codes.join(', ')}])`, k);
  };
  const entries = [{ ...l, access: 'r[0]' }, { ...r, access: 'r[1]' }];
  const check = residual.length ? toFunction<(t: unknown[]) => boolean>('r', residual.map((c) => `(${predicate(c, { entries, fail: ctx.fail }, k)})`).join(' && '), k) : undefined;
  const columns = [...left.columns, ...right.columns];
  const lk = keyFn('l', l);
  const rk = keyFn('r', r);
  if (outer) {
    const stream = left.stream.connect(right.stream).keyBy(lk, rk).process(outerJoin(outer, check, nullRow(left.columns), nullRow(right.columns)), `${ctx.name}:${joinKind!.split(' ')[0]!.toLowerCase()}-outer-join`);
    return { relation: { stream, entries, columns, changelog: true }, rest: after };
  }
  const temporal = ctx.temporal.find((t) => t.table === from[1].table);
  if (temporal) {
    const key = right.primaryKey;
    if (!key) ctx.fail(`'${temporal.table}' in FOR SYSTEM_TIME AS OF must be a versioned table: declare its PRIMARY KEY`, 'SYSTEM_TIME');
    if (!right.rowtime) ctx.fail(`'${temporal.table}' in FOR SYSTEM_TIME AS OF needs a time attribute (WATERMARK FOR …)`, 'SYSTEM_TIME');
    const joined = keys.map((x) => (x.r.type === 'column_ref' ? columnName(x.r) : ''));
    if (key!.some((c) => !joined.includes(c))) ctx.fail(`a temporal join must join on the primary key of '${temporal.table}' (${key!.join(', ')})`, 'SYSTEM_TIME');
    if (temporal.time.column !== left.rowtime) ctx.fail(`FOR SYSTEM_TIME AS OF ${temporal.time.column}: the left time attribute is '${left.rowtime}'`, temporal.time.column);
    const at = (rel: Relation) => toFunction<(v: unknown) => number>('r', compile({ type: 'column_ref', table: null, column: rel.rowtime }, scopeOf({ ...rel.entries[0]!, access: 'r' }), k).code, k);
    const stream = left.stream.connect(right.stream).keyBy(lk, rk).process(temporalJoin(at(left), at(right), check), `${ctx.name}:temporal-join`);
    return { relation: { stream, entries, columns, changelog: false }, rest: [] };
  }
  if (interval) {
    const { lower, upper } = interval;
    const stream = left.stream.keyBy(lk).intervalJoin(right.stream.keyBy(rk)).between(lower, upper).process((a, b, _c, out) => {
      const t = [a, b];
      if (!check || check(t)) out.collect(t);
    }, `${ctx.name}:interval-join[${lower}, ${upper}]ms`);
    return { relation: { stream, entries, columns, changelog: false }, rest: [] };
  }
  if (bounded && !interval && !left.window && !right.window) {
    const baseRel = bounded.base === 0 ? left : right;
    const probeRel = bounded.base === 0 ? right : left;
    // A probe side that is a projection not yet run (q4's bid view) is read over its input's records:
    // the join-aggregate compiles the projected columns' code in, so no projected row is made per probe.
    const fusion = probeRel.fusable;
    const sk = fusion?.k ?? k;
    const fused = (e: ScopeEntry, i: 0 | 1): ScopeEntry => (fusion && i !== bounded!.base ? { ...e, columns: fusion.entries[0]!.columns, access: e.access } : e);
    const sides = [fused({ ...l }, 0), fused({ ...r }, 1)];
    const specEntries = [{ ...sides[0]!, access: 'r[0]' }, { ...sides[1]!, access: 'r[1]' }];
    const baseE = { ...sides[bounded.base]!, access: 'r' };
    const probeE = { ...sides[1 - bounded.base]!, access: 'r' };
    const timeOf = (rel: Relation, e: ScopeEntry) => toFunction<(v: unknown) => number>('r', compile({ type: 'column_ref', table: null, column: rel.rowtime }, scopeOf(e), sk).code, sk);
    const sideKey = (s: 'l' | 'r', e: ScopeEntry) => {
      const codes = keys.map((x) => compile(x[s], scopeOf({ ...e, access: 'r' }), sk).code);
      return toFunction<(v: unknown) => unknown>('r', codes.length === 1 ? codes[0]! : `JSON.stringify([${codes.join(', ')}])`, sk);
    };
    const side = bounded.base === 0 ? 'l' : 'r';
    const baseJoinColumns = keys.every((x) => x[side].type === 'column_ref') ? keys.map((x) => columnName(x[side])) : undefined;
    const others = residual.filter((c) => c !== bounded!.cond);
    const input = (rel: Relation) => (rel === probeRel && fusion ? fusion.input.stream : rel.stream);
    const spec: BoundedJoinSpec = {
      left: input(left),
      right: input(right),
      leftKey: fusion ? sideKey('l', sides[0]!) : lk,
      rightKey: fusion ? sideKey('r', sides[1]!) : rk,
      entries: specEntries,
      k: sk,
      base: bounded.base,
      lower: bounded.lower,
      baseTime: timeOf(baseRel, baseE),
      upper: toFunction<(v: unknown) => number>('r', compile(bounded.upper, scopeOf(baseE), sk).code, sk),
      probeTime: timeOf(probeRel, probeE),
      baseJoinColumns,
      // Declared (PRIMARY KEY … NOT ENFORCED) or inferred unique on the join key: one base row per key, ever.
      baseUnique: baseJoinColumns !== undefined && baseRel.primaryKey !== undefined && baseRel.primaryKey.every((c) => baseJoinColumns.includes(c)),
      check: others.length ? toFunction<(t: unknown[]) => boolean>('r', others.map((c) => `(${predicate(c, { entries: specEntries, fail: ctx.fail }, sk)})`).join(' && '), sk) : undefined,
      name: ctx.name,
    };
    // The stream is built only if no GROUP BY takes the join as one operator.
    let built: DataStream<unknown[]> | undefined;
    const relation = { entries, columns, changelog: false, windowEnd: undefined, boundedJoin: spec } as Relation;
    Object.defineProperty(relation, 'stream', {
      enumerable: true,
      get: () => (built ??= left.stream.connect(right.stream).keyBy(lk, rk).process(regularJoin(check, false), `${ctx.name}:join`)),
    });
    return { relation, rest: [] };
  }
  const fused = !interval && !bounded ? planFusedWindowJoin(left, right, keys, entries, check, ctx.name) : undefined;
  if (fused) return { relation: fused, rest: [] };
  // Two window aggregations joined on their window ends: every row of a key is final, so the key's state goes when its window closes.
  const windowJoin = left.windowEnd !== undefined && right.windowEnd !== undefined && keys.some((x) => x.l.type === 'column_ref' && columnName(x.l) === left.windowEnd && x.r.type === 'column_ref' && columnName(x.r) === right.windowEnd);
  const stream = left.stream.connect(right.stream).keyBy(lk, rk).process(regularJoin(check, windowJoin), `${ctx.name}:${windowJoin ? 'window-join' : 'join'}`);
  return { relation: { stream, entries, columns, changelog: false, windowEnd: undefined }, rest: [] };
}

/** An inner join of two append-only inputs: each record meets the other side's records of its key. */
function regularJoin(check: ((t: unknown[]) => boolean) | undefined, clearOnTimer: boolean): KeyedCoProcessFunction<unknown, unknown, unknown, unknown[]> {
  const lefts = new ListStateDescriptor<unknown>('join-left');
  const rights = new ListStateDescriptor<unknown>('join-right');
  // Keeps `row` on its side and pairs it with the other side's rows (`pair` puts left first).
  const meet = (row: unknown, mine: ListStateDescriptor<unknown>, others: ListStateDescriptor<unknown>, pair: (x: unknown, y: unknown) => unknown[], ctx: KeyedProcessContext<unknown>, out: ProcessCollector<unknown[]>) => {
    ctx.getListState(mine).add(row);
    for (const other of ctx.getListState(others).get()) {
      const t = pair(row, other);
      if (!check || check(t)) out.collect(t);
    }
    if (clearOnTimer && ctx.timestamp !== undefined) ctx.timerService().registerEventTimeTimer(ctx.timestamp);
  };
  return {
    processElement1: (a, ctx, out) => meet(a, lefts, rights, (x, y) => [x, y], ctx, out),
    processElement2: (b, ctx, out) => meet(b, rights, lefts, (x, y) => [y, x], ctx, out),
    onTimer(_t, ctx) {
      ctx.getListState(lefts).clear();
      ctx.getListState(rights).clear();
    },
  };
}
