import { jobKey, listJson, updateJson, type ClusterState, type JobRecord, type RunRecord } from './cluster-state.ts';
import { liveNodes } from './node-registry.ts';
import { placeSlots, usedSlots } from './placement.ts';

/**
 * One round of the cluster coordinator (run by the lease holder every heartbeat): places
 * submitted jobs on free slots of live nodes (oldest first), and settles jobs whose parts all
 * ended — completed when any part completed (a job part finishes only once the whole job did),
 * failed or cancelled when every part stopped otherwise or its node is gone. Stateless: it
 * reads everything from the buckets, so a new lease holder simply carries on. Every write is a
 * compare-and-set, so a coordinator that lost its lease mid-round cannot overwrite newer news.
 */
export async function coordinate(state: ClusterState, jobs: JobRecord[], log: (line: string) => void): Promise<void> {
  const nodes = await liveNodes(state.nodes);
  const alive = new Set(nodes.map((n) => n.name));
  const runs = await listJson<RunRecord>(state.jobs, 'run.>');
  const active = (j: JobRecord) => j.status === 'running' || j.status === 'cancelling';
  const used = usedSlots(jobs.filter(active).map((j) => (j.slots ?? []).filter((n) => alive.has(n))));

  for (const job of [...jobs].sort((a, b) => a.submittedAt - b.submittedAt)) {
    if (job.status === 'submitted') {
      const placed = placeSlots(nodes, used, job.parallelism);
      if (placed.ok) {
        const written = await updateJson<JobRecord>(state.jobs, jobKey(job.name), (cur) => (cur.status === 'submitted' ? { ...cur, status: 'running', slots: placed.slots, reason: undefined, updatedAt: Date.now() } : undefined));
        if (written) {
          for (const [n, k] of usedSlots([placed.slots])) used.set(n, (used.get(n) ?? 0) + k);
          log(`weir: placed job '${job.name}' (parallelism ${job.parallelism}) on slots ${placed.slots.join(',')}`);
        }
      } else if (job.reason !== placed.reason) {
        const written = await updateJson<JobRecord>(state.jobs, jobKey(job.name), (cur) => (cur.status === 'submitted' ? { ...cur, reason: placed.reason, updatedAt: Date.now() } : undefined));
        if (written) log(`weir: job '${job.name}' waits: ${placed.reason}`);
      }
      continue;
    }
    if (!active(job)) continue;
    const parts = new Map(runs.filter((r) => r.job === job.name).map((r) => [r.node, r]));
    const members = [...new Set(job.slots ?? [])];
    let next: JobRecord['status'] | undefined;
    let reason: string | undefined;
    if ([...parts.values()].some((r) => r.status === 'completed')) next = 'completed';
    else if (members.every((n) => (parts.has(n) && parts.get(n)!.status !== 'running') || !alive.has(n))) {
      next = job.status === 'cancelling' ? 'cancelled' : 'failed';
      const reasons = members.map((n) => (parts.get(n)?.reason ? `${n}: ${parts.get(n)!.reason}` : alive.has(n) ? undefined : `${n}: node lost`)).filter(Boolean);
      reason = next === 'failed' ? reasons.join('; ') || 'every part of the job stopped' : undefined;
    }
    if (!next) {
      // Nodes lost while the job runs (it rolled back and re-placed their subtasks on the others): shown by weir jobs.
      // The job's own restart moves lost slots to survivors and records the lost nodes; until then they are still in its slots.
      const lost = [...new Set([...(job.lost ?? []), ...members.filter((n) => !alive.has(n))])];
      if (lost.join() !== (job.lost ?? []).join()) await updateJson<JobRecord>(state.jobs, jobKey(job.name), (cur) => (active(cur) ? { ...cur, lost, updatedAt: Date.now() } : undefined));
      continue;
    }
    const written = await updateJson<JobRecord>(state.jobs, jobKey(job.name), (cur) => (active(cur) ? { ...cur, status: next!, reason, updatedAt: Date.now() } : undefined));
    if (written) {
      log(`weir: job '${job.name}' ${next}${reason ? `: ${reason}` : ''}`);
      // Every node that runs a part has its own copy of the bundle by now.
      await state.bundles.delete(job.bundle).catch(() => {});
    }
  }
}
