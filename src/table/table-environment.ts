import type { StreamEnvironment } from '../api/stream-environment.ts';
import type { DataStream } from '../api/data-stream.ts';
import type { JobHandle } from '../runtime/job.ts';
import type { Transformation } from '../graph/transformation.ts';
import type { Sink } from '../connectors/sink.ts';
import { WatermarkStrategy } from '../time/watermark-strategy.ts';
import { InvalidJobError } from '../errors.ts';
import { Catalog, type TableDefinition } from './catalog.ts';
import { parseStatement, splitStatements, sqlError, type ParsedStatement } from './sql-text.ts';
import { planSelect, type PlanContext } from './planner.ts';
import { rowRelation, type Relation } from './relation.ts';
import { sqlType, describeColumns, type Column, type SqlType, type Schema } from './schema.ts';
import { columnName } from './expressions.ts';
import { tableSource, tableSink, changeText } from './connectors.ts';
import { explainPlan } from './explain.ts';
import { withAlias } from './planner.ts';
import type { Change } from './changelog.ts';

/** A query's result as a value: plan more SQL on it, explain it, or turn it into a DataStream. */
export interface Table {
  readonly columns: Column[];
  /** Whether the result updates (a changelog) rather than only appends. */
  readonly changelog: boolean;
  /** @internal */
  readonly relation: Relation;
  /** The physical plan (EXPLAIN). */
  explain(): string;
}

/** Column name → SQL type (`'BIGINT'`, `'STRING'`, `'TIMESTAMP(3)'`…), or a nested map for a ROW. */
export interface TableSchemaSpec {
  [column: string]: string | TableSchemaSpec;
}

/** How a DataStream becomes a table. */
export interface FromDataStreamOptions {
  schema: TableSchemaSpec;
  /** The event-time attribute: records' timestamps are this column's values. */
  rowtime?: string;
  /** Assign timestamps from `rowtime` with this bounded out-of-orderness (default: keep the stream's own timestamps and watermarks). */
  watermarkDelayMs?: number;
  /** The primary key (a versioned table in a temporal join needs one). */
  primaryKey?: string[];
  /** Computed columns: name → SQL expression over the other columns (`CASE WHEN kind = 2 THEN bid.dateTime … END`), evaluated where read. */
  computed?: Record<string, { type: string; expr: string }>;
}

/** What `executeSql` returns. */
export interface TableResult {
  kind: 'ok' | 'insert' | 'select' | 'explain';
  /** EXPLAIN: the plan; DDL: what was done. */
  message: string;
  columns?: Column[];
  /** INSERT and SELECT: the running job. */
  job?: JobHandle;
  /** SELECT without `onChange`: every change so far (an append-only result has only `+I`). */
  changes?: Change[];
  /** Resolves when the job ends (at once for DDL). */
  await(): Promise<void>;
}

/** Options of `executeSql`: a listener for each change of a SELECT's result (the SQL shell's live table). */
export interface ExecuteOptions {
  onChange?: (change: Change) => void;
}

const schemaColumns = (spec: TableSchemaSpec): Column[] =>
  Object.entries(spec).map(([name, t]) => {
    if (typeof t !== 'string') return { name, type: { kind: 'row', sql: 'ROW', fields: schemaColumns(t) } as SqlType };
    const type = sqlType(t.replace(/\(.*\)$/, ''));
    if (!type) throw new InvalidJobError(`fromDataStream: column '${name}' has unknown SQL type '${t}'`);
    return { name, type };
  });

/**
 * Flink's TableEnvironment over a {@link StreamEnvironment}: DDL, views, queries and INSERTs in
 * SQL, planned onto the DataStream operators of `env` (no second engine).
 * @example
 * ```ts
 * const tEnv = TableEnvironment.create(env)
 * tEnv.executeSql(`CREATE TABLE bids (auction BIGINT, price BIGINT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL '1' SECOND) WITH ('connector' = 'generator', 'number-of-rows' = '1000')`)
 * const counts = tEnv.sqlQuery(`SELECT auction, window_end, COUNT(*) AS n FROM TABLE(TUMBLE(TABLE bids, DESCRIPTOR(ts), INTERVAL '10' SECOND)) GROUP BY auction, window_start, window_end`)
 * tEnv.toDataStream(counts).print()
 * await env.execute()
 * ```
 */
