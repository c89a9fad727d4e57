import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import type { Source, SourceContext, SourceReader } from './source.ts';
import { ArrivalSignal } from './arrival-signal.ts';
import type { Sink, SinkWriter } from './sink.ts';
import { ownNats, type NatsConnectOptions, type OwnedNats } from '../cluster/nats-connect.ts';
import { BadRecordError, WeirError } from '../errors.ts';

/** Options of {@link natsSource}. */
export interface NatsSourceOptions<T> {
  connection: NatsConnectOptions;
  /** Subject to subscribe to (wildcards allowed). */
  subject: string;
  /** Queue group: with parallelism > 1, subtasks share the messages (default `weir-<job>-<operator>`). */
  queue?: string;
  decode?: (data: Uint8Array, subject: string) => T;
  timestamp?: (record: T) => number;
  /** Messages held between the subscription and the job (default 8192); beyond it they are dead-lettered. */
  bufferSize?: number;
  name?: string;
}

/** Options of {@link natsSink}. */
export interface NatsSinkOptions<T> {
  connection: NatsConnectOptions;
  subject: string | ((record: T) => string);
  encode?: (record: T) => Uint8Array;
  name?: string;
}

const WAIT_MS = 200;

/**
 * Subscribes to a core NATS subject. **At most once**: core NATS keeps nothing, so what is
 * published while the job is down or rolling back is never seen, and a restore does not rewind
 * (the snapshot holds nothing). Subtasks share a queue group. The buffer between the subscription
 * and the job is bounded: a message that finds it full goes to dead letters (never silently
 * dropped), as does one that does not decode.
 * @example
 * ```ts
 * env.fromSource(natsSource<Tick>({ connection: { servers: ['nats://127.0.0.1:4222'] }, subject: 'ticks.>' }))
 * ```
 */
export function natsSource<T>(options: NatsSourceOptions<T>): Source<T> {
  const name = options.name ?? 'nats-source';
  return { name, hasTimestamps: options.timestamp !== undefined, replayable: false, createReader: () => new NatsCoreReader<T>(options, name) };
}

class NatsCoreReader<T> implements SourceReader<T> {
  private readonly owned: OwnedNats;
  private sub!: Subscription;
  private ctx!: SourceContext;
  private buffer: Array<{ data: Uint8Array; subject: string }> = [];
  private head = 0;
  private readonly arrival = new ArrivalSignal(WAIT_MS);
  private overflow = 0;

  constructor(
    private readonly options: NatsSourceOptions<T>,
    private readonly name: string,
  ) {
    this.owned = ownNats(options.connection);
  }

  async open(ctx: SourceContext): Promise<void> {
    this.ctx = ctx;
    const capacity = this.options.bufferSize ?? 8192;
    const nc = await this.owned.connect(`weir ${ctx.job}/${this.name}/${ctx.subtask}`);
    this.sub = nc.subscribe(this.options.subject, {
      queue: this.options.queue ?? `weir-${ctx.job}-${ctx.operator}`.replace(/[^A-Za-z0-9_-]/g, '_'),
      callback: (error, m) => {
        if (error) return;
        if (this.buffer.length - this.head >= capacity) {
          this.overflow++;
          this.ctx.deadLetter(new WeirError('WEIR_SOURCE_OVERFLOW', `nats source '${this.name}': buffer of ${capacity} messages full, message on '${m.subject}' dropped (core NATS is at-most-once)`, { operator: ctx.operator, subtask: ctx.subtask }), m.string());
          return;
        }
        this.buffer.push({ data: m.data, subject: m.subject });
        this.arrival.notify();
      },
    });
  }

  /** Messages dead-lettered because the buffer was full. */
  get overflowed(): number {
    return this.overflow;
  }

  read(out: T[], timestamps: number[] | null, max: number): number {
    const decode = this.options.decode ?? ((d: Uint8Array) => JSON.parse(new TextDecoder().decode(d)) as T);
    let n = 0;
    while (n < max && this.head < this.buffer.length) {
      const m = this.buffer[this.head++]!;
      let record: T;
      try {
        record = decode(m.data, m.subject);
      } catch (error) {
        this.ctx.deadLetter(new BadRecordError(`nats source '${this.name}': message on '${m.subject}' does not decode (${(error as Error).message})`, { operator: this.ctx.operator, source: m.subject }), new TextDecoder().decode(m.data));
        continue;
      }
      if (this.options.timestamp) {
        const t = this.options.timestamp(record);
        if (!Number.isFinite(t)) {
          this.ctx.deadLetter(new BadRecordError(`nats source '${this.name}': message on '${m.subject}' has no valid timestamp`, { operator: this.ctx.operator, source: m.subject }), record);
          continue;
        }
        timestamps?.push(t);
      }
      out.push(record);
      n++;
    }
    if (this.head >= this.buffer.length) {
      this.buffer = [];
      this.head = 0;
    }
    return n;
  }

  whenAvailable(): Promise<void> {
    if (this.head < this.buffer.length) return Promise.resolve();
    return this.arrival.wait();
  }


  snapshot(): null {
    return null;
  }

  restore(): void {}

  close(): Promise<void> {
    this.arrival.notify();
    // A close while open() still connects closes that connection once it is there (else it outlived the job);
    // every call returns the same promise.
    return this.owned.close();
  }
}

/**
 * Publishes each record to a core NATS subject. **At most once**: a subscriber that is not
 * connected misses it, and records a rollback replays are published again. Each batch is flushed
 * (a round trip to the server), which paces the job to what the connection carries.
 * @example
 * ```ts
 * alerts.sinkTo(natsSink({ connection: { servers: ['nats://127.0.0.1:4222'] }, subject: (a) => `alerts.${a.level}` }))
 * ```
 */
export function natsSink<T>(options: NatsSinkOptions<T>): Sink<T> {
  const name = options.name ?? 'nats-sink';
  const encode = options.encode ?? ((r: T) => new TextEncoder().encode(JSON.stringify(r)));
  const subjectOf = typeof options.subject === 'string' ? () => options.subject as string : options.subject;
  return {
    name,
    createWriter: (subtask): SinkWriter<T> => {
      let nc: NatsConnection;
      const owned = ownNats(options.connection);
      return {
        open: async (ctx) => {
          nc = await owned.connect(`weir ${ctx.job}/${name}/${subtask}`);
        },
        write: async (values) => {
          for (const v of values) nc.publish(subjectOf(v), encode(v));
          await nc.flush();
        },
        close: () => owned.close(),
      };
    },
  };
}
