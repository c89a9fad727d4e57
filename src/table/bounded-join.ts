import { ValueStateDescriptor } from '../state/state-descriptor.ts';
import type { KeyedCoProcessFunction, KeyedProcessContext, OnTimerContext, ProcessCollector } from '../api/process-function.ts';
import type { AggregateFunction } from '../windows/window-function.ts';
import { compile, predicate, columnName, Constants, toFunction, type Scope, type ScopeEntry } from './expressions.ts';
import { AggregateCompiler } from './aggregates.ts';
import { rowRelation, type Relation } from './relation.ts';
import type { SelectItem } from './group-by.ts';
import type { Change } from './changelog.ts';
import type { DataStream } from '../api/data-stream.ts';

/**
 * A join whose probe side's time lies between the base side's time and another column of the base
 * row (`B.dateTime BETWEEN A.dateTime AND A.expires`): every base row's matches are known once the
 * watermark passes its upper bound. Kept here so that a GROUP BY over it can run as one operator.
 */
export interface BoundedJoinSpec {
  left: DataStream<unknown>;
  right: DataStream<unknown>;
  leftKey: (r: unknown) => unknown;
  rightKey: (r: unknown) => unknown;
  /**
   * The scope entries of the two inputs (access `r[0]`, `r[1]`). A side that is a projection not yet
   * run is read over its input's records (its columns' code inlined: no projected row per record).
   */
  entries: ScopeEntry[];
  /** The constants that code over `entries` refers to (a fused projection's). */
  k: Constants;
  /** Which input is the base side (whose row carries the bounds). */
  base: 0 | 1;
  /** Probe time ≥ base time + lower. */
  lower: number;
  baseTime: (row: unknown) => number;
  upper: (row: unknown) => number;
  probeTime: (row: unknown) => number;
  /** The base side's join key columns (undefined when a key is an expression). */
  baseJoinColumns: string[] | undefined;
  /**
   * The base side is unique on the join key (a declared or inferred PRIMARY KEY): each key has at
   * most one base row, so a probe row is kept only until it arrives, and a group is dropped once
   * emitted (nothing can ever retract it).
   */
  baseUnique?: boolean;
  /** Residual join conditions over the tuple `[left, right]`. */
  check?: (t: unknown[]) => boolean;
  name: string;
}

interface Group {
  g: Record<string, unknown>;
  acc: unknown;
  /** Set once the group has been through an emission: its last emitted row is then `build(g, acc)` while clean. */
  e?: 1;
  /** Dirty: changed since the last emission, which emitted `prev`. */
  d?: 1;
  prev?: Record<string, unknown>;
}
interface BaseRow {
  row: unknown;
  t: number;
  close: number;
  group: number;
}
/** A probe row kept for base rows still to come (its time is read from it again: one object less per row). */
type Probe = unknown;
interface KeyState {
  bases: BaseRow[];
  groups: Group[];
  /** Probe rows a base row that is not late may still meet (time − lower > watermark), about in time order. */
  probes?: Probe[];
}

/**
 * Plans `GROUP BY <base-side columns, including the join key>` over a bounded join as one keyed
 * operator (the join key partitions both): each probe row updates its group's accumulator in
 * place of a joined row, and a group's change (+I, or -U/+U) is emitted when the watermark passes
 * the upper bound of a base row that fed it — once per base row, as the DataStream version does,
 * rather than once per probe row. The result is the same changelog compacted: every emitted row is
 * the group's value over all its matches. Returns undefined when the GROUP BY does not fit.
 */
