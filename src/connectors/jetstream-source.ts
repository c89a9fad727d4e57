import type { NatsConnection } from '@nats-io/transport-node';
import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager, type Consumer, type ConsumerMessages, type JetStreamManager, type JsMsg } from '@nats-io/jetstream';
import type { Source, SourceContext, SourceReader } from './source.ts';
import { ArrivalSignal } from './arrival-signal.ts';
import { ownNats, type NatsConnectOptions, type OwnedNats } from '../cluster/nats-connect.ts';
import { BadRecordError, ConnectionError } from '../errors.ts';

/** Options of {@link jetStreamSource}. */
export interface JetStreamSourceOptions<T> {
  /** Where NATS is and how to authenticate. */
  connection: NatsConnectOptions;
  /** The stream to read; it must exist. */
  stream: string;
  /**
   * Filter subjects, each one split: subtask `i` reads subjects `i, i + p, …` (one durable
   * consumer each). Default: one split reading the whole stream (subtask 0; others stay idle).
   */
  subjects?: string[];
  /** Bytes to record (default: UTF-8 JSON). A throw sends the message to dead letters. */
  decode?: (data: Uint8Array, subject: string) => T;
  /** Event time of a record, or `'publish-time'` for the time the stream stored the message. */
  timestamp?: ((record: T) => number) | 'publish-time';
  /** End at the last message the stream held when the reader opened (default: read forever). */
  bounded?: boolean;
  /** Prefix of the durable consumers' names (default `weir-<job>-<operator>`). */
  durablePrefix?: string;
  /**
   * Where a split's messages are told apart from the rest of the stream. `'server'`: its consumer
   * has the split's filter subject. `'client'`: its consumer reads the whole stream and the reader
   * passes over other subjects (so the stream is read once per split). Default: `'server'` from
   * nats-server 2.9.15 on, `'client'` before — older servers recount a filtered consumer's pending
   * messages with a scan of a message block for every message they deliver while the consumer is
   * in the first half of the last block holding its subject (as after a rewind to a recent
   * checkpoint); delivery then falls to a few hundred messages a second (issue 6).
   */
  filterOn?: 'server' | 'client';
  name?: string;
}

/** Where a reader is: per filter subject, the stream sequence of the last message handed out. */
type JetStreamPosition = Record<string, number>;

const FETCH = 512;
const BUFFER = 4096;
const WAIT_MS = 200;

/**
 * Reads a JetStream stream exactly once with checkpoints: the stream sequence of the last record
 * handed out (per filter subject) is the reader's snapshot; a restore rewinds the durable pull
 * consumer to the message after it, and a completed checkpoint acknowledges up to it (so the
 * server's consumer info shows what the job has committed). A job started without a snapshot
 * continues after the consumer's acknowledged floor, as a Kafka consumer group does. Messages
 * that do not decode go to dead letters with their subject and sequence.
 * @example
 * ```ts
 * env.fromSource(jetStreamSource<Click>({ connection: { servers: ['nats://127.0.0.1:4222'] }, stream: 'CLICKS', timestamp: (c) => c.at }))
 * ```
 */
export function jetStreamSource<T>(options: JetStreamSourceOptions<T>): Source<T> {
  const name = options.name ?? 'jetstream-source';
  return {
    name,
    hasTimestamps: options.timestamp !== undefined,
    createReader: (subtask, parallelism) => new JetStreamReader<T>((options.subjects ?? ['']).filter((_, i) => i % parallelism === subtask), options, name),
  };
}

/** One filter subject's consumer: messages fetched but not yet handed out, and where it stands. */
interface Split {
  filter: string;
  /** The consumer of the current generation; undefined until created (after a restore, after a failed pull). */
  consumer?: Consumer;
  /** Sequence of the last message handed out (filtering on the client: or passed over as another subject's). */
  position: number;
  /** Sequence of the last message fetched into the buffer (≥ position): a new consumer starts after it. */
  fetched: number;
  /** The last sequence to read (bounded mode: the stream's last at open, or the last one left); Infinity when unbounded. */
  end: number;
  done: boolean;
  /** The last message handed out per checkpoint, to acknowledge when it completes. */
  toAck: Map<number, JsMsg>;
  last?: JsMsg;
  /** Messages left for this consumer after the last one fetched (undefined before the first). */
  fetchedPending?: number;
}

/**
 * Life cycle: `open` connects and finds where to start, the first `read` (or a `restore`) starts
 * pulling. One pull runs at a time (`pulling`), fetching for each split in turn; it runs on the
 * event loop beside `read`, which hands out the buffer in fetch order. A restore starts a new
 * generation: it stops the pull in flight, and a pull of an older generation returns at its next
 * step without touching a split (it used to keep a consumer it created for the old position, and
 * the new generation read on from there: the messages that old pull had taken were skipped).
 */
