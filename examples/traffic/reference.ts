/**
 * The traffic job computed by plain loops over the whole click log: what the streaming job must
 * produce, record for record.
 */
import type { Click } from './clicks.ts';
import { multisetDiff } from '../shared/compare.ts';
import { BOT_CLICKS_PER_MINUTE, SESSION_GAP_MS, TOP_N, byTime, funnelStep, rank, type BotClick, type Funnel, type Session, type TopPages } from './traffic-job.ts';

/** The reference outputs. */
export interface TrafficResults {
  sessions: Session[];
  funnels: Funnel[];
  topPages: TopPages[];
  bots: BotClick[];
}

/** Computes every output of the traffic job from the log, in log order where order matters. */
export function trafficReference(log: readonly Click[]): TrafficResults {
  const rate = new Map<string, { minute: number; clicks: number; bot: boolean }>();
  const people: Click[] = [];
  const bots: BotClick[] = [];
  for (const c of log) {
    const minute = Math.floor(c.at / 60_000);
    const s = rate.get(c.ip) ?? { minute, clicks: 0, bot: false };
    const clicks = s.minute === minute ? s.clicks + 1 : 1;
    const bot = s.bot || clicks > BOT_CLICKS_PER_MINUTE;
    rate.set(c.ip, { minute, clicks, bot });
    if (bot) bots.push({ ip: c.ip, seq: c.seq, page: c.page });
    else people.push(c);
  }

  const byUser = new Map<string, Click[]>();
  for (const c of people) {
    let list = byUser.get(c.user);
    if (!list) byUser.set(c.user, (list = []));
    list.push(c);
  }
  const sessions: Session[] = [];
  const funnelByHour = new Map<number, number[]>();
  for (const [user, clicks] of byUser) {
    clicks.sort(byTime);
    let visit: Click[] = [];
    const close = () => {
      const first = visit[0]!;
      const last = visit[visit.length - 1]!;
      const s: Session = { user, start: first.at, end: last.at, pages: visit.length, durationMs: last.at - first.at, entry: first.page, exit: last.page, referrer: first.referrer, funnelStep: funnelStep(visit.map((c) => c.page)) };
      sessions.push(s);
      const hour = Math.floor((last.at + SESSION_GAP_MS - 1) / 3_600_000) * 3_600_000;
      const f = funnelByHour.get(hour) ?? [0, 0, 0, 0, 0];
      f[0]!++;
      for (let step = 1; step <= s.funnelStep; step++) f[step]!++;
      funnelByHour.set(hour, f);
    };
    for (const c of clicks) {
      if (visit.length > 0 && c.at - visit[visit.length - 1]!.at >= SESSION_GAP_MS) {
        close();
        visit = [];
      }
      visit.push(c);
    }
    close();
  }
  const funnels = [...funnelByHour].map(([hour, f]) => ({ hour, sessions: f[0]!, home: f[1]!, product: f[2]!, cart: f[3]!, checkout: f[4]! }));

  const views = new Map<number, Map<string, number>>();
  for (const c of people) {
    const minute = Math.floor(c.at / 60_000) * 60_000;
    let m = views.get(minute);
    if (!m) views.set(minute, (m = new Map()));
    m.set(c.page, (m.get(c.page) ?? 0) + 1);
  }
  const topPages = [...views].map(([minute, m]) => ({ minute, pages: rank([...m].map(([page, n]) => ({ page, views: n })), TOP_N) }));
  return { sessions, funnels, topPages, bots };
}

/** Compares two sets of traffic results as multisets of records: lost, duplicated, different. */
export function sameResults(got: TrafficResults, want: TrafficResults): { equal: boolean; detail: string } {
  const problems: string[] = [];
  for (const kind of ['sessions', 'funnels', 'topPages', 'bots'] as const) {
    const d = multisetDiff(got[kind], want[kind]);
    if (d.missing || d.extra) problems.push(`${kind}: ${d.missing} missing, ${d.extra} extra of ${want[kind].length}`);
  }
  return { equal: problems.length === 0, detail: problems.join('; ') };
}