export function planBoundedJoinAggregate(spec: BoundedJoinSpec, groupBy: any[], items: SelectItem[], having: any, scope: Scope, name: string): Relation | undefined {
  const baseEntry = spec.entries[spec.base]!;
  const keyCols: string[] = [];
  for (const g of groupBy) {
    if (g.type !== 'column_ref') return undefined;
    const n = columnName(g);
    if (g.table && g.table !== baseEntry.alias) return undefined;
    if (!baseEntry.columns.some((c) => c.name === n)) return undefined;
    if (!g.table && spec.entries[1 - spec.base]!.columns.some((c) => c.name === n)) return undefined;
    keyCols.push(n);
  }
  if (spec.baseJoinColumns === undefined || spec.baseJoinColumns.some((c) => !keyCols.includes(c))) return undefined;
  const k = spec.k;
  const inScope: Scope = { entries: spec.entries, fail: scope.fail };
  const aggs = new AggregateCompiler(inScope, k);
  // The group row `g` holds the values themselves (not a fused projection's code).
  const columns = keyCols.map((n) => ({ ...baseEntry.columns.find((c) => c.name === n)!, inline: undefined }));
  const outScope: Scope = {
    entries: [{ alias: baseEntry.alias, columns, access: 'g' }],
    fail: (m, w) => scope.fail(m.startsWith('column') ? `${m}; in a GROUP BY query a column must be grouped or aggregated` : m, w),
    aggregate: (node) => aggs.ref(node),
  };
  const compiled = items.map((it) => ({ name: it.name, c: compile(it.expr, outScope, k) }));
  const havingCode = having ? predicate(having, outScope, k) : 'true';
  const fn = aggs.build();
  const build = toFunction<(g: unknown, a: unknown) => Record<string, unknown> | undefined>('g, a', aggs.resolve(`{ if (!(${havingCode})) return undefined; return { ${compiled.map((x) => `${JSON.stringify(x.name)}: ${x.c.code}`).join(', ')} }; }`), k);
  const prop = (n: string) => `[${JSON.stringify(n)}]`;
  const baseScope: Scope = { entries: [{ ...baseEntry, access: 'r' }], fail: scope.fail };
  const groupOf = toFunction<(r: unknown) => Record<string, unknown>>('r', `({ ${keyCols.map((n) => `${JSON.stringify(n)}: ${compile({ type: 'column_ref', table: null, column: n }, baseScope, k).code}`).join(', ')} })`, k);
  const sameGroup = toFunction<(x: any, y: any) => boolean>('x, y', keyCols.map((n) => `x${prop(n)} === y${prop(n)}`).join(' && ') || 'true', k);
  const rowEqual = toFunction<(x: any, y: any) => boolean>('x, y', compiled.map((x) => `x${prop(x.name)} === y${prop(x.name)}`).join(' && ') || 'true', k);
  const stream = spec.left
    .connect(spec.right)
    .keyBy(spec.leftKey, spec.rightKey)
    .process(boundedJoinAggregate(spec, fn, groupOf, sameGroup, build, rowEqual), `${name}:join-aggregate(bounded, emit on close${spec.baseUnique ? ', unique base key' : ''})`);
  const outColumns = compiled.map((x) => ({ name: x.name, type: x.c.type }));
  const plainOut = (col: string) => items.find((it) => it.expr.type === 'column_ref' && columnName(it.expr) === col)?.name;
  const upsertKey = keyCols.map(plainOut).filter((x): x is string => x !== undefined);
  const key = upsertKey.length === keyCols.length ? upsertKey : undefined;
  // With a unique base key each group is emitted once and never retracted: an append-only table of plain rows, unique on the group.
  if (spec.baseUnique) return { ...rowRelation(stream, outColumns, undefined), primaryKey: key };
  return { ...rowRelation(stream, outColumns, undefined), changelog: true, upsertKey: key };
}

/** Cleanup times of stored probe rows are rounded up to this, so a key has few cleanup timers. */
const CLEANUP_STEP_MS = 1000;

