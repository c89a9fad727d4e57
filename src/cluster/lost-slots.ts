import type { NatsConnection } from '@nats-io/transport-node';
import { jetstream } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { bucketName, jobKey, listJson, updateJson, type JobRecord } from './cluster-state.ts';
import { liveNodes } from './node-registry.ts';
import { replaceLost, usedSlots } from './placement.ts';
import { WeirError } from '../errors.ts';

/**
 * For a job part started by a `weir node`: re-places the slots of lost nodes with
 * {@link replaceLost}, counting the free slots of the live nodes (the registry) less the slots of
 * the cluster's other running jobs (the jobs bucket), and writes the new slots (and the lost nodes)
 * to the job's record, so the cluster coordinator counts them as used when it places later jobs.
 * A job placed by the coordinator between the read and the write may still take a slot counted
 * free here: the two then share it (overcommitted), which slows them and fails neither.
 * Overcommitted slots are logged as a warning.
 * @example
 * ```ts
 * const replace = lostSlotReplacer(nc, 'weir', 'clicks', console.error); await replace(['a', 'b', 'c'], ['b']) // ['a', 'c', 'c'] when c has more free slots
 * ```
 */
export function lostSlotReplacer(nc: NatsConnection, prefix: string, job: string, log: (line: string) => void): (slots: string[], lost: string[]) => Promise<string[]> {
  return async (slots, lost) => {
    const kvm = new Kvm(jetstream(nc));
    const [nodesKv, jobsKv] = await Promise.all([kvm.open(bucketName(prefix, 'nodes')), kvm.open(bucketName(prefix, 'jobs'))]);
    const nodes = await liveNodes(nodesKv);
    const alive = new Set(nodes.map((n) => n.name));
    const others = (await listJson<JobRecord>(jobsKv, 'job.*')).filter((j) => j.name !== job && (j.status === 'running' || j.status === 'cancelling'));
    const placed = replaceLost(slots, lost, nodes, usedSlots(others.map((j) => (j.slots ?? []).filter((n) => alive.has(n)))));
    if (!placed.ok) throw new WeirError('WEIR_NO_SURVIVORS', placed.reason, { job });
    if (placed.overcommitted.length > 0) {
      const per = [...usedSlots([placed.overcommitted])].map(([n, k]) => `${n} +${k}`).join(', ');
      log(`weir: job '${job}' lost ${lost.join(', ')}; too few free slots on the survivors, overcommitted: ${per} (the job goes on, slower; free slots or resubmit it)`);
    }
    await updateJson<JobRecord>(jobsKv, jobKey(job), (cur) =>
      cur.status === 'running' || cur.status === 'cancelling' ? { ...cur, slots: placed.slots, lost: [...new Set([...(cur.lost ?? []), ...lost])], updatedAt: Date.now() } : undefined,
    );
    return placed.slots;
  };
}
