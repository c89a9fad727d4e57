import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readdirSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startNatsServer, type NatsServerHandle } from '../support/nats-server.ts';
import { SeededRandom } from '../../src/connectors/seeded-random.ts';
import { weir, weirRun, type CliProcess } from './cli-process.ts';

const JOB = 'test/cluster/fixtures/keyed-windows.job.ts';

/** The plain-TypeScript reference of the fixture job: [user, window start, count, sum] rows. */
const reference = (() => {
  const acc = new Map<string, [number, number, number, number]>();
  const r = new SeededRandom(11);
  for (let i = 0; i < 120_000; i++) {
    r.reset(i);
    const user = r.int(50);
    const amount = 1 + r.int(100);
    const w = Math.floor(i / 2000) * 2000;
    const k = `${user}/${w}`;
    const row = acc.get(k) ?? [user, w, 0, 0];
    row[2]++;
    row[3] += amount;
    acc.set(k, row);
  }
  return [...acc.values()].map((row) => JSON.stringify(row)).sort();
})();

function rows(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.jsonl'))
    .flatMap((f) => readFileSync(join(dir, f), 'utf8').split('\n').filter(Boolean))
    .sort();
}

const logs = (nodes: CliProcess[]) => nodes.map((n, i) => `--- node ${'abc'[i]}\n${n.output()}`).join('\n');

/**
 * Three `weir node`s (checkpoints in the JetStream object store, or a shared directory) run the fixture at parallelism 3; once records
 * flow, `disrupt` strikes. The job must complete with exactly the reference: lost 0, duplicated 0.
 */
async function scenario(store: 'object-store' | 'directory', disrupt: (nodes: CliProcess[], server: NatsServerHandle) => Promise<void>): Promise<CliProcess[]> {
  await using server = await startNatsServer();
  const base = mkdtempSync(join(tmpdir(), 'weir-fail-'));
  const out = join(base, 'out');
  const shared = store === 'directory' ? ['--checkpoint-dir', join(base, 'checkpoints')] : [];
  const nodes = ['a', 'b', 'c'].map((n) => weir(['node', '--nats', server.url, '--name', n, '--slots', '2', ...shared], { OUT: out }));
  try {
    await Promise.all(nodes.map((p, i) => p.waitFor(`node ${'abc'[i]} joined`)));
    const submit = weir(['submit', JOB, '--parallelism', '3', '--wait', '--nats', server.url]);
    await Promise.race(nodes.map((n) => n.waitFor('[keyed-windows] RUNNING')));
    await disrupt(nodes, server);
    assert.is(await submit.exit, 0, submit.output() + logs(nodes));
    assert.match(submit.output(), /job 'keyed-windows' completed/);
    const got = rows(out);
    const lost = reference.filter((r) => !got.includes(r));
    const duplicated = got.filter((r, i) => got.indexOf(r) !== i || !reference.includes(r));
    assert.equal({ lost: lost.length, duplicated: duplicated.length }, { lost: 0, duplicated: 0 }, `lost ${lost.slice(0, 5).join(' ')}; duplicated or wrong ${duplicated.slice(0, 5).join(' ')}\n${logs(nodes)}`);
    assert.equal(readdirSync(out).filter((f) => f.startsWith('.')), [], 'no uncommitted files left');
    return nodes;
  } finally {
    for (const n of nodes) n.child.kill('SIGTERM');
    await Promise.all(nodes.map((n) => n.exit));
    rmSync(base, { recursive: true, force: true });
  }
}

const coordinatorIndex = (nodes: CliProcess[]) => nodes.findIndex((n, i) => n.output().includes(`node ${'abc'[i]} is the coordinator`));

test('a node killed with SIGKILL mid-window: the job rolls back to its last checkpoint (in the object store) on the survivors and completes exactly once', async () => {
  const nodes = await scenario('object-store', async (nodes) => {
    const victim = (coordinatorIndex(nodes) + 1) % 3;
    nodes[victim]!.child.kill('SIGKILL');
  });
  assert.ok(nodes.some((n) => /restarts job 'keyed-windows' \(attempt \d+\) from checkpoint \d+/.test(n.output())), 'the job rolled back (to the last checkpoint, or to the start when none had completed yet)');
});

test('the coordinator node killed with SIGKILL: another node takes the lease, the job completes exactly once (checkpoints in a shared directory)', async () => {
  let victim = -1;
  const nodes = await scenario('directory', async (nodes) => {
    victim = coordinatorIndex(nodes);
    nodes[victim]!.child.kill('SIGKILL');
    await Promise.race(nodes.filter((_, i) => i !== victim).map((n) => n.waitFor(/is the coordinator/)));
  });
  assert.ok(nodes.some((n, i) => i !== victim && n.output().includes('is the coordinator')), 'a surviving node became the coordinator');
});

test('the nats-server restarted mid-run: nodes reconnect, the job rolls back over the gap and completes exactly once', async () => {
  await scenario('object-store', async (_nodes, server) => {
    await server.restart();
  });
});

test.run();
