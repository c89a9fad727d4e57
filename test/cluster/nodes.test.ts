import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readdirSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startNatsServer } from '../support/nats-server.ts';
import { weir, weirRun, type CliProcess } from './cli-process.ts';

function rows(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.jsonl'))
    .flatMap((f) => readFileSync(join(dir, f), 'utf8').split('\n').filter(Boolean));
}

/** Starts nodes a, b, c (two slots each) and waits until they joined. */
async function startNodes(url: string, env: Record<string, string>, extra: string[] = []): Promise<CliProcess[]> {
  const nodes = ['a', 'b', 'c'].map((n) => weir(['node', '--nats', url, '--name', n, '--slots', '2', ...extra], env));
  await Promise.all(nodes.map((p, i) => p.waitFor(`node ${'abc'[i]} joined`)));
  return nodes;
}

async function stopNodes(nodes: CliProcess[]): Promise<Array<number | null>> {
  for (const n of nodes) n.child.kill('SIGTERM');
  return Promise.all(nodes.map((n) => n.exit));
}

const logs = (nodes: CliProcess[]) => nodes.map((n, i) => `--- node ${'abc'[i]}\n${n.output()}`).join('\n');

test('weir submit: three weir nodes run the bundled job spread over their slots; the result equals the embedded one; weir jobs shows it completed', async () => {
  await using server = await startNatsServer();
  const base = mkdtempSync(join(tmpdir(), 'weir-nodes-'));
  const out = join(base, 'out');
  const nodes = await startNodes(server.url, { OUT: out });
  try {
    const submit = await weirRun(['submit', 'test/cli/fixtures/windowed-counts.job.ts', '--parallelism', '3', '--wait', '--nats', server.url]);
    assert.is(submit.code, 0, submit.output + logs(nodes));
    assert.match(submit.output, /job 'windowed-counts' completed/);
    const expected: string[] = [];
    for (let w = 0; w < 60; w++) for (let k = 0; k < 5; k++) expected.push(JSON.stringify([k, w * 1000, 200]));
    assert.equal(rows(out).sort(), expected.sort());
    const jobs = await weirRun(['jobs', '--nats', server.url]);
    assert.match(jobs.output, /windowed-counts\s+completed\s+3\s+a,b,c/);
    for (const [i, n] of nodes.entries()) assert.match(n.output(), `node ${'abc'[i]} runs its part of job 'windowed-counts'`);
    const listed = await weirRun(['nodes', '--nats', server.url]);
    assert.match(listed.output, /^a\s+2 slots.*\nb\s+2 slots.*\nc\s+2 slots/m, listed.output);
    assert.match(listed.output, /\(coordinator\)/);
  } finally {
    assert.equal(await stopNodes(nodes), [0, 0, 0], logs(nodes));
    rmSync(base, { recursive: true, force: true });
  }
});

test('weir cancel: an unbounded job stops cleanly on every node, the nodes stay up and take the next job', async () => {
  await using server = await startNatsServer();
  const base = mkdtempSync(join(tmpdir(), 'weir-cancel-'));
  const nodes = await startNodes(server.url, { OUT: join(base, 'endless') });
  try {
    const submit = await weirRun(['submit', 'test/cluster/fixtures/endless.job.ts', '--parallelism', '3', '--nats', server.url]);
    assert.is(submit.code, 0, submit.output);
    await Promise.race(nodes.map((n) => n.waitFor('[endless] RUNNING')));
    const busy = await weirRun(['submit', 'test/cluster/fixtures/endless.job.ts', '--parallelism', '1', '--nats', server.url]);
    assert.is.not(busy.code, 0);
    assert.match(busy.output, /job 'endless' is running: cancel it first/);
    const cancel = await weirRun(['cancel', 'endless', '--wait', '--nats', server.url]);
    assert.is(cancel.code, 0, cancel.output + logs(nodes));
    assert.match(cancel.output, /job 'endless' cancelled/);
    for (const [i, n] of nodes.entries()) await n.waitFor(`node ${'abc'[i]}: its part of job 'endless' cancelled`);
    assert.match((await weirRun(['jobs', '--nats', server.url])).output, /endless\s+cancelled\s+3/);
    // The slots are free again: a job of parallelism 6 (all slots) runs.
    const next = await weirRun(['submit', 'test/cli/fixtures/windowed-counts.job.ts', '--parallelism', '6', '--wait', '--nats', server.url], { OUT: join(base, 'next') });
    assert.is(next.code, 0, next.output + logs(nodes));
    assert.match((await weirRun(['jobs', '--nats', server.url])).output, /windowed-counts\s+completed\s+6\s+a,b,c,a,b,c/);
  } finally {
    assert.equal(await stopNodes(nodes), [0, 0, 0], logs(nodes));
    rmSync(base, { recursive: true, force: true });
  }
});