export class TableEnvironment {
  readonly catalog = new Catalog();
  private readonly planned = new Map<string, Relation>();
  private queries = 0;
  /** What the last statement did: the sink an INSERT added (for EXPLAIN), the message of DDL. */
  private lastSink: Transformation | undefined;
  private lastMessage = 'OK';

  private constructor(readonly env: StreamEnvironment) {}

  /** A table environment composing into `env`'s job. */
  static create(env: StreamEnvironment): TableEnvironment {
    return new TableEnvironment(env);
  }

  /** Registers a DataStream as a table (`SELECT … FROM name`). */
  createTemporaryView(name: string, source: DataStream<any> | Table, options?: FromDataStreamOptions): void {
    const table = 'relation' in source ? source : this.fromDataStream(source, options!);
    this.catalog.register(name, { kind: 'query', relation: table.relation });
    this.planned.delete(name);
  }

  /** A DataStream of plain objects as a table with the given columns. */
  fromDataStream<T>(stream: DataStream<T>, options: FromDataStreamOptions): Table {
    const columns = schemaColumns(options.schema);
    for (const [name, c] of Object.entries(options.computed ?? {})) {
      const [col] = schemaColumns({ [name]: c.type });
      const text = `SELECT ${c.expr} FROM t`;
      columns.push({ ...col!, computed: parseStatement(text, 0, text).ast.columns[0].expr });
    }
    if (options.rowtime && !columns.some((c) => c.name === options.rowtime)) throw new InvalidJobError(`fromDataStream: rowtime '${options.rowtime}' is not one of the columns ${describeColumns(columns)}`);
    let s: DataStream<any> = stream;
    if (options.watermarkDelayMs !== undefined) {
      const col = options.rowtime ?? (() => { throw new InvalidJobError('fromDataStream: watermarkDelayMs needs rowtime'); })();
      s = s.assignTimestampsAndWatermarks(WatermarkStrategy.forBoundedOutOfOrderness<any>(options.watermarkDelayMs).withTimestampAssigner((r) => r[col]), 'rowtime');
    }
    return this.table(rowRelation(s, columns, undefined, { rowtime: options.rowtime, primaryKey: options.primaryKey }));
  }

  /** An append-only table as a DataStream of its rows (an updating one: use toChangelogStream). */
  toDataStream<T = Record<string, unknown>>(table: Table): DataStream<T> {
    if (table.changelog) throw new InvalidJobError(`toDataStream: the table updates its rows (${describeColumns(table.columns)}); use toChangelogStream`);
    return table.relation.stream as DataStream<T>;
  }

  /** Any table as a stream of changes: `{ kind: '+I' | '-U' | '+U' | '-D', row }`. */
  toChangelogStream<T = Record<string, unknown>>(table: Table): DataStream<Change<T>> {
    const rel = table.relation;
    return (rel.changelog ? rel.stream : rel.stream.map((row: T) => ({ kind: '+I', row }), 'to-changelog')) as DataStream<Change<T>>;
  }

  /** Plans a SELECT (a view may be referenced by name) into a table. */
  sqlQuery(sql: string): Table {
    const [stmt, ...more] = splitStatements(sql).map((s) => parseStatement(s.text, s.offset, sql));
    if (!stmt || more.length) throw sqlError({ text: sql, offset: 0 }, sql, 'sqlQuery takes exactly one SELECT');
    if (stmt.ast.type !== 'select') throw sqlError(stmt, sql, `sqlQuery takes a SELECT; run ${String(stmt.ast.type).toUpperCase()} with executeSql`);
    return this.table(planSelect(stmt.ast, this.context(stmt, sql)));
  }

  /**
   * Plans statements without running anything: DDL is registered, each INSERT adds its sink to
   * `env`'s job (run it with `env.execute()`), a SELECT's table is returned.
   */
  sql(script: string): Table[] {
    const tables: Table[] = [];
    for (const s of splitStatements(script)) {
      const stmt = parseStatement(s.text, s.offset, script);
      const rel = this.statement(stmt, script);
      if (rel) tables.push(this.table(rel));
    }
    return tables;
  }

