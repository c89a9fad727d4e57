import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CollectSink } from '../../src/index.ts';
import { queries } from '../../bench/nexmark/queries/index.ts';
import { sqlQueries } from '../../bench/nexmark/sql-queries.ts';
import { runQuery, NexmarkGenerator } from '../../bench/nexmark/job.ts';

const COUNT = Number(process.env.NEXMARK_SQL_EVENTS ?? 60_000);

for (const query of sqlQueries) {
  test(`${query.name} in SQL on ${COUNT.toLocaleString('en')} out-of-order events equals the DataStream version and the reference`, async () => {
    // 2,000 events a second of event time: 30 s of it, so the 10 s windows of q5, q7 and q8 fire several times.
    const gen = new NexmarkGenerator({ seed: 11, outOfOrderMs: 500, rate: 2000 });
    const parallelism = ['q0', 'q1', 'q2'].includes(query.name) ? 1 : 2;
    const run = async (q: typeof query) => {
      const sink = new CollectSink<unknown>();
      await runQuery(q, gen, COUNT, sink, { parallelism });
      return (q.final ?? ((x: unknown[]) => x))(sink.values).map(q.row).sort();
    };
    const sql = await run(query);
    const dataStream = await run(queries.find((q) => q.name === query.name)!);
    const rows: unknown[] = [];
    query.reference(gen, COUNT, (r) => rows.push(r));
    const expected = (query.final ?? ((x: unknown[]) => x))(rows).map(query.row).sort();
    assert.ok(expected.length > (['q4', 'q5', 'q7'].includes(query.name) ? 2 : 10), `the reference has results (${expected.length})`);
    assert.is(sql.length, expected.length, 'row count');
    assert.equal(sql, expected);
    assert.equal(sql, dataStream);
  });
}

test.run();
