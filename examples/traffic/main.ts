/**
 * Traffic analysis over a generated click stream: sessions, an hourly funnel, top pages per
 * minute, bots to a side output. One operator crashes on purpose; results stay exact.
 *
 * Run: npm run example:traffic            (embedded; `-- --scale 0.1` for a tenth of the input)
 *      npm run example:traffic -- --nats nats://127.0.0.1:4222
 */
import { natsUrlFromArgs, runExample, scaleFromArgs } from '../shared/cli.ts';
import { generated } from '../shared/generated.ts';
import { clickAt } from './clicks.ts';
import { sameResults, trafficReference } from './reference.ts';
import { runTraffic } from './run.ts';

const seed = 7;
await runExample(async () => {
  const clicks = Math.round(200_000 * scaleFromArgs());
  const nats = natsUrlFromArgs();
  const { results, job } = await runTraffic({ clicks, seed, crashAtSeq: Math.floor(clicks * 0.6), nats });
  const { sessions, funnels, topPages, bots } = results;

  const hours = [...funnels].sort((a, b) => a.hour - b.hour);
  console.log('hour   sessions  home  product  cart  checkout  conversion');
  for (const f of hours.slice(0, 6)) console.log(`${String(f.hour / 3_600_000).padStart(4)}h  ${String(f.sessions).padStart(8)}  ${String(f.home).padStart(4)}  ${String(f.product).padStart(7)}  ${String(f.cart).padStart(4)}  ${String(f.checkout).padStart(8)}  ${f.home ? ((100 * f.checkout) / f.home).toFixed(1) : '0.0'}%`);
  const minute = [...topPages].sort((a, b) => a.minute - b.minute)[60];
  if (minute) console.log(`top pages in minute ${minute.minute / 60_000}: ${minute.pages.map((p) => `${p.page} (${p.views})`).join(', ')}`);
  const mean = sessions.reduce((n, s) => n + s.pages, 0) / Math.max(1, sessions.length);
  const botIps = new Set(bots.map((b) => b.ip));
  const byReferrer = new Map<string, { sessions: number; converted: number }>();
  for (const s of sessions) {
    const r = byReferrer.get(s.referrer) ?? { sessions: 0, converted: 0 };
    r.sessions++;
    if (s.funnelStep === 4) r.converted++;
    byReferrer.set(s.referrer, r);
  }
  console.log(`sessions by referrer: ${[...byReferrer].sort().map(([ref, r]) => `${ref} ${r.sessions} (${((100 * r.converted) / r.sessions).toFixed(1)}% converted)`).join(', ')}`);
  console.log(`${sessions.length} sessions (${mean.toFixed(1)} pages on average), ${funnels.length} hourly funnels, ${topPages.length} top-${3} minutes; ${bots.length} bot clicks from ${botIps.size} IPs (${[...botIps].sort().join(', ')}) to the side output`);
  const check = sameResults(results, trafficReference(generated(clickAt, clicks, seed)));
  console.log(`${nats ? `on NATS ${nats}` : 'embedded'}: clicks in ${job.recordsIn}, results out ${job.recordsOut}, restarts ${job.restarts}, dead letters ${job.deadLetterCount}; against the plain-TypeScript reference: ${check.equal ? 'equal' : `DIFFERENT (${check.detail})`} in ${job.durationMs} ms`);
  return check.equal;
});
