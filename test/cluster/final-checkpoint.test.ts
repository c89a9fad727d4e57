import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startNatsServer } from '../support/nats-server.ts';
import { testPostgres } from '../table/postgres.ts';
import { connect } from '@nats-io/transport-node';
import { weir } from './cli-process.ts';

const JOB = 'test/cluster/fixtures/final-commit.job.ts';
const FIRST = 2_000;
const SECOND = 2_000;

/**
 * Chaos bug (issue 23, seeds 13, 33, 113): a node whose part of a job ended committed its 2PC
 * sink's last epoch at end of input, outside any checkpoint; when another node was lost
 * afterwards, the job rolled back to a checkpoint taken before that end and committed the same
 * rows again. With final checkpoints the ended part commits with a checkpoint taken after its end,
 * and the restarted job restores it as ended: it neither reads nor commits its rows again.
 */
test('two nodes: node a\'s part ends and commits, then node b is SIGKILLed; the job completes on a with every row exactly once', async () => {
  await using server = await startNatsServer();
  const { client, table } = await testPostgres();
  const base = mkdtempSync(join(tmpdir(), 'weir-final-'));
  try {
    await client.query(`CREATE TABLE ${table} (v bigint NOT NULL)`);
    // The control subject, watched: who said what first.
    const watcher = await connect({ servers: server.url });
    const control: Array<{ t: string; from?: string }> = [];
    const dec = new TextDecoder();
    watcher.subscribe('weir-final.final-commit.ctl', { callback: (_e, m) => void control.push(JSON.parse(dec.decode(m.data)) as { t: string; from?: string }) });
    await watcher.flush();
    const common = ['run', JOB, '--nats', server.url, '--nodes', 'a,b', '--subject-prefix', 'weir-final', '--checkpoint-dir', join(base, 'checkpoints')];
    const a = weir([...common, '--node', 'a'], { FC_TABLE: table, FC_NODE: 'a' });
    const b = weir([...common, '--node', 'b'], { FC_TABLE: table, FC_NODE: 'b' });
    const codeB = await b.exit;
    const codeA = await a.exit;
    assert.is(codeB, null, `node b killed itself once a's rows were committed:\n${b.output()}`);
    assert.is(codeA, 0, a.output());
    assert.match(a.output(), /restarts job 'final-commit'/);
    // The 60 s tail (chaos, issue 23): b could die before its first heartbeat, which went out a period after it
    // subscribed, and its acks named no sender, so a counted b alive for the start-up grace of a node never heard
    // from (60 s). Now every control message names its sender and a node's first message is its heartbeat.
    await watcher.close();
    assert.ok(control.length > 0 && control.every((m) => m.from === 'a' || m.from === 'b'), `every control message names its sender: ${JSON.stringify(control.slice(0, 3))}`);
    assert.is(control.find((m) => m.from === 'b')?.t, 'hb', "b's first control message is its heartbeat");
    const got = (await client.query<{ v: string }>(`SELECT v FROM ${table}`)).rows.map((r) => Number(r.v));
    const duplicated = got.length - new Set(got).size;
    assert.is(duplicated, 0, `duplicated ${duplicated} rows\n${a.output()}`);
    const expected = [...Array.from({ length: FIRST }, (_, i) => i), ...Array.from({ length: SECOND }, (_, i) => 1_000_000 + i)];
    assert.equal(got.sort((x, y) => x - y), expected);
  } finally {
    await client.query(`DROP TABLE IF EXISTS ${table}`).catch(() => {});
    await client.query(`DROP TABLE IF EXISTS ${table}__weir_staging`).catch(() => {});
    await client.end();
    rmSync(base, { recursive: true, force: true });
  }
});

test.run();
