import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startNatsServer } from '../support/nats-server.ts';

const JOB = 'test/cluster/fixtures/checkpointed-counts.job.ts';

function node(name: string, args: string[], env: Record<string, string>): { child: ChildProcess; exit: Promise<number | null>; output: () => string; waitFor: (text: string) => Promise<void> } {
  const child = spawn(process.execPath, ['bin/weir.js', ...args, '--node', name], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const waiters: Array<[string, () => void]> = [];
  const onData = (d: Buffer) => {
    out += d.toString();
    for (const [text, resolve] of waiters) if (out.includes(text)) resolve();
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  return {
    child,
    exit: new Promise((resolve) => child.on('close', resolve)),
    output: () => out,
    waitFor: (text) => new Promise((resolve) => (out.includes(text) ? resolve() : waiters.push([text, resolve]))),
  };
}

function rows(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.jsonl'))
    .flatMap((f) => readFileSync(join(dir, f), 'utf8').split('\n').filter(Boolean));
}

const expected = (() => {
  const rows: string[] = [];
  for (let w = 0; w < 90; w++) for (let k = 0; k < 7; k++) rows.push(JSON.stringify([k, w * 1000, [...Array(1000).keys()].filter((i) => (w * 1000 + i) % 7 === k).length]));
  return rows.sort();
})();

/** Runs the job on nodes a, b, c; once it runs, `disrupt` acts; the nodes that should finish must finish with the reference output. */
async function scenario(disrupt: (nodes: Array<ReturnType<typeof node>>, server: Awaited<ReturnType<typeof startNatsServer>>) => Promise<number[]>, mustRollBack = true) {
  await using server = await startNatsServer();
  const base = mkdtempSync(join(tmpdir(), 'weir-loss-'));
  try {
    const out = join(base, 'out');
    const args = ['run', JOB, '--parallelism', '3', '--nats', server.url, '--nodes', 'a,b,c', '--checkpoint-dir', join(base, 'checkpoints')];
    const nodes = ['a', 'b', 'c'].map((n) => node(n, args, { OUT: out }));
    await Promise.race(nodes.map((n) => n.waitFor('RUNNING')));
    const survivors = await disrupt(nodes, server);
    const codes = await Promise.all(nodes.map((n) => n.exit));
    for (const i of survivors) assert.is(codes[i], 0, nodes[i]!.output());
    if (mustRollBack) assert.match(nodes[survivors[0]!]!.output(), /restarts job 'checkpointed-counts' \(attempt 1\) from checkpoint/, 'the job rolled back to a checkpoint');
    const got = rows(out).sort();
    if (JSON.stringify(got) !== JSON.stringify(expected)) {
      const missing = expected.filter((r) => !got.includes(r));
      const extra = got.filter((r, i) => got.indexOf(r) !== i || !expected.includes(r));
      if (process.env.WEIR_KEEP) cpSync(base, join(process.env.WEIR_KEEP, base.split("/").pop()!), { recursive: true });
      const logs = nodes.map((n, i) => `--- node ${'abc'[i]}\n${n.output()}`).join('\n');
      assert.unreachable(`output differs: ${missing.length} missing (${missing.slice(0, 8).join(' ')}), ${extra.length} extra (${extra.slice(0, 8).join(' ')})\n${logs}`);
    }
    assert.equal(readdirSync(out).filter((f) => f.startsWith('.')), [], 'no uncommitted files left');
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
}

test('3 nodes, a worker killed with SIGKILL mid-run: the others roll back to the last checkpoint, take over its subtasks; output exactly the reference', async () => {
  await scenario(async (nodes) => {
    nodes[1]!.child.kill('SIGKILL');
    return [0, 2];
  });
});

test('3 nodes, the coordinating node killed: the next node takes over coordination and the job completes exactly once', async () => {
  await scenario(async (nodes) => {
    nodes[0]!.child.kill('SIGKILL');
    return [1, 2];
  });
});

test('the nats-server restarted mid-run: nodes reconnect, the job rolls back over the gap and completes exactly once', async () => {
  // (When the restart lands after the nodes' work is done, nothing needs rolling back; the output must be exact either way.)
  await scenario(async (_nodes, server) => {
    await server.restart();
    return [0, 1, 2];
  }, false);
});

test.run();
