import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { mkdtempSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { NatsConnection } from '@nats-io/transport-node';
import { openClusterState, defaultTiming, runKey, snapshotBucket, readJson, listJson, checkName, type ClusterState, type ClusterTiming, type JobRecord, type RunRecord } from './cluster-state.ts';
import { registerNode, type NodeRegistration } from './node-registry.ts';
import { holdCoordinatorLease, type CoordinatorLease } from './coordinator-lease.ts';
import { coordinate } from './coordinator.ts';
import { materializeBundle } from './job-bundle.ts';
import { WeirError, causeText } from '../errors.ts';
import { checkTrustedKeys, verifyBundle } from '../security/bundle-signing.ts';
import { acceptBundleSequence, acceptedBucket } from '../security/bundle-replay.ts';
import { Kvm } from '@nats-io/kv';
import { jetstream } from '@nats-io/jetstream';

/** Options of {@link startNode}. */
export interface NodeOptions {
  nc: NatsConnection;
  /** Unique node name (letters, digits, `_`, `-`). */
  name: string;
  /** Task slots this node offers; a job of parallelism P takes P slots across the cluster. */
  slots: number;
  /** Server URLs the node's job processes connect to. */
  servers: string[];
  /** Subject prefix and bucket-name prefix (default `weir`); tenants use their own. */
  subjectPrefix?: string;
  /** A snapshot directory shared by all nodes; each job checkpoints under `<dir>/<job>` (absent: a JetStream object store bucket per job). */
  checkpointDir?: string;
  /** NATS security flags handed to job processes (`user`, `password`, `token`, `nkey`, `creds`, `tls-ca`, …). */
  auth?: Record<string, string>;
  timing?: Partial<ClusterTiming>;
  /** Public nkeys (`weir keygen`) whose signed bundles this node runs; when set, unsigned or otherwise signed bundles are refused. */
  trust?: string[];
  /** Where the node reports what it does (default: stdout). */
  log?: (line: string) => void;
}

/** A running node. */
export interface NodeAgent {
  /** The node's name in the registry. */
  readonly name: string;
  /** Leaves the cluster: stops its job processes, releases the lease, deregisters. */
  stop(): Promise<void>;
}

/** A job part this node runs: one child process. */
interface LocalRun {
  child: ChildProcess;
  terminated: boolean;
  exited: Promise<void>;
}

const jobProcess = fileURLToPath(new URL('./job-process.ts', import.meta.url));

/**
 * Starts a `weir node`: registers it with heartbeats, competes for the coordinator lease (the
 * holder places submitted jobs on free slots and settles their status), and runs this node's
 * part of every job placed on it, each in its own process (`weir run <bundle> --nats …`, which
 * connects the parts with NATS credit channels and rolls the job back to its last checkpoint
 * when a node is lost). Every node reconciles with the jobs bucket each heartbeat, so no event
 * is lost when the coordinator changes.
 * @example
 * ```ts
 * const node = await startNode({ nc, name: 'a', slots: 4, servers: ['nats://127.0.0.1:4222'] })
 * ```
 */
export async function startNode(o: NodeOptions): Promise<NodeAgent> {
  const name = checkName('node', o.name);
  if (!Number.isInteger(o.slots) || o.slots < 1) throw new WeirError('WEIR_INVALID_NODE', `slots must be a positive integer, got ${o.slots}`);
  const prefix = o.subjectPrefix ?? 'weir';
  const trust = o.trust && checkTrustedKeys(o.trust);
  const timing: ClusterTiming = { ...defaultTiming, ...o.timing };
  const log = o.log ?? ((line: string) => console.log(line));
  const state: ClusterState = await openClusterState(o.nc, prefix, timing);
  // With --trust, the newest signed bundle accepted per job: an older one is a replay.
  const accepted = trust && (await openAcceptedBundles(o.nc, prefix));
  const registration: NodeRegistration = await registerNode(state.nodes, { name, slots: o.slots }, timing.heartbeatMs);
  const workDir = mkdtempSync(join(tmpdir(), `weir-node-${name}-`));
  const runs = new Map<string, LocalRun>();
  // Submissions (job, bundle, time) this node started its part of; a resubmitted job is a new one.
  const started = new Set<string>();
  const submission = (job: JobRecord) => `${job.name}\n${job.bundle}\n${job.submittedAt}`;
  let stopping = false;

  const lease: CoordinatorLease = holdCoordinatorLease(state.lease, name, {
    renewMs: timing.heartbeatMs,
    expireMs: timing.expireMs,
    onAcquired: () => log(`weir: node ${name} is the coordinator`),
    onLost: (reason) => log(`weir: node ${name} is no longer the coordinator (${reason})`),
  });

  const startRun = async (job: JobRecord) => {
    started.add(submission(job));
    // One part per node per job, ever: a node restarted under the same name does not rejoin (the job re-placed its subtasks).
    if (await readJson<RunRecord>(state.jobs, runKey(job.name, name))) return;
    const record = (status: RunRecord['status'], reason?: string): string => JSON.stringify({ job: job.name, node: name, status, reason, updatedAt: Date.now() } satisfies RunRecord);
    await state.jobs.put(runKey(job.name, name), record('running'));
    let file: string;
    try {
      file = await materializeBundle(state.bundles, job.bundle, join(workDir, job.name), trust && accepted && ((code, meta) => acceptBundleSequence(accepted, job.bundle, verifyBundle(code, job.bundle, job.name, meta, trust))));
    } catch (error) {
      log(`weir: node ${name} does not run job '${job.name}': ${causeText(error)}`);
      await state.jobs.put(runKey(job.name, name), record('failed', causeText(error)));
      return;
    }
    const args = ['--import', import.meta.resolve('tsx'), jobProcess, 'run', file, '--parallelism', String(job.parallelism), '--nats', o.servers.join(','), '--node', name, '--nodes', job.slots!.join(','), '--subject-prefix', `${prefix}.${job.name}`];
    if (o.checkpointDir) args.push('--checkpoint-dir', join(o.checkpointDir, job.name));
    const env: Record<string, string | undefined> = { ...process.env, WEIR_NATS_AUTH: JSON.stringify(o.auth ?? {}), WEIR_CLUSTER: JSON.stringify({ prefix, job: job.name, run: job.submittedAt }) };
    if (!o.checkpointDir) env.WEIR_SNAPSHOT_BUCKET = snapshotBucket(prefix, job.name);
    const child = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'pipe'], env });
    let tail = '';
    const forward = (chunk: Buffer) => {
      const text = chunk.toString();
      tail = (tail + text).slice(-2000);
      for (const line of text.split('\n')) if (line) log(`[${job.name}] ${line}`);
    };
    child.stdout!.on('data', forward);
    child.stderr!.on('data', forward);
    log(`weir: node ${name} runs its part of job '${job.name}' (slots ${job.slots!.join(',')}, pid ${child.pid})`);
    const run: LocalRun = {
      child,
      terminated: false,
      exited: new Promise((resolve) => {
        child.on('close', (code, signal) => {
          runs.delete(job.name);
          const status: RunRecord['status'] = run.terminated ? 'cancelled' : code === 0 ? 'completed' : 'failed';
          log(`weir: node ${name}: its part of job '${job.name}' ${status}${code !== 0 ? ` (exit ${code ?? signal})` : ''}`);
          const reason = status === 'failed' ? lastError(tail) : undefined;
          state.jobs.put(runKey(job.name, name), record(status, reason)).then(() => resolve(), () => resolve());
        });
      }),
    };
    runs.set(job.name, run);
  };

  /** This node's share of the work: start parts placed here, stop parts of jobs being cancelled. */
  const work = async (jobs: JobRecord[]) => {
    for (const job of jobs) {
      const local = runs.get(job.name);
      if (job.status === 'running' && job.slots?.includes(name) && !local && !started.has(submission(job))) await startRun(job);
      if ((job.status === 'cancelling' || job.status === 'cancelled') && local && !local.terminated) {
        local.terminated = true;
        local.child.kill('SIGTERM');
      }
    }
  };

  let busy = false;
  let stopped: Promise<void> | undefined;
  const reconcile = async () => {
    if (busy || stopping) return;
    busy = true;
    try {
      const jobs = await listJson<JobRecord>(state.jobs, 'job.*');
      if (lease.isHolder()) await coordinate(state, jobs, log);
      await work(jobs);
    } catch (error) {
      // Disconnected or a server restart: the next round tries again.
      if (!stopping) log(`weir: node ${name}: reconcile failed: ${causeText(error)}`);
    } finally {
      busy = false;
    }
  };
  const timer = setInterval(() => void reconcile(), timing.heartbeatMs);
  void reconcile();
  log(`weir: node ${name} joined with ${o.slots} slots (subject prefix ${prefix})`);

  return {
    name,
    // Every call returns the same promise (a second SIGTERM used to return at once, before the job processes exited);
    // each step runs even when one before it failed, the first failure reported after.
    stop: () =>
      (stopped ??= (async () => {
        stopping = true;
        clearInterval(timer);
        for (const run of runs.values()) {
          run.terminated = true;
          run.child.kill('SIGTERM');
        }
        await Promise.all([...runs.values()].map((r) => r.exited));
        const results = await Promise.allSettled([lease.stop(), registration.stop()]);
        rmSync(workDir, { recursive: true, force: true });
        const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
        if (failed) throw failed.reason;
      })()),
  };
}

/** Opens (creating when missing) the bucket of accepted bundle sequences, with the cluster's error when it cannot. */
async function openAcceptedBundles(nc: NatsConnection, prefix: string) {
  try {
    return await new Kvm(jetstream(nc)).create(acceptedBucket(prefix), { history: 1 });
  } catch (error) {
    throw new WeirError('WEIR_CLUSTER_STATE', `cannot open the cluster's JetStream buckets (${acceptedBucket(prefix)}, where --trust nodes track signed bundles): ${causeText(error)}`, {}, { cause: error });
  }
}

/** The most telling line of a failed job process's output. */
function lastError(tail: string): string {
  const lines = tail.split('\n').filter((l) => l.trim());
  return (lines.reverse().find((l) => /error|failed|cannot/i.test(l)) ?? lines[0] ?? 'exited without output').trim().slice(0, 500);
}
