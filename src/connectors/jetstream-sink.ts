import { randomUUID } from 'node:crypto';
import type { NatsConnection } from '@nats-io/transport-node';
import { headers } from '@nats-io/transport-node';
import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import type { TwoPhaseCommitSink, TwoPhaseCommitWriter } from './sink.ts';
import { ownNats, type NatsConnectOptions } from '../cluster/nats-connect.ts';
import { packValue, unpackValue } from '../state/snapshot-codec.ts';
import { BlobRejectedError, ConnectionError, InvalidJobError } from '../errors.ts';
import { isSealed, openBlob, sealBlob } from '../security/blob-cipher.ts';
import { stateKeysFromEnv, type StateKeyProvider } from '../security/state-keys.ts';
import type { AttemptFence } from '../runtime/attempt-fence.ts';

/** Options of {@link jetStreamSink}. */
export interface JetStreamSinkOptions<T> {
  /** Where NATS is and how to authenticate. */
  connection: NatsConnectOptions;
  /** Target subject, or one per record; a stream with a duplicate window must capture it. */
  subject: string | ((record: T) => string);
  /** Record to bytes (default: UTF-8 JSON). */
  encode?: (record: T) => Uint8Array;
  /** The stream that stages epochs until their checkpoint completes (created when missing, capturing `weir-staging.<its name>.>`; default `WEIR_STAGING`, or `<tenant>_STAGING` in a job process of a `--subject-prefix <tenant>` node). */
  stagingStream?: string;
  /** Identifies this sink in staging subjects and message ids (default `<job>-<sink name>`). */
  sinkId?: string;
  name?: string;
  /** Encrypts staged records at rest (AES-256-GCM); default: the keys of `WEIR_STATE_KEY` / `WEIR_STATE_KEY_FILE`, if set. */
  encryption?: StateKeyProvider;
}

/** An epoch being written: its staging subject and the staging stream sequences of its messages. */
interface JsTxn {
  epoch: number;
  subject: string;
  staged: number[];
}

/** What a checkpoint stores to commit an epoch later: staging subject, run, subtask, epoch, staged sequences. */
type JsHandle = [string, string, number, number, number[]];

const STAGE_BYTES = 512 * 1024;
const IN_FLIGHT = 512;

/**
 * Publishes records to JetStream exactly once with checkpoints. An epoch's records are staged
 * durably in a staging stream as they arrive (packed, one staging message per batch chunk); when
 * the checkpoint completes, the epoch is republished to the target subjects with the header
 * `Nats-Msg-Id = <sink>/<run>/<subtask>/<epoch>/<seq>` and the staging messages are purged. A
 * commit repeated after a failure publishes the same ids, which the target stream drops as
 * duplicates — so the target stream's `duplicate_window` must outlast the time between a
 * checkpoint and its recovery (as Flink's Kafka sink needs a transaction timeout). Nothing of an
 * epoch is held in memory.
 * @example
 * ```ts
 * counts.sinkTo(jetStreamSink({ connection: { servers: ['nats://127.0.0.1:4222'] }, subject: 'counts' }))
 * ```
 */
