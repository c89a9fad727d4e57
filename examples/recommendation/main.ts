/**
 * Real-time recommendations over a generated interaction log: per user the recent items (state
 * with a TTL) and purchases, per item a co-occurrence MapState; each interaction gets the top-5
 * related items the user has not bought. One operator crashes on purpose; results stay exact.
 *
 * Run: npm run example:recommendation            (embedded; `-- --scale 0.1` for a tenth of the input)
 *      npm run example:recommendation -- --nats nats://127.0.0.1:4222
 */
import { natsUrlFromArgs, runExample, scaleFromArgs } from '../shared/cli.ts';
import { generated } from '../shared/generated.ts';
import { multisetDiff } from '../shared/compare.ts';
import { interactionAt } from './interactions.ts';
import { recommendationReference } from './reference.ts';
import { runRecommendation } from './run.ts';

const seed = 5;
await runExample(async () => {
  const interactions = Math.round(60_000 * scaleFromArgs());
  const nats = natsUrlFromArgs();
  const { recommendations, job } = await runRecommendation({ interactions, seed, crashAtSeq: Math.floor(interactions / 2), nats });

  const last = [...recommendations].sort((a, b) => a.seq - b.seq).slice(-5);
  for (const r of last) console.log(`#${r.seq} ${r.user.padEnd(5)} looked at ${r.item.padEnd(5)} → ${r.related.join(', ') || '(nothing yet)'}`);
  const withAny = recommendations.filter((r) => r.related.length > 0).length;
  console.log(`${recommendations.length} recommendations, ${((100 * withAny) / Math.max(1, recommendations.length)).toFixed(1)}% with at least one related item`);
  const d = multisetDiff(recommendations, recommendationReference(generated(interactionAt, interactions, seed)));
  const equal = d.missing === 0 && d.extra === 0;
  console.log(`${nats ? `on NATS ${nats}` : 'embedded'}: interactions in ${job.recordsIn}, recommendations out ${job.recordsOut}, restarts ${job.restarts}, dead letters ${job.deadLetterCount}; against the plain-TypeScript reference: ${equal ? 'equal' : `DIFFERENT (${d.missing} missing, ${d.extra} extra)`} in ${job.durationMs} ms`);
  return equal;
});
