import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, writeFileSync, rmSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { StreamEnvironment, TableEnvironment, CollectSink, SeededRandom, type Row } from '../../src/index.ts';

/** Seeded clicks, up to 800 ms out of order (less than the DDL watermark's 1 s), with gaps that close sessions. */
interface Click {
  user: number;
  page: string;
  ms: number;
  ts: number;
}
const random = new SeededRandom(42);
const clicks: Click[] = [];
let t = 0;
for (let i = 0; i < 6000; i++) {
  t += random.int(4) === 0 ? 40 + random.int(30) : random.int(2) === 0 ? 3000 + random.int(3000) : 0;
  clicks.push({ user: random.int(7), page: ['home', 'cart', 'pay'][random.int(3)]!, ms: 10 + random.int(500), ts: Math.max(0, t - random.int(800)) });
}
const dir = mkdtempSync(join(tmpdir(), 'sql-windows-'));
const file = join(dir, 'clicks.jsonl');
writeFileSync(file, clicks.map((c) => JSON.stringify(c)).join('\n') + '\n');

const ddl = `CREATE TABLE clicks (
  user BIGINT,
  page STRING,
  ms BIGINT,
  ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '1' SECOND
) WITH ('connector' = 'file', 'path' = '${file}', 'format' = 'json')`;

async function run(sql: string, parallelism = 2): Promise<Record<string, unknown>[]> {
  const env = StreamEnvironment.create({ parallelism });
  const tEnv = TableEnvironment.create(env);
  tEnv.executeSql(ddl);
  const sink = new CollectSink<Record<string, unknown>>();
  tEnv.toDataStream(tEnv.sqlQuery(sql)).sinkTo(sink);
  await env.execute();
  return sink.values;
}

const text = (rows: Record<string, unknown>[]) => rows.map((r) => JSON.stringify(Object.entries(r).sort(([a], [b]) => a.localeCompare(b)))).sort();

/** Plain-TypeScript windows: every window of size/slide a click falls in, per key. */
function slidingReference(size: number, slide: number, keyOf: (c: Click) => string, rows: Click[] = clicks) {
  const groups = new Map<string, { key: string; start: number; n: number; total: number; max: number }>();
  for (const c of rows) {
    for (let start = c.ts - (c.ts % slide); start > c.ts - size; start -= slide) {
      const id = `${keyOf(c)}|${start}`;
      const g = groups.get(id) ?? { key: keyOf(c), start, n: 0, total: 0, max: -Infinity };
      g.n++;
      g.total += c.ms;
      g.max = Math.max(g.max, c.ms);
      groups.set(id, g);
    }
  }
  return [...groups.values()];
}

test('projection, WHERE, scalar functions and CASE equal a plain-TypeScript map/filter', async () => {
  const got = await run(`SELECT user, UPPER(page) AS page, ms * 2 + 1 AS cost, CASE WHEN ms > 250 THEN 'slow' WHEN ms > 100 THEN 'ok' ELSE 'fast' END AS speed, CHAR_LENGTH(page) AS len
    FROM clicks WHERE page <> 'pay' AND MOD(user, 2) = 0 AND ms BETWEEN 50 AND 400`);
  const expected = clicks
    .filter((c) => c.page !== 'pay' && c.user % 2 === 0 && c.ms >= 50 && c.ms <= 400)
    .map((c) => ({ user: c.user, page: c.page.toUpperCase(), cost: c.ms * 2 + 1, speed: c.ms > 250 ? 'slow' : c.ms > 100 ? 'ok' : 'fast', len: c.page.length }));
  assert.ok(expected.length > 500);
  assert.equal(text(got), text(expected));
});

test('TUMBLE window aggregation per key with window_start/window_end equals the reference (out-of-order input, DDL watermark)', async () => {
  const got = await run(`SELECT page, window_start, window_end, COUNT(*) AS n, SUM(ms) AS total, MAX(ms) AS slowest
    FROM TABLE(TUMBLE(TABLE clicks, DESCRIPTOR(ts), INTERVAL '5' SECOND)) GROUP BY page, window_start, window_end`);
  const expected = slidingReference(5000, 5000, (c) => c.page).map((g) => ({ page: g.key, window_start: g.start, window_end: g.start + 5000, n: g.n, total: g.total, slowest: g.max }));
  assert.ok(expected.length > 50);
  assert.equal(text(got), text(expected));
});

