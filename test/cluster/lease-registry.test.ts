import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { connect } from '@nats-io/transport-node';
import { startNatsServer } from '../support/nats-server.ts';
import { openClusterState } from '../../src/cluster/cluster-state.ts';
import { holdCoordinatorLease, leaseHolder } from '../../src/cluster/coordinator-lease.ts';
import { registerNode, liveNodes } from '../../src/cluster/node-registry.ts';

const timing = { heartbeatMs: 100, expireMs: 1000 };

/** A lease contender whose acquisitions and losses can be awaited. */
function contender(kv: Awaited<ReturnType<typeof openClusterState>>['lease'], node: string) {
  let acquired!: () => void;
  let lost!: (reason: string) => void;
  const events = { acquired: new Promise<void>((r) => (acquired = r)), lost: new Promise<string>((r) => (lost = r)) };
  const lease = holdCoordinatorLease(kv, node, { renewMs: timing.heartbeatMs, expireMs: timing.expireMs, onAcquired: () => acquired(), onLost: (reason) => lost(reason) });
  return { lease, ...events };
}

test('one coordinator at a time: a second node waits; when the holder dies without releasing, the other takes over after the TTL', async () => {
  await using server = await startNatsServer();
  const [nc1, nc2] = await Promise.all([connect({ servers: server.url }), connect({ servers: server.url })]);
  const [s1, s2] = [await openClusterState(nc1, 'weir', timing), await openClusterState(nc2, 'weir', timing)];
  const a = contender(s1.lease, 'a');
  await a.acquired;
  const b = contender(s2.lease, 'b');
  await b.lease.firstAttempt;
  assert.is(b.lease.isHolder(), false, 'b cannot create the lease a holds');
  assert.is(await leaseHolder(s2.lease), 'a');
  // A renewal with a stale revision is refused: the compare-and-set that keeps two holders apart.
  const entry = (await s2.lease.get('coordinator'))!;
  await s2.lease.update('coordinator', JSON.stringify({ node: 'x' }), entry.revision);
  await a.lost;
  assert.is(a.lease.isHolder(), false, 'a stepped down when its renewal was refused');
  await a.lease.stop();
  // The key now names x, which never renews: it expires, and b (still trying) takes the lease.
  await b.acquired;
  assert.is(await leaseHolder(s1.lease), 'b');
  // b crashes (connection gone, nothing released): c takes over once the TTL ran out.
  await nc2.close();
  const c = contender(s1.lease, 'c');
  await c.acquired;
  await b.lost;
  assert.is(await leaseHolder(s1.lease), 'c');
  await c.lease.stop();
  await b.lease.stop();
  await nc1.close();
});

test('node registry: names are unique while registered; a stopped node leaves the registry at once', async () => {
  await using server = await startNatsServer();
  const nc = await connect({ servers: server.url });
  const state = await openClusterState(nc, 'tenant.one', timing);
  const a = await registerNode(state.nodes, { name: 'a', slots: 2 }, timing.heartbeatMs);
  const b = await registerNode(state.nodes, { name: 'b', slots: 3 }, timing.heartbeatMs);
  try {
    await registerNode(state.nodes, { name: 'a', slots: 1 }, timing.heartbeatMs);
    assert.unreachable('a second node named a was accepted');
  } catch (error) {
    assert.is((error as { code?: string }).code, 'WEIR_NODE_NAME_TAKEN');
    assert.match((error as Error).message, /a node named 'a' is already registered \(pid \d+/);
  }
  assert.equal((await liveNodes(state.nodes)).map((n) => [n.name, n.slots]), [['a', 2], ['b', 3]]);
  await a.stop();
  assert.equal((await liveNodes(state.nodes)).map((n) => n.name), ['b']);
  await b.stop();
  await nc.close();
});

test('node registry: every live node is listed while all of them heartbeat at once (kv.keys() missed rewritten keys)', async () => {
  await using server = await startNatsServer();
  const nc = await connect({ servers: server.url });
  const state = await openClusterState(nc, 'weir', timing);
  const names = ['a', 'b', 'c', 'd'];
  const regs = await Promise.all(names.map((name) => registerNode(state.nodes, { name, slots: 1 }, timing.heartbeatMs)));
  // Rewrites as fast as the connection allows, far more often than real heartbeats.
  let writing = true;
  const writer = (async () => {
    while (writing) await Promise.all(names.map((n, i) => state.nodes.put(n, JSON.stringify(regs[i]!.record))));
  })();
  try {
    for (let i = 0; i < 30; i++) assert.equal((await liveNodes(state.nodes)).map((n) => n.name), names, `listing ${i}`);
  } finally {
    writing = false;
    await writer;
    for (const r of regs) await r.stop();
    await nc.close();
  }
});

test.run();
