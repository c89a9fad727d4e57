/**
 * The traffic analysis job: bots detected by click rate per IP go to a side output; the rest are
 * cut into sessions per user (30-minute gap), the sessions counted into a conversion funnel per
 * hour, and page views counted per page and minute, then ranked into a top-N per minute.
 */
import {
  EventTimeSessionWindows, OutputTag, TumblingEventTimeWindows, ValueStateDescriptor, WatermarkStrategy,
  type DataStream, type KeyedProcessFunction, type ValueState,
} from '../../src/index.ts';
import { OUT_OF_ORDER_MS, type Click } from './clicks.ts';

/** A user's visit: clicks no more than `SESSION_GAP_MS` apart. `end` is the last click's time. */
export interface Session {
  user: string;
  start: number;
  end: number;
  pages: number;
  durationMs: number;
  entry: string;
  exit: string;
  /** Where the visit came from: the first click's referrer. */
  referrer: string;
  /** Funnel steps reached in order: 1 home, 2 then a product, 3 then the cart, 4 then checkout. */
  funnelStep: number;
}

/** Sessions ending in one hour and how many reached each funnel step. */
export interface Funnel {
  hour: number;
  sessions: number;
  home: number;
  product: number;
  cart: number;
  checkout: number;
}

/** The most viewed pages of one minute, most first. */
export interface TopPages {
  minute: number;
  pages: Array<{ page: string; views: number }>;
}

/** A click from an IP that clicks faster than a person would. */
export interface BotClick {
  ip: string;
  seq: number;
  page: string;
}

/** Inactivity that ends a session. */
export const SESSION_GAP_MS = 30 * 60_000;
/** Pages in each minute's ranking. */
export const TOP_N = 3;
/** Clicks an IP may make in one calendar minute before it counts as a bot. */
export const BOT_CLICKS_PER_MINUTE = 30;

/** Options of {@link trafficJob}. */
export interface TrafficOptions {
  /** Throw once in the bot filter at this click (the supervisor restarts that actor). */
  crashAtSeq?: number;
}

/** What {@link trafficJob} produces; attach a sink to each. */
export interface TrafficStreams {
  sessions: DataStream<Session>;
  funnels: DataStream<Funnel>;
  topPages: DataStream<TopPages>;
  bots: DataStream<BotClick>;
}

const FUNNEL = ['/home', '/product/', '/cart', '/checkout'];

/** How far along the funnel a session's pages (in time order) went. */
export function funnelStep(pages: readonly string[]): number {
  let step = 0;
  for (const p of pages) if (step < FUNNEL.length && (p === FUNNEL[step] || (step === 1 && p.startsWith(FUNNEL[1]!)))) step++;
  return step;
}

/** Orders clicks by event time, then by position in the log (clicks may share a millisecond). */
export const byTime = (a: Click, b: Click): number => a.at - b.at || a.seq - b.seq;

/**
 * Builds the job on a click stream.
 * @example
 * ```ts
 * const t = trafficJob(env.fromGenerator(clickAt, { count, seed })); t.sessions.sinkTo(new CollectSink())
 * ```
 */
export function trafficJob(clicks: DataStream<Click>, options: TrafficOptions = {}): TrafficStreams {
  const botTag = new OutputTag<BotClick>('bots');
  let crashed = false;
  const rate = new ValueStateDescriptor<{ minute: number; clicks: number; bot: boolean }>('rate');
  const botFilter: KeyedProcessFunction<string, Click, Click> = {
    processElement(click, ctx, out) {
      if (click.seq === options.crashAtSeq && !crashed) {
        crashed = true;
        throw new Error(`injected crash at click ${click.seq}`);
      }
      const state: ValueState<{ minute: number; clicks: number; bot: boolean }> = ctx.getState(rate);
      const minute = Math.floor(click.at / 60_000);
      const s = state.value() ?? { minute, clicks: 0, bot: false };
      const clicksThisMinute = s.minute === minute ? s.clicks + 1 : 1;
      const bot = s.bot || clicksThisMinute > BOT_CLICKS_PER_MINUTE;
      state.update({ minute, clicks: clicksThisMinute, bot });
      if (bot) ctx.output(botTag, { ip: click.ip, seq: click.seq, page: click.page });
      else out.collect(click);
    },
  };

  const people = clicks
    .assignTimestampsAndWatermarks(WatermarkStrategy.forBoundedOutOfOrderness<Click>(OUT_OF_ORDER_MS).withTimestampAssigner((c) => c.at))
    // One timestamp subtask, as the log has one split: every key's records stay in log order.
    .setParallelism(1)
    .keyBy((c) => c.ip)
    .process(botFilter, 'bot-filter')
    .uid('bot-filter');

  const sessions = people
    .keyBy((c) => c.user)
    .window(EventTimeSessionWindows.withGap(SESSION_GAP_MS))
    .process<Session>((user, visit, { window }, out) => {
      visit.sort(byTime);
      const pages = visit.map((c) => c.page);
      const first = visit[0]!;
      const last = visit[visit.length - 1]!;
      out.emit({ user, start: first.at, end: last.at, pages: visit.length, durationMs: last.at - first.at, entry: first.page, exit: last.page, referrer: first.referrer, funnelStep: funnelStep(pages) }, window.end - 1);
    }, 'sessions')
    .uid('sessions');

  const funnels = sessions
    .keyBy(() => 'site')
    .window(TumblingEventTimeWindows.of(3_600_000))
    .aggregate<number[], number[], Funnel>(
      {
        createAccumulator: () => [0, 0, 0, 0, 0],
        add: (s, acc) => acc.map((n, i) => (i === 0 || s.funnelStep >= i ? n + 1 : n)),
        getResult: (acc) => acc,
        merge: (a, b) => a.map((n, i) => n + b[i]!),
      },
      (_site, [acc], { window }, out) => out.emit({ hour: window.start, sessions: acc![0]!, home: acc![1]!, product: acc![2]!, cart: acc![3]!, checkout: acc![4]! }, window.end - 1),
      'funnel-per-hour',
    )
    .uid('funnel-per-hour');

  // Top-N in two steps, as at scale: partial counts per page (spread by page), then one ranking per minute.
  const topPages = people
    .keyBy((c) => c.page)
    .window(TumblingEventTimeWindows.of(60_000))
    .aggregate<number, number, { minute: number; page: string; views: number }>(
      { createAccumulator: () => 0, add: (_c, n) => n + 1, getResult: (n) => n, merge: (a, b) => a + b },
      (page, [views], { window }, out) => out.emit({ minute: window.start, page, views: views! }, window.end - 1),
      'views-per-page-minute',
    )
    .uid('views-per-page-minute')
    .keyBy((v) => v.minute)
    .window(TumblingEventTimeWindows.of(60_000))
    .process<TopPages>((minute, counts, { window }, out) => out.emit({ minute, pages: rank(counts, TOP_N) }, window.end - 1), 'top-pages')
    .uid('top-pages');

  return { sessions, funnels, topPages, bots: people.getSideOutput(botTag) };
}

/** The `n` pages with most views (ties: by name). */
export function rank(counts: ReadonlyArray<{ page: string; views: number }>, n: number): Array<{ page: string; views: number }> {
  return [...counts].sort((a, b) => b.views - a.views || (a.page < b.page ? -1 : 1)).slice(0, n).map(({ page, views }) => ({ page, views }));
}
