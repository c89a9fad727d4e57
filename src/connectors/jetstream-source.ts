import type { NatsConnection } from '@nats-io/transport-node';
import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager, type Consumer, type JetStreamManager, type JsMsg } from '@nats-io/jetstream';
import type { Source, SourceContext, SourceReader } from './source.ts';
import { ArrivalSignal } from './arrival-signal.ts';
import { connectNats, type NatsConnectOptions } from '../cluster/nats-connect.ts';
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
  consumer?: Consumer;
  /** Sequence of the last message handed out. */
  position: number;
  /** Stream's last sequence at open (bounded mode); Infinity when unbounded. */
  end: number;
  done: boolean;
  /** The last message handed out per checkpoint, to acknowledge when it completes. */
  toAck: Map<number, JsMsg>;
  last?: JsMsg;
  /** Messages left for this consumer after the last one fetched (undefined before the first). */
  fetchedPending?: number;
}

class JetStreamReader<T> implements SourceReader<T> {
  private nc!: NatsConnection;
  private jsm!: JetStreamManager;
  private ctx!: SourceContext;
  private readonly splits: Split[];
  private buffer: JsMsg[] = [];
  private head = 0;
  /** Incremented by every restore: fetches of an older generation are dropped. */
  private generation = 0;
  private pulling: Promise<void> | undefined;
  private readonly arrival = new ArrivalSignal(WAIT_MS);
  private failure: unknown;
  private closed = false;
  private fetchErrors = 0;

  constructor(
    filters: string[],
    private readonly options: JetStreamSourceOptions<T>,
    private readonly name: string,
  ) {
    this.splits = filters.map((filter) => ({ filter, position: 0, end: Infinity, done: false, toAck: new Map() }));
  }

  async open(ctx: SourceContext): Promise<void> {
    this.ctx = ctx;
    this.nc = await connectNats({ name: `weir ${ctx.job}/${this.name}/${ctx.subtask}`, ...this.options.connection });
    this.jsm = await jetstreamManager(this.nc);
    try {
      const info = await this.jsm.streams.info(this.options.stream);
      for (const s of this.splits) {
        if (this.options.bounded) s.end = info.state.last_seq;
        const existing = await this.jsm.consumers.info(this.options.stream, this.durable(s)).catch(() => undefined);
        s.position = existing?.ack_floor.stream_seq ?? 0;
      }
    } catch (error) {
      throw new ConnectionError(`jetstream source '${this.name}': cannot read stream '${this.options.stream}' (does it exist?)`, error);
    }
    this.rewind();
  }

  read(out: T[], timestamps: number[] | null, max: number): number {
    if (this.failure) throw this.failure;
    let n = 0;
    const decode = this.options.decode ?? defaultDecode;
    const ts = this.options.timestamp;
    while (n < max && this.head < this.buffer.length) {
      const m = this.buffer[this.head++]!;
      const split = this.splitOf(m);
      const seq = m.info.streamSequence;
      if (seq <= split.position) continue; // redelivered: handed out already
      if (seq > split.end) {
        split.done = true;
        continue;
      }
      split.position = seq;
      split.last = m;
      if (m.info.pending === 0 && this.options.bounded) split.done = true;
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
    }
    this.rewind();
  }

  async notifyCheckpointComplete(checkpointId: number): Promise<void> {
    for (const s of this.splits) {
      const m = s.toAck.get(checkpointId);
      for (const id of [...s.toAck.keys()]) if (id <= checkpointId) s.toAck.delete(id);
      // AckAll: acknowledging a message acknowledges every one before it on this consumer.
      if (m) m.ack();
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    this.arrival.notify();
    await this.pulling?.catch(() => {});
    await this.nc?.drain().catch(() => {});
  }

  private durable(s: Split): string {
    const base = this.options.durablePrefix ?? `weir-${this.ctx.job}-${this.ctx.operator}`;
    const split = s.filter === '' ? 'all' : s.filter;
    return `${base}-${split}`.replace(/[^A-Za-z0-9_-]/g, '_');
  }

  private splitOf(m: JsMsg): Split {
    if (this.splits.length === 1) return this.splits[0]!;
    return this.splits.find((s) => subjectMatches(s.filter, m.subject)) ?? this.splits[0]!;
  }

  /** Starts reading again after each split's position: the durable consumers are recreated there. */
  private rewind(): void {
    this.generation++;
    this.buffer = [];
    this.head = 0;
    for (const s of this.splits) s.consumer = undefined;
    this.pull();
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
    for (const s of this.splits) {
      if (s.done || generation !== this.generation) continue;
      if (s.position >= s.end) {
        s.done = true;
        continue;
      }
      if (!s.consumer) {
        const durable = this.durable(s);
        await this.jsm.consumers.delete(this.options.stream, durable).catch(() => {});
        await this.jsm.consumers.add(this.options.stream, {
          durable_name: durable,
          ack_policy: AckPolicy.All,
          deliver_policy: DeliverPolicy.StartSequence,
          opt_start_seq: s.position + 1,
          ...(s.filter ? { filter_subject: s.filter } : {}),
          ack_wait: 30 * 60 * 1e9,
          max_ack_pending: -1,
        });
        if (generation !== this.generation) return;
        s.consumer = await js.consumers.get(this.options.stream, durable);
        s.fetchedPending = undefined;
        // Bounded and nothing left for this filter: no message will ever say so.
        if (s.end !== Infinity && (await s.consumer.info()).num_pending === 0) {
          s.done = true;
          continue;
        }
      }
      try {
        // Bounded: ask for no more than remain, or the pull would wait out its expiry at the end.
        if (s.end !== Infinity && s.fetchedPending === 0) continue;
        const max = s.end !== Infinity && s.fetchedPending !== undefined ? Math.min(FETCH, s.fetchedPending) : FETCH;
        const batch = await s.consumer.fetch({ max_messages: max, expires: 1000 });
        for await (const m of batch) {
          if (generation !== this.generation) return;
          this.buffer.push(m);
          s.fetchedPending = m.info.pending;
          // The reader may go on while the pull goes on.
          this.arrival.notify();
        }
        this.fetchErrors = 0;
      } catch (error) {
        // A busy event loop misses the pull's idle heartbeats; a reconnect ends a pull. Messages the
        // failed pull delivered may be lost to us, so the consumer restarts after the last one handed
        // out (copies of buffered ones that come again are skipped by sequence).
        s.consumer = undefined;
        s.fetchedPending = undefined;
        if (++this.fetchErrors > 20) throw new ConnectionError(`jetstream source '${this.name}': pulling from '${this.options.stream}' failed ${this.fetchErrors} times in a row`, error);
      }
    }
  }
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