class JetStreamReader<T> implements SourceReader<T> {
  private nc!: NatsConnection;
  private readonly owned: OwnedNats;
  private closing: Promise<void> | undefined;
  private jsm!: JetStreamManager;
  private ctx!: SourceContext;
  private readonly splits: Split[];
  private buffer: JsMsg[] = [];
  /** The split each buffered message was fetched for (filtering on the client, its subject may be another split's). */
  private owners: Split[] = [];
  private head = 0;
  /** Incremented by every restore: fetches of an older generation are dropped. */
  private generation = 0;
  private pulling: Promise<void> | undefined;
  /** The fetch in flight, stopped by a restore or close rather than left to run to its expiry. */
  private fetching: ConsumerMessages | undefined;
  private clientFilter = false;
  private readonly arrival = new ArrivalSignal(WAIT_MS);
  private failure: unknown;
  private closed = false;
  private fetchErrors = 0;

  constructor(
    filters: string[],
    private readonly options: JetStreamSourceOptions<T>,
    private readonly name: string,
  ) {
    this.splits = filters.map((filter) => ({ filter, position: 0, fetched: 0, end: Infinity, done: false, toAck: new Map() }));
    this.owned = ownNats(options.connection);
  }

  async open(ctx: SourceContext): Promise<void> {
    this.ctx = ctx;
    const oldConsumers: string[] = [];
    this.nc = await this.owned.connect(`weir ${ctx.job}/${this.name}/${ctx.subtask}`);
    this.jsm = await jetstreamManager(this.nc);
    this.clientFilter = (this.options.filterOn ?? (filtersEfficiently(this.nc.info?.version) ? 'server' : 'client')) === 'client';
    try {
      const info = await this.jsm.streams.info(this.options.stream);
      const consumers = this.ctx.fence ? await this.splitConsumers() : undefined;
      for (const s of this.splits) {
        if (this.options.bounded) s.end = info.state.last_seq;
        if (!consumers) {
          const existing = await this.jsm.consumers.info(this.options.stream, this.durable(s)).catch(() => undefined);
          s.position = existing?.ack_floor.stream_seq ?? 0;
          continue;
        }
        // A clustered job: the split's consumers of every attempt (of this run or an earlier one) — the furthest
        // acknowledged one is where a job without a snapshot goes on.
        const mine = consumers.filter((c) => c.split === this.splitName(s));
        s.position = Math.max(0, ...mine.map((c) => c.ackFloor));
        oldConsumers.push(...mine.filter((c) => c.name !== this.durable(s)).map((c) => c.name));
      }
    } catch (error) {
      throw new ConnectionError(`jetstream source '${this.name}': cannot read stream '${this.options.stream}' (does it exist?)`, error);
    }
    if (oldConsumers.length > 0) {
      // A newer attempt takes the splits over: an older attempt's consumer (a stalled node's, whose pull would take
      // this attempt's messages) is deleted, once the shared state confirms this attempt is the current one.
      await this.ctx.fence!.check();
      for (const c of oldConsumers) await this.jsm.consumers.delete(this.options.stream, c).catch(() => {});
    }
    // No pull yet: a restore usually follows, and the first read pulls from wherever that leaves the splits.
    this.rewind();
  }

  read(out: T[], timestamps: number[] | null, max: number): number {
    if (this.failure) throw this.failure;
    let n = 0;
    const decode = this.options.decode ?? defaultDecode;
    const ts = this.options.timestamp;
    while (n < max && this.head < this.buffer.length) {
      const split = this.owners[this.head]!;
      const m = this.buffer[this.head++]!;
      const seq = m.info.streamSequence;
      if (seq <= split.position) continue; // redelivered: handed out already
      if (seq > split.end) {
        split.done = true;
        continue;
      }
      split.position = seq;
      split.last = m;
      if (seq >= split.end || (m.info.pending === 0 && this.options.bounded)) split.done = true;
      // Another split's subject on an unfiltered consumer: passed over, the position moves on.
      if (this.clientFilter && !subjectMatches(split.filter, m.subject)) continue;
      let record: T;
      try {
        record = decode(m.data, m.subject);
      } catch (error) {
        this.ctx.deadLetter(new BadRecordError(`jetstream source '${this.name}': message ${seq} on '${m.subject}' does not decode (${(error as Error).message})`, { operator: this.ctx.operator, source: `${this.options.stream}:${seq}`, position: seq }), m.string(), seq);
        continue;
      }
      let t = NaN;
      if (ts === 'publish-time') t = Math.floor(m.info.timestampNanos / 1e6);
      else if (ts) t = ts(record);
      if (ts && !Number.isFinite(t)) {
        this.ctx.deadLetter(new BadRecordError(`jetstream source '${this.name}': message ${seq} on '${m.subject}' has no valid timestamp`, { operator: this.ctx.operator, source: `${this.options.stream}:${seq}`, position: seq }), record, seq);
        continue;
      }
      out.push(record);
      if (ts && timestamps) timestamps.push(t);
      n++;
    }
    if (this.head >= this.buffer.length && this.head > 0) {
      this.buffer = [];
      this.owners = [];
      this.head = 0;
    }
    if (n === 0 && this.splits.every((s) => s.done)) return -1;
    if (this.buffer.length - this.head < BUFFER) this.pull();
    return n;
  }

