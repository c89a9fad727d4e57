import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { closeNats, connectNats, ownNats } from '../../src/cluster/nats-connect.ts';
import { startNatsServer } from '../support/nats-server.ts';
import { settles, statusEvent } from '../support/settles.ts';

// Regression (chaos seed 84): nats.js v3's drain() while the server restarts rejected or never settled and left the
// connection reconnecting for ever, so a `weir run --nats` node whose job had completed never exited.

test('closeNats on a connection whose server is down settles and leaves it closed, also once the server is back', async () => {
  await using nats = await startNatsServer({ jetstream: false });
  const nc = await connectNats({ servers: [nats.url] });
  const disconnected = statusEvent(nc, 'disconnect');
  await nats.stop();
  await settles(disconnected, 'the disconnect event');
  await settles(closeNats(nc), 'closeNats while the server is down');
  assert.ok(nc.isClosed(), 'the connection is closed');
  await nats.restart();
  // A closed client does not reconnect: its closed() promise settled and it stays closed.
  await settles(nc.closed(), 'closed()');
  assert.ok(nc.isClosed());
});

test('closeNats on a connection whose drain was started while the server was down settles', async () => {
  await using nats = await startNatsServer({ jetstream: false });
  const nc = await connectNats({ servers: [nats.url] });
  nc.subscribe('x.>', { callback: () => {} });
  const disconnected = statusEvent(nc, 'disconnect');
  await nats.stop();
  await settles(disconnected, 'the disconnect event');
  // What the old code did: a drain that breaks (rejects or hangs) and leaves the connection open.
  // (That drain never settles, not even after close(): nothing may wait for it unbounded.)
  void nc.drain().catch(() => {});
  await settles(closeNats(nc, { drainTimeoutMs: 500 }), 'closeNats after a broken drain');
  assert.ok(nc.isClosed(), 'the connection is closed');
});

test('closeNats while the server restarts settles with the connection closed', async () => {
  await using nats = await startNatsServer({ jetstream: false });
  const nc = await connectNats({ servers: [nats.url] });
  nc.subscribe('x.>', { callback: () => {} });
  const restarting = nats.restart();
  const closing = closeNats(nc);
  await restarting;
  await settles(closing, 'closeNats during a server restart');
  assert.ok(nc.isClosed(), 'the connection is closed');
});

test('closeNats on a connected client drains: what it published before reaches a subscriber', async () => {
  await using nats = await startNatsServer({ jetstream: false });
  const reader = await connectNats({ servers: [nats.url] });
  try {
    let got = 0;
    reader.subscribe('n', { callback: () => void got++ });
    await reader.flush();
    const nc = await connectNats({ servers: [nats.url] });
    for (let i = 0; i < 5000; i++) nc.publish('n', new Uint8Array(100));
    await settles(closeNats(nc), 'closeNats');
    assert.ok(nc.isClosed());
    // The server handled the drained publishes before this ping, so its pong comes after their messages.
    await reader.flush();
    assert.is(got, 5000);
  } finally {
    await closeNats(reader);
  }
});

test('two concurrent closeNats calls both settle, and closeNats on a closed connection returns', async () => {
  await using nats = await startNatsServer({ jetstream: false });
  const nc = await connectNats({ servers: [nats.url] });
  await settles(Promise.all([closeNats(nc), closeNats(nc)]), 'two closeNats calls');
  assert.ok(nc.isClosed());
  await settles(closeNats(nc), 'closeNats on a closed connection');
});

test('ownNats: close() while the connection is still being established closes the late connection', async () => {
  await using nats = await startNatsServer({ jetstream: false });
  const owned = ownNats({ servers: [nats.url] });
  const connecting = owned.connect();
  const closing = owned.close();
  assert.is(owned.close(), closing, 'every close() returns the same promise');
  const error = await settles(connecting.then(() => undefined, (e: Error) => e), 'connect');
  assert.ok(error, 'a connect that lands after close() rejects');
  assert.match(error!.message, /closed while the connection was being established/);
  await settles(closing, 'close during connect');
  assert.is(owned.connection, undefined);
  const late = await owned.connect().then(() => undefined, (e: Error) => e);
  assert.match(String(late?.message), /closed while/, 'connect() after close() rejects');
});

test.run();
