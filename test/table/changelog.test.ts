import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { testPostgres } from './postgres.ts';
import { StreamEnvironment, TableEnvironment, CollectSink, SeededRandom, materialize, type Change } from '../../src/index.ts';

interface Order {
  shop: string;
  amount: number;
}
const random = new SeededRandom(5);
const orders: Order[] = Array.from({ length: 3000 }, () => ({ shop: `s${random.int(12)}`, amount: 1 + random.int(100) }));

/** Plain-TypeScript totals per shop, and which shops pass HAVING. */
function reference() {
  const by = new Map<string, { shop: string; n: number; total: number }>();
  for (const o of orders) {
    const g = by.get(o.shop) ?? { shop: o.shop, n: 0, total: 0 };
    g.n++;
    g.total += o.amount;
    by.set(o.shop, g);
  }
  return by;
}

function tableEnv(parallelism = 2) {
  const env = StreamEnvironment.create({ parallelism });
  const tEnv = TableEnvironment.create(env);
  tEnv.createTemporaryView('orders', env.fromCollection(orders), { schema: { shop: 'STRING', amount: 'BIGINT' } });
  return { env, tEnv };
}

test('an unbounded GROUP BY emits +I for a key\'s first row, then -U/+U pairs; folded, it equals the reference', async () => {
  const { env, tEnv } = tableEnv();
  const table = tEnv.sqlQuery('SELECT shop, COUNT(*) AS n, SUM(amount) AS total FROM orders GROUP BY shop');
  assert.ok(table.changelog);
  assert.throws(() => tEnv.toDataStream(table), /toChangelogStream/);
  const sink = new CollectSink<Change<{ shop: string; n: number; total: number }>>();
  tEnv.toChangelogStream<{ shop: string; n: number; total: number }>(table).sinkTo(sink);
  await env.execute();
  const ref = reference();
  const kinds = sink.values.map((c) => c.kind);
  assert.is(kinds.filter((k) => k === '+I').length, ref.size, 'one insert per shop');
  assert.is(kinds.filter((k) => k === '-U').length, orders.length - ref.size, 'one retraction per later order');
  assert.is(kinds.filter((k) => k === '+U').length, orders.length - ref.size);
  // Per shop, each -U retracts exactly the row emitted before it.
  const last = new Map<string, string>();
  for (const c of sink.values) {
    if (c.kind === '-U') assert.is(JSON.stringify(c.row), last.get(c.row.shop));
    else last.set(c.row.shop, JSON.stringify(c.row));
  }
  const final = materialize(sink.values, (r) => r.shop);
  assert.equal(Object.fromEntries([...final].sort()), Object.fromEntries([...ref].sort()));
});

test('HAVING on an unbounded GROUP BY deletes (-D) a row that stops qualifying and inserts one that starts to', async () => {
  const { env, tEnv } = tableEnv(1);
  const table = tEnv.sqlQuery('SELECT shop, COUNT(*) AS n FROM orders GROUP BY shop HAVING COUNT(*) < 100');
  const sink = new CollectSink<Change<{ shop: string; n: number }>>();
  tEnv.toChangelogStream<{ shop: string; n: number }>(table).sinkTo(sink);
  await env.execute();
  const ref = reference();
  assert.is(sink.values.filter((c) => c.kind === '-D').length, [...ref.values()].filter((g) => g.n >= 100).length);
  const final = materialize(sink.values, (r) => r.shop);
  assert.equal([...final.keys()].sort(), [...ref.values()].filter((g) => g.n < 100).map((g) => g.shop).sort());
});

