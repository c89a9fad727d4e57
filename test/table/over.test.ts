import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { StreamEnvironment, TableEnvironment, CollectSink, SeededRandom } from '../../src/index.ts';

interface Reading { sensor: number; v: number; ts: number }
const r = new SeededRandom(9);
// Out of order by up to 300 ms (the watermark allows 400); distinct times per sensor except deliberate peers.
const readings: Reading[] = Array.from({ length: 3000 }, (_, i) => ({ sensor: r.int(5), v: r.int(100), ts: Math.floor(i / 2) * 100 + r.int(3) * 100 }));
const shuffled = readings.map((x, i) => ({ x, k: i + r.int(3) })).sort((a, b) => a.k - b.k).map((e) => e.x);

async function run(sql: string): Promise<string[]> {
  const env = StreamEnvironment.create({ parallelism: 2 });
  const tEnv = TableEnvironment.create(env);
  tEnv.createTemporaryView('readings', env.fromCollection(shuffled), { schema: { sensor: 'BIGINT', v: 'BIGINT', ts: 'TIMESTAMP(3)' }, rowtime: 'ts', watermarkDelayMs: 400 });
  const sink = new CollectSink<Record<string, unknown>>();
  tEnv.toDataStream(tEnv.sqlQuery(sql)).sinkTo(sink);
  await env.execute();
  return sink.values.map((v) => JSON.stringify(v)).sort();
}

/** Per sensor, in time order (peers in arrival order): the frame of each reading. */
function reference(frame: (before: Reading[], peers: Reading[], me: Reading, i: number) => Reading[]): string[] {
  const out: string[] = [];
  for (let s = 0; s < 5; s++) {
    const mine = shuffled.filter((x) => x.sensor === s).map((x, arrival) => ({ x, arrival })).sort((a, b) => a.x.ts - b.x.ts || a.arrival - b.arrival).map((e) => e.x);
    mine.forEach((me, i) => {
      const rows = frame(mine.slice(0, i + 1), mine.filter((x) => x.ts === me.ts), me, i);
      out.push(JSON.stringify({ sensor: s, v: me.v, ts: me.ts, total: rows.reduce((a, x) => a + x.v, 0), n: rows.length, top: Math.max(...rows.map((x) => x.v)) }));
    });
  }
  return out.sort();
}

const select = (frame: string) => `SELECT sensor, v, ts, SUM(v) OVER w1 AS total, COUNT(*) OVER w1 AS n, MAX(v) OVER w1 AS top FROM readings`.replace(/OVER w1/g, `OVER (PARTITION BY sensor ORDER BY ts ${frame})`);

test('ROWS BETWEEN 3 PRECEDING AND CURRENT ROW over out-of-order input equals the reference (event-time order)', async () => {
  assert.equal(await run(select('ROWS BETWEEN 3 PRECEDING AND CURRENT ROW')), reference((before) => before.slice(-4)));
});

test("RANGE BETWEEN INTERVAL '1' SECOND PRECEDING AND CURRENT ROW includes every row of the last second and all peers", async () => {
  assert.equal(await run(select("RANGE BETWEEN INTERVAL '1' SECOND PRECEDING AND CURRENT ROW")), reference((before, peers, me) => [...before.filter((x) => x.ts >= me.ts - 1000 && x.ts < me.ts), ...peers]));
});

test('ROWS UNBOUNDED and the default frame (RANGE UNBOUNDED: peers included) keep a running aggregate', async () => {
  assert.equal(await run(select('ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW')), reference((before) => before));
  assert.equal(await run(select('')), reference((before, peers, me) => [...before.filter((x) => x.ts < me.ts), ...peers]));
});

test.run();
