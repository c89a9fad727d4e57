import { ValueStateDescriptor, MapStateDescriptor } from '../state/state-descriptor.ts';
import { AggregateCompiler } from './aggregates.ts';
import { compile, columnName, Constants, toFunction, type Scope } from './expressions.ts';
import { rowRelation, type Relation } from './relation.ts';
import type { SelectItem } from './group-by.ts';

/** The frame of an OVER window: the last `rows` rows, or the rows of the last `rangeMs`, or all before (unbounded). */
type Frame = { kind: 'rows'; preceding: number } | { kind: 'range'; precedingMs: number };

function frameOf(clause: any, scope: Scope): Frame {
  if (!clause) return { kind: 'range', precedingMs: Infinity };
  const unit = String(clause.left?.value ?? clause.type ?? '').toLowerCase();
  const [from, to] = clause.right?.value ?? [clause.expr, { value: 'current row' }];
  if (String(to?.value).toLowerCase() !== 'current row') scope.fail('an OVER window must end at CURRENT ROW', 'OVER');
  const text = String(from?.value ?? '').toUpperCase();
  const m = /^(\d+|UNBOUNDED)(\.5)? PRECEDING$/.exec(text);
  if (!m || unit !== 'rows') scope.fail(`OVER frame '${text}' is not supported: ROWS BETWEEN n|UNBOUNDED PRECEDING or RANGE BETWEEN INTERVAL '…' unit|UNBOUNDED PRECEDING, AND CURRENT ROW`, 'PRECEDING');
  const n = m![1] === 'UNBOUNDED' ? Infinity : Number(m![1]);
  // `n.5`: a RANGE frame of n ms, so rewritten by parseStatement (the parser has no RANGE frames).
  return m![2] ? { kind: 'range', precedingMs: n } : { kind: 'rows', preceding: n };
}

/**
 * OVER aggregations (`SUM(x) OVER (PARTITION BY k ORDER BY rowtime ROWS|RANGE BETWEEN … PRECEDING
 * AND CURRENT ROW)`): one output row per input row, with aggregates over its frame. As in Flink,
 * rows wait in keyed state until the watermark passes their time, so they are aggregated in event
 * time order; rows of the same time are peers (a RANGE frame includes them all).
 */
export function planOverAggregate(rel: Relation, items: SelectItem[], scope: Scope, name: string): Relation {
  if (rel.changelog) scope.fail('OVER aggregations need an append-only input', 'OVER');
  if (!rel.rowtime) scope.fail('OVER aggregations order by the time attribute, and this input has none', 'OVER');
  const k = new Constants();
  const inScope: Scope = { entries: rel.entries, fail: scope.fail };
  const aggs = new AggregateCompiler(inScope, k, true);
  let spec: any;
  const specText = (s: any) => JSON.stringify(s);
  const outScope: Scope = {
    entries: rel.entries,
    fail: scope.fail,
    aggregate: (node) => {
      const s = node.over?.as_window_specification?.window_specification;
      if (!s) scope.fail('an aggregate next to OVER aggregations must have an OVER (…) window too', String(node.name));
      if (spec && specText(s) !== specText(spec)) scope.fail('all OVER aggregations of a SELECT must share one window', 'OVER');
      spec = s;
      return aggs.ref(node);
    },
  };
  const compiled = items.map((it) => ({ name: it.name, c: compile(it.expr, outScope, k) }));
  const order = spec.orderby ?? [];
  if (order.length !== 1 || order[0].expr.type !== 'column_ref' || columnName(order[0].expr) !== rel.rowtime || order[0].type === 'DESC') scope.fail(`OVER (… ORDER BY …) must order by the time attribute '${rel.rowtime}' ascending`, 'ORDER');
  const frame = frameOf(spec.window_frame_clause, scope);
  const keyCodes = (spec.partitionby ?? []).map((p: any) => compile(p.expr, inScope, k).code);
  const keyFn = toFunction<(r: unknown) => unknown>('r', keyCodes.length === 0 ? '0' : keyCodes.length === 1 ? keyCodes[0] : `JSON.stringify([${keyCodes.join(', ')}])`, k);
  const timeFn = toFunction<(r: unknown) => number>('r', compile({ type: 'column_ref', table: null, column: rel.rowtime }, inScope, k).code, k);
  const fn = aggs.build();
  const build = toFunction<(r: unknown, a: unknown) => Record<string, unknown>>('r, a', aggs.resolve(`({ ${compiled.map((x) => `${JSON.stringify(x.name)}: ${x.c.code}`).join(', ')} })`), k);
  const pending = new MapStateDescriptor<number, unknown[]>('over-pending');
  const history = new ValueStateDescriptor<unknown[]>('over-history');
  const running = new ValueStateDescriptor<unknown>('over-accumulator');
  const unbounded = frame.kind === 'rows' ? frame.preceding === Infinity : frame.precedingMs === Infinity;
  const stream = rel.stream.keyBy(keyFn).process<Record<string, unknown>>(
    {
      processElement(r, ctx) {
        const t = timeFn(r);
        if (t <= ctx.timerService().currentWatermark()) return; // late: its frame was emitted already
        const p = ctx.getMapState(pending);
        const rows = p.get(t);
        if (rows) rows.push(r);
        else p.put(t, [r]);
        ctx.timerService().registerEventTimeTimer(t);
      },
      onTimer(t, ctx, out) {
        const p = ctx.getMapState(pending);
        const rows = p.get(t) ?? [];
        p.remove(t);
        if (unbounded) {
          const state = ctx.getState(running);
          let acc = state.value() ?? fn.createAccumulator();
          if (frame.kind === 'range') {
            for (const r of rows) acc = fn.add(r, acc);
            for (const r of rows) out.collect(build(r, acc));
          } else for (const r of rows) out.collect(build(r, (acc = fn.add(r, acc))));
          state.update(acc);
          return;
        }
        const h = ctx.getState(history);
        let kept = h.value() ?? [];
        const over = (frame_: unknown[]) => {
          let acc = fn.createAccumulator();
          for (const x of frame_) acc = fn.add(x, acc);
          return acc;
        };
        if (frame.kind === 'rows') {
          for (const r of rows) {
            kept.push(r);
            if (kept.length > frame.preceding + 1) kept.splice(0, kept.length - frame.preceding - 1);
            out.collect(build(r, over(kept)));
          }
        } else {
          kept = kept.filter((x) => timeFn(x) >= t - frame.precedingMs);
          kept.push(...rows);
          const acc = over(kept);
          for (const r of rows) out.collect(build(r, acc));
        }
        h.update(kept);
      },
    },
    `${name}:over(${frame.kind === 'rows' ? `rows ${frame.preceding}` : `range ${frame.precedingMs}ms`} preceding)`,
  );
  const plain = (col: string | undefined) => items.find((it) => it.expr.type === 'column_ref' && columnName(it.expr) === col)?.name;
  return rowRelation(stream, compiled.map((x) => ({ name: x.name, type: x.c.type })), undefined, { rowtime: plain(rel.rowtime) });
}

/** Whether a SELECT list has an OVER aggregation (an aggregate call with an OVER window). */
export function hasOverAggregate(node: any): boolean {
  if (!node || typeof node !== 'object') return false;
  if (node.type === 'aggr_func' && node.over) return true;
  return Object.values(node).some((v) => v && typeof v === 'object' && hasOverAggregate(v));
}
