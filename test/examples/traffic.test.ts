import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { generated } from '../../examples/shared/generated.ts';
import { clickAt } from '../../examples/traffic/clicks.ts';
import { trafficReference, type TrafficResults } from '../../examples/traffic/reference.ts';
import { runTraffic } from '../../examples/traffic/run.ts';
import { multisetDiff } from '../../examples/shared/compare.ts';
import { funnelStep, rank } from '../../examples/traffic/traffic-job.ts';
import { startNatsServer } from '../support/nats-server.ts';

const CLICKS = 12_000;
const SEED = 3;

function assertSame(got: TrafficResults, want: TrafficResults): void {
  for (const kind of ['sessions', 'funnels', 'topPages', 'bots'] as const) {
    const d = multisetDiff(got[kind], want[kind]);
    assert.is(d.missing, 0, `${kind}: nothing lost`);
    assert.is(d.extra, 0, `${kind}: nothing duplicated or wrong`);
    const key = (x: unknown) => JSON.stringify(x);
    assert.equal(got[kind].map(key).sort(), want[kind].map(key).sort(), kind);
  }
}

const want = trafficReference(generated(clickAt, CLICKS, SEED));

test('the reference itself finds every kind of result on this input (sessions, funnels, top pages, two bot IPs)', () => {
  assert.ok(want.sessions.length > 100, `${want.sessions.length} sessions`);
  assert.ok(want.sessions.some((s) => s.funnelStep === 4) && want.sessions.some((s) => s.funnelStep < 4), 'some sessions convert, some do not');
  assert.ok(want.funnels.length >= 2, 'at least two hours');
  assert.ok(want.topPages.length > 30);
  assert.equal([...new Set(want.bots.map((b) => b.ip))].sort(), ['10.0.0.1', '10.0.0.2']);
});

test('funnel steps count only in order, and the top-N ranks by views then by name', () => {
  assert.is(funnelStep(['/home', '/product/3', '/cart', '/checkout']), 4);
  assert.is(funnelStep(['/checkout', '/cart', '/product/1', '/home']), 1, 'out of order: only home counts');
  assert.is(funnelStep(['/blog/1', '/home', '/about', '/product/9', '/checkout']), 2, 'checkout without the cart does not count');
  assert.is(funnelStep(['/product/1', '/cart']), 0, 'the funnel starts at home');
  assert.equal(rank([{ page: '/b', views: 3 }, { page: '/a', views: 3 }, { page: '/c', views: 9 }, { page: '/d', views: 1 }], 3), [{ page: '/c', views: 9 }, { page: '/a', views: 3 }, { page: '/b', views: 3 }]);
});

test('embedded at parallelism 2 with one injected crash in the bot filter: every output equals the reference, nothing lost or duplicated', async () => {
  const { results, job } = await runTraffic({ clicks: CLICKS, seed: SEED, parallelism: 2, crashAtSeq: 7_001 });
  assert.is(job.restarts, 1, 'the crash happened and the actor restarted');
  assert.is(job.recordsIn, CLICKS);
  assertSame(results, want);
});

test('on NATS: clicks from a JetStream stream, results to JetStream with a crash; equal to the reference', async () => {
  await using server = await startNatsServer({ jetstream: true });
  const { results, job } = await runTraffic({ clicks: CLICKS, seed: SEED, parallelism: 2, crashAtSeq: 9_000, nats: server.url });
  assert.ok(job.restarts >= 1, 'the crash happened');
  assertSame(results, want);
});

test.run();