test('INSERT INTO a postgres table with a PRIMARY KEY applies the changelog as upserts; the table equals the reference', async () => {
  const { client, connection, table } = await testPostgres();
  try {
    await client.query(`CREATE TABLE ${table} (shop text PRIMARY KEY, n bigint, total bigint)`);
    const { env, tEnv } = tableEnv();
    tEnv.executeSql(`CREATE TABLE totals (shop STRING, n BIGINT, total BIGINT, PRIMARY KEY (shop) NOT ENFORCED)
      WITH ('connector' = 'postgres', 'hostname' = '127.0.0.1', 'port' = '5432', 'database' = 'test', 'username' = '${connection.user}', 'table-name' = '${table}')`);
    await tEnv.executeSql('INSERT INTO totals SELECT shop, COUNT(*), SUM(amount) FROM orders GROUP BY shop').await();
    assert.is(env.transformations.filter((t) => t.kind === 'sink').length, 1);
    const rows = (await client.query(`SELECT shop, n::int AS n, total::int AS total FROM ${table} ORDER BY shop`)).rows;
    assert.equal(rows, [...reference().values()].sort((a, b) => a.shop.localeCompare(b.shop)));
    // With HAVING, rows leave the result (-D): the sink deletes them by key.
    await client.query(`CREATE TABLE ${table}_small (shop text PRIMARY KEY, n bigint)`);
    const again = tableEnv();
    again.tEnv.executeSql(`CREATE TABLE small (shop STRING, n BIGINT, PRIMARY KEY (shop) NOT ENFORCED) WITH ('connector' = 'postgres', 'hostname' = '127.0.0.1', 'database' = 'test', 'username' = '${connection.user}', 'table-name' = '${table}_small')`);
    await again.tEnv.executeSql('INSERT INTO small SELECT shop, COUNT(*) FROM orders GROUP BY shop HAVING COUNT(*) < 250').await();
    const small = (await client.query(`SELECT shop, n::int AS n FROM ${table}_small ORDER BY shop`)).rows;
    const expectedSmall = [...reference().values()].filter((g) => g.n < 250).map((g) => ({ shop: g.shop, n: g.n })).sort((a, b) => a.shop.localeCompare(b.shop));
    assert.ok(expectedSmall.length > 0 && expectedSmall.length < reference().size, 'some shops pass 250 orders and are deleted');
    assert.equal(small, expectedSmall);
  } finally {
    await client.query(`DROP TABLE IF EXISTS ${table}_small`).catch(() => {});
    await client.query(`DROP TABLE IF EXISTS ${table}`).catch(() => {});
    await client.end();
  }
});

test('an append-only INSERT into a postgres table with a PRIMARY KEY upserts by the key (a row replaces the one with its key)', async () => {
  const { client, connection, table } = await testPostgres();
  try {
    await client.query(`CREATE TABLE ${table} (g bigint PRIMARY KEY, k bigint)`);
    const env = StreamEnvironment.create({ parallelism: 1 });
    const tEnv = TableEnvironment.create(env);
    tEnv.executeSql(`CREATE TABLE t (k BIGINT) WITH ('connector' = 'generator', 'number-of-rows' = '90', 'fields.k.kind' = 'sequence')`);
    tEnv.executeSql(`CREATE TABLE last_per_g (g BIGINT, k BIGINT, PRIMARY KEY (g) NOT ENFORCED)
      WITH ('connector' = 'postgres', 'hostname' = '127.0.0.1', 'database' = 'test', 'username' = '${connection.user}', 'table-name' = '${table}')`);
    await tEnv.executeSql('INSERT INTO last_per_g SELECT MOD(k, 3), k FROM t').await();
    const rows = (await client.query(`SELECT g::int AS g, k::int AS k FROM ${table} ORDER BY g`)).rows;
    assert.equal(rows, [{ g: 0, k: 87 }, { g: 1, k: 88 }, { g: 2, k: 89 }]);
  } finally {
    await client.query(`DROP TABLE IF EXISTS ${table}`).catch(() => {});
    await client.end();
  }
});

test('an updating result into a sink that cannot upsert is refused, naming the table', () => {
  const { tEnv } = tableEnv();
  tEnv.executeSql(`CREATE TABLE out_files (shop STRING, n BIGINT) WITH ('connector' = 'file', 'path' = '/tmp/never')`);
  assert.throws(() => tEnv.executeSql('INSERT INTO out_files SELECT shop, COUNT(*) FROM orders GROUP BY shop'), /table 'out_files' cannot take an updating result/);
});

test.run();
