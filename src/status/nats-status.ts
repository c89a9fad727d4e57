import type { NatsConnection } from '@nats-io/transport-node';
import type { LiveJobStatus } from './job-status.ts';

/** How long a node's status counts without a newer one (a node that died stops counting). */
const STALE_MS = 10_000;
const LOG = 50;
/** Jobs a follower remembers at most: beyond, the one reported least recently is forgotten. */
const MAX_JOBS = 64;

const token = (s: string) => s.replace(/[^A-Za-z0-9_-]/g, '_');

/**
 * The subject a node publishes a job's status on: `<prefix>.status.<job>.<node>`. A node's job
 * process runs with prefix `<cluster prefix>.<job>`, so subscribers also listen on
 * `<prefix>.*.status.>` (see {@link followStatus}).
 */
export function statusSubject(prefix: string, job: string, node: string): string {
  return `${prefix}.status.${token(job)}.${token(node)}`;
}

/**
 * Publishes statuses of this node's share of its jobs (JSON; at most one message per job per
 * interval). Returns the function to give to a job watcher's `onStatus`.
 * @example
 * ```ts
 * watchJobs({ jobs: activeJobs, intervalMs: 1000, onStatus: statusPublisher(nc, 'weir', 'node-a') })
 * ```
 */
export function statusPublisher(nc: NatsConnection, prefix: string, node: string): (statuses: LiveJobStatus[]) => void {
  return (statuses) => {
    for (const s of statuses) {
      if (nc.isClosed()) return;
      nc.publish(statusSubject(prefix, s.job, node), JSON.stringify({ ...s, nodes: [node] }));
    }
  };
}

/**
 * Follows the statuses nodes publish under `prefix` and merges each job's parts (one per node)
 * into one {@link LiveJobStatus}: counters and rates summed, actors listed with their node,
 * histories and logs combined. `onStatus` gets every known job after each message.
 * @example
 * ```ts
 * const stop = followStatus(nc, 'weir', (jobs) => render(jobs))
 * ```
 */
export function followStatus(nc: NatsConnection, prefix: string, onStatus: (jobs: LiveJobStatus[]) => void, now: () => number = Date.now): () => void {
  const parts = new Map<string, Map<string, { status: LiveJobStatus; seen: number }>>();
  const subs = [nc.subscribe(`${prefix}.status.>`), nc.subscribe(`${prefix}.*.status.>`)];
  const merged = (): LiveJobStatus[] => {
    const at = now();
    const out: LiveJobStatus[] = [];
    for (const [job, byNode] of parts) {
      for (const [node, p] of byNode) if (p.status.state === 'running' && at - p.seen > STALE_MS) byNode.delete(node);
      if (byNode.size === 0) parts.delete(job);
      else out.push(mergeStatuses([...byNode].map(([node, p]) => ({ ...p.status, actors: p.status.actors.map((a) => ({ ...a, node })) }))));
    }
    return out;
  };
  for (const sub of subs) {
    void (async () => {
      for await (const m of sub) {
        let s: LiveJobStatus & { nodes?: string[] };
        try {
          s = JSON.parse(m.string()) as LiveJobStatus;
        } catch {
          continue; // not a status (a data subject of a job named "status")
        }
        if (typeof s?.job !== 'string' || !Array.isArray(s.actors)) continue;
        const node = s.nodes?.[0] ?? m.subject;
        if (!parts.has(s.job)) parts.set(s.job, new Map());
        parts.get(s.job)!.set(node, { status: s, seen: now() });
        if (parts.size > MAX_JOBS) {
          const lastSeen = (job: string) => Math.max(...[...parts.get(job)!.values()].map((p) => p.seen));
          parts.delete([...parts.keys()].reduce((a, b) => (lastSeen(b) < lastSeen(a) ? b : a)));
        }
        onStatus(merged());
      }
    })();
  }
  return () => {
    for (const sub of subs) sub.unsubscribe();
  };
}

/** One job's status from the statuses of its parts on several nodes. */
export function mergeStatuses(parts: LiveJobStatus[]): LiveJobStatus {
  if (parts.length === 1) return parts[0]!;
  const sum = (f: (s: LiveJobStatus) => number) => parts.reduce((n, s) => n + f(s), 0);
  const lags = parts.map((s) => s.watermarkLagMs).filter((l): l is number => l !== null);
  const longest = parts.reduce((a, b) => (b.history.t.length > a.history.t.length ? b : a));
  const n = longest.history.t.length;
  // Histories sampled at the same interval: align them at their newest sample and add.
  const add = (key: 'inPerSec' | 'outPerSec') => longest.history.t.map((_, i) => parts.reduce((acc, s) => acc + (s.history[key][s.history[key].length - n + i] ?? 0), 0));
  const newest = <T extends { at: number }>(f: (s: LiveJobStatus) => T[]) => parts.flatMap(f).sort((a, b) => a.at - b.at).slice(-LOG);
  const checkpoints = parts.reduce((a, b) => (b.checkpoints.length > a.checkpoints.length ? b : a)).checkpoints;
  const states = parts.map((s) => s.state);
  return {
    ...longest,
    state: states.includes('failed') ? 'failed' : states.includes('running') ? 'running' : states.includes('cancelled') ? 'cancelled' : 'completed',
    error: parts.find((s) => s.error)?.error,
    startedAt: Math.min(...parts.map((s) => s.startedAt)),
    at: Math.max(...parts.map((s) => s.at)),
    recordsIn: sum((s) => s.recordsIn),
    recordsOut: sum((s) => s.recordsOut),
    inPerSec: sum((s) => s.inPerSec),
    outPerSec: sum((s) => s.outPerSec),
    watermarkLagMs: lags.length ? Math.max(...lags) : null,
    checkpoints,
    lastCheckpoint: checkpoints.filter((c) => c.status === 'completed').at(-1),
    checkpointFailures: Math.max(...parts.map((s) => s.checkpointFailures)),
    restarts: sum((s) => s.restarts),
    restartLog: newest((s) => s.restartLog),
    deadLetters: sum((s) => s.deadLetters),
    deadLetterLog: newest((s) => s.deadLetterLog),
    actors: parts.flatMap((s) => s.actors).sort((a, b) => a.operator.localeCompare(b.operator) || a.subtask - b.subtask),
    edgeRates: longest.edgeRates.map((_, e) => sum((s) => s.edgeRates[e] ?? 0)),
    history: { t: longest.history.t, inPerSec: add('inPerSec'), outPerSec: add('outPerSec'), lagMs: longest.history.lagMs },
    traces: parts.flatMap((s) => s.traces).slice(0, 16),
    nodes: parts.flatMap((s) => s.nodes ?? []),
  };
}
