/**
 * The real-time recommendation job. Per user (keyed state): the recent items, with a TTL, and what
 * they bought. Per item (MapState): how often each other item appeared in the same user's recent
 * history. On each interaction, the top-k items most often seen together with the current one,
 * excluding what the user already bought.
 *
 * Co-occurrence updates reach an item from every user partition, so the item side applies them in
 * event-time order (buffered until the watermark passes): the counts a recommendation sees, and so
 * the recommendation, do not depend on how partitions interleave — nor on the parallelism.
 */
import {
  MapStateDescriptor, ValueStateDescriptor, WatermarkStrategy,
  type DataStream, type KeyedProcessFunction,
} from '../../src/index.ts';
import type { Interaction } from './interactions.ts';

/** The items recommended to `user` after interaction `seq` with `item`, best first. */
export interface Recommendation {
  seq: number;
  user: string;
  item: string;
  related: string[];
}

/** From the user side to the item side: a co-occurrence to count, or a request for recommendations. */
export type ItemMessage =
  | { kind: 'pair'; target: string; other: string }
  | { kind: 'query'; target: string; user: string; seq: number; exclude: string[] };

/** Related items per recommendation. */
export const TOP_K = 5;
/** Items of a user's recent history that count as co-occurring with the next one. */
export const RECENT_ITEMS = 10;
/** Processing time a user's recent history lives after its last update. */
export const RECENT_TTL_MS = 60 * 60_000;

/** Options of {@link recommendationJob}. */
export interface RecommendationOptions {
  /** Throw once when the item side handles the interaction with this `seq`. */
  crashAtSeq?: number;
  /** Time-to-live of a user's recent items (processing time; default {@link RECENT_TTL_MS}). */
  recentTtlMs?: number;
}

/** The top `k` items by count (ties: by name), leaving out `exclude`. */
export function topRelated(counts: Iterable<[string, number]>, exclude: ReadonlySet<string>, k: number): string[] {
  // One pass keeping the best k in order: an item's co-occurrences can be many, k is small.
  const best: Array<[string, number]> = [];
  const before = (a: [string, number], b: [string, number]) => a[1] > b[1] || (a[1] === b[1] && a[0] < b[0]);
  for (const entry of counts) {
    if (exclude.has(entry[0]) || (best.length === k && !before(entry, best[k - 1]!))) continue;
    let at = best.length < k ? best.length : k - 1;
    while (at > 0 && before(entry, best[at - 1]!)) at--;
    best.splice(at, 0, entry);
    if (best.length > k) best.pop();
  }
  return best.map(([item]) => item);
}

/** The user side of one interaction: messages to the item side, and the user's next recent items. */
export function userStep(recent: readonly string[], bought: ReadonlySet<string>, e: Interaction): { messages: ItemMessage[]; recent: string[] } {
  const messages: ItemMessage[] = [];
  for (const other of recent) {
    if (other === e.item) continue;
    messages.push({ kind: 'pair', target: e.item, other }, { kind: 'pair', target: other, other: e.item });
  }
  const exclude = [...bought];
  if (e.kind === 'buy' && !bought.has(e.item)) exclude.push(e.item);
  if (!exclude.includes(e.item)) exclude.push(e.item); // never recommend the item itself
  messages.push({ kind: 'query', target: e.item, user: e.user, seq: e.seq, exclude: exclude.sort() });
  return { messages, recent: [e.item, ...recent.filter((x) => x !== e.item)].slice(0, RECENT_ITEMS) };
}

/**
 * Builds the job on an interaction stream (in event-time order).
 * @example
 * ```ts
 * recommendationJob(env.fromGenerator(interactionAt, { count, seed })).sinkTo(new CollectSink())
 * ```
 */
export function recommendationJob(interactions: DataStream<Interaction>, options: RecommendationOptions = {}): DataStream<Recommendation> {
  const recentItems = new ValueStateDescriptor<string[]>('recent-items', { ttl: { ttlMs: options.recentTtlMs ?? RECENT_TTL_MS } });
  const boughtItems = new MapStateDescriptor<string, true>('bought');
  const userSide: KeyedProcessFunction<string, Interaction, ItemMessage> = {
    processElement(e, ctx, out) {
      const recent = ctx.getState(recentItems);
      const bought = ctx.getMapState(boughtItems);
      const step = userStep(recent.value() ?? [], new Set(bought.keys()), e);
      for (const m of step.messages) out.collect(m);
      recent.update(step.recent);
      if (e.kind === 'buy') bought.put(e.item, true);
    },
  };

  const cooccurrence = new MapStateDescriptor<string, number>('co-occurrence');
  const pending = new MapStateDescriptor<number, ItemMessage[]>('pending');
  let crashed = false;
  const itemSide: KeyedProcessFunction<string, ItemMessage, Recommendation> = {
    processElement(m, ctx) {
      const t = ctx.timestamp!;
      const buffered = ctx.getMapState(pending);
      const list = buffered.get(t);
      buffered.put(t, list ? [...list, m] : [m]);
      ctx.timerService().registerEventTimeTimer(t);
    },
    onTimer(t, ctx, out) {
      const buffered = ctx.getMapState(pending);
      const counts = ctx.getMapState(cooccurrence);
      const messages = buffered.get(t) ?? [];
      buffered.remove(t);
      // One interaction per timestamp: count its pairs first, then answer its query.
      for (const m of messages) if (m.kind === 'pair') counts.put(m.other, (counts.get(m.other) ?? 0) + 1);
      for (const m of messages) {
        if (m.kind !== 'query') continue;
        if (m.seq === options.crashAtSeq && !crashed) {
          crashed = true;
          throw new Error(`injected crash at interaction ${m.seq}`);
        }
        out.collect({ seq: m.seq, user: m.user, item: m.target, related: topRelated(counts.entries(), new Set(m.exclude), TOP_K) });
      }
    },
  };

  return interactions
    .assignTimestampsAndWatermarks(WatermarkStrategy.forMonotonousTimestamps<Interaction>().withTimestampAssigner((e) => e.at))
    // One timestamp subtask, as the log has one split: every key's records stay in log order.
    .setParallelism(1)
    .keyBy((e) => e.user)
    .process(userSide, 'user-history')
    .uid('user-history')
    .keyBy((m) => m.target)
    .process(itemSide, 'item-cooccurrence')
    .uid('item-cooccurrence');
}
