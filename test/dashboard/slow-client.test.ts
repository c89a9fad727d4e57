import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { connect } from 'node:net';
import { startDashboard, type LiveJobStatus } from '../../src/index.ts';
import { settles } from '../support/settles.ts';

// Regression: a dashboard's close() waited for every connection (server.close), so one slow client held it —
// `weir run --dashboard` did not exit. A client that has not finished its request held it until the headers timeout
// (60 s); one that reads nothing of its events is cut by Node 20 already (guarded here, it passed before the fix).

/** A dashboard and an /events client that has read its first event (so it is registered) and then reads nothing. */
async function pausedClient() {
  const dashboard = await startDashboard({ port: 0 });
  const { port } = new URL(dashboard.url);
  const socket = connect({ port: Number(port), host: '127.0.0.1' });
  socket.write(`GET /events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
  await settles(new Promise<void>((resolve) => socket.once('data', () => resolve())), 'the first event');
  socket.pause();
  return { dashboard, socket };
}

test('close() settles while an /events client reads nothing', async () => {
  const { dashboard, socket } = await pausedClient();
  const ended = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  // A status far larger than the kernel's socket buffers (loopback: a few MB each way): most of it waits in the
  // server's socket for a read that never comes.
  dashboard.update([{ job: 'x'.repeat(40 << 20) }] as unknown as LiveJobStatus[]);
  await settles(dashboard.close(), 'dashboard close with a client that reads nothing');
  socket.resume();
  await settles(ended, "the slow client's socket closing");
});

/** Sends a whole request on a new connection and resolves with the response once it has all come (the server closes it). */
function get(port: number, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect({ port, host: '127.0.0.1' });
    let text = '';
    s.on('data', (d) => (text += d));
    s.once('error', reject);
    s.once('close', () => resolve(text));
    s.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`);
  });
}

test('close() settles while a client is slow to send its request (its connection held the close until the headers timeout, 60 s)', async () => {
  const dashboard = await startDashboard({ port: 0 });
  const port = Number(new URL(dashboard.url).port);
  const slow = connect({ port, host: '127.0.0.1' });
  const cut = new Promise<void>((resolve) => slow.once('close', () => resolve()));
  await settles(new Promise<void>((resolve) => slow.write('GET /events HTTP/1.1\r\nHost: 127.0.0.1\r\n', () => resolve())), 'the slow write');
  // The half request is in the server's socket before this later request is even sent, so by the time the server
  // has answered it, its event loop has read the half request too (one process, one loop).
  assert.match(await settles(get(port, '/nothing'), 'another request'), /404/);
  await settles(dashboard.close(), 'dashboard close with a client that has not finished its request');
  await settles(cut, "the slow client's connection closing");
});

test('two close() calls return the same promise, and both settle', async () => {
  const dashboard = await startDashboard({ port: 0 });
  const a = dashboard.close();
  assert.is(dashboard.close(), a, 'the same promise');
  await settles(a, 'two dashboard closes');
});

test('a client that missed updates while its socket was full is sent the newest status once it drains', async () => {
  const { dashboard, socket } = await pausedClient();
  // The first update fills the socket; the second, the job's last, is skipped while it is full.
  dashboard.update([{ job: 'x'.repeat(16 << 20) }] as unknown as LiveJobStatus[]);
  dashboard.update([{ job: 'final' }] as unknown as LiveJobStatus[]);
  let tail = '';
  const sawFinal = new Promise<void>((resolve) =>
    socket.on('data', (d: Buffer) => {
      tail = (tail + d.toString('latin1')).slice(-64);
      if (tail.includes('data: [{"job":"final"}]')) resolve();
    }),
  );
  socket.resume();
  // Before the fix it waited for a next update that never came: the status stayed the first one for ever.
  await settles(sawFinal, 'the newest status reaching the client after its socket drained');
  socket.destroy();
  await settles(dashboard.close(), 'dashboard close');
});

test.run();
