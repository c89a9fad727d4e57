import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startNatsServer, type NatsServerHandle } from '../../support/nats-server.ts';
import { weir, type CliProcess } from '../../cluster/cli-process.ts';
import { FAULTS_ENV, type Injected } from '../fault-injector.ts';
import { compareMultisets } from '../multiset.ts';
import { nodesOf, type Fault, type TrialPlan } from '../schedule.ts';
import { recoveryTimes, type Timeline, type TrialResult } from '../trial.ts';

const FIXTURE = 'test/chaos/fixtures/pipeline.job.ts';
const NAMES = ['a', 'b', 'c'];
/** A hang guard, not a timing assertion: a job that has not ended by then never will (its nodes are killed). */
const HANG_MS = Number(process.env.WEIR_CHAOS_HANG_MS ?? 240_000);

/** Where a distributed scenario's job reads and writes, what it must produce, and how to read what it did. */
export interface DistributedSetup {
  env: Record<string, string>;
  reference: string[];
  read(): Promise<string[]>;
  /** Checks beyond the rows (nothing left staged or pending); returns a complaint or undefined. */
  leftovers?(): Promise<string | undefined>;
  cleanup(): Promise<void>;
}

/** A distributed scenario: prepares its input and output around a fresh nats-server. */
export type DistributedScenario = (ctx: { nats: NatsServerHandle; dir: string; seed: number }) => Promise<DistributedSetup>;

/**
 * Runs a distributed scenario: a fresh nats-server, two or three `weir run --nats` node processes
 * sharing a checkpoint directory, in-job faults passed to each node in its environment, and the
 * harness's faults (SIGKILL, SIGSTOP/SIGCONT past the heartbeat timeout, a nats-server restart)
 * struck once the nodes report enough completed checkpoints. The nodes that were not struck must
 * finish the job (exit 0) with output equal to the reference as multisets.
 */
export async function runDistributed(plan: TrialPlan, scenario: DistributedScenario): Promise<TrialResult> {
  const started = Date.now();
  const nats = await startNatsServer();
  const dir = mkdtempSync(join(tmpdir(), 'weir-chaos-'));
  const timeline: Timeline = { faults: [], restarts: [], checkpoints: [], end: 0 };
  const injected: Injected[] = [];
  const struck = new Set<number>();
  let setup: DistributedSetup | undefined;
  let nodes: CliProcess[] = [];
  const timers: NodeJS.Timeout[] = [];
  let error: string | undefined;
  const logs = () => nodes.map((n, i) => `--- node ${NAMES[i]} (exit ${n.child.exitCode ?? n.child.signalCode})\n${n.output().slice(-(Number(process.env.WEIR_CHAOS_LOG_CHARS ?? 6000)))}`).join('\n');
  try {
    setup = await scenario({ nats, dir, seed: plan.seed });
    const count = nodesOf(plan.scenario);
    const names = NAMES.slice(0, count);
    const harnessFaults = plan.faults.filter((f) => f.kind === 'sigkill-node' || f.kind === 'pause-node' || f.kind === 'restart-nats');
    const strike = async (f: Fault) => {
      const at = Date.now();
      if (f.kind === 'sigkill-node') nodes[f.node]!.child.kill('SIGKILL');
      if (f.kind === 'pause-node') {
        nodes[f.node]!.child.kill('SIGSTOP');
        timers.push(setTimeout(() => nodes[f.node]!.child.kill('SIGCONT'), f.pauseMs));
      }
      if ('node' in f) struck.add(f.node);
      injected.push({ fault: f, at });
      timeline.faults.push(at);
      if (f.kind === 'restart-nats') await nats.restart();
    };
    let checkpoints = 0;
    let striking = Promise.resolve();
    const onLine = (i: number, line: string) => {
      if (line.startsWith('CHAOS ')) {
        const m = JSON.parse(line.slice(6)) as { t: string; fault?: Fault; at: number };
        if (m.t === 'fault') {
          injected.push({ fault: m.fault!, at: m.at });
          // A slow or stalled sink needs no recovery.
          if (m.fault!.kind === 'throw' || m.fault!.kind === 'kill-self') timeline.faults.push(m.at);
          if (m.fault!.kind === 'kill-self') struck.add(i);
        }
        if (m.t === 'checkpoint') {
          timeline.checkpoints.push(Date.now());
          checkpoints++;
          for (const f of harnessFaults.splice(0)) {
            if ('afterCheckpoints' in f && checkpoints >= f.afterCheckpoints) striking = striking.then(() => strike(f));
            else harnessFaults.push(f);
          }
        }
      } else if (/restarts job '.*' \(attempt \d+\) from checkpoint/.test(line)) timeline.restarts.push(Date.now());
    };
    nodes = names.map((name, i) => {
      const p = weir(['run', FIXTURE, '--parallelism', String(count), '--nats', nats.url, '--node', name, '--nodes', names.join(','), '--checkpoint-dir', join(dir, 'checkpoints')], {
        ...setup!.env,
        CHAOS_NATS: nats.url,
        CHAOS_NODE: String(i),
        CHAOS_SEED: String(plan.seed),
        [FAULTS_ENV]: JSON.stringify(plan.faults),
      });
      for (const stream of [p.child.stdout!, p.child.stderr!]) {
        let partial = '';
        stream.on('data', (d: Buffer) => {
          const lines = (partial + d.toString()).split('\n');
          partial = lines.pop()!;
          for (const line of lines) onLine(i, line);
        });
      }
      return p;
    });
    let hung = false;
    const guard = setTimeout(() => {
      hung = true;
      for (const n of nodes) n.child.kill('SIGKILL');
    }, HANG_MS);
    const codes = await Promise.all(nodes.map((n) => n.exit));
    clearTimeout(guard);
    await striking;
    timeline.end = Date.now();
    const survivors = codes.map((c, i) => [c, i] as const).filter(([, i]) => !struck.has(i));
    if (hung) error = `the job did not end within ${HANG_MS / 1000} s: its nodes were killed`;
    else if (survivors.some(([c]) => c !== 0)) error = `a node that was not struck exited with ${survivors.map(([c, i]) => `${NAMES[i]}=${c}`).join(' ')}`;
    const got = await setup.read();
    const difference = compareMultisets(got, setup.reference);
    if (!error) error = await setup.leftovers?.();
    if (error) error += `\n${logs()}`;
    return { plan, injected, difference, rows: setup.reference.length, recoveryMs: recoveryTimes(timeline), wallMs: Date.now() - started, error, logs: difference.lost + difference.duplicated + difference.unexpected > 0 ? logs() : undefined };
  } catch (e) {
    return { plan, injected, difference: compareMultisets([], []), rows: 0, recoveryMs: [], wallMs: Date.now() - started, error: `the trial broke: ${(e as Error).stack}\n${logs()}` };
  } finally {
    for (const t of timers) clearTimeout(t);
    for (const n of nodes) {
      n.child.kill('SIGCONT');
      n.child.kill('SIGKILL');
    }
    await setup?.cleanup().catch(() => {});
    await nats[Symbol.asyncDispose]();
    rmSync(dir, { recursive: true, force: true });
  }
}