  /**
   * Runs statements as Flink's `executeSql` does: DDL at once; an INSERT or a SELECT starts a job
   * (await `result.await()`); EXPLAIN returns the plan. With several statements, the last result.
   */
  executeSql(script: string, options: ExecuteOptions = {}): TableResult {
    let result: TableResult = done('OK');
    for (const s of splitStatements(script)) {
      const stmt = parseStatement(s.text, s.offset, script);
      if (stmt.explain) {
        const rel = this.statement({ ...stmt, explain: false }, script);
        result = done(rel ? explainPlan(this.env.transformations, rel, this.lastSink, this.env.options.parallelism) : 'OK', 'explain');
        continue;
      }
      const rel = this.statement(stmt, script);
      if (stmt.ast.type === 'insert') {
        const job = this.env.executeAsync(`sql-insert-${this.queries}`);
        result = { kind: 'insert', message: `INSERT job started`, job, await: () => job.done.then(() => {}) };
      } else if (rel) {
        const changes: Change[] = [];
        const sink: Sink<Change> = { name: 'sql-result', createWriter: () => ({ open() {}, write(vs) { for (const c of vs) if (options.onChange) options.onChange(c); else changes.push(c); }, close() {} }) };
        this.toChangelogStream(this.table(rel)).sinkTo(sink).setParallelism(1);
        const job = this.env.executeAsync(`sql-select-${this.queries}`);
        result = { kind: 'select', message: describeColumns(rel.columns), columns: rel.columns, job, changes, await: () => job.done.then(() => {}) };
      } else result = done(this.lastMessage);
    }
    return result;
  }

  /** Handles one statement; returns the relation of a SELECT (or, for EXPLAIN, of the INSERT's query). */
  private statement(stmt: ParsedStatement, script: string, explaining = false): Relation | undefined {
    const ast = stmt.ast;
    const fail = (m: string, w?: string): never => {
      throw sqlError(stmt, script, m, w);
    };
    this.lastSink = undefined;
    if (ast.type === 'create' && ast.keyword === 'table') return this.createTable(stmt, fail);
    if (ast.type === 'create' && ast.keyword === 'view') {
      const name = ast.view?.view ?? fail('CREATE VIEW needs a name');
      if (this.catalog.has(name) && !ast.replace) fail(`'${name}' already exists`, name);
      this.catalog.register(name, { kind: 'view', def: { name, query: ast.select, statement: stmt, script } });
      this.planned.delete(name);
      this.lastMessage = `view ${name} created`;
      return undefined;
    }
    if (ast.type === 'drop') {
      for (const t of ast.name ?? []) if (!this.catalog.drop(t.table) && !ast.prefix) fail(`'${t.table}' does not exist`, t.table);
      this.lastMessage = 'dropped';
      return undefined;
    }
    if (ast.type === 'select') return planSelect(ast, this.context(stmt, script));
    if (ast.type === 'insert') {
      const target = ast.table?.[0]?.table;
      const entry = this.catalog.lookup(target);
      if (entry?.kind !== 'table') fail(`INSERT INTO '${target}': no table created with CREATE TABLE has that name`, target);
      const def = (entry as { def: TableDefinition }).def;
      if (!ast.values?.type || ast.values.type !== 'select') fail('INSERT INTO … VALUES is not supported: INSERT INTO … SELECT …', 'VALUES');
      const rel = planSelect(ast.values, this.context(stmt, script));
      const targetCols = ast.columns?.length ? (ast.columns as any[]).map((c) => (typeof c === 'string' ? c : columnName({ column: c }))) : def.schema.columns.map((c) => c.name);
      if (targetCols.length !== rel.columns.length) fail(`INSERT INTO ${def.name}: the query has ${rel.columns.length} columns (${rel.columns.map((c) => c.name).join(', ')}), the table ${targetCols.length} (${targetCols.join(', ')})`, target);
      if (explaining) return rel;
      const sink = tableSink(def, rel.changelog, fail);
      const rename = rel.columns.some((c, i) => c.name !== targetCols[i]);
      const from = rel.columns.map((c) => c.name);
      const fix = (row: Record<string, unknown>) => Object.fromEntries(targetCols.map((t, i) => [t, row[from[i]!]]));
      let out: DataStream<any> = rel.stream;
      if (rename) out = rel.changelog ? out.map((c: Change) => ({ kind: c.kind, row: fix(c.row) }), 'insert:columns') : out.map(fix, 'insert:columns');
      if (rel.changelog && def.options.connector === 'print') out = out.map(changeText, 'changelog-text');
      this.lastSink = out.sinkTo(sink, `sink:${def.name}`).node;
      return rel;
    }
    if (ast.type === 'show') {
      this.lastMessage = this.catalog.list().map((e) => `${e.name} (${e.kind})`).join('\n') || '(no tables)';
      return undefined;
    }
    return fail(`${String(ast.type).toUpperCase()} statements are not supported (CREATE TABLE, CREATE VIEW, INSERT INTO … SELECT, SELECT, EXPLAIN, DROP are)`);
  }

