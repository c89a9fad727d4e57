import type { NatsConnection } from '@nats-io/transport-node';
import { jetstream, AckPolicy, DeliverPolicy, type JetStreamManager } from '@nats-io/jetstream';

/** Every message of a stream, in order, as text (an ephemeral consumer reads them all). */
export async function readAll(jsm: JetStreamManager, nc: NatsConnection, stream: string): Promise<string[]> {
  const total = (await jsm.streams.info(stream)).state.messages;
  if (total === 0) return [];
  const ci = await jsm.consumers.add(stream, { ack_policy: AckPolicy.None, deliver_policy: DeliverPolicy.All });
  const consumer = await jetstream(nc).consumers.get(stream, ci.name);
  const out: string[] = [];
  while (out.length < total) for await (const m of await consumer.fetch({ max_messages: 1000, expires: 2000 })) out.push(m.string());
  return out;
}
