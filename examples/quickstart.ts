/**
 * Weir quickstart: page views per page in 10-second event-time windows over a generated click
 * stream that arrives out of order, embedded in this process. Clicks later than the watermark
 * allows go to a side output. One operator crashes on purpose; its supervisor restarts just that
 * actor from its snapshot and replays its input, so every count stays exact.
 *
 * Run: npm start
 */
import { StreamEnvironment, CollectSink, WatermarkStrategy, TumblingEventTimeWindows, OutputTag } from '../src/index.ts';

interface Click { user: number; page: string; at: number }
interface PageViews { page: string; window: string; views: number }

const pages = ['/home', '/pricing', '/docs', '/blog', '/signup'];
const clicks = 200_000;
let crashed = false;

const env = StreamEnvironment.create({ parallelism: 2 });
const views = new CollectSink<PageViews>();
const lateClicks = new CollectSink<Click>();
const late = new OutputTag<Click>('late-clicks');

// One click every 5 ms of event time, arriving up to 3 s out of order; every 10,000th is 30 s late.
const perPage = env
  .fromGenerator<Click>((i, r) => ({ user: r.int(5_000), page: pages[r.int(pages.length)]!, at: i * 5 - r.int(3_000) - (i % 10_000 === 9_999 ? 30_000 : 0) }), { count: clicks, seed: 7, name: 'clicks' })
  .setParallelism(1)
  .assignTimestampsAndWatermarks(WatermarkStrategy.forBoundedOutOfOrderness<Click>(3_000).withTimestampAssigner((c) => c.at))
  .keyBy((c) => c.page)
  .window(TumblingEventTimeWindows.of(10_000))
  .sideOutputLateData(late)
  .aggregate<number, number, PageViews>(
    {
      createAccumulator: () => 0,
      add: (click, n) => {
        if (click.at > 500_000 && !crashed) {
          crashed = true;
          throw new Error('injected crash: the supervisor restarts this actor from its snapshot');
        }
        return n + 1;
      },
      getResult: (n) => n,
      merge: (a, b) => a + b,
    },
    (page, [n], { window }, out) => out.emit({ page, window: `${window.start / 1000}s-${window.end / 1000}s`, views: n! }, window.end - 1),
    'views-per-window',
  );
perPage.sinkTo(views);
perPage.getSideOutput(late).sinkTo(lateClicks);

const result = await env.execute('quickstart');

for (const v of views.values.filter((v) => v.window === '100s-110s').sort((a, b) => a.page.localeCompare(b.page))) console.log(`${v.window.padEnd(10)} ${v.page.padEnd(9)} ${v.views}`);
const counted = views.values.reduce((n, v) => n + v.views, 0) + lateClicks.values.length;
console.log(`${views.values.length} window results; ${lateClicks.values.length} late clicks to the side output`);
console.log(`records in ${result.recordsIn}, out ${result.recordsOut}, restarts ${result.restarts}, dead letters ${result.deadLetterCount}; clicks accounted for ${counted}/${clicks} ${counted === clicks ? '(exact)' : '(MISMATCH)'} in ${result.durationMs} ms`);
if (counted !== clicks) process.exitCode = 1;