  private createTable(stmt: ParsedStatement, fail: (m: string, w?: string) => never): undefined {
    const ast = stmt.ast;
    const name: string = ast.table?.[0]?.table;
    if (this.catalog.has(name) && !ast.if_not_exists) fail(`table '${name}' already exists`, name);
    const columns: Column[] = [];
    let primaryKey: string[] | undefined;
    for (const d of ast.create_definitions ?? []) {
      if (d.resource === 'column') {
        const col = columnName(d.column);
        const type = sqlType(String(d.definition?.dataType));
        if (!type) fail(`column '${col}': type ${d.definition?.dataType} is not supported (numeric types, STRING/VARCHAR, BOOLEAN, TIMESTAMP(3))`, String(d.definition?.dataType));
        columns.push({ name: col, type: type! });
      } else if (d.constraint_type === 'primary key') primaryKey = d.definition.map((c: any) => columnName(c));
      else fail(`constraint ${d.constraint_type} is not supported (PRIMARY KEY is)`, String(d.constraint_type ?? ''));
    }
    const wm = stmt.watermark;
    if (wm && !columns.some((c) => c.name === wm.column)) fail(`WATERMARK FOR ${wm.column}: no such column`, wm.column);
    const schema: Schema = { columns, rowtime: wm?.column, primaryKey };
    this.catalog.register(name, { kind: 'table', def: { name, schema, options: stmt.options ?? {}, watermark: wm } });
    this.planned.delete(name);
    this.lastMessage = `table ${name} created`;
    return undefined;
  }

  private context(stmt: ParsedStatement, script: string): PlanContext {
    const fail = (m: string, w?: string): never => {
      throw sqlError(stmt, script, m, w);
    };
    return { fail, sessionPartitions: [...stmt.sessionPartitions], temporal: stmt.temporal, name: `sql-${++this.queries}`, table: (name, alias) => this.resolve(name, alias, fail) };
  }

  private resolve(name: string, alias: string | undefined, fail: (m: string, w?: string) => never): Relation {
    const entry = this.catalog.lookup(name);
    if (!entry) return fail(`table '${name}' not found (known: ${this.catalog.list().map((e) => e.name).join(', ') || 'none'})`, name);
    let rel = this.planned.get(name);
    if (!rel) {
      if (entry.kind === 'table') rel = this.scan(entry.def, fail);
      else if (entry.kind === 'view') rel = planSelect(entry.def.query, this.context(entry.def.statement, entry.def.script));
      else if (entry.kind === 'stream') rel = rowRelation(entry.def.stream, entry.def.schema.columns, undefined, { rowtime: entry.def.schema.rowtime, primaryKey: entry.def.schema.primaryKey });
      else rel = entry.relation;
      this.planned.set(name, rel);
    }
    return withAlias(rel, alias ?? name);
  }

  private scan(def: TableDefinition, fail: (m: string, w?: string) => never): Relation {
    let stream: DataStream<any> = this.env.fromSource(tableSource(def, fail), def.name);
    const wm = def.watermark;
    if (wm) stream = stream.assignTimestampsAndWatermarks(WatermarkStrategy.forBoundedOutOfOrderness<any>(wm.delayMs).withTimestampAssigner((r) => r[wm.column]), `watermark(${wm.column} - ${wm.delayMs}ms)`);
    return rowRelation(stream, def.schema.columns, def.name, { rowtime: def.schema.rowtime, primaryKey: def.schema.primaryKey });
  }

  private table(relation: Relation): Table {
    const env = this.env;
    return { columns: relation.columns, changelog: relation.changelog, relation, explain: () => explainPlan(env.transformations, relation, undefined, env.options.parallelism) };
  }
}

const ofEnvironment = new WeakMap<StreamEnvironment, TableEnvironment>();

/** The table environment `env.sql(...)` uses: one per stream environment, so its DDL persists between calls. */
export function tableEnvironmentOf(env: StreamEnvironment): TableEnvironment {
  let t = ofEnvironment.get(env);
  if (!t) ofEnvironment.set(env, (t = TableEnvironment.create(env)));
  return t;
}

function done(message: string, kind: TableResult['kind'] = 'ok'): TableResult {
  return { kind, message, await: () => Promise.resolve() };
}
