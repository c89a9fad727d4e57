import { createRequire } from 'node:module';
import type { Parser } from 'node-sql-parser';
import { SqlError } from '../errors.ts';

let parser: Parser | undefined;
/**
 * node-sql-parser's PostgreSQL-only build (0.3 MB; the all-dialect entry is 89 MB and takes a
 * second to load), loaded on the first statement so jobs without SQL never pay for it.
 */
function sqlParser(): Parser {
  if (!parser) {
    const { Parser: P } = createRequire(import.meta.url)('node-sql-parser/build/postgresql') as { Parser: new () => Parser };
    parser = new P();
  }
  return parser;
}

/** A watermark declared in DDL: `WATERMARK FOR col AS col - INTERVAL 'n' unit`. */
export interface WatermarkClause {
  column: string;
  /** The expression's text, as written (for EXPLAIN). */
  text: string;
  /** Allowed out-of-orderness in ms (0 for `AS col`). */
  delayMs: number;
}

/** One statement after the Flink-specific clauses were lifted out, with the parser's AST. */
export interface ParsedStatement {
  /** node-sql-parser's AST (PostgreSQL dialect). */
  ast: any;
  /** The statement's text as written. */
  text: string;
  /** Where the statement starts in the script (0-based offset), for error positions. */
  offset: number;
  explain: boolean;
  /** `WITH ('k' = 'v', …)` of CREATE TABLE. */
  options?: Record<string, string>;
  watermark?: WatermarkClause;
  /** Session-window `PARTITION BY` columns, by table name of the TVF. */
  sessionPartitions: string[][];
  /** Temporal joins: the versioned table's name and the probe side's time column. */
  temporal: TemporalClause[];
}

/** `JOIN <table> FOR SYSTEM_TIME AS OF [alias.]column`. */
export interface TemporalClause {
  table: string;
  time: { alias?: string; column: string };
}

const UNIT_MS: Record<string, number> = { millisecond: 1, second: 1000, minute: 60_000, hour: 3_600_000, day: 86_400_000 };

/** ms of an INTERVAL literal: `INTERVAL '10' SECOND` (SECONDS, MINUTE… also accepted). */
export function intervalMs(value: string | number, unit: string): number | undefined {
  const u = UNIT_MS[unit.toLowerCase().replace(/s$/, '')];
  const n = Number(value);
  return u === undefined || !Number.isFinite(n) ? undefined : n * u;
}

/** 1-based line and column of `offset` in `text`. */
export function positionAt(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let start = 0;
  for (let i = 0; i < offset && i < text.length; i++) if (text[i] === '\n') ((line += 1), (start = i + 1));
  return { line, column: offset - start + 1 };
}

/** Replaces `[from, to)` by spaces (newlines kept), so positions in the rest stay as written. */
function blank(text: string, from: number, to: number): string {
  return text.slice(0, from) + text.slice(from, to).replace(/[^\n]/g, ' ') + text.slice(to);
}

/** Splits a script on `;` outside quotes and comments; each piece keeps its offset. */
export function splitStatements(script: string): { text: string; offset: number }[] {
  const out: { text: string; offset: number }[] = [];
  let start = 0;
  let quote: string | undefined;
  for (let i = 0; i < script.length; i++) {
    const c = script[i]!;
    if (quote) {
      if (c === quote) quote = undefined;
    } else if (c === "'" || c === '"' || c === '`') quote = c;
    else if (c === '-' && script[i + 1] === '-') while (i < script.length && script[i] !== '\n') i++;
    else if (c === ';') {
      out.push({ text: script.slice(start, i), offset: start });
      start = i + 1;
    }
  }
  out.push({ text: script.slice(start), offset: start });
  return out.filter((s) => s.text.replace(/--[^\n]*/g, '').trim() !== '');
}

/**
 * Parses one statement with node-sql-parser. Flink clauses no dialect of it knows — `WITH (…)`
 * options, `WATERMARK FOR`, `NOT ENFORCED`, `TABLE t` and `PARTITION BY` inside window TVFs,
 * `EXPLAIN`, the STRING type — are lifted out first and replaced by blanks, so every position
 * the parser reports is still a position in the text as written.
 */
