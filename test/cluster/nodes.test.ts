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
    assert.match(listed.output, /^a\s+2 slots.*\nb\s+2 slots.*\nc\s+2 slots/m);
    assert.match(listed.output, /\(coordinator\)/);
  } finally {
    assert.equal(await stopNodes(nodes), [0, 0, 0], logs(nodes));
    rmSync(base, { recursive: true, force: true });
  }
});

test.run();
