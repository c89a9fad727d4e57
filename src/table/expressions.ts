import { type Column, type SqlType, NUMBER, DOUBLE, STRING, BOOLEAN, ANY, sqlType } from './schema.ts';
import { intervalMs } from './sql-text.ts';

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

/** A column's value: the field, or a computed column's expression inlined over the same row. */
function read(entry: ScopeEntry, col: Column, scope: Scope, k: Constants): Compiled {
  if (col.inline !== undefined) return { code: `(${col.inline})`, type: col.type };
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

/** Compiles an expression AST to JavaScript over the scope's rows. */
export function compile(node: any, scope: Scope, k: Constants): Compiled {
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
      if (node.operator === 'NOT') return { code: `!(${c(node.expr).code})`, type: BOOLEAN };
      if (node.operator === '-') {
        const e = c(node.expr);
        return { code: `(-${e.code})`, type: e.type };
      }
      return scope.fail(`unary operator '${node.operator}' is not supported`, node.operator);
    case 'binary_expr':
      return binary(node, scope, k);
    case 'case': {
      const subject = node.expr ? c(node.expr).code : undefined;
      let code = 'null';
      let type: SqlType = ANY;
      const whens = node.args.filter((a: any) => a.type === 'when');
      const otherwise = node.args.find((a: any) => a.type === 'else');
      if (otherwise) ({ code, type } = c(otherwise.result));
      for (let i = whens.length - 1; i >= 0; i--) {
        const cond = subject === undefined ? c(whens[i].cond).code : `(${subject}) === (${c(whens[i].cond).code})`;
        const r = c(whens[i].result);
        code = `((${cond}) ? ${r.code} : ${code})`;
        if (type === ANY) type = r.type;
      }
      return { code, type };
    }
    case 'cast': {
      const target = String(node.target?.[0]?.dataType ?? '');
      const t = sqlType(target);
      const e = c(node.expr);
      if (!t) scope.fail(`CAST to '${target}' is not supported`, target);
      if (t!.kind === 'string') return { code: `String(${e.code})`, type: t! };
      if (t!.kind === 'boolean') return { code: `Boolean(${e.code})`, type: t! };
      if (integral(t!)) return { code: `Math.trunc(Number(${e.code}))`, type: t! };
      return { code: `Number(${e.code})`, type: t! };
    }
    case 'function': {
      const name = functionName(node);
      const fn = FUNCTIONS[name];
      if (!fn) scope.fail(`unknown function ${name} (scalar functions: ${scalarFunctionNames.join(', ')})`, name);
      return fn!((node.args?.value ?? []).map(c));
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

function binary(node: any, scope: Scope, k: Constants): Compiled {
  const c = (n: any) => compile(n, scope, k);
  const op = String(node.operator).toUpperCase();
  if (op === 'BETWEEN' || op === 'NOT BETWEEN') {
    const x = c(node.left);
    const [lo, hi] = node.right.value.map(c);
    const code = `((${x.code}) >= (${lo.code}) && (${x.code}) <= (${hi.code}))`;
    return { code: op === 'BETWEEN' ? code : `!${code}`, type: BOOLEAN };
  }
  if (op === 'IN' || op === 'NOT IN') {
    const x = c(node.left);
    const list = node.right.value.map((v: any) => c(v).code);
    const code = `(${list.map((v: string) => `(${x.code}) === ${v}`).join(' || ')})`;
    return { code: op === 'IN' ? code : `!${code}`, type: BOOLEAN };
  }
  if (op === 'IS' || op === 'IS NOT') {
    const x = c(node.left);
    const code = `((${x.code}) == null)`;
    return { code: op === 'IS' ? code : `!${code}`, type: BOOLEAN };
  }
  if (op === 'LIKE' || op === 'NOT LIKE') {
    if (node.right.type !== 'single_quote_string') scope.fail('LIKE needs a string literal pattern', 'LIKE');
    const re = new RegExp(`^${String(node.right.value).replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/%/g, '.*').replace(/_/g, '.')}$`, 's');
    const code = `${k.ref(re)}.test(${c(node.left).code})`;
    return { code: op === 'LIKE' ? code : `!${code}`, type: BOOLEAN };
  }
  const l = c(node.left);
  const r = c(node.right);
  switch (op) {
    case 'AND':
      return { code: `(${l.code} && ${r.code})`, type: BOOLEAN };
    case 'OR':
      return { code: `(${l.code} || ${r.code})`, type: BOOLEAN };
    case '=':
      return { code: `(${l.code} === ${r.code})`, type: BOOLEAN };
    case '<>':
    case '!=':
      return { code: `(${l.code} !== ${r.code})`, type: BOOLEAN };
    case '<':
    case '<=':
    case '>':
    case '>=':
      return { code: `(${l.code} ${op} ${r.code})`, type: BOOLEAN };
    case '||':
      return { code: `(String(${l.code}) + String(${r.code}))`, type: STRING };
    case '+':
    case '-':
    case '*':
    case '%':
      return { code: `(${l.code} ${op} ${r.code})`, type: l.type.kind === 'timestamp' && (op === '+' || op === '-') ? l.type : integral(l.type) && integral(r.type) ? NUMBER : DOUBLE };
    case '/':
      return integral(l.type) && integral(r.type) ? { code: `Math.trunc(${l.code} / ${r.code})`, type: NUMBER } : { code: `(${l.code} / ${r.code})`, type: DOUBLE };
    default:
      return scope.fail(`operator '${node.operator}' is not supported`, node.operator);
  }
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