test('HOP window aggregation runs on the sliding window operator (shared slices) and equals the reference', async () => {
  const sql = `SELECT user, window_end, COUNT(*) AS n, AVG(ms) AS mean FROM TABLE(HOP(TABLE clicks, DESCRIPTOR(ts), INTERVAL '2' SECOND, INTERVAL '6' SECOND)) GROUP BY user, window_start, window_end HAVING COUNT(*) > 2`;
  const got = await run(sql);
  const expected = slidingReference(6000, 2000, (c) => String(c.user))
    .filter((g) => g.n > 2)
    .map((g) => ({ user: Number(g.key), window_end: g.start + 6000, n: g.n, mean: g.total / g.n }));
  assert.ok(expected.length > 50);
  assert.equal(text(got), text(expected));
  const env = StreamEnvironment.create();
  const tEnv = TableEnvironment.create(env);
  tEnv.executeSql(ddl);
  assert.match(tEnv.executeSql(`EXPLAIN ${sql}`).message, /HOP\(size=6000ms, slide=2000ms, shared slices\)/);
});

test('SESSION windows per user (gap 1 s) equal sessions computed in plain TypeScript', async () => {
  const got = await run(`SELECT user, window_start, window_end, COUNT(*) AS n FROM TABLE(SESSION(TABLE clicks PARTITION BY user, DESCRIPTOR(ts), INTERVAL '1' SECOND)) GROUP BY user, window_start, window_end`);
  const expected: Record<string, unknown>[] = [];
  for (let user = 0; user < 7; user++) {
    const times = clicks.filter((c) => c.user === user).map((c) => c.ts).sort((a, b) => a - b);
    let start = times[0]!;
    let end = start + 1000;
    let n = 0;
    for (const ts of times) {
      if (ts >= end) {
        expected.push({ user, window_start: start, window_end: end, n });
        start = ts;
        n = 0;
      }
      n++;
      end = Math.max(end, ts + 1000);
    }
    expected.push({ user, window_start: start, window_end: end, n });
  }
  assert.ok(expected.length > 100);
  assert.equal(text(got), text(expected));
});

test('fromDataStream → SQL → toDataStream keeps the stream\'s timestamps as the time attribute; typed rows out', async () => {
  const env = StreamEnvironment.create();
  const tEnv = TableEnvironment.create(env);
  const stream = env.fromCollection(clicks);
  tEnv.createTemporaryView('c', tEnv.fromDataStream(stream, { schema: { user: 'BIGINT', page: 'STRING', ms: 'BIGINT', ts: 'TIMESTAMP(3)' }, rowtime: 'ts', watermarkDelayMs: 1000 }));
  const table = tEnv.sqlQuery(`SELECT window_start, COUNT(*) AS n FROM TABLE(TUMBLE(TABLE c, DESCRIPTOR(ts), INTERVAL '10' SECOND)) GROUP BY window_start, window_end`);
  // A typed row: Row<…> maps SQL types to TypeScript ones (TIMESTAMP and BIGINT to number).
  type Out = Row<{ window_start: 'TIMESTAMP(3)'; n: 'BIGINT' }>;
  const sink = new CollectSink<Out>();
  tEnv.toDataStream<Out>(table).map((r): Out => ({ window_start: r.window_start, n: r.n })).sinkTo(sink);
  await env.execute();
  const expected = slidingReference(10_000, 10_000, () => '').map((g) => ({ window_start: g.start, n: g.n }));
  assert.equal(text(sink.values), text(expected));
});

test('env.sql: DDL, then INSERT INTO a file table from a windowed query; the committed files hold the reference rows', async () => {
  const env = StreamEnvironment.create({ parallelism: 2 });
  const out = join(dir, 'out');
  env.sql(`${ddl};
    CREATE TABLE per_page (page STRING, window_end TIMESTAMP(3), n BIGINT) WITH ('connector' = 'file', 'path' = '${out}');
    INSERT INTO per_page SELECT page, window_end, COUNT(*) FROM TABLE(TUMBLE(TABLE clicks, DESCRIPTOR(ts), INTERVAL '5' SECOND)) GROUP BY page, window_start, window_end`);
  await env.execute('sql-to-files');
  const lines = readdirSync(out).filter((f) => !f.startsWith('.')).flatMap((f) => readFileSync(join(out, f), 'utf8').split('\n').filter(Boolean));
  const expected = slidingReference(5000, 5000, (c) => c.page).map((g) => ({ page: g.key, window_end: g.start + 5000, n: g.n }));
  assert.equal(text(lines.map((l) => JSON.parse(l))), text(expected));
});

test.after(() => rmSync(dir, { recursive: true, force: true }));
test.run();
