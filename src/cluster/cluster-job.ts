import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import type { PhysicalPlan } from '../graph/physical-plan.ts';
import type { CheckpointMetadata, CheckpointParticipant, CheckpointSource } from '../checkpoint/coordinator.ts';
import type { TaskActor } from '../runtime/task-actor.ts';
import { runJob, type ClusterHooks, type JobHandle, type JobResult, type JobRuntimeOptions } from '../runtime/job.ts';
import { natsDistribution } from './nats-distribution.ts';
import { latestCheckpoint } from '../checkpoint/job-recovery.ts';
import { nextRestartDelay, type RestartStrategy } from '../checkpoint/restart-strategy.ts';
import { actorCheckpointName } from '../checkpoint/checkpoint-keys.ts';
import { JobCancelledError, JobFailedError, WeirError, causeText } from '../errors.ts';
import { replaceLost } from './placement.ts';
import { defaultAttemptsLocation, openAttemptEpochs, type AttemptEpochs, type AttemptRecord, type AttemptsLocation } from './attempt-epochs.ts';
import { fencedSnapshotStore } from './fenced-snapshot-store.ts';
import type { AttemptFence } from '../runtime/attempt-fence.ts';

/** Where a clustered job runs: this node among `nodes`, all on one NATS. */
export interface ClusterOptions {
  nc: NatsConnection;
  node: string;
  /** Every node of the job, the same list on each. */
  nodes: string[];
  subjectPrefix?: string;
  /** Heartbeat period (default 250 ms); a node silent for `failAfterMs` (default 5000 ms: event loops of busy machines stall) is lost. */
  heartbeatMs?: number;
  failAfterMs?: number;
  /** A node never heard from counts as alive this long after start (default 60 s): processes start at very different speeds on a busy machine. */
  startupGraceMs?: number;
  /**
   * Gives the slots of lost nodes to survivors when the job restarts without them: `slots` is the job's slot list
   * (slot i runs subtask i), the result the new one. Default (and when it fails): {@link replaceLost} spreads them
   * over the survivors without knowing their free slots. `weir node` counts free slots ({@link lostSlotReplacer}).
   */
  replaceLost?: (slots: string[], lost: string[]) => Promise<string[]>;
  /** Where the job's attempt numbers are agreed (default: bucket `<prefix>_attempts`, key the job's name); see {@link openAttemptEpochs}. */
  attempts?: AttemptsLocation;
}

type Control =
  | { t: 'hb'; node: string }
  | { t: 'trigger'; attempt: number; id: number; savepoint: boolean }
  | { t: 'complete'; attempt: number; id: number; final?: boolean }
  | { t: 'ack'; attempt: number; name: string; id: number; key: string; bytes: number; shared?: string[]; ended?: boolean }
  // Final checkpoints: an ack says whether its part was taken after end of input, a `complete` whether every part
  // was (ended actors finish then), and `ended` asks the coordinator for the next checkpoint at once.
  | { t: 'ended'; attempt: number; name: string }
  | { t: 'decline'; attempt: number; name: string; id: number; reason: string }
  | { t: 'finished'; attempt: number; name: string }
  | { t: 'failed'; attempt: number; node: string; reason: string }
  | { t: 'done'; attempt: number; node: string }
  | { t: 'prepare'; attempt: number; members: string[] }
  | { t: 'stopped'; attempt: number; node: string }
  | { t: 'go'; attempt: number; members: string[]; checkpointId: number }
  | { t: 'abort'; attempt: number; reason: string };

const enc = new TextEncoder();
const dec = new TextDecoder();

/**
 * Runs this node's part of a job that spans several processes, with checkpoints and rollback
 * across them. The first live node coordinates checkpoints (its coordinator drives stand-ins for
 * the other nodes' actors over `<prefix>.<job>.ctl`); nodes heartbeat; when a node fails or goes
 * silent, the coordinator restarts the job on the nodes still alive from the last completed
 * checkpoint (in a shared snapshot store), placing the lost node's subtasks on them ({@link ClusterOptions.replaceLost}). Each attempt
 * uses its own channel subjects, so frames of an old attempt never reach a new one. Attempts are fenced: each number is
 * claimed in NATS KV with compare-and-set before its restart is announced ({@link openAttemptEpochs}), and an attempt's
 * snapshot writes, sink commits and source consumers are refused once a newer one exists, so a node that resumes after
 * a stall can neither run the job beside its successor nor finish anything of the abandoned attempt.
 */
