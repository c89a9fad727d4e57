/**
 * What every example does with `--nats <url>`: creates its JetStream streams (an input stream the
 * example's generator fills, an output stream with a subject per result kind), runs the job
 * against them, then reads the results back from the output stream. Uses only nats.js and Weir's
 * public API, as an application would.
 */
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { jetStreamSink, jetStreamSource, type DataStream, type Source, type StreamSink } from '../../src/index.ts';

/** The streams of one example's run on NATS. */
export interface JetStreamPlan<T> {
  /** Stream name prefix, e.g. `TRAFFIC`: streams `<P>_IN` and `<P>_OUT` are (re)created. */
  prefix: string;
  /** Records the example's generator made; they are published to `<p>.in`. */
  records: readonly T[];
}

/** An example's connection to its streams: a source over the input, a sink per output subject. */
export interface JetStreamIo<T> {
  source(timestamp: (record: T) => number): Source<T>;
  sink<R>(stream: DataStream<R>, output: string): StreamSink;
  /** Every result published to output subject `output`, in stream order. */
  read<R>(output: string): Promise<R[]>;
}

/**
 * Creates the streams, publishes the input, hands `run` the source and sinks, and closes the
 * connection afterwards.
 * @example
 * ```ts
 * await onJetStream('nats://127.0.0.1:4222', { prefix: 'TRAFFIC', records: clicks }, async (io) => { … })
 * ```
 */
export async function onJetStream<T, R>(url: string, plan: JetStreamPlan<T>, run: (io: JetStreamIo<T>) => Promise<R>): Promise<R> {
  let nc: NatsConnection;
  try {
    nc = await connect({ servers: url, timeout: 5_000 });
  } catch (e) {
    throw new Error(`cannot reach NATS at ${url} (${(e as Error).message}); is a nats-server with JetStream running there? (start one with 'nats-server -js')`);
  }
  try {
    const jsm = await jetstreamManager(nc);
    const p = plan.prefix.toLowerCase();
    const input = `${plan.prefix}_IN`;
    const output = `${plan.prefix}_OUT`;
    for (const name of [input, output]) await jsm.streams.delete(name).catch(() => false);
    await jsm.streams.add({ name: input, subjects: [`${p}.in`] });
    // The exactly-once sink dedupes republished epochs by message id within this window.
    await jsm.streams.add({ name: output, subjects: [`${p}.out.>`], duplicate_window: 120e9 });
    const js = jetstream(nc);
    for (let i = 0; i < plan.records.length; i += 1_000) await Promise.all(plan.records.slice(i, i + 1_000).map((r) => js.publish(`${p}.in`, JSON.stringify(r))));
    const connection = { servers: [url] };
    return await run({
      source: (timestamp) => jetStreamSource<T>({ connection, stream: input, bounded: true, timestamp }),
      sink: (stream, name) => stream.sinkTo(jetStreamSink({ connection, subject: `${p}.out.${name}` }), `${name}-sink`),
      read: (name) => readSubject(jsm, nc, output, `${p}.out.${name}`),
    });
  } finally {
    await nc.drain();
  }
}

/** Every message on `subject` of `stream`, parsed, read by an ephemeral consumer. */
async function readSubject<R>(jsm: JetStreamManager, nc: NatsConnection, stream: string, subject: string): Promise<R[]> {
  const ci = await jsm.consumers.add(stream, { ack_policy: AckPolicy.None, deliver_policy: DeliverPolicy.All, filter_subject: subject });
  const total = ci.num_pending;
  const consumer = await jetstream(nc).consumers.get(stream, ci.name);
  const out: R[] = [];
  while (out.length < total) for await (const m of await consumer.fetch({ max_messages: Math.min(1_000, total - out.length), expires: 2_000 })) out.push(m.json<R>());
  await jsm.consumers.delete(stream, ci.name).catch(() => false);
  return out;
}
