import type { AggregateFunction } from '../windows/window-function.ts';
import { compile, Constants, toFunction, type Scope, type Compiled } from './expressions.ts';
import { NUMBER, DOUBLE, type SqlType } from './schema.ts';

/** One aggregate call of a query, with the accumulator slots it uses. */
interface AggCall {
  fn: 'COUNT' | 'SUM' | 'MIN' | 'MAX' | 'AVG';
  /** Code of the argument over input rows `r`; undefined for COUNT(*). */
  arg?: string;
  type: SqlType;
  slot: number;
  key: string;
}

/**
 * The aggregates of a GROUP BY compiled into one {@link AggregateFunction} (generated code, no
 * per-record closure): a number accumulator when there is one slot (COUNT, SUM, MIN, MAX), else
 * an array of slots. Aggregate calls in SELECT/HAVING compile to reads of the result `a`.
 */
export class AggregateCompiler {
  private readonly calls: AggCall[] = [];
  private slots = 0;
  /** Over a changelog: MIN and MAX keep the multiset of their values, so that a retraction can take one back. */
  private retracting = false;

  /** Call before `build` when the input is a changelog (see `retractor`). */
  overChangelog(): void {
    this.retracting = true;
  }

  constructor(
    private readonly input: Scope,
    private readonly k: Constants,
    /** OVER aggregations: the calls carry their window, which the caller checked. */
    private readonly over = false,
  ) {}

  /** Code reading aggregate `node`'s value from the accumulator `a` (registers the call). */
  ref(node: any): Compiled {
    const fn = String(node.name).toUpperCase() as AggCall['fn'];
    if (node.over && !this.over) this.input.fail(`${fn}(…) OVER (…) aggregations are not supported yet (Top-N with ROW_NUMBER()/RANK() OVER is)`, 'OVER');
    if (!['COUNT', 'SUM', 'MIN', 'MAX', 'AVG'].includes(fn)) this.input.fail(`aggregate ${fn} is not supported (COUNT, SUM, MIN, MAX, AVG are)`, fn);
    if (node.args?.distinct) this.input.fail(`${fn}(DISTINCT …) is not supported`, 'DISTINCT');
    const star = node.args?.expr?.type === 'star';
    const arg = star ? undefined : compile(node.args.expr, this.input, this.k);
    const key = `${fn}(${arg?.code ?? '*'})`;
    let call = this.calls.find((c) => c.key === key);
    if (!call) {
      call = { fn, arg: arg?.code, type: fn === 'COUNT' ? NUMBER : fn === 'AVG' ? DOUBLE : arg!.type, slot: this.slots, key };
      this.slots += fn === 'AVG' ? 2 : 1;
      this.calls.push(call);
    }
    // The slot layout is known only when every call is registered: a placeholder until `resolve`.
    return { code: `\u0000agg${this.calls.indexOf(call)}\u0000`, type: call.type };
  }

  /** Replaces the placeholders of `ref` in generated code by reads of the accumulator `a`. */
  resolve(code: string): string {
    return code.replace(/\u0000agg(\d+)\u0000/g, (_m, i: string) => this.read(this.calls[Number(i)]!));
  }

  private scalar(): boolean {
    return this.slots === 1;
  }

  private read(c: AggCall): string {
    const s = (i: number) => (this.scalar() ? 'a' : `a[${i}]`);
    if (c.fn === 'AVG') return `(${s(c.slot + 1)} === 0 ? null : ${s(c.slot)} / ${s(c.slot + 1)})`;
    if (this.retracting && (c.fn === 'MIN' || c.fn === 'MAX')) return c.fn === 'MIN' ? `(${s(c.slot)}.length ? ${s(c.slot)}[0][0] : null)` : `(${s(c.slot)}.length ? ${s(c.slot)}[${s(c.slot)}.length - 1][0] : null)`;
    return s(c.slot);
  }

