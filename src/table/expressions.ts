import { type Column, type SqlType, NUMBER, DOUBLE, STRING, BOOLEAN, ANY, sqlType } from './schema.ts';
import { intervalMs } from './sql-text.ts';
import { RECORD } from './relation.ts';

/** One relation visible in an expression: its alias, columns and the JS expression of its row. */
export interface ScopeEntry {
  alias?: string;
  columns: Column[];
  access: string;
}

/** What an expression may refer to, and how to report a bad reference. */
export interface Scope {
  entries: ScopeEntry[];
  /** Raises a SqlError located at `word` in the statement. */
  fail(message: string, word?: string): never;
  /** Code for an aggregate call (set while compiling SELECT/HAVING of a GROUP BY). */
  aggregate?(node: any): Compiled;
}

/** JavaScript source of an expression over row(s) `r`, with its SQL type. */
export interface Compiled {
  code: string;
  type: SqlType;
}

/** Constants (regexes, strings) the generated code reads as `k[i]`. */
export class Constants {
  readonly values: unknown[] = [];
  ref(v: unknown): string {
    this.values.push(v);
    return `k[${this.values.length - 1}]`;
  }
}

/** A column_ref's name (node-sql-parser gives either a string or `{ expr: { value } }`). */
export function columnName(node: any): string {
  const c = node.column;
  return typeof c === 'string' ? c : String(c?.expr?.value);
}

const prop = (access: string, name: string) => (/^[A-Za-z_$][\w$]*$/.test(name) ? `${access}.${name}` : `${access}[${JSON.stringify(name)}]`);

function findColumn(columns: Column[], name: string): Column | undefined {
  return columns.find((c) => c.name === name) ?? columns.find((c) => c.name.toLowerCase() === name.toLowerCase());
}

/** Resolves `[table.]column` (or `rowColumn.field`) to code. */
export function resolveColumn(node: any, scope: Scope, k: Constants = new Constants()): Compiled {
  const name = columnName(node);
  const table: string | null = node.table;
  if (table) {
    let matching = scope.entries.filter((e) => e.alias === table);
    if (matching.length === 0) matching = scope.entries.filter((e) => e.alias?.toLowerCase() === table.toLowerCase());
    if (matching.length > 0) {
      for (const entry of matching) {
        const col = findColumn(entry.columns, name);
        if (col) return read(entry, col, scope, k);
      }
      scope.fail(`column '${name}' not found in '${table}' (columns: ${matching.flatMap((e) => e.columns.map((c) => c.name)).join(', ')})`, `${table}.${name}`);
    }
    // `bid.price` where bid is a ROW column.
    const outer = resolveColumn({ table: null, column: table }, scope, k);
    if (outer.type.kind !== 'row') scope.fail(`'${table}' is neither a table in FROM nor a ROW column`, table);
    const field = findColumn((outer.type as { fields: Column[] }).fields, name);
    if (!field) scope.fail(`ROW '${table}' has no field '${name}'`, `${table}.${name}`);
    return { code: prop(outer.code, field!.name), type: field!.type };
  }
  const hits = scope.entries.flatMap((e) => {
    const c = findColumn(e.columns, name);
    return c ? [{ e, c }] : [];
  });
  if (hits.length === 0) scope.fail(`column '${name}' not found (columns: ${scope.entries.flatMap((e) => e.columns.map((c) => c.name)).join(', ')})`, name);
  if (hits.length > 1) scope.fail(`column '${name}' is ambiguous: qualify it with one of ${hits.map((h) => h.e.alias).join(', ')}`, name);
  return read(hits[0]!.e, hits[0]!.c, scope, k);
}

/**
 * A column's value: the field, or a computed column's expression inlined over the same row, or a
 * fused projection's column: its code over the input record (`RECORD`), read through the entry's access.
 */
function read(entry: ScopeEntry, col: Column, scope: Scope, k: Constants): Compiled {
  if (col.inline !== undefined) {
    const code = entry.access === RECORD ? col.inline : col.inline.split(RECORD).join(entry.access);
    return { code: isSimple(code) ? code : `(${code})`, type: col.type };
  }
  if (col.computed === undefined) return { code: prop(entry.access, col.name), type: col.type };
  const c = compile(col.computed, { entries: [{ ...entry, columns: entry.columns.filter((x) => x !== col) }], fail: scope.fail }, k);
  return { code: `(${c.code})`, type: col.type };
}

const integral = (t: SqlType) => t.kind === 'timestamp' || (t.kind === 'number' && !['DOUBLE', 'FLOAT', 'REAL', 'DECIMAL', 'NUMERIC', 'DOUBLE PRECISION'].includes(t.sql));