export function runClustered(name: string, plan: PhysicalPlan, options: JobRuntimeOptions, strategy: RestartStrategy, cluster: ClusterOptions): JobHandle {
  const { nc, node } = cluster;
  const prefix = cluster.subjectPrefix ?? 'weir';
  const jobSubject = name.replace(/[^A-Za-z0-9_-]/g, '_');
  const ctl = `${prefix}.${jobSubject}.ctl`;
  const heartbeatMs = cluster.heartbeatMs ?? 250;
  const failAfterMs = cluster.failAfterMs ?? 5000;
  const startupGraceMs = cluster.startupGraceMs ?? 60_000;
  // A checkpoint's store write can settle after the job ended and the connection began draining:
  // such a late control message has nobody left to tell.
  // Every message says who sent it: any of them is a sign of life (a busy node's acks count as much as its heartbeats).
  const publish = (m: Control) => {
    if (!nc.isClosed() && !nc.isDraining()) nc.publish(ctl, enc.encode(JSON.stringify({ ...m, from: node })));
  };

  let attempt = 0;
  let members = cluster.nodes.slice();
  let current: JobHandle | undefined;
  let cancelled = false;
  const lastSeen = new Map<string, number>();
  const startedAt = Date.now();
  const failures: number[] = [];
  const done = new Map<number, Set<string>>();
  let onControl: ((m: Control) => void) | undefined;
  let wake: (() => void) | undefined;
  /** A restart in progress: every survivor stops its run before any starts the next (no two owners of a subtask at once). */
  let preparing: { attempt: number; members: string[]; since: number } | undefined;
  let go: Extract<Control, { t: 'go' }> | undefined;
  const stopped = new Map<number, Set<string>>();
  let lastGo: Extract<Control, { t: 'go' }> | undefined;
  /** The attempt whose local part finished (its `done` is repeated until every member finished). */
  let finishedRun: number | undefined;
  /** The attempt whose local part failed, and why (its `failed` is repeated until a restart is prepared). */
  let failedRun: { attempt: number; reason: string } | undefined;
  let aborted: Error | undefined;
  /**
   * Coordinator: the trigger of the checkpoint in progress and the last completion, repeated on every heartbeat — a
   * node that starts its part later than the coordinator subscribes after the first trigger, which would otherwise
   * leave that checkpoint waiting for its timeout (60 s by default) and the job without any checkpoint meanwhile.
   */
  const repeated: { trigger?: Extract<Control, { t: 'trigger' }>; complete?: Extract<Control, { t: 'complete' }> } = {};

  // Fencing. Attempt numbers are claimed in NATS KV with compare-and-set before a restart is announced (core NATS control
  // messages can be lost, e.g. in a nats-server restart), and every attempt's side effects ask that record first.
  let epochs: AttemptEpochs | undefined;
  const epochsReady = openAttemptEpochs(nc, cluster.attempts ?? defaultAttemptsLocation(prefix, jobSubject), startedAt, startupGraceMs).then(
    (e) => void (epochs = e),
    (error) => console.error(`weir: job '${name}': its attempts are not fenced: ${causeText(error)}`),
  );
  /** Monotonic time of this node's last heartbeat tick: a gap longer than the failure timeout means this node itself was stalled. */
  let lastTick = performance.now();
  /**
   * This node's view of the others is stale (it was stalled, or its connection was interrupted): it judges nobody lost
   * and starts no restart until it has re-read the attempt record and given everyone a fresh timeout.
   */
  let resyncing = false;
  const onTime = () => !resyncing && performance.now() - lastTick < Math.max(4 * heartbeatMs, failAfterMs / 2);
  /** A newer attempt this node learnt of other than by its `prepare`: it stops its run, and leaves when not a member. */
  const adopt = (record: AttemptRecord | undefined) => {
    if (!record || record.attempt <= attempt || (preparing && preparing.attempt >= record.attempt)) return;
    preparing = { attempt: record.attempt, members: record.members, since: Date.now() };
    wake?.();
  };
  /** The fence of attempt `a`; usable before the attempt record is open (the first run starts at once). */
  const fenceOf = (a: number): AttemptFence => {
    let inner: AttemptFence | undefined;
    const ready = async () => {
      await epochsReady;
      return (inner ??= epochs?.fence(a, onTime));
    };
    return {
      attempt: a,
      suspect: () => (inner ? inner.suspect() : !onTime()),
      check: async () => {
        await (await ready())?.check();
      },
    };
  };
  let resyncBusy = false;
  const resync = async () => {
    if (resyncBusy) return;
    resyncBusy = true;
    try {
      await epochsReady;
      if (epochs) adopt(await epochs.read());
      const now = Date.now();
      for (const n of members) lastSeen.set(n, now);
      resyncing = false;
    } catch {
      // NATS unreachable: the next tick tries again.
    } finally {
      resyncBusy = false;
    }
  };

  const alive = (n: string) => {
    if (n === node) return true;
    const seen = lastSeen.get(n);
    return seen === undefined ? Date.now() - startedAt < startupGraceMs : Date.now() - seen < failAfterMs;
  };
  const leader = () => members.find(alive);
  const isLeader = () => leader() === node;

  const sub: Subscription = nc.subscribe(ctl, {
    callback: (_e, msg) => {
      let m: Control & { from?: string };
      try {
        m = JSON.parse(dec.decode(msg.data)) as Control & { from?: string };
      } catch {
        return;
      }
      if (typeof m.from === 'string') lastSeen.set(m.from, Date.now());
      if (m.t === 'hb') {
        lastSeen.set(m.node, Date.now());
        return;
      }
      if (m.t === 'prepare' && m.attempt > attempt && (!preparing || m.attempt > preparing.attempt)) {
        preparing = { attempt: m.attempt, members: m.members, since: Date.now() };
        wake?.();
        return;
      }
      if (m.t === 'stopped') {
        if (!stopped.has(m.attempt)) stopped.set(m.attempt, new Set());
        stopped.get(m.attempt)!.add(m.node);
        void maybeGo(m.attempt);
        return;
      }
      if (m.t === 'go' && m.attempt > attempt && (!go || m.attempt > go.attempt)) {
        go = m;
        // Its prepare may have been lost: the go stops this run just the same (and leaves this node out when it is no member).
        if (!preparing || preparing.attempt < m.attempt) preparing = { attempt: m.attempt, members: m.members, since: Date.now() };
        wake?.();
        return;
      }
      if (m.t === 'abort' && m.attempt >= attempt) {
        aborted = new WeirError('WEIR_JOB_ABORTED', `the job was given up across the cluster: ${m.reason}`, { job: name });
        wake?.();
        return;
      }
      if (m.t === 'done' && m.attempt === attempt) {
        if (!done.has(m.attempt)) done.set(m.attempt, new Set());
        done.get(m.attempt)!.add(m.node);
        wake?.();
        return;
      }
      if ('attempt' in m && m.attempt !== attempt) return;
      // Repeated until the restart is prepared: one restart per failed attempt.
      if (m.t === 'failed' && isLeader() && !(preparing && preparing.attempt > attempt)) void restart(`node ${m.node} failed: ${m.reason}`);
      onControl?.(m);
    },
  });
  // The first heartbeat goes out at once, not a period later: a node that dies early has been heard from, so the
  // others count it lost after `failAfterMs`, not after the start-up grace for nodes never heard from (60 s).
  publish({ t: 'hb', node });
  const beat = setInterval(() => {
    const tick = performance.now();
    // Others count a node lost after `failAfterMs` of silence, which begins up to a heartbeat before its gap: a margin.
    if (tick - lastTick > failAfterMs - 2 * heartbeatMs) resyncing = true;
    lastTick = tick;
    if (resyncing) void resync();
    publish({ t: 'hb', node });
    // The coordinator watches for lost nodes.
    if (isLeader() && current && !preparing && !resyncing) {
      const lost = members.filter((n) => !alive(n));
      if (lost.length > 0) void restart(`node(s) ${lost.join(', ')} stopped heartbeating`);
    }
    // A restart that stalls (its coordinator died meanwhile) is started again by the next one.
    if (preparing && !go && !resyncing && Date.now() - preparing.since > 3 * failAfterMs && preparing.members.filter(alive)[0] === node) void restart('the previous restart stalled');
    if (preparing && !resyncing) void maybeGo(preparing.attempt);
    // Control messages are core NATS (at most once): the ones others wait for are repeated until they are no longer needed.
    if (lastGo && lastGo.attempt >= attempt) publish(lastGo);
    if (finishedRun !== undefined && finishedRun === attempt) publish({ t: 'done', attempt, node });
    // A `failed` the coordinator missed (sent before it subscribed: chaos seed 8) would leave the job stalled for ever.
    if (failedRun && failedRun.attempt === attempt && !(preparing && preparing.attempt > attempt)) publish({ t: 'failed', attempt, node, reason: failedRun.reason });
    if (isLeader()) for (const m of [repeated.trigger, repeated.complete]) if (m && m.attempt === attempt) publish(m);
  }, heartbeatMs);
  beat.unref();

  // Frames published while the connection was down are lost without a trace: a reconnect rolls the job back.
  void (async () => {
    for await (const status of nc.status()) {
      if (status.type === 'reconnect' && current) publish({ t: 'failed', attempt, node, reason: 'the connection to NATS was interrupted; frames sent meanwhile may be lost' });
      // Control messages sent meanwhile (a prepare, a go) are lost too.
      if (status.type === 'reconnect') {
        resyncing = true;
        void resync();
      }
    }
  })().catch(() => {});

  const replaceSlots = async (slots: string[], lost: string[]): Promise<string[]> => {
    if (cluster.replaceLost) {
      try {
        return await cluster.replaceLost(slots, lost);
      } catch (error) {
        console.error(`weir: job '${name}': re-placing the slots of ${lost.join(', ')} by free slots failed (${(error as Error).message}); spreading them over the survivors`);
      }
    }
    const placed = replaceLost(slots, lost, [], new Map());
    return placed.ok ? placed.slots : slots.filter((n) => !lost.includes(n));
  };
  let restarting = false;
  /** Coordinator: asks the surviving nodes to stop; `maybeGo` starts them again once all stopped. */
  const restart = async (reason: string) => {
    if (restarting) return;
    restarting = true;
    try {
      failures.push(Date.now());
      const delay = options.checkpoint ? nextRestartDelay(strategy, failures) : undefined;
      if (delay === undefined) {
        publish({ t: 'abort', attempt, reason });
        return;
      }
      await new Promise((r) => setTimeout(r, delay));
      const next = Math.max(attempt, preparing?.attempt ?? 0) + 1;
      const slots = preparing?.members ?? members;
      const lost = [...new Set(slots.filter((n) => !alive(n)))];
      // Surviving slots keep their index (and so their subtasks); the lost ones move.
      const nextMembers = lost.length === 0 ? slots : (await replaceSlots(slots, lost)).filter(alive);
      await epochsReady;
      try {
        // Compare-and-set: of two coordinators that each think the other lost, only one starts attempt `next`.
        const newer = await epochs?.claim(next, nextMembers, node);
        if (newer) {
          failures.pop();
          adopt(newer);
          return;
        }
      } catch (error) {
        // NATS unreachable: the next heartbeat tries again (this try did not count as a restart).
        failures.pop();
        console.error(`weir: job '${name}': claiming attempt ${next} failed: ${causeText(error)}`);
        return;
      }
      publish({ t: 'prepare', attempt: next, members: nextMembers });
      // At once, not when its own prepare comes back: a repeated `failed` meanwhile must not start another restart.
      if (!preparing || preparing.attempt < next) preparing = { attempt: next, members: nextMembers, since: Date.now() };
      wake?.();
    } finally {
      restarting = false;
    }
  };
  const announced = new Set<number>();
  /** Coordinator: once every survivor of restart `a` has stopped, say from which checkpoint to go on. */
  const maybeGo = async (a: number) => {
    if (!preparing || preparing.attempt !== a || announced.has(a) || preparing.members.filter(alive)[0] !== node) return;
    const waiting = preparing.members.filter(alive);
    if (!waiting.every((n) => stopped.get(a)?.has(n))) return;
    announced.add(a);
    // A newer attempt claimed meanwhile: this one never goes.
    const record = await epochs?.read().catch(() => undefined);
    if (record && record.attempt > a) return adopt(record);
    const meta = await latestCheckpoint(options.store, name, { verify: true });
    lastGo = { t: 'go', attempt: a, members: waiting, checkpointId: meta?.id ?? 0 };
    publish(lastGo);
  };

  /** The stand-ins and wiring of one attempt. */
  const hooks = (plan: PhysicalPlan, placement: (chain: number, subtask: number) => boolean): ClusterHooks => {
    const finished = new Set<string>();
    const sent = new Set<string>();
    const once = (m: Control & { id: number }) => {
      const k = `${m.t}:${m.id}`;
      if (sent.has(k)) return;
      sent.add(k);
      publish(m);
      if (m.t === 'trigger') repeated.trigger = m;
      if (m.t === 'complete') {
        repeated.complete = m;
        if (repeated.trigger && repeated.trigger.id <= m.id) repeated.trigger = undefined;
      }
    };
    const remoteActors: CheckpointParticipant[] = [];
    const remoteSources: CheckpointSource[] = [];
    const byName = new Map<string, CheckpointParticipant>();
    for (const chain of plan.chains) {
      for (let s = 0; s < chain.parallelism; s++) {
        if (placement(chain.index, s)) continue;
        const checkpointName = actorCheckpointName(chain.name, s);
        const proxy: CheckpointSource = {
          checkpointName,
          id: `${checkpointName}@remote`,
          state: () => (finished.has(checkpointName) ? 'finished' : 'running'),
          notifyCheckpointComplete: async (id, final) => once({ t: 'complete', attempt, id, final }),
          triggerCheckpoint: (id, savepoint) => once({ t: 'trigger', attempt, id, savepoint }),
        };
        remoteActors.push(proxy);
        if (chain.members.some((m) => m.kind === 'source')) remoteSources.push(proxy);
        byName.set(checkpointName, proxy);
      }
    }
    return {
      leader: isLeader(),
      remoteActors,
      remoteSources,
      report: {
        acknowledge: (n, id, key, bytes, shared, ended) => publish({ t: 'ack', attempt, name: n, id, key, bytes, shared, ended }),
        decline: (n, id, reason) => publish({ t: 'decline', attempt, name: n, id, reason }),
        finished: (n) => publish({ t: 'finished', attempt, name: n }),
        ended: (n) => publish({ t: 'ended', attempt, name: n }),
      },
      attach: ({ actors, sources, coordinator }) => {
        const handled = new Set<string>();
        onControl = (m) => {
          if (m.t === 'finished') finished.add(m.name);
          if (coordinator) {
            if (m.t === 'ack') byName.get(m.name) && coordinator.acknowledge(byName.get(m.name)!, m.id, m.key, m.bytes, m.shared, m.ended === true);
            if (m.t === 'ended') coordinator.endOfInput();
            if (m.t === 'decline') byName.get(m.name) && coordinator.decline(byName.get(m.name)!, m.id, new Error(m.reason));
            return;
          }
          const k = `${m.t}:${'id' in m ? m.id : ''}`;
          if (handled.has(k)) return;
          handled.add(k);
          if (m.t === 'trigger') for (const s of sources as TaskActor[]) s.triggerCheckpoint(m.id, m.savepoint);
          if (m.t === 'complete') for (const a of actors) void a.notifyCheckpointComplete(m.id, m.final === true);
        };
        return () => {
          onControl = undefined;
        };
      },
    };
  };

  const result = (async (): Promise<JobResult> => {
    let restoreFrom: CheckpointMetadata | undefined = options.restoreFrom;
    for (;;) {
      const dist = natsDistribution({ nc, node, nodes: members, subjectPrefix: `${prefix}-a${attempt}` });
      dist.bind(plan, name);
      const fence = fenceOf(attempt);
      const run = runJob(name, plan, { ...options, store: fencedSnapshotStore(options.store, fence), fence, distribution: { ...dist, bind: () => {} }, cluster: hooks(plan, dist.isLocal), restoreFrom });
      current = run;
      let outcome: { ok: JobResult } | { error: Error } | undefined;
      run.done.then(
        (r) => {
          outcome = { ok: r };
          finishedRun = attempt;
          publish({ t: 'done', attempt, node });
          wake?.();
        },
        (e: Error) => {
          outcome = { error: e };
          if (!(e instanceof JobCancelledError)) {
            failedRun = { attempt, reason: e.message };
            publish({ t: 'failed', attempt, node, reason: e.message });
          }
          wake?.();
        },
      );
      // Wait for: every member done, a restart, an abort, or cancellation.
      for (;;) {
        if (cancelled) {
          await run.cancel();
          throw new JobCancelledError(name);
        }
        if (aborted) {
          await run.cancel();
          throw aborted;
        }
        if (preparing && preparing.attempt > attempt) break;
        if (outcome && 'ok' in outcome && members.every((m) => done.get(attempt)?.has(m))) {
          clearInterval(beat);
          sub.unsubscribe();
          // A later run of the job (same name) starts afresh; a stalled node of this one stays fenced.
          await epochs?.finish(attempt).catch(() => {});
          return outcome.ok;
        }
        await new Promise<void>((r) => {
          wake = r;
          setTimeout(r, heartbeatMs);
        });
      }
      await run.cancel();
      // Stopped: tell the coordinator, then wait for the go (a newer prepare may come first).
      let next: Extract<Control, { t: 'go' }> | undefined;
      for (;;) {
        const prep = preparing!;
        if (!prep.members.includes(node)) throw new JobFailedError(name, new Error(`this node (${node}) was left out of the restarted job`));
        publish({ t: 'stopped', attempt: prep.attempt, node });
        if (go && go.attempt >= prep.attempt) {
          next = go;
          break;
        }
        if (cancelled) throw new JobCancelledError(name);
        if (aborted) throw aborted;
        await new Promise<void>((r) => {
          wake = r;
          setTimeout(r, heartbeatMs);
        });
      }
      preparing = undefined;
      // Counted out when the go was announced (its coordinator had not heard from this node): the others run without it.
      if (!next.members.includes(node)) throw new JobFailedError(name, new Error(`this node (${node}) was left out of the restarted job (attempt ${next.attempt})`));
      options.inspection?.emit({ type: 'job.restarted', job: name, attempt: next.attempt, checkpointId: next.checkpointId, cause: new Error('cluster restart') });
      attempt = next.attempt;
      members = next.members;
      // A go is core NATS and may be old news: a newer attempt claimed since stops this one at once.
      adopt(await epochs?.read().catch(() => undefined));
      restoreFrom = next.checkpointId > 0 ? await checkpointById(options, name, next.checkpointId) : options.restoreFrom;
      if (next.checkpointId > 0 && !restoreFrom) throw new JobFailedError(name, new Error(`checkpoint ${next.checkpointId} is not in ${options.store.describe()}: cluster nodes need a shared snapshot store`));
    }
  })();
  void result.catch(() => {}).finally(() => {
    clearInterval(beat);
    if (!nc.isClosed()) sub.unsubscribe();
  });

  return {
    name,
    done: result,
    get system() {
      return current!.system;
    },
    cancel: async () => {
      cancelled = true;
      wake?.();
      await result.catch(() => {});
    },
    metrics: () => current!.metrics(),
    checkpoint: () => current!.checkpoint(),
    savepoint: () => current!.savepoint(),
  };
}

/** The metadata of checkpoint `id` of a job, when it is in the store. */
async function checkpointById(options: JobRuntimeOptions, job: string, id: number): Promise<CheckpointMetadata | undefined> {
  const { unpackValue } = await import('../state/snapshot-codec.ts');
  const { checkpointMetadataKey } = await import('../checkpoint/checkpoint-keys.ts');
  const bytes = await options.store.get(checkpointMetadataKey(job, id));
  return bytes ? (unpackValue(bytes) as CheckpointMetadata) : undefined;
}
