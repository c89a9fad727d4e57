import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startNatsServer } from '../support/nats-server.ts';
import { connectNats, startNode, connectCluster, WeirError } from '../../src/index.ts';

test('the cluster from code (public API): two nodes started in-process run a submitted job to the embedded result', async () => {
  await using server = await startNatsServer();
  const out = mkdtempSync(join(tmpdir(), 'weir-api-'));
  process.env.OUT = out; // the job processes inherit it
  const nc = await connectNats({ servers: [server.url], name: 'api-test' });
  try {
    await startNode({ nc, name: 'x', slots: 0, servers: [server.url] }).then(
      () => assert.unreachable('a node without slots was accepted'),
      (error) => assert.ok(error instanceof WeirError && error.code === 'WEIR_INVALID_NODE', String(error)),
    );
    const log: string[] = [];
    const nodes = [await startNode({ nc, name: 'a', slots: 1, servers: [server.url], log: (l) => log.push(l) }), await startNode({ nc, name: 'b', slots: 1, servers: [server.url], log: (l) => log.push(l) })];
    const cluster = await connectCluster(nc);
    assert.equal((await cluster.nodes()).map((n) => n.name), ['a', 'b']);
    const submitted = await cluster.submit({ file: 'test/cli/fixtures/windowed-counts.job.ts', parallelism: 2 });
    assert.is(submitted.name, 'windowed-counts');
    const done = await cluster.waitFor('windowed-counts');
    assert.is(done.status, 'completed', JSON.stringify(done) + log.join('\n'));
    assert.ok(log.some((l) => /placed job 'windowed-counts' \(parallelism 2\) on slots/.test(l)), log.join('\n'));
    assert.equal([...(done.slots ?? [])].sort(), ['a', 'b']);
    const rows = readdirSync(out).filter((f) => f.endsWith('.jsonl')).flatMap((f) => readFileSync(join(out, f), 'utf8').split('\n').filter(Boolean));
    const expected: string[] = [];
    for (let w = 0; w < 60; w++) for (let k = 0; k < 5; k++) expected.push(JSON.stringify([k, w * 1000, 200]));
    assert.equal(rows.sort(), expected.sort());
    for (const n of nodes) await n.stop();
    assert.equal(await cluster.nodes(), []);
  } finally {
    delete process.env.OUT;
    await nc.drain();
    rmSync(out, { recursive: true, force: true });
  }
});

test.run();
