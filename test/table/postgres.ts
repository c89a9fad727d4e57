import pg from 'pg';
import { randomBytes } from 'node:crypto';
import * as assert from 'uvu/assert';

/** The shared test Postgres (127.0.0.1:5432, database `test`, trust auth), and a fresh `sql_<random>` table name. */
export async function testPostgres(): Promise<{ client: pg.Client; connection: pg.ClientConfig & { user: string }; table: string }> {
  const connection = { host: '127.0.0.1', port: 5432, user: process.env.PGUSER ?? 'postgres', database: 'test' };
  const client = new pg.Client(connection);
  try {
    await client.connect();
  } catch (error) {
    assert.unreachable(`this test needs the Postgres server at 127.0.0.1:5432 (database 'test', trust auth): ${(error as Error).message}`);
  }
  return { client, connection, table: `sql_${randomBytes(4).toString('hex')}` };
}
