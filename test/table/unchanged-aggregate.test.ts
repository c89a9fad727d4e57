import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { StreamEnvironment, TableEnvironment, CollectSink, SeededRandom, type Change } from '../../src/index.ts';

/**
 * An unbounded GROUP BY whose accumulator an input row leaves unchanged (a MAX the row does not
 * beat, a MIN it does not undercut, a GROUP BY without aggregate functions) emits nothing for it:
 * no -U/+U pair retracting a row only to insert it again. The changelog equals a plain-TypeScript
 * reference that emits only when a group's result changes.
 */

interface Reading {
  sensor: string;
  value: number;
}
const random = new SeededRandom(21);
const readings: Reading[] = Array.from({ length: 2000 }, () => ({ sensor: `s${random.int(9)}`, value: random.int(500) }));

/** Per sensor, the changes a changelog-consuming reference expects: +I, then -U/+U only when the result changes. */
function expected(result: (rows: Reading[]) => Record<string, unknown>): Map<string, Change[]> {
  const out = new Map<string, Change[]>();
  const seen = new Map<string, Reading[]>();
  for (const r of readings) {
    const rows = seen.get(r.sensor) ?? [];
    const before = rows.length ? result(rows) : undefined;
    rows.push(r);
    seen.set(r.sensor, rows);
    const after = result(rows);
    const changes = out.get(r.sensor) ?? [];
    if (!before) changes.push({ kind: '+I', row: after });
    else if (JSON.stringify(before) !== JSON.stringify(after)) changes.push({ kind: '-U', row: before }, { kind: '+U', row: after });
    out.set(r.sensor, changes);
  }
  return out;
}

async function changelog(sql: string): Promise<Map<string, Change[]>> {
  const env = StreamEnvironment.create({ parallelism: 1, batchSize: 16 }) // one source reader: each sensor's rows in input order;
  const tEnv = TableEnvironment.create(env);
  tEnv.createTemporaryView('readings', env.fromCollection(readings), { schema: { sensor: 'STRING', value: 'BIGINT' } });
  const sink = new CollectSink<Change>();
  tEnv.toChangelogStream(tEnv.sqlQuery(sql)).sinkTo(sink);
  await env.execute();
  const by = new Map<string, Change[]>();
  for (const c of sink.values) by.set(String(c.row.sensor), [...(by.get(String(c.row.sensor)) ?? []), { kind: c.kind, row: { ...c.row } }]);
  return by;
}

const sorted = (m: Map<string, Change[]>) => Object.fromEntries([...m].sort(([a], [b]) => a.localeCompare(b)));
const noRepeatedRow = (m: Map<string, Change[]>) => {
  for (const [sensor, changes] of m)
    for (let i = 0; i + 1 < changes.length; i++) {
      if (changes[i]!.kind === '-U') assert.not.equal(changes[i]!.row, changes[i + 1]!.row, `${sensor}: a -U/+U pair of the same row`);
    }
};

test('MAX and MIN: a row that does not change the result emits no -U/+U pair; the changelog equals the reference', async () => {
  const got = await changelog('SELECT sensor, MAX(value) AS top, MIN(value) AS low FROM readings GROUP BY sensor');
  const want = expected((rows) => ({ sensor: rows[0]!.sensor, top: Math.max(...rows.map((r) => r.value)), low: Math.min(...rows.map((r) => r.value)) }));
  noRepeatedRow(got);
  assert.equal(sorted(got), sorted(want));
  // Most rows beat neither: far fewer changes than rows.
  assert.ok([...got.values()].flat().length < readings.length / 4);
});

test('MAX alone (a number accumulator): only rows that raise the maximum emit', async () => {
  const got = await changelog('SELECT sensor, MAX(value) AS top FROM readings GROUP BY sensor');
  noRepeatedRow(got);
  assert.equal(sorted(got), sorted(expected((rows) => ({ sensor: rows[0]!.sensor, top: Math.max(...rows.map((r) => r.value)) }))));
});

test('a GROUP BY without aggregate functions emits one +I per group and nothing else', async () => {
  const got = await changelog('SELECT sensor FROM readings GROUP BY sensor');
  assert.equal(sorted(got), sorted(expected((rows) => ({ sensor: rows[0]!.sensor }))));
  for (const changes of got.values()) assert.equal(changes.map((c) => c.kind), ['+I']);
});

test.run();
