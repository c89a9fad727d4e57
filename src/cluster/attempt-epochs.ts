import type { NatsConnection } from '@nats-io/transport-node';
import { jetstream } from '@nats-io/jetstream';
import { Kvm, type KV } from '@nats-io/kv';
import type { AttemptFence } from '../runtime/attempt-fence.ts';
import { bucketName } from './cluster-state.ts';
import { StaleAttemptError, WeirError, causeText } from '../errors.ts';

/** The current attempt of a clustered job, kept in the `<prefix>_attempts` bucket under the job's key. */
export interface AttemptRecord {
  attempt: number;
  /** Slot list of the attempt (slot i runs subtask i): who runs it. */
  members: string[];
  /** Node that claimed it, and when (ms since the epoch). */
  by: string;
  at: number;
  /** Set when the job completed in this attempt. */
  finishedAt?: number;
}

/** A job's attempt numbers in NATS KV: claimed with compare-and-set, read by fences. */
export interface AttemptEpochs {
  /** The record of this run of the job, or undefined while none was claimed (attempt 0 is current). */
  read(): Promise<AttemptRecord | undefined>;
  /**
   * Claims `attempt` with compare-and-set: succeeds (undefined) only when the current record is older, so two
   * coordinators can never both start the same attempt. Otherwise returns the record that is as new or newer.
   */
  claim(attempt: number, members: string[], by: string): Promise<AttemptRecord | undefined>;
  /** Marks the run complete in `attempt`, so a later run of the same job starts afresh. */
  finish(attempt: number): Promise<void>;
  /** A fence for `attempt`; `fresh()` tells it whether the caller's own heartbeat is on time (see {@link AttemptFence.suspect}). */
  fence(attempt: number, fresh: () => boolean): AttemptFence;
}

/** Where a job's attempt record lives. */
export interface AttemptsLocation {
  /** KV bucket: `weir run --nats` creates `<prefix>_attempts`; a part started by `weir node` uses the cluster's jobs bucket. */
  bucket: string;
  /** Key of this run of the job (`weir node`: `attempt.<job>.<submission time>`). */
  key: string;
  /** Create the bucket when missing (else it must exist). */
  create: boolean;
}

/** The default location of a job's attempts: bucket `<prefix>_attempts`, key the job's name. */
export function defaultAttemptsLocation(prefix: string, job: string): AttemptsLocation {
  return { bucket: bucketName(prefix, 'attempts'), key: job, create: true };
}

/**
 * Opens a job's attempt record. A key that names one run of the job (as `weir node`'s do) is never
 * reused; where a key may outlive a run (`weir run --nats` uses the job's name), records left by an
 * earlier run are told apart by time: a record claimed before `runStartedAt - graceMs` (before any
 * node of this run could have started), or finished before `runStartedAt`, is ignored.
 * @example
 * ```ts
 * const epochs = await openAttemptEpochs(nc, defaultAttemptsLocation('weir', 'clicks'), Date.now(), 60_000); await epochs.claim(1, ['a', 'b'], 'a')
 * ```
 */
export async function openAttemptEpochs(nc: NatsConnection, where: AttemptsLocation, runStartedAt: number, graceMs: number): Promise<AttemptEpochs> {
  let kv: KV;
  try {
    const kvm = new Kvm(jetstream(nc));
    kv = where.create ? await kvm.create(where.bucket, { history: 1 }) : await kvm.open(where.bucket);
  } catch (error) {
    throw new WeirError('WEIR_CLUSTER_STATE', `cannot open the attempts bucket ${where.bucket} (is JetStream enabled, nats-server -js?): ${causeText(error)}`);
  }
  const key = where.key.replace(/[^A-Za-z0-9_.=-]/g, '_');
  const runKey = where.key;
  const current = (r: AttemptRecord) => r.at >= runStartedAt - graceMs && !(r.finishedAt !== undefined && r.finishedAt < runStartedAt);
  const entry = async (): Promise<{ record?: AttemptRecord; revision: number }> => {
    const e = await kv.get(key);
    if (!e || e.operation !== 'PUT' || e.length === 0) return { revision: e?.revision ?? 0 };
    const record = e.json<AttemptRecord>();
    return { record: current(record) ? record : undefined, revision: e.revision };
  };
  const read = async () => (await entry()).record;
  /** Concurrent checks share one read: a burst of snapshot writes costs one round trip. */
  let reading: Promise<AttemptRecord | undefined> | undefined;
  const sharedRead = () => (reading ??= read().finally(() => (reading = undefined)));

  return {
    read,
    claim: async (attempt, members, by) => {
      for (let i = 0; i < 10; i++) {
        const { record, revision } = await entry();
        if (record && record.attempt >= attempt) return record;
        const value = JSON.stringify({ attempt, members, by, at: Date.now() } satisfies AttemptRecord);
        try {
          if (revision === 0) await kv.create(key, value);
          else await kv.update(key, value, revision);
          return undefined;
        } catch {
          // Another node wrote in between: read again and re-decide.
        }
      }
      throw new WeirError('WEIR_CLUSTER_STATE', `could not claim attempt ${attempt} of '${key}' (too many concurrent writers)`);
    },
    finish: async (attempt) => {
      const { record, revision } = await entry();
      if (!record || record.attempt !== attempt || record.finishedAt !== undefined) return;
      await kv.update(key, JSON.stringify({ ...record, finishedAt: Date.now() }), revision).catch(() => {});
    },
    fence: (attempt, fresh) => {
      let confirmedAt = -Infinity;
      let refused: StaleAttemptError | undefined;
      return {
        attempt,
        suspect: () => refused !== undefined || (!fresh() && performance.now() - confirmedAt > 1000),
        check: async () => {
          if (refused) throw refused;
          const record = await sharedRead();
          if (record && record.attempt > attempt) throw (refused = new StaleAttemptError(runKey, attempt, record.attempt));
          confirmedAt = performance.now();
        },
      };
    },
  };
}
