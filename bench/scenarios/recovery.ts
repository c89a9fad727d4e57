import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { startNatsServer } from '../../test/support/nats-server.ts';
import type { Scenario, SystemRun } from '../scenario.ts';
import { ResultDigest } from '../result-digest.ts';
import { wallNow } from '../nats/stamped-trade.ts';
import { startProcess } from '../latency/processes.ts';
import { hashKeyedTotal, referenceDigest } from '../recovery/recovery-pipeline.ts';
import { recordsFor, runActorFailures } from '../recovery/actor-failure.ts';
import { medianFigures, printRecoveryTable } from '../latency/summary.ts';

const round1 = (x: number) => Math.round(x * 10) / 10;
const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;

/** Tier 1, embedded: `events` is the number of injected actor failures; p50/max from failure to its record's output. */
const actorFailure: SystemRun = async (failures) => {
  const run = await runActorFailures(failures);
  const expected = referenceDigest(recordsFor(failures));
  if (run.digest !== expected) throw new Error(`actor-failure: output ${run.digest} differs from the reference ${expected} (lost or duplicated records)`);
  const sorted = [...run.recoveryMs].sort((a, b) => a - b);
  return { handled: run.count, digest: run.digest, events: failures, extra: { failures, recoveryP50Ms: round1(percentile(sorted, 50)), recoveryMaxMs: round1(sorted.at(-1)!), load1: round1(os.loadavg()[0]!) } };
};

/** Records and rate of the node-loss job: 8 s of input, a node killed about 1.5 s in. */
const LOSS_RECORDS = 80_000;
const LOSS_RATE = 10_000;

/**
 * Tier 2, two `weir run --nats` processes with a shared checkpoint directory: node b is killed
 * with SIGKILL once records flow; node a notices (no heartbeat for the fail-after time), rolls
 * the job back to the last completed checkpoint and runs b's subtasks too. Measured from the kill:
 * when a logged the rollback (`detectMs`) and when outputs passed again after it (`resumeMs`). The
 * committed JSONL output must equal the reference (exactly once).
 */
function nodeLoss(failAfterMs?: number): SystemRun {
  return async () => {
    await using server = await startNatsServer();
    const base = mkdtempSync(join(os.tmpdir(), 'weir-bench-loss-'));
    try {
      const out = join(base, 'out');
      const args = (id: string) => ['bin/weir.js', 'run', 'bench/recovery/node-loss-job.ts', '--status', 'off', '--nats', server.url, '--node', id, '--nodes', 'a,b', '--checkpoint-dir', join(base, 'checkpoints'), ...(failAfterMs ? ['--fail-after', String(failAfterMs)] : [])];
      const env = { COUNT: String(LOSS_RECORDS), RATE: String(LOSS_RATE), OUT: out };
      const a = startProcess(args('a'), env);
      const b = startProcess(args('b'), env, { expectExit: 'any' });
      await Promise.race([a.waitFor(/^RUNNING$/), b.waitFor(/^RUNNING$/)]);
      // Past the first checkpoints (every 100 ms), so the rollback has one to go back to.
      await new Promise((r) => setTimeout(r, 500));
      const killedAt = wallNow();
      b.child.kill('SIGKILL');
      await a.result;
      const restart = a.lines.findIndex((l) => /restarts job 'node-loss' \(attempt 1\) from checkpoint/.test(l.text));
      if (restart < 0) throw new Error(`node a did not roll back after node b was killed:\n${a.lines.slice(-30).map((l) => l.text).join('\n')}`);
      const resumed = a.lines.slice(restart).find((l) => l.text.startsWith('OUT '));
      if (!resumed) throw new Error('no output after the rollback');
      const digest = new ResultDigest();
      for (const f of readdirSync(out).filter((f) => f.endsWith('.jsonl'))) {
        for (const line of readFileSync(join(out, f), 'utf8').split('\n')) {
          if (!line) continue;
          const [id, key, count, sum] = JSON.parse(line) as number[];
          digest.add(hashKeyedTotal({ id: id!, key: key!, count: count!, sum: sum! }));
        }
      }
      const expected = referenceDigest(LOSS_RECORDS);
      if (digest.toString() !== expected) throw new Error(`node-loss: output ${digest} differs from the reference ${expected}`);
      return {
        handled: digest.count,
        digest: digest.toString(),
        events: 1,
        extra: { failAfterMs: failAfterMs ?? 5000, detectMs: Math.round(a.lines[restart]!.at - killedAt), resumeMs: Math.round(Number(resumed.text.slice(4)) - killedAt), load1: round1(os.loadavg()[0]!) },
      };
    } finally {
      rmSync(base, { recursive: true, force: true });
    }
  };
}

/**
 * recovery: how long output stops after a failure. `actor-failure` (embedded): a user function
 * throws, one actor restarts from its snapshot and replays (events = failures injected);
 * `node-loss`: one of two node processes is SIGKILLed and the survivor rolls back and takes over
 * (default detection, 5 s without heartbeats); `node-loss-1s`: the same with `--fail-after 1000`.
 * Every system checks its output against the plain-loop reference: exactly once after recovery.
 */
export const recovery: Scenario = {
  name: 'recovery',
  events: 20,
  quickEvents: 8,
  note: 'recoveryP50Ms/recoveryMaxMs (actor failure → its output), resumeMs (SIGKILL → output again) and detectMs; eventsPerSec is meaningless here',
  systems: { 'actor-failure': actorFailure, 'node-loss': nodeLoss(), 'node-loss-1s': nodeLoss(1000) },
  coldSystems: ['actor-failure', 'node-loss', 'node-loss-1s'],
  resultGroups: [['actor-failure'], ['node-loss', 'node-loss-1s']],
  summarize: (runs) => {
    const summary = medianFigures(runs, /^(recoveryP50Ms|recoveryMaxMs|detectMs|resumeMs|failAfterMs|load1)$/);
    printRecoveryTable(summary, Math.max(...[...runs.values()].map((r) => r.length)));
    return summary;
  },
};
