import { InvalidJobError } from '../../errors.ts';

/** A window: [start, end) in event-time ms. */
export interface TimeWindow {
  start: number;
  end: number;
}

/**
 * Which windows a record belongs to. Tumbling and sliding windows are cut into shared slices of
 * gcd(size, slide): a record updates exactly one slice, a window combines its slices, so the cost
 * per record does not grow with size / slide. Session windows merge per key; the global window
 * fires only by a count trigger.
 */
export type WindowAssigner =
  | { kind: 'sliding'; size: number; slide: number; offset: number; processingTime?: boolean }
  | { kind: 'session'; gap: number; dynamicGap?: (value: any) => number; processingTime?: boolean }
  | { kind: 'global' };

function positive(what: string, v: number): number {
  if (!Number.isInteger(v) || v <= 0) throw new InvalidJobError(`${what} must be a positive whole number of milliseconds, got ${v}`);
  return v;
}

/**
 * Fixed, non-overlapping event-time windows.
 * @example
 * ```ts
 * stream.keyBy((c) => c.page).window(TumblingEventTimeWindows.of(10_000))
 * ```
 */
export const TumblingEventTimeWindows = {
  of(sizeMs: number, offsetMs = 0): WindowAssigner {
    return { kind: 'sliding', size: positive('window size', sizeMs), slide: sizeMs, offset: offsetMs };
  },
};

/**
 * Overlapping event-time windows of `sizeMs`, one starting every `slideMs`.
 * @example
 * ```ts
 * stream.keyBy((b) => b.auction).window(SlidingEventTimeWindows.of(10_000, 2_000))
 * ```
 */
export const SlidingEventTimeWindows = {
  of(sizeMs: number, slideMs: number, offsetMs = 0): WindowAssigner {
    positive('window size', sizeMs);
    positive('window slide', slideMs);
    if (slideMs > sizeMs) throw new InvalidJobError(`window slide (${slideMs} ms) must not exceed its size (${sizeMs} ms)`);
    return { kind: 'sliding', size: sizeMs, slide: slideMs, offset: offsetMs };
  },
};

/**
 * Per-key windows that close after a gap without records; overlapping sessions merge.
 * @example
 * ```ts
 * stream.keyBy((e) => e.user).window(EventTimeSessionWindows.withGap(30_000))
 * ```
 */
export const EventTimeSessionWindows = {
  withGap(gapMs: number): WindowAssigner {
    return { kind: 'session', gap: positive('session gap', gapMs) };
  },
  /** The gap after each record comes from the record itself. */
  withDynamicGap<T>(gap: (value: T) => number): WindowAssigner {
    return { kind: 'session', gap: 1, dynamicGap: gap };
  },
};

/**
 * One window per key for all time; use with a count trigger (`WindowedStream.countTrigger(n)`).
 * @example
 * ```ts
 * stream.keyBy((e) => e.user).window(GlobalWindows.create()).countTrigger(100)
 * ```
 */
export const GlobalWindows = {
  create(): WindowAssigner {
    return { kind: 'global' };
  },
};

/**
 * Fixed windows in processing time: a record belongs to the window of the moment it is processed,
 * and the window fires when the clock passes its end. Results depend on timing (not replayable
 * bit for bit after a failure, as in Flink); remaining windows fire when the input ends.
 * @example
 * ```ts
 * stream.keyBy((r) => r.user).window(TumblingProcessingTimeWindows.of(1_000))
 * ```
 */
export const TumblingProcessingTimeWindows = {
  of(sizeMs: number, offsetMs = 0): WindowAssigner {
    return { ...TumblingEventTimeWindows.of(sizeMs, offsetMs), processingTime: true } as WindowAssigner;
  },
};

/**
 * Overlapping windows in processing time.
 * @example
 * ```ts
 * stream.keyBy((r) => r.user).window(SlidingProcessingTimeWindows.of(10_000, 1_000))
 * ```
 */
export const SlidingProcessingTimeWindows = {
  of(sizeMs: number, slideMs: number, offsetMs = 0): WindowAssigner {
    return { ...SlidingEventTimeWindows.of(sizeMs, slideMs, offsetMs), processingTime: true } as WindowAssigner;
  },
};

/**
 * Sessions in processing time: a key's session closes after `gapMs` of wall-clock time without records.
 * @example
 * ```ts
 * stream.keyBy((e) => e.user).window(ProcessingTimeSessionWindows.withGap(30_000))
 * ```
 */
export const ProcessingTimeSessionWindows = {
  withGap(gapMs: number): WindowAssigner {
    return { ...EventTimeSessionWindows.withGap(gapMs), processingTime: true } as WindowAssigner;
  },
};

/** Greatest common divisor: the slice size of a sliding window. */
export function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}
