import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DDSketch } from '@datadog/sketches-js';
import { CollectSink, StreamEnvironment } from '../../src/index.ts';
import { multisetDiff } from '../../examples/shared/compare.ts';
import { metricsLog } from '../../examples/monitoring/metrics.ts';
import { COOLDOWN_MS, SILENCE_REPEAT_MS, dedupe, monitoringJob, type Alert, type HostStats } from '../../examples/monitoring/monitoring-job.ts';
import { monitoringReference } from '../../examples/monitoring/reference.ts';
import { pacedSource } from '../../examples/monitoring/paced-source.ts';
import { addToSketch, emptySketch, mergeSketches, quantiles } from '../../examples/monitoring/latency-sketch.ts';
import { runMonitoring } from '../../examples/monitoring/run.ts';
import { startNatsServer } from '../support/nats-server.ts';

const SHAPE = { hosts: 10, seconds: 900, seed: 3 };
const want = monitoringReference(metricsLog(SHAPE));
const key = (x: unknown) => JSON.stringify(x);

function assertSame<T>(got: T[], expected: T[], label: string): void {
  const d = multisetDiff(got, expected);
  assert.is(d.missing, 0, `${label}: nothing lost`);
  assert.is(d.extra, 0, `${label}: nothing duplicated or wrong`);
  assert.equal(got.map(key).sort(), expected.map(key).sort(), label);
}

const count = (alerts: Alert[], rule: Alert['rule'], kind: Alert['kind']) => alerts.filter((a) => a.rule === rule && a.kind === kind).length;

test('sketch buckets kept as plain data and merged give the percentiles of one DDSketch fed every value', () => {
  const values = Array.from({ length: 2_000 }, (_, i) => 5 + ((i * 7919) % 997) / 3);
  const a = emptySketch();
  const b = emptySketch();
  values.forEach((v, i) => addToSketch(i % 3 ? a : b, v));
  const one = new DDSketch({ relativeAccuracy: 0.01 });
  for (const v of values) one.accept(v);
  const qs = [0.5, 0.95, 0.99];
  assert.equal(quantiles(mergeSketches(a, b), qs), qs.map((q) => Math.round(one.getValueAtQuantile(q) * 100) / 100));
  const exact = [...values].sort((x, y) => x - y);
  for (const q of qs) {
    const p = quantiles(mergeSketches(a, b), [q])[0]!;
    const e = exact[Math.floor(q * (exact.length - 1))]!;
    assert.ok(Math.abs(p - e) <= 0.011 * e, `p${q * 100} ${p} within 1% of the exact ${e}`);
  }
});

test('the reference raises every kind of alert on this log, each incident opened once and recovered', () => {
  for (const rule of ['latency-p99', 'error-rate', 'latency-jump', 'silent'] as const) {
    assert.ok(count(want.alerts, rule, 'open') > 0, `${rule} opens`);
    assert.is(count(want.alerts, rule, 'recovered'), count(want.alerts, rule, 'open'), `${rule}: every incident recovers`);
  }
  assert.ok(count(want.alerts, 'silent', 'repeat') > 0, 'a long silence repeats after the cool-down');
});

/** Per host and rule: open, then repeats at least a cool-down apart, then recovered; never two incidents open at once. */
function assertDeduplicated(alerts: Alert[]): void {
  const byIncident = new Map<string, Alert[]>();
  for (const a of alerts) {
    const k = `${a.host}/${a.rule}`;
    byIncident.set(k, [...(byIncident.get(k) ?? []), a]);
  }
  for (const [k, list] of byIncident) {
    list.sort((x, y) => x.at - y.at);
    let open: Alert | undefined;
    let last = -Infinity;
    for (const a of list) {
      if (a.kind === 'open') assert.ok(!open, `${k}: opened at ${a.at} while open since ${open?.at}`);
      else assert.ok(open, `${k}: ${a.kind} at ${a.at} without an open incident`);
      if (a.kind === 'repeat') assert.ok(a.at - last >= (a.rule === 'silent' ? SILENCE_REPEAT_MS : COOLDOWN_MS), `${k}: repeat at ${a.at} only ${a.at - last} ms after the last`);
      open = a.kind === 'recovered' ? undefined : (open ?? a);
      last = a.at;
    }
    assert.ok(!open, `${k}: the incident that opened at ${open?.at} recovers`);
  }
}

test('de-duplication: an incident opens once, repeats only after the cool-down, closes with recovered (checked on the job\'s own rules and on the reference)', () => {
  const steps = [true, true, true, false, false, true].map((breach, i) => ({ breach, at: i * 120_000 }));
  let state: Parameters<typeof dedupe>[0];
  const emitted: Array<string | undefined> = [];
  for (const s of steps) {
    const d = dedupe(state, s.breach, s.at);
    emitted.push(d.emit);
    state = d.next;
  }
  // 0 open; 120 s: within the 5-minute cool-down; 240 s: still within; 360 s recovered; 600 s a new incident.
  assert.equal(emitted, ['open', undefined, undefined, 'recovered', undefined, 'open']);
  assert.equal(dedupe({ open: true, lastAt: 0 }, true, COOLDOWN_MS).emit, 'repeat');
  assertDeduplicated(want.alerts);
});

test('embedded on a simulated clock at parallelism 2 with one injected crash: window stats and alerts (silences included) equal the reference', async () => {
  const { stats, alerts, job } = await runMonitoring({ ...SHAPE, parallelism: 2, crashAtWindowEnd: 400_000 });
  assert.is(job.restarts, 1, 'the crash happened and the actor restarted');
  assertSame<HostStats>(stats, want.stats, 'stats');
  assertSame<Alert>(alerts, want.alerts, 'alerts');
  assertDeduplicated(alerts);
});

test('silences come from processing time: the same log replayed all at once on the system clock raises no silent alert, the rest is unchanged', async () => {
  const env = StreamEnvironment.create({ parallelism: 2 });
  const out = monitoringJob(env.fromSource(pacedSource(metricsLog(SHAPE), { time: (m) => m.at, speed: 1e12 }), 'metrics').setParallelism(1));
  const alerts = new CollectSink<Alert>();
  out.alerts.sinkTo(alerts);
  out.stats.sinkTo(new CollectSink<HostStats>());
  await env.execute('monitoring-instant');
  assertSame(alerts.values, want.alerts.filter((a) => a.rule !== 'silent'), 'alerts without silences');
});

test('on NATS: metrics from a JetStream stream, stats and alerts to JetStream; the event-time outputs equal the reference', async () => {
  await using server = await startNatsServer({ jetstream: true });
  const { stats, alerts, job } = await runMonitoring({ ...SHAPE, parallelism: 2, crashAtWindowEnd: 300_000, nats: server.url });
  assert.ok(job.restarts >= 1, 'the crash happened');
  assertSame(stats, want.stats, 'stats');
  // The stream is read far faster than real time, so processing-time silences do not happen there.
  assertSame(alerts.filter((a) => a.rule !== 'silent'), want.alerts.filter((a) => a.rule !== 'silent'), 'rule alerts');
});

test.run();
