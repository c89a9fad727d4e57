import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { NatsConnection } from '@nats-io/transport-node';
import { StreamEnvironment, natsSource, natsSink, systemClock, type Sink, type SourceContext } from '../../src/index.ts';
import { closeNats, connectNats, type OwnedNats } from '../../src/cluster/nats-connect.ts';
import { startNatsServer, type NatsServerHandle } from '../support/nats-server.ts';
import { settles, statusEvent } from '../support/settles.ts';

// Regressions of close hangs (chaos seed 84: a node whose job had completed did not exit). A connector's connection
// must end closed however its close is called: while the server is down or restarting, while it is still
// connecting, twice at once, or after another resource of its actor failed to close.

const ctx = (operator: string): SourceContext => ({ job: 'close-test', operator, subtask: 0, parallelism: 1, clock: systemClock, deadLetter: () => {} });

/**
 * Whether anything still subscribes to `subject` (a connector's connection left open re-subscribes after a
 * reconnect). Core NATS answers a request nobody subscribes to with "no responders" at once; a live subscriber that
 * does not reply lets it time out instead.
 */
async function subscribed(nc: NatsConnection, subject: string): Promise<boolean> {
  try {
    await nc.request(subject, 'probe', { timeout: 3000 });
    return true;
  } catch (error) {
    return !(error as { isNoResponders?: () => boolean }).isNoResponders?.();
  }
}

/** The reader's own connection (internal), to wait for its disconnect and check it closed. */
const connectionOf = (reader: unknown) => (reader as { owned: OwnedNats }).owned.connection!;

async function withServer(body: (nats: NatsServerHandle, probe: NatsConnection) => Promise<void>): Promise<void> {
  await using nats = await startNatsServer({ jetstream: false });
  const probe = await connectNats({ servers: [nats.url] });
  try {
    await body(nats, probe);
  } finally {
    await closeNats(probe);
  }
}

test('nats source: close while the server is down settles, and its connection does not come back with the server', () =>
  withServer(async (nats, probe) => {
    const reader = natsSource<number>({ connection: { servers: [nats.url] }, subject: 'in.down' }).createReader(0, 1);
    await reader.open(ctx('down'));
    assert.ok(await subscribed(probe, 'in.down'), 'the reader subscribed');
    const nc = connectionOf(reader);
    const disconnected = statusEvent(nc, 'disconnect');
    const reconnected = statusEvent(probe, 'reconnect');
    await nats.stop();
    await settles(disconnected, "the reader's disconnect");
    await settles(Promise.resolve(reader.close()), 'close of a nats source while the server is down');
    assert.ok(nc.isClosed(), "the reader's connection is closed");
    await nats.restart();
    await settles(reconnected, "the probe's reconnect");
    assert.not.ok(await subscribed(probe, 'in.down'), 'no subscription left: the connection is closed');
  }));

test('nats source and sink: close during a server restart settles', () =>
  withServer(async (nats, probe) => {
    const reader = natsSource<number>({ connection: { servers: [nats.url] }, subject: 'in.restart' }).createReader(0, 1);
    await reader.open(ctx('restart'));
    const writer = natsSink<number>({ connection: { servers: [nats.url] }, subject: 'out.restart' }).createWriter(0, 1);
    await writer.open({ ...ctx('restart-sink'), maxParallelism: 128 } as never);
    await writer.write([1, 2, 3], null);
    const nc = connectionOf(reader);
    const reconnected = statusEvent(probe, 'reconnect');
    const restarting = nats.restart();
    const closing = Promise.all([reader.close(), writer.close()]);
    await restarting;
    await settles(closing, 'close of a nats source and sink during a server restart');
    assert.ok(nc.isClosed(), "the reader's connection is closed");
    await settles(reconnected, "the probe's reconnect");
    assert.not.ok(await subscribed(probe, 'in.restart'), 'no subscription left: the connection is closed');
  }));

test('nats source: close while open() still connects closes the late connection', () =>
  withServer(async (nats, probe) => {
    const reader = natsSource<number>({ connection: { servers: [nats.url] }, subject: 'in.connecting' }).createReader(0, 1);
    const opening = reader.open(ctx('connecting'));
    const closing = reader.close();
    const opened = await settles(Promise.resolve(opening).then(() => 'opened', (e: Error) => e.message), 'open');
    await settles(Promise.resolve(closing), 'close during connect');
    assert.match(opened, /closed while the connection was being established/, 'an open overtaken by close fails');
    assert.not.ok(await subscribed(probe, 'in.connecting'), 'the late connection is closed (its subscription never made)');
  }));

test('nats source: two concurrent close() calls return the same promise, and both settle', () =>
  withServer(async (nats, probe) => {
    const reader = natsSource<number>({ connection: { servers: [nats.url] }, subject: 'in.twice' }).createReader(0, 1);
    await reader.open(ctx('twice'));
    const a = reader.close();
    const b = reader.close();
    assert.is(a, b, 'the same promise');
    await settles(Promise.all([a, b]), 'two close() calls');
    assert.not.ok(await subscribed(probe, 'in.twice'));
  }));

test("close after a failed close: a sink whose close throws does not keep its actor's nats source open", () =>
  withServer(async (nats, probe) => {
    let written = 0;
    let closes = 0;
    const failingSink: Sink<number> = {
      name: 'failing-close',
      createWriter: () => ({
        open() {},
        write: (vs) => void (written += vs.length),
        close() {
          closes++;
          throw new Error('the sink cannot close');
        },
      }),
    };
    const env = StreamEnvironment.create({ parallelism: 1 });
    env.fromSource(natsSource<number>({ connection: { servers: [nats.url] }, subject: 'in.failed' })).map((x) => x + 1).sinkTo(failingSink);
    const job = env.executeAsync('failed-close');
    // Running once a published record has reached the sink (core NATS drops what nobody listens to yet).
    while (written === 0) {
      probe.publish('in.failed', '1');
      await probe.flush();
      await new Promise((r) => setTimeout(r, 20));
    }
    await settles(job.cancel(), 'cancel');
    await job.done.catch(() => {});
    assert.is(closes, 1, 'the sink was closed once');
    assert.not.ok(await subscribed(probe, 'in.failed'), "the source's connection is closed although the sink's close failed before it");
  }));

test.run();
