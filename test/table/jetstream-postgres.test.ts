import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { testPostgres } from './postgres.ts';
import { connect } from '@nats-io/transport-node';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { StreamEnvironment, TableEnvironment, SeededRandom } from '../../src/index.ts';
import { startNatsServer } from '../support/nats-server.ts';

const CLICKS = 4000;

test('SQL alone: a JetStream stream → TUMBLE window aggregation → a Postgres table; the table equals the reference', async () => {
  await using server = await startNatsServer({ jetstream: true });
  const nc = await connect({ servers: server.url });
  const { client, connection, table } = await testPostgres();
  try {
    const r = new SeededRandom(31);
    const clicks = Array.from({ length: CLICKS }, (_, i) => ({ page: `p${r.int(5)}`, ts: i * 3 + r.int(400) }));
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: 'SQLCLICKS', subjects: ['sqlclicks'] });
    const js = jetstream(nc);
    for (let i = 0; i < clicks.length; i += 500) await Promise.all(clicks.slice(i, i + 500).map((c) => js.publish('sqlclicks', JSON.stringify(c))));
    await client.query(`CREATE TABLE ${table} (page text, window_start bigint, n bigint)`);

    const env = StreamEnvironment.create({ parallelism: 2 });
    const tEnv = TableEnvironment.create(env);
    tEnv.sql(`
      CREATE TABLE clicks (page STRING, ts TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL '1' SECOND)
        WITH ('connector' = 'jetstream', 'servers' = '${server.url}', 'stream' = 'SQLCLICKS', 'bounded' = 'true');
      CREATE TABLE counts (page STRING, window_start BIGINT, n BIGINT)
        WITH ('connector' = 'postgres', 'hostname' = '127.0.0.1', 'database' = 'test', 'username' = '${connection.user}', 'table-name' = '${table}');
      INSERT INTO counts
        SELECT page, window_start, COUNT(*) FROM TABLE(TUMBLE(TABLE clicks, DESCRIPTOR(ts), INTERVAL '2' SECOND))
        GROUP BY page, window_start, window_end;
    `);
    await env.execute('sql-jetstream-postgres');

    const expected = new Map<string, number>();
    for (const c of clicks) {
      const k = `${c.page}|${c.ts - (c.ts % 2000)}`;
      expected.set(k, (expected.get(k) ?? 0) + 1);
    }
    const rows = (await client.query(`SELECT page, window_start::int AS ws, n::int AS n FROM ${table}`)).rows as { page: string; ws: number; n: number }[];
    assert.is(rows.length, expected.size, 'one row per page and window, none duplicated');
    assert.equal(rows.map((x) => `${x.page}|${x.ws}|${x.n}`).sort(), [...expected].map(([k, n]) => `${k}|${n}`).sort());
  } finally {
    await client.query(`DROP TABLE IF EXISTS ${table}`).catch(() => {});
    await client.query(`DROP TABLE IF EXISTS ${table}__weir_staging`).catch(() => {});
    await client.end();
    await nc.drain();
  }
});

test.run();