  whenAvailable(): Promise<void> {
    if (this.head < this.buffer.length || this.failure) return Promise.resolve();
    return this.arrival.wait();
  }


  snapshot(checkpointId?: number): JetStreamPosition {
    const position: JetStreamPosition = {};
    for (const s of this.splits) {
      position[s.filter] = s.position;
      if (checkpointId !== undefined && s.last) {
        s.toAck.set(checkpointId, s.last);
        // Bounded: a checkpoint that never completes must not keep its message forever.
        if (s.toAck.size > 64) s.toAck.delete(s.toAck.keys().next().value!);
      }
    }
    return position;
  }

  restore(position: unknown): void {
    const p = (position ?? {}) as JetStreamPosition;
    for (const s of this.splits) {
      s.position = p[s.filter] ?? 0;
      s.done = false;
      s.last = undefined;
      // A checkpoint past the restored position belongs to the abandoned run: acknowledging it would claim too much.
      for (const [id, m] of s.toAck) if (m.info.streamSequence > s.position) s.toAck.delete(id);
    }
    this.rewind();
    this.pull();
  }

  async notifyCheckpointComplete(checkpointId: number): Promise<void> {
    for (const s of this.splits) {
      const m = s.toAck.get(checkpointId);
      for (const id of [...s.toAck.keys()]) if (id <= checkpointId) s.toAck.delete(id);
      // AckAll: acknowledging a message acknowledges every one before it on this consumer.
      if (m) m.ack();
    }
  }

  /** Every call returns the same promise; a close while open() still connects closes that connection when it lands. */
  close(): Promise<void> {
    return (this.closing ??= (async () => {
      this.closed = true;
      // The pull in flight returns at its next step, as after a restore.
      this.generation++;
      this.fetching?.stop();
      this.arrival.notify();
      await this.pulling?.catch(() => {});
      await this.owned.close();
    })());
  }

  /** The split's consumer name without the attempt: `<prefix>-<filter subject>`. */
  private splitName(s: Split): string {
    const base = this.options.durablePrefix ?? `weir-${this.ctx.job}-${this.ctx.operator}`;
    const split = s.filter === '' ? 'all' : s.filter;
    return `${base}-${split}`.replace(/[^A-Za-z0-9_-]/g, '_');
  }

  /**
   * The split's durable consumer. A clustered job's attempts each have their own (`…-a<attempt>`): a node that
   * resumes after a stall must not recreate, at its old position, the consumer the split's new reader pulls from.
   */
  private durable(s: Split): string {
    return this.ctx.fence ? `${this.splitName(s)}-a${this.ctx.fence.attempt}` : this.splitName(s);
  }

  /** Consumers of the stream named by {@link durable} for any attempt: name, split name, acknowledged floor. */
  private async splitConsumers(): Promise<Array<{ name: string; split: string; ackFloor: number }>> {
    const out: Array<{ name: string; split: string; ackFloor: number }> = [];
    const splits = new Set(this.splits.map((s) => this.splitName(s)));
    for await (const c of this.jsm.consumers.list(this.options.stream)) {
      const name = c.config.durable_name ?? c.name;
      const split = /^(.*)-a\d+$/.exec(name)?.[1] ?? name;
      if (splits.has(split)) out.push({ name, split, ackFloor: c.ack_floor.stream_seq });
    }
    return out;
  }

  /** Starts reading again after each split's position: the next pull recreates the durable consumers there. */
  private rewind(): void {
    this.generation++;
    this.fetching?.stop();
    this.fetching = undefined;
    this.buffer = [];
    this.owners = [];
    this.head = 0;
    for (const s of this.splits) {
      s.consumer = undefined;
      s.fetched = s.position;
      s.fetchedPending = undefined;
    }
  }