export function parseStatement(text: string, offset = 0, script = text): ParsedStatement {
  let t = text;
  const fail = (message: string, at: number): never => {
    const { line, column } = positionAt(script, offset + at);
    throw new SqlError(message, line, column);
  };
  let explain = false;
  const ex = /^\s*EXPLAIN\s+(PLAN\s+FOR\s+)?/i.exec(t);
  if (ex) ((explain = true), (t = blank(t, 0, ex[0].length)));
  let options: Record<string, string> | undefined;
  let watermark: WatermarkClause | undefined;
  if (/^\s*CREATE\s+(TEMPORARY\s+)?TABLE/i.test(t)) {
    const w = /\)\s*WITH\s*\(/i.exec(t);
    if (w) {
      const open = w.index + w[0].length;
      const close = t.indexOf(')', open);
      if (close < 0) fail("WITH ( … ) is not closed: expected ')'", open);
      options = {};
      const body = t.slice(open, close);
      const pair = /\s*'([^']*)'\s*=\s*'([^']*)'\s*(,|$)/y;
      let m: RegExpExecArray | null;
      let at = 0;
      while (at < body.length && (m = pair.exec(body))) ((options[m[1]!] = m[2]!), (at = pair.lastIndex));
      if (body.slice(at).trim() !== '') fail("WITH options must be 'key' = 'value' pairs separated by commas", open + at + (body.slice(at).length - body.slice(at).trimStart().length));
      t = blank(t, w.index + 1, close + 1);
    }
    const wm = /,\s*WATERMARK\s+FOR\s+(`?)(\w+)\1\s+AS\s+/i.exec(t);
    if (wm) {
      let depth = 0;
      let end = wm.index + wm[0].length;
      for (; end < t.length; end++) {
        const c = t[end];
        if (c === '(') depth++;
        else if (c === ')' && depth-- === 0) break;
        else if (c === ',' && depth === 0) break;
      }
      const exprText = t.slice(wm.index + wm[0].length, end).trim();
      const column = wm[2]!;
      const at = wm.index + wm[0].length;
      const m = new RegExp(`^\`?${column}\`?(?:\\s*-\\s*INTERVAL\\s+'(\\d+(?:\\.\\d+)?)'\\s+(\\w+))?$`, 'i').exec(exprText);
      if (!m) fail(`WATERMARK FOR ${column}: supported are '${column}' and '${column} - INTERVAL 'n' SECOND'`, at);
      const delayMs = m![1] === undefined ? 0 : intervalMs(m![1], m![2]!);
      if (delayMs === undefined) fail(`WATERMARK FOR ${column}: unknown interval unit '${m![2]}'`, at);
      watermark = { column, text: exprText, delayMs: delayMs! };
      t = blank(t, wm.index, end);
    }
    t = t.replace(/\bNOT\s+ENFORCED\b/gi, (s) => ' '.repeat(s.length)).replace(/\bSTRING\b/gi, 'TEXT  ');
  }
  // TVF arguments `TABLE t [PARTITION BY a, b]`: the parser wants a plain name there.
  const sessionPartitions: string[][] = [];
  t = t.replace(/\b(TUMBLE|HOP|SESSION|CUMULATE)(\s*\(\s*)TABLE(\s+)/gi, (_s, fn: string, open: string, sp: string) => `${fn}${open}     ${sp}`);
  t = t.replace(/\bPARTITION\s+BY\s+([\w`]+(\s*,\s*(?!DESCRIPTOR)[\w`]+)*)(?=\s*,\s*DESCRIPTOR)/gi, (s, cols: string) => {
    sessionPartitions.push(cols.split(',').map((c) => c.trim().replace(/`/g, '')));
    return ' '.repeat(s.length);
  });
  // The parser knows only ROWS frames. `RANGE BETWEEN INTERVAL '5' SECOND PRECEDING` becomes
  // `ROWS BETWEEN 5000.5 PRECEDING` (a row count never has a fraction: see over-aggregate.ts), and
  // `RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW` is the default frame, so it goes.
  t = t.replace(/\bRANGE(\s+BETWEEN\s+)INTERVAL\s+'(\d+(?:\.\d+)?)'\s+(\w+)(\s+PRECEDING)\b/gi, (s, between: string, n: string, unit: string, rest: string) => {
    const ms = intervalMs(n, unit);
    return ms === undefined ? s : `ROWS ${between}${Math.round(ms)}.5${rest}`.padEnd(s.length);
  });
  t = t.replace(/\bRANGE\s+BETWEEN\s+UNBOUNDED\s+PRECEDING\s+AND\s+CURRENT\s+ROW\b/gi, (s) => ' '.repeat(s.length));
  // `JOIN rates FOR SYSTEM_TIME AS OF o.ts [AS r]`: a temporal join on the table named before it.
  const temporal: TemporalClause[] = [];
  t = t.replace(/(\bJOIN\s+`?(\w+)`?\s+)(FOR\s+SYSTEM_TIME\s+AS\s+OF\s+(`?\w+`?(?:\.`?\w+`?)?))/gi, (_s, head: string, table: string, clause: string, expr: string) => {
    const [a, b] = expr.replace(/`/g, '').split('.');
    temporal.push({ table, time: b === undefined ? { column: a! } : { alias: a, column: b } });
    return head + ' '.repeat(clause.length);
  });
  const sys = /\bFOR\s+SYSTEM_TIME\s+AS\s+OF\b/i.exec(t);
  if (sys) fail('FOR SYSTEM_TIME AS OF must follow a table name after JOIN and name the left time attribute (AS OF o.ts)', sys.index);
  let ast: any;
  try {
    ast = sqlParser().astify(t, { database: 'PostgresQL' });
  } catch (error) {
    const loc = (error as { location?: { start: { offset: number } } }).location;
    if (!loc) throw error;
    const near = t.slice(loc.start.offset).trimStart().split(/\s+/)[0] || 'end of statement';
    fail(`syntax error near '${near.slice(0, 30)}'`, loc.start.offset);
  }
  if (Array.isArray(ast)) {
    if (ast.length !== 1) fail('one statement expected (separate statements with ;)', 0);
    ast = ast[0];
  }
  return { ast, text, offset, explain, options, watermark, sessionPartitions, temporal };
}

/**
 * Locates a word of the statement for a semantic error (the AST carries no positions): the first
 * whole-word, case-insensitive occurrence, else the statement start.
 */
export function sqlError(stmt: Pick<ParsedStatement, 'text' | 'offset'>, script: string, message: string, word?: string): SqlError {
  let at = 0;
  if (word) {
    const m = new RegExp(`(?<![\\w])${word.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?![\\w])`, 'i').exec(stmt.text);
    if (m) at = m.index;
  } else at = stmt.text.length - stmt.text.trimStart().length;
  const { line, column } = positionAt(script, stmt.offset + at);
  return new SqlError(message, line, column);
}