const FUNCTIONS: Record<string, (a: Compiled[]) => Compiled> = {
  UPPER: ([s]) => ({ code: `String(${s!.code}).toUpperCase()`, type: STRING }),
  LOWER: ([s]) => ({ code: `String(${s!.code}).toLowerCase()`, type: STRING }),
  CHAR_LENGTH: ([s]) => ({ code: `String(${s!.code}).length`, type: NUMBER }),
  TRIM: ([s]) => ({ code: `String(${s!.code}).trim()`, type: STRING }),
  ABS: ([x]) => ({ code: `Math.abs(${x!.code})`, type: x!.type }),
  FLOOR: ([x]) => ({ code: `Math.floor(${x!.code})`, type: NUMBER }),
  CEIL: ([x]) => ({ code: `Math.ceil(${x!.code})`, type: NUMBER }),
  ROUND: ([x, d]) => (d ? { code: `(Math.round(${x!.code} * 10 ** ${d.code}) / 10 ** ${d.code})`, type: DOUBLE } : { code: `Math.round(${x!.code})`, type: NUMBER }),
  SQRT: ([x]) => ({ code: `Math.sqrt(${x!.code})`, type: DOUBLE }),
  POWER: ([x, y]) => ({ code: `(${x!.code} ** ${y!.code})`, type: DOUBLE }),
  MOD: ([x, y]) => ({ code: `(${x!.code} % ${y!.code})`, type: NUMBER }),
  COALESCE: (a) => ({ code: `(${a.map((x) => x.code).join(' ?? ')})`, type: a[0]!.type }),
  CONCAT: (a) => ({ code: `(${a.map((x) => `String(${x.code})`).join(' + ')})`, type: STRING }),
  SUBSTRING: ([s, f, n]) => ({ code: `String(${s!.code}).substr(${f!.code} - 1${n ? `, ${n.code}` : ''})`, type: STRING }),
};

/** The names of the scalar functions SQL queries may call. */
export const scalarFunctionNames = Object.keys(FUNCTIONS);

/** The name of a function node. */
export function functionName(node: any): string {
  const n = node.name;
  return (typeof n === 'string' ? n : n?.name?.map((p: any) => p.value).join('.') ?? '').toUpperCase();
}

/**
 * Compiles an expression AST to JavaScript over the scope's rows, with SQL's NULL semantics: an
 * operator or function with a NULL operand gives NULL, and boolean logic is three-valued (TRUE,
 * FALSE, NULL for unknown). As a `truth` test (WHERE, HAVING, ON, CASE WHEN) the code may give a
 * falsy value for unknown, which is cheaper, since unknown counts as false there.
 */
