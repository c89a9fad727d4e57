import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { connect } from '@nats-io/transport-node';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { startNatsServer } from '../support/nats-server.ts';

test('the launcher starts a real nats-server with JetStream, and data survives a kill and restart', async () => {
  const server = await startNatsServer();
  try {
    const nc = await connect({ servers: server.url, reconnectTimeWait: 50, maxReconnectAttempts: -1 });
    const sub = nc.subscribe('smoke', { max: 1 });
    nc.publish('smoke', 'hello');
    for await (const m of sub) assert.is(m.string(), 'hello');

    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: 'SMOKE', subjects: ['smoke.js'] });
    const ack = await jetstream(nc).publish('smoke.js', 'kept');
    assert.is(ack.seq, 1);
    await nc.close();

    await server.kill();
    await server.restart();
    const nc2 = await connect({ servers: server.url });
    const jsm2 = await jetstreamManager(nc2);
    const msg = await jsm2.streams.getMessage('SMOKE', { seq: 1 });
    assert.is(msg?.string(), 'kept');
    await nc2.close();
  } finally {
    await server[Symbol.asyncDispose]();
  }
});

test.run();