function boundedJoinAggregate(
  spec: BoundedJoinSpec,
  fn: AggregateFunction<unknown, unknown, unknown>,
  groupOf: (r: unknown) => Record<string, unknown>,
  sameGroup: (x: unknown, y: unknown) => boolean,
  build: (g: unknown, a: unknown) => Record<string, unknown> | undefined,
  rowEqual: (x: unknown, y: unknown) => boolean,
): KeyedCoProcessFunction<unknown, unknown, unknown, Change | Record<string, unknown>> {
  const stateOf = new ValueStateDescriptor<KeyState>('bounded-join');
  const { base, lower, check } = spec;
  const unique = spec.baseUnique === true;
  /** Drops the probe rows no base row can meet any more (in place); true if some remain. */
  const expire = (s: KeyState, wm: number): boolean => {
    const p = s.probes;
    if (!p) return false;
    if (p.length > 0 && spec.probeTime(p[0]) - lower > wm) return true; // the oldest (about) is still live
    const kept = p.filter((x) => spec.probeTime(x) - lower > wm);
    s.probes = kept.length ? kept : undefined;
    return kept.length > 0;
  };
  const tuple: unknown[] = [undefined, undefined];
  /**
   * Adds a match to base row b's group (true if that changed the state), in place: local snapshots and checkpoints encode the state
   * synchronously when taken, so no snapshot holds these objects afterwards (and `update` marks the key).
   */
  const meet = (s: KeyState, b: BaseRow, probe: unknown): boolean => {
    tuple[base] = b.row;
    tuple[1 - base] = probe;
    if (check && !check(tuple)) return false;
    const g = s.groups[b.group]!;
    if (!Array.isArray(g.acc)) {
      // A number accumulator (one MAX, COUNT, …): once the group has a match, one that leaves it as it is changes nothing, not even the state.
      const next = fn.add(tuple, g.acc);
      if (next === g.acc && (g.d || g.e)) return false;
      if (!g.d) {
        if (g.e) g.prev = build(g.g, g.acc);
        g.d = 1;
      }
      g.acc = next;
      return true;
    }
    if (!g.d) {
      if (g.e) g.prev = build(g.g, g.acc);
      g.d = 1;
    }
    g.acc = fn.add(tuple, g.acc);
    return true;
  };
  const onBase = (row: unknown, ctx: KeyedProcessContext<unknown>) => {
    const state = ctx.getState(stateOf);
    const s = state.value() ?? { bases: [], groups: [] };
    const g = groupOf(row);
    let gi = s.groups.findIndex((x) => sameGroup(x.g, g));
    if (gi < 0) gi = s.groups.push({ g, acc: fn.createAccumulator() }) - 1;
    const b: BaseRow = { row, t: spec.baseTime(row), close: spec.upper(row), group: gi };
    s.bases.push(b);
    expire(s, ctx.timerService().currentWatermark());
    for (const p of s.probes ?? []) {
      const t = spec.probeTime(p);
      if (t >= b.t + lower && t <= b.close) meet(s, b, p);
    }
    // No other base row of this key will come: the probe rows have met the only one they can.
    if (unique) s.probes = undefined;
    state.update(s);
    ctx.timerService().registerEventTimeTimer(b.close);
  };
  const onProbe = (row: unknown, ctx: KeyedProcessContext<unknown>) => {
    const t = spec.probeTime(row);
    const state = ctx.getState(stateOf);
    const s0 = state.value();
    const s = s0 ?? { bases: [], groups: [] };
    let changed = false;
    if (unique && s.bases.length > 0) {
      // The key's only base row is here: the probe meets it or nothing, and is not kept.
      const b = s.bases[0]!;
      if (t >= b.t + lower && t <= b.close && meet(s, b, row)) state.update(s);
      return;
    }
    for (const b of s.bases) if (t >= b.t + lower && t <= b.close && meet(s, b, row)) changed = true;
    // A base row that is not late (time > watermark) can still meet it while watermark < t − lower.
    const wm = ctx.timerService().currentWatermark();
    if (s.probes) changed = expire(s, wm) || changed || s.probes === undefined;
    if (t - lower > wm) {
      if (s.probes) s.probes.push(row);
      else s.probes = [row];
      changed = true;
      // An open base row's close timer cleans up after this key; else one of its own (rounded: few per key).
      if (s.bases.length === 0) ctx.timerService().registerEventTimeTimer(Math.ceil((t - lower + 1) / CLEANUP_STEP_MS) * CLEANUP_STEP_MS);
    }
    if (changed || (s0 && s0.probes !== s.probes)) state.update(s);
  };
  return {
    processElement1: (r, ctx) => (base === 0 ? onBase(r, ctx) : onProbe(r, ctx)),
    processElement2: (r, ctx) => (base === 1 ? onBase(r, ctx) : onProbe(r, ctx)),
    onTimer(now: number, ctx: OnTimerContext<unknown>, out: ProcessCollector<Change | Record<string, unknown>>) {
      const state = ctx.getState(stateOf);
      const s = state.value();
      if (!s) return;
      const hadProbes = s.probes !== undefined;
      const live = expire(s, now);
      if (live && !s.bases.some((b) => b.close > now)) ctx.timerService().registerEventTimeTimer(Math.ceil((now + 1) / CLEANUP_STEP_MS) * CLEANUP_STEP_MS);
      if (!s.bases.some((b) => b.close <= now)) {
        if (hadProbes) state.update(s);
        return;
      }
      if (unique) {
        // The key's one base row has closed: its group's row is final (insert-only), and no later row can change it.
        const g = s.groups[s.bases.find((b) => b.close <= now)!.group]!;
        const row = g.d ? build(g.g, g.acc) : undefined;
        if (row) out.collect(row);
        state.clear();
        return;
      }
      const closing = new Set(s.bases.filter((b) => b.close <= now).map((b) => b.group));
      for (const i of closing) {
        const g = s.groups[i]!;
        if (!g.d) continue;
        const row = build(g.g, g.acc);
        if (g.prev && row) {
          if (!rowEqual(g.prev, row)) {
            out.collect({ kind: '-U', row: g.prev });
            out.collect({ kind: '+U', row });
          }
        } else if (g.prev) out.collect({ kind: '-D', row: g.prev });
        else if (row) out.collect({ kind: '+I', row });
        g.e = 1;
        g.d = undefined;
        g.prev = undefined;
      }
      s.bases = s.bases.filter((b) => b.close > now);
      if (s.bases.length === 0 && !s.probes) {
        // Nothing open: a group that never emitted (its base rows met nothing) holds nothing to retract.
        s.groups = s.groups.filter((g) => g.e);
        if (s.groups.length === 0) {
          state.clear();
          return;
        }
      }
      state.update(s);
    },
  };
}
