/**
 * Weir quickstart: a running count of page views per page over a generated click stream,
 * embedded in this process. One operator crashes on purpose half-way; its supervisor restarts
 * just that actor from its snapshot and replays its input, so the counts stay exact.
 *
 * Run: npm start
 */
import { StreamEnvironment, CollectSink } from '../src/index.ts';

const pages = ['/home', '/pricing', '/docs', '/blog', '/signup'];
const clicks = 200_000;
let crashed = false;

const env = StreamEnvironment.create({ parallelism: 2 });
const counts = new CollectSink<{ page: string; views: number }>();

env
  .fromGenerator((i, random) => ({ user: random.int(5_000), page: pages[random.int(pages.length)]!, at: i }), { count: clicks, seed: 7, name: 'clicks' })
  .setParallelism(1)
  .map((click) => ({ page: click.page, views: 1, at: click.at }), 'to-view')
  .keyBy((view) => view.page)
  .reduce((total, view) => {
    if (view.at === clicks / 2 && !crashed) {
      crashed = true;
      throw new Error('injected crash: the supervisor restarts this actor from its snapshot');
    }
    return { page: total.page, views: total.views + view.views, at: view.at };
  }, 'count-views')
  .map(({ page, views }) => ({ page, views }), 'strip')
  .sinkTo(counts);

const result = await env.execute('quickstart');

const latest = new Map<string, number>();
for (const c of counts.values) latest.set(c.page, c.views);
for (const [page, views] of [...latest].sort()) console.log(`${page.padEnd(10)} ${views}`);
const total = [...latest.values()].reduce((a, b) => a + b, 0);
console.log(
  `records in ${result.recordsIn}, out ${result.recordsOut}, restarts ${result.restarts}, dead letters ${result.deadLetterCount}, ` +
    `views counted ${total}/${clicks} ${total === clicks ? '(exact)' : '(MISMATCH)'} in ${result.durationMs} ms`,
);
if (total !== clicks) process.exitCode = 1;
