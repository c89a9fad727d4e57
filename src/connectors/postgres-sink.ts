import pg from 'pg';
import { randomUUID } from 'node:crypto';
import type { TwoPhaseCommitSink, TwoPhaseCommitWriter } from './sink.ts';
import { ConnectionError, InvalidJobError } from '../errors.ts';

/** Options of {@link postgresSink}. */
export interface PostgresSinkOptions<T> {
  /** Connection settings (`pg.ClientConfig`); default: the `PG*` environment variables. */
  connection?: pg.ClientConfig;
  /** Target table; it must exist. */
  table: string;
  /** Target columns, in the order `toRow` returns values. */
  columns: string[];
  toRow: (record: T) => unknown[];
  /** Identifies this sink in the epoch and staging tables (default: `<job>/<sink name>`); each run adds a run id to it. */
  sinkId?: string;
  name?: string;
}

/** An epoch being written: rows go straight into the staging table. */
interface PgTxn {
  epoch: number;
}

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$/;
const ROWS_PER_INSERT = 1000;

/**
 * Rows written to Postgres exactly once with checkpoints (two-phase commit without prepared
 * transactions, which most servers disable): an epoch's rows are inserted into a staging table as
 * they arrive (durable at the barrier); when the checkpoint completes, one transaction moves the
 * epoch's rows into the target table and records the epoch in `weir_sink_epochs`, so a commit
 * repeated after a failure finds the epoch recorded and does nothing. Recovery deletes staged rows
 * of epochs no checkpoint covers.
 * @example
 * ```ts
 * counts.sinkTo(postgresSink({ table: 'page_counts', columns: ['page', 'window_end', 'n'], toRow: (c) => [c.page, c.end, c.n] }))
 * ```
 */
export function postgresSink<T>(options: PostgresSinkOptions<T>): TwoPhaseCommitSink<T, PgTxn> {
  const name = options.name ?? 'postgres-sink';
  for (const id of [options.table, ...options.columns]) if (!IDENT.test(id)) throw new InvalidJobError(`postgres sink '${name}': '${id}' is not a plain SQL identifier`);
  const staging = `${options.table}__weir_staging`;
  const cols = options.columns.join(', ');
  return {
    name,
    twoPhase: true,
    createWriter: (subtask, parallelism): TwoPhaseCommitWriter<T, PgTxn> => {
      let client: pg.Client;
      // Epochs restart at 1 in every run (and job names repeat), so rows and epochs are tagged with a run id;
      // a handle carries it, so a recovered run commits the epochs of the run that pre-committed them.
      let base = '';
      let sinkId = '';
      // A handle names its subtask too: after rescaling, subtask 0 commits every old subtask's epochs.
      const commit = async (handle: unknown) => {
        const [run, owner, epoch] = handle as [string, number, number];
        await client.query('BEGIN');
        try {
          const done = await client.query('INSERT INTO weir_sink_epochs (sink, subtask, epoch) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING', [run, owner, epoch]);
          // Only the first commit of an epoch moves rows; a repeated one finds the epoch recorded.
          if (done.rowCount === 1) await client.query(`INSERT INTO ${options.table} (${cols}) SELECT ${cols} FROM ${staging} WHERE weir_sink = $1 AND weir_subtask = $2 AND weir_epoch = $3 ORDER BY weir_seq`, [run, owner, epoch]);
          await client.query(`DELETE FROM ${staging} WHERE weir_sink = $1 AND weir_subtask = $2 AND weir_epoch = $3`, [run, owner, epoch]);
          await client.query('COMMIT');
        } catch (error) {
          await client.query('ROLLBACK').catch(() => {});
          throw error;
        }
      };
      let seq = 0;
      return {
        open: async (ctx) => {
          base = options.sinkId ?? `${ctx.job}/${name}`;
          sinkId = `${base}/${randomUUID()}`;
          client = new pg.Client(options.connection);
          try {
            await client.connect();
          } catch (error) {
            throw new ConnectionError(`postgres sink '${name}': cannot connect to Postgres at ${client.host}:${client.port} (is the server running, are PGHOST/PGUSER/PGDATABASE right?)`, error);
          }
          await client.query('CREATE TABLE IF NOT EXISTS weir_sink_epochs (sink text NOT NULL, subtask int NOT NULL, epoch bigint NOT NULL, committed_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (sink, subtask, epoch))');
          await client.query(`CREATE TABLE IF NOT EXISTS ${staging} (LIKE ${options.table}, weir_sink text NOT NULL, weir_subtask int NOT NULL, weir_epoch bigint NOT NULL, weir_seq bigint NOT NULL)`);
        },
        beginTransaction: (epoch) => ({ epoch }),
        write: async (txn, values) => {
          const width = options.columns.length + 4;
          for (let from = 0; from < values.length; from += ROWS_PER_INSERT) {
            const chunk = values.slice(from, from + ROWS_PER_INSERT);
            const params: unknown[] = [];
            const tuples: string[] = [];
            for (const v of chunk) {
              const row = options.toRow(v);
              const base = params.length;
              params.push(...row, sinkId, subtask, txn.epoch, seq++);
              tuples.push(`(${Array.from({ length: width }, (_, i) => `$${base + i + 1}`).join(', ')})`);
            }
            await client.query(`INSERT INTO ${staging} (${cols}, weir_sink, weir_subtask, weir_epoch, weir_seq) VALUES ${tuples.join(', ')}`, params);
          }
        },
        // Staged rows are committed as they are written, so they are durable already.
        preCommit: (txn) => [sinkId, subtask, txn.epoch],
        commit,
        abort: async (txn) => {
          await client.query(`DELETE FROM ${staging} WHERE weir_sink = $1 AND weir_subtask = $2 AND weir_epoch = $3`, [sinkId, subtask, txn.epoch]);
        },
        recover: async (committable) => {
          for (const epoch of committable) await commit(epoch);
          // Committed epochs left staging; what remains of this subtask (any run), or of subtasks that no longer exist, was never committed.
          await client.query(`DELETE FROM ${staging} WHERE weir_sink LIKE $1 AND (weir_subtask = $2 OR ($3 AND weir_subtask >= $4))`, [`${base}/%`, subtask, subtask === 0, parallelism]);
        },
        close: async () => {
          await client?.end().catch(() => {});
        },
      };
    },
  };
}
