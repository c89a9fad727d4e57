import pg from 'pg';
import { randomBytes } from 'node:crypto';
import { GENERATED, readings, windowRows } from '../fixtures/inputs.ts';
import type { DistributedScenario } from './distributed.ts';

const connection = { host: '127.0.0.1', port: 5432, user: process.env.PGUSER ?? 'postgres', database: 'test' };

/** Generator → keyed windows → the Postgres sink (table `chaos_<random>` in database `test`), on two nodes. */
export const postgresScenario: DistributedScenario = async ({ seed }) => {
  const table = `chaos_${randomBytes(6).toString('hex')}`;
  const client = new pg.Client(connection);
  try {
    await client.connect();
  } catch (error) {
    throw new Error(`the postgres scenario needs the Postgres server at 127.0.0.1:5432 (database 'test', trust auth): ${(error as Error).message}`);
  }
  await client.query(`CREATE TABLE ${table} (k int NOT NULL, window_start bigint NOT NULL, n int NOT NULL, total bigint NOT NULL)`);
  return {
    env: { CHAOS_SOURCE: 'generator', CHAOS_SINK: 'postgres', CHAOS_TABLE: table },
    reference: windowRows(readings(GENERATED, seed)),
    read: async () => (await client.query(`SELECT k, window_start, n, total FROM ${table}`)).rows.map((r) => JSON.stringify([r.k, Number(r.window_start), r.n, Number(r.total)])),
    cleanup: async () => {
      await client.query(`DROP TABLE IF EXISTS ${table}; DROP TABLE IF EXISTS ${table}__weir_staging`).catch(() => {});
      await client.end();
    },
  };
};
