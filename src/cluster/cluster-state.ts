import type { NatsConnection } from '@nats-io/transport-node';
import { jetstream } from '@nats-io/jetstream';
import { Bucket, Kvm, type KV } from '@nats-io/kv';
import { Objm, type ObjectStore } from '@nats-io/obj';
import { WeirError, causeText } from '../errors.ts';

/** A node in the registry: refreshed every heartbeat; the bucket's TTL removes it when it stops. */
export interface NodeRecord {
  name: string;
  slots: number;
  pid: number;
  host: string;
  startedAt: number;
  heartbeatAt: number;
}

/** Where a job is in its life. */
export type JobStatus = 'submitted' | 'running' | 'completed' | 'failed' | 'cancelling' | 'cancelled';

/** A submitted job, kept under `job.<name>` in the jobs bucket. */
export interface JobRecord {
  name: string;
  /** Object store entry holding the bundled job. */
  bundle: string;
  parallelism: number;
  status: JobStatus;
  /** One node per slot once placed (slot i runs subtask i of every operator). */
  slots?: string[];
  /** Nodes of `slots` lost while it ran (their subtasks were re-placed on the others). */
  lost?: string[];
  /** Why it failed, or why it waits (not enough slots). */
  reason?: string;
  submittedAt: number;
  updatedAt: number;
}

/** One node's part of a job, kept under `run.<job>.<node>`. */
export interface RunRecord {
  job: string;
  node: string;
  status: 'running' | 'completed' | 'failed' | 'cancelled';
  reason?: string;
  updatedAt: number;
}

/** The JetStream state a cluster shares: node registry, coordinator lease, jobs, job bundles. */
export interface ClusterState {
  nodes: KV;
  lease: KV;
  jobs: KV;
  bundles: ObjectStore;
}

/** Timing of the registry and the lease. */
export interface ClusterTiming {
  /** A node refreshes its registry entry this often (default 500 ms). */
  heartbeatMs: number;
  /** A node (or lease) not refreshed for this long is gone (default 3000 ms). */
  expireMs: number;
}

/** Default timing: a node lost is noticed within about three seconds. */
export const defaultTiming: ClusterTiming = { heartbeatMs: 500, expireMs: 3000 };

/** Bucket names derived from the subject prefix, so tenants with their own prefix keep their own cluster. */
export function bucketName(prefix: string, what: 'nodes' | 'lease' | 'jobs' | 'bundles' | 'attempts'): string {
  return `${prefix.replace(/[^A-Za-z0-9_-]/g, '_')}_${what}`;
}

/**
 * Opens (creating when missing) the cluster's buckets. The nodes and lease buckets expire
 * entries after `expireMs`, which is how a node that stopped heartbeating, or a coordinator that
 * stopped renewing its lease, disappears without anyone deleting it.
 */
export async function openClusterState(nc: NatsConnection, prefix: string, timing: ClusterTiming = defaultTiming): Promise<ClusterState> {
  try {
    const js = jetstream(nc);
    const kvm = new Kvm(js);
    const [nodes, lease, jobs, bundles] = await Promise.all([
      kvm.create(bucketName(prefix, 'nodes'), { ttl: timing.expireMs, history: 1 }),
      kvm.create(bucketName(prefix, 'lease'), { ttl: timing.expireMs, history: 1 }),
      kvm.create(bucketName(prefix, 'jobs'), { history: 1 }),
      new Objm(js).create(bucketName(prefix, 'bundles')),
    ]);
    return { nodes, lease, jobs, bundles };
  } catch (error) {
    throw new WeirError('WEIR_CLUSTER_STATE', `cannot open the cluster's JetStream buckets (is JetStream enabled on the server, nats-server -js?): ${causeText(error)}`, {}, { cause: error });
  }
}

/** Object store bucket holding a job's checkpoints when nodes share no snapshot directory. */
export function snapshotBucket(prefix: string, job: string): string {
  return `${prefix.replace(/[^A-Za-z0-9_-]/g, '_')}_chk_${job}`;
}

/** Key of a job's record. */
export const jobKey = (name: string) => `job.${name}`;
/** Key of a node's part of a job. */
export const runKey = (job: string, node: string) => `run.${job}.${node}`;

/** Names may become KV keys and subject tokens: letters, digits, `_` and `-` only. */
export function checkName(kind: string, name: string): string {
  if (!/^[A-Za-z0-9_-]+$/.test(name)) throw new WeirError('WEIR_INVALID_NAME', `${kind} name '${name}' may contain only letters, digits, '_' and '-'`);
  return name;
}

/** Reads a JSON entry, or undefined when the key is missing or deleted. */
export async function readJson<T>(kv: KV, key: string): Promise<{ value: T; revision: number } | undefined> {
  const e = await kv.get(key);
  if (!e || e.operation !== 'PUT' || e.length === 0) return undefined;
  return { value: e.json<T>(), revision: e.revision };
}

/**
 * The keys under a filter, read from the bucket stream's subject list. `kv.keys()` walks an
 * ordered consumer and may end early while heartbeats rewrite entries (a live node went missing
 * from listings on a busy machine); the stream's subject list is one consistent answer.
 */
export async function listKeys(kv: KV, filter: string): Promise<string[]> {
  if (!(kv instanceof Bucket)) {
    const names: string[] = [];
    for await (const k of await kv.keys(filter)) names.push(k);
    return names;
  }
  const prefix = `${kv.prefix}.`;
  const info = await kv.jsm.streams.info(kv.stream, { subjects_filter: prefix + filter });
  return Object.keys(info.state.subjects ?? {})
    .filter((s) => s.startsWith(prefix))
    .map((s) => s.slice(prefix.length));
}

/** Every live value under a key filter (e.g. `job.*`). */
export async function listJson<T>(kv: KV, filter: string): Promise<T[]> {
  const out: T[] = [];
  const names = await listKeys(kv, filter);
  for (const k of names) {
    const e = await readJson<T>(kv, k);
    if (e) out.push(e.value);
  }
  return out;
}

/**
 * Changes a JSON entry with compare-and-set: `change` sees the current value and returns the new
 * one (or undefined to leave it); a concurrent writer makes the update fail, and it is retried
 * on the fresh value. Returns the value written, or undefined.
 */
export async function updateJson<T>(kv: KV, key: string, change: (current: T) => T | undefined, attempts = 10): Promise<T | undefined> {
  for (let i = 0; i < attempts; i++) {
    const cur = await readJson<T>(kv, key);
    if (!cur) return undefined;
    const next = change(cur.value);
    if (next === undefined) return undefined;
    try {
      await kv.update(key, JSON.stringify(next), cur.revision);
      return next;
    } catch {
      // Someone else wrote in between: read again and re-decide.
    }
  }
  throw new WeirError('WEIR_CLUSTER_STATE', `could not update '${key}' after ${attempts} attempts (too many concurrent writers)`);
}