export function compile(node: any, scope: Scope, k: Constants, truth = false): Compiled {
  const c = (n: any) => compile(n, scope, k);
  switch (node.type) {
    case 'column_ref':
      if (columnName(node) === '*') scope.fail("'*' is only allowed as a whole SELECT item or in COUNT(*)", '*');
      return resolveColumn(node, scope, k);
    case 'number':
      return { code: String(node.value), type: String(node.value).includes('.') ? DOUBLE : NUMBER };
    case 'single_quote_string':
    case 'string':
      return { code: JSON.stringify(node.value), type: STRING };
    case 'bool':
      return { code: String(node.value), type: BOOLEAN };
    case 'null':
      return { code: 'null', type: ANY };
    case 'interval': {
      const ms = intervalMs(node.expr.value, node.unit);
      if (ms === undefined) scope.fail(`unknown interval unit '${node.unit}'`, 'INTERVAL');
      return { code: String(ms), type: NUMBER };
    }
    case 'unary_expr':
      // NOT unknown is unknown: as a predicate only a FALSE operand makes it hold.
      if (node.operator === 'NOT') return truth ? { code: `(${c(node.expr).code} === false)`, type: BOOLEAN } : nullIn([c(node.expr)], ([e]) => ({ code: `!${e!.code}`, type: BOOLEAN }), k);
      if (node.operator === '-') return nullIn([c(node.expr)], ([e]) => ({ code: `(-${e!.code})`, type: e!.type }), k);
      return scope.fail(`unary operator '${node.operator}' is not supported`, node.operator);
    case 'binary_expr':
      return binary(node, scope, k, truth);
    case 'case': {
      const subject = node.expr ? c(node.expr).code : undefined;
      let code = 'null';
      let type: SqlType = ANY;
      const whens = node.args.filter((a: any) => a.type === 'when');
      const otherwise = node.args.find((a: any) => a.type === 'else');
      if (otherwise) ({ code, type } = c(otherwise.result));
      for (let i = whens.length - 1; i >= 0; i--) {
        const cond = subject === undefined ? compile(whens[i].cond, scope, k, true).code : `(${subject}) === (${c(whens[i].cond).code})`;
        const r = c(whens[i].result);
        code = `((${cond}) ? ${r.code} : ${code})`;
        if (type === ANY) type = r.type;
      }
      return { code, type };
    }
    case 'cast': {
      const target = String(node.target?.[0]?.dataType ?? '');
      const t = sqlType(target);
      if (!t) scope.fail(`CAST to '${target}' is not supported`, target);
      return nullIn([c(node.expr)], ([e]) => {
        if (t!.kind === 'string') return { code: `String(${e!.code})`, type: t! };
        if (t!.kind === 'boolean') return { code: `Boolean(${e!.code})`, type: t! };
        if (integral(t!)) return { code: `Math.trunc(Number(${e!.code}))`, type: t! };
        return { code: `Number(${e!.code})`, type: t! };
      }, k);
    }
    case 'function': {
      const name = functionName(node);
      // `NOT (x)` reaches here as a call of NOT.
      if (name === 'NOT' && node.args?.value?.length === 1) return compile({ type: 'unary_expr', operator: 'NOT', expr: node.args.value[0] }, scope, k, truth);
      const fn = FUNCTIONS[name];
      if (!fn) scope.fail(`unknown function ${name} (scalar functions: ${scalarFunctionNames.join(', ')})`, name);
      const args: Compiled[] = (node.args?.value ?? []).map(c);
      if (name === 'COALESCE') return fn!(args);
      return nullIn(args, (a) => fn!(a), k);
    }
    case 'aggr_func':
      if (!scope.aggregate) scope.fail(`aggregate ${node.name} is only allowed in SELECT or HAVING of a query with GROUP BY or aggregates`, node.name);
      return scope.aggregate!(node);
    case 'window_func':
      return scope.fail(`${node.name}() OVER is only supported as Top-N: SELECT … FROM (SELECT …, ${node.name}() OVER (PARTITION BY … ORDER BY …) AS rn FROM …) WHERE rn <= N`, node.name);
    default:
      return scope.fail(`expression of kind '${node.type}' is not supported`);
  }
}

function binary(node: any, scope: Scope, k: Constants, truth: boolean): Compiled {
  const c = (n: any) => compile(n, scope, k);
  const op = String(node.operator).toUpperCase();
  const bool = (code: string): Compiled => ({ code, type: BOOLEAN });
  if (op === 'BETWEEN' || op === 'NOT BETWEEN') {
    const [lo, hi] = node.right.value.map(c);
    return nullIn([c(node.left), lo, hi], ([x, a, b]) => {
      const code = `(${x!.code} >= ${a!.code} && ${x!.code} <= ${b!.code})`;
      return bool(op === 'BETWEEN' ? code : `!${code}`);
    }, k, truth);
  }
  if (op === 'IN' || op === 'NOT IN') {
    const list = node.right.value.map((v: any) => c(v).code);
    return nullIn([c(node.left)], ([x]) => {
      const code = `(${list.map((v: string) => `${x!.code} === ${v}`).join(' || ')})`;
      return bool(op === 'IN' ? code : `!${code}`);
    }, k, truth);
  }
  if (op === 'IS' || op === 'IS NOT') {
    const x = c(node.left);
    const code = `(${x.code} == null)`;
    return bool(op === 'IS' ? code : `!${code}`);
  }
  if (op === 'LIKE' || op === 'NOT LIKE') {
    if (node.right.type !== 'single_quote_string') scope.fail('LIKE needs a string literal pattern', 'LIKE');
    const re = new RegExp(`^${String(node.right.value).replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/%/g, '.*').replace(/_/g, '.')}$`, 's');
    const ref = k.ref(re);
    return nullIn([c(node.left)], ([x]) => bool(op === 'LIKE' ? `${ref}.test(${x!.code})` : `!${ref}.test(${x!.code})`), k, truth);
  }
  if (op === 'AND' || op === 'OR') {
    const l = compile(node.left, scope, k, truth);
    const r = compile(node.right, scope, k, truth);
    // As a truth test unknown may be falsy: plain && and || then agree with SQL.
    if (truth) return bool(`(${l.code} ${op === 'AND' ? '&&' : '||'} ${r.code})`);
    return bool(`${k.ref(op === 'AND' ? and3 : or3)}(${l.code}, ${r.code})`);
  }
  const l = c(node.left);
  const r = c(node.right);
  const cmp = (js: string) => {
    // x = 'literal' is false (not unknown) for a NULL x: as a truth test, that is the same.
    if (truth && js === '===' && (neverNull(l.code) || neverNull(r.code))) return bool(`(${l.code} === ${r.code})`);
    return nullIn([l, r], ([a, b]) => bool(`(${a!.code} ${js} ${b!.code})`), k, truth);
  };
  switch (op) {
    case '=':
      return cmp('===');
    case '<>':
    case '!=':
      return cmp('!==');
    case '<':
    case '<=':
    case '>':
    case '>=':
      return cmp(op);
    case '||':
      return nullIn([l, r], ([a, b]) => ({ code: `(String(${a!.code}) + String(${b!.code}))`, type: STRING }), k);
    case '+':
    case '-':
    case '*':
    case '%': {
      const type = l.type.kind === 'timestamp' && (op === '+' || op === '-') ? l.type : integral(l.type) && integral(r.type) ? NUMBER : DOUBLE;
      return nullIn([l, r], ([a, b]) => ({ code: `(${a!.code} ${op} ${b!.code})`, type }), k);
    }
    case '/':
      return nullIn([l, r], ([a, b]) => (integral(l.type) && integral(r.type) ? { code: `Math.trunc(${a!.code} / ${b!.code})`, type: NUMBER } : { code: `(${a!.code} / ${b!.code})`, type: DOUBLE }), k);
    default:
      return scope.fail(`operator '${node.operator}' is not supported`, node.operator);
  }
}

