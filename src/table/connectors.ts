import type { Source } from '../connectors/source.ts';
import type { Sink } from '../connectors/sink.ts';
import { generatorSource } from '../connectors/generator-source.ts';
import { fileSource } from '../connectors/file-source.ts';
import { fileSink } from '../connectors/file-sink.ts';
import { jetStreamSource } from '../connectors/jetstream-source.ts';
import { jetStreamSink } from '../connectors/jetstream-sink.ts';
import { postgresSink } from '../connectors/postgres-sink.ts';
import { PrintSink } from '../connectors/collect-sink.ts';
import type { SeededRandom } from '../connectors/seeded-random.ts';
import { postgresUpsertSink } from './upsert-sink.ts';
import type { Change } from './changelog.ts';
import type { TableDefinition } from './catalog.ts';
import type { Column } from './schema.ts';

/** The connectors `CREATE TABLE … WITH ('connector' = …)` knows, and which can be read or written. */
export const CONNECTORS = { generator: 'source', file: 'source and sink', jetstream: 'source and sink', postgres: 'sink', print: 'sink', blackhole: 'sink' } as const;

type Fail = (message: string, word?: string) => never;

function option(t: TableDefinition, key: string, fail: Fail, fallback?: string): string {
  const v = t.options[key] ?? fallback;
  if (v === undefined) fail(`table '${t.name}' (connector '${t.options.connector}') needs the option '${key}'`, t.name);
  return v!;
}

const natsConnection = (t: TableDefinition, fail: Fail) => ({ servers: option(t, 'servers', fail, t.options.url).split(',') });

/** A generated value of column `c` for row `i` (options `fields.<col>.kind|min|max|length|values`). */
function fieldGenerator(t: TableDefinition, c: Column, msPerRow: number): (i: number, r: SeededRandom) => unknown {
  const o = (k: string) => t.options[`fields.${c.name}.${k}`];
  if (c.type.kind === 'timestamp' || (c.name === t.schema.rowtime && c.type.kind === 'number')) return (i) => i * msPerRow;
  if (o('kind') === 'sequence') {
    const start = Number(o('start') ?? 0);
    return (i) => start + i;
  }
  const values = o('values')?.split(',');
  if (values) return (_i, r) => values[r.int(values.length)];
  if (c.type.kind === 'string') {
    const length = Number(o('length') ?? 8);
    return (_i, r) => Array.from({ length }, () => String.fromCharCode(97 + r.int(26))).join('');
  }
  if (c.type.kind === 'boolean') return (_i, r) => r.int(2) === 1;
  const min = Number(o('min') ?? 0);
  const max = Number(o('max') ?? 1000);
  return (_i, r) => min + r.int(max - min + 1);
}

/** The source of a catalog table, per its `connector` option. */
export function tableSource(t: TableDefinition, fail: Fail): Source<Record<string, unknown>> {
  const kind = t.options.connector;
  const time = t.schema.rowtime;
  const timestamp = time ? (r: Record<string, unknown>) => r[time] as number : undefined;
  switch (kind) {
    case 'generator': {
      const msPerRow = Number(t.options['ms-per-row'] ?? 1);
      const fields = t.schema.columns.map((c) => [c.name, fieldGenerator(t, c, msPerRow)] as const);
      const count = t.options['number-of-rows'] === undefined ? Infinity : Number(t.options['number-of-rows']);
      const rate = t.options['rows-per-second'] === undefined ? undefined : Number(t.options['rows-per-second']);
      return generatorSource(
        (i, r) => {
          const row: Record<string, unknown> = {};
          for (const [name, gen] of fields) row[name] = gen(i, r);
          return row;
        },
        { count, seed: Number(t.options.seed ?? 1), ratePerSecond: rate, name: t.name },
      );
    }
    case 'file': {
      const path = option(t, 'path', fail);
      const format = t.options.format ?? 'json';
      if (format !== 'json') fail(`file table '${t.name}': format '${format}' is not supported ('json': one JSON object a line)`, t.name);
      return fileSource<Record<string, unknown>>({ ...(t.options['path-is-directory'] === 'true' || path.endsWith('/') ? { directory: path } : { paths: [path] }), format: 'jsonl', timestamp, name: t.name });
    }
    case 'jetstream':
      return jetStreamSource<Record<string, unknown>>({ connection: natsConnection(t, fail), stream: option(t, 'stream', fail), subjects: t.options.subjects?.split(','), bounded: t.options.bounded === 'true', timestamp, name: t.name });
    case undefined:
      return fail(`table '${t.name}' has no 'connector' option (one of ${Object.keys(CONNECTORS).join(', ')})`, t.name);
    default:
      return fail(`table '${t.name}': connector '${kind}' cannot be read (sources: generator, file, jetstream)`, t.name);
  }
}