test('a job needing more slots than the cluster has waits, saying why', async () => {
  await using server = await startNatsServer();
  const nodes = await startNodes(server.url, {});
  try {
    const submit = await weirRun(['submit', 'test/cli/fixtures/windowed-counts.job.ts', '--parallelism', '7', '--nats', server.url]);
    assert.is(submit.code, 0, submit.output);
    await Promise.race(nodes.map((n) => n.waitFor("job 'windowed-counts' waits")));
    const waiting = await weirRun(['jobs', '--nats', server.url]);
    assert.match(waiting.output, /windowed-counts\s+submitted\s+7\s+-\s+\(needs 7 free slots, the cluster has 6 .*start more nodes/);
    // Another subject prefix is another cluster (tenant) on the same server: it sees neither job nor nodes.
    assert.match((await weirRun(['jobs', '--nats', server.url, '--subject-prefix', 'tenant2'])).output, /no jobs/);
    assert.match((await weirRun(['nodes', '--nats', server.url, '--subject-prefix', 'tenant2'])).output, /no nodes/);
    const cancel = await weirRun(['cancel', 'windowed-counts', '--nats', server.url]);
    assert.match(cancel.output, /job 'windowed-counts' cancelled/);
  } finally {
    await stopNodes(nodes);
  }
});

test('security passes through: wrong password → a clear error at once from weir node and weir submit; the right one runs a job on the nodes', async () => {
  await using server = await startNatsServer({ config: 'authorization { user: weir, password: s3cret }' });
  const base = mkdtempSync(join(tmpdir(), 'weir-auth-'));
  try {
    const node = await weirRun(['node', '--nats', server.url, '--name', 'a', '--user', 'weir', '--password', 'nope']);
    assert.is.not(node.code, 0);
    assert.match(node.output, /weir: cannot connect to NATS at nats:\/\/127\.0\.0\.1:\d+: .*[Aa]uthorization/);
    const submit = await weirRun(['submit', 'test/cli/fixtures/windowed-counts.job.ts', '--nats', server.url, '--user', 'weir', '--password', 'nope']);
    assert.is.not(submit.code, 0);
    assert.match(submit.output, /cannot connect to NATS at .*[Aa]uthorization/);
    const nodes = await startNodes(server.url, { OUT: join(base, 'out') }, ['--user', 'weir', '--password', 's3cret']);
    try {
      const ok = await weirRun(['submit', 'test/cli/fixtures/windowed-counts.job.ts', '--parallelism', '2', '--wait', '--nats', server.url, '--user', 'weir', '--password', 's3cret']);
      assert.is(ok.code, 0, ok.output + logs(nodes));
      assert.is(rows(join(base, 'out')).length, 300);
    } finally {
      assert.equal(await stopNodes(nodes), [0, 0, 0], logs(nodes));
    }
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
});

test('a token server: the wrong token is refused at once with a clear error, the right one joins', async () => {
  await using server = await startNatsServer({ config: 'authorization { token: t0k3n }' });
  const wrong = await weirRun(['nodes', '--nats', server.url, '--token', 'nope']);
  assert.is.not(wrong.code, 0);
  assert.match(wrong.output, /weir: cannot connect to NATS at .*[Aa]uthorization/);
  const node = weir(['node', '--nats', server.url, '--name', 'a', '--token', 't0k3n']);
  await node.waitFor('node a joined');
  assert.match((await weirRun(['nodes', '--nats', server.url, '--token', 't0k3n'])).output, /^a\s+2 slots/m);
  node.child.kill('SIGTERM');
  assert.is(await node.exit, 0);
});

test.run();