/** SQL's three-valued AND and OR (null is unknown). */
const and3 = (a: unknown, b: unknown) => (a === false || b === false ? false : a == null || b == null ? null : true);
const or3 = (a: unknown, b: unknown) => (a === true || b === true ? true : a == null || b == null ? null : false);

/** Code that is a literal, never NULL. */
const neverNull = (code: string) => /^(-?\d[\d.e+-]*|"(?:[^"\\]|\\.)*"|true|false)$/.test(code);
/** Code that reads a field (cheap to evaluate twice, no side effects). */
export const isSimple = (code: string) => /^[A-Za-z_$\u0001][\w$]*(\.[A-Za-z_$][\w$]*|\[\d+\]|\["[^"]*"\])*$/.test(code) || neverNull(code);

/**
 * `body` over the operands, NULL when one of them is NULL. Operands that read a field are checked
 * in line; others are evaluated once, through a generated function of the operands. As a truth
 * test, NULL may be given as false.
 */
function nullIn(args: Compiled[], body: (a: Compiled[]) => Compiled, k: Constants, truth = false): Compiled {
  const nullable = args.filter((a) => !neverNull(a.code));
  if (nullable.length === 0) return body(args);
  if (args.every((a) => isSimple(a.code))) {
    const out = body(args);
    const test = nullable.map((a) => `${a.code} == null`).join(' || ');
    return { code: truth ? `(!(${test}) && ${out.code})` : `(${test} ? null : ${out.code})`, type: out.type };
  }
  const params = args.map((_a, i) => `a${i}`);
  const inner = body(args.map((a, i) => ({ code: params[i]!, type: a.type })));
  const test = args.map((a, i) => (neverNull(a.code) ? undefined : `${params[i]} == null`)).filter(Boolean).join(' || ');
  const fn = toFunction<(...a: unknown[]) => unknown>(params.join(', '), `(${test} ? null : ${inner.code})`, k);
  return { code: `${k.ref(fn)}(${args.map((a) => a.code).join(', ')})`, type: inner.type };
}

/** A WHERE / HAVING / ON condition: true when it holds (unknown counts as false). */
export function predicate(node: any, scope: Scope, k: Constants): string {
  return compile(node, scope, k, true).code;
}

/** Builds a function from generated code: `(r) => <code>` with constants `k`. */
export function toFunction<F>(params: string, body: string, k: Constants): F {
  return new Function('k', `"use strict"; return (${params}) => ${body};`)(k.values) as F;
}

/** Splits `a AND b AND c` into its conjuncts. */
export function conjuncts(node: any): any[] {
  if (!node) return [];
  if (node.type === 'binary_expr' && String(node.operator).toUpperCase() === 'AND') return [...conjuncts(node.left), ...conjuncts(node.right)];
  return [node];
}

/** Table aliases an expression refers to (qualified column refs only). */
export function referencedTables(node: any, out = new Set<string>()): Set<string> {
  if (!node || typeof node !== 'object') return out;
  if (node.type === 'column_ref') {
    if (node.table) out.add(node.table);
    else out.add('');
    return out;
  }
  for (const v of Object.values(node)) if (v && typeof v === 'object') referencedTables(v, out);
  return out;
}