export function jetStreamSink<T>(options: JetStreamSinkOptions<T>): TwoPhaseCommitSink<T, JsTxn> {
  const name = options.name ?? 'jetstream-sink';
  const staging = options.stagingStream ?? process.env.WEIR_STAGING_STREAM ?? 'WEIR_STAGING';
  // Staging subjects: weir-staging.<staging stream>.<sink>.<run>.<subtask>.<epoch>
  const root = `weir-staging.${staging}`;
  const encode = options.encode ?? ((r: T) => new TextEncoder().encode(JSON.stringify(r)));
  const subjectOf = typeof options.subject === 'string' ? () => options.subject as string : options.subject;
  return {
    name,
    twoPhase: true,
    createWriter: (subtask, parallelism): TwoPhaseCommitWriter<T, JsTxn> => {
      let nc: NatsConnection;
      const owned = ownNats(options.connection);
      let closing: Promise<void> | undefined;
      let js: JetStreamClient;
      let jsm: JetStreamManager;
      let base = '';
      let run = randomUUID().slice(0, 8);
      let fence: AttemptFence | undefined;
      const stageSubject = (r: string, s: number, epoch: number) => `${root}.${base}.${r}.${s}.${epoch}`;
      // Staged records are sealed under their staging subject, so a message moved to another epoch fails to open.
      const keys = options.encryption ?? stateKeysFromEnv();
      const stage = async (subject: string, chunk: Array<[string, Uint8Array]>) => js.publish(subject, keys ? await sealBlob(packValue(chunk), subject, keys) : packValue(chunk));

      const commit = async (handle: unknown) => {
        const [subject, r, s, epoch, staged] = handle as JsHandle;
        let seq = 0;
        const pending: Promise<unknown>[] = [];
        try {
          for (const at of staged) {
            // Null only when the message is not there; any other failure (e.g. a connection that closes
            // while a failed job stops) fails the commit, which the restored job repeats.
            const m = await jsm.streams.getMessage(staging, { seq: at });
            // The purge follows the last publish: a staged message gone means the epoch was committed.
            if (m === null) return;
            if (!keys && isSealed(m.data)) throw new BlobRejectedError(subject, 'its staged records are encrypted, and this process has no state key (set WEIR_STATE_KEY or WEIR_STATE_KEY_FILE as where they were written)', `stream ${staging}`);
            const plain = keys ? await openBlob(m.data, subject, keys, `stream ${staging}`) : m.data;
            for (const [target, data] of unpackValue(plain) as Array<[string, Uint8Array]>) {
              const h = headers();
              h.set('Nats-Msg-Id', `${base}/${r}/${s}/${epoch}/${seq++}`);
              const ack = js.publish(target, data, { headers: h });
              // Observed at once: a publish that fails while the loop awaits the next staged message would otherwise be an
              // unhandled rejection until Promise.all sees it, and end the process (a commit after a nats-server restart did).
              ack.catch(() => {});
              pending.push(ack);
              if (pending.length >= IN_FLIGHT) await Promise.all(pending.splice(0));
            }
          }
          await Promise.all(pending.splice(0));
        } finally {
          // Publishes still in flight when the commit failed: their failures belong to it, not to the process
          // (an unobserved rejection ended the test process).
          await Promise.allSettled(pending);
        }
        await jsm.streams.purge(staging, { filter: subject });
      };

      return {
        open: async (ctx) => {
          base = (options.sinkId ?? `${ctx.job}-${name}`).replace(/[^A-Za-z0-9_-]/g, '_');
          // A clustered job's attempt is part of its staging subjects and message ids.
          fence = ctx.fence;
          if (fence) run = `a${fence.attempt}-${run}`;
          nc = await owned.connect(`weir ${ctx.job}/${name}/${subtask}`);
          js = jetstream(nc);
          jsm = await jetstreamManager(nc);
          try {
            await jsm.streams.info(staging).catch(async () => {
              await jsm.streams.add({ name: staging, subjects: [`${root}.>`] });
            });
          } catch (error) {
            throw new ConnectionError(`jetstream sink '${name}': cannot create the staging stream '${staging}'`, error);
          }
        },
        beginTransaction: (epoch) => ({ epoch, subject: stageSubject(run, subtask, epoch), staged: [] }),
        write: async (txn, values) => {
          // One staging message per ~512 KB of records (below the usual 1 MB max_payload).
          let chunk: Array<[string, Uint8Array]> = [];
          let bytes = 0;
          const acks: Array<Promise<{ seq: number }>> = [];
          for (const v of values) {
            const target = subjectOf(v);
            if (!target) throw new InvalidJobError(`jetstream sink '${name}': no subject for record ${JSON.stringify(v)}`);
            const data = encode(v);
            chunk.push([target, data]);
            bytes += data.length + target.length + 8;
            if (bytes >= STAGE_BYTES) {
              acks.push(stage(txn.subject, chunk));
              chunk = [];
              bytes = 0;
            }
          }
          if (chunk.length > 0) acks.push(stage(txn.subject, chunk));
          for (const ack of await Promise.all(acks)) txn.staged.push(ack.seq);
        },
        // Staged messages are acknowledged by the server as they are written: durable already.
        preCommit: (txn): JsHandle => [txn.subject, run, subtask, txn.epoch, txn.staged],
        commit,
        abort: async (txn) => {
          await jsm.streams.purge(staging, { filter: txn.subject });
        },
        recover: async (committable) => {
          for (const handle of committable) await commit(handle);
          // What remains staged for this subtask (any run), or for subtasks that no longer exist, never committed.
          await jsm.streams.purge(staging, { filter: `${root}.${base}.*.${subtask}.*` });
          if (subtask === 0) {
            const info = await jsm.streams.info(staging, { subjects_filter: `${root}.${base}.>` });
            for (const subject of Object.keys(info.state.subjects ?? {})) {
              const s = Number(subject.split('.')[4]);
              if (s >= parallelism) await jsm.streams.purge(staging, { filter: subject });
            }
          }
        },
        close: () => (closing ??= (async () => {
          // What another run staged for this subtask after this one's recovery purged it: a stalled node's publish that left
          // its socket only when the node resumed. Cleaned once this attempt is confirmed current (never by a stale one).
          if (fence && jsm) {
            try {
              await fence.check();
              const info = await jsm.streams.info(staging, { subjects_filter: `${root}.${base}.*.${subtask}.*` });
              for (const subject of Object.keys(info.state.subjects ?? {})) if (subject.split('.')[3] !== run) await jsm.streams.purge(staging, { filter: subject });
            } catch {
              // Stale, or NATS unreachable: the next attempt's recovery purges it.
            }
          }
          await owned.close();
        })()),
      };
    },
  };
}
