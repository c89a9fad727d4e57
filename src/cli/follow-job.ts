import type { NatsConnection } from '@nats-io/transport-node';
import { followStatus } from '../status/nats-status.ts';
import type { LiveJobStatus } from '../status/job-status.ts';
import { createStatusView, type StatusMode } from './status-view.ts';

/**
 * `weir submit --follow`: shows the live status of a cluster job (merged from the statuses its
 * nodes publish under `prefix`) until `ended` settles, then the last status once more.
 */
export async function followJob<T>(nc: NatsConnection, prefix: string, job: string, mode: StatusMode, intervalMs: number, ended: Promise<T>): Promise<T> {
  const view = createStatusView(mode);
  let latest: LiveJobStatus[] = [];
  const stop = followStatus(nc, prefix, (jobs) => (latest = jobs.filter((j) => j.job === job)));
  // Statuses arrive once per node and interval; the view shows the merge at its own pace.
  const timer = setInterval(() => latest.length && view.update(latest), intervalMs);
  try {
    return await ended;
  } finally {
    clearInterval(timer);
    // The nodes' final statuses follow their job's end closely: give them a moment to land.
    await nc.flush();
    await new Promise((r) => setTimeout(r, Math.min(intervalMs, 500)));
    stop();
    view.end(latest);
  }
}
