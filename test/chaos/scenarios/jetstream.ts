import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { readAll } from '../../support/jetstream-read.ts';
import { JS_SUBJECTS, READINGS, readings, windowRows } from '../fixtures/inputs.ts';
import type { DistributedScenario } from './distributed.ts';

/**
 * JetStream stream READINGS → keyed windows → JetStream subject `windows` (captured by a stream
 * with a two-minute duplicate window), on three nodes. The input is stored before the nodes start.
 */
export const jetstreamScenario: DistributedScenario = async ({ nats, seed }) => {
  const input = readings(READINGS, seed);
  const nc = await connect({ servers: nats.url });
  const jsm = await jetstreamManager(nc);
  await jsm.streams.add({ name: 'READINGS', subjects: ['readings.>'] });
  await jsm.streams.add({ name: 'WINDOWS', subjects: ['windows'], duplicate_window: 120e9 });
  for (let i = 0; i < input.length; i++) {
    nc.publish(JS_SUBJECTS[i % 3]!, JSON.stringify(input[i]));
    if (i % 10_000 === 9_999) await nc.flush();
  }
  await nc.flush();
  const stored = (await jsm.streams.info('READINGS')).state.messages;
  if (stored !== READINGS) throw new Error(`the READINGS stream holds ${stored} of ${READINGS} readings`);
  await nc.drain();
  // A fresh connection reads the result: one opened before a server restart may still be reconnecting.
  const reader = async () => {
    const c = await connect({ servers: nats.url });
    return { c, m: await jetstreamManager(c) };
  };
  return {
    env: { CHAOS_SOURCE: 'jetstream', CHAOS_SINK: 'jetstream' },
    reference: windowRows(input),
    read: async () => {
      const { c, m } = await reader();
      try {
        return await readAll(m, c, 'WINDOWS');
      } finally {
        await c.drain();
      }
    },
    leftovers: async () => {
      const { c, m } = await reader();
      try {
        const staged = (await m.streams.info('WEIR_STAGING').catch(() => undefined))?.state.messages ?? 0;
        return staged > 0 ? `${staged} messages left staged in WEIR_STAGING` : undefined;
      } finally {
        await c.drain();
      }
    },
    cleanup: async () => {},
  };
};
