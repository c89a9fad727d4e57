/** The recommendation job as one plain loop over the log: what the streaming job must emit. */
import type { Interaction } from './interactions.ts';
import { TOP_K, topRelated, userStep, type Recommendation } from './recommendation-job.ts';

/**
 * Every recommendation the job emits, in log order. With `recentTtlMs`, a user's recent items
 * expire that long after their last update, in processing time: `processingTime(e)` is when the
 * job handles `e` (in a replay on a simulated clock, known from the log); without a TTL they never
 * expire within the run.
 */
export function recommendationReference(log: readonly Interaction[], recentTtlMs = Infinity, processingTime: (e: Interaction) => number = (e) => e.at): Recommendation[] {
  const recent = new Map<string, string[]>();
  const updatedAt = new Map<string, number>();
  const bought = new Map<string, Set<string>>();
  const counts = new Map<string, Map<string, number>>();
  const out: Recommendation[] = [];
  for (const e of log) {
    const mine = bought.get(e.user) ?? new Set<string>();
    const now = processingTime(e);
    const live = now - (updatedAt.get(e.user) ?? -Infinity) < recentTtlMs;
    const step = userStep(live ? recent.get(e.user) ?? [] : [], mine, e);
    recent.set(e.user, step.recent);
    updatedAt.set(e.user, now);
    if (e.kind === 'buy') bought.set(e.user, mine.add(e.item));
    for (const m of step.messages) {
      let c = counts.get(m.target);
      if (!c) counts.set(m.target, (c = new Map()));
      if (m.kind === 'pair') c.set(m.other, (c.get(m.other) ?? 0) + 1);
      else out.push({ seq: m.seq, user: m.user, item: m.target, related: topRelated(c, new Set(m.exclude), TOP_K) });
    }
  }
  return out;
}
