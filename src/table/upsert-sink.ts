import pg from 'pg';
import type { Sink } from '../connectors/sink.ts';
import type { Change } from './changelog.ts';
import { ConnectionError, InvalidJobError } from '../errors.ts';

/** Options of {@link postgresUpsertSink}. */
export interface PostgresUpsertSinkOptions {
  connection?: pg.ClientConfig;
  table: string;
  columns: string[];
  /** The primary key columns: a change replaces (or deletes) the row with its key. */
  primaryKey: string[];
  name?: string;
}

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$/;

/**
 * Applies a changelog to a Postgres table by primary key, as Flink's JDBC upsert sink does:
 * `+I`/`+U` become `INSERT … ON CONFLICT (key) DO UPDATE`, `-D` a `DELETE`, `-U` nothing (the
 * `+U` that follows replaces the row). A batch is applied in one transaction, its changes folded
 * per key first (the last change of a key wins), so the table always shows a state the stream
 * went through at a batch boundary. Re-applying changes after a restart is idempotent per key.
 * @example
 * ```ts
 * changes.sinkTo(postgresUpsertSink({ table: 'page_counts', columns: ['page', 'n'], primaryKey: ['page'] }))
 * ```
 */
export function postgresUpsertSink(options: PostgresUpsertSinkOptions): Sink<Change> {
  const name = options.name ?? 'postgres-upsert-sink';
  for (const id of [options.table, ...options.columns]) if (!IDENT.test(id)) throw new InvalidJobError(`postgres upsert sink '${name}': '${id}' is not a plain SQL identifier`);
  for (const k of options.primaryKey) if (!options.columns.includes(k)) throw new InvalidJobError(`postgres upsert sink '${name}': primary key column '${k}' is not one of the columns`);
  const cols = options.columns;
  const quoted = (c: string) => `"${c}"`;
  const updates = cols.filter((c) => !options.primaryKey.includes(c));
  const upsert = `INSERT INTO ${options.table} (${cols.map(quoted).join(', ')}) VALUES (${cols.map((_c, i) => `$${i + 1}`).join(', ')}) ON CONFLICT (${options.primaryKey.map(quoted).join(', ')}) ${updates.length ? `DO UPDATE SET ${updates.map((c) => `${quoted(c)} = EXCLUDED.${quoted(c)}`).join(', ')}` : 'DO NOTHING'}`;
  const del = `DELETE FROM ${options.table} WHERE ${options.primaryKey.map((c, i) => `${quoted(c)} = $${i + 1}`).join(' AND ')}`;
  return {
    name,
    createWriter: () => {
      let client: pg.Client;
      return {
        async open() {
          client = new pg.Client(options.connection);
          try {
            await client.connect();
          } catch (error) {
            throw new ConnectionError(`postgres upsert sink '${name}': cannot connect to Postgres at ${client.host}:${client.port} (is the server running, are PGHOST/PGUSER/PGDATABASE right?)`, error);
          }
        },
        async write(changes) {
          const last = new Map<string, Change>();
          for (const c of changes) {
            if (c.kind === '-U') continue;
            last.set(JSON.stringify(options.primaryKey.map((k) => c.row[k])), c);
          }
          if (last.size === 0) return;
          await client.query('BEGIN');
          try {
            for (const c of last.values()) {
              if (c.kind === '-D') await client.query(del, options.primaryKey.map((k) => c.row[k]));
              else await client.query(upsert, cols.map((k) => c.row[k]));
            }
            await client.query('COMMIT');
          } catch (error) {
            await client.query('ROLLBACK').catch(() => {});
            throw error;
          }
        },
        async close() {
          await client?.end().catch(() => {});
        },
      };
    },
  };
}