  /** The aggregate function over input rows (`r`) computing every registered call. */
  build(): AggregateFunction<unknown, unknown, unknown> {
    if (this.slots === 0) {
      // GROUP BY without aggregates: one row per group, whose presence is all there is. A constant
      // accumulator: adding a row changes nothing (no work, no state write, no -U/+U after the +I).
      return constantAggregate;
    }
    const scalar = this.scalar();
    const init: string[] = [];
    const add: string[] = [];
    const merge: string[] = [];
    for (const c of this.calls) {
      const s = (d: string, i = c.slot) => (scalar ? d : `${d}[${i}]`);
      const v = `v${c.slot}`;
      switch (c.fn) {
        case 'COUNT':
          init.push('0');
          add.push(c.arg ? `if ((${c.arg}) != null) ${s('a')} += 1;` : `${s('a')} += 1;`);
          merge.push(`${s('x')} + ${s('y')}`);
          break;
        case 'SUM':
          // NULL until a non-NULL value comes (SUM of no values is NULL).
          init.push('null');
          add.push(`{ const ${v} = ${c.arg}; if (${v} != null) ${s('a')} = ${s('a')} === null ? ${v} : ${s('a')} + ${v}; }`);
          merge.push(`${s('x')} === null ? ${s('y')} : ${s('y')} === null ? ${s('x')} : ${s('x')} + ${s('y')}`);
          break;
        case 'MIN':
        case 'MAX': {
          if (this.retracting) {
            init.push('[]');
            add.push(`{ const ${v} = ${c.arg}; if (${v} != null) ${s('a')} = ${this.k.ref(multisetAdd)}(${s('a')}, ${v}); }`);
            merge.push('[]'); // window aggregations never run over a changelog
            break;
          }
          const better = c.fn === 'MIN' ? '<' : '>';
          init.push('null');
          add.push(`{ const ${v} = ${c.arg}; if (${v} != null && (${s('a')} === null || ${v} ${better} ${s('a')})) ${s('a')} = ${v}; }`);
          merge.push(`${s('x')} === null ? ${s('y')} : ${s('y')} === null ? ${s('x')} : ${s('y')} ${better} ${s('x')} ? ${s('y')} : ${s('x')}`);
          break;
        }
        case 'AVG':
          init.push('0', '0');
          add.push(`{ const ${v} = ${c.arg}; if (${v} != null) { a[${c.slot}] += ${v}; a[${c.slot + 1}] += 1; } }`);
          merge.push(`x[${c.slot}] + y[${c.slot}]`, `x[${c.slot + 1}] + y[${c.slot + 1}]`);
          break;
      }
    }
    const k = this.k;
    if (scalar) {
      return {
        createAccumulator: toFunction('', init[0]!, k),
        add: toFunction('r, a', `{ ${add[0]} return a; }`, k),
        merge: toFunction('x, y', `(${merge[0]})`, k),
        getResult: (a) => a,
      };
    }
    return {
      createAccumulator: toFunction('', `[${init.join(', ')}]`, k),
      add: toFunction('r, a', `{ ${add.join(' ')} return a; }`, k),
      // A new array: sliding windows merge shared slices, which must stay as they are.
      merge: toFunction('x, y', `[${merge.join(', ')}]`, k),
      getResult: (a) => a,
    };
  }

  /**
   * Takes a row back out of an accumulator (the input is a changelog: -U and -D retract). COUNT,
   * SUM and AVG retract by subtracting; MIN and MAX take the value out of their multiset.
   */
  retractor(): (r: unknown, a: unknown) => unknown {
    const scalar = this.scalar();
    const code: string[] = [];
    for (const c of this.calls) {
      const s = (d: string, i = c.slot) => (scalar ? d : `${d}[${i}]`);
      const v = `v${c.slot}`;
      if (c.fn === 'MIN' || c.fn === 'MAX') code.push(`{ const ${v} = ${c.arg}; if (${v} != null) ${s('a')} = ${this.k.ref(multisetRemove)}(${s('a')}, ${v}); }`);
      else if (c.fn === 'COUNT') code.push(c.arg ? `if ((${c.arg}) != null) ${s('a')} -= 1;` : `${s('a')} -= 1;`);
      else if (c.fn === 'SUM') code.push(`{ const ${v} = ${c.arg}; if (${v} != null) ${s('a')} -= ${v}; }`);
      else code.push(`{ const ${v} = ${c.arg}; if (${v} != null) { a[${c.slot}] -= ${v}; a[${c.slot + 1}] -= 1; } }`);
    }
    return toFunction('r, a', `{ ${code.join(' ')} return a; }`, this.k);
  }

  /** Whether the query registered any aggregate call. */
  get used(): boolean {
    return this.calls.length > 0;
  }

  /**
   * Whether two accumulators hold the same values (numbers or nulls compared slot by slot; MIN/MAX
   * multisets, being new arrays when changed, by identity): the group's result did not change.
   */
  static same(x: unknown, y: unknown): boolean {
    if (x === y) return true;
    if (!Array.isArray(x) || !Array.isArray(y) || x.length !== y.length) return false;
    for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
    return true;
  }

  /** A copy of an accumulator (an unbounded GROUP BY keeps the previous result to retract it). */
  static copy(a: unknown): unknown {
    return Array.isArray(a) ? a.slice() : a;
  }
}

/** The accumulator of a GROUP BY without aggregate functions: a constant. */
const constantAggregate: AggregateFunction<unknown, unknown, unknown> = {
  createAccumulator: () => 0,
  add: (_r, a) => a,
  merge: (x) => x,
  getResult: (a) => a,
};

/**
 * A multiset of values as a sorted array of [value, count] pairs (a new array: the previous
 * accumulator is kept to retract the previous row). Its size is the number of distinct values of
 * the group's current rows.
 */
function multisetAdd(m: [unknown, number][], v: any): [unknown, number][] {
  let lo = 0;
  let hi = m.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((m[mid]![0] as any) < v) lo = mid + 1;
    else hi = mid;
  }
  const out = m.slice();
  if (lo < m.length && m[lo]![0] === v) out[lo] = [v, m[lo]![1] + 1];
  else out.splice(lo, 0, [v, 1]);
  return out;
}

function multisetRemove(m: [unknown, number][], v: unknown): [unknown, number][] {
  const i = m.findIndex((e) => e[0] === v);
  if (i < 0) return m;
  const out = m.slice();
  if (m[i]![1] > 1) out[i] = [v, m[i]![1] - 1];
  else out.splice(i, 1);
  return out;
}

/** Whether a SELECT list or HAVING uses an aggregate call. */
export function hasAggregate(node: any): boolean {
  if (!node || typeof node !== 'object') return false;
  if (node.type === 'aggr_func') return !node.over;
  if (node.type === 'window_func') return false;
  return Object.values(node).some((v) => v && typeof v === 'object' && hasAggregate(v));
}