/**
 * The sink of a catalog table. `changelog`: the query updates its result; only a table with a
 * PRIMARY KEY on a connector that can upsert (postgres, print) can take it.
 */
export function tableSink(t: TableDefinition, changelog: boolean, fail: Fail): Sink<unknown> {
  const kind = t.options.connector;
  const names = t.schema.columns.map((c) => c.name);
  const key = t.schema.primaryKey;
  if (changelog && kind !== 'print' && kind !== 'blackhole' && !(kind === 'postgres' && key)) fail(`table '${t.name}' cannot take an updating result (a GROUP BY without a window produces a changelog): use a postgres table with a PRIMARY KEY, or print`, t.name);
  switch (kind) {
    case 'print':
      return new PrintSink<unknown>(t.options['print-identifier'] ? `${t.options['print-identifier']}> ` : '') as Sink<unknown>;
    case 'blackhole':
      return { name: t.name, createWriter: () => ({ open() {}, write() {}, close() {} }) };
    case 'postgres': {
      const connection = { host: t.options.hostname, port: t.options.port ? Number(t.options.port) : undefined, database: t.options.database, user: t.options.username, password: t.options.password };
      const table = option(t, 'table-name', fail, t.name);
      if (changelog) return postgresUpsertSink({ connection, table, columns: names, primaryKey: key!, name: t.name }) as Sink<unknown>;
      // With a PRIMARY KEY an append-only result is upserted too, as Flink's JDBC sink does: a row
      // replaces the one with its key (a plain INSERT would fail on it).
      if (key) return appendAsUpserts(postgresUpsertSink({ connection, table, columns: names, primaryKey: key, name: t.name }));
      return postgresSink<Record<string, unknown>>({ connection, table, columns: names, toRow: (r) => names.map((n) => r[n]), name: t.name }) as unknown as Sink<unknown>;
    }
    case 'file':
      return fileSink<Record<string, unknown>>({ directory: option(t, 'path', fail), format: (r) => JSON.stringify(r), name: t.name }) as unknown as Sink<unknown>;
    case 'jetstream': {
      const encoder = new TextEncoder();
      return jetStreamSink<Record<string, unknown>>({ connection: natsConnection(t, fail), subject: option(t, 'subject', fail), encode: (r) => encoder.encode(JSON.stringify(r)), name: t.name }) as unknown as Sink<unknown>;
    }
    default:
      return fail(`table '${t.name}': connector '${kind}' cannot be written (sinks: postgres, file, jetstream, print, blackhole)`, t.name);
  }
}

/** Rows of an updating result as a sink without upserts sees them (`print`): `+I[…]`, `-U[…]`. */
export function changeText(c: Change): string {
  return `${c.kind}${JSON.stringify(Object.values(c.row))}`;
}

/** A changelog sink fed the rows of an append-only result, each as an insert (`+I`). */
function appendAsUpserts(sink: Sink<Change>): Sink<unknown> {
  return {
    ...sink,
    createWriter: (subtask, parallelism) => {
      const w = sink.createWriter(subtask, parallelism);
      return {
        open: (ctx) => w.open(ctx),
        write: (rows, timestamps) => w.write(rows.map((row) => ({ kind: '+I', row }) as Change), timestamps),
        finish: w.finish && (() => w.finish!()),
        close: () => w.close(),
      };
    },
  };
}
