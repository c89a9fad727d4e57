import type { InspectionBus } from '../runtime/inspection.ts';
import type { JobHandle } from '../runtime/job.ts';
import { JobStatusTracker, type LiveJobStatus } from './job-status.ts';

/** Jobs a watcher remembers at most (finished ones are dropped oldest first). */
const MAX_JOBS = 16;

/** A running watch: the newest statuses, a sample on demand, and stop. */
export interface JobWatch {
  /** Samples every job now and hands the statuses to the listener (unless `notify` is false). */
  tick(notify?: boolean): LiveJobStatus[];
  /** The statuses of the last tick. */
  statuses(): LiveJobStatus[];
  stop(): void;
}

/**
 * Watches the jobs of this process: subscribes to their inspection buses (events as they happen)
 * and samples their counters every `intervalMs` (a timer; the data path does nothing extra), then
 * hands every job's {@link LiveJobStatus} to `onStatus`. Finished jobs are kept (at most 16) so their
 * final figures stay visible.
 * @example
 * ```ts
 * const job = env.executeAsync('counts')
 * const dashboard = await startDashboard({ port: 8081 })
 * const watch = watchJobs({ jobs: new Set([job]), intervalMs: 1000, onStatus: dashboard.update })
 * await job.done; watch.stop()
 * ```
 */
export function watchJobs(options: {
  jobs: ReadonlySet<JobHandle>;
  /** A bus the jobs emit on (the CLI sets it as every environment's default). */
  inspection?: InspectionBus;
  intervalMs: number;
  now?: () => number;
  onStatus?: (statuses: LiveJobStatus[]) => void;
}): JobWatch {
  const now = options.now ?? Date.now;
  const trackers = new Map<string, { tracker: JobStatusTracker; handle?: JobHandle }>();
  const buses = new Map<InspectionBus, () => void>();
  let last: LiveJobStatus[] = [];
  const trackerOf = (job: string) => {
    let t = trackers.get(job);
    if (!t) {
      t = { tracker: new JobStatusTracker(job, now()) };
      trackers.set(job, t);
      if (trackers.size > MAX_JOBS) {
        const finished = [...trackers].find(([, v]) => v.handle !== undefined && !options.jobs.has(v.handle));
        trackers.delete((finished ?? [...trackers][0]!)[0]);
      }
    }
    return t;
  };
  const listen = (bus: InspectionBus) => {
    if (buses.has(bus)) return;
    buses.set(bus, bus.subscribe((e) => trackerOf(e.job).tracker.onEvent(e, now())));
  };
  if (options.inspection) listen(options.inspection);
  const tick = (notify = true): LiveJobStatus[] => {
    for (const handle of options.jobs) {
      // A job with a bus of its own (its options win over the CLI's default) is followed there.
      listen(handle.system.inspection);
      const t = trackerOf(handle.name);
      if (t.handle !== handle) {
        t.handle = handle;
        const tracker = t.tracker;
        handle.done.then(
          () => tracker.finished('completed'),
          (e: unknown) => tracker.finished((e as { code?: string }).code === 'WEIR_JOB_CANCELLED' ? 'cancelled' : 'failed', e),
        );
      }
    }
    const at = now();
    last = [];
    for (const { tracker, handle } of trackers.values()) {
      const s = handle ? tracker.sample(handle.metrics(), at) : tracker.status(at);
      if (s) last.push(s);
    }
    if (notify) options.onStatus?.(last);
    return last;
  };
  const timer = setInterval(() => tick(), options.intervalMs);
  timer.unref();
  return {
    tick,
    statuses: () => last,
    stop: () => {
      clearInterval(timer);
      for (const off of buses.values()) off();
      buses.clear();
    },
  };
}