  private pull(): void {
    if (this.pulling || this.closed) return;
    const generation = this.generation;
    this.pulling = this.fetchMore(generation)
      .catch((error) => {
        if (generation === this.generation && !this.closed) this.failure = error;
      })
      .finally(() => {
        this.pulling = undefined;
        this.arrival.notify();
        if (generation !== this.generation && !this.closed) this.pull();
      });
  }

  private async fetchMore(generation: number): Promise<void> {
    const js = jetstream(this.nc);
    const bounded = this.options.bounded === true;
    for (const s of this.splits) {
      // Every await below may see a restore: an older generation then leaves the splits alone.
      if (generation !== this.generation) return;
      if (s.done) continue;
      if (s.position >= s.end) {
        s.done = true;
        continue;
      }
      // Bounded: everything up to the end is in the buffer; asking for more would wait out the pull's expiry.
      if (s.fetched >= s.end) continue;
      if (!s.consumer) {
        // A stale attempt (its node was stalled) creates no consumer: the split belongs to a newer one.
        await this.ctx.fence?.check();
        if (generation !== this.generation) return;
        const durable = this.durable(s);
        await this.jsm.consumers.delete(this.options.stream, durable).catch(() => {});
        if (generation !== this.generation) return;
        const info = await this.jsm.consumers.add(this.options.stream, {
          durable_name: durable,
          ack_policy: AckPolicy.All,
          deliver_policy: DeliverPolicy.StartSequence,
          opt_start_seq: s.fetched + 1,
          ...(s.filter && !this.clientFilter ? { filter_subject: s.filter } : {}),
          ack_wait: 30 * 60 * 1e9,
          max_ack_pending: -1,
        });
        if (generation !== this.generation) return;
        const consumer = await js.consumers.get(this.options.stream, durable);
        if (generation !== this.generation) return;
        s.consumer = consumer;
        s.fetchedPending = undefined;
        // Bounded and nothing left for this consumer: no message will ever say so.
        if (bounded && info.num_pending === 0) {
          s.end = s.fetched;
          if (s.position >= s.end) s.done = true;
          continue;
        }
      }
      try {
        const max = bounded && s.fetchedPending !== undefined ? Math.min(FETCH, s.fetchedPending) : FETCH;
        const batch = await s.consumer.fetch({ max_messages: max, expires: 1000 });
        if (generation !== this.generation) {
          batch.stop();
          return;
        }
        this.fetching = batch;
        for await (const m of batch) {
          if (generation !== this.generation) return;
          this.buffer.push(m);
          this.owners.push(s);
          s.fetched = m.info.streamSequence;
          s.fetchedPending = m.info.pending;
          if (bounded && m.info.pending === 0) s.end = Math.min(s.end, s.fetched);
          // The reader may go on while the pull goes on.
          this.arrival.notify();
        }
        if (this.fetching === batch) this.fetching = undefined;
        this.fetchErrors = 0;
      } catch (error) {
        if (generation !== this.generation) return;
        // A busy event loop misses the pull's idle heartbeats; a reconnect ends a pull. Messages the
        // failed pull delivered after the last one received are lost to this consumer, so it restarts
        // after that one (the buffer keeps what was received: nothing is fetched twice).
        s.consumer = undefined;
        s.fetchedPending = undefined;
        if (++this.fetchErrors > 20) throw new ConnectionError(`jetstream source '${this.name}': pulling from '${this.options.stream}' failed ${this.fetchErrors} times in a row`, error);
      }
    }
  }
}

/** Whether a nats-server counts a filtered consumer's pending messages without a block scan per delivery (2.9.15 and later). */
function filtersEfficiently(version: string | undefined): boolean {
  const m = /^v?(\d+)\.(\d+)\.(\d+)/.exec(version ?? '');
  if (!m) return true;
  const [major, minor, patch] = [Number(m[1]), Number(m[2]), Number(m[3])];
  return major > 2 || (major === 2 && (minor > 9 || (minor === 9 && patch >= 15)));
}

function defaultDecode(data: Uint8Array): never {
  return JSON.parse(new TextDecoder().decode(data)) as never;
}

/** NATS subject matching with `*` and `>` wildcards. */
export function subjectMatches(filter: string, subject: string): boolean {
  if (filter === '' || filter === subject) return true;
  const f = filter.split('.');
  const s = subject.split('.');
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '>') return s.length > i;
    if (i >= s.length || (f[i] !== '*' && f[i] !== s[i])) return false;
  }
  return f.length === s.length;
}
