/**
 * Server monitoring over a generated metrics log: latency percentiles and error rates per host in
 * sliding windows, threshold and rate-of-change alerts with de-duplication, and silent hosts found
 * by processing-time timers. Embedded, the log is replayed on a simulated clock (processing time
 * follows the log); one operator crashes on purpose; results stay exact.
 *
 * Run: npm run example:monitoring            (embedded; `-- --scale 0.1` for a tenth of the input)
 *      npm run example:monitoring -- --nats nats://127.0.0.1:4222
 */
import { natsUrlFromArgs, runExample, scaleFromArgs } from '../shared/cli.ts';
import { multisetDiff } from '../shared/compare.ts';
import { metricsLog } from './metrics.ts';
import { monitoringReference } from './reference.ts';
import { runMonitoring } from './run.ts';

await runExample(async () => {
  const scale = scaleFromArgs();
  // At least 15 minutes: silences and spikes start a few minutes in.
  const shape = { hosts: Math.max(10, Math.round(30 * scale)), seconds: Math.max(900, Math.round(3_600 * scale)), seed: 11 };
  const nats = natsUrlFromArgs();
  const started = performance.now();
  const { stats, alerts, job } = await runMonitoring({ ...shape, crashAtWindowEnd: (shape.seconds * 1_000) / 2, nats });

  const clock = (ms: number) => new Date(ms).toISOString().slice(11, 19);
  for (const a of [...alerts].sort((x, y) => x.at - y.at || (x.host < y.host ? -1 : 1)).slice(0, 14)) {
    const value = a.value === undefined ? '' : a.rule === 'error-rate' ? ` (${(a.value * 100).toFixed(1)}%)` : ` (${a.value} ms)`;
    console.log(`${clock(a.at)} ${a.host.padEnd(4)} ${a.rule.padEnd(12)} ${a.kind}${value}`);
  }
  const kinds = new Map<string, number>();
  for (const a of alerts) kinds.set(`${a.rule} ${a.kind}`, (kinds.get(`${a.rule} ${a.kind}`) ?? 0) + 1);
  const worst = stats.reduce((w, s) => (s.p99 > w.p99 ? s : w), stats[0]!);
  if (worst) console.log(`worst window: ${worst.host} (${worst.service}) up to ${clock(worst.windowEnd)}: p50 ${worst.p50} ms, p95 ${worst.p95} ms, p99 ${worst.p99} ms, errors ${(worst.errorRate * 100).toFixed(1)}%, cpu ${worst.cpu}%, memory ${worst.mem}%`);
  console.log(`${stats.length} host windows; alerts: ${[...kinds].sort().map(([k, n]) => `${k} ${n}`).join(', ')}`);
  const want = monitoringReference(metricsLog(shape));
  // On NATS the job reads the stream far faster than real time: no host is silent in processing time there.
  const onlyEventTime = <T extends { rule?: string }>(xs: T[]) => (nats ? xs.filter((a) => a.rule !== 'silent') : xs);
  const ds = multisetDiff(stats, want.stats);
  const da = multisetDiff(onlyEventTime(alerts), onlyEventTime(want.alerts));
  const equal = ds.missing + ds.extra + da.missing + da.extra === 0;
  console.log(`${nats ? `on NATS ${nats}` : 'embedded, simulated clock'}: metrics in ${job.recordsIn}, results out ${job.recordsOut}, restarts ${job.restarts}, dead letters ${job.deadLetterCount}; against the plain-TypeScript reference: ${equal ? 'equal' : `DIFFERENT (stats ${ds.missing} missing ${ds.extra} extra, alerts ${da.missing} missing ${da.extra} extra)`} in ${Math.round(performance.now() - started)} ms`);
  return equal;
});
