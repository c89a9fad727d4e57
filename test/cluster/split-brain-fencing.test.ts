// Chaos seed 52 (issue 23): a node paused past the heartbeat timeout while the nats-server restarted never received
// the `prepare` that left it out; on resume it judged the other node lost from its stale heartbeats and restarted the
// job alone from the other's newest checkpoint, and both sides committed the same windows. With attempt fencing the
// resumed node re-reads the attempt record (NATS KV), sees a newer attempt without it, and leaves; nothing is written twice.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startNatsServer } from '../support/nats-server.ts';
import { weir, printedLines } from './cli-process.ts';
import { GENERATED, readings, windowRows } from '../chaos/fixtures/inputs.ts';
import { compareMultisets } from '../chaos/multiset.ts';

const FIXTURE = 'test/chaos/fixtures/pipeline.job.ts';
const SEED = 52;


test('a node paused past the heartbeat timeout across a nats-server restart leaves instead of running the job alone (split brain)', async () => {
  await using nats = await startNatsServer();
  const dir = mkdtempSync(join(tmpdir(), 'weir-fencing-'));
  const out = join(dir, 'out');
  const start = (name: string, i: number) =>
    weir(['run', FIXTURE, '--parallelism', '2', '--nats', nats.url, '--node', name, '--nodes', 'a,b', '--checkpoint-dir', join(dir, 'checkpoints')], {
      CHAOS_SOURCE: 'generator', CHAOS_SINK: 'file', CHAOS_OUT: out, CHAOS_NATS: nats.url, CHAOS_NODE: String(i), CHAOS_SEED: String(SEED), WEIR_CHAOS_FAULTS: '[]',
    });
  const [a, b] = [start('a', 0), start('b', 1)];
  const checkpoint = /^CHAOS \{"t":"checkpoint"/;
  try {
    // a coordinates attempt 0; it is paused once checkpoints complete.
    await printedLines(a, checkpoint, 2);
    a.child.kill('SIGSTOP');
    // b judges a lost and restarts the job alone (attempt 1); then the server restarts, so core NATS messages sent meanwhile are lost.
    await b.waitFor(/restarts job 'chaos-pipeline' \(attempt 1\)/);
    await nats.restart();
    const before = b.output().split('\n').filter((l) => checkpoint.test(l)).length;
    await printedLines(b, checkpoint, before + 1);
    a.child.kill('SIGCONT');
    const [codeA, codeB] = await Promise.all([a.exit, b.exit]);
    const logs = `--- a\n${a.output().slice(-4000)}\n--- b\n${b.output().slice(-4000)}`;
    assert.is(codeB, 0, logs);
    assert.is.not(codeA, 0, `the resumed node must not complete the job a second time\n${logs}`);
    assert.match(a.output(), /left out of the restarted job|restarted it as attempt/, logs);
    const got = existsSync(out) ? readdirSync(out).filter((f) => f.endsWith('.jsonl')).flatMap((f) => readFileSync(join(out, f), 'utf8').split('\n').filter(Boolean)) : [];
    const diff = compareMultisets(got, windowRows(readings(GENERATED, SEED)));
    assert.equal({ lost: diff.lost, duplicated: diff.duplicated, unexpected: diff.unexpected }, { lost: 0, duplicated: 0, unexpected: 0 }, logs);
    const uncommitted = existsSync(out) ? readdirSync(out).filter((f) => f.startsWith('.')) : [];
    assert.equal(uncommitted, [], `uncommitted files left in the output directory\n${logs}`);
  } finally {
    for (const p of [a, b]) {
      p.child.kill('SIGCONT');
      p.child.kill('SIGKILL');
    }
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
