import { basename } from 'node:path';
import type { NatsConnection } from '@nats-io/transport-node';
import { openClusterState, jobKey, readJson, listJson, listKeys, updateJson, checkName, type ClusterState, type JobRecord, type JobStatus, type RunRecord } from './cluster-state.ts';
import { liveNodes } from './node-registry.ts';
import { leaseHolder } from './coordinator-lease.ts';
import { bundleJob, storeBundle } from './job-bundle.ts';
import type { NodeRecord } from './cluster-state.ts';
import { WeirError } from '../errors.ts';
import { signBundle } from '../security/bundle-signing.ts';

/** Statuses after which a job does nothing more. */
export const finalStatuses: readonly JobStatus[] = ['completed', 'failed', 'cancelled'];

/** Options of {@link ClusterClient.submit}. */
export interface SubmitOptions {
  /** The job file (TypeScript or JavaScript) that builds the job and calls `env.execute()`. */
  file: string;
  /** Job name in the cluster (default: the file name without extension and `.job`). */
  name?: string;
  /** Subtasks per operator; the job takes this many slots. */
  parallelism: number;
  /** Subject prefix of the cluster (default `weir`); set on {@link connectCluster} instead. */
  subjectPrefix?: string;
  /** An nkey seed (text of a `weir keygen` file) to sign the bundle with; nodes started with `trust` run only signed bundles. */
  signingSeed?: string;
  /** How long a signed bundle may be started after signing (default a week). */
  signatureValidForMs?: number;
}

/**
 * What `weir submit`, `weir jobs` and `weir cancel` do: talk to a cluster of `weir node`s
 * through its JetStream buckets. The coordinator node does the rest.
 * @example
 * ```ts
 * const cluster = await connectCluster(nc)
 * await cluster.submit({ file: 'jobs/counts.ts', parallelism: 3 })
 * ```
 */
export interface ClusterClient {
  /** Bundles the job file with esbuild, stores it, and submits the job; returns its record. */
  submit(o: Omit<SubmitOptions, 'subjectPrefix'>): Promise<JobRecord>;
  /** Every job the cluster knows, oldest first. */
  jobs(): Promise<JobRecord[]>;
  /** The parts of a job (one per node running it). */
  runs(job: string): Promise<RunRecord[]>;
  /** The live nodes, by name. */
  nodes(): Promise<NodeRecord[]>;
  /** The node holding the coordinator lease, if any. */
  coordinator(): Promise<string | undefined>;
  /** Asks the nodes to stop the job; returns its record after the request. */
  cancel(job: string): Promise<JobRecord>;
  /** Resolves with the job's record once its status is one of `statuses` (default: a final one). */
  waitFor(job: string, statuses?: readonly JobStatus[]): Promise<JobRecord>;
}

/** Opens a client of the cluster reached through `nc` (with the same subject prefix as its nodes). */
export async function connectCluster(nc: NatsConnection, subjectPrefix = 'weir'): Promise<ClusterClient> {
  const state: ClusterState = await openClusterState(nc, subjectPrefix);
  const get = async (job: string) => {
    const cur = await readJson<JobRecord>(state.jobs, jobKey(job));
    if (!cur) throw new WeirError('WEIR_UNKNOWN_JOB', `no job named '${job}' in the cluster (see 'weir jobs')`);
    return cur;
  };
  return {
    submit: async (o) => {
      const name = checkName('job', o.name ?? basename(o.file).replace(/\.(m?[jt]s)$/, '').replace(/\.job$/, ''));
      if (!Number.isInteger(o.parallelism) || o.parallelism < 1) throw new WeirError('WEIR_INVALID_JOB', `--parallelism must be a positive integer, got ${o.parallelism}`);
      const existing = await readJson<JobRecord>(state.jobs, jobKey(name));
      if (existing && !finalStatuses.includes(existing.value.status)) throw new WeirError('WEIR_JOB_EXISTS', `job '${name}' is ${existing.value.status}: cancel it first ('weir cancel ${name}') or submit under another --name`);
      const code = await bundleJob(o.file);
      const signedAt = Date.now();
      const bundleName = `${name}-${signedAt}`;
      const signature = o.signingSeed === undefined ? undefined : signBundle(code, name, o.signingSeed, { signedAt, validForMs: o.signatureValidForMs });
      const bundle = await storeBundle(state.bundles, bundleName, code, signature);
      // A new run of a finished job starts afresh: forget its old parts.
      for (const k of await listKeys(state.jobs, `run.${name}.*`)) await state.jobs.delete(k);
      const record: JobRecord = { name, bundle, parallelism: o.parallelism, status: 'submitted', submittedAt: Date.now(), updatedAt: Date.now() };
      try {
        if (existing) await state.jobs.update(jobKey(name), JSON.stringify(record), existing.revision);
        else await state.jobs.create(jobKey(name), JSON.stringify(record));
      } catch {
        throw new WeirError('WEIR_JOB_EXISTS', `job '${name}' was submitted by someone else at the same time`);
      }
      return record;
    },
    jobs: async () => (await listJson<JobRecord>(state.jobs, 'job.*')).sort((a, b) => a.submittedAt - b.submittedAt),
    runs: (job) => listJson<RunRecord>(state.jobs, `run.${job}.*`),
    nodes: () => liveNodes(state.nodes),
    coordinator: () => leaseHolder(state.lease),
    cancel: async (job) => {
      const cur = await get(job);
      if (finalStatuses.includes(cur.value.status)) return cur.value;
      const next = await updateJson<JobRecord>(state.jobs, jobKey(job), (j) => (finalStatuses.includes(j.status) || j.status === 'cancelling' ? undefined : { ...j, status: j.status === 'submitted' ? 'cancelled' : 'cancelling', updatedAt: Date.now() }));
      return next ?? (await get(job)).value;
    },
    waitFor: async (job, statuses = finalStatuses) => {
      await get(job);
      const watch = await state.jobs.watch({ key: jobKey(job) });
      try {
        for await (const e of watch) {
          if (e.operation !== 'PUT') continue;
          const j = e.json<JobRecord>();
          if (statuses.includes(j.status)) return j;
        }
      } finally {
        watch.stop();
      }
      throw new WeirError('WEIR_CONNECTION', `lost the connection while waiting for job '${job}'`);
    },
  };
}
